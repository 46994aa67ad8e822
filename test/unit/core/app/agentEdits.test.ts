import { ChangeActor, DELETE_NOT_SENT, EDIT_NOT_SENT, EditNotices, MessageChange } from '../../../../src/core/app/agentEdits';
import { translator } from '../../../../src/core/i18n/translate';
import { MessageLog } from '../../../../src/core/app/ports';
import { MemoryMessageLog, t } from './fakes-inbound';

const ROOM = { id: 'r1' };
const ANA: ChangeActor = { id: 'u1', username: 'ana', type: 'user' };
const APP_USER: ChangeActor = { id: 'app1', username: 'whatsapp.bot', type: 'app' };

function change(extra: Partial<MessageChange> = {}): MessageChange {
	return { kind: 'edited', messageId: 'rc1', room: ROOM, fromContact: false, by: ANA, ...extra };
}

async function world(options: { contactRoom?: boolean; notifyFails?: boolean; language?: string; linkRoom?: string } = {}) {
	const messages = new MemoryMessageLog();
	await messages.link({ wamid: 'wamid.OUT1', rcMessageId: 'rc1', roomId: options.linkRoom ?? ROOM.id, at: '2026-03-01T12:00:00.000Z' });
	const notices: Array<{ to: string; room: string; text: string }> = [];
	const logs: string[] = [];
	const reads: string[] = [];
	const counted: Pick<MessageLog, 'linkOfMessage'> = {
		linkOfMessage: async (id) => {
			reads.push(id);
			return messages.linkOfMessage(id);
		},
	};
	const service_ = new EditNotices({
		messages: counted,
		isContactRoom: async () => options.contactRoom ?? true,
		notify: async (to, room, text) => {
			if (options.notifyFails) throw new Error('notifier down');
			notices.push({ to: to.username, room: room.id, text });
		},
		translatorFor: async () => (options.language ? translator(options.language) : t),
		logger: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
	});
	return { service: service_, notices, logs, reads, messages };
}

describe('EditNotices', () => {
	it('tells the agent who edited a message sent to WhatsApp, in the room, that WhatsApp keeps it as sent', async () => {
		const w = await world();
		expect(await w.service.onChange(change())).toBe(true);
		expect(w.notices).toEqual([{ to: 'ana', room: 'r1', text: t(EDIT_NOT_SENT) }]);
		expect(t(EDIT_NOT_SENT)).toMatch(/not sent to WhatsApp.*keeps it as it was sent.*send a new message/);
		expect(w.logs).toEqual([]);
	});

	it('tells the user who deleted it, in their language', async () => {
		const w = await world({ language: 'pt-BR' });
		expect(await w.service.onChange(change({ kind: 'deleted' }))).toBe(true);
		expect(w.notices).toEqual([{ to: 'ana', room: 'r1', text: translator('pt-BR')(DELETE_NOT_SENT) }]);
		expect(w.notices[0].text).toMatch(/^⚠️ A exclusão não foi enviada ao WhatsApp/);
		expect(translator('es')(DELETE_NOT_SENT)).toMatch(/^⚠️ La eliminación no se envió a WhatsApp/);
		expect(translator('es')(EDIT_NOT_SENT)).toMatch(/envíe un mensaje nuevo\.$/);
	});

	it("ignores the app's own updates (its delivery state) and bots' without reading anything", async () => {
		const w = await world();
		expect(await w.service.onChange(change({ by: APP_USER }))).toBe(false);
		expect(await w.service.onChange(change({ by: { id: 'b1', username: 'bot', type: 'bot' } }))).toBe(false);
		expect(w.notices).toEqual([]);
		expect(w.reads).toEqual([]);
	});

	it('says nothing when the event names nobody (a deletion without its context)', async () => {
		const w = await world();
		expect(await w.service.onChange(change({ kind: 'deleted', by: undefined }))).toBe(false);
		expect([w.notices, w.reads]).toEqual([[], []]);
	});

	it("says nothing for the contact's own message, linked to its wamid for quotes", async () => {
		const w = await world();
		expect(await w.service.onChange(change({ fromContact: true }))).toBe(false);
		expect(w.notices).toEqual([]);
	});

	it('says nothing for a message that never reached WhatsApp (not linked), or whose link names another room', async () => {
		const w = await world();
		expect(await w.service.onChange(change({ messageId: 'rc-not-relayed' }))).toBe(false);
		const other = await world({ linkRoom: 'r-other' });
		expect(await other.service.onChange(change())).toBe(false);
		expect([w.notices, other.notices]).toEqual([[], []]);
	});

	it('says nothing in a room whose visitor does not verify as a WhatsApp contact', async () => {
		const w = await world({ contactRoom: false });
		expect(await w.service.onChange(change())).toBe(false);
		expect(w.notices).toEqual([]);
	});

	it('logs a notice it could not show, and throws nothing; records nothing', async () => {
		const w = await world({ notifyFails: true });
		expect(await w.service.onChange(change())).toBe(false);
		expect(w.logs).toEqual(['warn edit of message rc1 (room r1): the notice could not be shown: Error']);
		expect(await w.messages.linkOfMessage('rc1')).toEqual({
			wamid: 'wamid.OUT1',
			rcMessageId: 'rc1',
			roomId: 'r1',
			at: '2026-03-01T12:00:00.000Z',
		});
	});

	it('logs a failure to read the message log, and throws nothing', async () => {
		const logs: string[] = [];
		const service = new EditNotices({
			messages: {
				linkOfMessage: async () => {
					throw new Error('persistence down');
				},
			},
			isContactRoom: async () => true,
			notify: async () => undefined,
			translatorFor: async () => t,
			logger: { info: () => undefined, warn: (m) => logs.push(m), error: (m) => logs.push(m) },
		});
		expect(await service.onChange(change({ kind: 'deleted' }))).toBe(false);
		expect(logs).toEqual(['deletion of message rc1 (room r1): not checked: Error']);
	});
});
