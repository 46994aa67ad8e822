/**
 * The components of a template send checked before anything goes to Meta (sendComponents.ts):
 * each rule with a send it refuses, and Meta's documented sends it accepts.
 */
import { Phrase, translate } from '../../../../src/core/i18n/translate';
import { checkSendComponents, sendableComponents } from '../../../../src/core/templates/sendComponents';
import { MetaTemplate, placeholders } from '../../../../src/core/templates/template';
import {
	allSpecErrors,
	coupon,
	fallSale,
	invoice,
	lto,
	orderDelivery,
	orderNamed,
	readContract,
	reservation,
	specErrors,
	survey,
	verification,
	verificationListed,
} from './fixtures';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Body only (the fuzz's `order_update`). */
const orderUpdate: MetaTemplate = {
	name: 'order_update',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
};
/** No variables (Meta's `hello_world`). */
const hello: MetaTemplate = {
	name: 'hello_world',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Hello World' }],
};
/** Text header, body with a footer, URL button with a suffix, quick reply, copy code (the fuzz's `fuzz_rich`). */
const rich: MetaTemplate = {
	name: 'fuzz_rich',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{ type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}' },
		{ type: 'BODY', text: '{{1}} paid {{2}} on {{3}}.' },
		{ type: 'FOOTER', text: 'Shop' },
		{
			type: 'BUTTONS',
			buttons: [
				{ type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' },
				{ type: 'QUICK_REPLY', text: 'Stop' },
				{ type: 'COPY_CODE', example: 'SAVE10' },
			],
		},
	],
};
const image = (over: Record<string, unknown> = {}): Any => ({
	type: 'header',
	parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/a.jpg' }, ...over }],
});
const imageTemplate: MetaTemplate = {
	name: 'promo',
	language: 'en_US',
	status: 'APPROVED',
	components: [
		{ type: 'HEADER', format: 'IMAGE' },
		{ type: 'BODY', text: 'See {{1}}.' },
	],
};
const richValid = (): Any[] => [
	{ type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
	{
		type: 'body',
		parameters: [
			{ type: 'text', text: 'Ana' },
			{ type: 'currency', currency: { fallback_value: '$10.00', code: 'USD', amount_1000: 10000 } },
			{ type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } },
		],
	},
	{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-42' }] },
	{ type: 'button', sub_type: 'copy_code', index: '2', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] },
];
const body = (...parameters: unknown[]): Any => ({ type: 'body', parameters });
/** The one-time code's button of an authentication template (Meta's OTP sends: a `url` button with the code). */
const otp = (code: string): Any => ({ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: code }] });
const offer = (expiration?: unknown): Any => ({
	type: 'limited_time_offer',
	parameters: [{ type: 'limited_time_offer', limited_time_offer: expiration === undefined ? {} : { expiration_time_ms: expiration } }],
});
/** The LTO template's copy-code and URL buttons. */
const ltoButtons = (): Any[] => [
	{ type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'CARIBE25' }] },
	{ type: 'button', sub_type: 'url', index: 1, parameters: [{ type: 'text', text: 'n3mtql' }] },
];
/** A media carousel (Meta's media card carousel page): its cards take their header media at send time. */
const carousel: MetaTemplate = {
	name: 'summer_carousel',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	components: [
		{ type: 'BODY', text: 'Our summer picks.' },
		{ type: 'CAROUSEL', cards: [{ components: [{ type: 'HEADER', format: 'IMAGE' }] }] } as Any,
	],
};
const text = (t: unknown): Any => ({ type: 'text', text: t });
const send = (template: MetaTemplate, components: unknown) => ({
	messaging_product: 'whatsapp',
	to: '15550000001',
	type: 'template',
	template: { name: template.name, language: { code: template.language }, components },
});

const check = checkSendComponents;
/** What a field should hold as an English reader sees it: a phrase of the catalog, or a literal value. */
const english = (value: unknown): string =>
	typeof value === 'object' && value !== null ? translate('en', (value as Phrase).phrase, (value as Phrase).params) : String(value);
const inEnglish = (text: string) => ({
	asymmetricMatch: (actual: unknown) => english(actual) === text,
	toAsymmetricMatcher: () => `in English ${JSON.stringify(text)}`,
});
const field = (path: string, expected?: string) => ({
	key: 'api_error_component_field',
	params: { path, expected: expected === undefined ? expect.anything() : inEnglish(expected) },
});

