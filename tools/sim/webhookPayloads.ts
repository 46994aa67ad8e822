/**
 * Meta's webhook payloads for the `messages` field, shaped as in shared/contracts/meta-docs/webhook-*.json
 * and pywa/message_status.json: one entry per WABA, one change per phone number, the statuses (or
 * messages) of that number together in its change's `value`.
 */
import { createHash } from 'crypto';

export interface WebhookNumber {
	phoneNumberId: string;
	wabaId: string;
	displayPhoneNumber: string;
}

export type StatusName = 'sent' | 'delivered' | 'read' | 'failed' | 'played';

/** One status as Meta sends it (`timestamp` is a string of seconds). */
export interface StatusObject {
	id: string;
	status: StatusName;
	timestamp: string;
	/** The contact's WhatsApp id; left out for a send to a business-scoped user id (`recipient_user_id`). */
	recipient_id?: string;
	recipient_user_id?: string;
	conversation?: unknown;
	pricing?: unknown;
	errors?: unknown[];
	biz_opaque_callback_data?: string;
}

export interface WebhookPayload {
	object: 'whatsapp_business_account';
	entry: Array<{ id: string; changes: Array<{ value: Record<string, unknown>; field: 'messages' }> }>;
}

export const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/** `metadata.display_phone_number` carries digits only ("15550783881" for "+1 555-078-3881"). */
function metadata(number: WebhookNumber): { display_phone_number: string; phone_number_id: string } {
	return { display_phone_number: number.displayPhoneNumber.replace(/\D/g, ''), phone_number_id: number.phoneNumberId };
}

/**
 * Groups `values` (the `value` of a change, without messaging_product/metadata) into Meta's envelope:
 * the changes of numbers of the same WABA share one entry, in first-seen order.
 */
export function envelope(parts: Array<{ number: WebhookNumber; value: Record<string, unknown> }>): WebhookPayload {
	const entries: WebhookPayload['entry'] = [];
	for (const { number, value } of parts) {
		let entry = entries.find((e) => e.id === number.wabaId);
		if (!entry) entries.push((entry = { id: number.wabaId, changes: [] }));
		entry.changes.push({ value: { messaging_product: 'whatsapp', metadata: metadata(number), ...value }, field: 'messages' });
	}
	return { object: 'whatsapp_business_account', entry: entries };
}

/** Statuses batched as Meta batches them: those of one number in one change, one change per number. */
export function statusesPayload(items: Array<{ number: WebhookNumber; status: StatusObject }>): WebhookPayload {
	const byNumber = new Map<string, { number: WebhookNumber; statuses: StatusObject[] }>();
	for (const { number, status } of items) {
		const group = byNumber.get(number.phoneNumberId) ?? { number, statuses: [] };
		group.statuses.push(status);
		byNumber.set(number.phoneNumberId, group);
	}
	return envelope([...byNumber.values()].map(({ number, statuses }) => ({ number, value: { statuses } })));
}

/**
 * A business-scoped user id (Meta's "Business-scoped user IDs": a country code, a period, up to 128
 * alphanumerics; a parent BSUID has `ENT.` after the period).
 */
export const isBsuid = (id: string): boolean => /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/.test(id);

/**
 * The business-scoped user id Meta gives the user of `phone` (stable: a country code, a period and
 * 20 digits from the number's hash). Meta's "Business-scoped user IDs": the BSUID is "assigned to the
 * `user_id` parameter and appear[s] in all messages webhooks, regardless of whether or not the user
 * has enabled the username feature" (since April 2026).
 */
export function bsuidFor(phone: string): string {
	const hash = createHash('sha256').update(phone.replace(/\D/g, '')).digest();
	return `US.${hash.readBigUInt64BE(0).toString().padStart(20, '0').slice(0, 20)}`;
}

/**
 * An inbound user message (`message` without from/id/timestamp gets them filled in): `from` and the
 * contact's `wa_id`, with the user's BSUID (`from_user_id`, the contact's `user_id`: bsuidFor), as
 * Meta sends them since April 2026. A user named by a business-scoped user id (`from`) comes as Meta
 * sends a user whose phone number it withholds: `from_user_id` and the contact's `user_id`, with no
 * `from` nor `wa_id` (Meta's example in "Business-scoped user IDs"), and their username in the
 * profile when `username` is given.
 */
export function inboundMessagePayload(
	number: WebhookNumber,
	from: string,
	name: string,
	message: Record<string, unknown>,
	username?: string,
): WebhookPayload {
	const profile = { name, ...(username ? { username } : {}) };
	const [contact, sender] = isBsuid(from)
		? [{ profile, user_id: from }, { from_user_id: from }]
		: [
				{ profile, wa_id: from, user_id: bsuidFor(from) },
				{ from, from_user_id: bsuidFor(from) },
			];
	return envelope([
		{
			number,
			value: {
				contacts: [contact],
				messages: [{ ...sender, id: message.id ?? wamidFor(from), timestamp: message.timestamp ?? nowSeconds(), ...message }],
			},
		},
	]);
}

let sequence = 0;

/**
 * A wamid shaped like Meta's: `wamid.` + base64 of `1c 18 <len> <phone> 15 02 00 11 18 12 <18 hex> 00`
 * (the layout of the ids in Meta's examples, e.g. wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA).
 */
export function wamidFor(phone: string): string {
	const digits = phone.replace(/\D/g, '').slice(0, 20) || '0';
	const unique = `${(++sequence).toString(16)}${Math.random().toString(16).slice(2)}`.toUpperCase().padEnd(18, '0').slice(0, 18);
	const bytes = Buffer.concat([
		Buffer.from([0x1c, 0x18, digits.length]),
		Buffer.from(digits),
		Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]),
		Buffer.from(unique),
		Buffer.from([0x00]),
	]);
	return `wamid.${bytes.toString('base64')}`;
}
