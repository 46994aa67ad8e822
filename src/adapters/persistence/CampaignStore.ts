/**
 * The campaign queue (core/app/campaignsPorts.ts CampaignStore) in Rocket.Chat's app persistence.
 * Every record of a campaign holds `campaign:<id>`; its head `campaign-head`, each chunk
 * `campaign-chunk` and `campaign-chunk:<n>` (where each send stands between chunk writes is in the
 * message log, under the chunk's batch key: MessageStore.ts); a cancel `campaign-cancel`, apart from
 * the head that runs rewrite (core/app/campaignsPorts.ts says why). An open campaign (active, or
 * cancelled and not yet closed by a run) also has a small marker under `campaigns:active`, removed
 * when a run closes it, so that a run reads the open ones without reading every campaign ever made. A
 * run's claim on a campaign (its lease's election) is a record of its own, `campaign-claim` and its
 * token's, withdrawn once the run stored its lease. Heads and chunks are rewritten with the
 * very association arrays they were created with (records.ts explains why).
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Campaign, CampaignChunk } from '../../core/bulk/campaign';
import { CampaignMayRun, CampaignStore, RunClaim, withCancel } from '../../core/app/campaignsPorts';
import { Associations, Records } from './records';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const CAMPAIGN = (id: string) => misc(`campaign:${id}`);
const HEAD = misc('campaign-head');
const CHUNKS = misc('campaign-chunk');
const CHUNK = (index: number) => misc(`campaign-chunk:${index}`);
const CANCEL = misc('campaign-cancel');
const ACTIVE = misc('campaigns:active');
const CLAIM = misc('campaign-claim');
const CLAIM_TOKEN = (token: string) => misc(`campaign-claim:${token}`);

const headOf = (id: string): Associations => [CAMPAIGN(id), HEAD];
const chunkOf = (chunk: CampaignChunk): Associations => [CAMPAIGN(chunk.campaignId), CHUNKS, CHUNK(chunk.index)];
const markerOf = (id: string): Associations => [ACTIVE, CAMPAIGN(id)];
const cancelOf = (id: string): Associations => [CAMPAIGN(id), CANCEL];
/** A run's claim (core/app/campaigns.ts `takeLease`): its campaign's, every claim's, its token's. */
const claimOf = (id: string, token: string): Associations => [CAMPAIGN(id), CLAIM, CLAIM_TOKEN(token)];

interface CancelRecord {
	id: string;
	at: number;
}

export class PersistenceCampaignStore implements CampaignStore {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	async create(campaign: Campaign, chunks: CampaignChunk[]): Promise<void> {
		// The chunks first: a head (and its marker) never names chunks that are not there.
		try {
			const written = await Promise.allSettled(chunks.map((chunk) => this.persistence.createWithAssociations(chunk, chunkOf(chunk))));
			const failed = written.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
			if (failed) throw failed.reason;
			await this.persistence.createWithAssociations(campaign, headOf(campaign.id));
			await this.persistence.createWithAssociations({ id: campaign.id }, markerOf(campaign.id));
		} catch (error) {
			// Undone: the marker first (a write that failed may still have landed, and runs find
			// campaigns by it), then the rest, head last. If the marker cannot be removed, the campaign
			// may run: the caller must not start it again.
			const marker = await this.records.drain(markerOf(campaign.id)).catch(() => ({ done: false }));
			if (!marker.done) throw new CampaignMayRun(error, campaign.id);
			await this.remove(campaign.id).catch(() => undefined);
			throw error;
		}
	}

	async get(id: string): Promise<Campaign | undefined> {
		const [[head], [cancel]] = (await Promise.all([
			this.read.readByAssociations(headOf(id)),
			this.read.readByAssociations(cancelOf(id)),
		])) as [Campaign[], CancelRecord[]];
		return head && withCancel(head, cancel?.at);
	}

