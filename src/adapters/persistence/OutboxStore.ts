import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { OutboxFilter, OutboxItem, OutboxPage, OutboxState, OutboxStore, PAGE_SIZE, PageOutcome } from '../../core/status/outbox';
import { StatusPayload } from '../../core/status/payload';
import { Associations, Records } from './records';

const crypto = require('crypto') as typeof import('crypto');

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
/** Open items (pending). */
const OPEN = misc('outbox:pending');
const FAILED = misc('outbox:failed');
/** The day (UTC) an item failed on: the retention job removes failed items by it. */
const FAILED_DAY = (isoDay: string) => misc(`outbox-failed-day:${isoDay}`);
/** The directory of pages: one record per page holding open items. */
const PAGES = misc('outbox:pages');
const ITEM = (id: string) => misc(`outbox-item:${id}`);
const PAGE = (id: string) => misc(`outbox-page:${id}`);
/** A record holding several items of one page (`putMany`). */
const CHUNK = (id: string) => misc(`outbox-chunk:${id}`);

export type StatusItem = OutboxItem<StatusPayload>;

/** Items stored by earlier versions have no page: they are read, when no page is listed, as this one. */
const LOOSE: OutboxPage = { id: '', createdAt: 0 };
/**
 * A page no writer adds to any more: full, or older than a handler run lasts (the engine answers
 * every call into the app within 30 s, and runs are bounded well under it: core/app/runBudget.ts).
 */
export const PAGE_SEALED_AFTER_MS = 60000;
/** Single removals of one page's settlement run this many at once. */
const REMOVALS_AT_ONCE = 16;

/** The associations an open item was stored with: an update must name exactly them (records.ts). */
const openKeys = (item: { id: string; page?: string }): Associations =>
	item.page ? [OPEN, ITEM(item.id), PAGE(item.page)] : [OPEN, ITEM(item.id)];

/** The associations of a chunk record: written once by `putMany`, rewritten only by a delivery run's settlement. */
const chunkKeys = (chunk: string, page: string): Associations => [OPEN, PAGE(page), CHUNK(chunk)];

/**
 * Several open items of one page in one record. Its items are stored without `page` and `chunk`, as
 * one JSON string (`json`): hundreds of status payloads cross the engine's bridge (written, read by
 * the delivery run, and answered back by its removal) as one value, not as hundreds of objects that
 * the engine encodes, decodes and inspects for its debug log field by field (WebhookInboxStore.ts
 * says more). Chunks of earlier versions hold them as `items`, and are read as they are.
 */
interface ChunkRecord {
	chunk: string;
	page: string;
	json?: string;
	items?: StatusItem[];
}

const isChunk = (record: unknown): record is ChunkRecord =>
	typeof (record as ChunkRecord | undefined)?.json === 'string' || Array.isArray((record as ChunkRecord | undefined)?.items);

const chunkItems = (record: ChunkRecord): StatusItem[] =>
	typeof record.json === 'string' ? (JSON.parse(record.json) as StatusItem[]) : (record.items ?? []);

/** Open records as items: a chunk's items each name their chunk and page. */
function itemsOf(records: unknown[]): StatusItem[] {
	return records.flatMap((record) =>
		isChunk(record) ? chunkItems(record).map((item) => ({ ...item, page: record.page, chunk: record.chunk })) : [record as StatusItem],
	);
}

/** An item as a chunk stores it (its place is the chunk's). */
const bare = ({ page: _page, chunk: _chunk, ...item }: StatusItem): StatusItem => item;

interface PageRecord extends OutboxPage {
	/** Wall time when it was opened (the age that seals it), and the writer's runtime's count of pages then (order within one ms). */
	openedAt: number;
	n: number;
	/** Set by the writer when it moved to a new page. */
	full?: boolean;
}

/** Pages opened in this runtime: orders two pages opened within one millisecond. */
let pagesOpened = 0;

/**
 * The core's outbox contract (src/core/status/outbox.ts) over the app's persistence, in pages:
 *
 * - an open item is one record under `outbox:pending`, its own key and its page's key; its page has
 *   a record in the directory (`outbox:pages` + the page's key). `put` is one write per item (and one
 *   per page): it does not read first (a repeated id is dropped when delivered);
 * - `putMany` writes the items one record (a chunk, `outbox-chunk:<id>`) per page they fall in: a
 *   webhook's statuses cost one write, not one per status;
 * - a delivery run reads the directory, then each page's items (one read per page);
 * - a settled page costs, when every item it held was delivered and no writer adds to it any more,
 *   ONE removal by the page's key (items and directory record at once); otherwise one removal per
 *   chunk whose items all left, one rewrite per chunk with items left and some settled, one removal
 *   per single delivered item (16 at once), one write per single retried one, and two per failed
 *   one (kept under `outbox:failed`).
 *
 * Delivery runs do not overlap (core/app/delivery.ts DeliveryGate), so items need no claim.
 * It passes the same contract suite as the in-memory store (test/unit/status/outboxStore.test.ts).
 */