describe('checkSendComponents: what it accepts', () => {
	it.each<[string, MetaTemplate, unknown]>([
		['a body-only template', orderUpdate, [body(text('42'))]],
		['a body without `parameters` for a template without variables', hello, [{ type: 'body' }]],
		[
			'an image header by an http link (Meta: "HTTP/HTTPS only")',
			imageTemplate,
			[image({ image: { link: 'http://cdn.example.com/a.jpg' } }), body(text('x'))],
		],
		['text header, text/currency/date_time body, url and copy_code buttons (quick reply left out)', rich, richValid()],
		[
			'the same with the quick reply payload, an index as a number and upper-case sub_type',
			rich,
			[...richValid(), { type: 'button', sub_type: 'QUICK_REPLY', index: 1, parameters: [{ type: 'payload', payload: 'STOP' }] }],
		],
		['an image header by link and by id', imageTemplate, [image(), body(text('this'))]],
		['a body text of exactly 4 consecutive spaces inside', orderUpdate, [body(text('a    b'))]],
		['a body text of 32768 characters when the body is the only component', orderUpdate, [body(text('x'.repeat(32768)))]],
		['a header text of 60 characters', rich, [{ type: 'header', parameters: [text('x'.repeat(60))] }, ...richValid().slice(1)]],
		[
			'a copy code of 15 characters, and a URL suffix making a link of 2000',
			rich,
			[
				...richValid().slice(0, 2),
				{ ...richValid()[2], parameters: [text('x'.repeat(2000 - 'https://shop.example.com/track/'.length))] },
				{ ...richValid()[3], parameters: [{ type: 'coupon_code', coupon_code: 'C'.repeat(15) }] },
			],
		],
		['a one-time code of 15 characters', verification, [body(text('1'.repeat(15))), otp('1'.repeat(15))]],
		['a one-time code of the template as Meta lists it', verificationListed, [body(text('123456')), otp('123456')]],
		[
			'an offer expiration in milliseconds, as a number or as digits',
			lto,
			[image(), body(text('a'), text('b')), offer('1767225600000'), ...ltoButtons()],
		],
		[
			'a document header with a filename',
			invoice,
			[
				{
					type: 'header',
					parameters: [{ type: 'document', document: { link: 'https://cdn.example.com/f.pdf', filename: 'f.pdf' } }],
				},
				body(text('F-1')),
			],
		],
		[
			'a flow button with its action',
			survey,
			[
				body(text('Ana')),
				{ type: 'button', sub_type: 'flow', index: '0', parameters: [{ type: 'action', action: { flow_token: 't' } }] },
			],
		],
		[
			'named parameters in any order',
			orderNamed,
			[
				body(
					{ type: 'text', parameter_name: 'order_number', text: 'A-1' },
					{ type: 'text', parameter_name: 'first_name', text: 'Ana' },
				),
			],
		],
	])("accepts %s (and Meta's spec does)", (_what, template, components) => {
		expect(check(template, components)).toBeUndefined();
		expect(specErrors(send(template, components))).toEqual([]);
	});

	it("accepts Meta's documented sends against their templates", () => {
		const docs = (file: string) => readContract(`meta-docs/${file}`).template.components;
		// The LTO page's request sends `expiration_time_ms: 1209600000`, 14 days in milliseconds (1970-01-15 as
		// the timestamp its own table asks for): refused as the modal refuses it (rules.test.ts), and taken as a date.
		const offer = docs('send-template-lto-copy-code-url.request.json');
		expect(offer[2].parameters[0].limited_time_offer.expiration_time_ms).toBe(1209600000);
		expect(check(lto, offer)).toEqual(field('template.components[2].parameters[0].limited_time_offer.expiration_time_ms'));
		offer[2].parameters[0].limited_time_offer.expiration_time_ms = 1767225600000;
		expect(check(lto, offer)).toBeUndefined();
		expect(check(verification, docs('send-template-authentication-otp.request.json'))).toBeUndefined();
		expect(check(orderNamed, docs('send-template-named-params.request.json'))).toBeUndefined();
		const location = readContract('meta-docs/send-template-location-header.component.json');
		const bodyOf = (t: MetaTemplate) =>
			body(...(t.components.find((c) => c.type === 'BODY')?.text?.match(/\{\{\d+\}\}/g) ?? []).map(() => text('x')));
		expect(check(orderDelivery, [location, bodyOf(orderDelivery)])).toBeUndefined();
		expect(check(coupon, [{ type: 'header', parameters: [text('Pablo')] }, bodyOf(coupon)])).toBeUndefined();
		const names = placeholders(reservation.components.find((c) => c.type === 'BODY')?.text);
		expect(names.length).toBeGreaterThan(1);
		expect(check(reservation, [image(), body(...names.map((n) => ({ type: 'text', parameter_name: n, text: 'x' })))])).toBeUndefined();
	});

	it("accepts the spec's send examples without a template (shape only), their known spec defects aside", () => {
		const examples = readContract('meta-openapi/send-template-request.examples.json');
		for (const name of [
			'Send Message Template Text',
			'Send Message Template Media',
			'Send Catalog Template Message',
			'Send Flow Template Message',
			'Send Sample Shipping Confirmation Template',
		]) {
			const components = examples[name].value?.template?.components ?? examples[name].template.components;
			const https = JSON.parse(JSON.stringify(components).replace(/http\(s\):\/\/the-image-url/g, 'https://example.com/a.jpg'));
			expect([name, check(undefined, https)]).toEqual([name, undefined]);
		}
	});
});

