/**
 * The livechat events of a WhatsApp contact room: an agent's message (relayed to the contact by
 * core/app/replies.ts), the room closed (the conversation-finished message) and an agent taking the
 * room (read receipts). Here only the engine's event becomes the services' input.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';
import { IMessage, IMessageFile } from '@rocket.chat/apps-engine/definition/messages';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { KeyedQueue } from '../../core/app/keyedQueue';
import { AgentReply } from '../../core/app/replies';
import { autoMessagesOf } from '../../adapters/build/autoMessages';
import { readReceiptsOf } from '../../adapters/build/inbound';
import { EngineReplyAgent, EngineReplyRoom, replyRelayOf } from '../../adapters/build/replies';
import { claimedContactOf, contactOf } from '../../adapters/rocketchat/conversations';
import { messageFiles } from '../../adapters/engine/newerApis';

export interface ReplyAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: ILogger;
}

/**
 * An attachment as Rocket.Chat's messages converter hands it to apps: `message_link` as
 * `timestampLink`, `title`/`title_link` as `title: { value, link }`, and `fileId` mapped from engine
 * 1.60 (Rocket.Chat 8.2), under `_unmappedProperties_` before (newerApis.ts).
 */
type Attachment = {
	description?: string;
	timestampLink?: string;
	fileId?: string;
	title?: { link?: string };
	_unmappedProperties_?: { fileId?: string };
};

const fileIdOf = (a: Attachment): string | undefined => a.fileId ?? a._unmappedProperties_?.fileId;

/** An attachment that shows an uploaded file (Rocket.Chat's sendFileMessage writes both). */
const isFileAttachment = (a: Attachment) => Boolean(fileIdOf(a)) || /\/file-upload\//.test(a.title?.link ?? '');

/**
 * The files an agent sent: one per attachment (its file id), from the message's files, which also
 * list the thumbnails Rocket.Chat makes of images (not sent). Where the engine hands over neither
 * (newerApis.ts `messageFiles`), only the first file (`file`) goes: the others are counted so that
 * the agent is told.
 */
export function filesOf(message: IMessage): { files: IMessageFile[]; leftOut: number } {
	const attachments = (message.attachments ?? []) as Attachment[];
	const ids = new Set(attachments.map(fileIdOf).filter(Boolean));
	const all = messageFiles(message);
	if (ids.size && all?.length) return { files: all.filter((f) => ids.has(f._id)), leftOut: 0 };
	const files = message.file ? [message.file] : [];
	// Counted whether or not the message's list of files came: without file ids it cannot be matched either.
	const leftOut = Math.max(0, attachments.filter(isFileAttachment).length - files.length);
	return { files, leftOut };
}

/**
 * A message's type (`t`: a user joined, a transfer, an encrypted message...): mapped as `type` by the
 * converter from engine 1.49, under `_unmappedProperties_` before. Rocket.Chat 7.4 and later announce
 * typed messages to apps with IPostSystemMessageSent, earlier ones with IPostMessageSent.
 */
const typeOf = (message: IMessage): unknown =>
	(message as IMessage & { type?: unknown }).type ?? (message as { _unmappedProperties_?: { t?: unknown } })._unmappedProperties_?.t;

/**
 * Whether a message may be an agent's reply to relay: not the contact's (a visitor's message has
 * its token), not a system message (a type), not by the app's user or another app or bot (the window
 * notices, a template sent by the app's bot) unless it is the agent serving the room (Rocket.Chat's
 * bot agents: Livechat_assign_new_conversation_to_bot). The app's posts as an agent (a template) are
 * told apart after this, by ownPosts.ts.
 */
function isAgentReply(message: IMessage, room: ILivechatRoom): boolean {
	const sender = message.sender as IUser | undefined;
	if (!sender || (!message.text?.trim() && !filesOf(message).files.length)) return false;
	if ((message as IMessage & { visitor?: unknown; token?: string }).visitor || (message as { token?: string }).token) return false;
	if (typeOf(message)) return false;
	if ((String(sender.type) === 'app' || String(sender.type) === 'bot') && sender.id !== room.servedBy?.id) return false;
	return sender.username !== room.visitor?.username;
}

/** A Rocket.Chat quote is `[ ](<permalink>?msg=<id>)` before the text (and an attachment with that link). */
const QUOTE = /^\s*\[\s*\]\(([^)\s]+)\)\s*/;

