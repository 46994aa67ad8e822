/**
 * The ports of the campaign service (campaigns.ts): its persisted queue, the Graph API of a number,
 * the send log (and the message log's records of a batch), and the scheduler job that runs the queue. MemoryCampaignStore is the store's
 * in-memory twin (unit tests); src/adapters/persistence/CampaignStore.ts keeps it in Rocket.Chat.
 */
import { Campaign, CampaignChunk } from '../bulk/campaign';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { Clock, Jobs, Logger, MessageLog, Numbers, SettingsReader, TemplateCache } from './ports';
import { SendLog } from './sendLog';
import { TemplateGraph } from './sendTemplatesPorts';
import { WebhookInbox } from './webhookBatch';

/**
 * The persisted queue of campaigns. A chunk or the head is rewritten whole; where each send stands
 * between is in the send log. A cancel is stored apart from the head, which runs (of any instance)
 * read and rewrite: a run's rewrite, however it interleaves with the cancel, never undoes it.
 */
export interface CampaignStore {
	/**
	 * Stores a new campaign and all its chunks; it is active. When it fails, what it wrote is removed
	 * as far as it can be: a create that failed leaves no campaign to run or to show. If that cannot
	 * be made sure of (a write that failed may have landed, and its removal failed too), it throws
	 * CampaignMayRun.
	 */
	create(campaign: Campaign, chunks: CampaignChunk[]): Promise<void>;
	/** The head; `cancelled` since the cancel's time when one is stored and the head says `active` (withCancel). */
	get(id: string): Promise<Campaign | undefined>;
	/**
	 * The campaigns runs still have work in, oldest first: the active ones, and the cancelled ones no
	 * run has closed yet (a run that died may have left recipients `sending` in them).
	 */
	open(): Promise<Campaign[]>;
	/** Rewrites the head; a head saved other than active (done, cancelled) closes the campaign: it leaves the open list. */
	save(campaign: Campaign): Promise<void>;
	/** Stores the cancel (at `at`, clock ms), apart from the head; the campaign stays open until a run closes it. */
	cancel(id: string, at: number): Promise<void>;
	/** Whether a cancel is stored (one small read: runs ask while they send). */
	cancelled(id: string): Promise<boolean>;
	/** Every chunk of a campaign, in index order. */
	chunks(id: string): Promise<CampaignChunk[]>;
	saveChunk(chunk: CampaignChunk): Promise<void>;
	/** Writes a run's claim on a campaign (its lease's election, campaigns.ts `takeLease`), a record of its own. */
	claimRun(id: string, claim: RunClaim): Promise<void>;
	/** The claims on a campaign not withdrawn. */
	runClaims(id: string): Promise<RunClaim[]>;
	/** Withdraws a run's claim, by its token. */
	withdrawRun(id: string, token: string): Promise<void>;
}

/** A run's claim on a campaign: a token no other run has, and when (clock ms). */
export interface RunClaim {
	token: string;
	at: number;
}

/** A campaign's create failed, and what it wrote could not be removed: the campaign may still run. */
export class CampaignMayRun extends Error {
	constructor(
		readonly cause: unknown,
		readonly campaignId: string,
	) {
		super(cause instanceof Error ? cause.message : 'campaign not stored');
		this.name = 'CampaignMayRun';
	}
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
	/**
	 * The stored webhooks: after a run that died, Meta's statuses in them tell which of its sends
	 * Meta accepted (read only then, and once per run: campaignSends.ts `recover`).
	 */
	inbox: Pick<WebhookInbox, 'events'>;
	settings: SettingsReader;
	/**
	 * The template cache: a refusal of the campaign's template (Meta's 132001, 132015, 132016 remove
	 * it; 132000, 132012 make the next list fetch from Meta) is applied to it, as a send's of the
	 * modal or templateMessage is (TemplateCatalog.onSendError).
	 */
	templates?: TemplateCache;
	clock: Clock;
	campaignJobs: CampaignJobs;
	/** The status job: the first statuses (queued / failed) go out with its next delivery round. */
	statusJobs: Jobs;
	newId(): string;
	/** The app's log: a started campaign whose run could not be asked for (the recurring job runs it). */
	logger?: Logger;
	/** Waits between paced sends (real time by default). */
	sleep?: (ms: number) => Promise<void>;
	/** Calls `tick` every `ms` of real time until the function it answers is called (real timers by default). */
	every?: (ms: number, tick: () => void) => () => void;
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The head as a store answers it: a stored cancel (its time, clock ms) wins over `active`. A head
 * that says `done` stays done: every recipient was sent before the cancel could stop one.
 */
export function withCancel(head: Campaign, cancelledAt: number | undefined): Campaign {
	return cancelledAt === undefined || head.state !== 'active' ? head : { ...head, state: 'cancelled', finishedAt: cancelledAt };
}

/** The store in memory, as CampaignStore keeps it in Rocket.Chat's persistence. */
export class MemoryCampaignStore implements CampaignStore {
	readonly heads = new Map<string, Campaign>();
	readonly chunkMap = new Map<string, CampaignChunk>();
	readonly cancels = new Map<string, number>();
	/** The campaigns not closed (the persisted store's `campaigns:active` markers). */
	readonly unclosed = new Set<string>();

	async create(campaign: Campaign, chunks: CampaignChunk[]): Promise<void> {
		this.heads.set(campaign.id, copy(campaign));
		this.unclosed.add(campaign.id);
		for (const chunk of chunks) this.chunkMap.set(`${chunk.campaignId}:${chunk.index}`, copy(chunk));
	}

	async get(id: string): Promise<Campaign | undefined> {
		const found = this.heads.get(id);
		return found && withCancel(copy(found), this.cancels.get(id));
	}

	async open(): Promise<Campaign[]> {
		return [...this.heads.values()]
			.filter((c) => this.unclosed.has(c.id))
			.map((c) => withCancel(copy(c), this.cancels.get(c.id)))
			.filter((c) => c.state === 'active' || c.state === 'cancelled')
			.sort((a, b) => a.createdAt - b.createdAt);
	}

	async save(campaign: Campaign): Promise<void> {
		this.heads.set(campaign.id, copy(campaign));
		if (campaign.state !== 'active') this.unclosed.delete(campaign.id);
	}

	async cancel(id: string, at: number): Promise<void> {
		if (!this.cancels.has(id)) this.cancels.set(id, at);
	}

	async cancelled(id: string): Promise<boolean> {
		return this.cancels.has(id);
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

	readonly claims = new Map<string, RunClaim[]>();

	async claimRun(id: string, claim: RunClaim): Promise<void> {
		this.claims.set(id, [...(this.claims.get(id) ?? []), copy(claim)]);
	}

	async runClaims(id: string): Promise<RunClaim[]> {
		return copy(this.claims.get(id) ?? []);
	}

	async withdrawRun(id: string, token: string): Promise<void> {
		this.claims.set(
			id,
			(this.claims.get(id) ?? []).filter((claim) => claim.token !== token),
		);
	}
}
