/**
 * The ports of the send-templates services (sendTemplates.ts, sendTemplateModal.ts): what they need
 * of the Graph API, of Rocket.Chat's rooms, agents and departments, and of persistence.
 */
import type { CampaignStart } from './campaigns';
import type { Booking, PaceOptions } from '../bulk/pacer';
import { SendResult } from '../graph/GraphClient';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { Clock, Jobs, Logger, MessageLog, Numbers, SettingsReader, TemplateCache } from './ports';
import { SendLog } from './sendLog';
import { RoleIdOf } from './roles';

/** What the service needs of the Graph API, for one number's token (GraphClient provides it). */
export interface TemplateGraph {
	/**
	 * Sends a message at the number's pace (core/bulk/pacedGraph.ts): not started after `deadline`
	 * (epoch ms), nor once `shouldStart` says no; either fails with PacerDeadlineError. `steady`: one
	 * of a long stream (core/bulk/pacer.ts PaceOptions).
	 */
	sendMessage(phoneNumberId: string, payload: object, options?: PaceOptions): Promise<SendResult>;
	listAllTemplates<T>(wabaId: string, query: { limit?: number }): Promise<T[]>;
	/**
	 * Books `count` sends on the number's pacer if the last would start within `withinMs`, else
	 * undefined (NumberPacer.admit): each send given the booking (PaceOptions.booking) takes its slot
	 * when queued, and the request releases the rest when it ends. `book: false` answers the same and
	 * books nothing. Absent when the client is not paced: every request is admitted.
	 */
	admit?(phoneNumberId: string, count: number, withinMs: number, options?: { book?: boolean }): Booking | undefined;
}

/** A recipient Meta accepted, as the answer reports it. */
export interface AcceptedSend {
	phoneNumber: string;
	msId: string;
}

/**
 * The reservation of a templateMessage request with an `idempotencyKey`, then its answer.
 * - `pending`: reserved before the first send; the owner holds it until `leaseUntil` and adds the
 *   recipients Meta accepted to `sent` as they come.
 * - `done`: the first answer (`status`, `content`), replayed to the same request.
 * - `interrupted`: the owner failed after sending (a 500), or its answer could not be stored: `sent`
 *   is what is known to have gone; `campaignId`, the campaign a request in campaign mode had stored.
 */
export interface StoredAnswer {
	/** The calling user's id and the key (keys are scoped per user). */
	key: string;
	fingerprint: string;
	/** When the key was reserved: it expires a window after. */
	at: number;
	/** The reservation's own id (entries of earlier versions have none): every write of it names it, and `release` removes only it. */
	id?: string;
	/** Absent in answers stored before reservations existed: they are `done`. */
	state?: 'pending' | 'done' | 'interrupted';
	leaseUntil?: number;
	status?: number;
	content?: unknown;
	sent?: AcceptedSend[];
	campaignId?: string;
	/** The batch key the request's sends carry (`SentMessage.batch`): a replay of an interrupted request reads their records by it. */
	batch?: string;
}

/** Reservations and answers kept for idempotent replays, for a window the store applies (24 hours). */
export interface Idempotency {
	/** The key's entry within the window; an expired one is not answered. */
	find(key: string, now: number): Promise<StoredAnswer | undefined>;
	/**
	 * Reserves `entry.key` unless an entry within the window holds it: `undefined` when reserved,
	 * else the holder. Two calls never both reserve one key, in one runtime or on several server
	 * instances (where both may lose, and get a pending holder).
	 */
	reserve(entry: StoredAnswer, now: number): Promise<StoredAnswer | undefined>;
	/** Replaces the key's entry (progress, the answer). */
	save(entry: StoredAnswer): Promise<void>;
	/** Frees a reservation whose request was refused before anything was sent: that entry, never another of its key. */
	release(entry: StoredAnswer): Promise<void>;
	/** Deletes expired entries (a store may keep them up to a day or two past their window); how many records. */
	sweep(now: number): Promise<number>;
}

/** Rocket.Chat's agents and departments, for the routing of a reply. */
export interface Directory {
	hasAgent(username: string): Promise<boolean>;
	/** The department's id, by id or name; undefined when there is none. */
	departmentId(idOrName: string): Promise<string | undefined>;
}

/** The contact's room of a send from the modal, and the template's post in it. */
export interface TemplateRooms {
	/** The WhatsApp contact behind a room (its number and WhatsApp id), if the room is one. */
	contactOf(roomId: string): Promise<{ phoneNumberId: string; waId: string } | undefined>;
	/** The contact's open room, or a new one served by the sending agent; its id. */
	contactRoom(spec: { phoneNumberId: string; waId: string; departmentId?: string }): Promise<string>;
	/** Posts the template's text in the room as the agent, or as the app's bot user; the message's id. */
	post(post: { roomId: string; text: string; asBot: boolean }): Promise<string | undefined>;
}

export interface SendTemplatesPorts {
	numbers: Pick<Numbers, 'list'>;
	/** A role's id by its name, for the roles settings' custom roles (roles.ts); without it, entries match role ids alone. */
	roleIdOf?: RoleIdOf;
	templateCache: TemplateCache;
	/** The Graph API with a number's token. */
	graphOf(number: ConnectedNumber): TemplateGraph;
	/** Every send is written (`begin`) before its Graph call and settled when Meta answers. */
	sendLog: Pick<SendLog, 'record' | 'begin' | 'beginMany' | 'settle'>;
	jobs: Jobs;
	settings: SettingsReader;
	clock: Clock;
	idempotency?: Idempotency;
	directory?: Directory;
	rooms?: TemplateRooms;
	/** Links of the modal's posts; the records of an interrupted request's batch, for its replay. */
	messages?: Pick<MessageLog, 'link' | 'findByBatch'>;
	/** The app's log: a send Meta accepted whose record could not be linked is said there. */
	logger?: Logger;
	/** Campaign mode (`async: true`): stores a campaign and answers its id (core/app/campaigns.ts). */
	campaigns?: { start(input: CampaignStart): Promise<string> };
}
