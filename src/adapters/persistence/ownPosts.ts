/**
 * The app's own posts in a room, as a user (the template an agent sent, shown in the room as the
 * agent's), told apart from what the agent types, so that they are not relayed to WhatsApp again.
 *
 * Why a record in persistence, and not a mark on the message:
 *   - Rocket.Chat refuses a message with `customFields` unless the admin enabled them
 *     (`Message_CustomFields_Enabled`, off by default), and with them on the fields must match the
 *     admin's schema (apps/meteor/app/lib/server/functions/sendMessage.ts, validateMessage). Other
 *     fields an app could set either need a permission (`alias`/`avatar`: message-impersonate) or
 *     are not the app's to give a meaning to.
 *   - The message id is not known before `finish()` returns, and Rocket.Chat fires IPostMessageSent
 *     (to every app, the sender included) right after the insert without awaiting it: the event may
 *     reach the app before or after `finish()` returns the id. So the id cannot be the only key: it
 *     is added to the record once known, and finds the event even if Rocket.Chat changed the text
 *     (its bad-words filter, another app's IPreMessageSentModify).
 *   - What is known before posting: the room, the sender and the exact text. The record is written
 *     BEFORE the post, keyed by room id and a hash of the text, so whichever comes first the guard
 *     finds it. The guard consumes it (one post, one event), so the agent typing the same words
 *     later is relayed as usual. A record lives at most TTL_MS (the event comes within moments);
 *     a post that fails withdraws its record at once.
 *   - Each record also has an association of its own, and is removed by it: Rocket.Chat versions
 *     differ on whether removeByAssociation deletes one match or all (persistence.ts), and two
 *     identical posts in flight must each keep their own record.
 * Posts by the app's own user are recognised by their sender (type 'app') and need no record.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Records } from './records';

const crypto = require('crypto') as typeof import('crypto');

/** How long an announced post waits for its IPostMessageSent. */
export const OWN_POST_TTL_MS = 10 * 60000;

interface OwnPost {
	id: string;
	roomId: string;
	senderId: string;
	hash: string;
	at: number;
	/** The posted message's id, once `finish()` returned it. */
	messageId?: string;
}

const inRoom = (roomId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.ROOM, roomId);
const KIND = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'own-post');
const ownId = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `own-post:${id}`);
const hashOf = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** Records that the app is about to post `text` in the room as `senderId`; returns the record's id. */
export async function announceOwnPost(
	persistence: IPersistence,
	post: { roomId: string; senderId: string; text: string },
): Promise<string> {
	const id = crypto.randomBytes(12).toString('hex');
	const record: OwnPost = { id, roomId: post.roomId, senderId: post.senderId, hash: hashOf(post.text), at: Date.now() };
	await persistence.createWithAssociations(record, [KIND, inRoom(post.roomId), ownId(id)]);
	return id;
}

/** The post did not happen: its record goes. */
export async function withdrawOwnPost(persistence: IPersistence, id: string): Promise<void> {
	await persistence.removeByAssociation(ownId(id));
}

/**
 * Whether a message in the room is one the app posted (and announced): the record is consumed.
 * Expired records of the room are removed on the way.
 */
export async function consumeOwnPost(
	read: IPersistenceRead,
	persistence: IPersistence,
	message: { id?: string; roomId: string; senderId: string; text: string },
): Promise<boolean> {
	const records = ((await read.readByAssociations([KIND, inRoom(message.roomId)])) as OwnPost[]).filter(
		(r) => r && typeof r.id === 'string',
	);
	if (!records.length) return false;
	const now = Date.now();
	const hash = hashOf(message.text);
	// By its id when the post already returned it (Rocket.Chat may have changed the text on the way:
	// its bad-words filter, another app's IPreMessageSentModify), else by the text.
	const fresh = records.filter((r) => now - r.at <= OWN_POST_TTL_MS && r.senderId === message.senderId);
	const match =
		fresh.find((r) => message.id !== undefined && r.messageId === message.id) ??
		fresh.find((r) => r.hash === hash && !r.messageId) ??
		fresh.find((r) => r.hash === hash);
	for (const r of records) if (r === match || now - r.at > OWN_POST_TTL_MS) await persistence.removeByAssociation(ownId(r.id));
	return Boolean(match);
}

/** Posts a message as a user (not the app's own): announced first, withdrawn when the post fails. */
export async function postAsUser<T>(
	{ read, persistence }: { read: IPersistenceRead; persistence: IPersistence },
	post: { roomId: string; senderId: string; text: string },
	send: () => Promise<T>,
): Promise<T> {
	const id = await announceOwnPost(persistence, post);
	let sent: T;
	try {
		sent = await send();
	} catch (error) {
		await withdrawOwnPost(persistence, id).catch(() => undefined);
		throw error;
	}
	// The id finds the event too, should its text have changed; a record already consumed stays gone.
	if (typeof sent === 'string' && sent) {
		const [record] = (await read.readByAssociation(ownId(id))) as OwnPost[];
		if (record) await new Records(read, persistence).replace([KIND, inRoom(post.roomId), ownId(id)], { ...record, messageId: sent });
	}
	return sent;
}
