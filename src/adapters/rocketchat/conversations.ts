/**
 * WhatsApp contacts in omnichannel (core/app/conversations.ts) over Rocket.Chat's livechat: a
 * visitor per (connected number, WhatsApp id), whose token is `whatsapp:<phoneNumberId>:<waId>` and
 * username `whatsapp-<phoneNumberId>-<waId>`, and their livechat room. The one code path that
 * creates the contacts' visitors and rooms, for a contact's message and an agent's template alike.
 */
import { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';
import { IRoom, RoomType } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import {
	Agent,
	Contact,
	contactOfToken,
	contactToken,
	contactUsername,
	Conversations,
	InvalidDepartment,
	NoAgentOnline,
	Room,
	Visitor,
} from '../../core/app/conversations';
import { formatE164 } from '../../core/phone';

export { contactToken, contactUsername };

/** The engine's visitor, room and user behind the core's views of them. */
interface EngineVisitor extends Visitor {
	engine: IVisitor;
}
interface EngineRoom extends Room {
	engine: ILivechatRoom;
}
interface EngineAgent extends Agent {
	engine: IUser;
}

const visitorOf = (visitor: IVisitor): EngineVisitor => ({
	id: visitor.id,
	token: visitor.token,
	department: visitor.department,
	engine: visitor,
});
const roomOf = (room: ILivechatRoom): EngineRoom => ({
	id: room.id,
	servedBy: room.servedBy?.username,
	departmentId: room.department?.id,
	engine: room,
});
const agentOf = (user: IUser): EngineAgent => ({
	username: user.username,
	roles: user.roles ?? [],
	enabled: user.isEnabled !== false,
	status: String(user.status),
	engine: user,
});
/** The engine's visitor behind one the conversations gave. */
export const engineVisitor = (visitor: Visitor): IVisitor => (visitor as EngineVisitor).engine;
/** The engine's room behind one the conversations gave. */
export const engineRoom = (room: Room): ILivechatRoom => (room as EngineRoom).engine;

/** A Meteor.Error of Rocket.Chat's with this code, as it reaches the app through the bridge. */
function isMeteorError(error: unknown, code: string): boolean {
	const text = error instanceof Error ? error.message : typeof error === 'object' && error ? JSON.stringify(error) : String(error);
	return text.includes(code);
}

/** QueueManager.requestRoom's refusal: `Meteor.Error('no-agent-online', 'Sorry, no online agents')`. */
const isNoAgentOnline = (error: unknown) => isMeteorError(error, 'no-agent-online');

/** registerGuest's refusal of a department that does not exist (`error-invalid-department`). */
async function orInvalidDepartment<T>(call: () => Promise<T>): Promise<T> {
	try {
		return await call();
	} catch (error) {
		if (isMeteorError(error, 'error-invalid-department')) throw new InvalidDepartment();
		throw error;
	}
}

export class RocketChatConversations implements Conversations {
	constructor(private readonly acc: { read: IRead; modify: IModify; appId: string }) {}

	/**
	 * The contact's visitor for this number, created if needed (the one way the app creates visitors).
	 *
	 * Rocket.Chat's registerGuest, behind createAndReturnVisitor, looks a visitor up by token, then by
	 * phone number, and a phone match keeps the *existing* visitor's token: registered with its phone,
	 * the contact of a second number would become the first number's visitor (its room, its number).
	 * So the visitor is created without a phone, then the phone is set on it by a second call, which
	 * finds it by its token first. Each number keeps its own visitor; agents still see the phone.
	 */
	async visitor(spec: Contact & { name?: string; departmentId?: string }): Promise<Visitor> {
		const token = contactToken(spec.phoneNumberId, spec.waId);
		const existing = await this.acc.read.getLivechatReader().getLivechatVisitorByToken(token);
		if (existing) return visitorOf(existing);
		const creator = this.acc.modify.getCreator().getLivechatCreator();
		const created = await orInvalidDepartment(() =>
			creator.createAndReturnVisitor({
				token,
				username: contactUsername(spec.phoneNumberId, spec.waId),
				name: spec.name || formatE164(spec.waId),
				...(spec.departmentId ? { department: spec.departmentId } : {}),
			} as IVisitor),
		);
		if (!created) throw new Error('the visitor could not be created');
		return visitorOf(
			(await creator.createAndReturnVisitor({ ...created, phone: [{ phoneNumber: formatE164(spec.waId) }] })) ?? created,
		);
	}

	async moveVisitor(visitor: Visitor, department: string): Promise<Visitor> {
		const moved = await orInvalidDepartment(() =>
			this.acc.modify
				.getCreator()
				.getLivechatCreator()
				.createAndReturnVisitor({ ...engineVisitor(visitor), department }),
		);
		return moved ? visitorOf(moved) : visitor;
	}

	async openRoom(visitor: Visitor): Promise<Room | undefined> {
		const open = (await this.acc.read.getLivechatReader().getLivechatRooms(engineVisitor(visitor))).find((r) => r.isOpen);
		return open ? roomOf(open) : undefined;
	}

	async openRoomOfToken(token: string): Promise<Room | undefined> {
		const visitor = await this.acc.read.getLivechatReader().getLivechatVisitorByToken(token);
		return visitor ? this.openRoom(visitorOf(visitor)) : undefined;
	}

	async createRoom(spec: { visitor: Visitor; agent?: Agent }): Promise<Room> {
		const agent = spec.agent ? (spec.agent as EngineAgent).engine : undefined;
		try {
			const room = await this.acc.modify
				.getCreator()
				.getLivechatCreator()
				.createRoom(engineVisitor(spec.visitor), agent as never, {
					source: { type: 'app', id: this.acc.appId, label: 'WhatsApp' } as never,
				});
			return roomOf(room as ILivechatRoom);
		} catch (error) {
			if (isNoAgentOnline(error)) throw new NoAgentOnline();
			throw error;
		}
	}

	async postAsVisitor(post: { visitor: Visitor; room: Room; text: string }): Promise<string | undefined> {
		const creator = this.acc.modify.getCreator();
		const builder = creator
			.startLivechatMessage()
			.setVisitor(engineVisitor(post.visitor))
			.setRoom(engineRoom(post.room))
			.setText(post.text);
		return creator.finish(builder);
	}

	/**
	 * No custom fields (a default Rocket.Chat refuses them): posted by the app's user, it is known as
	 * the app's by its sender when Rocket.Chat announces it (IPostMessageSent), and not relayed.
	 */
	async postAsApp(post: { room: Room; text: string }): Promise<void> {
		const creator = this.acc.modify.getCreator();
		const builder = creator.startMessage().setRoom(engineRoom(post.room)).setText(post.text);
		const appUser = await this.acc.read.getUserReader().getAppUser();
		if (appUser) {
			builder.setSender(appUser);
			await creator.finish(builder);
		} else {
			await this.acc.modify.getNotifier().notifyRoom(engineRoom(post.room), builder.getMessage());
		}
	}

	async isOpen(room: Room): Promise<boolean> {
		const current = (await this.acc.read
			.getRoomReader()
			.getById(room.id)
			.catch(() => undefined)) as ILivechatRoom | undefined;
		return current?.isOpen !== false;
	}

	async departmentId(idOrName: string): Promise<string | undefined> {
		return (await this.acc.read.getLivechatReader().getLivechatDepartmentByIdOrName(idOrName))?.id;
	}

	async agent(username: string): Promise<Agent | undefined> {
		const user = await this.acc.read.getUserReader().getByUsername(username);
		return user ? agentOf(user) : undefined;
	}

	hasAgentOnline(department?: string): Promise<boolean> {
		return this.acc.read.getLivechatReader().isOnlineAsync(department);
	}
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
	const contact = contactOfToken(visitor?.token);
	if (!contact) return undefined;
	const language = (visitor?.livechatData as Record<string, unknown> | undefined)?.language;
	return { room, ...contact, visitorLanguage: typeof language === 'string' ? language : undefined };
}

/** The contact's open room, or a new one served by `agent` (a closed room is never reopened). */
export async function contactRoom(
	read: IRead,
	modify: IModify,
	spec: { phoneNumberId: string; waId: string; agent: IUser; departmentId?: string; appId: string },
): Promise<IRoom> {
	const conversations = new RocketChatConversations({ read, modify, appId: spec.appId });
	const visitor = await conversations.visitor({ phoneNumberId: spec.phoneNumberId, waId: spec.waId, departmentId: spec.departmentId });
	const room = (await conversations.openRoom(visitor)) ?? (await conversations.createRoom({ visitor, agent: agentOf(spec.agent) }));
	return engineRoom(room);
}
