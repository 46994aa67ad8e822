/**
 * Inbound WhatsApp messages into omnichannel: one visitor per (connected number, WhatsApp id), the
 * contact's open room or a new one routed to the number's department, the message as the visitor,
 * de-duplicated by wamid (Meta retries), and the contact's 24-hour window opened.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { WaitingForAgent } from '../core/app/errors';
import { describedText, describeInbound } from '../core/inbound/describe';
import { InboundMessageEvent } from '../core/status/webhook';
import { appSettings, graphFactory, siteUrl, workspaceTranslator } from '../adapters/factory';
import { ConnectedNumber } from '../core/numbers/ConnectedNumber';
import { MessageStore } from '../adapters/persistence/MessageStore';
import { NumberStore } from '../adapters/persistence/NumberStore';
import { forgetOfflineNotice, onNewConversation, onWaitingForAgent } from '../outbound/AutoMessages';
import { MediaOutcome, postInboundMedia } from '../adapters/rocketchat/inboundMedia';
import { readWindow, recordInbound } from '../adapters/persistence/WindowStore';
import { ensureWindowNotice } from '../entry/jobs/windowNotice';
import { contactOf, contactToken, contactVisitor } from '../adapters/rocketchat/conversations';


export interface InboundAccessors {
	read: IRead;
	modify: IModify;
	persistence: IPersistence;
	http?: IHttp;
	appId: string;
	logger?: ILogger;
	/** The last attempt at this message: a file Meta could not give now is announced, not retried. */
	finalAttempt?: boolean;
}

/**
 * Where a new conversation goes: within "Route replies to a template for" hours after a
 * templateMessage with targetAgent / targetDepartment, to that agent when available, else to that
 * department, else to the number's department; otherwise to the number's department.
 *
 * Rocket.Chat never refuses a requested agent who cannot take the chat: its routing silently gives
 * the room to the next agent of the visitor's department (RoutingManager.delegateInquiry). So the
 * app asks for the agent only when it sees a livechat agent, enabled and not offline, and always
 * sets the visitor's department to the fallback first: an agent present but with omnichannel
 * availability turned off (which apps cannot see) is then replaced within the fallback department.
 */
async function routingFor(acc: InboundAccessors, number: ConnectedNumber, waId: string): Promise<{ agent?: IUser; department?: string }> {
	const send = await new MessageStore(acc.read.getPersistenceReader()).latestRouting(number.phoneNumberId, waId);
	const hours = await appSettings(acc.read).get('templateRoutingHours');
	if (!send || Date.now() - Date.parse(send.sentAt) > hours * 3600000) return { department: number.departmentId };
	let department = number.departmentId;
	if (send.targetDepartment) {
		const found = await acc.read.getLivechatReader().getLivechatDepartmentByIdOrName(send.targetDepartment).catch(() => undefined);
		if (found) department = found.id;
	}
	if (send.targetAgent) {
		const agent = await acc.read.getUserReader().getByUsername(send.targetAgent).catch(() => undefined);
		if (agent && canTakeChats(agent)) return { agent, department };
	}
	return { department };
}

/** What apps can see of an agent's availability: the livechat-agent role, enabled, present. */
function canTakeChats(user: IUser): boolean {
	return (user.roles ?? []).includes('livechat-agent') && user.isEnabled !== false && String(user.status) !== 'offline';
}

export { WaitingForAgent };

/** QueueManager.requestRoom's refusal: `Meteor.Error('no-agent-online', 'Sorry, no online agents')`. */
function isNoAgentOnline(error: unknown): boolean {
	const text = error instanceof Error ? error.message : typeof error === 'object' && error ? JSON.stringify(error) : String(error);
	return text.includes('no-agent-online');
}

/** `[ ](link) ` before a text: Rocket.Chat shows the linked message as a quote (its own quote format). */
async function quotePrefix(acc: InboundAccessors, replyTo: string | undefined, type: string, t: (key: string) => string): Promise<string> {
	if (!replyTo) return '';
	const link = await new MessageStore(acc.read.getPersistenceReader()).linkOfWamid(replyTo);
	// Buttons and reactions say what they answer; a quoted message the app never saw is only mentioned.
	if (!link?.rcMessageId) return ['button', 'interactive', 'reaction'].includes(type) ? '' : `${t('inbound_reply_unknown')}\n`;
	return `[ ](${await siteUrl(acc.read)}/live/${link.roomId}?msg=${link.rcMessageId}) `;
}

/** Blue ticks on the contact's phone, when the setting asks for it and an agent has the room. */
export async function markRead(acc: { read: IRead; http: IHttp }, number: ConnectedNumber, wamid: string, logger?: ILogger): Promise<void> {
	if (!(await appSettings(acc.read).get('markRead'))) return;
	try {
		await (await graphFactory(acc.read, acc.http))(number.accessToken).markRead(number.phoneNumberId, wamid);
	} catch (error) {
		logger?.warn(`read receipt for ${wamid} not sent: ${error instanceof Error ? error.message : String(error)}`);
	}
}

