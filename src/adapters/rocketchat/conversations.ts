/**
 * WhatsApp contacts in omnichannel (core/app/conversations.ts) over Rocket.Chat's livechat: a
 * visitor per (connected number, WhatsApp id), whose token is keyed (core/app/visitorTokens.ts) and
 * username `whatsapp-<phoneNumberId>-<waId>`, and their livechat room. The one code path that
 * creates the contacts' visitors and rooms, for a contact's message and an agent's template alike.
 */
import { IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import { IRoom, RoomType } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import {
	Agent,
	Contact,
	contactKey,
	contactUsername,
	Conversations,
	InvalidDepartment,
	NoAgentOnline,
	Room,
	Visitor,
} from '../../core/app/conversations';
import {
	claimedContactOfVisitorToken,
	contactOfLegacyToken,
	contactOfVisitorToken,
	TokenKey,
	visitorToken,
} from '../../core/app/visitorTokens';
import { contactLabel } from '../../core/phone';
import { Records } from '../persistence/records';
import { visitorTokenKey } from '../persistence/VisitorTokenKeys';

export { contactUsername };

/** What the conversations read and write with; `persistence` lets them make the token key at first use. */
export interface ConversationAccessors {
	read: IRead;
	modify: IModify;
	appId: string;
	persistence?: IPersistence;
}

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
	// Closed: no `isOpen` (see isOpen below).
	open: room.isOpen === true,
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

/**
 * A room of a visitor with a token of the versions before (core/app/visitorTokens.ts) is its
 * contact's only when opened before the installation's key was made (no key yet: none was opened
 * after). Rocket.Chat dates both (the room's `ts`; the key's `Date.now()` of the same server).
 */
const openedBeforeKey = (room: IRoom, key: TokenKey | undefined) =>
	!key || (room.createdAt !== undefined && new Date(room.createdAt).getTime() < key.createdAt);

/** The WhatsApp name the app gave a contact's visitor, by the visitor's token. */
const whatsAppNameRecord = (token: string) => [new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `whatsapp-name:${token}`)];

export class RocketChatConversations implements Conversations {
	constructor(private readonly acc: ConversationAccessors) {}

	private tokenKey(): Promise<TokenKey | undefined> {
		return visitorTokenKey({ read: this.acc.read.getPersistenceReader(), persistence: this.acc.persistence });
	}

	/**
	 * The contact's visitor for this number, created if needed (the one way the app creates visitors).
	 *
	 * Without a phone number. Rocket.Chat's registerGuest, behind createAndReturnVisitor and behind
	 * the public `POST /api/v1/livechat/visitor`, looks a visitor up by token, then by phone, and a
	 * phone match answers the *existing* visitor, its token included (livechat/imports/server/rest/
	 * visitor.ts: `findOneEnabledById(visitorId)`): a visitor with the contact's phone would hand its
	 * token to anyone who knows the number. The username names the contact's number instead.
	 */
	async visitor(spec: Contact & { name?: string; nameAt?: number; departmentId?: string }): Promise<Visitor> {
		const key = await this.tokenKey();
		if (!key) throw new Error('the visitor token key could not be made');
		const token = visitorToken(key.key, spec);
		const livechat = this.acc.read.getLivechatReader();
		const creator = this.acc.modify.getCreator().getLivechatCreator();
		const existing = (await livechat.getLivechatVisitorByToken(token)) ?? (await this.legacyConversation(spec, key))?.visitor;
		if (existing) {
			// The contact's WhatsApp name replaces the name the app gave: their number (a template reached
			// them first) or their WhatsApp name before (they changed it); a name an agent gave is kept.
			// Only the token and the name go: registerGuest checks a department it is given, and the
			// visitor's may have been deleted since.
			// A name from a message older than the one that gave the current name (Meta's retry of an old
			// webhook) changes nothing.
			if (!spec.name || existing.name === spec.name) return visitorOf(existing);
			const number = existing.name === contactLabel(spec.waId);
			const kept = number ? undefined : await this.whatsAppName(existing.token);
			if (!number && (!kept || kept.name !== existing.name || (kept.at ?? 0) > (spec.nameAt ?? Infinity))) return visitorOf(existing);
			const renamed = await creator.createAndReturnVisitor({ token: existing.token, name: spec.name } as IVisitor);
			if (!renamed) return visitorOf(existing);
			await this.keepWhatsAppName(existing.token, spec.name, spec.nameAt);
			return visitorOf(renamed);
		}
		const created = await orInvalidDepartment(() =>
			creator.createAndReturnVisitor({
				token,
				username: contactUsername(spec.phoneNumberId, spec.waId),
				name: spec.name || contactLabel(spec.waId),
				...(spec.departmentId ? { department: spec.departmentId } : {}),
			} as IVisitor),
		);
		if (!created) throw new Error('the visitor could not be created');
		if (spec.name) await this.keepWhatsAppName(created.token, spec.name, spec.nameAt);
		return visitorOf(created);
	}

