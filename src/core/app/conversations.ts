/**
 * WhatsApp contacts in omnichannel, as the services see them: one visitor per (connected number,
 * WhatsApp id), whose username is `whatsapp-<phoneNumberId>-<waId>` and token a keyed one
 * (visitorTokens.ts), and their livechat room. The port is implemented over
 * Rocket.Chat in src/adapters/rocketchat/conversations.ts: the one code path that creates the
 * contacts' visitors and rooms (a contact's message and an agent's template alike).
 */

import { CONTACT_ID_PATTERN } from '../phone';

/** A contact of a connected number. */
export interface Contact {
	phoneNumberId: string;
	/** Their WhatsApp id's digits, or their business-scoped user id when Meta names them by that alone (core/phone.ts). */
	waId: string;
}

/**
 * The app's own key for a contact, `whatsapp:<phoneNumberId>:<waId>`: its window's record and notice
 * jobs. Not a visitor's token (visitorTokens.ts), though versions before gave visitors this one.
 */
export const contactKey = (phoneNumberId: string, waId: string) => `whatsapp:${phoneNumberId}:${waId}`;
export const contactUsername = (phoneNumberId: string, waId: string) => `whatsapp-${phoneNumberId}-${waId}`;

const CONTACT_KEY = new RegExp(`^whatsapp:(\\d+):(${CONTACT_ID_PATTERN})$`);

/** The contact of a contact's key. */
export function contactOfKey(key: string | undefined): Contact | undefined {
	const match = CONTACT_KEY.exec(key ?? '');
	return match ? { phoneNumberId: match[1], waId: match[2] } : undefined;
}

/** A contact's visitor (the adapter may carry more: the services hand it back unchanged). */
export interface Visitor {
	id?: string;
	token: string;
	/** The department the visitor's new rooms go to. */
	department?: string;
}

/** A contact's livechat room (the adapter may carry more: the services hand it back unchanged). */
export interface Room {
	id: string;
	/** The username of the agent serving it, when one is. */
	servedBy?: string;
	departmentId?: string;
	/** Whether it was open when read (false: closed; absent: not known). */
	open?: boolean;
}

/** An agent as apps can see their availability. */
export interface Agent {
	username: string;
	roles: string[];
	enabled: boolean;
	/** The presence status (online, away, busy, offline). */
	status?: string;
}

/** What apps can see of an agent's availability: the livechat-agent role, enabled, present. */
export function canTakeChats(agent: Agent): boolean {
	return agent.roles.includes('livechat-agent') && agent.enabled && agent.status !== 'offline';
}

/**
 * Rocket.Chat refuses a new room while no agent is online (QueueManager.requestRoom's
 * `no-agent-online`, unless "Accept chats with no agents online" is on).
 */
export class NoAgentOnline extends Error {
	constructor() {
		super('no-agent-online');
		this.name = 'NoAgentOnline';
	}
}

/**
 * Rocket.Chat refuses a visitor whose department does not exist (registerGuest's
 * `error-invalid-department`): a department deleted after the number, or a template's target, named it.
 */
export class InvalidDepartment extends Error {
	constructor() {
		super('error-invalid-department');
		this.name = 'InvalidDepartment';
	}
}

export interface Conversations {
	/**
	 * The contact's visitor for this number, created if needed (with `name` and `departmentId` then);
	 * throws InvalidDepartment when that department no longer exists. `name` is the contact's WhatsApp
	 * name as of `nameAt` (Meta's time of the message that carried it, ms): a visitor the app named is
	 * renamed with it, unless it was named from a later message.
	 */
	visitor(spec: Contact & { name?: string; nameAt?: number; departmentId?: string }): Promise<Visitor>;
	/** The visitor, its new rooms going to `department`; throws InvalidDepartment. */
	moveVisitor(visitor: Visitor, department: string): Promise<Visitor>;
	/** The visitor's open room, if any (a closed room is never reopened). */
	openRoom(visitor: Visitor): Promise<Room | undefined>;
	/** The contact's open room, if any. */
	openRoomOf(contact: Contact): Promise<Room | undefined>;
	/**
	 * A new room for the visitor, served by `agent` if given, in the visitor's department, or in none
	 * when `withoutDepartment` (apps cannot clear a visitor's department: see the adapter); throws
	 * NoAgentOnline.
	 */
	createRoom(spec: { visitor: Visitor; agent?: Agent; withoutDepartment?: boolean }): Promise<Room>;
	/**
	 * Posts `text` in the room as the contact; answers the message's id. A room closed meanwhile gets
	 * the contact a new room (Rocket.Chat's doing), so this throws NoAgentOnline as createRoom does.
	 */
	postAsVisitor(post: { visitor: Visitor; room: Room; text: string }): Promise<string | undefined>;
	/** Posts `text` in the room for every agent, as the app. */
	postAsApp(post: { room: Room; text: string }): Promise<void>;
	/** Whether the room is still open. */
	isOpen(room: Room): Promise<boolean>;
	/** The room a posted message is in, if the message is found. */
	roomOfMessage(messageId: string): Promise<Room | undefined>;
	/** A department by id or name: its id. */
	departmentId(idOrName: string): Promise<string | undefined>;
	/** A user by username, as an agent. */
	agent(username: string): Promise<Agent | undefined>;
	/**
	 * Whether an agent of the department (of any, when undefined) is available. Not named `isOnline`:
	 * the runtimes of Rocket.Chat 7.0–7.9 re-parse an app's bundle at ES2017 when it holds `.isOnline(`,
	 * which fails (test/e2e/oldRuntimeBundle.test.ts).
	 */
	hasAgentOnline(department?: string): Promise<boolean>;
}
