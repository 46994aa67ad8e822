import {
	ChangeActor,
	DELETE_FAILED,
	DELETE_NOT_SENT,
	EDIT_FAILED,
	EDIT_NOT_SENT,
	EditNotices,
	MessageChange,
	neverDelivered,
	noticeKey,
} from '../../../../src/core/app/agentEdits';
import { translator } from '../../../../src/core/i18n/translate';
import { MessageLog, SentMessage } from '../../../../src/core/app/ports';
import { MemoryMessageLog, t } from './fakes-inbound';

const ROOM = { id: 'r1' };
const ANA: ChangeActor = { id: 'u1', username: 'ana', type: 'user' };
const APP_USER: ChangeActor = { id: 'app1', username: 'whatsapp.bot', type: 'app' };

function change(extra: Partial<MessageChange> = {}): MessageChange {
	return { kind: 'edited', messageId: 'rc1', room: ROOM, fromContact: false, by: ANA, ...extra };
}

/** The send of rc1 as the message log keeps it, with the statuses Meta reported so far. */
function sent(statuses: string[]): SentMessage {
	return {
		wamid: 'wamid.OUT1',
		phoneNumberId: '106540352242922',
		connectedWhatsAppNo: '15550001111',
		mobileNo: '5511987654321',
		message: 'Your order ships on Monday',
		type: 'Regular-Message',
		roomId: ROOM.id,
		rcMessageId: 'rc1',
		batch: 'b1',
		statuses,
		sentAt: '2026-03-01T12:00:00.000Z',
	};
}

