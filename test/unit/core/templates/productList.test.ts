/**
 * Multi-product message templates (an MPM button: Meta's "Multi-product message templates" page,
 * sending): the modal's inputs, Meta's limits on the sections, the send they make (checked against
 * Meta's spec), its preview and record, and the check of a list an integrator builds.
 */
import { sentTextOf } from '../../../../src/core/app/sendTemplates';
import { translator } from '../../../../src/core/i18n/translate';
import { templateMessage } from '../../../../src/core/templates/bind';
import { valuesFromComponents } from '../../../../src/core/templates/components';
import { inputLabel, inputsFor } from '../../../../src/core/templates/inputs';
import { outboundFormFills } from '../../../../src/core/templates/outboundForm';
import { renderPreview, renderText } from '../../../../src/core/templates/preview';
import { parseSections, sectionsProblem, sectionsText } from '../../../../src/core/templates/productList';
import { validateValues } from '../../../../src/core/templates/rules';
import { checkSendComponents } from '../../../../src/core/templates/sendComponents';
import { MetaTemplate } from '../../../../src/core/templates/template';
import { specErrors } from './fixtures';

/** Meta's MPM template as its page creates it: a text header with a variable, a body, the View items button. */
const CART: MetaTemplate = {
	name: 'abandoned_cart',
	language: 'en_US',
	status: 'APPROVED',
	category: 'MARKETING',
	id: '7',
	components: [
		{ type: 'HEADER', format: 'TEXT', text: 'Forget something, {{1}}?' },
		{ type: 'BODY', text: 'Looks like you left these items in your cart. Use code {{1}} to get 10% off!' },
		{ type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] },
	],
};
const VALUES = {
	'header.1': 'Pablo',
	'body.1': '10OFF',
	'button.0.thumbnail': 'sku-1',
	'button.0.sections': ' Popular Bundles: sku-1, sku-2 \n\n Premium Packages: sku-3 ',
};
const ACTION = {
	thumbnail_product_retailer_id: 'sku-1',
	sections: [
		{ title: 'Popular Bundles', product_items: [{ product_retailer_id: 'sku-1' }, { product_retailer_id: 'sku-2' }] },
		{ title: 'Premium Packages', product_items: [{ product_retailer_id: 'sku-3' }] },
	],
};
const BUTTON = { type: 'button', sub_type: 'mpm', index: '0', parameters: [{ type: 'action', action: ACTION }] };
const items = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ product_retailer_id: `sku-${from + i}` }));

