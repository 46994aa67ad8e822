/**
 * An agent's message in a WhatsApp contact room goes to the contact, while the 24-hour window is
 * open: text (Rocket.Chat markdown as WhatsApp formatting), files (uploaded to the Graph media
 * endpoint and sent as image, video, audio or document by type), quoted replies (WhatsApp's
 * `context`), with the agent's name first when the setting asks for it. Once the window is closed
 * nothing is sent to Meta and the agent is told at once that a template is needed. Each send is
 * recorded for the status pipeline (Regular-Message).
 */
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';
import { IMessage, IMessageFile } from '@rocket.chat/apps-engine/definition/messages';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { AppError, GraphApiError } from '../../core/errors';
import { humanSize, outboundKind } from '../../core/media/media';
import { ConnectedNumber } from '../../core/numbers/ConnectedNumber';
import { toWhatsAppText } from '../../core/outbound/markdown';
import { explainSendError } from '../../core/templates/catalog';
import { Translator } from '../../core/i18n/translate';
import { lastInbound, WINDOW_MS } from '../../adapters/persistence/WindowStore';
import { appSettings, graphBaseUrl, graphFactory, notifyUser, userTranslator } from '../../adapters/factory';
import { MessageStore } from '../../adapters/persistence/MessageStore';
import { NumberStore } from '../../adapters/persistence/NumberStore';
import { contactOf, contactToken } from '../../adapters/rocketchat/conversations';
import { consumeOwnPost } from '../../adapters/persistence/ownPosts';
import { SendAccessors, sendFreeForm, SendMeta, sendText } from '../../outbound/sendText';

export type ReplyAccessors = SendAccessors;

type Attachment = { description?: string; message_link?: string; fileId?: string };

/**
 * The files an agent sent: one per attachment (`fileId`). `files` also lists the thumbnails
 * Rocket.Chat makes of images, which are not sent; without attachment ids, the message's `file`.
 */
function filesOf(message: IMessage): IMessageFile[] {
	const ids = new Set(((message.attachments ?? []) as Attachment[]).map((a) => a.fileId).filter(Boolean));
	if (ids.size && message.files?.length) return message.files.filter((f) => ids.has(f._id));
	return message.file ? [message.file] : [];
}

/**
 * Whether a message may be an agent's reply to relay: not the contact's (a visitor's message has
 * its token), not by the app's user or a bot (the window notices, a template sent by the bot).
 * The app's posts as an agent (a template) are told apart after this, by ownPosts.ts.
 */
function isAgentReply(message: IMessage, room: ILivechatRoom): boolean {
	const sender = message.sender as IUser | undefined;
	if (!sender || (!message.text?.trim() && !filesOf(message).length)) return false;
	if ((message as IMessage & { visitor?: unknown; token?: string }).visitor || (message as { token?: string }).token) return false;
	if (String(sender.type) === 'app' || String(sender.type) === 'bot') return false;
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
		const link = ((message.attachments ?? []) as Attachment[]).map((a) => a.message_link).find(Boolean);
		quotedId = link ? /[?&]msg=([^&#]+)/.exec(link)?.[1] : undefined;
	}
	return { text, quotedId };
}

/**
 * The wamid of a quoted message of `roomId`: linked directly, or through its file (a contact's file
 * posted alone). A quote is only a permalink (`?msg=<id>`): an agent can quote any message they can
 * see, another contact's included (another room, perhaps another number). The link records the
 * room each WhatsApp message was shown in, and a message of another room gives no wamid: the reply
 * then goes without the quote (the agent's text still reaches the contact) rather than sending this
 * contact the `context.message_id` of another conversation. A quote of the same contact's earlier,
 * closed room is another room too, and goes without the quote likewise.
 */
async function quotedWamid(acc: ReplyAccessors, store: MessageStore, messageId: string, roomId: string): Promise<string | undefined> {
	const direct = await store.linkOfMessage(messageId);
	if (direct) return direct.roomId === roomId ? direct.wamid : undefined;
	const quoted = await acc.read.getMessageReader().getById(messageId).catch(() => undefined);
	const fileId = quoted?.file?._id ?? quoted?.files?.[0]?._id;
	const byFile = fileId ? await store.linkOfUpload(fileId) : undefined;
	return byFile?.roomId === roomId ? byFile.wamid : undefined;
}

function reasonOf(error: unknown, t: Translator): string {
	if (error instanceof GraphApiError) return t(explainSendError(error.graphCode).key, { code: error.graphCode });
	if (error instanceof AppError) return t(error.i18nKey, error.params);
	return t('error_internal');
}

async function sendFile(acc: ReplyAccessors, number: ConnectedNumber, waId: string, file: IMessageFile, caption: string, meta: SendMeta): Promise<string | undefined> {
	const upload = await acc.read.getUploadReader().getById(file._id);
	const mimeType = upload?.type || file.type;
	const size = Number(upload?.size ?? 0);
	const kind = outboundKind(mimeType, size);
	if ('refused' in kind) {
		throw new AppError({
			code: 'file_refused',
			message: `file ${file.name} (${mimeType}, ${size} bytes) refused`,
			status: 400,
			i18nKey: kind.refused === 'type' ? 'reply_file_refused_type' : 'reply_file_refused_size',
			params: { name: file.name, type: mimeType || '?', size: humanSize(size, true), max: humanSize(kind.maxBytes ?? 0) },
		});
	}
	const bytes = await acc.read.getUploadReader().getBufferById(file._id);
	const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
	const id = await graph.uploadMedia(number.phoneNumberId, { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), mimeType: kind.mimeType, filename: file.name });
	// Audio and stickers carry no caption: it follows as a text.
	const withCaption = kind.kind !== 'audio' && kind.kind !== 'sticker';
	const media: Record<string, string> = { id };
	if (withCaption && caption) media.caption = caption;
	if (kind.kind === 'document') media.filename = file.name;
	const wamid = await sendFreeForm(acc, number, waId, { type: kind.kind, [kind.kind]: media }, caption || `[${kind.kind}] ${file.name}`, meta);
	if (!withCaption && caption) await sendText(acc, number, waId, caption, { ...meta, replyTo: undefined });
	return wamid;
}

