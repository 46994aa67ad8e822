/**
 * `/whatsapp send-template` driven as Rocket.Chat's 7/8 web client drives it (tools/harness/rc/uikit.ts
 * `ClientModal`): the client seeds each element's value once, keyed by action id, from the first
 * view only, keeps it across the app's view updates, shows what it seeded when the element first
 * appeared, and submits the state built from those values
 * (apps/meteor/client/uikit/hooks/useUiKitView.ts; packages/fuselage-ui-kit/src/hooks/useUiKitState.ts
 * @ 000eb1dac36a6dc92cbaad4233003e1b24095f7e). What the agent sees in the modal must be what goes to
 * WhatsApp: the exact template and language sent to the Cloud API are asserted against what the
 * client shows.
 */
import { assertClientRenders, ClientModal } from '../../tools/harness/rc/uikit';
import { SimNumber } from '../../tools/sim/CloudApiSimulator';
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const T = (name: string, language: string, body: string) => ({
	id: `${name}-${language}`,
	name,
	language,
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: body }],
});

// invoice in two languages, receipt in Portuguese only, welcome in English only.
const TEMPLATES = [
	T('invoice', 'en_US', 'Your invoice {{1}} is ready.'),
	T('invoice', 'pt_BR', 'Sua fatura {{1}} está pronta.'),
	T('receipt', 'pt_BR', 'Recebemos seu pagamento {{1}}.'),
	T('welcome', 'en_US', 'Welcome, {{1}}!'),
];

/** A second number on another WhatsApp Business Account: same template name, other languages. */
const SECOND: SimNumber = {
	...NUMBER,
	phoneNumberId: '106540352242944',
	wabaId: '102290129340411',
	displayPhoneNumber: '+1 555-078-4444',
	verifiedName: 'Acme Sales',
	accessToken: 'EAATESTTOKEN5555555555',
};

