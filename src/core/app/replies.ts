/**
 * An agent's message in a WhatsApp contact room goes to the contact, while the 24-hour window is
 * open: text (Rocket.Chat markdown as WhatsApp formatting), files (uploaded to the Graph media
 * endpoint and sent as image, video, audio or document by type), quoted replies (WhatsApp's
 * `context`), with the agent's name first when the setting asks for it. Once the window is closed
 * nothing is sent to Meta and the agent is told at once that a template is needed. Each send is
 * recorded through the send log (Regular-Message).
 */
import { PacerDeadlineError } from '../bulk/pacer';
import { AppError, mayHaveBeenSent, NetworkError, SendNotRecorded } from '../errors';
import { GraphClient } from '../graph/GraphClient';
import { Translator } from '../i18n/translate';
import { humanSize, outboundKind, stickerFit } from '../media/media';
import { ConnectedNumber, NumberCredentials } from '../numbers/ConnectedNumber';
import { toWhatsAppText } from '../outbound/markdown';
import { Contact, contactKey } from './conversations';
import { explainError, unansweredKey } from './explain';
import { FreeFormSender } from './freeForm';
import { Clock, Logger, MessageLog, Numbers } from './ports';
import { SettingsReader } from './settings';
import { isWindowOpen, reachOf, Windows } from './window';

/** The agent who wrote (the adapter may carry more: the services hand it back unchanged). */
export interface ReplyAgent {
	id: string;
	username: string;
	name?: string;
}

/** The contact room the agent wrote in (the adapter may carry more). */
export interface ReplyRoom {
	id: string;
	contact: Contact;
}

export interface ReplyFile {
	id: string;
	name: string;
	type?: string;
}

/** An agent's message, as the engine's event gave it. */
export interface AgentReply {
	/** The Rocket.Chat message's id. */
	messageId?: string;
	room: ReplyRoom;
	agent: ReplyAgent;
	/** The message's text as posted (the app's own posts are known by it). */
	postedText: string;
	/** The text without Rocket.Chat's quote links. */
	text: string;
	/** The Rocket.Chat message the agent quoted. */
	quotedId?: string;
	files: ReplyFile[];
	/** Files of the message the engine did not hand over (only the first, where the message came without its list of files): the agent is told. */
	filesLeftOut?: number;
	/** The description the agent gave a file. */
	attachmentCaption: string;
}

/** The agents' files, in Rocket.Chat's uploads. */
export interface ReplyFiles {
	/** The upload's type and size. */
	info(fileId: string): Promise<{ type?: string; size?: number } | undefined>;
	bytes(fileId: string): Promise<Uint8Array>;
	/** The file of a Rocket.Chat message, if it has one. */
	fileOfMessage(messageId: string): Promise<string | undefined>;
}

export interface ReplyPorts {
	/** Consumes the record of a post the app made as the agent (adapters/persistence/ownPosts.ts). */
	ownPosts: { consume(post: { id?: string; roomId: string; senderId: string; text: string }): Promise<boolean> };
	numbers: Pick<Numbers, 'get'>;
	windows: Pick<Windows, 'get'>;
	messages: Pick<MessageLog, 'link' | 'linkOfMessage' | 'linkOfUpload'>;
	files: ReplyFiles;
	sender: Pick<FreeFormSender, 'send' | 'text'>;
	graph: (number: NumberCredentials) => Pick<GraphClient, 'uploadMedia'>;
	/** Whether the Graph API base URL setting may be used (else nothing is sent). */
	graphReady: () => Promise<boolean>;
	/** A notice only the agent sees, in the room. */
	notify(to: { agent: ReplyAgent; room: ReplyRoom }, text: string): Promise<void>;
	/** The agent's message shown as not sent, for everyone in the room (RoomDelivery.notSent). */
	notSent?(message: { roomId: string; rcMessageId: string }, reason: (t: Translator) => string): Promise<void>;
	/** Texts in the agent's language. */
	translatorFor(agent: ReplyAgent): Promise<Translator>;
	settings: SettingsReader;
	clock: Clock;
	logger?: Logger;
}

interface Sending {
	number: ConnectedNumber;
	to: string;
	roomId: string;
	agent: string;
	replyTo?: string;
	/** The agent's message: the first send of it shows its delivery state there (core/app/roomDelivery.ts). */
	rcMessageId?: string;
}

/** Meta's longest text message body, and media caption (the Cloud API spec: TextMessage.body, MediaObject.caption). */
export const TEXT_MAX = 4096;
export const CAPTION_MAX = 1024;

