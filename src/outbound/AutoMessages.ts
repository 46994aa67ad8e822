/**
 * The number's automatic messages: welcome on a new conversation, offline when no agent of the
 * department is available, conversation-finished when the room closes (inside the 24-hour window).
 * A failure is logged for the admin and never blocks the conversation.
 */
import { ILogger, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';

import { ConnectedNumber } from '../core/numbers/ConnectedNumber';
import { lastInbound, WINDOW_MS } from '../adapters/persistence/WindowStore';
import { MessageStore } from '../adapters/persistence/MessageStore';
import { NumberStore } from '../adapters/persistence/NumberStore';
import { contactOf, contactToken } from '../adapters/rocketchat/conversations';
import { SendAccessors, sendText } from './sendText';

/** Sends an automatic message; answers whether it went (a failure is logged, never thrown). */
async function trySend(acc: SendAccessors, number: ConnectedNumber, waId: string, text: string | undefined, roomId: string | undefined, logger?: ILogger): Promise<boolean> {
	if (!text?.trim()) return false;
	try {
		await sendText(acc, number, waId, text, { roomId });
		return true;
	} catch (error) {
		logger?.warn(`automatic message to a contact of ${number.displayPhoneNumber} not sent: ${error instanceof Error ? error.name : 'error'}`);
		return false;
	}
}

/** Marks that the contact got the offline message while their messages wait for an agent. */
const OFFLINE_SENT = 'offline-sent';

/**
 * A contact's message waits because no agent is online (Rocket.Chat refuses the room): the
 * number's offline message, once until a conversation starts.
 */
export async function onWaitingForAgent(acc: SendAccessors, number: ConnectedNumber, waId: string, logger?: ILogger): Promise<void> {
	if (!number.offlineMessage?.trim()) return;
	const marks = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	const token = contactToken(number.phoneNumberId, waId);
	if (await marks.hasMark(OFFLINE_SENT, token)) return;
	// Marked once it went: a send that failed is tried again with the next run of the waiting message.
	if (await trySend(acc, number, waId, number.offlineMessage, undefined, logger)) await marks.mark(OFFLINE_SENT, token);
}

/** The contact's messages reached a room: the next time they wait for an agent, they are told again. */
export async function forgetOfflineNotice(read: IRead, persistence: IPersistence, number: ConnectedNumber, waId: string): Promise<void> {
	const marks = new MessageStore(read.getPersistenceReader(), persistence);
	const token = contactToken(number.phoneNumberId, waId);
	if (await marks.hasMark(OFFLINE_SENT, token)) await marks.unmark(OFFLINE_SENT, token);
}

/**
 * A contact's first message opened a new room: welcome, and say so when nobody can answer now
 * (unless the contact was told while their messages waited for an agent). With "Accept chats with
 * no agents online" on, Rocket.Chat answers that agents are online whatever they are
 * (service-status `online`), so no offline message is sent then.
 */
export async function onNewConversation(acc: SendAccessors, number: ConnectedNumber, waId: string, room: ILivechatRoom, logger?: ILogger): Promise<void> {
	await trySend(acc, number, waId, number.welcomeMessage, room.id, logger);
	const marks = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	const token = contactToken(number.phoneNumberId, waId);
	const told = await marks.hasMark(OFFLINE_SENT, token);
	if (told) await marks.unmark(OFFLINE_SENT, token);
	const department = room.department?.id ?? number.departmentId;
	if (number.offlineMessage && !told && !(await acc.read.getLivechatReader().isOnlineAsync(department))) {
		await trySend(acc, number, waId, number.offlineMessage, room.id, logger);
	}
}

/** A WhatsApp conversation was closed: the number's conversation-finished message, if the window allows. */
export async function onRoomClosed(acc: SendAccessors, room: ILivechatRoom, logger?: ILogger): Promise<void> {
	const contact = contactOf(room);
	if (!contact) return;
	const number = await new NumberStore(acc.read.getPersistenceReader()).get(contact.phoneNumberId);
	if (!number?.conversationFinishedMessage) return;
	const last = await lastInbound(acc.read, contactToken(contact.phoneNumberId, contact.waId));
	if (last === undefined || Date.now() - last > WINDOW_MS) return;
	await trySend(acc, number, contact.waId, number.conversationFinishedMessage, room.id, logger);
}
