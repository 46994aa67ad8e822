/**
 * The token of a contact's omnichannel visitor. Rocket.Chat's livechat API takes a visitor's token
 * as its only credential (`GET /api/v1/livechat/room?token=`, `POST /api/v1/livechat/message`,
 * `GET /api/v1/livechat/messages.history/:rid?token=`): whoever holds it reads the visitor's room and
 * writes in it as the visitor, and agents' answers there go to the contact on WhatsApp. So it is not
 * made of what others can know (the number's id and the contact's phone number) alone: it carries
 * an HMAC of them with a key only this installation holds, `whatsapp:<phoneNumberId>:<waId>:<mac>`,
 * and a room is a contact's only when its visitor's token verifies.
 *
 * Versions before gave visitors `whatsapp:<phoneNumberId>:<waId>` (the contact's key, below). Such a
 * visitor stays its contact's for the rooms opened before this installation's key existed; the
 * contact's next conversation gets a visitor of their own (adapters/rocketchat/conversations.ts).
 */
import { CONTACT_ID_PATTERN } from '../phone';
import { Contact, contactKey, contactOfKey } from './conversations';

const crypto = require('crypto') as typeof import('crypto');

/** The installation's key, and when it was made (ms): legacy rooms opened before it are trusted. */
export interface TokenKey {
	key: string;
	createdAt: number;
}

const KEYED = new RegExp(`^whatsapp:(\\d+):(${CONTACT_ID_PATTERN}):([0-9a-f]{32})$`);

const macOf = (key: string, contact: Contact) =>
	crypto.createHmac('sha256', key).update(`${contact.phoneNumberId}:${contact.waId}`).digest('hex').slice(0, 32);

/** The contact's visitor token under the installation's key. */
export function visitorToken(key: string, contact: Contact): string {
	return `${contactKey(contact.phoneNumberId, contact.waId)}:${macOf(key, contact)}`;
}

/**
 * The contact a keyed visitor token names, not verified: what a room's token claims before the key is
 * read. `contactOfVisitorToken` verifies.
 */
export function claimedContactOfVisitorToken(token: string | undefined): Contact | undefined {
	const match = KEYED.exec(token ?? '');
	return match ? { phoneNumberId: match[1], waId: match[2] } : undefined;
}

/** The contact behind a keyed visitor token, only if the token verifies under `key` (in constant time). */
export function contactOfVisitorToken(key: string, token: string | undefined): Contact | undefined {
	const match = KEYED.exec(token ?? '');
	if (!match) return undefined;
	const contact = { phoneNumberId: match[1], waId: match[2] };
	const expected = Buffer.from(macOf(key, contact), 'hex');
	const given = Buffer.from(match[3], 'hex');
	return expected.length === given.length && crypto.timingSafeEqual(expected, given) ? contact : undefined;
}

/** The contact of a token of the versions before (`whatsapp:<phoneNumberId>:<waId>`). */
export const contactOfLegacyToken = (token: string | undefined): Contact | undefined => contactOfKey(token);

/** A new key: 32 random bytes. */
export function newTokenKey(now: number): TokenKey {
	return { key: crypto.randomBytes(32).toString('hex'), createdAt: now };
}

/**
 * The installation's key among those stored: the oldest (then the smallest), so that two processes
 * that each stored one at first use agree from then on. Undefined when none is usable.
 */
export function chooseTokenKey(stored: unknown[]): TokenKey | undefined {
	const keys = stored.filter(
		(k): k is TokenKey =>
			typeof (k as TokenKey)?.key === 'string' &&
			/^[0-9a-f]{64}$/.test((k as TokenKey).key) &&
			Number.isFinite((k as TokenKey).createdAt),
	);
	keys.sort((a, b) => a.createdAt - b.createdAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	return keys[0] ? { key: keys[0].key, createdAt: keys[0].createdAt } : undefined;
}
