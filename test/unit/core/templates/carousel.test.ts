/**
 * Media card carousel templates (Meta's "Media card carousel templates" and "Sending Media Card
 * Carousel Templates" pages): the modal's inputs card by card, Meta's rules on them, the send they
 * make, its preview, and the check of a carousel an integrator builds.
 */
import { fieldKey } from '../../../../src/core/app/sendTemplateModal';
import { sentTextOf } from '../../../../src/core/app/sendTemplates';
import { translator } from '../../../../src/core/i18n/translate';
import { bindComponents, templateMessage } from '../../../../src/core/templates/bind';
import { valuesFromComponents } from '../../../../src/core/templates/components';
import { formCannotFill, inputLabel, inputsFor } from '../../../../src/core/templates/inputs';
import { renderPreview, renderText } from '../../../../src/core/templates/preview';
import { validateValues } from '../../../../src/core/templates/rules';
import { checkSendComponents, sendableComponents } from '../../../../src/core/templates/sendComponents';
import { MetaTemplate } from '../../../../src/core/templates/template';
import { CAROUSEL_COMPONENTS as BOUND, CAROUSEL_VALUES as VALUES, PRODUCT_CAROUSEL } from '../../../support/carousel';
import { allSpecErrors, carousel, specErrors } from './fixtures';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const productCarousel = PRODUCT_CAROUSEL;