function quoted(message: IMessage): { text: string; quotedId?: string } {
	let text = message.text ?? '';
	let quotedId: string | undefined;
	for (let match = QUOTE.exec(text); match; match = QUOTE.exec(text)) {
		quotedId ??= /[?&]msg=([^&#]+)/.exec(match[1])?.[1];
		text = text.slice(match[0].length);
	}
	if (!quotedId) {
		const link = ((message.attachments ?? []) as Attachment[]).map((a) => a.timestampLink).find(Boolean);
		quotedId = link ? /[?&]msg=([^&#]+)/.exec(link)?.[1] : undefined;
	}
	return { text, quotedId };
}

/** The agent's message as the relay's input, or undefined when it is not one to relay. */
function agentReplyOf(message: IMessage): AgentReply | undefined {
	const contact = claimedContactOf(message.room);
	if (!contact) return undefined;
	const room = message.room as ILivechatRoom;
	if (!isAgentReply(message, room)) return undefined;
	const sender = message.sender;
	const { text, quotedId } = quoted(message);
	const { files, leftOut } = filesOf(message);
	const agent: EngineReplyAgent = { id: sender.id, username: sender.username, name: sender.name, engine: sender };
	const replyRoom: EngineReplyRoom = { id: room.id, contact: { phoneNumberId: contact.phoneNumberId, waId: contact.waId }, engine: room };
	return {
		messageId: message.id,
		room: replyRoom,
		agent,
		postedText: message.text ?? '',
		text,
		quotedId,
		files: files.map((file) => ({ id: file._id, name: file.name, type: file.type })),
		filesLeftOut: leftOut,
		attachmentCaption: ((message.attachments ?? []) as Attachment[]).map((a) => a.description).find(Boolean) ?? '',
	};
}

/**
 * The agents' messages to each contact, in this process, in the order Rocket.Chat announced them.
 * Rocket.Chat does not wait for an app's IPostMessageSent before the next message's
 * (apps/meteor/app/lib/server/functions/sendMessage.ts: `void ...messageEvent('IPostMessageSent', ...)`):
 * a file's upload would let the text sent after it reach WhatsApp first. Entered before any await.
 * A reply waits for the one before it at most ten minutes: several large files take minutes to
 * reach Meta (`transferTimeoutMs`), and a reply that never ends must not hold the contact's next.
 */
const TO_CONTACT = new KeyedQueue(10 * 60 * 1000);

/**
 * Runs `step` after the agents' messages to `contact` that Rocket.Chat announced before it, in
 * this process: an edit or deletion of a reply still on its way to Meta is looked at once the
 * reply was sent and linked (AgentEdits.ts); the conversation-finished message goes after them.
 */
export function afterRepliesTo(contact: { phoneNumberId: string; waId: string }, step: () => Promise<void>): Promise<void> {
	return TO_CONTACT.serial(`${contact.phoneNumberId}:${contact.waId}`, step);
}

/** IPostMessageSent: an agent's message in a WhatsApp contact room goes to the contact. */
export async function relayAgentReply(acc: ReplyAccessors, message: IMessage): Promise<void> {
	const reply = agentReplyOf(message);
	if (!reply) return;
	const { phoneNumberId, waId } = reply.room.contact;
	await TO_CONTACT.serial(`${phoneNumberId}:${waId}`, async () => {
		// Its room's visitor is verified in turn: the token named the contact, its key or age proves it.
		const relay = await replyRelayOf(acc);
		if (!(await contactOf(acc, message.room))) return relay.refuseUnlinked(reply);
		await relay.relay(reply);
	});
}

/**
 * IPostLivechatRoomClosed: the number's conversation-finished message, if the window allows; after
 * the agents' messages to the contact announced before (an answer and its file sent just before the
 * close reach WhatsApp first).
 */
export async function onRoomClosed(acc: ReplyAccessors, room: ILivechatRoom, logger?: ILogger): Promise<void> {
	const contact = await contactOf(acc, room);
	if (!contact) return;
	const { phoneNumberId, waId } = contact;
	await afterRepliesTo({ phoneNumberId, waId }, async () =>
		(await autoMessagesOf({ ...acc, logger })).onRoomClosed({ phoneNumberId, waId, roomId: room.id }),
	);
}

/** IPostLivechatAgentAssigned: the contact's messages so far show as read, per the setting. */
export async function onAgentAssigned(acc: { read: IRead; http: IHttp }, room: ILivechatRoom, logger?: ILogger): Promise<void> {
	const contact = await contactOf(acc, room);
	if (contact)
		await (await readReceiptsOf({ ...acc, logger })).onAgentAssigned({ phoneNumberId: contact.phoneNumberId, waId: contact.waId });
}