describe('/whatsapp send-template as Rocket.Chat’s client shows and submits it', () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, TEMPLATES);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		// The contact's language is Brazilian Portuguese: the modal preselects pt_BR where a template has it.
		room = addContactRoom(app, agent, { language: 'pt-BR' });
	});
	afterEach(() => stopChecked(app));

	const sent = () => app.sim.requestsTo('/messages').map((r) => r.body as any);
	const blocks = (client: ClientModal) => client.view.blocks as any[];
	const blockOf = (client: ClientModal, actionId: string) =>
		blocks(client).find((b) => b.element?.actionId === actionId || (b.elements ?? []).some((e: any) => e.actionId === actionId));
	/** The number select the client shows now (its action id changes with the numbers it offers). */
	const numberSelect = (client: ClientModal) =>
		blocks(client).find((b) => String(b.element?.actionId).startsWith('send-number'))?.element;
	/** The language select the client shows now (its action id changes with the template). */
	const languageSelect = (client: ClientModal) =>
		blocks(client).find((b) => String(b.element?.actionId).startsWith('send-language'))?.element;
	const preview = (client: ClientModal) =>
		String(
			blocks(client)
				.filter((b) => b.type === 'section')
				.pop()?.text?.text ?? '',
		);

	async function open(in_: HarnessRoom = room): Promise<ClientModal> {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room: in_ });
		const view = app.harness.lastView(agent)!;
		assertClientRenders(view);
		return new ClientModal(view);
	}

	/** The agent changes an element: the client keeps the value and, if the element dispatches, the app updates the modal. */
	async function choose(client: ClientModal, actionId: string, value: string): Promise<void> {
		const block = blockOf(client, actionId);
		expect(block).toBeDefined();
		client.input(actionId, value);
		if (!client.dispatches(actionId)) return;
		const res = await app.harness.blockAction({ user: agent, actionId, blockId: block.blockId, value, view: client.view });
		expect(res).toMatchObject({ success: true, type: 'modal.update' });
		assertClientRenders(res.view);
		client.update(res.view);
	}

	async function chooseLanguage(client: ClientModal, language: string): Promise<void> {
		const select = languageSelect(client);
		expect(select.options.map((o: any) => o.value)).toContain(language);
		await choose(client, select.actionId, language);
	}

	const submit = (client: ClientModal) => app.harness.viewSubmit({ user: agent, view: client.view, state: client.state });

	/** What the client shows in the language select, the template it shows, and the preview line. */
	const shown = (client: ClientModal) => ({
		template: client.shown('send-template'),
		language: client.shown(languageSelect(client).actionId),
	});

	it('sends the template picked last in the language its select shows, not the language picked for the template before', async () => {
		const client = await open();
		await choose(client, 'send-template', 'invoice');
		expect(shown(client)).toEqual({ template: 'invoice', language: 'pt_BR' });
		await chooseLanguage(client, 'en_US');
		expect(shown(client)).toEqual({ template: 'invoice', language: 'en_US' });
		expect(preview(client)).toBe('Your invoice {{1}} is ready.');

		// receipt exists in Portuguese only: its select shows pt_BR, and pt_BR is what is sent.
		await choose(client, 'send-template', 'receipt');
		expect(shown(client)).toEqual({ template: 'receipt', language: 'pt_BR' });
		expect(languageSelect(client).options.map((o: any) => o.value)).toEqual(['pt_BR']);
		await choose(client, 'param:body.1', 'PAY-9');
		expect(preview(client)).toBe('Recebemos seu pagamento PAY-9.');

		const res = await submit(client);
		expect([res.success, res.errors]).toEqual([true, undefined]);
		expect(sent()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'template',
				template: {
					name: 'receipt',
					language: { code: 'pt_BR' },
					components: [{ type: 'body', parameters: [{ type: 'text', text: 'PAY-9' }] }],
				},
			},
		]);
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Recebemos seu pagamento PAY-9.']);
	});

	it('shows the language it sends when the agent leaves the preselected language alone and switches template', async () => {
		const client = await open();
		await choose(client, 'send-template', 'invoice');
		expect(shown(client)).toEqual({ template: 'invoice', language: 'pt_BR' });
		// welcome exists in English only.
		await choose(client, 'send-template', 'welcome');
		await choose(client, 'param:body.1', 'Carla');
		const before = shown(client);
		expect(before).toEqual({ template: 'welcome', language: 'en_US' });
		expect(preview(client)).toBe('Welcome, Carla!');

		expect(await submit(client)).toMatchObject({ success: true });
		expect(sent().map((b) => [b.template.name, b.template.language.code])).toEqual([[before.template, before.language]]);
	});

	it('back on a template whose language the agent chose, shows, previews and sends that language', async () => {
		const client = await open();
		await choose(client, 'send-template', 'invoice');
		await chooseLanguage(client, 'en_US');
		await choose(client, 'send-template', 'receipt');
		await choose(client, 'param:body.1', 'INV-7');
		await choose(client, 'send-template', 'invoice');
		// The client kept the agent's choice for invoice's select; the app builds the modal for it too.
		expect(shown(client)).toEqual({ template: 'invoice', language: 'en_US' });
		expect(languageSelect(client).initialValue).toBe('en_US');
		// The value typed for receipt's {{1}} still applies to invoice's {{1}} (values survive template switches).
		expect(client.shown('param:body.1')).toBe('INV-7');
		expect(preview(client)).toBe('Your invoice INV-7 is ready.');

		expect(await submit(client)).toMatchObject({ success: true });
		expect(sent().map((b) => [b.template.name, b.template.language.code, b.template.components[0].parameters[0].text])).toEqual([
			['invoice', 'en_US', 'INV-7'],
		]);
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Your invoice INV-7 is ready.']);
	});

	it('switching to a number whose account has the same template in other languages shows and sends one of those', async () => {
		await connectNumber(app, SECOND);
		app.sim.setTemplates(SECOND.wabaId, [T('invoice', 'es_ES', 'Su factura {{1}} está lista.')]);

		// Outside a contact room: a contact's room sends from its own number only (sendTemplateChecks.test.ts).
		const client = await open(app.harness.addRoom({ name: 'general', creator: agent }));
		await choose(client, 'send-recipient', '+55 11 98765-4321');
		await choose(client, 'send-template', 'invoice');
		expect(shown(client)).toEqual({ template: 'invoice', language: 'en_US' });
		await choose(client, numberSelect(client).actionId, SECOND.phoneNumberId);
		expect(shown(client)).toEqual({ template: 'invoice', language: 'es_ES' });
		await choose(client, 'param:body.1', 'F-1');
		expect(preview(client)).toBe('Su factura F-1 está lista.');

		const res = await submit(client);
		expect([res.success, res.errors]).toEqual([true, undefined]);
		expect(
			app.sim.requestsTo('/messages').map((r) => [r.path, (r.body as any).template.name, (r.body as any).template.language.code]),
		).toEqual([[expect.stringContaining(SECOND.phoneNumberId), 'invoice', 'es_ES']]);
	});

	/** An admin disconnects `number` in `/whatsapp numbers` (its Disconnect, then the confirmation's submit). */
	async function disconnect(number: SimNumber): Promise<void> {
		const admin = app.harness.admin;
		await app.harness.command('whatsapp', ['numbers'], { user: admin, room: app.harness.addRoom({ name: 'ops', creator: admin }) });
		const ask = await app.harness.blockAction({
			user: admin,
			actionId: 'whatsapp-number-disconnect',
			blockId: `number:${number.phoneNumberId}`,
			value: number.phoneNumberId,
			view: app.harness.lastView(admin)!,
		});
		expect(await app.harness.viewSubmit({ user: admin, view: ask.view, state: {} })).toMatchObject({ success: true });
		expect(JSON.stringify(app.harness.openModal(admin)!.view.blocks)).toContain(`Disconnected ${number.displayPhoneNumber}.`);
	}

	it('a number disconnected while the form is open gives way to a fresh select showing the number it sends from: the submit goes, from that number', async () => {
		const THIRD: SimNumber = {
			...SECOND,
			phoneNumberId: '106540352242955',
			displayPhoneNumber: '+1 555-078-5555',
			verifiedName: 'Acme Care',
		};
		await connectNumber(app, SECOND);
		await connectNumber(app, THIRD);
		app.sim.setTemplates(SECOND.wabaId, [T('welcome', 'en_US', 'Welcome, {{1}}!')]);

		const client = await open(app.harness.addRoom({ name: 'general', creator: agent }));
		await choose(client, 'send-recipient', '+55 11 98765-4321');
		await choose(client, numberSelect(client).actionId, THIRD.phoneNumberId);
		const before = numberSelect(client);
		expect(client.shown(before.actionId)).toBe(THIRD.phoneNumberId);

		await disconnect(THIRD);
		// The agent's next change redraws the form: the select offers the numbers left and shows the one it sends from.
		await choose(client, 'send-template', 'welcome');
		const after = numberSelect(client);
		expect(after.actionId).not.toBe(before.actionId);
		expect(after.options.map((o: any) => o.value)).toEqual([NUMBER.phoneNumberId, SECOND.phoneNumberId]);
		expect(client.shown(after.actionId)).toBe(NUMBER.phoneNumberId);
		// The client still holds the old select's value: it is not the number sent from.
		expect(JSON.stringify(client.state)).toContain(THIRD.phoneNumberId);
		await choose(client, 'param:body.1', 'Carla');
		// The number comes back: the set offered before, in a select of its own again (not the first
		// one, whose kept value the client would show and submit).
		await connectNumber(app, THIRD);
		await choose(client, 'param:body.1', 'Carla!');
		const again = numberSelect(client);
		expect(again.options.map((o: any) => o.value)).toEqual(before.options.map((o: any) => o.value));
		expect([before.actionId, after.actionId]).not.toContain(again.actionId);
		expect(client.shown(again.actionId)).toBe(NUMBER.phoneNumberId);

		const res = await submit(client);
		expect([res.success, res.errors]).toEqual([true, undefined]);
		expect(sent().map((b) => [b.to, b.template.name])).toEqual([['5511987654321', 'welcome']]);
		expect(app.sim.requestsTo('/messages').map((r) => r.path)).toEqual([expect.stringContaining(NUMBER.phoneNumberId)]);
	});
});
