/**
 * Inbound WhatsApp messages into omnichannel: one visitor per (connected number, WhatsApp id), the
 * contact's open room or a new one routed to the number's department, the message as the visitor,
 * de-duplicated by wamid (Meta retries), and the contact's 24-hour window opened. One-to-one
 * conversations only: a message in a WhatsApp group is logged and left.
 */
import { GraphClient } from '../graph/GraphClient';
import { Translator } from '../i18n/translate';
import { describedText, describeInbound, unsupportedKind } from '../inbound/describe';
import { ConnectedNumber, NumberCredentials } from '../numbers/ConnectedNumber';
import { contactIdOf, isBusinessScopedUserId } from '../phone';
import { InboundMessageEvent } from '../status/webhook';
import { AutoMessages } from './autoMessages';
import { Agent, canTakeChats, Contact, contactKey, Conversations, InvalidDepartment, NoAgentOnline, Room, Visitor } from './conversations';
import { WaitingForAgent } from './errors';
import { InboundMediaInput, MediaOutcome } from './inboundMedia';
import { Clock, InboundHandler, Logger, MessageLog, Numbers, SentMessage } from './ports';
import { SettingsReader } from './settings';
import { recordInbound, WindowNotices, WindowRecord, Windows } from './window';

export interface InboundPorts {
	messages: MessageLog;
	numbers: Pick<Numbers, 'get'>;
	conversations: Conversations;
	windows: Windows;
	notices: Pick<WindowNotices, 'ensure'>;
	/** Posts a contact's file in the room (core/app/inboundMedia.ts over the adapter's uploads). */
	media: { post(input: InboundMediaInput): Promise<MediaOutcome> };
	autoMessages: Pick<AutoMessages, 'onWaitingForAgent' | 'onNewConversation' | 'forgetOfflineNotice'>;
	receipts: Pick<ReadReceipts, 'markRead'>;
	settings: SettingsReader;
	clock: Clock;
	/** Texts in the workspace's language (the room's, which every agent reads). */
	translator: () => Promise<Translator>;
	/** The server's Site URL, without a trailing slash (the links of quotes). */
	siteUrl: () => Promise<string>;
	logger?: Logger;
}

/** Where a new conversation goes. */
export interface Routing {
	agent?: Agent;
	department?: string;
}

export interface ReadReceiptPorts {
	numbers: Pick<Numbers, 'get'>;
	windows: Pick<Windows, 'get'>;
	graph: (number: NumberCredentials) => Pick<GraphClient, 'markRead'>;
	settings: SettingsReader;
	logger?: Logger;
}

/** Blue ticks on the contact's phone, when the "mark read" setting asks for them and an agent has the room. */
export class ReadReceipts {
	constructor(private readonly ports: ReadReceiptPorts) {}

