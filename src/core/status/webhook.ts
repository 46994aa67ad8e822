/**
 * Meta's webhook payload, walked into typed events: every `entry[] x changes[]`, and in each
 * `value` of a `messages` change its `statuses[]`, `messages[]` and `errors[]`; a
 * `message_template_status_update` change becomes a template event.
 *
 * Tolerant by design, and it never throws:
 * - fields it does not know are not read (Meta adds fields; v24+ statuses have no `conversation`
 *   or `pricing`, group statuses add `recipient_type`/`recipient_participant_id`);
 * - changes of other `field` kinds (account_update, group_lifecycle_update, ...) are counted in
 *   `ignored` and named in `ignoredFields`;
 * - malformed parts (a status without an id, a change without a value, a message without `from`,
 *   ...) are left out and listed in `skipped` with where they were, why, and the ids they name
 *   (never their text): acceptWebhook (core/app/webhookBatch.ts) logs them.
 * Values are kept as Meta wrote them: timestamps stay strings of unix seconds.
 */

import { isBusinessScopedUserId } from '../phone';

/** Meta's error object, in `statuses[].errors[]` and `value.errors[]` (only the documented fields are kept). */
export interface MetaError {
	code?: number;
	title?: string;
	message?: string;
	error_data?: unknown;
	href?: string;
}

export interface StatusEvent {
	kind: 'status';
	phoneNumberId: string;
	displayPhoneNumber: string;
	wamid: string;
	/** Meta's word: sent, delivered, read, played, failed (or one Meta adds later). */
	status: string;
	timestamp: string;
	/**
	 * The contact's WhatsApp id, or the group id when `recipientType` is `group`; the contact's
	 * business-scoped user id (`recipient_user_id`) when Meta leaves the WhatsApp id out (a send to a
	 * BSUID of a user whose phone number Meta withholds).
	 */
	recipientId: string;
	/** The contact's business-scoped user id (`recipient_user_id`), when Meta names it. */
	recipientUserId?: string;
	recipientType?: string;
	/** In a group, the participant this status is about. */
	recipientParticipantId?: string;
	errors?: MetaError[];
	pricingCategory?: string;
	conversationId?: string;
	bizOpaqueCallbackData?: string;
}

export interface InboundMessageEvent {
	kind: 'message';
	phoneNumberId: string;
	displayPhoneNumber: string;
	wamid: string;
	from: string;
	/**
	 * The contact's WhatsApp id (`contacts[].wa_id`): the identity of the contact, whatever format
	 * `from` takes. Equal to `from` when Meta sends no contact for it. For a contact Meta names only
	 * by their business-scoped user id (`from_user_id`, no `from`), that id, in `from` too.
	 */
	waId: string;
	/** text, image, button, ..., `revoke` (the contact deleted a message), `unsupported`. */
	type: string;
	timestamp: string;
	contactName?: string;
	/**
	 * The contact's business-scoped user id (`from_user_id`) when Meta gives it with their phone
	 * number (`from`): their identity stays the number, unless the app knew them by the BSUID first
	 * (core/app/inbound.ts).
	 */
	userId?: string;
	/** For `revoke`: the wamid of the deleted message. */
	originalMessageId?: string;
	/**
	 * The WhatsApp group the message was sent in (`group_id`, Meta's Groups API), when it was: not a
	 * one-to-one message from `from`, which the app does not take (InboundService, core/app/inbound.ts).
	 */
	groupId?: string;
	/** The message object as Meta sent it. */
	raw: Record<string, unknown>;
}

/** `value.errors[]`: an error about the number or the app, not about one message. */
export interface ValueErrorEvent {
	kind: 'value-error';
	phoneNumberId: string;
	displayPhoneNumber: string;
	error: MetaError;
}

export interface TemplateStatusEvent {
	kind: 'template-status';
	/** `entry[].id`: the WhatsApp Business Account. */
	wabaId: string;
	/** APPROVED, REJECTED, PAUSED, DISABLED, ... */
	event: string;
	templateId?: string;
	templateName?: string;
	language?: string;
	reason?: string;
	category?: string;
}