describe('a media card carousel in the modal', () => {
	it("asks for the message body's parameters, then each card's media link, parameters and buttons, under the card's ids", () => {
		expect(inputsFor(carousel).map((i) => [i.id, i.kind, i.card, i.example, i.required])).toEqual([
			['body.1', 'body', undefined, '15OFF', true],
			['body.2', 'body', undefined, '15%', true],
			['card.0.header.link', 'header_media_link', 0, 'https://', true],
			['card.0.body.1', 'body', 0, '15OFF', true],
			['card.0.body.2', 'body', 0, '15%', true],
			['card.0.button.0.payload', 'button_quick_reply', 0, 'Send more like this', false],
			['card.0.button.1.url', 'button_url', 0, 'summer_lemons_2023', true],
			['card.1.header.link', 'header_media_link', 1, 'https://', true],
			['card.1.body.1', 'body', 1, '15OFF', true],
			['card.1.body.2', 'body', 1, '15%', true],
			['card.1.button.0.payload', 'button_quick_reply', 1, 'Send more like this', false],
			['card.1.button.1.url', 'button_url', 1, 'exotic_produce_2023', true],
		]);
		const t = translator('en');
		expect(inputsFor(carousel).map((i) => inputLabel(i, t))).toEqual([
			'Body {{1}}',
			'Body {{2}}',
			'Card 1: Header image (link)',
			'Card 1: Body {{1}}',
			'Card 1: Body {{2}}',
			expect.stringMatching(/^Card 1: .*Send more like this/),
			'Card 1: Button 2 "Buy now": end of the link https://www.luckyshrub.com/shop?promo={{1}}',
			'Card 2: Header video (link)',
			'Card 2: Body {{1}}',
			'Card 2: Body {{2}}',
			expect.stringMatching(/^Card 2: .*Send more like this/),
			'Card 2: Button 2 "Buy now": end of the link https://www.luckyshrub.com/shop?promo={{1}}',
		]);
		expect(formCannotFill(carousel)).toBeUndefined();
	});

	it("a carousel of product cards asks for the catalog once and each card's product; one Meta lists without cards is left to the API", () => {
		expect(formCannotFill(productCarousel)).toBeUndefined();
		const t = translator('en');
		expect(inputsFor(productCarousel).map((i) => [i.id, i.kind, i.card, i.required, inputLabel(i, t)])).toEqual([
			['cards.catalog_id', 'header_product_catalog', undefined, true, "Catalog ID (every card's product is in it)"],
			['card.0.header.product_retailer_id', 'header_product_id', 0, true, 'Card 1: Product (its content ID in the catalog)'],
			['card.1.header.product_retailer_id', 'header_product_id', 1, true, 'Card 2: Product (its content ID in the catalog)'],
		]);
		const values = {
			'cards.catalog_id': '194836987003835',
			'card.0.header.product_retailer_id': 'sku-1',
			'card.1.header.product_retailer_id': 'sku-2',
		};
		expect(validateValues(productCarousel, { ...values, 'cards.catalog_id': 'my catalog' })).toEqual({
			'cards.catalog_id': { key: 'template_error_catalog_id' },
		});
		expect(validateValues(productCarousel, { ...values, 'cards.catalog_id': '' })).toEqual({
			'cards.catalog_id': { key: 'template_error_required' },
		});
		const message = templateMessage({ to: '5511987654321', template: productCarousel, values });
		expect(message.template.components).toEqual([
			{
				type: 'carousel',
				cards: [0, 1].map((card_index) => ({
					card_index,
					components: [
						{
							type: 'header',
							parameters: [
								{
									type: 'product',
									product: { product_retailer_id: `sku-${card_index + 1}`, catalog_id: '194836987003835' },
								},
							],
						},
					],
				})),
			},
		]);
		expect(specErrors(message)).toEqual([]);
		expect(checkSendComponents(productCarousel, message.template.components)).toBeUndefined();
		// Read back (the record of an API send), each card names its catalog.
		expect(valuesFromComponents(productCarousel, message.template.components)).toEqual({
			'card.0.header.product_retailer_id': 'sku-1',
			'card.0.header.catalog_id': '194836987003835',
			'card.1.header.product_retailer_id': 'sku-2',
			'card.1.header.catalog_id': '194836987003835',
		});
		expect(renderText(renderPreview(productCarousel, values))).toBe(
			['Our picks.', '— Card 1 of 2 —', '*[product: sku-1]*', '[View]', '— Card 2 of 2 —', '*[product: sku-2]*', '[View]'].join('\n'),
		);
		expect(formCannotFill({ ...carousel, components: [{ type: 'BODY', text: 'Hi' }, { type: 'CAROUSEL' }] })).toBe('carousel');
		expect(
			formCannotFill({
				...carousel,
				components: [
					{ type: 'BODY', text: 'Hi' },
					{ type: 'CAROUSEL', cards: [] },
				],
			}),
		).toBe('carousel');
	});

	it("each card's values are kept for its own template only, a media link by its card's format", () => {
		const keys = inputsFor(carousel).map((i) => fieldKey('1001', carousel, i));
		expect(keys.slice(0, 4)).toEqual([
			'body.1',
			'body.2',
			'1001/summer_carousel_promo_2023/card.0.header.link.image',
			'1001/summer_carousel_promo_2023/card.0.body.1',
		]);
		expect(keys[7]).toBe('1001/summer_carousel_promo_2023/card.1.header.link.video');
	});

	it("checks each card's values against its card, and names the card's input in error", () => {
		expect(validateValues(carousel, VALUES)).toEqual({});
		expect(
			validateValues(carousel, {
				...VALUES,
				'card.0.header.link': '',
				'card.1.header.link': 'ftp://example.com/x.mp4',
				'card.1.body.1': 'two\nlines',
				'card.1.button.1.url': 'a b',
			}),
		).toEqual({
			'card.0.header.link': { key: 'template_error_required' },
			'card.1.header.link': { key: 'template_error_link' },
			'card.1.body.1': { key: 'template_error_whitespace' },
			'card.1.button.1.url': { key: 'template_error_url', params: { url: 'https://www.luckyshrub.com/shop?promo=a b' } },
		});
	});

	it("sends every card, by its index, each with its own components; the send passes Meta's spec", () => {
		expect(bindComponents(carousel, VALUES)).toEqual(BOUND);
		const message = templateMessage({ to: '5511987654321', template: carousel, values: VALUES });
		expect(message.template.components).toEqual(BOUND);
		expect(specErrors(message)).toEqual([]);
		// The simulator's check of a carousel (Meta's send syntax): an index as an integer, a card's components a send's.
		const card = (over: Record<string, unknown>) => ({
			...message,
			template: {
				...message.template,
				components: [BOUND[0], { type: 'carousel', cards: [{ ...(BOUND[1] as Any).cards[0], ...over }] }],
			},
		});
		expect(specErrors(card({ card_index: '0' }))).toEqual([expect.stringMatching(/card_index must be integer/)]);
		expect(allSpecErrors(card({ components: [{ type: 'footer' }] }))).toContainEqual(
			expect.stringMatching(/cards\/0\/components\/0\/type must be equal to one of the allowed values/),
		);
		expect(allSpecErrors(card({ components: [{ type: 'body', parameters: [{ type: 'text', text: true }] }] }))).toContainEqual(
			expect.stringMatching(/cards\/0\/components\/0\/parameters\/0\/text must be string/),
		);
		expect(() => bindComponents(carousel, { ...VALUES, 'card.1.body.2': '' })).toThrow(
			expect.objectContaining({ fields: { 'card.1.body.2': { key: 'template_error_required' } } }),
		);
	});

	it('previews the message and then each card, named, with its media, text and buttons', () => {
		const preview = renderPreview(carousel, { ...VALUES, 'card.1.body.2': '' });
		expect(preview.cards).toEqual([
			{
				header: { key: 'template_preview_image', params: {} },
				body: 'Rare lemons for unique cocktails. Use code LEMON15 to get 15% off all produce.',
				buttons: ['Send more like this', 'Buy now'],
			},
			{
				header: { key: 'template_preview_video', params: {} },
				body: 'Exotic fruit for unique cocktails! Use code EXOTIC20 to get {{2}} off all exotic produce.',
				buttons: ['Send more like this', 'Buy now'],
			},
		]);
		const t = translator('es');
		expect(renderText(preview, (key, params) => t(key, params))).toBe(
			[
				"Summer is here, and we've got the freshest produce around! Use code 15OFF to get 15% off your next order.",
				'— Tarjeta 1 de 2 —',
				'*[imagen]*',
				'Rare lemons for unique cocktails. Use code LEMON15 to get 15% off all produce.',
				'[Send more like this] [Buy now]',
				'— Tarjeta 2 de 2 —',
				'*[video]*',
				'Exotic fruit for unique cocktails! Use code EXOTIC20 to get {{2}} off all exotic produce.',
				'[Send more like this] [Buy now]',
			].join('\n'),
		);
		// What an integrator's send records when Meta's template list is out of reach: the name and every text, the cards' too.
		expect(sentTextOf({ name: carousel.name, language: { code: 'en_US' }, components: BOUND }, undefined)).toBe(
			'summer_carousel_promo_2023: 15OFF | 15% | LEMON15 | 15% | summer_lemons_2023 | EXOTIC20 | 20% | exotic_produce_2023',
		);
		// What was sent, read back for the room and the status callbacks (a quick reply's payload is not shown).
		expect(valuesFromComponents(carousel, BOUND)).toEqual(
			Object.fromEntries(Object.entries(VALUES).filter(([id]) => !id.endsWith('.payload'))),
		);
	});
});

