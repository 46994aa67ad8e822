/**
 * Delivery state in the room, through the engine: a template sent with the modal, or an agent's
 * reply, shows its WhatsApp status on its Rocket.Chat message (an attachment, updated through the
 * engine's message updater into the harness's model of Rocket.Chat's updateMessage), one update per
 * message per processing run; a failure shows the reason; the setting turns it off; a templateMessage
 * send touches no room.
 */
import { HarnessRoom, HarnessUser, Json } from '../../tools/harness/world';
import { ADMIN_AUTH, addContactRoom, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { StatusSink } from '../support/statusSink';

/* eslint-disable @typescript-eslint/no-explicit-any */
const CARLA = '5511987654321';
const READ = { type: 'whatsapp-status:read', color: '#53BDEB', text: '✓✓ Read on WhatsApp' };

describe('delivery state in the room', () => {
	let app: AppUnderTest;
	let sink: StatusSink;
	let agent: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [
			{
				id: '1',
				name: 'order_update',
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
			},
		]);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		room = addContactRoom(app, agent);
		sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
	});
	afterEach(async () => {
		try {
			await sink.stop();
		} finally {
			await stopChecked(app);
		}
	});

	const messages = () => app.harness.world.messagesIn(room.id);
	const updatesOf = (messageId: string) => app.harness.world.messageUpdates.filter((u) => u.messageId === messageId);
	const stateOf = (message: Json) =>
		((message.attachments as any[] | undefined) ?? []).filter((a) => a.type?.startsWith('whatsapp-status:'));

	/** The modal, as the agent fills and submits it in the contact's room; the room's message and its wamid. */
	async function sendFromModal(): Promise<{ message: Json; wamid: string }> {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		let view = app.harness.lastView(agent)!;
		view = (
			await app.harness.blockAction({ user: agent, actionId: 'send-template', blockId: 'send-template', value: 'order_update', view })
		).view;
		view = (await app.harness.blockAction({ user: agent, actionId: 'param:body.1', blockId: 'param:body.1', value: '42', view })).view;
		expect(await app.harness.viewSubmit({ user: agent, view, state: {} })).toMatchObject({ success: true });
		await app.harness.settled();
		await app.harness.scheduler.runDue();
		const [message] = messages();
		expect(message.text).toBe('Order 42 is on its way.');
		return { message, wamid: app.sim.sentMessages[0].wamid };
	}

	/** Meta's statuses, each list in one signed webhook; processed once all are stored. */
	async function meta(...webhooks: Array<Array<{ wamid: string; status: string; errors?: unknown[] }>>) {
		for (const statuses of webhooks) {
			const payload = app.sim.statusPayload(
				NUMBER.phoneNumberId,
				statuses.map((s) => ({ recipient: CARLA, ...s })),
			);
			expect((await app.sim.deliverRaw(payload, NUMBER.appSecret)).status).toBe(200);
		}
		await app.harness.scheduler.runDue();
	}

	const current = (id: string) => app.harness.world.messages.find((m) => m.id === id)!;

	it('shows sent, then delivered and read of a modal send on its room message, one update per processing run', async () => {
		const { message, wamid } = await sendFromModal();
		expect(stateOf(message)).toEqual([]);
		await meta([{ wamid, status: 'sent' }]);
		expect(stateOf(current(message.id as string))).toEqual([
			{ type: 'whatsapp-status:sent', color: '#8696A0', text: '✓ Sent on WhatsApp' },
		]);
		// A burst: delivered and read in one webhook, and a repeated read in another, handled by one run.
		await meta(
			[
				{ wamid, status: 'delivered' },
				{ wamid, status: 'read' },
			],
			[{ wamid, status: 'read' }],
		);
		const shown = current(message.id as string);
		expect(stateOf(shown)).toEqual([READ]);
		// The template's text and sender stay; the app's user is the editor, as Rocket.Chat's updateMessage records it.
		expect(shown).toMatchObject({ text: 'Order 42 is on its way.', sender: { username: 'ana' }, editedAt: expect.any(Date) });
		const appUser = [...app.harness.world.users.values()].find((u) => u.type === 'app')!;
		expect(updatesOf(message.id as string)).toEqual([
			{ messageId: message.id, editorId: appUser.id },
			{ messageId: message.id, editorId: appUser.id },
		]);
		expect(sink.statuses()).toEqual([`${wamid}:queued`, `${wamid}:sent`, `${wamid}:delivered`, `${wamid}:read`]);
		// A late delivered changes nothing.
		await meta([{ wamid, status: 'delivered' }]);
		expect(updatesOf(message.id as string)).toHaveLength(2);
		expect(stateOf(current(message.id as string))).toEqual([READ]);
	});

	it('costs one update for a burst of sent, delivered and read across webhooks handled in one run', async () => {
		const { message, wamid } = await sendFromModal();
		await meta(
			[
				{ wamid, status: 'sent' },
				{ wamid, status: 'delivered' },
			],
			[{ wamid, status: 'read' }],
		);
		expect(updatesOf(message.id as string)).toHaveLength(1);
		expect(app.harness.world.messageUpdates).toHaveLength(1);
		expect(stateOf(current(message.id as string))).toEqual([READ]);
	});

	it('shows a failure with the reason explained', async () => {
		const { message, wamid } = await sendFromModal();
		const error = { code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'x' } };
		await meta([
			{ wamid, status: 'sent' },
			{ wamid, status: 'failed', errors: [error] },
		]);
		expect(stateOf(current(message.id as string))).toEqual([
			{
				type: 'whatsapp-status:failed',
				color: '#EC0D2A',
				text: '⚠️ Not delivered on WhatsApp: WhatsApp could not deliver the message: the number may not be on WhatsApp, or may have to accept new terms.',
			},
		]);
		expect(updatesOf(message.id as string)).toHaveLength(1);
	});

	it("shows the state of an agent's reply on the agent's message", async () => {
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		expect(
			(await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: CARLA, name: 'Carla', message: 'Hi' }))
				.status,
		).toBe(200);
		await app.harness.scheduler.runDue();
		const reply = await app.harness.userMessage({ user: agent, room, text: 'Hello Carla' });
		await app.harness.scheduler.runDue();
		const wamid = app.sim.sentMessages[0].wamid;
		await meta([
			{ wamid, status: 'sent' },
			{ wamid, status: 'delivered' },
			{ wamid, status: 'read' },
		]);
		expect(stateOf(current(reply.id as string))).toEqual([READ]);
		expect(current(reply.id as string).text).toBe('Hello Carla');
		expect(updatesOf(reply.id as string)).toHaveLength(1);
	});

	it('changes no message with the setting off', async () => {
		await app.harness.setSetting('room_delivery_state', false);
		const { message, wamid } = await sendFromModal();
		await meta([
			{ wamid, status: 'sent' },
			{ wamid, status: 'delivered' },
		]);
		// The statuses were handled (and forwarded); the room's message is as it was posted.
		expect(sink.statuses()).toEqual([`${wamid}:queued`, `${wamid}:sent`, `${wamid}:delivered`]);
		expect(app.harness.world.messageUpdates).toEqual([]);
		expect(current(message.id as string)).not.toHaveProperty('editedAt');
	});

	it('changes no room for a templateMessage send, even to the contact of an open room', async () => {
		const res = await callApi(app, 'templateMessage', {
			body: {
				phoneNumbers: [CARLA],
				connectedWhatsAppNo: NUMBER.phoneNumberId,
				template: {
					name: 'order_update',
					language: { code: 'en_US' },
					components: [{ type: 'body', parameters: [{ type: 'text', text: '7' }] }],
				},
			},
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		const wamid = res.body.results[0].msId as string;
		await app.harness.scheduler.runDue();
		await meta([
			{ wamid, status: 'sent' },
			{ wamid, status: 'delivered' },
			{ wamid, status: 'read' },
		]);
		expect(sink.statuses()).toEqual([`${wamid}:queued`, `${wamid}:sent`, `${wamid}:delivered`, `${wamid}:read`]);
		expect(app.harness.world.messageUpdates).toEqual([]);
		expect(app.harness.world.messages.filter((m) => m.editedAt)).toEqual([]);
	});
});
