/**
 * Inbound WhatsApp messages into omnichannel: one visitor per (connected number, WhatsApp id), the
 * contact's open room or a new one routed to the number's department, the message as the visitor,
 * de-duplicated by wamid (Meta retries), and the contact's 24-hour window opened.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { describedText, describeInbound } from '../core/inbound/describe';
import { formatE164 } from '../core/phone';
import { InboundMessageEvent } from '../core/status/webhook';
import { translator } from '../i18n/translate';
import { setting } from '../lib/services';
import { MessageStore } from '../messages/MessageStore';
import { NumberStore } from '../numbers/NumberStore';
import { SettingId } from '../settings/settings';
import { onNewConversation } from '../outbound/AutoMessages';
import { recordInbound } from './window';
import { contactToken } from '../templates/contact';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const seenRecord = (wamid: string) => misc(`inbound:${wamid}`);

export interface InboundAccessors {
	read: IRead;
	modify: IModify;
	persistence: IPersistence;
	http?: IHttp;
	appId: string;
	logger?: ILogger;
}

/**
 * A new conversation after a templateMessage sent with targetAgent / targetDepartment (within the
 * routing setting's hours) goes to that agent when online, else to that department.
 */
async function routingFor(acc: InboundAccessors, phoneNumberId: string, waId: string): Promise<{ agent?: IUser; department?: string }> {
	const send = await new MessageStore(acc.read.getPersistenceReader()).latestRouting(phoneNumberId, waId);
	const hours = Number(await setting(acc.read, SettingId.TemplateRoutingHours)) || 72;
	if (!send || Date.now() - Date.parse(send.sentAt) > hours * 3600000) return {};
	if (send.targetAgent) {
		const agent = await acc.read.getUserReader().getByUsername(send.targetAgent).catch(() => undefined);
		if (agent && agent.isEnabled !== false && String(agent.status) !== 'offline') return { agent };
	}
	if (send.targetDepartment) {
		const department = await acc.read.getLivechatReader().getLivechatDepartmentByIdOrName(send.targetDepartment).catch(() => undefined);
		if (department) return { department: department.id };
	}
	return {};
}

export async function handleInbound(acc: InboundAccessors, event: InboundMessageEvent): Promise<void> {
	if ((await acc.read.getPersistenceReader().readByAssociation(seenRecord(event.wamid))).length) return;
	const number = await new NumberStore(acc.read.getPersistenceReader()).get(event.phoneNumberId);
	if (!number) return;

	const token = contactToken(number.phoneNumberId, event.from);
	let visitor: IVisitor | undefined = await acc.read.getLivechatReader().getLivechatVisitorByToken(token);
	if (!visitor) {
		visitor = await acc.modify.getCreator().getLivechatCreator().createAndReturnVisitor({
			token,
			username: `whatsapp-${number.phoneNumberId}-${event.from}`,
			name: event.contactName || formatE164(event.from),
			phone: [{ phoneNumber: formatE164(event.from) }],
			...(number.departmentId ? { department: number.departmentId } : {}),
		});
		if (!visitor) throw new Error('the visitor could not be created');
	}
	let room = (await acc.read.getLivechatReader().getLivechatRooms(visitor)).find((r) => r.isOpen);
	const isNew = !room;
	if (!room) {
		const routing = await routingFor(acc, number.phoneNumberId, event.from);
		if (routing.department && routing.department !== visitor.department) {
			visitor = (await acc.modify.getCreator().getLivechatCreator().createAndReturnVisitor({ ...visitor, department: routing.department })) ?? visitor;
		}
		room = (await acc.modify
			.getCreator()
			.getLivechatCreator()
			.createRoom(visitor, routing.agent as never, { source: { type: 'app', id: acc.appId, label: 'WhatsApp' } as never })) as ILivechatRoom;
	}
	const workspace = await acc.read.getEnvironmentReader().getServerSettings().getValueById('Language').catch(() => undefined);
	const t = translator(typeof workspace === 'string' ? workspace : undefined);
	const text = describedText(describeInbound(event.raw), t);
	const builder = acc.modify.getCreator().startLivechatMessage().setVisitor(visitor).setRoom(room).setText(text);
	await acc.modify.getCreator().finish(builder);
	// Marked as seen once it is in the room: a failure before this point is retried, not lost.
	await acc.persistence.createWithAssociation({ wamid: event.wamid, at: Date.now() }, seenRecord(event.wamid));
	const sentAt = Number(event.timestamp) * 1000;
	await recordInbound(acc.persistence, token, Number.isFinite(sentAt) && sentAt > 0 ? sentAt : Date.now());
	if (isNew && acc.http) await onNewConversation({ read: acc.read, http: acc.http, persistence: acc.persistence, modify: acc.modify }, number, event.from, room, acc.logger);
}