async function world(
	options: {
		contactRoom?: boolean;
		notifyFails?: boolean;
		language?: string;
		linkRoom?: string;
		/** The statuses recorded for rc1's send; without them, no record (gone with retention). */
		statuses?: string[];
		recordReadFails?: boolean;
	} = {},
) {
	const messages = new MemoryMessageLog();
	await messages.link({ wamid: 'wamid.OUT1', rcMessageId: 'rc1', roomId: options.linkRoom ?? ROOM.id, at: '2026-03-01T12:00:00.000Z' });
	if (options.statuses) await messages.record(sent(options.statuses));
	const notices: Array<{ to: string; room: string; text: string }> = [];
	const logs: string[] = [];
	const reads: string[] = [];
	const counted: Pick<MessageLog, 'linkOfMessage' | 'findByWamid'> = {
		linkOfMessage: async (id) => {
			reads.push(id);
			return messages.linkOfMessage(id);
		},
		findByWamid: async (wamid) => {
			reads.push(wamid);
			if (options.recordReadFails) throw new Error('persistence down');
			return messages.findByWamid(wamid);
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

	it('tells who edits or deletes a message Meta reported failed that it never reached the contact, in their language', async () => {
		const edited = await world({ statuses: ['queued', 'sent', 'failed'] });
		expect(await edited.service.onChange(change())).toBe(true);
		expect(edited.notices).toEqual([{ to: 'ana', room: 'r1', text: t(EDIT_FAILED) }]);
		expect(t(EDIT_FAILED)).toBe(
			'⚠️ Your edit was not sent to WhatsApp: this message never reached the contact on WhatsApp (Meta did not deliver it), ' +
				'so there is nothing to change there. To reach the contact, send a new message (a template if the 24-hour window has closed).',
		);
		const deleted = await world({ statuses: ['queued', 'failed'], language: 'es' });
		expect(await deleted.service.onChange(change({ kind: 'deleted' }))).toBe(true);
		expect(deleted.notices).toEqual([{ to: 'ana', room: 'r1', text: translator('es')(DELETE_FAILED) }]);
		expect(deleted.notices[0].text).toMatch(/^⚠️ La eliminación no se envió a WhatsApp: este mensaje nunca llegó al contacto/);
		expect(t(DELETE_FAILED)).toBe(
			'⚠️ The deletion was not sent to WhatsApp: this message never reached the contact on WhatsApp (Meta did not deliver it), ' +
				'so there is nothing to delete there. To reach the contact, send a new message (a template if the 24-hour window has closed).',
		);
		expect(translator('pt-BR')(EDIT_FAILED)).toMatch(
			/^⚠️ Sua edição não foi enviada ao WhatsApp: esta mensagem nunca chegou ao contato/,
		);
		expect(translator('pt-BR')(DELETE_FAILED)).toMatch(
			/não há nada a apagar lá\. Para falar com o contato, envie uma nova mensagem \(um template se a janela de 24 horas tiver se encerrado\)\.$/,
		);
		expect([edited.logs, deleted.logs]).toEqual([[], []]);
	});

	it('keeps the words of a message WhatsApp keeps for a send not known to have failed, or delivered before a failure', async () => {
		for (const statuses of [
			['queued'],
			['queued', 'sent'],
			['queued', 'sent', 'delivered', 'read'],
			['queued', 'delivered', 'failed'],
		]) {
			const w = await world({ statuses });
			expect(await w.service.onChange(change())).toBe(true);
			expect(await w.service.onChange(change({ kind: 'deleted' }))).toBe(true);
			expect(w.notices.map((n) => n.text)).toEqual([t(EDIT_NOT_SENT), t(DELETE_NOT_SENT)]);
		}
	});

	it("reads the send's record only for a change it tells, after the link and the room", async () => {
		const told = await world({ statuses: ['queued', 'failed'] });
		expect(await told.service.onChange(change())).toBe(true);
		expect(told.reads).toEqual(['rc1', 'wamid.OUT1']);
		const notContact = await world({ statuses: ['queued', 'failed'], contactRoom: false });
		expect(await notContact.service.onChange(change())).toBe(false);
		expect(notContact.reads).toEqual(['rc1']);
	});

	it("logs a failure to read the send's record and still tells the change, as sent; throws nothing", async () => {
		const w = await world({ recordReadFails: true });
		expect(await w.service.onChange(change())).toBe(true);
		expect(w.notices).toEqual([{ to: 'ana', room: 'r1', text: t(EDIT_NOT_SENT) }]);
		expect(w.logs).toEqual(["warn edit of message rc1 (room r1): its send's record not read, told as sent: Error"]);
	});

	it('logs a failure to read the message log, and throws nothing', async () => {
		const logs: string[] = [];
		const service = new EditNotices({
			messages: {
				linkOfMessage: async () => {
					throw new Error('persistence down');
				},
				findByWamid: async () => undefined,
			},
			isContactRoom: async () => true,
			notify: async () => undefined,
			translatorFor: async () => t,
			logger: { info: () => undefined, warn: (m) => logs.push(m), error: (m) => logs.push(m) },
		});
		expect(await service.onChange(change({ kind: 'deleted' }))).toBe(false);
		expect(logs).toEqual(['deletion of message rc1 (room r1): not checked: Error']);
	});

	describe('neverDelivered', () => {
		it('is a send Meta reported failed and never delivered, read or played', () => {
			expect(neverDelivered(['queued', 'failed'])).toBe(true);
			expect(neverDelivered(['queued', 'sent', 'failed'])).toBe(true);
			expect(neverDelivered(['failed'])).toBe(true);
		});

		it('is not a send whose outcome is not known yet, or one the contact received', () => {
			expect(neverDelivered(undefined)).toBe(false);
			expect(neverDelivered([])).toBe(false);
			expect(neverDelivered(['queued'])).toBe(false);
			expect(neverDelivered(['queued', 'sent'])).toBe(false);
			expect(neverDelivered(['queued', 'deleted'])).toBe(false);
			for (const received of ['delivered', 'read', 'played']) expect(neverDelivered(['queued', received, 'failed'])).toBe(false);
		});
	});

	it('noticeKey: the words by change and outcome', () => {
		expect([noticeKey('edited', false), noticeKey('deleted', false), noticeKey('edited', true), noticeKey('deleted', true)]).toEqual([
			'reply_edit_not_sent',
			'reply_delete_not_sent',
			'reply_edit_failed_message',
			'reply_delete_failed_message',
		]);
	});
});
