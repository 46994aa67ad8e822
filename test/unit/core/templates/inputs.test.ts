import { groupTemplates } from '../../../../src/core/templates/catalog';
import { TemplateError } from '../../../../src/core/templates/errors';
import { formCannotFill, inputsFor } from '../../../../src/core/templates/inputs';
import { MetaTemplate } from '../../../../src/core/templates/template';
import {
	catalogOffer,
	coupon,
	fallSale,
	invoice,
	lto,
	orderDelivery,
	orderNamed,
	readContract,
	reservation,
	survey,
	verification,
	verificationListed,
} from './fixtures';

const summary = (template: MetaTemplate) => inputsFor(template).map((i) => [i.id, i.kind, i.example, i.required]);

describe('inputsFor', () => {
	it("positional text header and body with Meta's examples; optional quick-reply payload; no input for a static URL", () => {
		expect(summary(coupon)).toEqual([
			['header.1', 'header_text', 'Pablo', true],
			['body.1', 'body', 'SUMMER20', true],
			['body.2', 'body', '10', true],
			['button.1.payload', 'button_quick_reply', 'Unsubscribe', false],
		]);
		expect(inputsFor(coupon)[1]).toEqual({
			id: 'body.1',
			kind: 'body',
			component: 'body',
			position: 1,
			labelKey: 'template_input_body',
			labelParams: { name: '1' },
			example: 'SUMMER20',
			required: true,
		});
	});

	it('named body parameters in order of appearance; image link; phone button has no input', () => {
		expect(summary(reservation)).toEqual([
			['header.link', 'header_media_link', 'https://', true],
			['body.number_of_guests', 'body', '4', true],
			['body.day', 'body', 'Saturday', true],
			['body.date', 'body', 'August 30th, 2025', true],
			['body.time', 'body', '7:30 pm', true],
			['button.2.payload', 'button_quick_reply', 'Cancel reservation', false],
		]);
		expect(inputsFor(orderNamed)[0]).toMatchObject({
			id: 'body.first_name',
			paramName: 'first_name',
			labelParams: { name: 'first_name' },
		});
		expect(inputsFor(orderNamed)[0]).not.toHaveProperty('position');
	});

	it('location header: latitude, longitude, name, address', () => {
		expect(inputsFor(orderDelivery).map((i) => [i.id, i.kind, i.labelKey])).toEqual([
			['header.latitude', 'header_location_latitude', 'template_input_location_latitude'],
			['header.longitude', 'header_location_longitude', 'template_input_location_longitude'],
			['header.name', 'header_location_name', 'template_input_location_name'],
			['header.address', 'header_location_address', 'template_input_location_address'],
			['body.1', 'body', 'template_input_body'],
			['body.2', 'body', 'template_input_body'],
			['button.0.payload', 'button_quick_reply', 'template_input_button_payload'],
		]);
	});

	it('document link and file name', () => {
		expect(summary(invoice)).toEqual([
			['header.link', 'header_media_link', 'https://', true],
			['header.filename', 'header_document_filename', 'document.pdf', true],
			['body.1', 'body', undefined, true],
		]);
		expect(inputsFor(invoice)[0].labelKey).toBe('template_input_header_document');
	});

	it('offer expiration, coupon code and URL suffix (the example is the part after the base link)', () => {
		expect(summary(lto)).toEqual([
			['header.link', 'header_media_link', 'https://', true],
			['body.1', 'body', 'Pablo', true],
			['body.2', 'body', 'CARIBE25', true],
			['offer.expiration', 'offer_expiration', undefined, true],
			['button.0.coupon', 'button_copy_code', 'CARIBE25', true],
			['button.1.url', 'button_url', 'n3mtql', true],
		]);
		expect(inputsFor(lto)[5]).toMatchObject({
			component: 'button',
			index: 1,
			labelParams: { index: 2, text: 'Book now!', url: 'https://awesomedestinations.com/offers?code={{1}}' },
		});
	});

	it('authentication: one input, the code, for the body and the OTP button', () => {
		expect(inputsFor(verification)).toEqual([
			{
				id: 'body.1',
				kind: 'button_otp',
				component: 'body',
				position: 1,
				index: 0,
				labelKey: 'template_input_otp',
				labelParams: {},
				required: true,
			},
		]);
	});

	it('authentication as Meta lists it (the code button as a URL to whatsapp.com/otp): one code input, no URL suffix', () => {
		expect(inputsFor(verificationListed)).toEqual([
			{
				id: 'body.1',
				kind: 'button_otp',
				component: 'body',
				position: 1,
				index: 0,
				labelKey: 'template_input_otp',
				labelParams: {},
				example: '123456',
				required: true,
			},
		]);
		// The same link outside an authentication template is an ordinary URL button.
		const marketing = { ...verificationListed, category: 'MARKETING' };
		expect(summary(marketing)).toEqual([
			['body.1', 'body', '123456', true],
			['button.0.url', 'button_url', '123456', true],
		]);
		// An authentication template's URL button elsewhere is not the code button.
		const elsewhere: MetaTemplate = {
			...verificationListed,
			components: verificationListed.components.map((c) =>
				c.type === 'BUTTONS' ? { ...c, buttons: [{ type: 'URL', text: 'Open', url: 'https://example.com/otp/{{1}}' }] } : c,
			),
		};
		expect(summary(elsewhere).map(([id, kind]) => [id, kind])).toEqual([
			['body.1', 'body'],
			['button.0.url', 'button_url'],
		]);
	});

	it('catalog button: an optional product ID for the thumbnail', () => {
		expect(summary(catalogOffer)).toEqual([
			['body.1', 'body', '100', true],
			['body.2', 'body', '400', true],
			['body.3', 'body', '3', true],
			['button.0.thumbnail', 'button_catalog', undefined, false],
		]);
		expect(inputsFor(catalogOffer)[3]).toMatchObject({
			component: 'button',
			index: 0,
			labelKey: 'template_input_button_catalog',
			labelParams: { index: 1, text: 'View catalog' },
		});
		expect(formCannotFill(catalogOffer)).toBeUndefined();
	});

	it('the form cannot fill a carousel Meta lists without cards; a multi-product list asks for its thumbnail product and sections, a single product for its product and catalog', () => {
		const withButton = (type: string): MetaTemplate => ({
			...catalogOffer,
			components: [
				{ type: 'BODY', text: 'Hi' },
				{ type: 'BUTTONS', buttons: [{ type, text: 'View' }] },
			],
		});
		expect(formCannotFill(withButton('MPM'))).toBeUndefined();
		expect(summary(withButton('MPM'))).toEqual([
			['button.0.thumbnail', 'button_product_thumbnail', undefined, true],
			['button.0.sections', 'button_product_sections', 'A: sku-1, sku-2', true],
		]);
		expect(inputsFor(withButton('MPM'))[1]).toMatchObject({
			labelKey: 'template_input_button_product_sections',
			labelParams: { index: 1, text: 'View' },
			multiline: true,
		});
		expect(formCannotFill({ ...catalogOffer, components: [{ type: 'BODY', text: 'Hi' }, { type: 'CAROUSEL' }] })).toBe('carousel');
		// Meta's SPM template: a PRODUCT header, a body, an SPM ("View") button, which takes nothing at send time.
		const single: MetaTemplate = {
			...catalogOffer,
			components: [{ type: 'HEADER', format: 'PRODUCT' }, { type: 'BODY', text: 'Hi' }, ...withButton('SPM').components.slice(1)],
		};
		expect(formCannotFill(single)).toBeUndefined();
		expect(summary(single)).toEqual([
			['header.product_retailer_id', 'header_product_id', undefined, true],
			['header.catalog_id', 'header_product_catalog', undefined, true],
		]);
	});

	it('flow token (optional); nothing to fill for a template without variables', () => {
		expect(summary(survey)).toEqual([
			['body.1', 'body', undefined, true],
			['button.0.flow_token', 'button_flow_token', undefined, false],
		]);
		expect(inputsFor(readContract('meta-openapi/message-templates-list-response.example.json').data[0])).toEqual([]);
		expect(inputsFor(fallSale).map((i) => i.id)).toEqual(['body.1', 'body.2', 'button.0.payload']);
	});

	it('a repeated placeholder is one input; positional ones sorted by number', () => {
		const t: MetaTemplate = {
			name: 'x',
			language: 'en',
			status: 'APPROVED',
			components: [{ type: 'BODY', text: '{{2}} then {{1}} and {{2}} again' }],
		};
		expect(inputsFor(t).map((i) => i.id)).toEqual(['body.1', 'body.2']);
	});

	it('ids are stable across the languages of a template, so values survive a language switch', () => {
		const pt: MetaTemplate = {
			...coupon,
			language: 'pt_BR',
			components: [
				{ type: 'HEADER', format: 'TEXT', text: 'Corra, {{1}}!' },
				{ type: 'BODY', text: 'Seu cupom {{1}} vence em {{2}} dias.' },
			],
		};
		const [group] = groupTemplates([coupon, pt]);
		expect(inputsFor(group, 'pt_BR').map((i) => i.id)).toEqual(['header.1', 'body.1', 'body.2']);
		expect(inputsFor(group, 'en').map((i) => i.id)).toEqual(expect.arrayContaining(inputsFor(group, 'pt_BR').map((i) => i.id)));
	});

	it('a language the template does not have is a TemplateError', () => {
		const [group] = groupTemplates([coupon]);
		expect(() => inputsFor(group, 'de')).toThrow(TemplateError);
		expect(() => inputsFor(group, 'de')).toThrow(
			expect.objectContaining({
				code: 'template_language_missing',
				status: 404,
				i18nKey: 'graph_error_132001',
				params: { name: coupon.name, language: 'de' },
			}),
		);
	});
});