export async function handleInbound(acc: InboundAccessors, event: InboundMessageEvent): Promise<void> {
	const messages = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	if (await messages.isSeen(event.wamid)) return;
	const number = await new NumberStore(acc.read.getPersistenceReader()).get(event.phoneNumberId);
	if (!number) return;

	const waId = event.waId || event.from;
	const token = contactToken(number.phoneNumberId, waId);
	let visitor: IVisitor = await contactVisitor(acc.read, acc.modify, { phoneNumberId: number.phoneNumberId, waId, name: event.contactName, departmentId: number.departmentId });
	let room = (await acc.read.getLivechatReader().getLivechatRooms(visitor)).find((r) => r.isOpen);
	const isNew = !room;
	if (!room) {
		const routing = await routingFor(acc, number, waId);
		if (routing.department && routing.department !== visitor.department) {
			visitor = (await acc.modify.getCreator().getLivechatCreator().createAndReturnVisitor({ ...visitor, department: routing.department })) ?? visitor;
		}
		try {
			room = (await acc.modify
				.getCreator()
				.getLivechatCreator()
				.createRoom(visitor, routing.agent as never, { source: { type: 'app', id: acc.appId, label: 'WhatsApp' } as never })) as ILivechatRoom;
		} catch (error) {
			if (!isNoAgentOnline(error)) throw error;
			if (acc.http) await onWaitingForAgent({ read: acc.read, http: acc.http, persistence: acc.persistence, modify: acc.modify }, number, waId, acc.logger);
			throw new WaitingForAgent();
		}
		// Sent once the contact's message is in the room, even when that takes a retry.
		await messages.mark('welcome', room.id);
	}
	const t = await workspaceTranslator(acc.read);
	const described = describeInbound(event.raw);
	const quote = await quotePrefix(acc, described.replyTo, event.type, t);
	let uploadId: string | undefined;
	let text = describedText(described, t);
	if (described.media && acc.http) {
		// A retry after the file was posted does not post it again.
		const posted = await messages.hasMark('media', event.wamid);
		const outcome: MediaOutcome = posted ? { posted: true } : await postInboundMedia({ read: acc.read, modify: acc.modify, http: acc.http, logger: acc.logger, retryLater: !acc.finalAttempt }, number, visitor, room, described.media, t);
		if (outcome.posted && !posted) await messages.mark('media', event.wamid);
		uploadId = outcome.uploadId;
		// The file is in the room: what remains to say is the rest (an ad, the caption) and the quote.
		text = outcome.posted ? describedText({ pieces: described.pieces.filter((p) => !p.media) }, t) : [text, outcome.notice].filter(Boolean).join('\n');
	}
	let rcMessageId: string | undefined;
	if (text || quote) {
		const builder = acc.modify.getCreator().startLivechatMessage().setVisitor(visitor).setRoom(room).setText(`${quote}${text}`);
		rcMessageId = await acc.modify.getCreator().finish(builder);
	}
	// Marked as seen once it is in the room: a failure before this point is retried, not lost.
	await messages.markSeen(event.wamid);
	// The message an agent may quote: the text, else the file.
	if (rcMessageId || uploadId) await messages.link({ wamid: event.wamid, rcMessageId, uploadId, roomId: room.id, at: new Date().toISOString() });
	const sentAt = Number(event.timestamp) * 1000;
	const window = await recordInbound(acc.read, acc.persistence, token, Number.isFinite(sentAt) && sentAt > 0 ? sentAt : Date.now(), event.wamid);
	await ensureWindowNotice(acc, token, window);
	if (acc.http && room.servedBy) await markRead({ read: acc.read, http: acc.http }, number, event.wamid, acc.logger);
	if (acc.http && (isNew || (await messages.hasMark('welcome', room.id)))) {
		await messages.unmark('welcome', room.id);
		await onNewConversation({ read: acc.read, http: acc.http, persistence: acc.persistence, modify: acc.modify }, number, waId, room, acc.logger);
	} else {
		// The contact's messages are in a room (one an agent opened, say): a later wait tells them again.
		await forgetOfflineNotice(acc.read, acc.persistence, number, waId);
	}
}

/** An agent took the conversation: the contact's messages so far show as read, per the setting. */
export async function onAgentAssigned(acc: { read: IRead; http: IHttp }, room: ILivechatRoom, logger?: ILogger): Promise<void> {
	const contact = contactOf(room);
	if (!contact) return;
	const number = await new NumberStore(acc.read.getPersistenceReader()).get(contact.phoneNumberId);
	const window = await readWindow(acc.read, contactToken(contact.phoneNumberId, contact.waId));
	if (number && window?.wamid) await markRead(acc, number, window.wamid, logger);
}
