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
 * Only for a message that reached WhatsApp from its room: linked to its wamid in the message log
 * (replies.ts links an agent's relayed message, sendTemplates.ts the modal's template post). Never
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
	messages: Pick<MessageLog, 'linkOfMessage'>;
	/** Whether the room is a WhatsApp contact's (its visitor's token verifies), not merely one that looks like it. */
	isContactRoom(room: ChangeRoom): Promise<boolean>;
	/** A notice only `to` sees, in the room. */
	notify(to: ChangeActor, room: ChangeRoom, text: string): Promise<void>;
	/** Texts in the user's language. */
	translatorFor(user: ChangeActor): Promise<Translator>;
	logger?: Logger;
}

/** i18n keys of the notices. */
export const EDIT_NOT_SENT = 'reply_edit_not_sent';
export const DELETE_NOT_SENT = 'reply_delete_not_sent';

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
	private async concerns(change: MessageChange): Promise<ChangeActor | undefined> {
		const { by } = change;
		if (!by || !mayConcern(change)) return undefined;
		const link = await this.ports.messages.linkOfMessage(change.messageId);
		// A link of another room is not this message's send (a link names the room its message was shown in).
		if (!link?.wamid || link.roomId !== change.room.id) return undefined;
		return (await this.ports.isContactRoom(change.room)) ? by : undefined;
	}

	/** Tells who edited or deleted a message sent to WhatsApp that the contact still sees it as sent. */
	async onChange(change: MessageChange): Promise<boolean> {
		const { ports } = this;
		let to: ChangeActor | undefined;
		try {
			to = await this.concerns(change);
			if (!to) return false;
			const t = await ports.translatorFor(to);
			await ports.notify(to, change.room, t(change.kind === 'edited' ? EDIT_NOT_SENT : DELETE_NOT_SENT));
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
