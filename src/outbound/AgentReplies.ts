/**
 * An agent's message in a WhatsApp contact room goes to the contact, while the 24-hour window is
 * open. Once it is closed the message is not sent to Meta and the agent is told at once that a
 * template is needed. Each send is recorded for the status pipeline (Regular-Message).
 */
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';
import { IMessage } from '@rocket.chat/apps-engine/definition/messages';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { GraphApiError } from '../core/errors';
import { toWhatsAppText } from '../core/outbound/markdown';
import { explainSendError } from '../core/templates/catalog';
import { lastInbound, WINDOW_MS } from '../inbound/window';
import { notifyUser, userTranslator } from '../lib/services';
import { NumberStore } from '../numbers/NumberStore';
import { contactOf, contactToken } from '../templates/contact';
import { SendAccessors, sendText } from './sendText';

export type ReplyAccessors = SendAccessors;

/** Whether a message is an agent's reply to relay (not the contact's, not the app's, not already sent). */
function isAgentReply(message: IMessage, room: ILivechatRoom): boolean {
	const sender = message.sender as IUser | undefined;
	if (!sender || !message.text?.trim()) return false;
	if ((message.customFields as Record<string, unknown> | undefined)?.whatsapp) return false;
	if ((message as IMessage & { visitor?: unknown; token?: string }).visitor || (message as { token?: string }).token) return false;
	if (String(sender.type) === 'app' || String(sender.type) === 'bot') return false;
	return sender.username !== room.visitor?.username;
}

export async function relayAgentReply(acc: ReplyAccessors, message: IMessage): Promise<void> {
	const contact = contactOf(message.room);
	if (!contact) return;
	const room = message.room as ILivechatRoom;
	if (!isAgentReply(message, room)) return;
	const agent = message.sender;
	const t = await userTranslator(acc.read, agent);
	const number = await new NumberStore(acc.read.getPersistenceReader()).get(contact.phoneNumberId);
	if (!number) return notifyUser(acc.read, acc.modify, agent, room, t('reply_number_gone'));

	const last = await lastInbound(acc.read, contactToken(contact.phoneNumberId, contact.waId));
	if (last === undefined || Date.now() - last > WINDOW_MS) {
		return notifyUser(acc.read, acc.modify, agent, room, t('reply_window_closed'));
	}

	try {
		await sendText(acc, number, contact.waId, toWhatsAppText(message.text as string), { roomId: room.id, agent: agent.username });
	} catch (error) {
		const reason = error instanceof GraphApiError ? t(explainSendError(error.graphCode).key, { code: error.graphCode }) : t('error_graph_unreachable');
		await notifyUser(acc.read, acc.modify, agent, room, t('reply_failed', { reason }));
	}
}