describe('a multi-product list in the modal', () => {
	it("asks for the header's and body's values, the thumbnail product and the sections on several lines", () => {
		const t = translator('en');
		expect(inputsFor(CART).map((i) => [i.id, i.kind, i.required, i.multiline, inputLabel(i, t)])).toEqual([
			['header.1', 'header_text', true, undefined, 'Header {{1}}'],
			['body.1', 'body', true, undefined, 'Body {{1}}'],
			[
				'button.0.thumbnail',
				'button_product_thumbnail',
				true,
				undefined,
				'Button 1 "View items": product ID (Content ID) whose image heads the message',
			],
			[
				'button.0.sections',
				'button_product_sections',
				true,
				true,
				'Button 1 "View items": the products, one section per line: its title, a colon and a space, then the product IDs separated by commas',
			],
		]);
	});

	it("sends the list in Meta's mpm button, which Meta's spec takes", () => {
		const message = templateMessage({ to: '5511987654321', template: CART, values: VALUES });
		expect(message.template.components).toEqual([
			{ type: 'header', parameters: [{ type: 'text', text: 'Pablo' }] },
			{ type: 'body', parameters: [{ type: 'text', text: '10OFF' }] },
			BUTTON,
		]);
		expect(specErrors(message)).toEqual([]);
		// What the API's check takes too.
		expect(checkSendComponents(CART, message.template.components)).toBeUndefined();
	});

	it('a single section may leave its title out', () => {
		const message = templateMessage({
			to: '5511987654321',
			template: CART,
			values: { ...VALUES, 'button.0.sections': 'sku-1,sku-2' },
		});
		expect(message.template.components?.[2].parameters?.[0]).toEqual({
			type: 'action',
			action: { thumbnail_product_retailer_id: 'sku-1', sections: [{ product_items: items(2, 1) }] },
		});
		expect(specErrors(message)).toEqual([]);
	});

	it.each([
		['nothing', '', 'template_error_required', undefined],
		['a line of commas', ' , ,', 'template_error_product_section_empty', { section: 1 }],
		[
			'11 sections',
			Array.from({ length: 11 }, (_, i) => `S${i}: sku-${i}`).join('\n'),
			'template_error_product_sections',
			{ max: 10, given: 11 },
		],
		[
			'31 products',
			`A: ${items(16)
				.map((p) => p.product_retailer_id)
				.join(', ')}\nB: ${items(15, 16)
				.map((p) => p.product_retailer_id)
				.join(',')}`,
			'template_error_product_count',
			{ max: 30, given: 31 },
		],
		['a section without products', 'A: sku-1\nB:', 'template_error_product_section_empty', { section: 2 }],
		['a second section without a title', 'A: sku-1\nsku-2', 'template_error_product_title', { section: 2 }],
		['a title of 25 characters', `${'x'.repeat(25)}: sku-1`, 'template_error_product_title_long', { section: 1, max: 24 }],
	])("refuses %s on the sections' field, by Meta's limits", (_label, sections, key, params) => {
		expect(validateValues(CART, { ...VALUES, 'button.0.sections': sections })).toEqual({
			'button.0.sections': { key, ...(params ? { params } : {}) },
		});
	});

	it('takes 10 sections of 30 products and titles of 24 characters, and asks for the thumbnail', () => {
		const sections = Array.from({ length: 10 }, (_, i) => `${String(i).padStart(24, 'x')}: sku-${i}a, sku-${i}b, sku-${i}c`).join('\n');
		expect(validateValues(CART, { ...VALUES, 'button.0.sections': sections })).toEqual({});
		expect(validateValues(CART, { ...VALUES, 'button.0.thumbnail': ' ' })).toEqual({
			'button.0.thumbnail': { key: 'template_error_required' },
		});
		// A product id is one line, as Meta's other text parameters.
		expect(validateValues(CART, { ...VALUES, 'button.0.thumbnail': 'sku\t1' })).toEqual({
			'button.0.thumbnail': { key: 'template_error_whitespace' },
		});
	});

	it('previews the sections after the button, and the record of an API send shows them as sent', () => {
		const preview = renderPreview(CART, VALUES);
		expect(preview.products).toEqual({
			key: 'template_preview_products',
			params: { sections: 'Popular Bundles: sku-1, sku-2; Premium Packages: sku-3' },
		});
		const expected = [
			'*Forget something, Pablo?*',
			'Looks like you left these items in your cart. Use code 10OFF to get 10% off!',
			'[View items]',
			'[products: Popular Bundles: sku-1, sku-2; Premium Packages: sku-3]',
		].join('\n');
		expect(renderText(preview, (key, params) => translator('en')(key, params))).toBe(expected);
		expect(renderText(preview)).toBe(expected);
		const components = [
			{ type: 'header', parameters: [{ type: 'text', text: 'Pablo' }] },
			{ type: 'body', parameters: [{ type: 'text', text: '10OFF' }] },
			BUTTON,
		];
		expect(valuesFromComponents(CART, components)).toEqual({
			'header.1': 'Pablo',
			'body.1': '10OFF',
			'button.0.thumbnail': 'sku-1',
			'button.0.sections': 'Popular Bundles: sku-1, sku-2\nPremium Packages: sku-3',
		});
		expect(sentTextOf({ name: CART.name, language: { code: 'en_US' }, components }, { template: CART } as never)).toBe(expected);
		// Without Meta's template list: the values and the sections as sent.
		expect(sentTextOf({ name: CART.name, language: { code: 'en_US' }, components }, undefined)).toBe(
			'abandoned_cart: Pablo | 10OFF | [products: Popular Bundles: sku-1, sku-2; Premium Packages: sku-3]',
		);
		expect(renderText(renderPreview(CART, VALUES), translator('pt-BR'))).toContain(
			'[produtos: Popular Bundles: sku-1, sku-2; Premium Packages: sku-3]',
		);
	});

	it("is not one of the templates Rocket.Chat's outbound form can fill", () => {
		expect(outboundFormFills(CART)).toBe(false);
	});
});