	async markRead(number: ConnectedNumber, wamid: string): Promise<void> {
		if (!(await this.ports.settings.get('markRead'))) return;
		try {
			await this.ports.graph(number).markRead(number.phoneNumberId, wamid);
		} catch (error) {
			this.ports.logger?.warn(`read receipt for ${wamid} not sent: ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	/** An agent took the conversation: the contact's messages so far show as read, per the setting. */
	async onAgentAssigned(contact: Contact): Promise<void> {
		const number = await this.ports.numbers.get(contact.phoneNumberId);
		const window = await this.ports.windows.get(contactKey(contact.phoneNumberId, contact.waId));
		// Nothing about a number the contact changed from (core/app/window.ts `movedTo`).
		if (number && window?.wamid && !window.movedTo) await this.markRead(number, window.wamid);
	}
}

/** Messages that say something of the conversation rather than start one. */
const PASSIVE_TYPES = new Set(['reaction', 'system']);
/**
 * `unsupported` messages of these kinds (Meta's `unsupported.type`) act on an earlier message (an
 * edit, a pin, keeping a disappearing message, a reaction, a vote in a poll): passive too.
 */
const PASSIVE_UNSUPPORTED = new Set(['edit', 'pin', 'keep_in_chat', 'reaction', 'poll_update']);

const isPassive = (event: InboundMessageEvent): boolean =>
	PASSIVE_TYPES.has(event.type) || PASSIVE_UNSUPPORTED.has(unsupportedKind(event.raw) ?? '');

/** Meta's system message `user_changed_number`'s `system`; else undefined. */
function numberChangeNotice(event: InboundMessageEvent): { wa_id?: unknown } | undefined {
	const system = event.type === 'system' ? (event.raw.system as { type?: unknown; wa_id?: unknown } | undefined) : undefined;
	return system?.type === 'user_changed_number' ? system : undefined;
}

/**
 * The new WhatsApp ID of a contact who changed their number (Meta's system message
 * `user_changed_number`: `from` the old number, `system.wa_id` the new one); else undefined.
 */
function changedNumberOf(event: InboundMessageEvent): { from: string; to: string } | undefined {
	const system = numberChangeNotice(event);
	if (typeof system?.wa_id !== 'string') return undefined;
	// The old number is the sender's, whatever contact the payload names (it may name the new one); a
	// sender named by a business-scoped user id alone has no number to change from.
	if (isBusinessScopedUserId(event.from)) return undefined;
	const [from, to] = [event.from.replace(/\D/g, ''), system.wa_id.replace(/\D/g, '')];
	return from && to && from !== to ? { from, to } : undefined;
}

type MovedFrom = NonNullable<WindowRecord['movedFrom']>;

/** How long after a number change the new number's conversation is told of it. */
const MOVED_NOTE_DAYS = 30;

/** At most this many characters of a send's text are shown with a reply to it. */
const EXCERPT_MAX = 100;

/** `text` on one line, cut at `EXCERPT_MAX` characters (never inside a character), with "…" when cut. */
function excerpt(text: string): string {
	const chars = Array.from(text.replace(/\s+/g, ' ').trim());
	return chars.length > EXCERPT_MAX
		? `${chars
				.slice(0, EXCERPT_MAX - 1)
				.join('')
				.trimEnd()}…`
		: chars.join('');
}

/** A passive message's type for the log: an unsupported one's kind with it. */
const passiveType = (event: InboundMessageEvent): string => {
	const kind = unsupportedKind(event.raw);
	return kind ? `${kind} (unsupported)` : event.type;
};

/** An id of Meta's payload as the log shows it: its own characters only, and not too long. */
const logId = (id: string, max = 100): string => {
	const safe = id.replace(/[^\w.:=+/-]/g, '?');
	return safe.length > max ? `${safe.slice(0, max)}…` : safe;
};

/** A contact's message as it was posted in its room: what the steps after the post need. */
interface Posted {
	room: Room;
	/** The room is new to the contact: it gets the welcome. */
	isNew: boolean;
	rcMessageId?: string;
	uploadId?: string;
}

/**
 * Messages of this runtime posted in their room whose `markSeen` then failed, by wamid: a retry (a
 * contact's message is retried for a day, webhookBatch.ts) takes up after the post in that room
 * (marks it seen, links it, the window, the receipt, the welcome) rather than post it again, even
 * when that room has closed meanwhile (the message was shown there, as one posted as its room closed).
 * Module state, as long as the runtime lives; at most POSTED_UNSEEN_MAX, the oldest forgotten first.
 */
const postedUnseen = new Map<string, Posted>();
const POSTED_UNSEEN_MAX = 10000;

function rememberPosted(wamid: string, posted: Posted): void {
	postedUnseen.set(wamid, posted);
	if (postedUnseen.size > POSTED_UNSEEN_MAX) postedUnseen.delete(postedUnseen.keys().next().value as string);
}

export class InboundService implements InboundHandler {
	constructor(private readonly ports: InboundPorts) {}

	/**
	 * Where a new conversation goes: within "Route replies to a template for" hours after a
	 * templateMessage with targetAgent / targetDepartment, to that agent when available, else to that
	 * department, else to the number's department; otherwise to the number's department.
	 *
	 * Rocket.Chat never refuses a requested agent who cannot take the chat: its routing silently gives
	 * the room to the next agent of the visitor's department (RoutingManager.delegateInquiry). So the
	 * app asks for the agent only when it sees a livechat agent, enabled and not offline, and always
	 * sets the visitor's department to the fallback first: an agent present but with omnichannel
	 * availability turned off (which apps cannot see) is then replaced within the fallback department.
	 * A contact Meta names by their number and their business-scoped user id (`otherId`: the one their
	 * conversation does not go by) answers the latest such send to either: a template sent to their
	 * BSUID (as the status callbacks name them) routes their reply by number, and the reverse.
	 */
	async routingFor(number: ConnectedNumber, waId: string, otherId?: string): Promise<Routing> {
		const { messages, settings, clock, conversations } = this.ports;
		const ids = otherId && otherId !== waId ? [waId, otherId] : [waId];
		const send = (await Promise.all(ids.map((id) => messages.latestRouting(number.phoneNumberId, id))))
			.filter((found): found is SentMessage => Boolean(found))
			.sort((a, b) => a.sentAt.localeCompare(b.sentAt))
			.pop();
		const hours = await settings.get('templateRoutingHours');
		if (!send || clock.now() - Date.parse(send.sentAt) > hours * 3600000) return { department: number.departmentId };
		let department = number.departmentId;
		if (send.targetDepartment) {
			const found = await conversations.departmentId(send.targetDepartment).catch(() => undefined);
			if (found) department = found;
		}
		if (send.targetAgent) {
			const agent = await conversations.agent(send.targetAgent).catch(() => undefined);
			if (agent && canTakeChats(agent)) return { agent, department };
		}
		return { department };
	}

	/**
	 * What a message answers, before its text: `[ ](link) ` to the message in a room (Rocket.Chat
	 * shows it as a quote, its own quote format); else, for a send of the app's that is in no room (a
	 * templateMessage request's, a campaign's), a line with its template and the start of its text;
	 * else a line saying it answers an earlier message (nothing for a button or a reaction, which say
	 * what they answer).
	 */
	private async quotePrefix(
		replyTo: string | undefined,
		type: string,
		t: Translator,
		contact: Contact,
		otherIds: string[],
	): Promise<string> {
		if (!replyTo) return '';
		const link = await this.ports.messages.linkOfWamid(replyTo);
		if (link?.rcMessageId) return `[ ](${await this.ports.siteUrl()}/live/${link.roomId}?msg=${link.rcMessageId}) `;
		const sent = await this.sentTo(replyTo, contact, otherIds);
		if (sent) {
			const text = excerpt(sent.message);
			return `${sent.templateName ? t('inbound_reply_template', { template: sent.templateName, text }) : t('inbound_reply_sent', { text })}\n`;
		}
		return ['button', 'interactive', 'reaction'].includes(type) ? '' : `${t('inbound_reply_unknown')}\n`;
	}

	/**
	 * The app's record of its send `wamid` to `contact` (from its number, to its number as sent or as
	 * Meta answered it, or to one of `otherIds`: the contact's other id when Meta names both, their
	 * BSUID say, or the number a contact known by their BSUID was sent to); else undefined, also when
	 * it cannot be read (the message is posted without it).
	 */
	private async sentTo(wamid: string, contact: Contact, otherIds: string[]): Promise<SentMessage | undefined> {
		const sent = await this.ports.messages.findByWamid(wamid).catch(() => undefined);
		const to = [sent?.waId, sent?.mobileNo].map((n) => n && contactIdOf(n));
		const ids = [contact.waId, ...otherIds];
		return sent && sent.phoneNumberId === contact.phoneNumberId && ids.some((id) => to.includes(id)) ? sent : undefined;
	}

	/**
	 * The contact's visitor. A number's department deleted since it was connected makes Rocket.Chat
	 * refuse it: the contact's messages would be retried, then dropped. The visitor goes without a
	 * department then (any agent may take the chat), and the log tells the admin to edit the number.
	 */
	private async visitorOf(number: ConnectedNumber, waId: string, name: string | undefined, nameAt?: number): Promise<Visitor> {
		const spec = { phoneNumberId: number.phoneNumberId, waId, name, ...(nameAt === undefined ? {} : { nameAt }) };
		try {
			return await this.ports.conversations.visitor({ ...spec, departmentId: number.departmentId });
		} catch (error) {
			if (!(error instanceof InvalidDepartment) || !number.departmentId) throw error;
			this.logDepartmentGone(number, number.departmentId);
			return this.ports.conversations.visitor(spec);
		}
	}

	/**
	 * The ID of a department (by ID or name) that still exists; else undefined, logged. A lookup that
	 * fails keeps the department as given: moving the visitor to it tells (`moved`).
	 */
	private async existing(department: string, number: ConnectedNumber): Promise<string | undefined> {
		const id = await this.ports.conversations.departmentId(department).then(
			(found) => found ?? null,
			() => department,
		);
		if (id === null) this.logDepartmentGone(number, department);
		return id ?? undefined;
	}

	/** The visitor moved to the room's department; undefined, logged, if that department is gone meanwhile. */
	private async moved(visitor: Visitor, department: string, number: ConnectedNumber): Promise<Visitor | undefined> {
		try {
			return await this.ports.conversations.moveVisitor(visitor, department);
		} catch (error) {
			if (!(error instanceof InvalidDepartment)) throw error;
			this.logDepartmentGone(number, department);
			return undefined;
		}
	}

	/** Once per department and service (a new contact's visitor and its room both find it gone). */
	private readonly goneLogged = new Set<string>();

	private logDepartmentGone(number: ConnectedNumber, department: string): void {
		if (this.goneLogged.has(department)) return;
		this.goneLogged.add(department);
		this.ports.logger?.warn(
			`number ${number.phoneNumberId}: department ${department} no longer exists; the contact's conversation goes without it (edit the number's department)`,
		);
	}

	/**
	 * A contact deleted one of their own messages on WhatsApp (Meta's `revoke`): their open
	 * conversation says so, quoting it, once (Meta may send the revoke again). Only a message the app
	 * posted in that contact's open room; anything else (a message of the app's: statuses.ts) is left.
	 */
	async showRevoke(event: InboundMessageEvent): Promise<void> {
		const { messages, conversations } = this.ports;
		if (!event.originalMessageId || (await messages.isSeen(event.wamid))) return;
		const link = await messages.linkOfWamid(event.originalMessageId);
		if (!link) return;
		const room = await conversations.openRoomOf({ phoneNumberId: event.phoneNumberId, waId: await this.knownIdOf(event) });
		if (!room || room.id !== link.roomId) return;
		const t = await this.ports.translator();
		const quote = link.rcMessageId ? `[ ](${await this.ports.siteUrl()}/live/${room.id}?msg=${link.rcMessageId}) ` : '';
		await conversations.postAsApp({ room, text: `${quote}${t('inbound_revoked')}` });
		await messages.markSeen(event.wamid);
	}

	/**
	 * The id the sender of `event` is known by: their WhatsApp id, or their business-scoped user id
	 * when the app knew them by it first (they wrote with their phone number withheld, then Meta gave
	 * it too, `userId`): their conversation goes on rather than a second one opening. A message by the
	 * BSUID alone is the contact's by number when the app linked the BSUID to one (`userOf`: a message
	 * of theirs named both), or by the number they changed it to since. Known by the contact's window
	 * records: one read for a message that names both ids (two when the BSUID has a window of its own,
	 * three when it is linked to another number), two for a message by a linked BSUID alone.
	 */
	private async knownIdOf(event: InboundMessageEvent): Promise<string> {
		return (await this.identityOf(event)).id;
	}

	/**
	 * `knownIdOf`; for a message by the BSUID alone of a contact known by it, the number their window
	 * keeps (`phone`: sends to it are found by it); and the BSUID to link to the number it is
	 * (`link`): a message naming both whose BSUID the app has neither linked nor knows by a window of
	 * its own, or whose linked number the contact changed (Meta's notice did not name the BSUID). A
	 * message of the old number that Meta delivers late leaves the link as it is.
	 */
	private async identityOf(event: InboundMessageEvent): Promise<{ id: string; link?: string; phone?: string }> {
		const { windows } = this.ports;
		const { phoneNumberId } = event;
		const waId = event.waId || event.from;
		if (isBusinessScopedUserId(waId)) {
			const record = await windows.get(contactKey(phoneNumberId, waId));
			if (record?.userOf) return { id: await this.numberNow(phoneNumberId, record.userOf) };
			return { id: waId, ...(record?.phone?.waId ? { phone: record.phone.waId } : {}) };
		}
		if (!event.userId || event.userId === waId) return { id: waId };
		const byUserId = await windows.get(contactKey(phoneNumberId, event.userId));
		if (!byUserId) return { id: waId, link: event.userId };
		if (byUserId.userOf !== undefined) {
			// Relinked from a number the contact changed to this one, unless this one changed too (a late message).
			const moved =
				byUserId.userOf !== waId &&
				(await this.numberNow(phoneNumberId, byUserId.userOf)) !== byUserId.userOf &&
				(await this.numberNow(phoneNumberId, waId)) === waId;
			return { id: waId, ...(moved ? { link: event.userId } : {}) };
		}
		// A conversation goes by the number when its window counts a message of its own; one that only
		// records a number change (`at` 0: recordMove's, from a notice without the BSUID) does not split theirs.
		return { id: ((await windows.get(contactKey(phoneNumberId, waId)))?.at ?? 0) > 0 ? waId : event.userId };
	}

	/** The contact's number `waId`, or the one they changed it to (its window's `movedTo`). */
	private async numberNow(phoneNumberId: string, waId: string): Promise<string> {
		return (await this.ports.windows.get(contactKey(phoneNumberId, waId)))?.movedTo?.waId ?? waId;
	}

	/**
	 * The contact's 24-hour window from this message, and its notices. `missingOnly` (a message seen
	 * before): a window that already counts a message as late is left as it is (its notices ensured).
	 * `userId`: the BSUID Meta named with the message of a contact by number, kept on the window;
	 * `phone`: the number Meta named with the message of a contact known by their BSUID, the same.
	 */
	private async openWindow(
		token: string,
		event: InboundMessageEvent,
		options: { missingOnly?: boolean; userId?: string; phone?: string } = {},
	): Promise<WindowRecord | void> {
		const { missingOnly, userId, phone } = options;
		const at = this.sentAt(event);
		if (missingOnly) {
			const known = await this.ports.windows.get(token);
			// Its number is recorded still when a later message came first (recordInbound keeps the rest).
			const phoneMissing = phone && !(known?.phone && known.phone.at >= at);
			if (known && known.at >= at && !phoneMissing) return this.ports.notices.ensure(token, known);
		}
		const window = await recordInbound(this.ports.windows, {
			token,
			at,
			wamid: event.wamid,
			...(userId ? { userId } : {}),
			...(phone ? { phone } : {}),
		});
		await this.ports.notices.ensure(token, window);
		return window;
	}

	/**
	 * The contact changed their number from `change.from` to `change.to`: the old number's window says
	 * so (core/app/window.ts `movedTo`), so that agents' replies, the modal and the automatic messages
	 * send nothing more to it. Their messages from the new number come as that number's contact: its
	 * conversation notes the change and links the earlier one, at once when it is open, else with its
	 * next message (`noteMovedFrom`). A change older than what the windows know (Meta's order is not
	 * the sent order) changes nothing: a later message from the old number, a later change of it, or
	 * a later change of the new number back to it. The note is marked before it is posted: a retry
	 * never posts it twice (best effort: a failure to post it is logged, not retried). Recorded
	 * `ahead` of the contact's earlier messages (`heldBack`), the note waits: for the change's turn,
	 * or the new number's next message, when the earlier conversation those messages go to is known.
	 */
	private async recordMove(
		phoneNumberId: string,
		event: InboundMessageEvent,
		change: { from: string; to: string },
		ahead = false,
	): Promise<void> {
		const { windows, conversations } = this.ports;
		const at = this.sentAt(event);
		const [oldToken, newToken] = [contactKey(phoneNumberId, change.from), contactKey(phoneNumberId, change.to)];
		const [old, next] = await Promise.all([windows.get(oldToken), windows.get(newToken)]);
		const userId = event.userId ?? old?.userId;
		// This change, recorded already (ahead of the earlier messages, or by an attempt that failed
		// after): its note, if the new number's conversation is open and it was not posted yet.
		if (!ahead && old?.movedTo?.at === at && old.movedTo.waId === change.to) {
			const room = await conversations.openRoomOf({ phoneNumberId, waId: change.to });
			if (room) await this.noteMovedFrom(phoneNumberId, newToken, room);
			return;
		}
		if (old && (old.at > at || (old.movedTo && old.movedTo.at >= at))) return;
		if (next?.movedTo && next.movedTo.at > at && next.movedTo.waId === change.from) return;

		// The new number: noted (its open room) or to be noted, unless it changed number itself since, or
		// this change is written there already (a retry).
		if (!(next?.movedTo && next.movedTo.at > at) && !(next?.movedFrom?.at === at && next.movedFrom.waId === change.from)) {
			const roomId = await this.earlierRoomOf(phoneNumberId, change.from);
			const room = ahead ? undefined : await conversations.openRoomOf({ phoneNumberId, waId: change.to });
			const from: MovedFrom = { waId: change.from, at, ...(roomId ? { roomId } : {}), ...(room ? { noted: true } : {}) };
			// Read again just before the write (a notice job may have written it meanwhile); its own change
			// away, older than this one, is over (a change back: A to B, then B to A).
			const { movedTo: _back, ...rest } = (await windows.get(newToken)) ?? { at: 0 };
			await windows.put(newToken, { ...rest, movedFrom: from, ...(userId ? { userId } : {}) });
			// Marked noted first: a retry after a failure from here on finds this change written, and skips it.
			if (room) await this.notePreviousNumber(phoneNumberId, room, from);
		}
		// Their BSUID linked to the old number (named on the notice, else kept by the old number's window):
		// linked to the new one, so that their messages by the BSUID alone never go on with a number that
		// may be someone else's by now.
		if (userId) {
			const linked = await windows.get(contactKey(phoneNumberId, userId));
			if (linked?.userOf === change.from) await windows.put(contactKey(phoneNumberId, userId), { at: 0, userOf: change.to });
		}
		// The old number last: a retry after a failure before this does the above again.
		const { movedFrom: _over, ...oldRest } = (await windows.get(oldToken)) ?? { at: 0 };
		await windows.put(oldToken, { ...oldRest, movedTo: { waId: change.to, at } });
		this.ports.logger?.info(`number ${phoneNumberId}: a contact changed their WhatsApp number; nothing more is sent to the old one`);
	}

	/**
	 * In the new number's conversation of a contact who changed their number (within
	 * MOVED_NOTE_DAYS): the number they changed from, when, and the earlier conversation's link. Best
	 * effort: a failure is logged, never retried (the contact's message is posted).
	 */
	private async notePreviousNumber(phoneNumberId: string, room: Room, from: MovedFrom): Promise<void> {
		if (this.ports.clock.now() - from.at > MOVED_NOTE_DAYS * 86400000) return;
		try {
			const t = await this.ports.translator();
			const said = t('inbound_moved_from', { number: from.waId, date: new Date(from.at).toISOString().slice(0, 10) });
			// The earlier conversation as it is now (messages that waited may have opened one since the change was recorded).
			const roomId = (await this.earlierRoomOf(phoneNumberId, from.waId)) ?? from.roomId;
			const link = roomId ? `\n${t('inbound_moved_from_room', { link: `${await this.ports.siteUrl()}/live/${roomId}` })}` : '';
			await this.ports.conversations.postAsApp({ room, text: `${said}${link}` });
		} catch (error) {
			this.ports.logger?.warn(
				`the earlier number of a contact not noted in room ${room.id}: ${error instanceof Error ? error.message : 'error'}`,
			);
		}
	}

	/** The old number's conversation: the open one, else the one of its latest message the app linked; else undefined. */
	private async earlierRoomOf(phoneNumberId: string, waId: string): Promise<string | undefined> {
		const { conversations, windows, messages } = this.ports;
		const open = await conversations.openRoomOf({ phoneNumberId, waId });
		if (open) return open.id;
		const wamid = (await windows.get(contactKey(phoneNumberId, waId)))?.wamid;
		return wamid ? (await messages.linkOfWamid(wamid))?.roomId : undefined;
	}

	/** The new number's first message after the change is in `room`: marked noted, then noted there. */
	private async noteMovedFrom(phoneNumberId: string, token: string, room: Room): Promise<void> {
		try {
			const window = await this.ports.windows.get(token);
			if (!window?.movedFrom || window.movedFrom.noted) return;
			const from = { ...window.movedFrom, noted: true };
			await this.ports.windows.put(token, { ...window, movedFrom: from });
			await this.notePreviousNumber(phoneNumberId, room, from);
		} catch (error) {
			this.ports.logger?.warn(
				`the earlier number of a contact not noted in room ${room.id}: ${error instanceof Error ? error.message : 'error'}`,
			);
		}
	}

	/**
	 * A message in a WhatsApp group (Meta's Groups API, `group_id`): the app handles one-to-one
	 * conversations only, so it opens no room, is posted nowhere, opens no window and gets no reply
	 * (the sender is one of the group's participants, not a contact writing to the number). The app's
	 * log notes it once (Meta's redeliveries are seen), by its ids alone: never its text or sender.
	 */
	private async leaveGroupMessage(event: InboundMessageEvent): Promise<void> {
		const { messages } = this.ports;
		if (await messages.isSeen(event.wamid)) return;
		await messages.markSeen(event.wamid);
		this.ports.logger?.warn(
			`number ${logId(event.phoneNumberId)}: message ${logId(event.wamid)} (type ${logId(event.type, 32)}) in WhatsApp group ${logId(event.groupId ?? '')} not shown: the app handles one-to-one conversations only (no room, no reply)`,
		);
	}

	/**
	 * What to throw for `error`: when Rocket.Chat refused the contact a room while nobody is online,
	 * WaitingForAgent (the message waits) once the contact is told; else `error` itself.
	 */
	private async waitingIfNoAgent(
		error: unknown,
		autoMessages: InboundPorts['autoMessages'],
		contact: { number: ConnectedNumber; waId: string },
		route: { department?: string; agent?: Agent },
	): Promise<unknown> {
		if (!(error instanceof NoAgentOnline)) return error;
		await autoMessages.onWaitingForAgent(contact);
		return new WaitingForAgent(`${contact.number.phoneNumberId}:${route.department ?? ''}:${route.agent?.username ?? ''}`);
	}

	/**
	 * A number change held behind the contact's earlier messages (they wait for an agent, or one
	 * failed): recorded now, so no reply, template or automatic message goes to the old number
	 * meanwhile. Its message is posted in its turn (`handle` finds the change recorded, and does not
	 * record it again); the earlier messages, older than the change, leave it recorded.
	 */
	async heldBack(event: InboundMessageEvent): Promise<void> {
		if (!numberChangeNotice(event) || event.groupId) return;
		const known = await this.knownIdOf(event);
		const number = await this.ports.numbers.get(event.phoneNumberId);
		const change = changedNumberOf(event);
		if (!number) return;
		if (isBusinessScopedUserId(known)) await this.forgetPhone(contactKey(number.phoneNumberId, known), event);
		else if (change) await this.recordMove(number.phoneNumberId, event, change, true);
	}

	/** When Meta says the contact sent `event` (ms); now, when it says nothing usable. */
	private sentAt(event: InboundMessageEvent): number {
		const sentAt = Number(event.timestamp) * 1000;
		return Number.isFinite(sentAt) && sentAt > 0 ? sentAt : this.ports.clock.now();
	}

	/**
	 * A contact known by their business-scoped user id changed their number (Meta's notice, from the
	 * old one or by their BSUID alone): their window keeps no number (`phone`), so nothing more goes
	 * to the old one, which may be someone else's by now. Their next message naming one names it again.
	 */
	private async forgetPhone(token: string, event: InboundMessageEvent): Promise<void> {
		const at = this.sentAt(event);
		const window = await this.ports.windows.get(token);
		if (!window || (window.phone && window.phone.at > at) || (window.phone?.at === at && !window.phone.waId)) return;
		await this.ports.windows.put(token, { ...window, phone: { at } });
	}

	async handle(event: InboundMessageEvent, options: { finalAttempt: boolean }): Promise<void> {
		const { messages, conversations, autoMessages } = this.ports;
		if (event.groupId) return this.leaveGroupMessage(event);
		const number = await this.ports.numbers.get(event.phoneNumberId);
		if (!number) {
			// Disconnected after its webhook was taken (a webhook is taken for the numbers connected when
			// it comes): nothing of it is posted, and the log says why.
			this.ports.logger?.warn(
				`number ${logId(event.phoneNumberId)}: message ${logId(event.wamid)} not posted: the number is no longer connected`,
			);
			return;
		}
		const { id: known, link, phone: knownPhone } = await this.identityOf(event);
		// A number change is the old number's, whatever contact the payload names. A contact the app
		// knows by their business-scoped user id has no conversation by that number: the notice shows
		// in theirs, and only drops the number sends went to (`forgetPhone`; their new number comes
		// with a new BSUID, README).
		const notice = Boolean(numberChangeNotice(event));
		const change = isBusinessScopedUserId(known) ? undefined : changedNumberOf(event);
		const waId = change?.from ?? known;
		// The BSUID of a contact by number: linked first, as Meta pairs the two ids (a retry, a message
		// that waits or one shown nowhere links it too). A failure fails the attempt: the message is
		// retried, and the contact's messages by the BSUID alone wait behind it (webhookBatch.ts senderOf).
		if (link && !change) await this.ports.windows.put(contactKey(number.phoneNumberId, link), { at: 0, userOf: waId });
		// The contact's other id, when Meta names both: a template's routing may name it.
		const otherId = change ? undefined : [event.waId || event.from, event.userId].find((id) => id && id !== waId);
		// What the app sent them was sent to either id, or to the number their BSUID's window keeps.
		const sentIds = [otherId, knownPhone].filter((id): id is string => Boolean(id));
		// A contact by number: the BSUID their number's window keeps (a number change notice without it moves its link).
		const userId = otherId && isBusinessScopedUserId(otherId) && !isBusinessScopedUserId(waId) ? otherId : undefined;
		// A contact known by their BSUID: the number Meta names with it, which replies go to (not the one of a number change notice).
		const phone = !notice && otherId && !isBusinessScopedUserId(otherId) && isBusinessScopedUserId(waId) ? otherId : undefined;
		const token = contactKey(number.phoneNumberId, waId);
		if (notice && isBusinessScopedUserId(waId)) await this.forgetPhone(token, event);
		// Posted by an attempt of this runtime that then failed to mark it seen: taken up after its post.
		const posted = postedUnseen.get(event.wamid);
		if (posted) return this.afterPost(event, { number, waId, userId, phone }, posted, true);
		const seen = await messages.isSeen(event.wamid);
		// Seen: posted before (Meta's redelivery, or a retry after a failure once it was posted). Only
		// its window may be missing (the failure came before it was recorded): recorded now, never left
		// closed while the contact just wrote.
		// A reaction or system message seen without a conversation opened no window: nor does its redelivery.
		if (seen) {
			if (!isPassive(event)) await this.openWindow(token, event, { missingOnly: true, userId, phone });
			return;
		}
		if (change) await this.recordMove(number.phoneNumberId, event, change);
		// A reaction (a 👍 to the conversation-finished message, say), a system message (a number
		// change) or an action on an earlier message that WhatsApp does not pass on (an edit, a pin) is
		// shown in the contact's open conversation; it never opens one, welcomed and all.
		if (isPassive(event) && !(await conversations.openRoomOf({ phoneNumberId: number.phoneNumberId, waId }))) {
			await messages.markSeen(event.wamid);
			this.ports.logger?.info(
				`number ${number.phoneNumberId}: a contact's ${passiveType(event)} without an open conversation is not shown`,
			);
			return;
		}
		const sentAt = Number(event.timestamp) * 1000;
		let visitor = await this.visitorOf(number, waId, event.contactName, Number.isFinite(sentAt) && sentAt > 0 ? sentAt : undefined);
		let room: Room | undefined = await conversations.openRoom(visitor);
		let isNew = !room;
		if (!room) {
			const routing = await this.routingFor(number, waId, otherId);
			// The room's department is the visitor's (createRoom): the routing's, if it still exists.
			let department = routing.department && (await this.existing(routing.department, number));
			if (department && department !== visitor.department) {
				const moved = await this.moved(visitor, department, number);
				if (moved) visitor = moved;
				else department = undefined;
			}
			// No department for this room (the number has none, or no longer; a template's routing has
			// expired) while the visitor still has one, which Rocket.Chat lets no app clear: the room is
			// asked for without it, never in a department the admin removed or a template's of long ago.
			const withoutDepartment = !department && Boolean(visitor.department);
			try {
				room = await conversations.createRoom({
					visitor,
					agent: routing.agent,
					...(withoutDepartment ? { withoutDepartment } : {}),
				});
			} catch (error) {
				throw await this.waitingIfNoAgent(error, autoMessages, { number, waId }, { department, agent: routing.agent });
			}
			// Sent once the contact's message is in the room, even when that takes a retry.
			await messages.mark('welcome', room.id);
		}
		const t = await this.ports.translator();
		const described = describeInbound(event.raw);
		if (described.unreadable)
			this.ports.logger?.warn(`inbound message ${event.wamid}: shown as one the app could not read (${described.unreadable})`);
		const quote = await this.quotePrefix(described.replyTo, event.type, t, { phoneNumberId: number.phoneNumberId, waId }, sentIds);
		let uploadId: string | undefined;
		let rcMessageId: string | undefined;
		let text = describedText(described, t);
		if (described.media) {
			// A retry after the file was posted does not post it again.
			const posted = await messages.hasMark('media', event.wamid);
			const outcome: MediaOutcome = posted
				? { posted: true }
				: await this.ports.media.post({ number, visitor, room, media: described.media, t, retryLater: !options.finalAttempt });
			if (outcome.posted && !posted) await messages.mark('media', event.wamid);
			uploadId = outcome.uploadId;
			// The file is in the room: what remains to say is the rest (an ad, the caption) and the quote.
			text = outcome.posted
				? describedText({ pieces: described.pieces.filter((p) => !p.media) }, t)
				: [text, outcome.notice].filter(Boolean).join('\n');
		}
		if (text || quote) {
			// Closed meanwhile while nobody is online: Rocket.Chat refuses the new room, and the message
			// waits, as one whose room the app asked for does.
			try {
				rcMessageId = await conversations.postAsVisitor({ visitor, room, text: `${quote}${text}` });
			} catch (error) {
				// Rocket.Chat opens the new room in the visitor's department.
				throw await this.waitingIfNoAgent(error, autoMessages, { number, waId }, { department: visitor.department });
			}
			// Rocket.Chat posts a visitor's message in the room only while it is open: one an agent closed
			// meanwhile gets the contact a new room, the message goes there (the livechat getRoom, lib/rooms.ts),
			// and the answer does not say so. The app follows it: the link, the window and the welcome are
			// that room's, as they are of a room the app opened. Where it went, the message says (one read,
			// only then); else the contact's open room. A room closed already by then (the conversation is
			// over) gets the link but no welcome.
			// Best effort: the message is posted, and a failure here must not have a retry post it again.
			try {
				if (!(await conversations.isOpen(room))) {
					const read = rcMessageId ? await conversations.roomOfMessage(rcMessageId).catch(() => undefined) : undefined;
					const opened = read ?? (await conversations.openRoom(visitor));
					if (opened && opened.id !== room.id) {
						[room, isNew] = [opened, opened.open !== false];
						// Welcomed even when that takes a retry, as a room the app opened is.
						if (isNew) await messages.mark('welcome', room.id);
					}
				}
			} catch {
				// The link stays with the room the message was posted to.
			}
		}
		return this.afterPost(event, { number, waId, userId, phone }, { room, isNew, rcMessageId, uploadId });
	}

	/**
	 * The steps after a contact's message is in its room: seen, linked, its window, the receipt, the
	 * welcome. `again`: taken up by a retry; a room closed since gets no welcome (the conversation is over).
	 */
	private async afterPost(
		event: InboundMessageEvent,
		contact: { number: ConnectedNumber; waId: string; userId?: string; phone?: string },
		posted: Posted,
		again = false,
	): Promise<void> {
		const { messages, autoMessages, conversations } = this.ports;
		const { number, waId } = contact;
		const { room, isNew, rcMessageId, uploadId } = posted;
		// Marked as seen once it is in the room: a failure before this point is retried, not lost.
		try {
			await messages.markSeen(event.wamid);
		} catch (error) {
			rememberPosted(event.wamid, posted);
			throw error;
		}
		postedUnseen.delete(event.wamid);
		// The message an agent may quote: the text, else the file.
		const now = this.ports.clock.now();
		if (rcMessageId || uploadId)
			await messages.link({ wamid: event.wamid, rcMessageId, uploadId, roomId: room.id, at: new Date(now).toISOString() });
		const token = contactKey(number.phoneNumberId, waId);
		const window = await this.openWindow(token, event, { userId: contact.userId, phone: contact.phone });
		// Taken up by a retry: a room closed since is over (no note, no welcome).
		let open: Promise<boolean> | undefined;
		const isOpen = () => (open ??= again ? conversations.isOpen(room) : Promise.resolve(true));
		// The first message from a number a contact changed to: the room says so.
		if (window?.movedFrom && !window.movedFrom.noted && (await isOpen())) await this.noteMovedFrom(number.phoneNumberId, token, room);
		if (room.servedBy && !window?.movedTo) await this.ports.receipts.markRead(number, event.wamid);
		if (isNew || (await messages.hasMark('welcome', room.id))) {
			await messages.unmark('welcome', room.id);
			if (await isOpen()) await autoMessages.onNewConversation({ number, waId, room, movedAway: Boolean(window?.movedTo) });
		} else {
			// The contact's messages are in a room (one an agent opened, say): a later wait tells them again.
			await autoMessages.forgetOfflineNotice({ number, waId });
		}
	}
}
