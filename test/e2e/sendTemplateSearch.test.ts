/**
 * `/whatsapp send-template` with hundreds of templates, driven as Rocket.Chat's 7/8 web client
 * drives it (tools/harness/rc/uikit.ts `ClientModal`): the template select offers 100 names, a search
 * field above it narrows them (a plain_text_input with `on_character_entered`, which the client
 * sends as one debounced block action), and the agent finds the template in two interactions:
 * typing the search, picking in the narrowed select. The exact request sent to the Cloud API is asserted.
 */
import { assertClientRenders, ClientModal } from '../../tools/harness/rc/uikit';
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const T = (name: string, language: string, components: any[]) => ({
	id: `${name}-${language}`,
	name,
	language,
	status: 'APPROVED',
	category: 'UTILITY',
	components,
});
/** 299 alerts and one invoice reminder (a document header, after the alerts by name), each in English and Portuguese: 600 pairs. */
const ALERTS = Array.from({ length: 299 }, (_, i) => `alert_${String(i).padStart(3, '0')}`);
const TEMPLATES = [
	...ALERTS.flatMap((name) => ['en_US', 'pt_BR'].map((l) => T(name, l, [{ type: 'BODY', text: `Alert ${name}: {{1}}` }]))),
	...['en_US', 'pt_BR'].map((l) =>
		T('invoice_reminder', l, [
			{ type: 'HEADER', format: 'DOCUMENT' },
			{ type: 'BODY', text: l === 'pt_BR' ? 'Sua fatura {{1}} vence amanhã.' : 'Your invoice {{1}} is due tomorrow.' },
		]),
	),
];

describe('/whatsapp send-template: finding a template among hundreds', () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, TEMPLATES);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		room = addContactRoom(app, agent, { language: 'pt-BR' });
	});
	afterEach(() => stopChecked(app));

	const blocks = (client: ClientModal) => client.view.blocks as any[];
	const options = (client: ClientModal) =>
		(blocks(client).find((b) => b.element?.actionId === 'send-template')?.element.options ?? []).map((o: any) => o.value);
	const contextTexts = (client: ClientModal) =>
		blocks(client)
			.filter((b) => b.type === 'context')
			.map((b) => b.elements.map((e: any) => e.text).join(' '));

	async function open(): Promise<ClientModal> {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		const view = app.harness.lastView(agent)!;
		assertClientRenders(view);
		return new ClientModal(view);
	}

	/** The agent changes an element: the client keeps the value and, when the element dispatches, sends one block action. */
	let interactions = 0;
	async function change(client: ClientModal, actionId: string, value: string): Promise<void> {
		client.input(actionId, value);
		if (!client.dispatches(actionId)) return;
		interactions++;
		const block = blocks(client).find((b) => b.element?.actionId === actionId);
		const res = await app.harness.blockAction({ user: agent, actionId, blockId: block.blockId, value, view: client.view });
		expect(res).toMatchObject({ success: true, type: 'modal.update' });
		assertClientRenders(res.view);
		client.update(res.view);
	}

	it('the agent types part of the name and picks the template: two interactions, then fills and sends it', async () => {
		const client = await open();
		// 300 names: the select offers the first 100, says so, and the search field is there.
		expect(options(client)).toHaveLength(100);
		expect(options(client)).not.toContain('invoice_reminder');
		expect(contextTexts(client)).toContain('The list shows 100 of the 300 matching templates: type more of the name to narrow it.');
		expect(client.dispatches('send-search')).toBe(true);

		const listFetches = app.sim.requestsTo('/message_templates').length;
		interactions = 0;
		await change(client, 'send-search', 'invoice');
		expect(options(client)).toEqual(['invoice_reminder']);
		expect(contextTexts(client)).toEqual([]);
		await change(client, 'send-template', 'invoice_reminder');
		expect(interactions).toBe(2);
		// The contact's language is preselected; the template's parameters are asked.
		expect(client.shown('send-language:106540352242922:invoice_reminder')).toBe('pt_BR');
		expect(
			blocks(client)
				.map((b) => b.blockId)
				.filter((id: string) => id?.startsWith('param:')),
		).toEqual([
			// Keyed by number and template (src/core/app/sendTemplateModal.ts fieldKey); a body text variable by its id.
			`param:${NUMBER.phoneNumberId}/invoice_reminder/header.link.document`,
			`param:${NUMBER.phoneNumberId}/invoice_reminder/header.filename`,
			'param:body.1',
		]);

		await change(client, `param:${NUMBER.phoneNumberId}/invoice_reminder/header.link.document`, 'https://example.com/f-7.pdf');
		await change(client, `param:${NUMBER.phoneNumberId}/invoice_reminder/header.filename`, 'fatura-7.pdf');
		await change(client, 'param:body.1', 'F-7');
		const res = await app.harness.viewSubmit({ user: agent, view: client.view, state: client.state });
		expect([res.success, res.errors]).toEqual([true, undefined]);
		expect(app.sim.requestsTo('/messages').map((r) => r.body)).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'template',
				template: {
					name: 'invoice_reminder',
					language: { code: 'pt_BR' },
					components: [
						{
							type: 'header',
							parameters: [{ type: 'document', document: { link: 'https://example.com/f-7.pdf', filename: 'fatura-7.pdf' } }],
						},
						{ type: 'body', parameters: [{ type: 'text', text: 'F-7' }] },
					],
				},
			},
		]);
		// The search, the pick and the parameters were served by the cache the open filled.
		expect(app.sim.requestsTo('/message_templates').length).toBe(listFetches);
	});

	it('a search that matches nothing says so; the chosen template stays offered whatever is searched', async () => {
		const client = await open();
		await change(client, 'send-search', 'invoice');
		await change(client, 'send-template', 'invoice_reminder');
		await change(client, 'send-search', 'no such thing');
		expect(options(client)).toEqual(['invoice_reminder']);
		expect(client.shown('send-template')).toBe('invoice_reminder');
		await change(client, 'send-search', 'alert_29');
		expect(options(client)).toEqual(['invoice_reminder', ...ALERTS.filter((n) => n.includes('alert_29'))]);
		// Without a chosen template, the agent is told that nothing matches.
		const fresh = await open();
		await change(fresh, 'send-search', 'zzz');
		expect(options(fresh)).toEqual([]);
		expect(contextTexts(fresh)).toEqual(['No template matches "zzz".']);
	});
});
