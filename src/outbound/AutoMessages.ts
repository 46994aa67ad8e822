/**
 * The number's automatic messages: welcome on a new conversation, offline when no agent of the
 * department is available, conversation-finished when the room closes (inside the 24-hour window).
 * A failure is logged for the admin and never blocks the conversation.
 */
import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';

import { ConnectedNumber } from '../core/numbers/ConnectedNumber';
import { lastInbound, WINDOW_MS } from '../inbound/window';
import { NumberStore } from '../numbers/NumberStore';
import { contactOf, contactToken } from '../templates/contact';
import { SendAccessors, sendText } from './sendText';

async function trySend(acc: SendAccessors, number: ConnectedNumber, waId: string, text: string | undefined, roomId: string, logger?: ILogger): Promise<void> {
	if (!text?.trim()) return;
	try {
		await sendText(acc, number, waId, text, { roomId });
	} catch (error) {
		logger?.warn(`automatic message to a contact of ${number.displayPhoneNumber} not sent: ${error instanceof Error ? error.name : 'error'}`);
	}
}

/** A contact's first message opened a new room: welcome, and say so when nobody can answer now. */
export async function onNewConversation(acc: SendAccessors, number: ConnectedNumber, waId: string, room: ILivechatRoom, logger?: ILogger): Promise<void> {
	await trySend(acc, number, waId, number.welcomeMessage, room.id, logger);
	const department = room.department?.id ?? number.departmentId;
	if (number.offlineMessage && !(await acc.read.getLivechatReader().isOnlineAsync(department))) {
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