describe('a carousel an integrator builds (checkSendComponents)', () => {
	const withCards = (cards: unknown): Any[] => [BOUND[0], { type: 'carousel', cards }];
	const cards = (): Any[] => JSON.parse(JSON.stringify(BOUND[1].cards));

	it("accepts Meta's send, in any case and with indexes as digits", () => {
		expect(checkSendComponents(carousel, BOUND)).toBeUndefined();
		// A card's media by the id of a file uploaded to Meta, as the sending page shows it.
		const byId = cards();
		byId[0].components[0].parameters[0] = { type: 'image', image: { id: '24230790383178626' } };
		expect(checkSendComponents(carousel, withCards(byId))).toBeUndefined();
		const loose = cards().map((card, i) => ({ ...card, card_index: String(i) }));
		loose[1].components[2] = { ...loose[1].components[2], type: 'BUTTON', sub_type: 'QUICK_REPLY', index: 0 };
		const given = [BOUND[0], { type: 'CAROUSEL', cards: loose }];
		expect(checkSendComponents(carousel, given)).toBeUndefined();
		expect(sendableComponents(given)).toEqual(BOUND);
	});

	it.each([
		[
			'a card left out',
			withCards(cards().slice(0, 1)),
			{ key: 'api_error_carousel_cards', params: { path: 'template.components[1].cards', expected: 2, given: 1 } },
		],
		[
			'a card the template does not have',
			withCards([...cards(), { card_index: 2, components: [] }]),
			{ key: 'api_error_card_unknown', params: { path: 'template.components[1].cards[2].card_index', index: 2, count: 2 } },
		],
		[
			'a card given twice',
			withCards([cards()[0], cards()[0]]),
			{ key: 'api_error_component_repeated', params: { path: 'template.components[1].cards[1]', component: 'card_index 0' } },
		],
		[
			'a card without its index',
			withCards([{ components: [] }]),
			{
				key: 'api_error_component_field',
				params: { path: 'template.components[1].cards[0].card_index', expected: { phrase: 'expected_card_index' } },
			},
		],
		[
			"a card's body without its parameters",
			withCards(cards().map((card) => ({ ...card, components: card.components.filter((c: Any) => c.type !== 'body') }))),
			{ key: 'api_error_template_params', params: { component: 'body (card_index 0)', expected: 2, given: 0 } },
		],
		[
			"a card's URL button without its suffix",
			withCards(cards().map((card) => ({ ...card, components: card.components.filter((c: Any) => c.sub_type !== 'url') }))),
			{ key: 'api_error_template_params', params: { component: 'button 1 (card_index 0)', expected: 1, given: 0 } },
		],
		[
			"a card's header that is not its format",
			withCards(
				cards().map((card) => ({
					...card,
					components: [
						{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://example.com/x.pdf' } }] },
						...card.components.slice(1),
					],
				})),
			),
			{
				key: 'api_error_component_field',
				params: { path: 'template.components[1].cards[0].components[0].parameters[0].type', expected: '"image"' },
			},
		],
		[
			"a card's body with too few parameters",
			withCards(
				cards().map((card, i) =>
					i === 0
						? card
						: {
								...card,
								components: card.components.map((c: Any) =>
									c.type === 'body' ? { ...c, parameters: [c.parameters[0]] } : c,
								),
							},
				),
			),
			{ key: 'api_error_template_params', params: { component: 'body (card_index 1)', expected: 2, given: 1 } },
		],
		[
			'cards that do not give the same components',
			withCards(
				cards().map((card, i) =>
					i === 0 ? card : { ...card, components: card.components.filter((c: Any) => c.sub_type !== 'quick_reply') },
				),
			),
			{
				key: 'api_error_carousel_components',
				params: {
					path: 'template.components[1].cards[1].components',
					given: 'body, button 1, header',
					expected: 'body, button 0, button 1, header',
				},
			},
		],
		[
			'no cards',
			withCards([]),
			{ key: 'api_error_component_field', params: { path: 'template.components[1].cards', expected: { phrase: 'expected_cards' } } },
		],
		[
			'more than ten cards',
			withCards(Array.from({ length: 11 }, (_, i) => ({ card_index: i, components: [] }))),
			{ key: 'api_error_component_field', params: { path: 'template.components[1].cards', expected: { phrase: 'expected_cards' } } },
		],
	])('refuses %s', (_, components, expected) => {
		expect(checkSendComponents(carousel, components)).toEqual(expected);
	});

	it('cards the template defines with different parameters are each checked against their card, not compared', () => {
		// The second card's body has no variable: its send gives no body component.
		const uneven: MetaTemplate = JSON.parse(JSON.stringify(carousel));
		(uneven.components[1] as Any).cards[1].components[1] = { type: 'BODY', text: 'Exotic fruit.' };
		const given = cards();
		given[1].components = given[1].components.filter((c: Any) => c.type !== 'body');
		expect(checkSendComponents(uneven, withCards(given))).toBeUndefined();
		const values = Object.fromEntries(Object.entries(VALUES).filter(([id]) => !id.startsWith('card.1.body')));
		expect(checkSendComponents(uneven, bindComponents(uneven, values))).toBeUndefined();
		// The template's cards alike, the same request's cards differ.
		expect(checkSendComponents(carousel, withCards(given))).toEqual({
			key: 'api_error_template_params',
			params: { component: 'body (card_index 1)', expected: 2, given: 0 },
		});
	});

	it("counts a product carousel's cards against the template, and checks each card's product", () => {
		const productCards = (indexes: number[], catalog = '194836987003835') => [
			{
				type: 'carousel',
				cards: indexes.map((i) => ({
					card_index: i,
					components: [
						{
							type: 'header',
							parameters: [{ type: 'product', product: { product_retailer_id: `p${i}`, catalog_id: catalog } }],
						},
					],
				})),
			},
		];
		expect(checkSendComponents(productCarousel, productCards([0, 1]))).toBeUndefined();
		expect(checkSendComponents(undefined, productCards([0, 1]))).toBeUndefined();
		expect(checkSendComponents(productCarousel, productCards([0]))).toEqual({
			key: 'api_error_carousel_cards',
			params: { path: 'template.components[0].cards', expected: 2, given: 1 },
		});
		expect(checkSendComponents(productCarousel, productCards([0, 2]))).toEqual({
			key: 'api_error_card_unknown',
			params: { path: 'template.components[0].cards[1].card_index', index: 2, count: 2 },
		});
		expect(checkSendComponents(productCarousel, productCards([0, 1], 'c1'))).toEqual({
			key: 'api_error_component_field',
			params: {
				path: 'template.components[0].cards[0].components[0].parameters[0].product.catalog_id',
				expected: { phrase: 'expected_catalog_id' },
			},
		});
		expect(checkSendComponents(productCarousel, [{ type: 'carousel', cards: [{ card_index: 0 }] }])).toEqual({
			key: 'api_error_component_field',
			params: { path: 'template.components[0].cards[0].components', expected: { phrase: 'expected_objects' } },
		});
	});

	it("without the template (Meta's list out of reach), checks each card's shape and that the cards give the same components, not how many cards", () => {
		expect(checkSendComponents(undefined, withCards(cards().slice(0, 1)))).toBeUndefined();
		expect(
			checkSendComponents(undefined, withCards([cards()[0], { ...cards()[1], components: cards()[1].components.slice(0, 2) }])),
		).toEqual({
			key: 'api_error_carousel_components',
			params: {
				path: 'template.components[1].cards[1].components',
				given: 'body, header',
				expected: 'body, button 0, button 1, header',
			},
		});
		// A card's button with two payloads names its card; a card holds a header, a body and buttons only.
		const twice = cards();
		twice[1].components[2].parameters.push({ type: 'payload', payload: 'again' });
		expect(checkSendComponents(undefined, withCards(twice))).toEqual({
			key: 'api_error_template_params',
			params: { component: 'button 0 (card_index 1)', expected: 1, given: 2 },
		});
		const offer = { type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: {} }] };
		for (const template of [undefined, carousel])
			expect(
				checkSendComponents(template, withCards(cards().map((card) => ({ ...card, components: [...card.components, offer] })))),
			).toEqual({
				key: 'api_error_component_unexpected',
				params: { path: 'template.components[1].cards[0].components[4]', component: 'limited_time_offer' },
			});
		// A product card beside media cards: not the same components.
		const mixed = cards();
		mixed[1].components[0] = {
			type: 'header',
			parameters: [{ type: 'product', product: { product_retailer_id: 'p', catalog_id: '1' } }],
		};
		expect(checkSendComponents(undefined, withCards(mixed))).toEqual({
			key: 'api_error_carousel_components',
			params: {
				path: 'template.components[1].cards[1].components',
				given: 'body, button 0, button 1, header (product)',
				expected: 'body, button 0, button 1, header',
			},
		});
		const broken = cards();
		broken[0].components[1].parameters[0] = { type: 'text', text: 'two\nlines' };
		expect(checkSendComponents(undefined, withCards(broken))).toEqual({
			key: 'api_error_parameter_whitespace',
			params: { path: 'template.components[1].cards[0].components[1].parameters[0].text' },
		});
		expect(checkSendComponents(undefined, withCards([{ card_index: 'x', components: [] }]))).toEqual({
			key: 'api_error_component_field',
			params: { path: 'template.components[1].cards[0].card_index', expected: { phrase: 'expected_card_index' } },
		});
	});
});
