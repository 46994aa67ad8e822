/**
 * The ports of the send-templates services (sendTemplates.ts, sendTemplateModal.ts): what they need
 * of the Graph API, of Rocket.Chat's rooms, agents and departments, and of persistence.
 */
import type { CampaignStart } from './campaigns';
import { SendResult } from '../graph/GraphClient';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { Clock, Jobs, MessageLog, Numbers, SettingsReader, TemplateCache } from './ports';
import { SendLog } from './sendLog';

/** What the service needs of the Graph API, for one number's token (GraphClient provides it). */
export interface TemplateGraph {
	sendMessage(phoneNumberId: string, payload: object): Promise<SendResult>;
	listAllTemplates<T>(wabaId: string, query: { limit?: number }): Promise<T[]>;
}

/** The first answer to a templateMessage request with an `idempotencyKey`. */
export interface StoredAnswer {
	key: string;
	fingerprint: string;
	status: number;
	content: unknown;
	at: number;
}

/** Answers kept for idempotent replays (a window the store applies). */
export interface Idempotency {
	find(key: string, now: number): Promise<StoredAnswer | undefined>;
	save(entry: StoredAnswer): Promise<void>;
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
	templateCache: TemplateCache;
	/** The Graph API with a number's token. */
	graphOf(number: ConnectedNumber): TemplateGraph;
	sendLog: Pick<SendLog, 'record'>;
	jobs: Jobs;
	settings: SettingsReader;
	clock: Clock;
	idempotency?: Idempotency;
	directory?: Directory;
	rooms?: TemplateRooms;
	messages?: Pick<MessageLog, 'link'>;
	/** Campaign mode (`async: true`): stores a campaign and answers its id (core/app/campaigns.ts). */
	campaigns?: { start(input: CampaignStart): Promise<string> };
}
