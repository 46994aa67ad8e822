/**
 * Fidelity of the harness's message bridge (tools/harness/rc/messages.ts) to Rocket.Chat's:
 *   - apps/meteor/app/apps/server/bridges/messages.ts @ 3a56885d200035764a95e0537982a21664478b54 (AppMessageBridge)
 *   - apps/meteor/app/lib/server/methods/sendMessage.ts @ 026bdc004eff2f681099b299bea28d2e3a562d7b (executeSendMessage)
 *   - apps/meteor/app/lib/server/functions/sendMessage.ts @ 026bdc00 (validateMessage, insert, IPostMessageSent)
 *   - apps/meteor/app/lib/server/lib/validateCustomMessageFields.ts @ 0fe295c4f2de963052cade9c7d299965da91ed5b
 *   - apps/meteor/app/lib/server/functions/updateMessage.ts @ 02af0b6f092ce3e42a0091481049039515c4afe0
 *   - apps/meteor/app/livechat/server/lib/messages.ts @ 1a77c8dfe9fe80a386f84a4cd66a542e3a20a47c (a visitor's message)
 *   - apps/meteor/app/apps/server/converters/messages.ts @ 00998e59790158a07e495a34343d7eb25cc6f5ed (what apps receive)
 * Server settings at a fresh workspace's defaults (tools/harness/world.ts) unless a test says otherwise.
 */
import { HarnessBridges } from '../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld, Json } from '../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const APP = 'app-1';

function setup() {
	const world = new HarnessWorld();
	const bridges = new HarnessBridges(world, new HarnessScheduler());
	const fired: Array<{ event: string; data: any }> = [];
	/** Listeners stay pending until `release()`: shows that Rocket.Chat does not await them. */
	let release!: () => void;
	const gate = new Promise<void>((resolve) => (release = resolve));
	bridges.events.dispatch = async (event, data) => {
		fired.push({ event, data });
		await gate;
	};
	const ana = world.addUser({ username: 'ana', roles: ['user', 'livechat-agent'], authToken: 'secret-token' });
	const bob = world.addUser({ username: 'bob' });
	const room = world.addRoom({ name: 'general', creator: ana, members: [ana, bob] });
	const messages = bridges.getMessageBridge() as any;
	const livechat = bridges.getLivechatBridge() as any;
	const send = (spec: Json) => messages.create({ room: { id: room.id }, sender: { id: ana.id, username: 'ana' }, ...spec }, APP);
	return { world, bridges, fired, release, ana, bob, room, messages, livechat, send };
}

