import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { StatusPipelineError } from '../../core/status/errors';
import { OutboxClaim, OutboxFilter, OutboxItem, OutboxRetry, OutboxState, OutboxStore } from '../../core/status/outbox';
import { StatusPayload } from '../../core/status/payload';
import { Records } from './records';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
/** Open items (pending, or in flight during a delivery run). */
const PENDING = misc('outbox:pending');
const FAILED = misc('outbox:failed');
const ITEM = (id: string) => misc(`outbox-item:${id}`);

export type StatusItem = OutboxItem<StatusPayload>;

const unknown = (id: string) => new StatusPipelineError('outbox_unknown_item', `outbox: no item ${id}`);

/** Claims of this runtime, one after the other (persistence has no atomic read-and-write). */
let claims: Promise<unknown> = Promise.resolve();
function serialized<T>(work: () => Promise<T>): Promise<T> {
	const run = claims.then(work, work);
	claims = run.catch(() => undefined);
	return run;
}

/**
 * The core's outbox contract (src/core/status/outbox.ts) over the app's persistence: open items
 * under one association, failed ones (kept for inspection and redelivery) under another; delivered
 * ones are removed (the contract allows it). It passes the same contract suite as the in-memory
 * store (test/unit/status/outboxStore.test.ts).
 *
 * Runs can overlap (each webhook starts one, and the recurring job runs too). Apps-Engine
 * persistence has no atomic update, so claims within this app's runtime (one process per server)
 * are serialized here, and a run skips what another holds in flight. Two servers of a cluster could
 * still claim the same item in the milliseconds between a read and a write; every event carries
 * its `eventId` for receivers to drop a duplicate. A run that dies mid-way leaves its claims in
 * flight until their lease ends; a later run then claims them.
 */
export class PersistenceOutboxStore implements OutboxStore<StatusPayload> {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	/** Pending and in-flight items. */
	async pending(): Promise<StatusItem[]> {
		return (await this.read.readByAssociation(PENDING)) as StatusItem[];
	}

	async failed(): Promise<StatusItem[]> {
		return (await this.read.readByAssociation(FAILED)) as StatusItem[];
	}

	/** Adds an event unless an event with its id is kept, open or failed (a duplicate delivery). */
	async put(item: StatusItem): Promise<boolean> {
		const existing = await this.read.readByAssociation(ITEM(item.id));
		if (existing.length) return false;
		await this.persistence.createWithAssociations(item, [PENDING, ITEM(item.id)]);
		return true;
	}

	/** The head of each message's open items, when due (pending) or abandoned (lease ended), oldest first. */
	async claimDue(claim: OutboxClaim): Promise<StatusItem[]> {
		return serialized(() => this.claim(claim));
	}

	private async claim({ now, limit, workerId, leaseMs }: OutboxClaim): Promise<StatusItem[]> {
		const heads = new Map<string, StatusItem>();
		for (const item of await this.pending()) {
			const head = heads.get(item.messageKey);
			if (!head || item.seq < head.seq || (item.seq === head.seq && item.createdAt < head.createdAt))
				heads.set(item.messageKey, item);
		}
		const due = [...heads.values()]
			.filter((head) => (head.state === 'inflight' ? (head.leaseUntil ?? 0) <= now : head.nextAttemptAt <= now))
			.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
			.slice(0, Math.max(0, limit));
		const claimed: StatusItem[] = [];
		for (const item of due) {
			const inflight: StatusItem = { ...item, state: 'inflight', claimedBy: workerId, leaseUntil: now + leaseMs };
			if (await this.records.replace([PENDING, ITEM(item.id)], inflight)) claimed.push(inflight);
		}
		return claimed;
	}

	async complete(id: string): Promise<void> {
		if (!(await this.records.removeAll([PENDING, ITEM(id)]))) throw unknown(id);
	}

	async reschedule(id: string, next: OutboxRetry): Promise<void> {
		const item = await this.open(id);
		if (!item) throw unknown(id);
		const { claimedBy: _claimedBy, leaseUntil: _leaseUntil, ...rest } = item;
		await this.records.replace([PENDING, ITEM(id)], { ...rest, state: 'pending', ...next });
	}

	async fail(id: string, lastError: string): Promise<void> {
		const item = await this.open(id);
		if (!item) throw unknown(id);
		await this.records.removeAll([PENDING, ITEM(id)]);
		const { claimedBy: _claimedBy, leaseUntil: _leaseUntil, ...rest } = item;
		await this.persistence.createWithAssociations({ ...rest, state: 'failed', lastError }, [FAILED, ITEM(id)]);
	}

	async list(filter: OutboxFilter = {}): Promise<StatusItem[]> {
		const states = filter.state === undefined ? undefined : ([] as OutboxState[]).concat(filter.state);
		const found = [...(await this.pending()), ...(await this.failed())].filter(
			(item) =>
				(!states || states.includes(item.state)) && (filter.messageKey === undefined || item.messageKey === filter.messageKey),
		);
		found.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
		return found.slice(0, filter.limit ?? found.length);
	}

	/** Moves failed items back to pending, due `now`; their retry window restarts. Returns how many. */
	async requeue(ids: string[], now: number): Promise<number> {
		let moved = 0;
		for (const id of ids) {
			const [item] = (await this.read.readByAssociations([FAILED, ITEM(id)])) as StatusItem[];
			if (!item) continue;
			await this.records.removeAll([FAILED, ITEM(id)]);
			await this.persistence.createWithAssociations({ ...item, state: 'pending', attempts: 0, nextAttemptAt: now, requeuedAt: now }, [
				PENDING,
				ITEM(id),
			]);
			moved++;
		}
		return moved;
	}

	private async open(id: string): Promise<StatusItem | undefined> {
		const [item] = (await this.read.readByAssociations([PENDING, ITEM(id)])) as StatusItem[];
		return item;
	}
}