describe("checkSendComponents: a single-product template (Meta's SPM templates)", () => {
	const productHeader: MetaTemplate = {
		...orderUpdate,
		name: 'new_arrival',
		components: [
			{ type: 'HEADER', format: 'PRODUCT' },
			{ type: 'BODY', text: 'Just in.' },
		],
	};
	const productButton: MetaTemplate = {
		...orderUpdate,
		name: 'view_item',
		components: [
			{ type: 'BODY', text: 'Have a look.' },
			{ type: 'BUTTONS', buttons: [{ type: 'SPM', text: 'View' }] },
		],
	};

	const product = (over: Record<string, unknown> = {}): Any => ({
		type: 'header',
		parameters: [{ type: 'product', product: { product_retailer_id: 'sku-1', catalog_id: '194836987003835', ...over } }],
	});

	it("takes the product and its catalog in the header, as Meta's single-product template send writes them", () => {
		expect(check(productHeader, [product()])).toBeUndefined();
		expect(check(undefined, [product()])).toBeUndefined();
		expect(specErrors(send(productHeader, [product()]))).toEqual([]);
	});

	it.each([
		[
			'its product header left out',
			productHeader,
			[],
			{ key: 'api_error_template_params', params: { component: 'header', expected: 1, given: 0 } },
		],
		[
			'a product without its catalog',
			productHeader,
			[product({ catalog_id: undefined })],
			{
				key: 'api_error_component_field',
				params: { path: 'template.components[0].parameters[0].product.catalog_id', expected: { phrase: 'expected_catalog_id' } },
			},
		],
		[
			'a product id with a line break',
			productHeader,
			[product({ product_retailer_id: 'sku\n1' })],
			{
				key: 'api_error_component_field',
				params: {
					path: 'template.components[0].parameters[0].product.product_retailer_id',
					expected: { phrase: 'expected_one_line_text' },
				},
			},
		],
		[
			'an image in a product header',
			productHeader,
			[{ type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/a.jpg' } }] }],
			{ key: 'api_error_component_field', params: { path: 'template.components[0].parameters[0].type', expected: '"product"' } },
		],
		[
			'a component for its View button, which takes none',
			productButton,
			[{ type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: 'x' }] }],
			{ key: 'api_error_button_no_parameters', params: { path: 'template.components[0]', index: 0, type: 'SPM' } },
		],
	])('refuses %s', (_, template, components, expected) => {
		expect(check(template, components)).toEqual(expected);
	});
	it('an SPM button alone needs nothing', () => {
		expect(check(productButton, [])).toBeUndefined();
	});
});