describe('MessageBridge.create (executeSendMessage, then functions/sendMessage)', () => {
	it('refuses a text longer than Message_MaxAllowedSize (5000 by default) with error-message-size-exceeded; the limit is the setting', async () => {
		const { world, fired, ana, room, send } = setup();
		await expect(send({ text: 'x'.repeat(5001) })).rejects.toThrow(
			'Message size exceeds Message_MaxAllowedSize [error-message-size-exceeded]',
		);
		// Checked before the try of executeSendMessage: no ephemeral notice, nothing stored, no event.
		expect([world.messagesIn(room.id), world.notificationsFor(ana.id), fired]).toEqual([[], [], []]);
		await expect(send({ text: 'x'.repeat(5000) })).resolves.toMatch(/^msg-/);
		world.serverSettings.set('Message_MaxAllowedSize', 10);
		await expect(send({ text: 'x'.repeat(11) })).rejects.toThrow('error-message-size-exceeded');
		expect(world.messagesIn(room.id)).toHaveLength(1);
	});

	it('refuses custom fields unless Message_CustomFields_Enabled (off by default): "Custom fields not enabled", also shown to the sender', async () => {
		const { world, fired, ana, room, send } = setup();
		await expect(send({ text: 'hi', customFields: { whatsapp: { template: true } } })).rejects.toThrow('Custom fields not enabled');
		expect(world.messagesIn(room.id)).toEqual([]);
		expect(fired).toEqual([]);
		// executeSendMessage broadcasts the error to the sender (notify.ephemeralMessage) before rethrowing.
		expect(world.notificationsFor(ana.id)).toEqual([{ room, text: 'Custom fields not enabled' }]);
	});

	it('with custom fields enabled, validates them against Message_CustomFields compiled with additionalProperties: false', async () => {
		const { world, room, send } = setup();
		world.serverSettings.set('Message_CustomFields_Enabled', true);
		// The default schema: { priority: 'low' | 'medium' | 'high' }, required.
		const id = await send({ text: 'ok', customFields: { priority: 'high' } });
		expect(world.messagesIn(room.id)).toEqual([expect.objectContaining({ id, customFields: { priority: 'high' } })]);
		await expect(send({ text: 'extra', customFields: { priority: 'high', whatsapp: { template: true } } })).rejects.toThrow(
			'Invalid custom fields',
		);
		await expect(send({ text: 'missing', customFields: { whatsapp: { template: true } } })).rejects.toThrow('Invalid custom fields');
		await expect(send({ text: 'enum', customFields: { priority: 'urgent' } })).rejects.toThrow('Invalid custom fields');
		// An admin's schema that allows the field.
		world.serverSettings.set('Message_CustomFields', JSON.stringify({ properties: { whatsapp: { type: 'object' } } }));
		await expect(send({ text: 'allowed', customFields: { whatsapp: { template: true } } })).resolves.toMatch(/^msg-/);
		world.serverSettings.set('Message_CustomFields', JSON.stringify({ type: 'array' }));
		await expect(send({ text: 'bad config', customFields: { whatsapp: {} } })).rejects.toThrow('Invalid custom fields config');
		expect(world.messagesIn(room.id).map((m) => m.text)).toEqual(['ok', 'allowed']);
	});

	it('fires IPostMessageSent after the insert, to every app (the sender app included), without awaiting it', async () => {
		const { world, bridges, fired, release, ana, room, send } = setup();
		let settled = false;
		const id = await send({ text: 'hello' });
		// create answered although the listener is still pending.
		expect(fired).toHaveLength(1);
		const waiting = bridges.events.settled().then(() => (settled = true));
		await Promise.resolve();
		expect(settled).toBe(false);
		release();
		await waiting;
		const [{ event, data }] = fired;
		expect(event).toBe('IPostMessageSent');
		// What apps receive: the stored message, the room, the sender read again as apps see users (no credentials).
		expect(data).toMatchObject({
			id,
			text: 'hello',
			room: { id: room.id, type: 'c' },
			sender: { id: ana.id, username: 'ana', type: 'user' },
		});
		expect(data.sender.authTokens).toBeUndefined();
		expect(world.messagesIn(room.id)[0]).toMatchObject({ id, text: 'hello' });
	});

	it('keeps only what the messages converter carries: no `type` (never a system message), no `file`', async () => {
		const { fired, room, send, world } = setup();
		await send({ text: 'typed', type: 'uj', file: { _id: 'f1' }, groupable: false, alias: 'Ana' });
		expect(fired.map((f) => f.event)).toEqual(['IPostMessageSent']);
		const [stored] = world.messagesIn(room.id);
		expect(stored).toMatchObject({ text: 'typed', groupable: false, alias: 'Ana' });
		expect([stored.type, stored.file]).toEqual([undefined, undefined]);
	});

	it('needs a known room and a sender who is a user', async () => {
		const { messages, room, ana } = setup();
		await expect(messages.create({ room: { id: 'room-none' }, sender: { id: ana.id }, text: 'x' }, APP)).rejects.toThrow(
			'Invalid room provided on the message.',
		);
		await expect(
			messages.create({ room: { id: room.id }, sender: { id: 'user-none', username: 'ghost' }, text: 'x' }, APP),
		).rejects.toThrow('Invalid user [error-invalid-user]');
	});
});

describe('LivechatBridge.createMessage (the livechat sendMessage, then functions/sendMessage)', () => {
	function livechatRoom(s: ReturnType<typeof setup>) {
		const visitor = { id: 'visitor-1', token: 'tok-1', username: 'guest-1', name: 'Carla' };
		s.world.visitors.set(visitor.id, visitor);
		const room = s.world.addRoom({
			name: 'Carla',
			type: 'l',
			creator: s.ana,
			members: [s.ana],
			extra: { visitor, isOpen: true, servedBy: { id: s.ana.id, username: 'ana' } },
		});
		return { visitor, room };
	}

	it("is a visitor's message: no size check, the visitor's token and name (alias), the visitor as sender; IPostMessageSent fires", async () => {
		const s = setup();
		const { visitor, room } = livechatRoom(s);
		const long = 'y'.repeat(6000);
		const id = await s.livechat.createMessage({ room: { id: room.id }, visitor, token: visitor.token, text: long }, APP);
		const [stored] = s.world.messagesIn(room.id);
		expect(stored).toMatchObject({
			id,
			text: long,
			token: 'tok-1',
			alias: 'Carla',
			sender: { id: 'visitor-1', username: 'guest-1', name: 'Carla', type: 'unknown' },
		});
		// The app's `visitor` field is not part of Rocket.Chat's message.
		expect(stored.visitor).toBeUndefined();
		expect(s.fired.map((f) => [f.event, f.data.id, f.data.token])).toEqual([['IPostMessageSent', id, 'tok-1']]);
	});

	it('validates custom fields the same way', async () => {
		const s = setup();
		const { visitor, room } = livechatRoom(s);
		await expect(
			s.livechat.createMessage({ room: { id: room.id }, visitor, token: visitor.token, text: 'x', customFields: { a: 1 } }, APP),
		).rejects.toThrow('Custom fields not enabled');
		expect(s.world.messagesIn(room.id)).toEqual([]);
	});
});