describe('the sections as the modal reads and writes them', () => {
	it('reads one section per non-empty line, its title before the first colon and space, ids trimmed, and writes them back', () => {
		const sections = parseSections('  Summer Sale : a , b,,\r\n\n c \n');
		expect(sections).toEqual([
			{ title: 'Summer Sale', product_items: [{ product_retailer_id: 'a' }, { product_retailer_id: 'b' }] },
			{ product_items: [{ product_retailer_id: 'c' }] },
		]);
		expect(sectionsText(sections)).toBe('Summer Sale: a, b\nc');
		expect(parseSections(sectionsText(ACTION.sections))).toEqual(ACTION.sections);
	});

	it.each([
		['not a list', {}, { key: 'template_error_product_list_empty' }],
		['no section', [], { key: 'template_error_product_list_empty' }],
		['a section that is no object', ['x'], { key: 'template_error_product_section_empty', params: { section: 1 } }],
		[
			'a product without an id',
			[
				{ title: 'A', product_items: items(1) },
				{ title: 'B', product_items: [{}] },
			],
			{ key: 'template_error_product_section_empty', params: { section: 2 } },
		],
		[
			'an empty id',
			[{ product_items: [{ product_retailer_id: ' ' }] }],
			{ key: 'template_error_product_section_empty', params: { section: 1 } },
		],
		[
			'a title that is no string',
			[{ title: 7, product_items: items(1) }],
			{ key: 'template_error_product_title', params: { section: 1 } },
		],
	])('refuses %s', (_label, sections, problem) => {
		expect(sectionsProblem(sections)).toEqual(problem);
	});

	it('reads a colon inside an id as part of it: a title ends at a colon followed by a space', () => {
		expect(parseSections('SKU:1, SKU:2')).toEqual([
			{ product_items: [{ product_retailer_id: 'SKU:1' }, { product_retailer_id: 'SKU:2' }] },
		]);
		expect(parseSections('Sale: SKU:1\nNew:SKU:2')).toEqual([
			{ title: 'Sale', product_items: [{ product_retailer_id: 'SKU:1' }] },
			{ product_items: [{ product_retailer_id: 'New:SKU:2' }] },
		]);
		expect(parseSections('Sale:')).toEqual([{ title: 'Sale', product_items: [] }]);
		expect(parseSections('Deals 10:30: a')).toEqual([{ title: 'Deals 10:30', product_items: [{ product_retailer_id: 'a' }] }]);
	});
});

describe("an integrator's multi-product list (templateMessage)", () => {
	const HEADER_BODY = [
		{ type: 'header', parameters: [{ type: 'text', text: 'Pablo' }] },
		{ type: 'body', parameters: [{ type: 'text', text: '10OFF' }] },
	];
	const withAction = (action: unknown) => [...HEADER_BODY, { ...BUTTON, parameters: [{ type: 'action', action }] }];

	it('must give the mpm button: Meta refuses the template without its products', () => {
		expect(checkSendComponents(CART, HEADER_BODY)).toEqual({
			key: 'api_error_template_params',
			params: { component: 'button 0', expected: 1, given: 0 },
		});
	});

	it.each([
		[
			'no thumbnail',
			{ sections: ACTION.sections },
			'template.components[2].parameters[0].action.thumbnail_product_retailer_id',
			'expected_one_line_text',
		],
		[
			'31 products',
			{ ...ACTION, sections: [{ title: 'A', product_items: items(31) }] },
			'template.components[2].parameters[0].action.sections',
			'expected_product_sections',
		],
		[
			'two sections, one untitled',
			{ ...ACTION, sections: [ACTION.sections[0], { product_items: items(1) }] },
			'template.components[2].parameters[0].action.sections',
			'expected_product_sections',
		],
		[
			'no sections',
			{ thumbnail_product_retailer_id: 'sku-1' },
			'template.components[2].parameters[0].action.sections',
			'expected_product_sections',
		],
	])('refuses %s, naming the field', (_label, action, path, phrase) => {
		expect(checkSendComponents(CART, withAction(action))).toEqual({
			key: 'api_error_component_field',
			params: { path, expected: { phrase } },
		});
	});

	it('refuses a product id holding a line break or a tab, naming it', () => {
		const tabbed = { ...ACTION, sections: [ACTION.sections[0], { title: 'B', product_items: [{ product_retailer_id: 'sku\t3' }] }] };
		expect(checkSendComponents(CART, withAction(tabbed))).toEqual({
			key: 'api_error_component_field',
			params: {
				path: 'template.components[2].parameters[0].action.sections[1].product_items[0].product_retailer_id',
				expected: { phrase: 'expected_one_line_text' },
			},
		});
		expect(checkSendComponents(CART, withAction({ ...ACTION, thumbnail_product_retailer_id: 'sku\n1' }))).toMatchObject({
			params: { path: 'template.components[2].parameters[0].action.thumbnail_product_retailer_id' },
		});
	});

	it('checks the list without the template too (the template list out of reach)', () => {
		expect(checkSendComponents(undefined, withAction({ ...ACTION, sections: [] }))).toMatchObject({
			key: 'api_error_component_field',
			params: { path: 'template.components[2].parameters[0].action.sections' },
		});
		expect(checkSendComponents(undefined, withAction(ACTION))).toBeUndefined();
	});
});