export class PersistenceOutboxStore implements OutboxStore<StatusPayload> {
	private readonly records: Records;
	/** This writer's current page, and how many items it holds. */
	private page?: { record: PageRecord; count: number; written: Promise<unknown> };

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
		private readonly pageSize = PAGE_SIZE,
	) {
		this.records = new Records(read, persistence);
	}

	/** Pending items. */
	async pending(): Promise<StatusItem[]> {
		return itemsOf(await this.read.readByAssociation(OPEN));
	}

	async failed(): Promise<StatusItem[]> {
		return (await this.read.readByAssociation(FAILED)) as StatusItem[];
	}

	/** Whether any status event that failed on the day is left (one read). */
	async hasFailedDay(isoDay: string): Promise<boolean> {
		return ((await this.read.readByAssociations([FAILED_DAY(isoDay)])) as object[]).length > 0;
	}

	/**
	 * The removal of the failed items (never delivered, kept for an admin's requeue) that failed on
	 * `isoDay` (UTC): the retention job's, which a caller's `stop` (its run's time is spent) may end
	 * early. Items that earlier versions kept as failed have no day and stay until requeued.
	 */
	failedDayRemoval(isoDay: string): (stop?: () => boolean) => Promise<{ removed: number; done: boolean }> {
		return (stop) => this.records.drain([FAILED_DAY(isoDay)], (item) => [ITEM((item as StatusItem).id)], stop);
	}

	/** Stores the item in this writer's page: one write (and one for a new page's directory record). */
	async put(item: StatusItem): Promise<boolean> {
		const page = await this.pageFor(item.createdAt);
		await this.persistence.createWithAssociations({ ...bare(item), page: page.id }, openKeys({ id: item.id, page: page.id }));
		return true;
	}

	/** Stores the items in this writer's pages, in order: one write per page they fall in (and one per new page). */
	async putMany(items: StatusItem[]): Promise<void> {
		for (let next = 0; next < items.length;) {
			const { record, free } = await this.room(items[next].createdAt);
			const part = items.slice(next, next + free);
			next += part.length;
			const chunk: ChunkRecord = {
				chunk: crypto.randomBytes(12).toString('hex'),
				page: record.id,
				json: JSON.stringify(part.map(bare)),
			};
			await this.persistence.createWithAssociations(chunk, chunkKeys(chunk.chunk, record.id));
		}
	}

	async pages(): Promise<OutboxPage[]> {
		const listed = (await this.read.readByAssociation(PAGES)) as PageRecord[];
		if (!listed.length) return (await this.pending()).length ? [LOOSE] : [];
		return listed.sort((a, b) => a.createdAt - b.createdAt || a.openedAt - b.openedAt || a.n - b.n || (a.id < b.id ? -1 : 1));
	}

	async pageItems(page: OutboxPage): Promise<StatusItem[]> {
		if (!page.id) return this.pending();
		return itemsOf(await this.read.readByAssociations([OPEN, PAGE(page.id)]));
	}

	async settle(page: OutboxPage, read: StatusItem[], outcome: PageOutcome<StatusPayload>): Promise<void> {
		await Promise.all(
			outcome.retried
				.filter(({ item }) => !item.chunk)
				.map(({ item, next }) => this.records.replace(openKeys(item), { ...item, state: 'pending', ...next })),
		);
		const failedAt = Date.now();
		for (const { item, lastError } of outcome.failed)
			await this.persistence.createWithAssociations({ ...bare(item), state: 'failed', lastError, failedAt }, [
				FAILED,
				ITEM(item.id),
				FAILED_DAY(new Date(failedAt).toISOString().slice(0, 10)),
			]);
		const gone = new Set([...outcome.delivered, ...outcome.failed.map((f) => f.item.id)]);
		if (page.id && this.sealed(page as PageRecord) && read.every((item) => gone.has(item.id))) {
			// Nothing left that this run read, and no writer adds: the page goes in one removal. Items
			// put since the read would be lost, so a page a writer may still fill is never removed so.
			await this.records.removeAll([PAGE(page.id)]);
			return;
		}
		// Each removed by its own keys (its page's too): an event stored twice under one id (a `queued`
		// queued again after a crash) may have a copy in another page that was not delivered, or one
		// retried in this page, which must stay.
		const retried = new Set(outcome.retried.map(({ item }) => item.id));
		const single = read.filter((item) => !item.chunk && gone.has(item.id) && !retried.has(item.id));
		await inBatches(single, REMOVALS_AT_ONCE, (item) => this.persistence.removeByAssociations(openKeys(item)));
		await inBatches(chunksOf(read), REMOVALS_AT_ONCE, (items) => this.settleChunk(items, gone, outcome));
		if (page.id && this.sealed(page as PageRecord) && read.length === gone.size && !(await this.pageItems(page)).length)
			await this.records.removeAll([PAGE(page.id)]);
	}

	async list(filter: OutboxFilter = {}): Promise<StatusItem[]> {
		const states = filter.state === undefined ? undefined : ([] as OutboxState[]).concat(filter.state);
		const byId = new Map<string, StatusItem>();
		for (const item of [...(await this.pending()), ...(await this.failed())]) if (!byId.has(item.id)) byId.set(item.id, item);
		const found = [...byId.values()].filter(
			(item) =>
				(!states || states.includes(item.state)) && (filter.messageKey === undefined || item.messageKey === filter.messageKey),
		);
		found.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
		return found.slice(0, filter.limit ?? found.length);
	}

	/**
	 * One chunk after a run (`items`: all of it, as the run read it): removed when none is left,
	 * rewritten with the items left (retried ones with their new schedule) when some were settled.
	 * Only a delivery run (one at a time) rewrites a chunk, so the run's read is the whole chunk.
	 */
	private async settleChunk(items: StatusItem[], gone: Set<string>, outcome: PageOutcome<StatusPayload>): Promise<void> {
		const { chunk, page } = items[0] as Required<StatusItem>;
		const left = items.filter((item) => !gone.has(item.id));
		if (!left.length) {
			await this.persistence.removeByAssociations([OPEN, CHUNK(chunk)]);
			return;
		}
		const retried = new Map(outcome.retried.map(({ item, next }) => [item.id, next]));
		if (left.length === items.length && !left.some((item) => retried.has(item.id))) return;
		const kept = left.map((item) => ({
			...bare(item),
			...(retried.has(item.id) ? { state: 'pending' as const, ...retried.get(item.id) } : {}),
		}));
		await this.records.replace(chunkKeys(chunk, page), { chunk, page, json: JSON.stringify(kept) });
	}

	/** Moves failed items back to pending, due `now`, in a new page; their retry window restarts. Returns how many. */
	async requeue(ids: string[], now: number): Promise<number> {
		let moved = 0;
		for (const id of ids) {
			const [item] = (await this.read.readByAssociations([FAILED, ITEM(id)])) as StatusItem[];
			if (!item) continue;
			const { failedAt: _failedAt, ...kept } = item as StatusItem & { failedAt?: number };
			// Pending first, then the failed record goes: a write that fails leaves it failed (listed, to
			// retry again), never in neither state. Both at once (the removal failed) is one event: a run
			// POSTs it once, a later retry may POST it again with its `eventId` (at least once).
			await this.put({ ...kept, state: 'pending', attempts: 0, nextAttemptAt: now, requeuedAt: now });
			await this.records.removeAll([FAILED, ITEM(id)]);
			moved++;
		}
		return moved;
	}

	/** This writer's page for one more item: a new one (its directory record written first) when it is full. */
	private async pageFor(now: number): Promise<PageRecord> {
		const { record } = await this.room(now, 1);
		return record;
	}

	/**
	 * This writer's page with room (a new one, its directory record written first, when it is full):
	 * `take` (at most its free places) are counted in it, and `free` says how many that was.
	 */
	private async room(now: number, take = Infinity): Promise<{ record: PageRecord; free: number }> {
		if (!this.page || this.page.count >= this.pageSize) {
			const previous = this.page;
			const record: PageRecord = {
				id: crypto.randomBytes(12).toString('hex'),
				createdAt: now,
				openedAt: Date.now(),
				n: ++pagesOpened,
			};
			this.page = { record, count: 0, written: this.persistence.createWithAssociations(record, [PAGES, PAGE(record.id)]) };
			if (previous) void this.markFull(previous.record, previous.written);
		}
		const page = this.page;
		const free = Math.min(take, this.pageSize - page.count);
		page.count += free;
		await page.written;
		return { record: page.record, free };
	}

	private async markFull(record: PageRecord, written: Promise<unknown>): Promise<void> {
		await written;
		await this.records.replace([PAGES, PAGE(record.id)], { ...record, full: true });
	}

	private sealed(page: PageRecord): boolean {
		return page.full === true || Date.now() - (page.openedAt ?? Date.now()) >= PAGE_SEALED_AFTER_MS;
	}
}

/** The chunks among a run's items, each as its items. */
function chunksOf(read: StatusItem[]): StatusItem[][] {
	const chunks = new Map<string, StatusItem[]>();
	for (const item of read) {
		if (!item.chunk) continue;
		const chunk = chunks.get(item.chunk);
		if (chunk) chunk.push(item);
		else chunks.set(item.chunk, [item]);
	}
	return [...chunks.values()];
}

async function inBatches<T>(values: T[], size: number, work: (value: T) => Promise<unknown>): Promise<void> {
	for (let i = 0; i < values.length; i += size) await Promise.all(values.slice(i, i + size).map(work));
}