describe('MessageBridge.update (functions/updateMessage)', () => {
	it('needs an editor: "Invalid editor assigned to the message for the update."', async () => {
		const { messages, send, bob } = setup();
		const id = await send({ text: 'first' });
		await expect(messages.update({ id, text: 'second' }, APP)).rejects.toThrow(
			'Invalid editor assigned to the message for the update.',
		);
		await expect(messages.update({ id, text: 'second', editor: { id: 'user-none' } }, APP)).rejects.toThrow(
			'Invalid editor assigned to the message for the update.',
		);
		await messages.update({ id, text: 'second', editor: { id: bob.id } }, APP);
		expect(await messages.getById(id, APP)).toMatchObject({
			text: 'second',
			editor: { id: bob.id, username: 'bob' },
			editedAt: expect.any(Date),
		});
	});

	it("has no size check, validates the merged message's custom fields again, and fires IPostMessageUpdated", async () => {
		const { world, messages, send, ana, fired } = setup();
		world.serverSettings.set('Message_CustomFields_Enabled', true);
		const id = await send({ text: 'first', customFields: { priority: 'low' } });
		await messages.update({ id, text: 'z'.repeat(6000), editor: { id: ana.id } }, APP);
		expect((await messages.getById(id, APP)).text).toHaveLength(6000);
		// The admin turns custom fields off: the stored message's fields are validated on any edit.
		world.serverSettings.set('Message_CustomFields_Enabled', false);
		await expect(messages.update({ id, text: 'third', editor: { id: ana.id } }, APP)).rejects.toThrow('Custom fields not enabled');
		expect((await messages.getById(id, APP)).text).toHaveLength(6000);
		expect(fired.map((f) => f.event)).toEqual(['IPostMessageSent', 'IPostMessageUpdated']);
	});

	it("merges a partial update (the engine's updater sends only the changes) over the stored message, marked edited, and counts it", async () => {
		const { world, messages, send, ana, bob } = setup();
		const id = await send({ text: 'first', attachments: [{ type: 'file', text: 'a.pdf' }] });
		await messages.update(
			{
				id,
				editor: { id: bob.id },
				attachments: [
					{ type: 'file', text: 'a.pdf' },
					{ color: '#000', text: 'x' },
				],
			},
			APP,
		);
		expect(await messages.getById(id, APP)).toMatchObject({
			text: 'first',
			sender: { id: ana.id },
			attachments: [
				{ type: 'file', text: 'a.pdf' },
				{ color: '#000', text: 'x' },
			],
			editor: { id: bob.id },
			editedAt: expect.any(Date),
		});
		expect(world.messageUpdates).toEqual([{ messageId: id, editorId: bob.id }]);
		await expect(messages.update({ id: 'msg-none', editor: { id: bob.id }, text: 'x' }, APP)).rejects.toThrow('Invalid message ID.');
		expect(world.messageUpdates).toHaveLength(1);
	});
});

describe('notifyUser / notifyRoom (ephemeral broadcasts)', () => {
	it("store nothing in the room, fire no event; notifyRoom reaches the room's subscribers only", async () => {
		const { world, messages, room, ana, bob, fired } = setup();
		const carl = world.addUser({ username: 'carl' });
		await messages.notifyUser(ana, { room, text: 'only ana' }, APP);
		await messages.notifyRoom(room, { room, text: 'everyone here' }, APP);
		expect(world.messagesIn(room.id)).toEqual([]);
		expect(fired).toEqual([]);
		expect(world.notificationsFor(ana.id).map((m) => m.text)).toEqual(['only ana', 'everyone here']);
		expect(world.notificationsFor(bob.id).map((m) => m.text)).toEqual(['everyone here']);
		expect(world.notificationsFor(carl.id)).toEqual([]);
		// A queued livechat room has no subscriber yet: nobody sees it.
		const queued = world.addRoom({ name: 'queued', type: 'l', creator: ana, members: [] });
		await messages.notifyRoom(queued, { room: queued, text: 'lost' }, APP);
		expect(world.notifications.map((n) => n.message.text)).not.toContain('lost');
	});
});