describe('checkSendComponents: components', () => {
	it.each<[string, MetaTemplate | undefined, unknown, unknown]>([
		['components that are not an array', orderUpdate, { type: 'body' }, field('template.components')],
		['a component that is not an object', orderUpdate, [null], field('template.components[0]', 'an object')],
		[
			'a component type that is not a string',
			orderUpdate,
			[{ type: ['body'], parameters: [text('1')] }],
			field('template.components[0].type'),
		],
		[
			'an unknown component type',
			orderUpdate,
			[body(text('1')), { type: 'bodyx', parameters: [] }],
			{ key: 'api_error_component_unknown', params: { path: 'template.components[1].type', type: 'bodyx' } },
		],
		[
			'a footer (never takes parameters)',
			rich,
			[...richValid(), { type: 'footer', parameters: [text('x')] }],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[4]', component: 'footer' } },
		],
		[
			'a footer, template unknown',
			undefined,
			[{ type: 'footer', parameters: [text('x')] }],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[0]', component: 'footer' } },
		],
		[
			'a carousel on a template without one',
			orderUpdate,
			[body(text('1')), { type: 'carousel', cards: [{ card_index: 0, components: [] }] }],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[1]', component: 'carousel' } },
		],
		[
			'a limited-time offer on a template without one',
			orderUpdate,
			[
				body(text('1')),
				{ type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: 1 } }] },
			],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[1]', component: 'limited_time_offer' } },
		],
		[
			'a malformed limited-time offer',
			lto,
			[image(), body(text('a'), text('b')), { type: 'limited_time_offer', parameters: [null] }],
			field('template.components[2].parameters'),
		],
		[
			'an offer expiration in seconds',
			lto,
			[image(), body(text('a'), text('b')), offer(1767225600), ...ltoButtons()],
			field(
				'template.components[2].parameters[0].limited_time_offer.expiration_time_ms',
				"the offer's expiration as a UNIX timestamp in milliseconds (such as 1767225600000)",
			),
		],
		[
			'an offer expiration that is not a number',
			lto,
			[image(), body(text('a'), text('b')), offer('soon'), ...ltoButtons()],
			field('template.components[2].parameters[0].limited_time_offer.expiration_time_ms'),
		],
		[
			'an offer expiration in digits with leading zeros (the modal refuses them too)',
			lto,
			[image(), body(text('a'), text('b')), offer('0001767225600000'), ...ltoButtons()],
			field('template.components[2].parameters[0].limited_time_offer.expiration_time_ms'),
		],
		[
			'an offer without the expiration the template shows',
			lto,
			[image(), body(text('a'), text('b')), offer(), ...ltoButtons()],
			field('template.components[2].parameters[0].limited_time_offer.expiration_time_ms'),
		],
		[
			'the limited-time offer left out of a template whose offer expires',
			lto,
			[image(), body(text('a'), text('b')), ...ltoButtons()],
			{ key: 'api_error_component_missing', params: { component: 'limited_time_offer' } },
		],
		["a carousel template's cards left out", carousel, [], { key: 'api_error_component_missing', params: { component: 'carousel' } }],
		[
			'a header on a template without one',
			orderUpdate,
			[image(), body(text('1'))],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[0]', component: 'header' } },
		],
		[
			'the body given twice',
			orderUpdate,
			[body(text('1')), body(text('2'))],
			{ key: 'api_error_component_repeated', params: { path: 'template.components[1]', component: 'body' } },
		],
		[
			'the same button given twice',
			rich,
			[...richValid(), richValid()[2]],
			{ key: 'api_error_component_repeated', params: { path: 'template.components[4]', component: 'button 0' } },
		],
		[
			'body parameters missing where the template has a variable',
			orderUpdate,
			[{ type: 'body' }],
			{ key: 'api_error_template_params', params: { component: 'body', expected: 1, given: 0 } },
		],
		[
			'button parameters missing (ButtonComponent requires them)',
			rich,
			[...richValid().slice(0, 2), { type: 'button', sub_type: 'url', index: '0' }],
			field('template.components[2].parameters'),
		],
		[
			'parameters not an array',
			orderUpdate,
			[{ type: 'body', parameters: { 0: text('1') } }],
			field('template.components[0].parameters'),
		],
		[
			'a body parameter short',
			rich,
			[richValid()[0], body(text('a'), text('b')), ...richValid().slice(2)],
			{ key: 'api_error_template_params', params: { component: 'body', expected: 3, given: 2 } },
		],
		[
			'a header parameter too many',
			rich,
			[{ type: 'header', parameters: [text('a'), text('b')] }, ...richValid().slice(1)],
			{ key: 'api_error_template_params', params: { component: 'header', expected: 1, given: 2 } },
		],
		['the body left out', orderUpdate, [], { key: 'api_error_template_params', params: { component: 'body', expected: 1, given: 0 } }],
		[
			'the media header left out',
			imageTemplate,
			[body(text('x'))],
			{ key: 'api_error_template_params', params: { component: 'header', expected: 1, given: 0 } },
		],
		[
			'a URL button with a suffix left out',
			rich,
			richValid().filter((c) => c.sub_type !== 'url'),
			{ key: 'api_error_template_params', params: { component: 'button 0', expected: 1, given: 0 } },
		],
		['an empty header, template unknown', undefined, [{ type: 'header', parameters: [] }], field('template.components[0].parameters')],
		[
			// HeaderComponent.parameters has minItems 1: refused as when the template is unknown (0 === 0 let it pass).
			'an empty header for a header without variables',
			fallSale,
			[{ type: 'header', parameters: [] }, body(text('Mark'), text('FALL25'))],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[0]', component: 'header' } },
		],
		[
			'a header parameter for a header without variables',
			fallSale,
			[{ type: 'header', parameters: [text('x')] }, body(text('Mark'), text('FALL25'))],
			{ key: 'api_error_component_unexpected', params: { path: 'template.components[0]', component: 'header' } },
		],
		[
			'an empty header for a header with a variable',
			coupon,
			[{ type: 'header', parameters: [] }, body(text('a'), text('b'))],
			{ key: 'api_error_template_params', params: { component: 'header', expected: 1, given: 0 } },
		],
	])('refuses %s', (_what, template, components, problem) => {
		expect(check(template, components)).toEqual(problem);
	});

	it('an unknown component type is told every type the check accepts, in every language', () => {
		const problem = check(undefined, [{ type: 'bodyx' }]) as { key: string; params: Record<string, string> };
		expect(translate('en', problem.key, problem.params)).toBe(
			'Invalid template.components[0].type: "bodyx" is not a component type of a template send; expected "header", "body", "button", "footer", "limited_time_offer" or "carousel".',
		);
		expect(translate('es', problem.key, problem.params)).toBe(
			'template.components[0].type no válido: "bodyx" no es un tipo de componente de un envío de plantilla; se esperaba "header", "body", "button", "footer", "limited_time_offer" o "carousel".',
		);
		// Each type the text names is one the check takes (never refused as unknown), and no other is.
		for (const lang of ['en', 'es', 'pt-BR']) {
			const named = [...translate(lang, problem.key, problem.params).matchAll(/"([a-z_]+)"/g)]
				.map((m) => m[1])
				.filter((w) => w !== 'bodyx');
			expect([lang, named]).toEqual([lang, ['header', 'body', 'button', 'footer', 'limited_time_offer', 'carousel']]);
			for (const type of named)
				expect([type, (check(undefined, [{ type }]) as { key?: string } | undefined)?.key]).not.toEqual([
					type,
					'api_error_component_unknown',
				]);
		}
		for (const type of ['headers', 'buttons', 'carousels', 'lto'])
			expect((check(undefined, [{ type }]) as { key?: string } | undefined)?.key).toBe('api_error_component_unknown');
	});
});

