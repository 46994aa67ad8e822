/**
 * WhatsApp contacts in omnichannel: a visitor per (connected number, WhatsApp id), whose token is
 * `whatsapp:<phoneNumberId>:<waId>`, and their livechat room.
 */
import { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';
import { IRoom, RoomType } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { formatE164 } from '../core/phone';

export const contactToken = (phoneNumberId: string, waId: string) => `whatsapp:${phoneNumberId}:${waId}`;

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
	const token = contactToken(spec.phoneNumberId, spec.waId);
	let visitor = await read.getLivechatReader().getLivechatVisitorByToken(token);
	if (!visitor) {
		const created: IVisitor = {
			token,
			username: `whatsapp-${spec.waId}`,
			name: formatE164(spec.waId),
			phone: [{ phoneNumber: formatE164(spec.waId) }],
			...(spec.departmentId ? { department: spec.departmentId } : {}),
		};
		visitor = await modify.getCreator().getLivechatCreator().createAndReturnVisitor(created);
		if (!visitor) throw new Error('the visitor could not be created');
	}
	const open = (await read.getLivechatReader().getLivechatRooms(visitor)).find((r) => r.isOpen);
	if (open) return open;
	return modify.getCreator().getLivechatCreator().createRoom(visitor, spec.agent, { source: { type: 'app', id: spec.appId, label: 'WhatsApp' } as never });
}