export async function relayAgentReply(acc: ReplyAccessors, message: IMessage): Promise<void> {
	const contact = contactOf(message.room);
	if (!contact) return;
	const room = message.room as ILivechatRoom;
	if (!isAgentReply(message, room)) return;
	const agent = message.sender;
	// The template the app just posted as this agent was sent already: not again (before the window
	// check, as the template is what the agent sends when the window is closed).
	if (message.text && (await consumeOwnPost(acc.read.getPersistenceReader(), acc.persistence, { id: message.id, roomId: room.id, senderId: agent.id, text: message.text }))) return;
	const t = await userTranslator(acc.read, agent);
	const number = await new NumberStore(acc.read.getPersistenceReader()).get(contact.phoneNumberId);
	if (!number) return notifyUser(acc.read, acc.modify, agent, room, t('reply_number_gone'));

	const last = await lastInbound(acc.read, contactToken(contact.phoneNumberId, contact.waId));
	if (last === undefined || Date.now() - last > WINDOW_MS) {
		return notifyUser(acc.read, acc.modify, agent, room, t('reply_window_closed'));
	}

	const store = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	const { text, quotedId } = quoted(message);
	const replyTo = quotedId ? await quotedWamid(acc, store, quotedId, room.id) : undefined;
	const prefix = (await appSettings(acc.read).get('agentNamePrefix')) ? `*${(agent.name || agent.username).replace(/[*_~`]/g, '')}*:\n` : '';
	const files = filesOf(message);
	const attachmentCaption = ((message.attachments ?? []) as Attachment[]).map((a) => a.description).find(Boolean) ?? '';
	const body = toWhatsAppText(text.trim() || (files.length ? attachmentCaption : ''));
	const meta: SendMeta = { roomId: room.id, agent: agent.username, replyTo };
	// A bare quote, with nothing of its own, has nothing WhatsApp could show.
	if (!files.length && !body.trim()) return;
	// A refused Graph base URL setting sends nothing: the agent is told why in words.
	if (!(await graphBaseUrl(acc.read)).ok) return notifyUser(acc.read, acc.modify, agent, room, t('reply_failed', { reason: t('error_graph_base_url_refused') }));

	try {
		let wamid: string | undefined;
		if (files.length) {
			for (const [i, file] of files.entries()) {
				const sent = await sendFile(acc, number, contact.waId, file, i === 0 && body ? `${prefix}${body}` : i === 0 ? prefix.trim() : '', meta);
				wamid ??= sent;
			}
		} else {
			wamid = await sendText(acc, number, contact.waId, `${prefix}${body}`, meta);
		}
		if (wamid && message.id) await store.link({ wamid, rcMessageId: message.id, roomId: room.id, at: new Date().toISOString() });
	} catch (error) {
		if (!(error instanceof AppError)) acc.logger?.error(`agent message ${message.id ?? ''} not relayed: ${error instanceof Error ? error.message : String(error)}`);
		await notifyUser(acc.read, acc.modify, agent, room, t('reply_failed', { reason: reasonOf(error, t) }));
	}
}