/**
 * `text` in pieces of at most `max` UTF-16 units (never more characters than Meta counts), each
 * ending at a line break where the piece has one in its second half, else at a space there, else cut
 * (never inside a surrogate pair). Rocket.Chat takes messages of 5,000 characters by default.
 */
export function splitText(text: string, max = TEXT_MAX): string[] {
	const pieces: string[] = [];
	let rest = text;
	while (rest.length > max) {
		let cut = rest.lastIndexOf('\n', max);
		if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
		if (cut < max / 2) cut = /[\uD800-\uDBFF]/.test(rest[max - 1]) ? max - 1 : max;
		pieces.push(rest.slice(0, cut).trimEnd());
		rest = rest.slice(cut).replace(/^[ \n]/, '');
	}
	if (rest) pieces.push(rest);
	return pieces;
}

/** A file of the agent's message that Meta takes, and how it goes. */
interface CheckedFile {
	file: ReplyFile;
	kind: Exclude<ReturnType<typeof outboundKind>, { refused: unknown }>;
}

export class ReplyRelay {
	constructor(private readonly ports: ReplyPorts) {}

	/**
	 * The wamid of a quoted message of `roomId`: linked directly, or through its file (a contact's file
	 * posted alone). A quote is only a permalink (`?msg=<id>`): an agent can quote any message they can
	 * see, another contact's included (another room, perhaps another number). The link records the
	 * room each WhatsApp message was shown in, and a message of another room gives no wamid: the reply
	 * then goes without the quote (the agent's text still reaches the contact) rather than sending this
	 * contact the `context.message_id` of another conversation. A quote of the same contact's earlier,
	 * closed room is another room too, and goes without the quote likewise.
	 */
	private async quotedWamid(messageId: string, roomId: string): Promise<string | undefined> {
		const { messages, files } = this.ports;
		const direct = await messages.linkOfMessage(messageId);
		if (direct) return direct.roomId === roomId ? direct.wamid : undefined;
		const fileId = await files.fileOfMessage(messageId).catch(() => undefined);
		const byFile = fileId ? await messages.linkOfUpload(fileId) : undefined;
		return byFile?.roomId === roomId ? byFile.wamid : undefined;
	}

	/** The way `file` goes to WhatsApp (its kind and type), or why Meta would refuse it; nothing is sent. */
	private async checkFile(file: ReplyFile): Promise<CheckedFile | { file: ReplyFile; refused: AppError }> {
		const upload = await this.ports.files.info(file.id);
		const mimeType = upload?.type || file.type || '';
		const size = Number(upload?.size ?? 0);
		const kind = outboundKind(mimeType, size);
		// A WebP goes only as a sticker, which Meta takes at 512×512 pixels and 100 KB (500 KB animated).
		const fit = !('refused' in kind) && kind.kind === 'sticker' ? stickerFit(await this.ports.files.bytes(file.id)) : undefined;
		if (!('refused' in kind) && (!fit || 'ok' in fit)) return { file, kind };
		const refused = 'refused' in kind ? kind : (fit as Exclude<typeof fit, { ok: true } | undefined>);
		const keys = { type: 'reply_file_refused_type', size: 'reply_file_refused_size', sticker: 'reply_file_refused_sticker' };
		const maxBytes = 'maxBytes' in refused ? refused.maxBytes : undefined;
		return {
			file,
			refused: new AppError({
				code: 'file_refused',
				message: `file ${file.name} (${mimeType}, ${size} bytes) refused`,
				status: 400,
				i18nKey: keys[refused.refused],
				params: { name: file.name, type: mimeType || '?', size: humanSize(size, true), max: humanSize(maxBytes ?? 0) },
			}),
		};
	}

