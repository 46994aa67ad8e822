/**
 * Media card carousel templates through the engine: the agent's modal asks for every card's values
 * and sends every card, and `templateMessage` checks a carousel an integrator builds card by card
 * (Meta's "Media card carousel templates" and "Sending Media Card Carousel Templates" pages), a
 * single product ("Sending single-product message templates") and a multi-product list
 * ("Multi-product message templates").
 */
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { addContactRoom, ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { CAROUSEL, CAROUSEL_COMPONENTS as COMPONENTS, CAROUSEL_VALUES, PRODUCT_CAROUSEL } from '../support/carousel';
import { StatusSink } from '../support/statusSink';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

describe('media card carousel templates', () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	let contactRoom: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [CAROUSEL]);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		contactRoom = addContactRoom(app, agent);
	});
	afterEach(() => stopChecked(app));

	const sends = () => app.sim.requestsTo('/messages');
	const blockIds = (view: Any): string[] => (view.blocks as Any[]).map((b) => b.blockId).filter((id: string) => id?.startsWith('param:'));
	const previewText = (view: Any) => String((view.blocks as Any[]).filter((b) => b.type === 'section').pop()?.text?.text ?? '');
	const key = (id: string) => `param:${NUMBER.phoneNumberId}/summer_carousel_promo_2023/${id}`;
	async function act(view: Any, actionId: string, value: string) {
		const res = await app.harness.blockAction({ user: agent, actionId, blockId: actionId, value, view });
		expect(res).toMatchObject({ success: true, type: 'modal.update' });
		return res.view;
	}

	it("the modal asks for each card's values, names the card of each, previews every card and sends them all", async () => {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room: contactRoom });
		let view = await act(app.harness.lastView(agent), 'send-template', 'summer_carousel_promo_2023');
		expect(blockIds(view)).toEqual([
			'param:body.1',
			'param:body.2',
			key('card.0.header.link.image'),
			key('card.0.body.1'),
			key('card.0.body.2'),
			key('card.0.button.0.payload'),
			key('card.0.button.1.url'),
			key('card.1.header.link.video'),
			key('card.1.body.1'),
			key('card.1.body.2'),
			key('card.1.button.0.payload'),
			key('card.1.button.1.url'),
		]);
		const label = (id: string) => (view.blocks as Any[]).find((b) => b.blockId === id).label.text;
		expect([label(key('card.1.header.link.video')), label(key('card.1.body.2'))]).toEqual([
			'Card 2: Header video (link)',
			'Card 2: Body {{2}}',
		]);

		// Every value but the second card's last parameter, each in its field (a card's by the card's key).
		const field = (id: string) =>
			id.startsWith('card.')
				? key(id.replace(/header\.link$/, `header.link.${id.startsWith('card.0') ? 'image' : 'video'}`))
				: `param:${id}`;
		const values = Object.entries(CAROUSEL_VALUES)
			.filter(([id]) => id !== 'card.1.body.2')
			.map(([id, value]) => [field(id), value]);
		for (const [id, value] of values) view = await act(view, id, value);
		expect(previewText(view)).toBe(
			[
				"Summer is here, and we've got the freshest produce around! Use code 15OFF to get 15% off your next order.",
				'— Card 1 of 2 —',
				'*[image]*',
				'Rare lemons for unique cocktails. Use code LEMON15 to get 15% off all produce.',
				'[Send more like this] [Buy now]',
				'— Card 2 of 2 —',
				'*[video]*',
				'Exotic fruit for unique cocktails! Use code EXOTIC20 to get {{2}} off all exotic produce.',
				'[Send more like this] [Buy now]',
			].join('\n'),
		);

		// A card's empty parameter is refused on its own field; nothing goes to Meta.
		const refused = await app.harness.viewSubmit({ user: agent, view });
		expect(refused).toMatchObject({ success: false, type: 'errors' });
		expect(refused.errors).toEqual({
			[key('card.1.body.2')]: 'Fill in this parameter: WhatsApp refuses a template with an empty parameter.',
		});
		expect(sends()).toEqual([]);

		view = await act(view, key('card.1.body.2'), '20%');
		expect(await app.harness.viewSubmit({ user: agent, view })).toMatchObject({ success: true });
		expect(sends().map((r) => r.body)).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'template',
				template: { name: 'summer_carousel_promo_2023', language: { code: 'en_US' }, components: COMPONENTS },
			},
		]);
		await app.harness.settled();
		const posted = app.harness.world.messagesIn(contactRoom.id);
		expect(posted.map((m) => m.text)).toEqual([
			expect.stringContaining(
				'— Card 2 of 2 —\n*[video]*\nExotic fruit for unique cocktails! Use code EXOTIC20 to get 20% off all exotic produce.',
			),
		]);
	});

	it("a carousel of product cards asks for the catalog once and each card's product, and sends the catalog in every card", async () => {
		app.sim.setTemplates(NUMBER.wabaId, [PRODUCT_CAROUSEL]);
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room: contactRoom });
		let view = await act(app.harness.lastView(agent), 'send-template', 'product_carousel');
		const own = (id: string) => `param:${NUMBER.phoneNumberId}/product_carousel/${id}`;
		expect(blockIds(view)).toEqual([
			own('cards.catalog_id'),
			own('card.0.header.product_retailer_id'),
			own('card.1.header.product_retailer_id'),
		]);
		view = await act(view, own('cards.catalog_id'), '194836987003835');
		view = await act(view, own('card.0.header.product_retailer_id'), 'sku-1');
		view = await act(view, own('card.1.header.product_retailer_id'), 'sku-2');
		expect(await app.harness.viewSubmit({ user: agent, view })).toMatchObject({ success: true });
		expect(sends().map((r) => [r.status, (r.body as Any).template.components])).toEqual([
			[
				200,
				[
					{
						type: 'carousel',
						cards: ['sku-1', 'sku-2'].map((product_retailer_id, card_index) => ({
							card_index,
							components: [
								{
									type: 'header',
									parameters: [{ type: 'product', product: { product_retailer_id, catalog_id: '194836987003835' } }],
								},
							],
						})),
					},
				],
			],
		]);
	});

	describe('templateMessage', () => {
		const body = (components: unknown, extra: Record<string, unknown> = {}) => ({
			connectedWhatsAppNo: NUMBER.phoneNumberId,
			phoneNumbers: ['5511987654321'],
			template: { name: 'summer_carousel_promo_2023', language: { code: 'en_US' }, components },
			...extra,
		});

		it("sends a carousel as Meta's page writes it, its card indexes as integers", async () => {
			const given = JSON.parse(JSON.stringify(COMPONENTS));
			given[1].cards[1].card_index = '1';
			const res = await callApi(app, 'templateMessage', { body: body(given), headers: ADMIN_AUTH });
			expect(res).toMatchObject({ status: 200, body: { success: true } });
			expect(sends().map((r) => (r.body as Any).template.components)).toEqual([COMPONENTS]);
		});

		it("sends a single-product template's product as Meta's send writes it; its status callbacks show the product, and a catalog ID that is not one is refused", async () => {
			const sink = new StatusSink();
			await app.harness.setSetting('status_endpoint_url', await sink.start());
			try {
				app.sim.setTemplates(NUMBER.wabaId, [
					{
						...CAROUSEL,
						id: '78',
						name: 'back_in_stock',
						components: [
							{ type: 'HEADER', format: 'PRODUCT' },
							{ type: 'BODY', text: 'Back in stock!' },
							{ type: 'BUTTONS', buttons: [{ type: 'SPM', text: 'View' }] },
						],
					},
				]);
				const product = (catalog_id: string) => [
					{ type: 'header', parameters: [{ type: 'product', product: { product_retailer_id: 'sku-42', catalog_id } }] },
				];
				const send = (catalog: string) =>
					callApi(app, 'templateMessage', {
						body: {
							...body(product(catalog)),
							template: { name: 'back_in_stock', language: { code: 'en_US' }, components: product(catalog) },
						},
						headers: ADMIN_AUTH,
					});
				expect(await send('shop')).toEqual({
					status: 400,
					body: {
						success: false,
						error: 'Invalid template.components[0].parameters[0].product.catalog_id: expected a catalog id (digits, as a string).',
						code: 'component_field',
					},
				});
				expect(sends()).toEqual([]);
				expect(await send('194836987003835')).toMatchObject({ status: 200, body: { success: true } });
				expect(sends().map((r) => (r.body as Any).template.components)).toEqual([product('194836987003835')]);
				await app.harness.scheduler.runDue();
				expect(sink.deliveries.map((d) => [d.body.MessageStatus, d.body.message])).toEqual([
					['queued', '*[product: sku-42]*\nBack in stock!\n[View]'],
				]);
			} finally {
				await sink.stop();
			}
		});

		it("sends a multi-product list as Meta's page writes it, its status callback shows the sections, and a list past Meta's limits is refused, at once and as a campaign", async () => {
			const sink = new StatusSink();
			await app.harness.setSetting('status_endpoint_url', await sink.start());
			try {
				app.sim.setTemplates(NUMBER.wabaId, [
					{
						...CAROUSEL,
						id: '79',
						name: 'spring_products',
						components: [
							{ type: 'HEADER', format: 'TEXT', text: 'Spring' },
							{ type: 'BODY', text: 'New arrivals.' },
							{ type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] },
						],
					},
				]);
				const list = (sections: unknown) => [
					{
						type: 'button',
						sub_type: 'mpm',
						index: '0',
						parameters: [{ type: 'action', action: { thumbnail_product_retailer_id: 'sku-1', sections } }],
					},
				];
				const send = (sections: unknown, extra: Record<string, unknown> = {}) =>
					callApi(app, 'templateMessage', {
						body: {
							...body([], extra),
							template: { name: 'spring_products', language: { code: 'en_US' }, components: list(sections) },
						},
						headers: ADMIN_AUTH,
					});
				const untitled = [
					{ title: 'Bundles', product_items: [{ product_retailer_id: 'sku-1' }] },
					{ product_items: [{ product_retailer_id: 'sku-2' }] },
				];
				for (const extra of [{}, { async: true }])
					expect(await send(untitled, extra)).toEqual({
						status: 400,
						body: {
							success: false,
							error: 'Invalid template.components[0].parameters[0].action.sections: expected 1 to 10 sections, each with product_items of {"product_retailer_id"} and a title (at most 24 characters; required when there are several), 30 products at most in all.',
							code: 'component_field',
						},
					});
				await app.harness.scheduler.runDue();
				expect(sends()).toEqual([]);
				const sections = [
					{ title: 'Bundles', product_items: [{ product_retailer_id: 'sku-1' }] },
					{ title: 'Premium', product_items: [{ product_retailer_id: 'sku-2' }, { product_retailer_id: 'sku-3' }] },
				];
				expect(await send(sections)).toMatchObject({ status: 200, body: { success: true } });
				expect(sends().map((r) => [r.status, (r.body as Any).template.components])).toEqual([[200, list(sections)]]);
				await app.harness.scheduler.runDue();
				expect(sink.deliveries.map((d) => [d.body.MessageStatus, d.body.message])).toEqual([
					['queued', '*Spring*\nNew arrivals.\n[View items]\n[products: Bundles: sku-1; Premium: sku-2, sku-3]'],
				]);
			} finally {
				await sink.stop();
			}
		});

		it.each([
			[
				'a card left out',
				[COMPONENTS[0], { type: 'carousel', cards: [(COMPONENTS[1] as Any).cards[0]] }],
				"template.components[1].cards: this template's carousel has 2 card(s); the request gives 1. WhatsApp sends a carousel with every card it was approved with, each once.",
				'carousel_cards',
			],
			[
				"a card's body left out",
				[
					COMPONENTS[0],
					{
						type: 'carousel',
						cards: (COMPONENTS[1] as Any).cards.map((c: Any) => ({
							...c,
							components: c.components.filter((x: Any) => x.type !== 'body'),
						})),
					},
				],
				'template.components: the body (card_index 0) of this template takes 2 parameter(s); the request gives 0.',
				'template_params',
			],
		])('answers 400 for %s, at once and as a campaign, and sends nothing', async (_case, components, error, code) => {
			for (const extra of [{}, { async: true }]) {
				const res = await callApi(app, 'templateMessage', { body: body(components, extra), headers: ADMIN_AUTH });
				expect(res).toEqual({ status: 400, body: { success: false, error, code } });
			}
			await app.harness.scheduler.runDue();
			expect(sends()).toEqual([]);
			app.harness.assertNoAppErrors();
		});
	});
});
