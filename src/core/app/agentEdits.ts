/**
 * An agent's edit or deletion, in Rocket.Chat, of a message the app sent to WhatsApp.
 *
 * WhatsApp keeps the message as it was sent: Meta's Cloud API has no way for a business to edit or
 * delete a message it sent (the v23.0 spec's only messaging operation is `POST
 * /{Phone-Number-ID}/messages`, operationId sendMessage, whose `Message` is one of text, audio,
 * document, image, location, video, sticker, reaction, interactive, template or contacts; no path
 * takes a message id to change or remove it). So nothing is sent to Meta, and whoever edited or
 * deleted it is told in the room, only they see it, that the contact still sees the message as
 * first sent (for an edit: send the correction as a new message). Otherwise they would believe the
 * contact sees the correction.
 *
 * Unless Meta reported the message `failed` and never delivered it (its send's record in the message
 * log, `neverDelivered`): the contact has nothing, so they are told instead that the message never
 * reached the contact, so nothing changed on WhatsApp, and that a new message is what reaches the
 * contact. A send whose outcome is not known yet (queued, sent) is told as sent.
 *
 * Only for a message that reached WhatsApp from its room: linked to its wamid in the message log
 * (replies.ts links an agent's relayed message, sendTemplates.ts the modal's template post). A send
 * Meta refused at once has no wamid, so no link: its sender was told of the refusal then. Never
 * for the contact's own messages (linked too, for quotes), for the app's own updates of a message
 * (its delivery state, roomDelivery.ts, written with the app's user as editor, which fire the same
 * event), for another app or a bot, or outside a verified WhatsApp contact room. Nothing is recorded;
 * a failure is logged, never thrown (the event has nobody to report to). A change made while the
 * message's own send is still under way (before Meta answered it with its wamid, so before the link
 * is written) finds no link and is not told.
 */
import { Translator } from '../i18n/translate';
import { Logger, MessageLog } from './ports';

/** Who edited or deleted the message (the adapter may carry more: handed back unchanged to `notify`). */
export interface ChangeActor {
	id: string;
	username: string;
	/** Rocket.Chat's user type: a person (`user`), an app's user (`app`), a bot (`bot`)... */
	type: string;
}

/** The room the message was in (the adapter may carry more). */
export interface ChangeRoom {
	id: string;
}

/** An edit or deletion of a Rocket.Chat message, as the engine's event gave it. */
export interface MessageChange {
	kind: 'edited' | 'deleted';
	messageId: string;
	room: ChangeRoom;
	/** The message is the contact's (a visitor's: it carries the visitor's token), not one sent to WhatsApp. */
	fromContact: boolean;
	/** Who changed it; absent when the event does not say (a deletion without its context). */
	by?: ChangeActor;
}

export interface EditNoticePorts {
	/** The message's link (every change to tell), then its send's record (only for a change to tell). */
	messages: Pick<MessageLog, 'linkOfMessage' | 'findByWamid'>;
	/** Whether the room is a WhatsApp contact's (its visitor's token verifies), not merely one that looks like it. */
	isContactRoom(room: ChangeRoom): Promise<boolean>;
	/** A notice only `to` sees, in the room. */
	notify(to: ChangeActor, room: ChangeRoom, text: string): Promise<void>;
	/** Texts in the user's language. */
	translatorFor(user: ChangeActor): Promise<Translator>;
	logger?: Logger;
}

/** i18n keys of the notices: the message as WhatsApp keeps it. */
export const EDIT_NOT_SENT = 'reply_edit_not_sent';
export const DELETE_NOT_SENT = 'reply_delete_not_sent';
/** i18n keys of the notices: a message Meta never delivered (`neverDelivered`). */
export const EDIT_FAILED = 'reply_edit_failed_message';
export const DELETE_FAILED = 'reply_delete_failed_message';

/** The statuses that say the contact's WhatsApp received the message. */
const RECEIVED = new Set(['delivered', 'read', 'played']);

/**
 * Whether the statuses recorded for a send say it never reached the contact: Meta reported it
 * `failed`, and never delivered (nor read, nor played). A failure may follow a delivery (Meta promises
 * no order between its webhooks: core/status/ordering.ts); the contact then has the message. A send
 * with no failure (queued, sent: its outcome not known yet) is not one.
 */
export function neverDelivered(statuses: readonly string[] | undefined): boolean {
	return !!statuses?.includes('failed') && !statuses.some((status) => RECEIVED.has(status));
}

/** The notice's i18n key for `kind`, by whether the message never reached the contact. */
export function noticeKey(kind: MessageChange['kind'], failed: boolean): string {
	if (kind === 'edited') return failed ? EDIT_FAILED : EDIT_NOT_SENT;
	return failed ? DELETE_FAILED : DELETE_NOT_SENT;
}

/**
 * Whether `change` may be one to tell, by what the event itself says (no read): a person changed a
 * message that is not the contact's. Most updates are the app's own (delivery state): they stop here.
 */
export function mayConcern(change: MessageChange): boolean {
	return !!change.by && change.by.type === 'user' && !change.fromContact;
}

export class EditNotices {
	constructor(private readonly ports: EditNoticePorts) {}

	/**
	 * Whether `change` is one to tell: a person changed a message of the room that went to WhatsApp.
	 * The cheap checks first: most updates are the app's own (delivery state), most edits are in other rooms.
	 */
	private async concerns(change: MessageChange): Promise<{ by: ChangeActor; wamid: string } | undefined> {
		const { by } = change;
		if (!by || !mayConcern(change)) return undefined;
		const link = await this.ports.messages.linkOfMessage(change.messageId);
		// A link of another room is not this message's send (a link names the room its message was shown in).
		if (!link?.wamid || link.roomId !== change.room.id) return undefined;
		return (await this.ports.isContactRoom(change.room)) ? { by, wamid: link.wamid } : undefined;
	}

	/**
	 * Tells who edited or deleted a message sent to WhatsApp that the contact still sees it as sent,
	 * or, when Meta never delivered it, that it never reached the contact.
	 */
	async onChange(change: MessageChange): Promise<boolean> {
		const { ports } = this;
		let to: ChangeActor | undefined;
		try {
			const concerned = await this.concerns(change);
			if (!concerned) return false;
			to = concerned.by;
			// The send's statuses, read only for a change that is told. A record gone with retention, or one
			// that cannot be read, tells it as sent: the notice still goes.
			const record = await ports.messages.findByWamid(concerned.wamid).catch((error: unknown) => {
				ports.logger?.warn(
					`${change.kind === 'edited' ? 'edit' : 'deletion'} of message ${change.messageId} (room ${change.room.id}): its send's record not read, told as sent: ${error instanceof Error ? error.name : 'error'}`,
				);
				return undefined;
			});
			const failed = neverDelivered(record?.statuses);
			const t = await ports.translatorFor(to);
			await ports.notify(to, change.room, t(noticeKey(change.kind, failed)));
			return true;
		} catch (error) {
			ports.logger?.warn(
				`${change.kind === 'edited' ? 'edit' : 'deletion'} of message ${change.messageId} (room ${change.room.id}): ` +
					// The error's name only: a message may hold a URL, a token or a database address.
					`${to ? 'the notice could not be shown' : 'not checked'}: ${error instanceof Error ? error.name : 'error'}`,
			);
			return false;
		}
	}
}