	/**
	 * Uploads and sends a checked file with `caption`; resolves with its wamid and the texts that
	 * must follow it (an audio's or sticker's caption, which they cannot carry, or one longer than
	 * Meta takes; `nameOnly`, the caption being only the agent's name, is not worth a text).
	 */
	private async sendFile(
		sending: Sending,
		checked: CheckedFile,
		caption: string,
		nameOnly: boolean,
	): Promise<{ wamid?: string; after: string[] }> {
		const { files, sender } = this.ports;
		const { file, kind } = checked;
		const bytes = await files.bytes(file.id);
		let id: string;
		try {
			id = await this.ports
				.graph(sending.number)
				.uploadMedia(sending.number.phoneNumberId, { bytes, mimeType: kind.mimeType, filename: file.name });
		} catch (error) {
			// The upload ran out of time, lost its connection, or a server on the way answered it with an
			// error page: no message was sent (unlike a send that did so: `mayHaveBeenSent`).
			if (error instanceof NetworkError && error.timedOut)
				throw new AppError({
					code: 'upload_timed_out',
					message: `upload of ${file.name} timed out`,
					status: 504,
					i18nKey: 'error_upload_timed_out',
					params: { name: file.name },
				});
			if (mayHaveBeenSent(error))
				throw new AppError({
					code: 'upload_failed',
					message: `upload of ${file.name} failed: ${error instanceof Error ? error.message : String(error)}`,
					status: 502,
					i18nKey: 'error_upload_failed',
					params: { name: file.name },
				});
			throw error;
		}
		const withCaption = kind.kind !== 'audio' && kind.kind !== 'sticker' && caption.length <= CAPTION_MAX;
		const media: Record<string, string> = { id };
		if (withCaption && caption) media.caption = caption;
		if (kind.kind === 'document') media.filename = file.name;
		const wamid = await sender.send({
			...sending,
			content: { type: kind.kind, [kind.kind]: media },
			summary: caption || `[${kind.kind}] ${file.name}`,
		});
		return { wamid, after: !withCaption && caption && !nameOnly ? splitText(caption) : [] };
	}

	/**
	 * An agent's message in a room that looks like a contact's but whose visitor the app cannot
	 * verify (opened before a reinstall made a new key, by an instance not yet updated, or a visitor
	 * registered by someone else with a token of that shape): nothing goes to WhatsApp, and the agent,
	 * and whoever reads the room later, are told rather than left writing to no one.
	 */
	async refuseUnlinked(reply: AgentReply): Promise<void> {
		const { room, agent } = reply;
		const t = await this.ports.translatorFor(agent);
		await this.ports.notify({ agent, room }, t('reply_room_unlinked'));
		if (reply.messageId)
			await this.ports.notSent?.({ roomId: room.id, rcMessageId: reply.messageId }, (w) => w('room_reason_unlinked'));
	}