export type WebhookEvent = StatusEvent | InboundMessageEvent | ValueErrorEvent | TemplateStatusEvent;

export interface SkippedPart {
	/** Where, e.g. `entry[0].changes[1].value.statuses[3]`. */
	at: string;
	reason: string;
	/** The number it was about (`metadata.phone_number_id`), when its change names one. */
	phoneNumberId?: string;
	/** The account it was about (`entry[].id`), when its entry names one. */
	wabaId?: string;
	/** The message (or the message of a status) it was, when it has a string id. */
	wamid?: string;
	/** A message's `type`, as Meta wrote it. */
	type?: string;
}

export interface WalkResult {
	events: WebhookEvent[];
	/** Changes of a `field` kind this app does not handle. */
	ignored: number;
	/** Those kinds' names, each once, as Meta wrote them (acceptWebhook logs them). */
	ignoredFields: string[];
	/** Malformed parts, left out. */
	skipped: SkippedPart[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
	typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

export function walkWebhook(payload: unknown): WalkResult {
	const result: WalkResult = { events: [], ignored: 0, ignoredFields: [], skipped: [] };
	const skip = (at: string, reason: string, ids: Omit<SkippedPart, 'at' | 'reason'> = {}) =>
		void result.skipped.push({ at, reason, ...definedOnly(ids) });
	if (!isObj(payload)) {
		skip('$', 'payload is not a JSON object');
		return result;
	}
	if (!Array.isArray(payload.entry)) {
		skip('entry', 'no entry[] array');
		return result;
	}
	payload.entry.forEach((entry, e) => {
		if (!isObj(entry) || !Array.isArray(entry.changes)) {
			skip(`entry[${e}]`, 'entry is not an object with a changes[] array', { wabaId: isObj(entry) ? str(entry.id) : undefined });
			return;
		}
		const wabaId = str(entry.id) ?? '';
		entry.changes.forEach((change, c) => {
			const at = `entry[${e}].changes[${c}]`;
			if (!isObj(change) || !isObj(change.value)) {
				skip(at, 'change is not an object with a value object', { wabaId });
				return;
			}
			if (change.field === 'messages') walkMessagesValue(change.value, { at: `${at}.value`, result, skip, wabaId });
			else if (change.field === 'message_template_status_update') {
				const event = templateStatus(wabaId, change.value);
				if (event) result.events.push(event);
				else skip(`${at}.value`, 'template status update without an event', { wabaId });
			} else {
				result.ignored++;
				const field = str(change.field) ?? '(none)';
				if (!result.ignoredFields.includes(field)) result.ignoredFields.push(field);
			}
		});
	});
	return result;
}

/** Where a walk is: the path for skip reasons, the events so far, how to report a skipped item, and the entry's account. */
interface WalkPosition {
	at: string;
	result: WalkResult;
	skip: (at: string, reason: string, ids?: Omit<SkippedPart, 'at' | 'reason'>) => void;
	wabaId: string;
}

/** The number a `messages` change is about, as its metadata says. */
interface ValueNumber {
	phoneNumberId: string;
	displayPhoneNumber: string;
}

function walkMessagesValue(value: Obj, { at, result, skip, wabaId }: WalkPosition): void {
	const metadata = isObj(value.metadata) ? value.metadata : {};
	const phoneNumberId = str(metadata.phone_number_id) ?? '';
	const displayPhoneNumber = str(metadata.display_phone_number) ?? '';
	const number: ValueNumber = { phoneNumberId, displayPhoneNumber };
	if (Array.isArray(value.statuses)) {
		value.statuses.forEach((s, i) => {
			const event = isObj(s) ? toStatus(s, number) : undefined;
			if (event) result.events.push(event);
			else
				skip(`${at}.statuses[${i}]`, 'status without a string id and status', {
					phoneNumberId,
					wabaId,
					wamid: isObj(s) ? str(s.id) : undefined,
				});
		});
	}
	if (Array.isArray(value.messages)) {
		const contacts = Array.isArray(value.contacts) ? value.contacts.filter(isObj) : [];
		value.messages.forEach((m, i) => {
			const event = isObj(m) ? toInbound(m, contacts, number) : undefined;
			if (event) result.events.push(event);
			else
				skip(`${at}.messages[${i}]`, isObj(m) ? whyNotInbound(m) : 'message is not an object', {
					phoneNumberId,
					wabaId,
					...(isObj(m) ? { wamid: str(m.id), type: str(m.type) } : {}),
				});
		});
	}
	if (Array.isArray(value.errors)) {
		value.errors.forEach((err, i) => {
			if (isObj(err)) result.events.push({ kind: 'value-error', phoneNumberId, displayPhoneNumber, error: toMetaError(err) });
			else skip(`${at}.errors[${i}]`, 'error is not an object', { phoneNumberId, wabaId });
		});
	}
	// A list in another shape, or none of the three: nothing of it can be read, and the log says so.
	const lists = ['statuses', 'messages', 'errors'] as const;
	for (const list of lists)
		if (value[list] !== undefined && !Array.isArray(value[list]))
			skip(`${at}.${list}`, `${list} is not an array`, { phoneNumberId, wabaId });
	if (lists.every((list) => value[list] === undefined))
		skip(at, 'messages value without statuses[], messages[] or errors[]', { phoneNumberId, wabaId });
}

/** Why a message object is no inbound event (toInbound answered undefined). */
function whyNotInbound(m: Obj): string {
	if (!str(m.id)) return 'message without a string id';
	if (str(m.from_user_id)) return 'message without from, and its from_user_id is not a business-scoped user id';
	return 'message without from';
}

/** The fields given a value (a skipped part names only the ids it has). */
function definedOnly<T extends object>(fields: T): Partial<T> {
	const defined: Partial<T> = {};
	for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== '') (defined as Obj)[key] = value;
	return defined;
}

function toStatus(s: Obj, { phoneNumberId, displayPhoneNumber }: ValueNumber): StatusEvent | undefined {
	const wamid = str(s.id);
	const status = str(s.status);
	if (!wamid || !status) return undefined;
	const event: StatusEvent = {
		kind: 'status',
		phoneNumberId,
		displayPhoneNumber,
		wamid,
		status,
		timestamp: str(s.timestamp) ?? '',
		recipientId: str(s.recipient_id) ?? str(s.recipient_user_id) ?? '',
	};
	const userId = str(s.recipient_user_id);
	if (userId) event.recipientUserId = userId;
	const recipientType = str(s.recipient_type);
	if (recipientType) event.recipientType = recipientType;
	const participant = str(s.recipient_participant_id);
	if (participant) event.recipientParticipantId = participant;
	if (Array.isArray(s.errors)) {
		const errors = s.errors.filter(isObj).map(toMetaError);
		if (errors.length) event.errors = errors;
	}
	const category = isObj(s.pricing) ? str(s.pricing.category) : undefined;
	if (category) event.pricingCategory = category;
	const conversationId = isObj(s.conversation) ? str(s.conversation.id) : undefined;
	if (conversationId) event.conversationId = conversationId;
	const tracker = str(s.biz_opaque_callback_data);
	if (tracker) event.bizOpaqueCallbackData = tracker;
	return event;
}

function toInbound(m: Obj, contacts: Obj[], { phoneNumberId, displayPhoneNumber }: ValueNumber): InboundMessageEvent | undefined {
	const wamid = str(m.id);
	if (!wamid) return undefined;
	const from = str(m.from);
	if (!from) return fromUserOnly(m, contacts, { phoneNumberId, displayPhoneNumber });
	const digits = from.replace(/\D/g, '');
	const contact =
		contacts.find((c) => str(c.wa_id) === from) ??
		contacts.find((c) => str(c.wa_id)?.replace(/\D/g, '') === digits) ??
		(contacts.length === 1 ? contacts[0] : undefined);
	const waId = (contact && str(contact.wa_id)?.replace(/\D/g, '')) || digits || from;
	const event = inboundEvent(m, contact, { phoneNumberId, displayPhoneNumber, wamid, from, waId });
	const userId = str(m.from_user_id);
	if (userId && isBusinessScopedUserId(userId)) event.userId = userId;
	return event;
}

/**
 * A message of a user Meta names only by their business-scoped user id ("Business-scoped user
 * IDs": `from` and `wa_id` "will be omitted if the phone number cannot be included"; `from_user_id`
 * and the contact's `user_id` are the user's BSUID): the BSUID is the contact's id. Undefined
 * without a BSUID.
 */
function fromUserOnly(m: Obj, contacts: Obj[], number: ValueNumber): InboundMessageEvent | undefined {
	const userId = str(m.from_user_id);
	if (!userId || !isBusinessScopedUserId(userId)) return undefined;
	// The contact of that BSUID; a lone contact without one may be the sender's, one with another is not.
	const contact =
		contacts.find((c) => str(c.user_id) === userId) ?? (contacts.length === 1 && !str(contacts[0].user_id) ? contacts[0] : undefined);
	return inboundEvent(m, contact, { ...number, wamid: str(m.id) as string, from: userId, waId: userId });
}

function inboundEvent(
	m: Obj,
	contact: Obj | undefined,
	ids: ValueNumber & { wamid: string; from: string; waId: string },
): InboundMessageEvent {
	const { phoneNumberId, displayPhoneNumber, wamid, from, waId } = ids;
	const event: InboundMessageEvent = {
		kind: 'message',
		phoneNumberId,
		displayPhoneNumber,
		wamid,
		from,
		waId,
		type: str(m.type) ?? 'unknown',
		timestamp: str(m.timestamp) ?? '',
		raw: m,
	};
	// A user with a WhatsApp username has it in their profile (`profile.username`): their name when
	// they gave none.
	const profile = contact && isObj(contact.profile) ? contact.profile : undefined;
	const name = profile && (str(profile.name) || str(profile.username));
	if (name) event.contactName = name;
	const original = isObj(m.revoke) ? str(m.revoke.original_message_id) : undefined;
	if (original) event.originalMessageId = original;
	// A message in a group names it ("Group messages webhook reference": `group_id`, "The string
	// identifier of a group made using the Groups API. This field shows when messages are sent,
	// received, or read from a group."), as group statuses do (`recipient_type: group`).
	const group = str(m.group_id);
	if (group) event.groupId = group;
	return event;
}

function templateStatus(wabaId: string, v: Obj): TemplateStatusEvent | undefined {
	const event = str(v.event);
	if (!event) return undefined;
	const result: TemplateStatusEvent = { kind: 'template-status', wabaId, event };
	const fields: Array<[keyof TemplateStatusEvent, string]> = [
		['templateId', 'message_template_id'],
		['templateName', 'message_template_name'],
		['language', 'message_template_language'],
		['reason', 'reason'],
		['category', 'message_template_category'],
	];
	for (const [key, metaKey] of fields) {
		const value = str(v[metaKey]);
		if (value !== undefined) (result as unknown as Record<string, string>)[key] = value;
	}
	return result;
}

/** Keeps the documented fields of Meta's error object (`code`, `title`, `message`, `error_data`, `href`). */
export function toMetaError(e: Obj): MetaError {
	const error: MetaError = {};
	if (typeof e.code === 'number') error.code = e.code;
	else if (typeof e.code === 'string' && /^\d+$/.test(e.code)) error.code = Number(e.code);
	const title = str(e.title);
	if (title !== undefined) error.title = title;
	const message = str(e.message);
	if (message !== undefined) error.message = message;
	if (e.error_data !== undefined) error.error_data = e.error_data;
	const href = str(e.href);
	if (href !== undefined) error.href = href;
	return error;
}