	async open(): Promise<Campaign[]> {
		const markers = (await this.read.readByAssociation(ACTIVE)) as Array<{ id: string }>;
		const heads = await Promise.all(markers.map((marker) => this.get(marker.id)));
		return heads
			.filter((head): head is Campaign => Boolean(head && (head.state === 'active' || head.state === 'cancelled')))
			.sort((a, b) => a.createdAt - b.createdAt);
	}

	async save(campaign: Campaign): Promise<void> {
		await this.records.put(headOf(campaign.id), campaign);
		if (campaign.state !== 'active') await this.records.removeAll(markerOf(campaign.id));
	}

	/** The first cancel's time stays. The marker stays too: a run closes the campaign (`save`). */
	async cancel(id: string, at: number): Promise<void> {
		if (await this.cancelled(id)) return;
		const cancel: CancelRecord = { id, at };
		await this.records.put(cancelOf(id), cancel);
	}

	async cancelled(id: string): Promise<boolean> {
		return (await this.read.readByAssociations(cancelOf(id))).length > 0;
	}

	async chunks(id: string): Promise<CampaignChunk[]> {
		const chunks = (await this.read.readByAssociations([CAMPAIGN(id), CHUNKS])) as CampaignChunk[];
		return chunks.sort((a, b) => a.index - b.index);
	}

	async saveChunk(chunk: CampaignChunk): Promise<void> {
		await this.records.put(chunkOf(chunk), chunk);
	}

	async claimRun(id: string, claim: RunClaim): Promise<void> {
		await this.persistence.createWithAssociations(claim, claimOf(id, claim.token));
	}

	async runClaims(id: string): Promise<RunClaim[]> {
		return (await this.read.readByAssociations([CAMPAIGN(id), CLAIM])) as RunClaim[];
	}

	async withdrawRun(id: string, token: string): Promise<void> {
		await this.records.removeAll(claimOf(id, token));
	}

	/** The campaigns that finished (done, or cancelled and closed by a run) before `before`: the retention job's. */
	async finishedBefore(before: number): Promise<string[]> {
		const [heads, markers] = (await Promise.all([this.read.readByAssociation(HEAD), this.read.readByAssociation(ACTIVE)])) as [
			Campaign[],
			Array<{ id: string }>,
		];
		const open = new Set(markers.map((marker) => marker.id));
		return heads
			.filter((head) => head.state !== 'active' && !open.has(head.id) && (head.finishedAt ?? head.createdAt) < before)
			.map((head) => head.id);
	}

	/** Removes the campaigns that finished before `before`, one after another; `stop` (the run's time is spent) ends it early. */
	async removeFinishedBefore(before: number, stop?: () => boolean): Promise<{ removed: number; done: boolean }> {
		let removed = 0;
		for (const id of await this.finishedBefore(before)) {
			if (stop?.()) return { removed, done: false };
			const campaign = await this.remove(id, stop);
			removed += campaign.removed;
			if (!campaign.done) return { removed, done: false };
		}
		return { removed, done: true };
	}

	/**
	 * Removes a campaign's records, its head last: one that `stop` (the run's time is spent) leaves
	 * halfway is still found, and finished, by the next run. `done` says whether all of it went.
	 */
	async remove(id: string, stop?: () => boolean): Promise<{ removed: number; done: boolean }> {
		const parts: Array<[Associations, ((data: object) => Associations)?]> = [
			[[CAMPAIGN(id), CHUNKS], (chunk) => [CHUNK((chunk as CampaignChunk).index)]],
			[cancelOf(id)],
			[[CAMPAIGN(id), CLAIM]],
			[markerOf(id)],
			[headOf(id)],
		];
		let removed = 0;
		for (const [associations, keyOf] of parts) {
			if (stop?.()) return { removed, done: false };
			const part = await this.records.drain(associations, keyOf, stop);
			removed += part.removed;
			if (!part.done) return { removed, done: false };
		}
		return { removed, done: true };
	}
}