describe('checkSendComponents: header and body parameters', () => {
	const p = (i = 0) => `template.components[0].parameters[${i}]`;
	it.each<[string, MetaTemplate | undefined, unknown[], unknown]>([
		['a null parameter (sent to Meta before, then a 500)', orderUpdate, [body(null)], field(p(), 'an object')],
		['a null parameter, template unknown', undefined, [body(null)], field(p(), 'an object')],
		['a parameter that is a string', orderUpdate, [body('42')], field(p(), 'an object')],
		['a parameter without type', orderUpdate, [body({ text: '42' })], field(`${p()}.type`)],
		['an unknown parameter type', orderUpdate, [body({ type: 'txt', text: '42' })], field(`${p()}.type`)],
		['an image in the body', orderUpdate, [body({ type: 'image', image: { link: 'https://a.example/x.jpg' } })], field(`${p()}.type`)],
		['a text that is a number', orderUpdate, [body(text(42))], field(`${p()}.text`, 'a non-empty string')],
		['a text that is null', orderUpdate, [body(text(null))], field(`${p()}.text`, 'a non-empty string')],
		['a text missing', orderUpdate, [body({ type: 'text' })], field(`${p()}.text`, 'a non-empty string')],
		['an empty text', orderUpdate, [body(text(''))], field(`${p()}.text`, 'a non-empty string')],
		['a blank text', orderUpdate, [body(text('   '))], field(`${p()}.text`, 'a non-empty string')],
		[
			'a 100 kB body text',
			orderUpdate,
			[body(text('x'.repeat(100000)))],
			{ key: 'api_error_parameter_too_long', params: { path: `${p()}.text`, max: 32768, given: 100000 } },
		],
		[
			'a 100 kB body text, template unknown',
			undefined,
			[body(text('x'.repeat(100000)))],
			{ key: 'api_error_parameter_too_long', params: { path: `${p()}.text`, max: 32768, given: 100000 } },
		],
		[
			'a line break in a body text',
			orderUpdate,
			[body(text('a\nb'))],
			{ key: 'api_error_parameter_whitespace', params: { path: `${p()}.text` } },
		],
		[
			'a carriage return in a body text',
			orderUpdate,
			[body(text('a\rb'))],
			{ key: 'api_error_parameter_whitespace', params: { path: `${p()}.text` } },
		],
		[
			'a tab in a body text',
			orderUpdate,
			[body(text('a\tb'))],
			{ key: 'api_error_parameter_whitespace', params: { path: `${p()}.text` } },
		],
		[
			'5 consecutive spaces in a body text',
			orderUpdate,
			[body(text('a     b'))],
			{ key: 'api_error_parameter_whitespace', params: { path: `${p()}.text` } },
		],
		[
			'a line break in a header text (the modal refuses it too)',
			rich,
			[{ type: 'header', parameters: [text('Hi\nAna')] }, ...richValid().slice(1)],
			{ key: 'api_error_parameter_whitespace', params: { path: 'template.components[0].parameters[0].text' } },
		],
		[
			'a line break in a body text, template unknown',
			undefined,
			[body(text('a\nb'))],
			{ key: 'api_error_parameter_whitespace', params: { path: `${p()}.text` } },
		],
		[
			'a currency without amount_1000',
			orderUpdate,
			[body({ type: 'currency', currency: { fallback_value: '$1', code: 'USD' } })],
			field(`${p()}.currency.amount_1000`),
		],
		[
			'a currency with a fractional amount_1000',
			orderUpdate,
			[body({ type: 'currency', currency: { fallback_value: '$1', code: 'USD', amount_1000: 1.5 } })],
			field(`${p()}.currency.amount_1000`),
		],
		[
			'a currency without code',
			orderUpdate,
			[body({ type: 'currency', currency: { fallback_value: '$1', amount_1000: 1000 } })],
			field(`${p()}.currency.code`),
		],
		[
			'a currency code that is not ISO 4217',
			orderUpdate,
			[body({ type: 'currency', currency: { fallback_value: '$1', code: 'dollars', amount_1000: 1000 } })],
			field(`${p()}.currency.code`),
		],
		[
			'a currency without fallback_value',
			orderUpdate,
			[body({ type: 'currency', currency: { code: 'USD', amount_1000: 1000 } })],
			field(`${p()}.currency.fallback_value`, 'a non-empty string'),
		],
		['a currency that is not an object', orderUpdate, [body({ type: 'currency', currency: '$1' })], field(`${p()}.currency`)],
		[
			'a date_time without fallback_value',
			orderUpdate,
			[body({ type: 'date_time', date_time: { year: 2026 } })],
			field(`${p()}.date_time.fallback_value`, 'a non-empty string'),
		],
		['a date_time that is not an object', orderUpdate, [body({ type: 'date_time' })], field(`${p()}.date_time`)],
		['a named parameter without parameter_name', orderNamed, [body(text('Ana'), text('A-1'))], field(`${p()}.parameter_name`)],
		[
			'an unknown parameter_name',
			orderNamed,
			[
				body(
					{ type: 'text', parameter_name: 'last_name', text: 'Ana' },
					{ type: 'text', parameter_name: 'order_number', text: 'A-1' },
				),
			],
			field(`${p()}.parameter_name`),
		],
		[
			'a parameter_name given twice',
			orderNamed,
			[body({ type: 'text', parameter_name: 'first_name', text: 'Ana' }, { type: 'text', parameter_name: 'first_name', text: 'Bo' })],
			field(`${p(1)}.parameter_name`),
		],
		[
			'a header text over 60 characters',
			rich,
			[{ type: 'header', parameters: [text('x'.repeat(61))] }, ...richValid().slice(1)],
			{ key: 'api_error_parameter_too_long', params: { path: `${p()}.text`, max: 60, given: 61 } },
		],
		[
			'an image header given a video',
			imageTemplate,
			[{ type: 'header', parameters: [{ type: 'video', video: { link: 'https://a.example/v.mp4' } }] }, body(text('x'))],
			field(`${p()}.type`, '"image"'),
		],
		[
			'an image header given a text',
			imageTemplate,
			[{ type: 'header', parameters: [text('x')] }, body(text('x'))],
			field(`${p()}.type`, '"image"'),
		],
		['a text header given an image', rich, [image(), ...richValid().slice(1)], field(`${p()}.type`, '"text"')],
		['an image without link or id', imageTemplate, [image({ image: {} }), body(text('x'))], field(`${p()}.image`)],
		[
			'an image that is not an object',
			imageTemplate,
			[image({ image: 'https://a.example/x.jpg' }), body(text('x'))],
			field(`${p()}.image`),
		],
		[
			'an image link that is a number',
			imageTemplate,
			[image({ image: { link: 42 } }), body(text('x'))],
			field(`${p()}.image.link`, 'an http or https link'),
		],
		[
			'a javascript: link',
			imageTemplate,
			[image({ image: { link: 'javascript:alert(1)' } }), body(text('x'))],
			field(`${p()}.image.link`, 'an http or https link'),
		],
		[
			'an ftp link',
			imageTemplate,
			[image({ image: { link: 'ftp://a.example/x.jpg' } }), body(text('x'))],
			field(`${p()}.image.link`, 'an http or https link'),
		],
		[
			'a link that is not a URL',
			imageTemplate,
			[image({ image: { link: 'https://' } }), body(text('x'))],
			field(`${p()}.image.link`, 'an http or https link'),
		],
		['a media id that names a path', imageTemplate, [image({ image: { id: '../me' } }), body(text('x'))], field(`${p()}.image.id`)],
		[
			'both link and id',
			imageTemplate,
			[image({ image: { id: '1', link: 'https://a.example/x.jpg' } }), body(text('x'))],
			field(`${p()}.image`),
		],
		[
			'a media link, template unknown',
			undefined,
			[image({ image: { link: 'javascript:alert(1)' } })],
			field(`${p()}.image.link`, 'an http or https link'),
		],
		[
			'a document filename that is not a string',
			invoice,
			[
				{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://a.example/f.pdf', filename: 7 } }] },
				body(text('x')),
			],
			field(`${p()}.document.filename`),
		],
		[
			'a location without latitude',
			orderDelivery,
			[{ type: 'header', parameters: [{ type: 'location', location: { longitude: '1' } }] }],
			field(`${p()}.location.latitude`),
		],
	])('refuses %s, naming the parameter', (_what, template, components, problem) => {
		expect(check(template, components)).toEqual(problem);
	});

	it('limits a body text to 1024 characters when the template has other components', () => {
		const components = richValid();
		components[1].parameters[0] = text('x'.repeat(1025));
		expect(check(rich, components)).toEqual({
			key: 'api_error_parameter_too_long',
			params: { path: 'template.components[1].parameters[0].text', max: 1024, given: 1025 },
		});
		components[1].parameters[0] = text('x'.repeat(1024));
		expect(check(rich, components)).toBeUndefined();
	});

	it("accepts a header without variables left out, and an empty body of a template without variables (BodyComponent.parameters has no minItems in Meta's spec)", () => {
		expect(check(fallSale, [body(text('Mark'), text('FALL25'))])).toBeUndefined();
		expect(check(fallSale, [{ type: 'header' }, body(text('Mark'), text('FALL25'))])).toBeUndefined();
		expect(check(hello, [{ type: 'body', parameters: [] }])).toBeUndefined();
		expect(check(undefined, [{ type: 'body', parameters: [] }])).toBeUndefined();
	});

	it('without the template, does not count parameters (Meta does)', () => {
		expect(check(undefined, [body(text('a'), text('b'), text('c'))])).toBeUndefined();
		expect(check(undefined, [])).toBeUndefined();
		expect(check(undefined, undefined)).toBeUndefined();
	});
});

describe('checkSendComponents: buttons', () => {
	const b = (over: Record<string, unknown>) => [
		...richValid().slice(0, 2),
		{ type: 'button', sub_type: 'url', index: '0', parameters: [text('A-42')], ...over },
		richValid()[3],
	];
	const at = 'template.components[2]';
	it.each<[string, MetaTemplate | undefined, unknown[], unknown]>([
		['a button without sub_type', rich, b({ sub_type: undefined }), field(`${at}.sub_type`)],
		['an unknown sub_type', rich, b({ sub_type: 'link' }), field(`${at}.sub_type`)],
		[
			"a sub_type other than the template button's",
			rich,
			b({ sub_type: 'quick_reply', parameters: [{ type: 'payload', payload: 'x' }] }),
			field(`${at}.sub_type`, '"url" (the template\'s button 0 is URL)'),
		],
		['a button without index', rich, b({ index: undefined }), field(`${at}.index`)],
		['an index out of 0-9', rich, b({ index: '10' }), field(`${at}.index`)],
		['an index that is not a number', rich, b({ index: '00x' }), field(`${at}.index`)],
		['a negative index', rich, b({ index: -1 }), field(`${at}.index`)],
		[
			'a button at an index the template does not have',
			rich,
			[...richValid(), { type: 'button', sub_type: 'url', index: '5', parameters: [text('x')] }],
			{ key: 'api_error_button_unknown', params: { path: 'template.components[4].index', index: 5 } },
		],
		[
			'a payload on a URL button',
			rich,
			b({ parameters: [{ type: 'payload', payload: 'x' }] }),
			field(`${at}.parameters[0].type`, '"text"'),
		],
		[
			'an extra parameter on a URL button',
			rich,
			b({ parameters: [text('a'), text('b')] }),
			{ key: 'api_error_template_params', params: { component: 'button 0', expected: 1, given: 2 } },
		],
		[
			'an empty URL button',
			rich,
			b({ parameters: [] }),
			{ key: 'api_error_template_params', params: { component: 'button 0', expected: 1, given: 0 } },
		],
		['a URL suffix that is not a string', rich, b({ parameters: [text(7)] }), field(`${at}.parameters[0].text`, 'a non-empty string')],
		[
			'a URL suffix of 100 kB',
			rich,
			b({ parameters: [text('x'.repeat(100000))] }),
			{ key: 'api_error_parameter_too_long', params: { path: `${at}.parameters[0].text`, max: 2000, given: 100000 } },
		],
		['a URL suffix with spaces', rich, b({ parameters: [text('a b')] }), field(`${at}.parameters[0].text`)],
		[
			'a URL suffix making a link of 2001 characters',
			rich,
			b({ parameters: [text('x'.repeat(2001 - 'https://shop.example.com/track/'.length))] }),
			{ key: 'api_error_button_link_too_long', params: { path: `${at}.parameters[0].text`, max: 2000, given: 2001 } },
		],
		[
			'a copy code of 16 characters',
			rich,
			[...richValid().slice(0, 3), { ...richValid()[3], parameters: [{ type: 'coupon_code', coupon_code: 'C'.repeat(16) }] }],
			{
				key: 'api_error_parameter_too_long',
				params: { path: 'template.components[3].parameters[0].coupon_code', max: 15, given: 16 },
			},
		],
		[
			'a copy code with a line break',
			rich,
			[...richValid().slice(0, 3), { ...richValid()[3], parameters: [{ type: 'coupon_code', coupon_code: 'SAVE\n10' }] }],
			{ key: 'api_error_parameter_whitespace', params: { path: 'template.components[3].parameters[0].coupon_code' } },
		],
		[
			'a one-time code of 16 characters',
			verification,
			[body(text('1'.repeat(16))), otp('1'.repeat(16))],
			{ key: 'api_error_parameter_too_long', params: { path: 'template.components[1].parameters[0].text', max: 15, given: 16 } },
		],
		[
			'a one-time code of 16 characters, the template as Meta lists it',
			verificationListed,
			[body(text('1'.repeat(16))), otp('1'.repeat(16))],
			{ key: 'api_error_parameter_too_long', params: { path: 'template.components[1].parameters[0].text', max: 15, given: 16 } },
		],
		[
			'a one-time code with a space',
			verification,
			[body(text('12 34')), otp('12 34')],
			field('template.components[1].parameters[0].text', 'a code without spaces'),
		],
		['a null button parameter', rich, b({ parameters: [null] }), field(`${at}.parameters[0]`, 'an object')],
		[
			'an extra parameter on a copy-code button',
			rich,
			[
				...richValid().slice(0, 3),
				{
					...richValid()[3],
					parameters: [
						{ type: 'coupon_code', coupon_code: 'A' },
						{ type: 'coupon_code', coupon_code: 'B' },
					],
				},
			],
			{ key: 'api_error_template_params', params: { component: 'button 2', expected: 1, given: 2 } },
		],
		[
			'a copy code without coupon_code',
			rich,
			[...richValid().slice(0, 3), { ...richValid()[3], parameters: [{ type: 'coupon_code' }] }],
			field('template.components[3].parameters[0].coupon_code'),
		],
		[
			'a quick reply without payload',
			rich,
			[...richValid(), { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload' }] }],
			field('template.components[4].parameters[0].payload'),
		],
		[
			'a parameter on a static URL button',
			coupon,
			[
				{ type: 'header', parameters: [text('Pablo')] },
				body(text('a'), text('b')),
				{ type: 'button', sub_type: 'url', index: '0', parameters: [text('x')] },
			],
			{ key: 'api_error_button_no_parameters', params: { path: 'template.components[2]', index: 0, type: 'URL' } },
		],
		[
			'an empty component aimed at a static URL button (not "takes 0 parameter(s); the request gives 0")',
			coupon,
			[
				{ type: 'header', parameters: [text('Pablo')] },
				body(text('a'), text('b')),
				{ type: 'button', sub_type: 'url', index: '0', parameters: [] },
			],
			{ key: 'api_error_button_no_parameters', params: { path: 'template.components[2]', index: 0, type: 'URL' } },
		],
		[
			'a component aimed at a phone number button',
			reservation,
			[
				image(),
				{
					type: 'body',
					parameters: ['number_of_guests', 'day', 'date', 'time'].map((name) => ({
						type: 'text',
						text: 'x',
						parameter_name: name,
					})),
				},
				{ type: 'button', sub_type: 'url', index: '1', parameters: [] },
			],
			{ key: 'api_error_button_no_parameters', params: { path: 'template.components[2]', index: 1, type: 'PHONE_NUMBER' } },
		],
		[
			'an empty parameters array on a button of a type this app does not know',
			{ ...hello, components: [...hello.components, { type: 'BUTTONS', buttons: [{ type: 'APP_LINK', text: 'Open' }] }] },
			[{ type: 'button', sub_type: 'url', index: '0', parameters: [] }],
			field('template.components[0].parameters', 'an array of at least one parameter'),
		],
		[
			'an empty parameters array on a URL button with a suffix (ButtonComponent.parameters minItems 1)',
			rich,
			b({ parameters: [] }),
			{ key: 'api_error_template_params', params: { component: 'button 0', expected: 1, given: 0 } },
		],
		[
			'a flow button without action',
			survey,
			[body(text('Ana')), { type: 'button', sub_type: 'flow', index: '0', parameters: [{ type: 'action' }] }],
			field('template.components[1].parameters[0].action'),
		],
		[
			'a button without parameters, template unknown',
			undefined,
			[{ type: 'button', sub_type: 'url', index: '0', parameters: [] }],
			{ key: 'api_error_template_params', params: { component: 'button 0', expected: 1, given: 0 } },
		],
		[
			'a bad sub_type, template unknown',
			undefined,
			[{ type: 'button', sub_type: 'x', index: '0', parameters: [text('a')] }],
			field('template.components[0].sub_type'),
		],
		[
			'a sub_type named as an object property (constructor), template unknown',
			undefined,
			[{ type: 'button', sub_type: 'Constructor', index: '0', parameters: [text('a')] }],
			field('template.components[0].sub_type'),
		],
		[
			'a sub_type named as an object property (__proto__), template unknown',
			undefined,
			[{ type: 'button', sub_type: '__proto__', index: '0', parameters: [text('a')] }],
			field('template.components[0].sub_type'),
		],
	])('refuses %s', (_what, template, components, problem) => {
		expect(check(template, components)).toEqual(problem);
	});
});

describe('sendableComponents: what goes to Meta once checked', () => {
	it("sends a type, a sub_type and a button index the check read loosely in Meta's spelling, the rest exactly as given", () => {
		const given = [
			{ type: 'HEADER', parameters: [{ type: 'text', text: 'Ana' }] },
			{ type: 'Body', parameters: richValid()[1].parameters },
			{ index: 0, type: 'BUTTON', sub_type: 'URL', parameters: [{ type: 'text', text: 'A-42' }] },
			{ type: 'button', sub_type: 'Quick_Reply', index: 1, parameters: [{ type: 'payload', payload: 'STOP' }] },
			{ type: 'button', sub_type: 'copy_code', index: '2', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] },
		];
		expect(check(rich, given)).toBeUndefined();
		const before = JSON.stringify(given);
		const sendable = sendableComponents(given);
		expect(JSON.stringify(given)).toBe(before); // the caller's components are left alone
		// Every key in its place, only those three values changed.
		expect(JSON.stringify(sendable)).toBe(
			JSON.stringify([
				{ type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
				{ type: 'body', parameters: richValid()[1].parameters },
				{ index: '0', type: 'button', sub_type: 'url', parameters: [{ type: 'text', text: 'A-42' }] },
				{ type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'STOP' }] },
				{ type: 'button', sub_type: 'copy_code', index: '2', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] },
			]),
		);
		// Meta's spec (with the simulator's corrections, which keep its lower-case enums) refuses what was given and takes what is sent.
		expect(allSpecErrors(send(rich, given))).not.toEqual([]);
		expect(allSpecErrors(send(rich, sendable))).toEqual([]);
		expect(check(rich, sendable)).toBeUndefined();
	});

	it("leaves components already in Meta's spelling, and what it does not read (an LTO's number), as they are; a carousel's cards as its components", () => {
		const given: Any[] = [
			...richValid(),
			{ type: 'LIMITED_TIME_OFFER', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: 1 } }] },
			{ type: 'CAROUSEL', cards: [{ card_index: 0, components: [{ type: 'BODY' }] }, 'not a card'] },
		];
		expect(sendableComponents(given)).toEqual([
			...richValid(),
			{ type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: 1 } }] },
			{ type: 'carousel', cards: [{ card_index: 0, components: [{ type: 'body' }] }, 'not a card'] },
		]);
	});

	it('sends an offer expiration given as digits as the number Meta types it', () => {
		const given = [image(), body(text('a'), text('b')), offer('1767225600000'), ...ltoButtons()];
		expect(check(lto, given)).toBeUndefined();
		expect(sendableComponents(given)[2]).toEqual(offer(1767225600000));
		expect(allSpecErrors(send(lto, sendableComponents(given)))).toEqual([]);
	});
});