	/** The WhatsApp name the app last gave the visitor, and Meta's time of the message it came with (a record of the app's, by visitor token). */
	private async whatsAppName(token: string): Promise<{ name?: string; at?: number } | undefined> {
		const [record] = (await this.acc.read.getPersistenceReader().readByAssociations(whatsAppNameRecord(token))) as Array<{
			name?: string;
			at?: number;
		}>;
		return record;
	}

	/**
	 * Remembers the name given (and Meta's time of its message), so that the contact's next WhatsApp
	 * name replaces it and not an agent's. Best effort: a write that fails leaves the visitor named,
	 * and only a later change unapplied.
	 */
	private async keepWhatsAppName(token: string, name: string, at?: number): Promise<void> {
		await new Records(this.acc.read.getPersistenceReader(), this.acc.persistence)
			.put(whatsAppNameRecord(token), { name, ...(at === undefined ? {} : { at }) })
			.catch(() => undefined);
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

	async openRoomOf(contact: Contact): Promise<Room | undefined> {
		const key = await this.tokenKey();
		const livechat = this.acc.read.getLivechatReader();
		const keyed = key && (await livechat.getLivechatVisitorByToken(visitorToken(key.key, contact)));
		if (keyed) return this.openRoom(visitorOf(keyed));
		return (await this.legacyConversation(contact, key))?.room;
	}

	/**
	 * The contact's visitor of the versions before, while the conversation it had open when this
	 * version came is open: that conversation goes on with it. Otherwise the contact gets a visitor of
	 * their own, keyed and without a phone: the old one's token can be guessed, and its phone hands its
	 * token out (see `visitor`), so it is never given the keyed token; its past conversations stay its.
	 * With no key yet, its open room goes on whenever it was opened (`openedBeforeKey`).
	 */
	private async legacyConversation(contact: Contact, key: TokenKey | undefined): Promise<{ visitor: IVisitor; room: Room } | undefined> {
		const legacy = await this.acc.read.getLivechatReader().getLivechatVisitorByToken(contactKey(contact.phoneNumberId, contact.waId));
		if (!legacy) return undefined;
		const open = await this.openRoom(visitorOf(legacy));
		return open && openedBeforeKey(engineRoom(open), key) ? { visitor: legacy, room: open } : undefined;
	}

	/**
	 * The room's department is the one of the visitor handed to the engine, not the stored visitor's:
	 * the bridge's createRoom passes `convertAppVisitor(visitor)` to lib/rooms createRoom
	 * (apps/meteor/app/apps/server/bridges/livechat.ts, 7.x), that converter copies `department` only
	 * when set (converters/visitors.ts @ 749978e74f76e7bfcc28a23729dbb64a58000d9b), and
	 * QueueManager.requestRoom routes and stores the room by `guest.department` (@ 559fb435). Nothing
	 * lets an app clear the stored one: registerGuest behind createVisitor / createAndReturnVisitor
	 * sets a department only when one is given and `$set`s the rest (packages/omni-core/src/visitor/
	 * create.ts @ 00613e65a172088c8be13b760d0a12e0fdc93db6, LivechatVisitors.updateOneByIdOrToken). So
	 * `withoutDepartment` hands the engine the visitor without it; the stored visitor keeps it (an agent
	 * sees it in the visitor's info), and every later room is routed again. Without a department,
	 * Rocket.Chat's own rule still applies: lib/rooms createRoom may give the room the first enabled
	 * department shown on the registration form that has an agent online (getRequiredDepartment).
	 */
	async createRoom(spec: { visitor: Visitor; agent?: Agent; withoutDepartment?: boolean }): Promise<Room> {
		const agent = spec.agent ? (spec.agent as EngineAgent).engine : undefined;
		const visitor = engineVisitor(spec.visitor);
		try {
			const room = await this.acc.modify
				.getCreator()
				.getLivechatCreator()
				.createRoom(spec.withoutDepartment ? { ...visitor, department: undefined } : visitor, agent as never, {
					source: { type: 'app', id: this.acc.appId, label: 'WhatsApp' } as never,
				});
			return roomOf(room as ILivechatRoom);
		} catch (error) {
			if (isNoAgentOnline(error)) throw new NoAgentOnline();
			throw error;
		}
	}

	/**
	 * A room closed meanwhile gets the visitor a new room (the livechat getRoom, lib/rooms.ts), which
	 * Rocket.Chat refuses as createRoom does while nobody is online: NoAgentOnline.
	 */
	async postAsVisitor(post: { visitor: Visitor; room: Room; text: string }): Promise<string | undefined> {
		const creator = this.acc.modify.getCreator();
		const builder = creator
			.startLivechatMessage()
			.setVisitor(engineVisitor(post.visitor))
			.setRoom(engineRoom(post.room))
			.setText(post.text);
		try {
			return await creator.finish(builder);
		} catch (error) {
			if (isNoAgentOnline(error)) throw new NoAgentOnline();
			throw error;
		}
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

	/** The message's room as Rocket.Chat's message converter gives it (the whole room, read by its id). */
	async roomOfMessage(messageId: string): Promise<Room | undefined> {
		const room = (await this.acc.read.getMessageReader().getById(messageId))?.room as ILivechatRoom | undefined;
		return room?.id ? roomOf(room) : undefined;
	}

	/**
	 * Open only with `isOpen: true`: Rocket.Chat closes a livechat room by removing its `open`
	 * (LivechatRooms.closeRoomById, `$unset: { open: 1 }`), so a closed room comes with no `isOpen`,
	 * and a room gone (deleted) with none at all. A read that fails says nothing: taken as open.
	 */
	async isOpen(room: Room): Promise<boolean> {
		let current: ILivechatRoom | undefined;
		try {
			current = (await this.acc.read.getRoomReader().getById(room.id)) as ILivechatRoom | undefined;
		} catch {
			return true;
		}
		return current?.isOpen === true;
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

/**
 * The WhatsApp contact a livechat room's visitor token names, not yet verified: what may be read
 * before any await (AgentReplies.ts orders a contact's replies by it). `contactOf` verifies.
 */
export function claimedContactOf(room: IRoom | undefined): Contact | undefined {
	if (!room || room.type !== RoomType.LIVE_CHAT) return undefined;
	const token = (room as ILivechatRoom).visitor?.token;
	return claimedContactOfVisitorToken(token) ?? contactOfLegacyToken(token);
}

/**
 * The WhatsApp contact behind a livechat room, if the room is one: its visitor's keyed token verifies
 * under the installation's key, or (a token of the versions before) the room opened before the key.
 * A visitor registered by someone else through Rocket.Chat's livechat API with a token of that
 * shape is no contact: the app's agents' answers there never go to WhatsApp.
 */
export async function contactOf(
	acc: { read: IRead; persistence?: IPersistence },
	room: IRoom | undefined,
): Promise<ContactRoom | undefined> {
	if (!claimedContactOf(room)) return undefined;
	const visitor = (room as ILivechatRoom).visitor;
	const key = await visitorTokenKey({ read: acc.read.getPersistenceReader(), persistence: acc.persistence });
	const legacy = contactOfLegacyToken(visitor?.token);
	const contact = legacy ? (openedBeforeKey(room!, key) ? legacy : undefined) : key && contactOfVisitorToken(key.key, visitor?.token);
	if (!contact) return undefined;
	const language = (visitor?.livechatData as Record<string, unknown> | undefined)?.language;
	return { room: room!, ...contact, visitorLanguage: typeof language === 'string' ? language : undefined };
}

/**
 * The contact's open room, or a new one served by `agent` in `departmentId`, or in none (a closed
 * room is never reopened). A department that no longer exists (the number's, deleted since) gives a
 * room without one, as for a contact's message (InboundService.handle): the template has gone out
 * by then, and its room must open.
 */
export async function contactRoom(
	acc: { read: IRead; modify: IModify; persistence: IPersistence },
	spec: { phoneNumberId: string; waId: string; agent: IUser; departmentId?: string; appId: string },
): Promise<IRoom> {
	const conversations = new RocketChatConversations({ ...acc, appId: spec.appId });
	const contact = { phoneNumberId: spec.phoneNumberId, waId: spec.waId };
	// A lookup that fails keeps the department as given: Rocket.Chat's refusal then tells (`gone`).
	let department = spec.departmentId && (await conversations.departmentId(spec.departmentId).catch(() => spec.departmentId));
	// Rocket.Chat refuses a department deleted meanwhile (`error-invalid-department`): none then.
	const gone = (error: unknown) => {
		if (!(error instanceof InvalidDepartment)) throw error;
		department = undefined;
	};
	let visitor = await conversations.visitor({ ...contact, departmentId: department }).catch(async (error: unknown) => {
		gone(error);
		return conversations.visitor(contact);
	});
	const open = await conversations.openRoom(visitor);
	if (open) return engineRoom(open);
	// The room's department is the visitor's (createRoom): a visitor of another department is moved
	// first. No department for the room (none chosen, the number has none, or it is gone) while the
	// visitor keeps an old one: the room is asked for without it.
	if (department && department !== visitor.department)
		visitor = await conversations.moveVisitor(visitor, department).catch((error: unknown) => {
			gone(error);
			return visitor;
		});
	const withoutDepartment = !department && Boolean(visitor.department);
	const room = await conversations.createRoom({
		visitor,
		agent: agentOf(spec.agent),
		...(withoutDepartment ? { withoutDepartment } : {}),
	});
	return engineRoom(room);
}
