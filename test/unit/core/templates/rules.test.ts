import { LIMITS, validateValues } from '../../../../src/core/templates/rules';
import { MetaTemplate } from '../../../../src/core/templates/template';
import {
	catalogOffer,
	coupon,
	fallSale,
	invoice,
	lto,
	orderDelivery,
	readContract,
	survey,
	verification,
	verificationListed,
} from './fixtures';

const couponOk = { 'header.1': 'Ana', 'body.1': 'SUMMER20', 'body.2': '10' };
const ltoOk = {
	'header.link': 'https://example.com/c.jpg',
	'offer.expiration': '1767225600000',
	'body.1': 'Pablo',
	'body.2': 'CARIBE25',
	'button.0.coupon': 'CARIBE25',
	'button.1.url': 'n3mtql',
};
const placeOk = {
	'header.latitude': '37.44',
	'header.longitude': '-122.16',
	'header.name': 'Philz',
	'header.address': '101 Forest Ave',
	'body.1': 'Mark',
	'body.2': '566701',
};

describe('validateValues', () => {
	it('accepts complete values', () => {
		expect(validateValues(coupon, couponOk)).toEqual({});
		expect(validateValues(lto, ltoOk)).toEqual({});
		expect(validateValues(orderDelivery, placeOk)).toEqual({});
		expect(
			validateValues(invoice, { 'header.link': 'https://example.com/f.pdf?x=1', 'header.filename': 'f.pdf', 'body.1': '42' }),
		).toEqual({});
		expect(validateValues(survey, { 'body.1': 'Ana' })).toEqual({});
	});

	it('every required parameter must be there, blank counts as missing; optional ones may be left out', () => {
		expect(validateValues(coupon, { 'body.1': '   ' })).toEqual({
			'header.1': { key: 'template_error_required' },
			'body.1': { key: 'template_error_required' },
			'body.2': { key: 'template_error_required' },
		});
		expect(validateValues(verification, {})).toEqual({ 'body.1': { key: 'template_error_required' } });
	});

	it.each([['a\nb'], ['a\r\nb'], ['a\tb'], ['a     b']])(
		'no newline, tab or more than four spaces in a row in a text parameter: %j',
		(bad) => {
			expect(validateValues(coupon, { ...couponOk, 'body.2': bad })).toEqual({ 'body.2': { key: 'template_error_whitespace' } });
			expect(validateValues(lto, { ...ltoOk, 'button.0.coupon': bad })).toEqual({
				'button.0.coupon': { key: 'template_error_whitespace' },
			});
		},
	);

	it('four spaces in a row are allowed, and surrounding whitespace is trimmed away', () => {
		expect(validateValues(coupon, { ...couponOk, 'body.2': 'a    b', 'body.1': '\n SUMMER20 \t' })).toEqual({});
	});

	it('header parameter at most 60 characters; body parameter 1024, or 32768 when the body is the only component', () => {
		expect(validateValues(coupon, { ...couponOk, 'header.1': 'x'.repeat(60) })).toEqual({});
		expect(validateValues(coupon, { ...couponOk, 'header.1': 'x'.repeat(61) })).toEqual({
			'header.1': { key: 'template_error_too_long', params: { max: 60 } },
		});
		expect(validateValues(coupon, { ...couponOk, 'body.1': 'x'.repeat(1024) })).toEqual({});
		expect(validateValues(coupon, { ...couponOk, 'body.1': 'x'.repeat(1025) })).toEqual({
			'body.1': { key: 'template_error_too_long', params: { max: 1024 } },
		});
		const bodyOnly: MetaTemplate = {
			name: 'b',
			language: 'en',
			status: 'APPROVED',
			components: [{ type: 'BODY', text: 'Note: {{1}}' }],
		};
		expect(validateValues(bodyOnly, { 'body.1': 'x'.repeat(LIMITS.bodyTextAlone) })).toEqual({});
		expect(validateValues(bodyOnly, { 'body.1': 'x'.repeat(LIMITS.bodyTextAlone + 1) })).toEqual({
			'body.1': { key: 'template_error_too_long', params: { max: 32768 } },
		});
	});

	it('coupon and one-time codes at most 15 characters', () => {
		expect(validateValues(lto, { ...ltoOk, 'button.0.coupon': 'X'.repeat(15) })).toEqual({});
		expect(validateValues(lto, { ...ltoOk, 'button.0.coupon': 'X'.repeat(16) })).toEqual({
			'button.0.coupon': { key: 'template_error_too_long', params: { max: 15 } },
		});
		expect(validateValues(verification, { 'body.1': '1'.repeat(16) })).toEqual({
			'body.1': { key: 'template_error_too_long', params: { max: 15 } },
		});
	});

	it('authentication as Meta lists it: the one code is required, at most 15 characters, one line', () => {
		expect(validateValues(verificationListed, { 'body.1': 'J$FpnYnP' })).toEqual({});
		expect(validateValues(verificationListed, { 'body.1': '1'.repeat(15) })).toEqual({});
		expect(validateValues(verificationListed, { 'body.1': '1'.repeat(16) })).toEqual({
			'body.1': { key: 'template_error_too_long', params: { max: 15 } },
		});
		expect(validateValues(verificationListed, { 'body.1': '12 \t34' })).toEqual({ 'body.1': { key: 'template_error_whitespace' } });
		// No URL-suffix field to fill: only the code is asked for.
		expect(validateValues(verificationListed, {})).toEqual({ 'body.1': { key: 'template_error_required' } });
	});

	it("a catalog template's thumbnail product is optional", () => {
		expect(validateValues(catalogOffer, { 'body.1': '100', 'body.2': '400', 'body.3': '3' })).toEqual({});
		expect(
			validateValues(catalogOffer, { 'body.1': '100', 'body.2': '400', 'body.3': '3', 'button.0.thumbnail': '2lc20305pt' }),
		).toEqual({});
	});

	it("the URL button suffix must make a valid http(s) link with the template's base", () => {
		expect(validateValues(lto, { ...ltoOk, 'button.1.url': 'a b' })).toEqual({
			'button.1.url': { key: 'template_error_url', params: { url: 'https://awesomedestinations.com/offers?code=a b' } },
		});
		const bare: MetaTemplate = {
			name: 'u',
			language: 'en',
			status: 'APPROVED',
			components: [
				{ type: 'BODY', text: 'Hi' },
				{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Open', url: '{{1}}' }] },
			],
		};
		expect(validateValues(bare, { 'button.0.url': 'https://example.com/ok' })).toEqual({});
		expect(validateValues(bare, { 'button.0.url': 'javascript:alert(1)' })).toEqual({
			'button.0.url': { key: 'template_error_url', params: { url: 'javascript:alert(1)' } },
		});
		expect(validateValues(lto, { ...ltoOk, 'button.1.url': 'x'.repeat(2000) })).toEqual({
			'button.1.url': { key: 'template_error_too_long', params: { max: 2000 } },
		});
	});

	it.each([
		['ftp://example.com/a.png'],
		['example.com/a.png'],
		['https://localhost/a.png'],
		['https://exa mple.com/a.png'],
		['/relative.png'],
	])('media links are absolute http(s) links: %s', (link) => {
		expect(validateValues(lto, { ...ltoOk, 'header.link': link })).toEqual({ 'header.link': { key: 'template_error_link' } });
	});

	it('latitude within ±90 and longitude within ±180, as decimal numbers', () => {
		expect(validateValues(orderDelivery, { ...placeOk, 'header.latitude': '-90', 'header.longitude': '180.0' })).toEqual({});
		expect(validateValues(orderDelivery, { ...placeOk, 'header.latitude': '90.5', 'header.longitude': 'east' })).toEqual({
			'header.latitude': { key: 'template_error_latitude' },
			'header.longitude': { key: 'template_error_longitude' },
		});
		expect(validateValues(orderDelivery, { ...placeOk, 'header.latitude': '1e1', 'header.longitude': '-181' })).toEqual({
			'header.latitude': { key: 'template_error_latitude' },
			'header.longitude': { key: 'template_error_longitude' },
		});
	});

	it('offer expiration is a Unix time in milliseconds', () => {
		expect(validateValues(lto, { ...ltoOk, 'offer.expiration': 'tomorrow' })).toEqual({
			'offer.expiration': { key: 'template_error_expiration' },
		});
		// Meta's parameter table example (13 digits) and the app's limit of 15 digits.
		expect(validateValues(lto, { ...ltoOk, 'offer.expiration': '1698562800000' })).toEqual({});
		expect(validateValues(lto, { ...ltoOk, 'offer.expiration': '1'.repeat(16) })).toEqual({
			'offer.expiration': { key: 'template_error_expiration' },
		});
	});

	it('an offer expiration in seconds (or a duration) is refused, saying milliseconds are expected', () => {
		expect(validateValues(lto, { ...ltoOk, 'offer.expiration': '1767225600' })).toEqual({
			'offer.expiration': { key: 'template_error_expiration_ms', params: { value: '1767225600', example: '1767225600000' } },
		});
		// The value of Meta's example request: 14 days in milliseconds, 1970-01-15 as a timestamp.
		const doc = readContract('meta-docs/send-template-lto-copy-code-url.request.json');
		const sent = String(doc.template.components[2].parameters[0].limited_time_offer.expiration_time_ms);
		// Nor seconds of an offer's date (as seconds, May 2008, long past): no example drawn from it, only what to enter.
		expect(validateValues(lto, { ...ltoOk, 'offer.expiration': sent })).toEqual({
			'offer.expiration': { key: 'template_error_expiration' },
		});
		expect(validateValues(lto, { ...ltoOk, 'offer.expiration': '86400000' })).toEqual({
			'offer.expiration': { key: 'template_error_expiration' },
		});
	});

	it("currency and date_time parameters replace text for body inputs only, in Meta's shape", () => {
		const [, currency, dateTime] = readContract('meta-openapi/send-template-request.examples.json')['Send Message Template Text']
			.template.components[0].parameters;
		expect(validateValues(fallSale, { 'body.1': 'Mark' }, { extraParameters: { 'body.2': currency } })).toEqual({});
		expect(validateValues(fallSale, { 'body.1': 'Mark' }, { extraParameters: { 'body.2': dateTime } })).toEqual({});
		expect(
			validateValues(
				fallSale,
				{ 'body.1': 'Mark' },
				{ extraParameters: { 'body.2': { type: 'currency', currency: { code: 'USD', fallback_value: '$1' } } as never } },
			),
		).toEqual({ 'body.2': { key: 'template_error_parameter_type' } });
		expect(validateValues(coupon, { 'body.1': 'a', 'body.2': 'b' }, { extraParameters: { 'header.1': currency } })).toEqual({
			'header.1': { key: 'template_error_parameter_type' },
		});
	});
});
