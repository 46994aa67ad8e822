/**
 * An agent's edit or deletion of a message sent to WhatsApp, through the engine: WhatsApp keeps what
 * was sent (Meta's Cloud API cannot edit or delete a business's message), so nothing goes to Meta and
 * the agent who edited or deleted it is told, in the room, only they see it (for a message Meta
 * reported failed: that it never reached the contact). Never for the app's own updates (the
 * delivery state), another room, the contact's messages, or a message that did not reach WhatsApp.
 * The harness edits and deletes as Rocket.Chat's updateMessage and deleteMessage do
 * (tools/harness/rc/messages.ts `userEdit`, `userDelete`).
 */
import { HarnessRoom, HarnessUser, Json } from '../../tools/harness/world';
import { translator } from '../../src/core/i18n/translate';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const CARLA = '5511987654321';
const en = translator('en');
const EDIT_NOTICE = en('reply_edit_not_sent');
const DELETE_NOTICE = en('reply_delete_not_sent');
const EDIT_FAILED_NOTICE = en('reply_edit_failed_message');
const DELETE_FAILED_NOTICE = en('reply_delete_failed_message');

describe("an agent's edit or deletion of a message sent to WhatsApp", () => {
	let app: AppUnderTest;
	let ana: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		ana = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		ana.livechatStatus = 'available';
		room = addContactRoom(app, ana);
	});
	afterEach(() => stopChecked(app));

	const notices = (user: HarnessUser) => app.harness.world.notificationsFor(user.id).map((n) => String(n.text));
	const stored = (id: unknown) => app.harness.world.messages.find((m) => m.id === id);

	/** Carla writes (the window opens), then Ana's reply is relayed to WhatsApp: the reply and its wamid. */
	async function relayedReply(text = 'Your order ships on Monday'): Promise<{ reply: Json; wamid: string }> {
		const res = await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: CARLA, name: 'Carla', message: 'Hi' });
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		const reply = await app.harness.userMessage({ user: ana, room, text });
		await app.harness.scheduler.runDue();
		expect(app.sim.sentMessages).toHaveLength(1);
		expect(notices(ana)).toEqual([]);
		return { reply, wamid: app.sim.sentMessages[0].wamid };
	}

	it("tells the agent who edits a reply while Meta's answer to its send is still on its way", async () => {
		const res = await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: CARLA, name: 'Carla', message: 'Hi' });
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		// Meta holds its answer to the reply's send until the edit was made.
		let release: () => void = () => undefined;
		const answered = new Promise<void>((resolve) => (release = resolve));
		let accepted = false;
		app.sim.onAccepted = async () => {
			accepted = true;
			await answered;
		};
		const sending = app.harness.userMessage({ user: ana, room, text: 'Your order ships on Monday' });
		while (!accepted) await new Promise((resolve) => setImmediate(resolve));
		const reply = app.harness.world.messagesIn(room.id).find((m) => m.text === 'Your order ships on Monday') as Json;
		const editing = app.harness.editMessage({ user: ana, message: reply, text: 'Your order ships on Tuesday' });
		release();
		await Promise.all([sending, editing]);
		app.sim.onAccepted = undefined;
		expect(app.sim.sentMessages).toHaveLength(1);
		expect(notices(ana)).toEqual([EDIT_NOTICE]);
	});

	it('tells the agent who edits a relayed reply that WhatsApp still shows it as sent, once, and sends nothing to Meta', async () => {
		const { reply } = await relayedReply();
		const requests = app.sim.requests.length;
		expect(await app.harness.editMessage({ user: ana, message: reply, text: 'Your order ships on Tuesday' })).toBe(true);
		expect(notices(ana)).toEqual([EDIT_NOTICE]);
		expect(EDIT_NOTICE).toBe(
			"⚠️ Your edit was not sent to WhatsApp: Meta's WhatsApp API cannot change a message once it is sent, so WhatsApp " +
				'keeps it as it was sent. To correct it, send a new message.',
		);
		// The notice is ephemeral, in the room, from the app's user: nothing is stored in the room.
		const [notice] = app.harness.world.notificationsFor(ana.id);
		expect((notice.room as Json).id).toBe(room.id);
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Hi', 'Your order ships on Tuesday']);
		// Rocket.Chat's updateMessage marked it edited by Ana.
		expect(stored(reply.id)).toMatchObject({ editedAt: expect.any(Date), editor: { id: ana.id, username: 'ana' } });
		expect(app.harness.world.messageUpdates).toEqual([{ messageId: reply.id, editorId: ana.id }]);
		expect(app.sim.requests).toHaveLength(requests);
		// Saving the same text again changes nothing in Rocket.Chat: no event, no second notice.
		expect(await app.harness.editMessage({ user: ana, message: reply, text: 'Your order ships on Tuesday' })).toBe(false);
		await app.harness.scheduler.runDue();
		expect(notices(ana)).toEqual([EDIT_NOTICE]);
		expect(app.sim.requests).toHaveLength(requests);
	});

	it('tells the agent who deletes a relayed reply, and sends nothing to Meta', async () => {
		const { reply } = await relayedReply();
		const requests = app.sim.requests.length;
		await app.harness.deleteMessage({ user: ana, message: reply });
		expect(notices(ana)).toEqual([DELETE_NOTICE]);
		// A fresh workspace (Message_KeepHistory and Message_ShowDeletedStatus off) removes the message.
		expect(stored(reply.id)).toBeUndefined();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Hi']);
		await app.harness.scheduler.runDue();
		expect(app.sim.requests).toHaveLength(requests);
	});

	it("says nothing for the app's own update of the reply (its WhatsApp delivery state), then tells the agent's edit after it", async () => {
		const { reply, wamid } = await relayedReply();
		// Meta reports it sent and delivered, in one webhook.
		const statuses = app.sim.statusPayload(NUMBER.phoneNumberId, [
			{ wamid, status: 'sent', recipient: CARLA },
			{ wamid, status: 'delivered', recipient: CARLA },
		]);
		expect((await app.sim.deliverRaw(statuses, NUMBER.appSecret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		// The app's user updated the message (IPostMessageUpdated fired with it as editor): no notice.
		const appUser = [...app.harness.world.users.values()].find((u) => u.type === 'app')!;
		expect(app.harness.world.messageUpdates).toEqual([{ messageId: reply.id, editorId: appUser.id }]);
		expect(((stored(reply.id)!.attachments as any[]) ?? []).map((a) => a.type)).toEqual(['whatsapp-status:delivered']);
		expect(notices(ana)).toEqual([]);
		expect(app.harness.world.notifications).toEqual([]);
		await app.harness.editMessage({ user: ana, message: reply, text: 'Your order ships on Tuesday' });
		expect(notices(ana)).toEqual([EDIT_NOTICE]);
	});

	it('tells the agent who edits, then deletes, a reply Meta reported failed that it never reached the contact', async () => {
		const { reply, wamid } = await relayedReply();
		// Meta accepted the send, then could not deliver it (131026: undeliverable).
		const error = { code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'x' } };
		const statuses = app.sim.statusPayload(NUMBER.phoneNumberId, [
			{ wamid, status: 'sent', recipient: CARLA },
			{ wamid, status: 'failed', recipient: CARLA, errors: [error] },
		]);
		expect((await app.sim.deliverRaw(statuses, NUMBER.appSecret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		expect(((stored(reply.id)!.attachments as any[]) ?? []).map((a) => a.type)).toEqual(['whatsapp-status:failed']);
		// The room was told of the failure; what follows is the agent's own.
		const before = notices(ana).length;
		const requests = app.sim.requests.length;
		expect(await app.harness.editMessage({ user: ana, message: reply, text: 'Your order ships on Tuesday' })).toBe(true);
		await app.harness.deleteMessage({ user: ana, message: stored(reply.id)! });
		expect(notices(ana).slice(before)).toEqual([EDIT_FAILED_NOTICE, DELETE_FAILED_NOTICE]);
		expect(EDIT_FAILED_NOTICE).toBe(
			'⚠️ Your edit was not sent to WhatsApp: this message never reached the contact on WhatsApp (Meta did not deliver it), ' +
				'so there is nothing to change there. To reach the contact, send a new message (a template if the 24-hour window has closed).',
		);
		expect(DELETE_FAILED_NOTICE).toBe(
			'⚠️ The deletion was not sent to WhatsApp: this message never reached the contact on WhatsApp (Meta did not deliver it), ' +
				'so there is nothing to delete there. To reach the contact, send a new message (a template if the 24-hour window has closed).',
		);
		await app.harness.scheduler.runDue();
		expect(app.sim.requests).toHaveLength(requests);
	});

	it('says nothing for an edit or a deletion in a room that is not a WhatsApp contact room', async () => {
		const general = app.harness.addRoom({ name: 'general', creator: ana, members: [ana] });
		const message = await app.harness.userMessage({ user: ana, room: general, text: 'lunch?' });
		// A livechat room whose visitor claims a contact's token shape but does not verify: no contact room.
		const forged = addContactRoom(app, ana, {
			waId: '5511900000001',
			token: `whatsapp:${NUMBER.phoneNumberId}:5511900000001:${'0'.repeat(32)}`,
		});
		const requests = app.sim.requests.length;
		const inForged = await app.harness.userMessage({ user: ana, room: forged, text: 'hello?' });
		// The message itself was not relayed, and the agent was told why (AgentReplies.ts refuseUnlinked).
		expect(notices(ana)).toEqual([
			expect.stringMatching(/^⚠️ Not sent: the app cannot confirm that this room is a WhatsApp contact's/),
		]);
		expect(app.sim.requests).toHaveLength(requests);
		await app.harness.editMessage({ user: ana, message, text: 'lunch at 1?' });
		await app.harness.editMessage({ user: ana, message: inForged, text: 'hello!' });
		await app.harness.deleteMessage({ user: ana, message });
		await app.harness.deleteMessage({ user: ana, message: inForged });
		expect(notices(ana)).toHaveLength(1);
		expect(app.sim.requests).toHaveLength(requests);
	});

	it('says nothing for a message that did not reach WhatsApp (the window closed), beyond the refusal already shown', async () => {
		// No message from this contact: the 24-hour window is closed, the reply is refused and not linked.
		const closed = addContactRoom(app, ana, { waId: '5511911112222', name: 'Dora' });
		const refused = await app.harness.userMessage({ user: ana, room: closed, text: 'Hello Dora' });
		expect(notices(ana)).toEqual([en('reply_window_closed')]);
		const requests = app.sim.requests.length;
		await app.harness.editMessage({ user: ana, message: refused, text: 'Hello, Dora' });
		await app.harness.deleteMessage({ user: ana, message: refused });
		expect(notices(ana)).toEqual([en('reply_window_closed')]);
		expect(app.sim.requests).toHaveLength(requests);
	});

	it("says nothing when an admin edits or deletes the contact's own message", async () => {
		await relayedReply();
		const [fromCarla] = app.harness.world.messagesIn(room.id);
		expect(fromCarla.text).toBe('Hi');
		const admin = app.harness.admin;
		await app.harness.editMessage({ user: admin, message: fromCarla, text: 'Hi (edited)' });
		await app.harness.deleteMessage({ user: admin, message: fromCarla });
		expect([notices(admin), notices(ana)]).toEqual([[], []]);
	});

	it('tells an admin who edits an agent’s relayed reply, in the admin’s language', async () => {
		const { reply } = await relayedReply();
		const admin = app.harness.admin;
		admin.language = 'es';
		await app.harness.editMessage({ user: admin, message: reply, text: 'Su pedido sale el martes' });
		expect(notices(admin)).toEqual([translator('es')('reply_edit_not_sent')]);
		expect(notices(ana)).toEqual([]);
	});

	describe('as Rocket.Chat does it', () => {
		it('refuses an agent’s edit or deletion of another user’s message (not an admin), and fires nothing', async () => {
			const { reply } = await relayedReply();
			const bob = app.harness.addUser({ username: 'bob', roles: ['user', 'livechat-agent'] });
			await expect(app.harness.editMessage({ user: bob, message: reply, text: 'x' })).rejects.toThrow('error-action-not-allowed');
			await expect(app.harness.deleteMessage({ user: bob, message: reply })).rejects.toThrow('error-action-not-allowed');
			expect(app.harness.world.messageUpdates).toEqual([]);
			expect(notices(bob)).toEqual([]);
		});

		it('with Message_ShowDeletedStatus on (an admin’s choice), keeps the message shown as deleted; the agent is told', async () => {
			app.harness.world.serverSettings.set('Message_ShowDeletedStatus', true);
			const { reply } = await relayedReply();
			await app.harness.deleteMessage({ user: ana, message: reply });
			expect(stored(reply.id)).toMatchObject({ text: '', type: 'rm', attachments: [], editor: { id: ana.id } });
			expect(notices(ana)).toEqual([DELETE_NOTICE]);
		});

		it('with Message_KeepHistory on (an admin’s choice), keeps the edits and hides the deleted message; the agent is told each time', async () => {
			app.harness.world.serverSettings.set('Message_KeepHistory', true);
			const { reply } = await relayedReply();
			await app.harness.editMessage({ user: ana, message: reply, text: 'Your order ships on Tuesday' });
			expect(app.harness.world.messageHistory).toMatchObject([
				{ parent: reply.id, text: 'Your order ships on Monday', _hidden: true },
			]);
			await app.harness.deleteMessage({ user: ana, message: reply });
			expect(stored(reply.id)).toMatchObject({ _hidden: true, text: 'Your order ships on Tuesday' });
			expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Hi']);
			expect(notices(ana)).toEqual([EDIT_NOTICE, DELETE_NOTICE]);
		});
	});
});
