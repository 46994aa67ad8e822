/**
 * The number's automatic messages: welcome on a new conversation, offline when no agent of the
 * department is available, conversation-finished when the room closes (inside the 24-hour window).
 * A failure is logged for the admin and never blocks the conversation.
 */
import { mayHaveBeenSent } from '../errors';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { isBusinessScopedUserId } from '../phone';
import { Contact, contactKey, Conversations, Room } from './conversations';
import { FreeFormSender } from './freeForm';
import { Clock, Logger, MessageLog, Numbers } from './ports';
import { isWindowOpen, reachOf, Windows } from './window';

/** Marks that the contact got the offline message while their messages wait for an agent. */
export const OFFLINE_SENT = 'offline-sent';

export interface AutoMessagePorts {
	sender: Pick<FreeFormSender, 'text'>;
	marks: Pick<MessageLog, 'hasMark' | 'mark' | 'unmark'>;
	conversations: Pick<Conversations, 'hasAgentOnline'>;
	numbers: Pick<Numbers, 'get'>;
	windows: Pick<Windows, 'get'>;
	clock: Clock;
	logger?: Logger;
}

export interface ContactOfNumber {
	number: ConnectedNumber;
	waId: string;
}

export class AutoMessages {
	constructor(private readonly ports: AutoMessagePorts) {}

	/**
	 * Sends an automatic message; answers whether it went, or may have (a failure is logged, never
	 * thrown): one WhatsApp may have taken is not sent again, the contact must not get it twice.
	 */
	private async trySend(to: ContactOfNumber, text: string | undefined, roomId?: string): Promise<boolean> {
		if (!text?.trim()) return false;
		try {
			// A contact known by their BSUID whose number Meta named: to the number (core/app/window.ts reachOf).
			const contact = { phoneNumberId: to.number.phoneNumberId, waId: to.waId };
			const window = isBusinessScopedUserId(to.waId)
				? await this.ports.windows.get(contactKey(contact.phoneNumberId, to.waId))
				: undefined;
			await this.ports.sender.text({
				number: to.number,
				to: await reachOf(this.ports.windows, contact, window, this.ports.clock.now()),
				text,
				roomId,
			});
			return true;
		} catch (error) {
			// A timeout, a connection lost once made or a server's 5xx page says nothing of Meta: the
			// message may have gone out.
			const outcome = mayHaveBeenSent(error) ? 'may have been sent (no answer from WhatsApp)' : 'not sent';
			this.ports.logger?.warn(
				`automatic message to a contact of ${to.number.displayPhoneNumber} ${outcome}: ${error instanceof Error ? error.name : 'error'}`,
			);
			return mayHaveBeenSent(error);
		}
	}

	/**
	 * A contact's message waits because no agent is online (Rocket.Chat refuses the room): the
	 * number's offline message, once until a conversation starts.
	 */
	async onWaitingForAgent(to: ContactOfNumber): Promise<void> {
		if (!to.number.offlineMessage?.trim()) return;
		const token = contactKey(to.number.phoneNumberId, to.waId);
		if ((await this.ports.marks.hasMark(OFFLINE_SENT, token)) || (await this.movedAway(to))) return;
		// Marked once it went: a send that failed is tried again with the next run of the waiting message.
		if (await this.trySend(to, to.number.offlineMessage)) await this.ports.marks.mark(OFFLINE_SENT, token);
	}

	/**
	 * The contact changed their number from this one (core/app/window.ts `movedTo`): nothing more goes
	 * to it, not even to a message of theirs Meta delivers late.
	 */
	private async movedAway(to: ContactOfNumber): Promise<boolean> {
		return Boolean((await this.ports.windows.get(contactKey(to.number.phoneNumberId, to.waId)))?.movedTo);
	}

	/** The contact's messages reached a room: the next time they wait for an agent, they are told again. */
	async forgetOfflineNotice(to: ContactOfNumber): Promise<void> {
		const token = contactKey(to.number.phoneNumberId, to.waId);
		if (await this.ports.marks.hasMark(OFFLINE_SENT, token)) await this.ports.marks.unmark(OFFLINE_SENT, token);
	}

	/**
	 * A contact's first message opened a new room: welcome, and say so when nobody can answer now
	 * (unless the contact was told while their messages waited for an agent). With "Accept chats with
	 * no agents online" on, Rocket.Chat answers that agents are online whatever they are
	 * (service-status `online`), so no offline message is sent then.
	 */
	async onNewConversation(to: ContactOfNumber & { room: Room; movedAway?: boolean }): Promise<void> {
		const { number, room } = to;
		// A contact who changed their number from this one (read with the window by the caller).
		if (to.movedAway) return;
		await this.trySend(to, number.welcomeMessage, room.id);
		const token = contactKey(number.phoneNumberId, to.waId);
		const told = await this.ports.marks.hasMark(OFFLINE_SENT, token);
		if (told) await this.ports.marks.unmark(OFFLINE_SENT, token);
		// The room's own department: none when it opened without one (the number's may be gone).
		if (number.offlineMessage && !told && !(await this.ports.conversations.hasAgentOnline(room.departmentId))) {
			await this.trySend(to, number.offlineMessage, room.id);
		}
	}

	/** A WhatsApp conversation was closed: the number's conversation-finished message, if the window allows. */
	async onRoomClosed(closed: Contact & { roomId: string }): Promise<void> {
		const number = await this.ports.numbers.get(closed.phoneNumberId);
		if (!number?.conversationFinishedMessage) return;
		const window = await this.ports.windows.get(contactKey(closed.phoneNumberId, closed.waId));
		// Nothing goes to a number the contact changed from (it may be someone else's by now).
		if (window?.movedTo || !isWindowOpen(window?.at, this.ports.clock.now())) return;
		await this.trySend({ number, waId: closed.waId }, number.conversationFinishedMessage, closed.roomId);
	}
}
