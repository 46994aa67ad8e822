/**
 * `/whatsapp send-template` and `/whatsapp view-templates` through the engine: the modal flow
 * (open, pick template and language, fill, live preview, submit) against the simulated Cloud API.
 */
import * as fs from 'fs';
import * as path from 'path';

import { MISS_REFETCH_MS } from '../../src/core/templates/catalog';
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, contactVisitorToken, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { CONTRACTS_DIR } from '../support/metaSpec';
import { StatusSink } from '../support/statusSink';

/* eslint-disable @typescript-eslint/no-explicit-any */
const listed = JSON.parse(
	fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs', 'templates-list-default-fields.response.json'), 'utf8'),
).data;
const T = (name: string, language: string, components: any[], extra: Record<string, unknown> = {}) => ({
	id: `${name}-${language}`,
	name,
	language,
	status: 'APPROVED',
	category: 'UTILITY',
	components,
	...extra,
});

const TEMPLATES = [
	...listed, // reservation_confirmation (image header, named body), coupon_expiration_reminder_number_vars (text header, positional body)
	T('invoice', 'en_US', [
		{ type: 'HEADER', format: 'DOCUMENT' },
		{ type: 'BODY', text: 'Your invoice {{1}} is attached.' },
	]),
	T('invoice', 'pt_BR', [
		{ type: 'HEADER', format: 'DOCUMENT' },
		{ type: 'BODY', text: 'Segue sua fatura {{1}}.' },
	]),
	T('pickup', 'en_US', [
		{ type: 'HEADER', format: 'LOCATION' },
		{ type: 'BODY', text: 'Order {{1}} is ready.' },
	]),
	T(
		'offer',
		'en_US',
		[
			{ type: 'BODY', text: 'Hi {{1}}!' },
			{
				type: 'BUTTONS',
				buttons: [
					{ type: 'COPY_CODE', example: ['SAVE10'] },
					{ type: 'URL', text: 'Book', url: 'https://example.com/o/{{1}}', example: ['https://example.com/o/abc'] },
				],
			},
		],
		{ category: 'MARKETING' },
	),
	T(
		'verification_code',
		'en_US',
		[
			{ type: 'BODY', text: '{{1}} is your verification code.' },
			{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
		],
		{ category: 'AUTHENTICATION' },
	),
	T('paused_one', 'en_US', [{ type: 'BODY', text: 'x' }], { status: 'PAUSED' }),
];

const EXAMPLE_VALUES: Record<string, Record<string, string>> = {
	reservation_confirmation: {
		'header.link': 'https://example.com/r.jpg',
		'body.number_of_guests': '4',
		'body.day': 'Saturday',
		'body.date': 'August 30th',
		'body.time': '7:30 pm',
	},
	coupon_expiration_reminder_number_vars: { 'header.1': 'Pablo', 'body.1': 'SUMMER20', 'body.2': '10' },
	invoice: { 'header.link': 'https://example.com/i.pdf', 'header.filename': 'invoice.pdf', 'body.1': 'INV-7' },
	pickup: {
		'header.latitude': '37.44',
		'header.longitude': '-122.16',
		'header.name': 'Philz Coffee',
		'header.address': '101 Forest Ave',
		'body.1': 'A-1',
	},
	offer: { 'body.1': 'Ana', 'button.0.coupon': 'SAVE10', 'button.1.url': 'abc' },
	verification_code: { 'body.1': '482913' },
};

describe('/whatsapp send-template', () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	let contactRoom: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, TEMPLATES);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		contactRoom = addContactRoom(app, agent, { language: 'pt-BR' });
	});
	afterEach(() => stopChecked(app));

	const sends = () => app.sim.requestsTo('/messages');
	const ids = (view: any) => (view.blocks as any[]).map((b) => b.blockId).filter((id: string) => id && !/^[0-9a-f-]{36}$/.test(id));
	const previewText = (view: any) => String((view.blocks as any[]).filter((b) => b.type === 'section').pop()?.text?.text ?? '');

	async function open(room: HarnessRoom = contactRoom) {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		return app.harness.lastView(agent)!;
	}
	async function act(view: any, actionId: string, value: string) {
		const res = await app.harness.blockAction({ user: agent, actionId, blockId: actionId, value, view });
		expect(res).toMatchObject({ success: true, type: 'modal.update' });
		return res.view;
	}
	/**
	 * The input id of a template input's block: `param:<id>` for a header or body text variable,
	 * `param:<number>/<template>/<id>` for the others, a media link's with its header format
	 * (src/core/app/sendTemplateModal.ts `fieldKey`).
	 */
	const inputIdOf = (blockId: string) =>
		blockId
			.replace(/^param:/, '')
			.replace(/^[^/]+\/[^/]+\//, '')
			.replace(/^header\.link\.(image|video|document)$/, 'header.link');
	/** The block (and action) id of input `id` in the view. */
	const paramOf = (view: any, id: string): string => {
		const found = ids(view).find((b: string) => b.startsWith('param:') && inputIdOf(b) === id);
		if (!found) throw new Error(`no input ${id} in the view: ${ids(view).join(', ')}`);
		return found;
	};
	async function fill(view: any, values: Record<string, string>) {
		for (const [id, value] of Object.entries(values)) view = await act(view, paramOf(view, id), value);
		return view;
	}
	const submit = (view: any, state: Record<string, Record<string, unknown>> = {}) => app.harness.viewSubmit({ user: agent, view, state });

	it('opens in a contact room with the templates, builds the inputs of the chosen template and previews live', async () => {
		let view = await open();
		expect(view.id).toMatch(/^whatsapp-send-template:/);
		expect(ids(view)).toEqual(['send-template', 'send-tools']);
		const options = (view.blocks as any[])[0].element.options.map((o: any) => o.value);
		expect(options).toEqual([
			'coupon_expiration_reminder_number_vars',
			'invoice',
			'offer',
			'pickup',
			'reservation_confirmation',
			'verification_code',
		]);

		view = await act(view, 'send-template', 'coupon_expiration_reminder_number_vars');
		expect(ids(view)).toEqual([
			'send-template',
			`send-language:${NUMBER.phoneNumberId}:coupon_expiration_reminder_number_vars`,
			'send-tools',
			'param:header.1',
			'param:body.1',
			'param:body.2',
			// A button's value belongs to its template (it is not carried to another one): its key says which.
			`param:${NUMBER.phoneNumberId}/coupon_expiration_reminder_number_vars/button.1.payload`,
		]);
		const header = (view.blocks as any[]).find((b) => b.blockId === 'param:header.1');
		expect(header.element.placeholder.text).toBe('Pablo');
		view = await act(view, 'param:body.1', 'SUMMER20');
		expect(previewText(view)).toContain('your exclusive coupon code, SUMMER20, *expires in only {{2}} days!*');
		expect(previewText(view)).toContain('[See deals] [Unsubscribe]');
		expect(sends()).toEqual([]);
	});

	it('refuses to send with an empty or invalid parameter: field errors on exactly those inputs, nothing sent', async () => {
		let view = await open();
		view = await act(view, 'send-template', 'coupon_expiration_reminder_number_vars');
		view = await fill(view, { 'header.1': 'Pablo', 'body.1': 'two\nlines' });
		const res = await submit(view);
		expect(res).toMatchObject({ success: false, type: 'errors' });
		expect(res.errors).toEqual({
			'param:body.1': 'WhatsApp refuses line breaks, tabs and more than four spaces in a row in a parameter.',
			'param:body.2': 'Fill in this parameter: WhatsApp refuses a template with an empty parameter.',
		});
		expect(sends()).toEqual([]);
	});

	it('sends, records and shows the template in the room; its status follows', async () => {
		const sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		try {
			let view = await open();
			view = await act(view, 'send-template', 'coupon_expiration_reminder_number_vars');
			view = await fill(view, { 'header.1': 'Pablo', 'body.1': 'SUMMER20' });
			const res = await submit(view, { 'param:body.2': { 'param:body.2': '10' } });
			expect(res).toMatchObject({ success: true });
			expect(sends().map((r) => r.body)).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'template',
					template: {
						name: 'coupon_expiration_reminder_number_vars',
						language: { code: 'en' },
						components: [
							{ type: 'header', parameters: [{ type: 'text', text: 'Pablo' }] },
							{
								type: 'body',
								parameters: [
									{ type: 'text', text: 'SUMMER20' },
									{ type: 'text', text: '10' },
								],
							},
						],
					},
				},
			]);
			const posted = app.harness.world.messagesIn(contactRoom.id);
			expect(posted).toHaveLength(1);
			// As the agent, with no custom fields (a default Rocket.Chat refuses them); not relayed again.
			expect(posted[0]).toMatchObject({ sender: { username: 'ana' } });
			expect(posted[0].customFields).toBeUndefined();
			await app.harness.settled();
			expect(sends()).toHaveLength(1);
			expect(String(posted[0].text)).toMatch(/^\*Act fast, Pablo!\*\nJust a quick reminder.*SUMMER20.*10 days!/s);
			await app.harness.scheduler.runDue();
			expect(sink.deliveries.map((d) => [d.body.MessageStatus, d.body.type, d.body.roomId, d.body.templateName])).toEqual([
				['queued', 'Template-Message', contactRoom.id, 'coupon_expiration_reminder_number_vars'],
			]);
		} finally {
			await sink.stop();
		}
	});

	it.each(Object.keys(EXAMPLE_VALUES))("sends %s with every parameter it needs, valid against Meta's spec", async (name) => {
		let view = await open();
		view = await act(view, 'send-template', name);
		const expected = Object.keys(EXAMPLE_VALUES[name]);
		expect(
			ids(view)
				.filter((id: string) => id.startsWith('param:') && !id.endsWith('.payload'))
				.map(inputIdOf),
		).toEqual(expected);
		view = await fill(view, EXAMPLE_VALUES[name]);
		const res = await submit(view);
		expect([res.success, res.errors]).toEqual([true, undefined]);
		expect(sends()).toHaveLength(1);
		expect((sends()[0].body as any).template.name).toBe(name);
	});

	it("defaults to the contact's language and keeps the values that still apply on a language switch", async () => {
		let view = await open();
		view = await act(view, 'send-template', 'invoice');
		const language = (view.blocks as any[]).find((b) => b.blockId === `send-language:${NUMBER.phoneNumberId}:invoice`);
		expect(language.element.initialValue).toBe('pt_BR');
		view = await fill(view, { 'body.1': 'INV-7' });
		view = await act(view, `send-language:${NUMBER.phoneNumberId}:invoice`, 'en_US');
		expect((view.blocks as any[]).find((b) => b.blockId === 'param:body.1').element.initialValue).toBe('INV-7');
		expect(previewText(view)).toContain('Your invoice INV-7 is attached.');
	});

	it('explains a Cloud API error in the modal and forgets a template Meta says is gone', async () => {
		let view = await open();
		// Deleted at Meta while the app's list is fresh: Meta answers the send with 132001.
		app.sim.setTemplates(
			NUMBER.wabaId,
			TEMPLATES.filter((t) => t.name !== 'verification_code'),
		);
		view = await act(view, 'send-template', 'verification_code');
		view = await fill(view, { 'body.1': '482913' });
		const res = await submit(view);
		expect(res.errors).toEqual({
			'send-template': 'This template does not exist in this language (any more). Refresh the template list.',
		});
		expect(app.harness.world.messagesIn(contactRoom.id)).toEqual([]);
		const reopened = await open();
		expect((reopened.blocks as any[])[0].element.options.map((o: any) => o.value)).not.toContain('verification_code');
	});

	it("explains Meta's 132000 for a template edited at Meta, and asks for its new values when opened again", async () => {
		let view = await open();
		view = await act(view, 'send-template', 'offer');
		view = await fill(view, EXAMPLE_VALUES.offer);
		// Edited at Meta (a second body variable) while the app's list is fresh, fetched over a minute ago.
		await app.harness.scheduler.advance(MISS_REFETCH_MS, () => false);
		const edited = TEMPLATES.map((t) =>
			t.name === 'offer' ? { ...t, components: [{ type: 'BODY', text: 'Hi {{1}}, {{2}} off today!' }, t.components[1]] } : t,
		);
		app.sim.setTemplates(NUMBER.wabaId, edited);
		const res = await submit(view);
		expect(res.errors).toEqual({
			'send-template': 'The number of parameters does not match the template. Refresh the template list and fill in every parameter.',
		});
		expect(sends().map((r) => [r.status, (r.response as any).error?.code])).toEqual([[400, 132000]]);
		expect(app.harness.world.messagesIn(contactRoom.id)).toEqual([]);
		// Opened again, the modal reads the list from Meta: the template asks for both values and sends.
		view = await act(await open(), 'send-template', 'offer');
		expect(
			ids(view)
				.filter((id: string) => id.startsWith('param:'))
				.map(inputIdOf),
		).toEqual(['body.1', 'body.2', 'button.0.coupon', 'button.1.url']);
		view = await fill(view, { ...EXAMPLE_VALUES.offer, 'body.2': '10%' });
		expect(await submit(view)).toMatchObject({ success: true });
		expect(sends().map((r) => r.status)).toEqual([400, 200]);
		expect((sends()[1].body as any).template.components[0]).toEqual({
			type: 'body',
			parameters: [
				{ type: 'text', text: 'Ana' },
				{ type: 'text', text: '10%' },
			],
		});
	});

	it("explains Meta's 132018 (a parameter's line break, tab or 5 spaces) on the template, and keeps the template list", async () => {
		let view = await open();
		view = await act(view, 'send-template', 'offer');
		view = await fill(view, EXAMPLE_VALUES.offer);
		// Meta's 132018 for a value the app's own checks let through (a rule Meta adds later, say).
		app.sim.injectError(NUMBER.phoneNumberId, { code: 132018 });
		const res = await submit(view);
		expect(res.errors).toEqual({
			'send-template':
				"WhatsApp refused a parameter's text (error 132018): a parameter cannot hold a line break, a tab or more than 4 spaces in a row.",
		});
		expect(sends().map((r) => [r.status, (r.response as any).error?.code])).toEqual([[400, 132018]]);
		expect(app.harness.world.messagesIn(contactRoom.id)).toEqual([]);
		// The template stays listed, and the same values go through once Meta takes them.
		expect(await submit(view)).toMatchObject({ success: true });
		expect(sends().map((r) => r.status)).toEqual([400, 200]);
	});

	it('outside a contact room asks for the recipient, validates it, and sends into a new omnichannel room', async () => {
		const general = app.harness.addRoom({ name: 'general', creator: agent });
		let view = await open(general);
		expect(ids(view)).toEqual(['send-recipient', 'send-department', 'send-template', 'send-tools']);
		view = await act(view, 'send-template', 'verification_code');
		view = await fill(view, { 'body.1': '482913' });
		const bad = await submit(view, { 'send-recipient': { 'send-recipient': '12' } });
		expect(bad.errors).toEqual({ 'send-recipient': 'Enter a phone number with its country code, e.g. +55 11 98765-4321.' });
		const ok = await submit(view, { 'send-recipient': { 'send-recipient': '+55 21 99999-0000' } });
		expect(ok).toMatchObject({ success: true });
		expect((sends()[0].body as any).to).toBe('5521999990000');
		const room = [...app.harness.world.rooms.values()].find(
			(r) => r.type === 'l' && (r.visitor as any)?.token === contactVisitorToken(app, '5521999990000', NUMBER.phoneNumberId),
		)!;
		expect(room).toMatchObject({ isOpen: true, servedBy: { username: 'ana' }, source: { type: 'app', id: app.harness.appId } });
		expect(app.harness.world.messagesIn(room.id)).toHaveLength(1);
	});

	/**
	 * Sends a template from a general room to a contact whose visitor was placed in Sales (a template's
	 * targetDepartment, long ago) and whose room is closed, in `department` if typed: the old room and the new.
	 */
	async function sendToContactOfSales(waId: string, department?: string) {
		const sales = app.harness.world.addDepartment({ name: 'Sales', agentIds: [agent.id] });
		const old = addContactRoom(app, agent, { waId });
		(app.harness.world.visitors.get((old.visitor as any).id) as any).department = sales.id;
		delete old.isOpen;
		const general = app.harness.addRoom({ name: 'general', creator: agent });
		let view = await open(general);
		view = await act(view, 'send-template', 'verification_code');
		view = await fill(view, { 'body.1': '482913' });
		const state = {
			'send-recipient': { 'send-recipient': `+${waId}` },
			...(department ? { 'send-department': { 'send-department': department } } : {}),
		};
		expect(await submit(view, state)).toMatchObject({ success: true });
		const token = contactVisitorToken(app, waId, NUMBER.phoneNumberId);
		const room = [...app.harness.world.rooms.values()].find((r) => r.isOpen && (r.visitor as any)?.token === token)!;
		expect(room).toMatchObject({ type: 'l', servedBy: { username: 'ana' } });
		expect(room.id).not.toBe(old.id);
		return room;
	}

	it("opens the new room without the department a contact's visitor kept, when the number has none and none is chosen", async () => {
		const room = await sendToContactOfSales('5521999990000');
		expect(room.department).toBeUndefined();
	});

	it("opens the new room in the department the agent typed, not the one a contact's visitor kept", async () => {
		const support = app.harness.world.addDepartment({ name: 'Support', agentIds: [agent.id] });
		const room = await sendToContactOfSales('5521999990001', 'Support');
		expect((room.department as any)?.id).toBe(support.id);
	});

	it("opens the new room without a department when the number's was deleted since (the template went out: its room must open)", async () => {
		const support = app.harness.world.addDepartment({ name: 'Support', agentIds: [agent.id] });
		const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
		(stored.data as any).departmentId = support.id;
		// A contact whose visitor was placed in it before (its room closed), and a new one.
		const old = addContactRoom(app, agent, { waId: '5521999990004' });
		(app.harness.world.visitors.get((old.visitor as any).id) as any).department = support.id;
		delete old.isOpen;
		app.harness.world.departments.delete(support.id as string);
		for (const waId of ['5521999990004', '5521999990002']) {
			const general = app.harness.addRoom({ name: `general-${waId}`, creator: agent });
			let view = await open(general);
			view = await act(view, 'send-template', 'verification_code');
			view = await fill(view, { 'body.1': '482913' });
			expect(await submit(view, { 'send-recipient': { 'send-recipient': `+${waId}` } })).toMatchObject({ success: true });
			const token = contactVisitorToken(app, waId, NUMBER.phoneNumberId);
			const room = [...app.harness.world.rooms.values()].find((r) => r.isOpen && (r.visitor as any)?.token === token)!;
			expect(room).toMatchObject({ type: 'l', servedBy: { username: 'ana' } });
			expect((room as any).inquiry.department).toBeUndefined();
			expect(app.harness.world.messagesIn(room.id)).toHaveLength(1);
		}
	});

	it('sends into the open room of a contact whose visitor is in another department, without moving it', async () => {
		const sales = app.harness.world.addDepartment({ name: 'Sales', agentIds: [agent.id] });
		app.harness.world.addDepartment({ name: 'Support', agentIds: [agent.id] });
		const room = addContactRoom(app, agent, { waId: '5521999990003' });
		const visitor = app.harness.world.visitors.get((room.visitor as any).id) as any;
		visitor.department = sales.id;
		const general = app.harness.addRoom({ name: 'general', creator: agent });
		let view = await open(general);
		view = await act(view, 'send-template', 'verification_code');
		view = await fill(view, { 'body.1': '482913' });
		const state = { 'send-recipient': { 'send-recipient': '+5521999990003' }, 'send-department': { 'send-department': 'Support' } };
		expect(await submit(view, state)).toMatchObject({ success: true });
		expect(app.harness.world.messagesIn(room.id)).toHaveLength(1);
		expect(visitor.department).toBe(sales.id);
	});

	it('refuses a submit whose recipient the agent cleared after typing one (not sent to the old one)', async () => {
		const general = app.harness.addRoom({ name: 'general', creator: agent });
		let view = await open(general);
		view = await act(view, 'send-recipient', '+55 21 99999-0000');
		view = await act(view, 'send-template', 'verification_code');
		view = await fill(view, { 'body.1': '482913' });
		// Cleared, then Send at once: Rocket.Chat's client submits the field empty, its action not yet sent.
		const res = await submit(view, { 'send-recipient': { 'send-recipient': '' } });
		expect(res.errors).toEqual({ 'send-recipient': expect.stringContaining('phone number') });
		expect(sends()).toEqual([]);
	});

	it('forgets what the agent typed when the modal is closed without sending (Cancel): its draft is removed', async () => {
		const drafts = () => app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('send-draft:'));
		let view = await open();
		view = await act(view, 'send-template', 'invoice');
		view = await fill(view, { 'body.1': 'INV-7' });
		expect(drafts()).toHaveLength(1);
		await app.harness.viewClosed({ user: agent, view });
		expect(drafts()).toEqual([]);
		expect(sends()).toEqual([]);
	});

	it("a multi-product template asks for the thumbnail product and the sections, one per line, refuses a list past Meta's limits on its field, and sends Meta's mpm button", async () => {
		app.sim.setTemplates(NUMBER.wabaId, [
			T('spring_products', 'en_US', [
				{ type: 'HEADER', format: 'TEXT', text: 'Spring' },
				{ type: 'BODY', text: 'New arrivals, {{1}}.', example: { body_text: [['Ana']] } },
				{ type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] },
			]),
		]);
		let view = await open();
		view = await act(view, 'send-template', 'spring_products');
		const key = (id: string) => `param:${NUMBER.phoneNumberId}/spring_products/${id}`;
		expect(ids(view).filter((id: string) => id.startsWith('param:'))).toEqual([
			'param:body.1',
			key('button.0.thumbnail'),
			key('button.0.sections'),
		]);
		const sectionsBlock = (view.blocks as any[]).find((b) => b.blockId === key('button.0.sections'));
		expect(sectionsBlock.element).toMatchObject({
			type: 'plain_text_input',
			multiline: true,
			placeholder: { text: 'A: sku-1, sku-2' },
		});
		view = await fill(view, { 'body.1': 'Ana', 'button.0.thumbnail': 'sku-1', 'button.0.sections': 'Bundles: sku-1, sku-2\nsku-3' });
		const refused = await submit(view);
		expect(refused.errors).toEqual({
			[key('button.0.sections')]: 'With several sections, each needs a title: write section 2 as "Title: ID, ID".',
		});
		expect(sends()).toEqual([]);
		view = await fill(view, { 'button.0.sections': 'Bundles: sku-1, sku-2\nPremium: sku-3' });
		expect(previewText(view)).toBe('*Spring*\nNew arrivals, Ana.\n[View items]\n[products: Bundles: sku-1, sku-2; Premium: sku-3]');
		const res = await submit(view);
		expect([res.success, res.errors]).toEqual([true, undefined]);
		// Meta's spec (patched with the mpm button Meta's page sends) and the template check take it.
		expect(sends().map((r) => r.status)).toEqual([200]);
		expect((sends()[0].body as any).template.components).toEqual([
			{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
			{
				type: 'button',
				sub_type: 'mpm',
				index: '0',
				parameters: [
					{
						type: 'action',
						action: {
							thumbnail_product_retailer_id: 'sku-1',
							sections: [
								{ title: 'Bundles', product_items: [{ product_retailer_id: 'sku-1' }, { product_retailer_id: 'sku-2' }] },
								{ title: 'Premium', product_items: [{ product_retailer_id: 'sku-3' }] },
							],
						},
					},
				],
			},
		]);
		expect(app.harness.world.messagesIn(contactRoom.id).map((m) => m.text)).toEqual([
			'*Spring*\nNew arrivals, Ana.\n[View items]\n[products: Bundles: sku-1, sku-2; Premium: sku-3]',
		]);
	});

	it("a single-product template asks for the product and its catalog, refuses a catalog ID that is not one, and sends them in the header as Meta's send writes them", async () => {
		// Meta's SPM template: a PRODUCT header, a body, an SPM ("View") button.
		app.sim.setTemplates(NUMBER.wabaId, [
			T('back_in_stock', 'en_US', [
				{ type: 'HEADER', format: 'PRODUCT' },
				{ type: 'BODY', text: 'Back in stock, {{1}}!', example: { body_text: [['Ana']] } },
				{ type: 'BUTTONS', buttons: [{ type: 'SPM', text: 'View' }] },
			]),
		]);
		let view = await open();
		view = await act(view, 'send-template', 'back_in_stock');
		const key = (id: string) => `param:${NUMBER.phoneNumberId}/back_in_stock/${id}`;
		expect(ids(view).filter((id: string) => id.startsWith('param:'))).toEqual([
			key('header.product_retailer_id'),
			key('header.catalog_id'),
			'param:body.1',
		]);
		view = await fill(view, { 'header.product_retailer_id': 'sku-42', 'header.catalog_id': 'shop catalog', 'body.1': 'Ana' });
		expect(previewText(view)).toBe('*[product: sku-42]*\nBack in stock, Ana!\n[View]');
		const refused = await submit(view);
		expect(refused.errors).toEqual({
			[key('header.catalog_id')]: "A catalog ID is digits only (Commerce Manager shows it under the catalog's name).",
		});
		view = await fill(view, { 'header.catalog_id': '194836987003835' });
		expect(await submit(view)).toMatchObject({ success: true });
		expect((sends()[0].body as any).template.components).toEqual([
			{
				type: 'header',
				parameters: [{ type: 'product', product: { product_retailer_id: 'sku-42', catalog_id: '194836987003835' } }],
			},
			{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] },
		]);
	});

	it('an authentication template as Meta lists it (its button a URL to whatsapp.com/otp): one code field, sent in body and button', async () => {
		app.sim.setTemplates(NUMBER.wabaId, [
			T(
				'login_code',
				'en_US',
				[
					{ type: 'BODY', text: '*{{1}}* is your verification code.' },
					{
						type: 'BUTTONS',
						buttons: [
							{
								type: 'URL',
								text: 'Copy code',
								url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}',
								example: ['https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp123456'],
							},
						],
					},
				],
				{ category: 'AUTHENTICATION' },
			),
		]);
		let view = await open();
		view = await act(view, 'send-template', 'login_code');
		expect(ids(view).filter((id: string) => id.startsWith('param:'))).toEqual([`param:${NUMBER.phoneNumberId}/login_code/body.1`]);
		expect(JSON.stringify(view.blocks)).toContain('One-time code');
		const tooLong = await submit(await fill(view, { 'body.1': '1234567890123456' }));
		expect(tooLong.errors).toEqual({ [`param:${NUMBER.phoneNumberId}/login_code/body.1`]: 'At most 15 characters.' });
		view = await fill(view, { 'body.1': 'J$FpnYnP' });
		// The code is in no view the app answered with (Rocket.Chat's runtime logs each one, and the logs
		// are stored): the field holds what was typed, the preview masks it.
		expect(JSON.stringify(view)).not.toContain('J$FpnYnP');
		expect(JSON.stringify(view.blocks)).toContain('*••••••* is your verification code.');
		expect(app.harness.openModal(agent)!.state[`param:${NUMBER.phoneNumberId}/login_code/body.1`]).toEqual({
			[`param:${NUMBER.phoneNumberId}/login_code/body.1`]: 'J$FpnYnP',
		});
		expect(app.harness.formatLogs()).not.toContain('J$FpnYnP');
		expect(await submit(view)).toMatchObject({ success: true });
		expect((sends()[0].body as any).template.components).toEqual([
			{ type: 'body', parameters: [{ type: 'text', text: 'J$FpnYnP' }] },
			{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'J$FpnYnP' }] },
		]);
		expect(app.harness.formatLogs()).not.toContain('J$FpnYnP');
	});

	it('sends a catalog template with the optional thumbnail product, or without it', async () => {
		app.sim.setTemplates(NUMBER.wabaId, [
			T(
				'intro_catalog_offer',
				'en_US',
				[
					{ type: 'BODY', text: 'Get Rs {{1}} off!' },
					{ type: 'BUTTONS', buttons: [{ type: 'CATALOG', text: 'View catalog' }] },
				],
				{ category: 'MARKETING' },
			),
		]);
		let view = await open();
		view = await act(view, 'send-template', 'intro_catalog_offer');
		const thumbnail = `param:${NUMBER.phoneNumberId}/intro_catalog_offer/button.0.thumbnail`;
		expect((view.blocks as any[]).find((b) => b.blockId === thumbnail)).toMatchObject({ optional: true });
		view = await fill(view, { 'body.1': '100', 'button.0.thumbnail': '2lc20305pt' });
		expect(await submit(view)).toMatchObject({ success: true });
		expect((sends()[0].body as any).template.components).toEqual([
			{ type: 'body', parameters: [{ type: 'text', text: '100' }] },
			{
				type: 'button',
				sub_type: 'catalog',
				index: '0',
				parameters: [{ type: 'action', action: { thumbnail_product_retailer_id: '2lc20305pt' } }],
			},
		]);
		let again = await open();
		again = await act(again, 'send-template', 'intro_catalog_offer');
		again = await fill(again, { 'body.1': '100' });
		expect(await submit(again)).toMatchObject({ success: true });
		expect((sends()[1].body as any).template.components).toEqual([{ type: 'body', parameters: [{ type: 'text', text: '100' }] }]);
	});

	it('switching template keeps body text but not a button suffix or coupon, which mean something else there', async () => {
		let view = await open();
		view = await act(view, 'send-template', 'offer');
		view = await fill(view, { 'body.1': 'Ana', 'button.0.coupon': 'SAVE10', 'button.1.url': 'abc' });
		view = await act(view, 'send-template', 'reservation_confirmation');
		view = await act(view, 'send-template', 'invoice');
		const initial = (id: string) => (view.blocks as any[]).find((b) => b.blockId === paramOf(view, id)).element.initialValue;
		expect(initial('body.1')).toBe('Ana');
		expect(initial('header.link')).toBeUndefined();
		view = await act(view, 'send-template', 'offer');
		expect(initial('button.0.coupon')).toBe('SAVE10');
		expect(initial('button.1.url')).toBe('abc');
	});

	it('lists more than 250 templates across pages', async () => {
		app.sim.setTemplates(
			NUMBER.wabaId,
			Array.from({ length: 300 }, (_, i) => T(`bulk_${String(i).padStart(3, '0')}`, 'en_US', [{ type: 'BODY', text: 'Hi {{1}}' }])),
		);
		const view = await open();
		// The select offers 100 of them; the search field above it reaches the others.
		expect(ids(view)).toEqual(['send-search', 'send-template', 'send-tools']);
		const options = (v: any) => (v.blocks as any[]).find((b) => b.blockId === 'send-template').element.options.map((o: any) => o.value);
		expect(options(view)).toHaveLength(100);
		const found = await act(view, 'send-search', 'bulk_29');
		expect(options(found)).toEqual(Array.from({ length: 10 }, (_, i) => `bulk_29${i}`));
		// The simulator serves at most 100 a page (the spec's maximum): every page is followed.
		expect(app.sim.requestsTo('/message_templates')).toHaveLength(3);
	});

	it('/whatsapp view-templates lists approved templates with languages, category and parameter count; agents only', async () => {
		await app.harness.command('whatsapp', ['view-templates'], { user: agent, room: contactRoom });
		const text = String(app.harness.world.notificationsFor(agent.id).pop()?.text);
		expect(text).toContain('*Acme Support* +1 555-078-3881');
		expect(text).toContain('• `invoice` (Utility): en_US, pt_BR · 3 parameters');
		expect(text).toContain('• `coupon_expiration_reminder_number_vars` (Marketing): en · 3 parameters');
		expect(text).not.toContain('paused_one');
		const guest = app.harness.addUser({ username: 'guest', roles: ['user'] });
		await app.harness.command('whatsapp', ['send-template'], { user: guest, room: contactRoom });
		expect(String(app.harness.world.notificationsFor(guest.id).pop()?.text)).toContain('not allowed');
		expect(app.harness.world.uiFor(guest.id)).toEqual([]);
	});

	it('tells the agents in the room when WhatsApp later reports the template failed', async () => {
		let view = await open();
		view = await act(view, 'send-template', 'verification_code');
		view = await fill(view, { 'body.1': '482913' });
		expect(await submit(view)).toMatchObject({ success: true });
		const wamid = app.sim.sentMessages[0].wamid;
		const errors = [
			{
				code: 131026,
				title: 'Message undeliverable',
				message: 'Message undeliverable',
				error_data: { details: 'Message Undeliverable.' },
			},
		];
		expect(
			(
				await app.sim.deliverRaw(
					app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid, status: 'failed', recipient: '5511987654321', errors }]),
					NUMBER.appSecret,
				)
			).status,
		).toBe(200);
		await app.harness.scheduler.runDue();
		const notice = String(app.harness.world.notificationsFor(agent.id).pop()?.text);
		expect(notice).toBe(
			'⚠️ WhatsApp did not deliver the message to 5511987654321 ("•••••• is your verification code.\n[Copy code]"): WhatsApp could not deliver the message: the number may not be on WhatsApp, or may have to accept new terms.',
		);
	});

	it("drops a template from the list as soon as Meta's webhook says it is paused", async () => {
		await open();
		const update = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'pywa', 'template_status_update.json'), 'utf8')).approved;
		update.entry[0].id = NUMBER.wabaId;
		Object.assign(update.entry[0].changes[0].value, {
			event: 'PAUSED',
			message_template_name: 'offer',
			message_template_language: 'en_US',
		});
		expect((await app.sim.deliverRaw(update, NUMBER.appSecret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		const view = await open();
		expect((view.blocks as any[])[0].element.options.map((o: any) => o.value)).not.toContain('offer');
	});

	it("tells the agent why the templates cannot be listed when Meta refuses the number's token", async () => {
		app.sim.numbers.set(NUMBER.phoneNumberId, { ...app.sim.numbers.get(NUMBER.phoneNumberId)!, accessToken: 'EAAROTATED' });
		const view = await open();
		expect(JSON.stringify(view.blocks)).toContain(
			"The templates of this number could not be fetched from Meta: Meta no longer accepts this number's access token. An admin must reconnect the number (/whatsapp numbers).",
		);
		await app.harness.command('whatsapp', ['view-templates'], { user: agent, room: contactRoom });
		expect(String(app.harness.world.notificationsFor(agent.id).pop()?.text)).toContain('could not be fetched from Meta');
	});
});
