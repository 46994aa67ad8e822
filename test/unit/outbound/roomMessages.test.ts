/**
 * The delivery state on a Rocket.Chat message (src/adapters/rocketchat/roomMessages.ts), over the
 * engine's own MessageBuilder: one attachment of the app's, beside the message's own, replaced as the
 * state moves on; a message that is gone, of another room, or already further along is not updated.
 */
import { MessageBuilder } from '@rocket.chat/apps-engine/server/accessors/MessageBuilder';

import { keepsShown, RoomStateUpdate } from '../../../src/core/app/roomDelivery';
import { roomMessagesOf, shownState } from '../../../src/adapters/rocketchat/roomMessages';

/* eslint-disable @typescript-eslint/no-explicit-any */
const FILE = { type: 'file', title: { value: 'invoice.pdf' } };
const APP_USER = { id: 'app-user', username: 'whatsapp.bot' };

function rocketChat(stored: Record<string, any>) {
	const finished: any[] = [];
	const read = { getUserReader: () => ({ getAppUser: async () => APP_USER }) } as any;
	const modify = {
		getUpdater: () => ({
			message: async (id: string, editor: any) => {
				const builder = new MessageBuilder(stored[id] ? JSON.parse(JSON.stringify(stored[id])) : undefined);
				builder.setEditor(editor);
				return builder;
			},
			finish: async (builder: MessageBuilder) => {
				const message = builder.getMessage();
				finished.push(message);
				stored[message.id as string] = message;
			},
		}),
	} as any;
	return { messages: roomMessagesOf({ read, modify }), finished };
}

const update = (state: RoomStateUpdate['state'], fields: Partial<RoomStateUpdate> = {}): RoomStateUpdate => ({
	roomId: 'room-1',
	rcMessageId: 'msg-1',
	state,
	text: `state ${state}`,
	...fields,
});
const keeps = (next: RoomStateUpdate['state']) => (shown: any) => keepsShown(shown, next);

describe('roomMessagesOf', () => {
	it("adds the state beside the message's attachments, then replaces only its own, edited by the app's user", async () => {
		const stored: Record<string, any> = { 'msg-1': { id: 'msg-1', room: { id: 'room-1' }, text: 'hi', attachments: [FILE] } };
		const rc = rocketChat(stored);
		expect(await rc.messages.show(update('delivered'), keeps('delivered'))).toBe(true);
		expect(await rc.messages.show(update('read'), keeps('read'))).toBe(true);
		expect(stored['msg-1'].attachments).toEqual([FILE, { type: 'whatsapp-status:read', color: '#53BDEB', text: 'state read' }]);
		expect(stored['msg-1']).toMatchObject({ text: 'hi', editor: APP_USER });
		expect(shownState(stored['msg-1'].attachments)).toBe('read');
		expect(rc.finished).toHaveLength(2);
	});

	it('keeps a later state, and leaves a message that is gone or of another room alone', async () => {
		const stored: Record<string, any> = {
			'msg-1': { id: 'msg-1', room: { id: 'room-1' }, text: 'hi', attachments: [{ type: 'whatsapp-status:read', text: 'read' }] },
			'msg-2': { id: 'msg-2', room: { id: 'room-2' }, text: 'elsewhere' },
		};
		const rc = rocketChat(stored);
		expect(await rc.messages.show(update('delivered'), keeps('delivered'))).toBe(false);
		expect(await rc.messages.show(update('read', { rcMessageId: 'msg-gone' }), keeps('read'))).toBe(false);
		expect(await rc.messages.show(update('read', { rcMessageId: 'msg-2' }), keeps('read'))).toBe(false);
		expect(rc.finished).toEqual([]);
		// A failure after a read is shown (core/status/ordering.ts forwards it).
		expect(await rc.messages.show(update('failed'), keeps('failed'))).toBe(true);
		expect(shownState(stored['msg-1'].attachments)).toBe('failed');
		expect(stored['msg-1'].attachments).toHaveLength(1);
	});
});