	async relay(reply: AgentReply): Promise<void> {
		const { ports } = this;
		const { room, agent } = reply;
		const notify = (text: string) => ports.notify({ agent, room }, text);
		// Refused before anything went out: the agent's notice, and the message itself marked not sent.
		const refuse = async (notice: string, reason: (t: Translator) => string) => {
			await notify(notice);
			if (reply.messageId) await ports.notSent?.({ roomId: room.id, rcMessageId: reply.messageId }, reason);
		};
		// The template the app just posted as this agent was sent already: not again (before the window
		// check, as the template is what the agent sends when the window is closed).
		if (
			reply.postedText &&
			(await ports.ownPosts.consume({ id: reply.messageId, roomId: room.id, senderId: agent.id, text: reply.postedText }))
		)
			return;
		const t = await ports.translatorFor(agent);
		const number = await ports.numbers.get(room.contact.phoneNumberId);
		if (!number) return refuse(t('reply_number_gone'), (w) => w('room_reason_number_gone'));

		const window = await ports.windows.get(contactKey(room.contact.phoneNumberId, room.contact.waId));
		// The contact changed their number: the old one may be someone else's by now.
		const movedTo = window?.movedTo?.waId;
		if (movedTo)
			return refuse(t('reply_number_changed', { number: movedTo }), (w) => w('room_reason_number_changed', { number: movedTo }));
		if (!isWindowOpen(window?.at, ports.clock.now())) return refuse(t('reply_window_closed'), (w) => w('room_reason_window_closed'));

		const replyTo = reply.quotedId ? await this.quotedWamid(reply.quotedId, room.id) : undefined;
		const prefix = (await ports.settings.get('agentNamePrefix')) ? `*${(agent.name || agent.username).replace(/[*_~`]/g, '')}*:\n` : '';
		const { files } = reply;
		const body = toWhatsAppText(reply.text.trim() || (files.length ? reply.attachmentCaption : ''));
		// A bare quote, with nothing of its own, has nothing WhatsApp could show.
		if (!files.length && !body.trim()) return;
		// A refused Graph base URL setting sends nothing: the agent is told why in words.
		if (!(await ports.graphReady()))
			return refuse(t('reply_failed', { reason: t('error_graph_base_url_refused') }), (w) => w('error_graph_base_url_refused'));

		// A contact known by their BSUID whose number Meta named: to the number (core/app/window.ts reachOf).
		const to = await reachOf(ports.windows, room.contact, window, ports.clock.now());
		const sending: Sending = { number, to, roomId: room.id, agent: agent.username, replyTo };
		// The message's state is its first send's (the one linked to it), so only that send names it.
		const first: Sending = { ...sending, ...(reply.messageId ? { rcMessageId: reply.messageId } : {}) };
		let wamid: string | undefined;
		// The messages this reply goes out as (files, texts), and how many Meta accepted.
		let parts = 0;
		let accepted = 0;
		const text = async (send: Parameters<FreeFormSender['text']>[0]) => {
			const sent = await ports.sender.text(send);
			accepted++;
			return sent;
		};
		try {
			// Every file is checked before any is sent: the ones Meta would refuse are named, the others
			// go (the text as the first one's caption), rather than some sent and the whole told as failed.
			const checked = await Promise.all(files.map((file) => this.checkFile(file)));
			for (const c of checked) if ('refused' in c) await notify(t('reply_failed', { reason: explainError(c.refused, t).text }));
			const sendable = checked.filter((c): c is CheckedFile => !('refused' in c));
			const refused = checked.filter((c): c is { file: ReplyFile; refused: AppError } => 'refused' in c);
			if (refused.length && !sendable.length && !body) {
				// Nothing of the message can go (each file's reason told above): it is marked not sent, with them.
				if (reply.messageId)
					await ports.notSent?.({ roomId: room.id, rcMessageId: reply.messageId }, (w) =>
						refused.map((c) => explainError(c.refused, w).text).join(' '),
					);
			} else if (sendable.length) {
				parts = sendable.length;
				for (const [i, file] of sendable.entries()) {
					const sent = await this.sendFile(
						i === 0 ? first : sending,
						file,
						i === 0 && body ? `${prefix}${body}` : i === 0 ? prefix.trim() : '',
						i === 0 && !body,
					);
					accepted++;
					wamid ??= sent.wamid;
					parts += sent.after.length;
					for (const piece of sent.after) await text({ ...sending, text: piece, replyTo: undefined });
				}
			} else {
				// No file (or none Meta takes: the text goes alone, and the message shows no delivery state,
				// which would be the text's alone). Longer than Meta takes: in several messages, the first
				// linked to the agent's (and quoting).
				const [head, ...tail] = splitText(`${prefix}${body}`);
				parts = 1 + tail.length;
				wamid = await text({ ...(refused.length ? sending : first), text: head });
				for (const piece of tail) await text({ ...sending, text: piece, replyTo: undefined });
			}
			if (reply.filesLeftOut) await notify(t('reply_files_left_out', { count: reply.filesLeftOut }));
		} catch (error) {
			// No answer from Meta: a send that never started (the number busy past its deadline) was not
			// delivered; one that timed out, lost its connection once made, or got a server's error page
			// that was not Meta's, may have been (`mayHaveBeenSent`), and the agent must not simply send it again.
			const unknown = mayHaveBeenSent(error);
			const reason = unknown || error instanceof PacerDeadlineError ? t(unansweredKey(error, 'agent')) : explainError(error, t).text;
			// The app's own failures are logged (the storage's: its record not written); Meta's and the
			// app's refusals are in the agent's notice.
			if ((!(error instanceof AppError) && !(error instanceof PacerDeadlineError)) || error instanceof SendNotRecorded)
				ports.logger?.error(
					`agent message ${reply.messageId ?? ''} not relayed: ${error instanceof Error ? error.message : String(error)}`,
				);
			// Some went out: sending the whole again would repeat them.
			if (accepted) await notify(t('reply_partly_sent', { sent: accepted, total: parts, reason }));
			else {
				await notify(t(unknown ? 'reply_outcome_unknown' : 'reply_failed', { reason }));
				// Nothing went out (Meta refused it, the number stayed busy, a file's upload failed): the
				// message shows it for the room too, why in words for whoever reads it later. One that may
				// have gone out waits for Meta's statuses.
				const roomReason = (w: Translator) =>
					error instanceof PacerDeadlineError
						? w('room_reason_busy')
						: error instanceof SendNotRecorded
							? w('room_reason_not_recorded')
							: explainError(error, w).text;
				if (!unknown && reply.messageId) await ports.notSent?.({ roomId: room.id, rcMessageId: reply.messageId }, roomReason);
			}
		} finally {
			// What went out is linked even when a later piece failed: the contact's quote of it finds it.
			if (wamid && reply.messageId)
				await ports.messages.link({
					wamid,
					rcMessageId: reply.messageId,
					roomId: room.id,
					at: new Date(ports.clock.now()).toISOString(),
				});
		}
	}
}
