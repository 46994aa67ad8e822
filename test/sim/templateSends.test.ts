/** The simulator refuses a template send as Meta does when it does not fit the WABA's template. */
import { templateRefusal } from '../../tools/sim/templateSends';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const ORDER = {
	name: 'order_ready',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	parameter_format: 'POSITIONAL',
	components: [
		{ type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
		{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} is ready. {{1}}, see you!' },
		{ type: 'FOOTER', text: 'Acme' },
		{
			type: 'BUTTONS',
			buttons: [
				{ type: 'QUICK_REPLY', text: 'Thanks' },
				{ type: 'URL', text: 'Track', url: 'https://acme.example/track/{{1}}' },
				{ type: 'URL', text: 'Shop', url: 'https://acme.example/shop' },
			],
		},
	],
};
const text = (t: string, name?: string) => ({ type: 'text', text: t, ...(name ? { parameter_name: name } : {}) });
const FULL = [
	{ type: 'header', parameters: [text('A-7')] },
	{ type: 'body', parameters: [text('Ann'), text('A-7')] },
	{ type: 'button', sub_type: 'url', index: '1', parameters: [text('A-7')] },
];
const send = (components: Any[] = FULL, name = 'order_ready', code = 'en_US') => ({
	messaging_product: 'whatsapp',
	to: '5511987654321',
	type: 'template',
	template: { name, language: { code }, components },
});
/** What the refusal answers: HTTP status, code, details. */
const refusal = (template: Any, body: Any) => {
	const r = templateRefusal(template, body);
	if (!r) return undefined;
	const error = (r.payload as Any).error;
	return { status: r.status, code: error.code, message: error.message, details: error.error_data?.details };
};

describe('template sends checked against the WABA template', () => {
	it('accepts a send that fills every variable of the template (a variable used twice counts once)', () => {
		expect(templateRefusal(ORDER, send())).toBeUndefined();
	});

	it.each([
		['not in the WABA', undefined],
		['pending review', { ...ORDER, status: 'PENDING' }],
		['rejected', { ...ORDER, status: 'REJECTED' }],
	])('refuses a template %s with 132001, naming it and its language', (_label, template) => {
		expect(refusal(template, send())).toEqual({
			status: 404,
			code: 132001,
			message: '(#132001) Template name does not exist in the translation',
			details: 'template name (order_ready) does not exist in en_US',
		});
	});

	it.each([
		['PAUSED', 132015],
		['DISABLED', 132016],
	])('refuses a %s template with %i', (status, code) => {
		expect(refusal({ ...ORDER, status }, send())).toMatchObject({ status: 400, code });
	});

	it.each([
		[
			'the body one value short',
			[FULL[0], { type: 'body', parameters: [text('Ann')] }, FULL[2]],
			'body: number of localizable_params (1) does not match the expected number of params (2)',
		],
		[
			'no body component',
			[FULL[0], FULL[2]],
			'body: number of localizable_params (0) does not match the expected number of params (2)',
		],
		[
			'a value too many in the body',
			[FULL[0], { type: 'body', parameters: [text('Ann'), text('A-7'), text('x')] }, FULL[2]],
			'body: number of localizable_params (3) does not match the expected number of params (2)',
		],
		[
			'no header component',
			[FULL[1], FULL[2]],
			'header: number of localizable_params (0) does not match the expected number of params (1)',
		],
	])("refuses %s with 132000 and Meta's details", (_label, components, details) => {
		expect(refusal(ORDER, send(components))).toEqual({
			status: 400,
			code: 132000,
			message: '(#132000) Template Param Count Mismatch',
			details,
		});
	});

	it('refuses a header value for a template whose header has no variable', () => {
		const template = { ...ORDER, components: [{ type: 'HEADER', format: 'TEXT', text: 'Your order' }, ORDER.components[1]] };
		expect(refusal(template, send([FULL[0], FULL[1]]))).toMatchObject({
			code: 132000,
			details: 'header: number of localizable_params (1) does not match the expected number of params (0)',
		});
	});

	it.each([
		['no header', [FULL[1]], 'UNKNOWN'],
		[
			'a video for an image',
			[{ type: 'header', parameters: [{ type: 'video', video: { link: 'https://x.example/v.mp4' } }] }, FULL[1]],
			'VIDEO',
		],
	])('refuses an image header given %s with 132012', (_label, components, received) => {
		const template = { ...ORDER, components: [{ type: 'HEADER', format: 'IMAGE' }, ORDER.components[1]] };
		expect(refusal(template, send(components))).toMatchObject({
			status: 400,
			code: 132012,
			details: `header: Format mismatch, expected IMAGE, received ${received}`,
		});
		const image = { type: 'header', parameters: [{ type: 'image', image: { link: 'https://x.example/a.png' } }] };
		expect(templateRefusal(template, send([image, FULL[1]]))).toBeUndefined();
	});

	it.each([
		['LOCATION', { type: 'location', location: { latitude: '-23.5', longitude: '-46.6', name: 'Store', address: 'Av. Paulista' } }],
		['PRODUCT', { type: 'product', product: { product_retailer_id: 'sku-1', catalog_id: '194836987003835' } }],
	])('takes a %s header given its parameter, and refuses it given none with 132012', (format, parameter) => {
		const template = { ...ORDER, components: [{ type: 'HEADER', format }, ORDER.components[1]] };
		expect(templateRefusal(template, send([{ type: 'header', parameters: [parameter] }, FULL[1]]))).toBeUndefined();
		expect(refusal(template, send([FULL[1]]))).toMatchObject({
			code: 132012,
			details: `header: Format mismatch, expected ${format}, received UNKNOWN`,
		});
	});

	it('reads component types in any case, as the spec check lets them through', () => {
		expect(templateRefusal(ORDER, send(FULL.map((c) => ({ ...c, type: c.type.toUpperCase() }))))).toBeUndefined();
	});

	it("refuses a URL button's variable left without its parameter with 131008", () => {
		expect(refusal(ORDER, send([FULL[0], FULL[1]]))).toMatchObject({
			code: 131008,
			details: 'buttons: Button at index 1 of type Url requires a parameter',
		});
		expect(refusal(ORDER, send([FULL[0], FULL[1], { ...FULL[2], index: '0' }]))).toMatchObject({ code: 131008 });
	});

	it('refuses a named template given a value without its name with 100', () => {
		const named = {
			...ORDER,
			parameter_format: 'NAMED',
			components: [{ type: 'BODY', text: 'Hi {{first_name}}, order {{order_id}}' }],
		};
		const withNames = [{ type: 'body', parameters: [text('Ann', 'first_name'), text('A-7', 'order_id')] }];
		expect(templateRefusal(named, send(withNames))).toBeUndefined();
		expect(refusal(named, send([{ type: 'body', parameters: [text('Ann', 'first_name'), text('A-7')] }]))).toEqual({
			status: 400,
			code: 100,
			message: '(#100) Invalid parameter',
			details: 'Parameter name is missing or empty',
		});
	});

	it.each([
		['a line break in the body', 1, 'Ann\nSmith'],
		['a carriage return in the body', 1, 'Ann\r'],
		['a tab in the body', 1, 'Ann\tSmith'],
		['5 spaces in a row in the body', 1, 'Ann     Smith'],
		['a line break in the header', 0, 'A-\n7'],
	])('refuses a text parameter with %s with 132018, as Meta does', (_label, at, value) => {
		const components = FULL.map((c, i) =>
			i === at ? { ...c, parameters: c.parameters.map((p, j) => (j === 0 ? text(value) : p)) } : c,
		);
		expect(refusal(ORDER, send(components))).toEqual({
			status: 400,
			code: 132018,
			message: "(#132018) There's an issue with the parameters in your template",
			details: 'Param text cannot have new-line/tab characters or more than 4 consecutive spaces',
		});
	});

	it('takes 4 spaces in a row', () => {
		const components = [FULL[0], { type: 'body', parameters: [text('Ann    Smith'), text('A-7')] }, FULL[2]];
		expect(templateRefusal(ORDER, send(components))).toBeUndefined();
	});

	it("checks each carousel card against the template's card of its index", () => {
		const card = (format: string) => ({
			components: [
				{ type: 'HEADER', format },
				{ type: 'BODY', text: 'Card {{1}}' },
				{ type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'More' }] },
			],
		});
		const carousel = {
			...ORDER,
			components: [
				{ type: 'BODY', text: 'Our picks' },
				{ type: 'CAROUSEL', cards: [card('IMAGE'), card('VIDEO')] },
			],
		};
		const header = (type: string) => ({ type: 'header', parameters: [{ type, [type]: { link: `https://x.example/${type}` } }] });
		const sent = (second: Any[]) => [
			{
				type: 'carousel',
				cards: [
					{ card_index: 0, components: [header('image'), { type: 'body', parameters: [text('1')] }] },
					{ card_index: 1, components: second },
				],
			},
		];
		expect(templateRefusal(carousel, send(sent([header('video'), { type: 'body', parameters: [text('2')] }])))).toBeUndefined();
		expect(refusal(carousel, send(sent([header('image'), { type: 'body', parameters: [text('2')] }])))).toMatchObject({
			code: 132012,
			details: 'card 1: header: Format mismatch, expected VIDEO, received IMAGE',
		});
		expect(refusal(carousel, send(sent([header('video')])))).toMatchObject({
			code: 132000,
			details: 'card 1: body: number of localizable_params (0) does not match the expected number of params (1)',
		});
	});
});
