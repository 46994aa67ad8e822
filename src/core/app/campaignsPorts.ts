/**
 * The ports of the campaign service (campaigns.ts): its persisted queue, the Graph API of a number,
 * the send log (and the message log's records of a batch), and the scheduler job that runs the queue. MemoryCampaignStore is the store's
 * in-memory twin (unit tests); src/adapters/persistence/CampaignStore.ts keeps it in Rocket.Chat.
 */
import { Campaign, CampaignChunk } from '../bulk/campaign';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { Clock, Jobs, MessageLog, Numbers, SettingsReader } from './ports';
import { SendLog } from './sendLog';
import { TemplateGraph } from './sendTemplatesPorts';

/** The persisted queue of campaigns. A chunk or the head is rewritten whole; where each send stands between is in the send log. */
export interface CampaignStore {
	/** Stores a new campaign and all its chunks; it is active. */
	create(campaign: Campaign, chunks: CampaignChunk[]): Promise<void>;
	get(id: string): Promise<Campaign | undefined>;
	/** The campaigns still active (not done, not cancelled), oldest first. */
	active(): Promise<Campaign[]>;
	/** Rewrites the head; a campaign no longer active leaves the active list. */
	save(campaign: Campaign): Promise<void>;
	/** Every chunk of a campaign, in index order. */
	chunks(id: string): Promise<CampaignChunk[]>;
	saveChunk(chunk: CampaignChunk): Promise<void>;
}

/** Runs the campaign job soon (after a campaign was started, or a run ended with work left); `job`, one of its names (the first by default). */
export interface CampaignJobs {
	runSoon(job?: string): Promise<void>;
}

export interface CampaignPorts {
	store: CampaignStore;
	numbers: Pick<Numbers, 'list'>;
	graphOf(number: ConnectedNumber): Pick<TemplateGraph, 'sendMessage'>;
	/**
	 * The sends of a chunk written together before their Graph calls (`beginMany`), each settled when
	 * Meta answers, or `unsent` when its call never started; `record` for one never begun.
	 */
	sendLog: Pick<SendLog, 'beginMany' | 'settle' | 'unsent' | 'record'>;
	/** The records of a chunk's batch: where its sends stand after a run that died, and for the counts. */
	messages: Pick<MessageLog, 'findByBatch'>;
	settings: SettingsReader;
	clock: Clock;
	campaignJobs: CampaignJobs;
	/** The status job: the first statuses (queued / failed) go out with its next delivery round. */
	statusJobs: Jobs;
	newId(): string;
	/** Waits between paced sends (real time by default). */
	sleep?: (ms: number) => Promise<void>;
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The store in memory, as CampaignStore keeps it in Rocket.Chat's persistence. */
export class MemoryCampaignStore implements CampaignStore {
	readonly heads = new Map<string, Campaign>();
	readonly chunkMap = new Map<string, CampaignChunk>();

	async create(campaign: Campaign, chunks: CampaignChunk[]): Promise<void> {
		this.heads.set(campaign.id, copy(campaign));
		for (const chunk of chunks) this.chunkMap.set(`${chunk.campaignId}:${chunk.index}`, copy(chunk));
	}

	async get(id: string): Promise<Campaign | undefined> {
		const found = this.heads.get(id);
		return found && copy(found);
	}

	async active(): Promise<Campaign[]> {
		return [...this.heads.values()]
			.filter((c) => c.state === 'active')
			.sort((a, b) => a.createdAt - b.createdAt)
			.map(copy);
	}

	async save(campaign: Campaign): Promise<void> {
		this.heads.set(campaign.id, copy(campaign));
	}

	async chunks(id: string): Promise<CampaignChunk[]> {
		return [...this.chunkMap.values()]
			.filter((c) => c.campaignId === id)
			.sort((a, b) => a.index - b.index)
			.map(copy);
	}

	async saveChunk(chunk: CampaignChunk): Promise<void> {
		this.chunkMap.set(`${chunk.campaignId}:${chunk.index}`, copy(chunk));
	}
}
