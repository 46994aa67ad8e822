/**
 * WhatsApp contacts in omnichannel: a visitor per (connected number, WhatsApp id), whose token is
 * `whatsapp:<phoneNumberId>:<waId>` and username `whatsapp-<phoneNumberId>-<waId>`, and their
 * livechat room.
 */
import { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';
import { IRoom, RoomType } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { formatE164 } from '../../core/phone';

export const contactToken = (phoneNumberId: string, waId: string) => `whatsapp:${phoneNumberId}:${waId}`;
export const contactUsername = (phoneNumberId: string, waId: string) => `whatsapp-${phoneNumberId}-${waId}`;

/**
 * The contact's visitor for this number, created if needed (the one way the app creates visitors).
 *
 * Rocket.Chat's registerGuest, behind createAndReturnVisitor, looks a visitor up by token, then by
 * phone number, and a phone match keeps the *existing* visitor's token: registered with its phone,
 * the contact of a second number would become the first number's visitor (its room, its number).
 * So the visitor is created without a phone, then the phone is set on it by a second call, which
 * finds it by its token first. Each number keeps its own visitor; agents still see the phone.
 */
export async function contactVisitor(read: IRead, modify: IModify, spec: { phoneNumberId: string; waId: string; name?: string; departmentId?: string }): Promise<IVisitor> {
	const token = contactToken(spec.phoneNumberId, spec.waId);
	const existing = await read.getLivechatReader().getLivechatVisitorByToken(token);
	if (existing) return existing;
	const creator = modify.getCreator().getLivechatCreator();
	const created = await creator.createAndReturnVisitor({
		token,
		username: contactUsername(spec.phoneNumberId, spec.waId),
		name: spec.name || formatE164(spec.waId),
		...(spec.departmentId ? { department: spec.departmentId } : {}),
	} as IVisitor);
	if (!created) throw new Error('the visitor could not be created');
	return (await creator.createAndReturnVisitor({ ...created, phone: [{ phoneNumber: formatE164(spec.waId) }] })) ?? created;
}

export interface ContactRoom {
	room: IRoom;
	phoneNumberId: string;
	waId: string;
	visitorLanguage?: string;
}

/** The WhatsApp contact behind a livechat room, if the room is one. */
export function contactOf(room: IRoom | undefined): ContactRoom | undefined {
	if (!room || room.type !== RoomType.LIVE_CHAT) return undefined;
	const visitor = (room as ILivechatRoom).visitor;
	const match = /^whatsapp:(\d+):(\d+)$/.exec(visitor?.token ?? '');
	if (!match) return undefined;
	const language = (visitor?.livechatData as Record<string, unknown> | undefined)?.language;
	return { room, phoneNumberId: match[1], waId: match[2], visitorLanguage: typeof language === 'string' ? language : undefined };
}

/** The contact's open room, or a new one served by `agent` (a closed room is never reopened). */
export async function contactRoom(read: IRead, modify: IModify, spec: { phoneNumberId: string; waId: string; agent: IUser; departmentId?: string; appId: string }): Promise<IRoom> {
	const visitor = await contactVisitor(read, modify, { phoneNumberId: spec.phoneNumberId, waId: spec.waId, departmentId: spec.departmentId });
	const open = (await read.getLivechatReader().getLivechatRooms(visitor)).find((r) => r.isOpen);
	if (open) return open;
	return modify.getCreator().getLivechatCreator().createRoom(visitor, spec.agent, { source: { type: 'app', id: spec.appId, label: 'WhatsApp' } as never });
}
