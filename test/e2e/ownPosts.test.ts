/**
 * What the app posts in a contact's room on a default Rocket.Chat (custom fields off), through the
 * engine: the template an agent sent (as the agent or as the app's bot) and the 24-hour window
 * notices appear in the room, and although Rocket.Chat announces each of them to the app
 * (IPostMessageSent fires for an app's own messages), none is relayed to WhatsApp; an agent's own
 * reply still is. Also with custom fields enabled and a schema that knows nothing of the app.
 */
import { HarnessUser } from '../../tools/harness/world';
import { AppUnderTest, cancelRecurringJobs, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const HOUR = 3600 * 1000;
const CODE_TEMPLATE = {
	id: 'verification_code-en_US',
	name: 'verification_code',
	language: 'en_US',
	status: 'APPROVED',
	category: 'AUTHENTICATION',
	components: [
		{ type: 'BODY', text: '{{1}} is your verification code.' },
		{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
	],
};
/**
 * The template as the room shows it: an authentication template's one-time code masked (agents must
 * not see customers' codes; core/app/sendTemplates.ts `shownValues`). Only the send to WhatsApp has it.
 */
const SHOWN = '•••••• is your verification code.\n[Copy code]';
const TEMPLATE_SEND = {
	messaging_product: 'whatsapp',
	biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
	recipient_type: 'individual',
	to: '5511987654321',
	type: 'template',
	template: {
		name: 'verification_code',
		language: { code: 'en_US' },
		components: [
			{ type: 'body', parameters: [{ type: 'text', text: '482913' }] },
			{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
		],
	},
};

describe("the app's own posts in the room", () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [CODE_TEMPLATE]);
		agent = app.harness.addUser({ username: 'ana', name: 'Ana Lima', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
	});
	afterEach(() => stopChecked(app));

	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	/** What reached WhatsApp (read receipts aside). */
	const sends = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status !== 'read')
			.map((r) => r.body as any);
	const ownPostRecords = () => app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'own-post'));

	/** The contact writes first: the window is open, so anything taken for an agent's reply would be relayed. */
	async function conversation() {
		expect(
			(
				await app.sim.deliverInboundMessage({
					phoneNumberId: NUMBER.phoneNumberId,
					from: '5511987654321',
					name: 'Carla',
					message: 'Hi, my code?',
				})
			).status,
		).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		const [room] = livechatRooms();
		expect(room).toMatchObject({ servedBy: { username: 'ana' } });
		return room;
	}

	/** The agent sends verification_code through the /whatsapp send-template modal in the room. */
	async function sendTemplate(room: any) {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		let view = app.harness.lastView(agent)!;
		view = (
			await app.harness.blockAction({
				user: agent,
				actionId: 'send-template',
				blockId: 'send-template',
				value: 'verification_code',
				view,
			})
		).view;
		// The one-time code's field is keyed by number and template (src/core/app/sendTemplateModal.ts fieldKey).
		const code = `param:${NUMBER.phoneNumberId}/verification_code/body.1`;
		view = (await app.harness.blockAction({ user: agent, actionId: code, blockId: code, value: '482913', view })).view;
		const res = await app.harness.viewSubmit({ user: agent, view, state: {} });
		expect([res.success, res.errors]).toEqual([true, undefined]);
	}

	it('shows the template sent as the agent in the room and sends it to WhatsApp once', async () => {
		const room = await conversation();
		await sendTemplate(room);
		await app.harness.settled();
		const [, posted] = app.harness.world.messagesIn(room.id);
		expect(posted).toMatchObject({ text: SHOWN, sender: { id: agent.id, username: 'ana' } });
		expect(posted.text).not.toContain('482913');
		expect(posted.customFields).toBeUndefined();
		expect(sends()).toEqual([TEMPLATE_SEND]);
		// The send's record (the status callbacks' `message`) has it masked too.
		const records = app.harness.world.persistence
			.map((r) => r.data as { templateName?: string; mobileNo?: string; message?: string })
			.filter((d) => d.templateName === 'verification_code' && d.mobileNo === '5511987654321');
		expect(records.length).toBeGreaterThan(0);
		expect(records.map((d) => d.message)).toEqual(records.map(() => SHOWN));
		// The record that told the post apart was consumed by its IPostMessageSent.
		expect(ownPostRecords()).toEqual([]);
		// The agent writing the very same words afterwards is an ordinary reply, relayed.
		await app.harness.userMessage({ user: agent, room, text: SHOWN });
		expect(sends().slice(1)).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'text',
				text: { body: SHOWN, preview_url: false },
			},
		]);
	});

	it("shows the template sent as the app's bot in the room and sends it to WhatsApp once", async () => {
		await app.harness.setSetting('template_sent_by', 'bot');
		const room = await conversation();
		await sendTemplate(room);
		await app.harness.settled();
		const [, posted] = app.harness.world.messagesIn(room.id);
		expect(posted).toMatchObject({ text: SHOWN, sender: { type: 'app' } });
		expect(sends()).toEqual([TEMPLATE_SEND]);
		expect(ownPostRecords()).toEqual([]);
	});

	it.each([
		['arrives after the post returned', 'after'],
		['is handled before the post returns', 'before'],
	])('does not relay the template posted as the agent when its IPostMessageSent %s', async (_label, order) => {
		const room = await conversation();
		const events = app.harness.bridges.events;
		const dispatch = events.dispatch!;
		const bridge = app.harness.bridges.getMessageBridge() as any;
		const create = bridge.create;
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		if (order === 'after') {
			// Rocket.Chat does not await the event: here it reaches the app once the modal's submit is over.
			events.dispatch = async (event, data) => {
				await gate;
				return dispatch(event, data);
			};
		} else {
			// The app's handler of the event runs to its end before the post answers with the id.
			bridge.create = async (...args: any[]) => {
				const id = await create(...args);
				await app.harness.settled();
				return id;
			};
		}
		await sendTemplate(room);
		release();
		await app.harness.settled();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Hi, my code?', SHOWN]);
		expect(sends()).toEqual([TEMPLATE_SEND]);
		expect(ownPostRecords()).toEqual([]);
	});

	it('tells the agent nothing about a closed window when the template they sent shows in the room', async () => {
		const room = await conversation();
		// The contact's window (not the record linking their BSUID to their number).
		const window = app.harness.world.persistence.find(
			(r) => r.associations.some((a) => a.id.startsWith('window:')) && !(r.data as any).userOf,
		)!;
		(window.data as any).at = Date.now() - 25 * HOUR;
		await sendTemplate(room);
		await app.harness.settled();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Hi, my code?', SHOWN]);
		expect(sends()).toEqual([TEMPLATE_SEND]);
		expect(app.harness.world.notificationsFor(agent.id)).toEqual([]);
	});

	it("still relays an agent's ordinary reply", async () => {
		const room = await conversation();
		await app.harness.userMessage({ user: agent, room, text: 'Your code is on its way' });
		expect(sends()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'text',
				text: { body: 'Your code is on its way', preview_url: false },
			},
		]);
	});

	it('shows the window notices in the room, from the app, and relays neither', async () => {
		const room = await conversation();
		await cancelRecurringJobs(app);
		await app.harness.scheduler.advance(23.1 * HOUR);
		await app.harness.scheduler.advance(HOUR);
		await app.harness.settled();
		const notices = app.harness.world.messagesIn(room.id).slice(1);
		expect(notices.map((m) => m.text)).toEqual([
			expect.stringMatching(/^⏳ The 24-hour window with this contact closes at/),
			expect.stringMatching(/^⌛ The 24-hour window with this contact has closed/),
		]);
		expect(notices.map((m) => (m.sender as any).type)).toEqual(['app', 'app']);
		expect(notices.map((m) => m.customFields)).toEqual([undefined, undefined]);
		expect(sends()).toEqual([]);
	});

	it("works the same with custom fields enabled and an admin's schema that does not know the app", async () => {
		// The admin's choice (Administration > Message > Custom Fields): on, with Rocket.Chat's example schema.
		app.harness.world.serverSettings.set('Message_CustomFields_Enabled', true);
		const room = await conversation();
		await sendTemplate(room);
		await app.harness.userMessage({ user: agent, room, text: 'Did it arrive?' });
		await cancelRecurringJobs(app);
		await app.harness.scheduler.advance(23.1 * HOUR);
		await app.harness.settled();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual([
			'Hi, my code?',
			SHOWN,
			'Did it arrive?',
			expect.stringMatching(/^⏳/),
		]);
		expect(sends()).toEqual([
			TEMPLATE_SEND,
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'text',
				text: { body: 'Did it arrive?', preview_url: false },
			},
		]);
	});
});
