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
/** The directory of pages: one record per page holding open items. */
const PAGES = misc('outbox:pages');
const ITEM = (id: string) => misc(`outbox-item:${id}`);
const PAGE = (id: string) => misc(`outbox-page:${id}`);

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
 * - a delivery run reads the directory, then each page's items (one read per page);
 * - a settled page costs, when every item it held was delivered and no writer adds to it any more,
 *   ONE removal by the page's key (items and directory record at once); otherwise one removal per
 *   delivered item (16 at once), one write per retried one, and two per failed one (kept under
 *   `outbox:failed`).
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
		return (await this.read.readByAssociation(OPEN)) as StatusItem[];
	}

	async failed(): Promise<StatusItem[]> {
		return (await this.read.readByAssociation(FAILED)) as StatusItem[];
	}

	/** Stores the item in this writer's page: one write (and one for a new page's directory record). */
	async put(item: StatusItem): Promise<boolean> {
		const page = await this.pageFor(item.createdAt);
		await this.persistence.createWithAssociations({ ...item, page: page.id }, openKeys({ id: item.id, page: page.id }));
		return true;
	}

	async pages(): Promise<OutboxPage[]> {
		const listed = (await this.read.readByAssociation(PAGES)) as PageRecord[];
		if (!listed.length) return (await this.pending()).length ? [LOOSE] : [];
		return listed.sort((a, b) => a.createdAt - b.createdAt || a.openedAt - b.openedAt || a.n - b.n || (a.id < b.id ? -1 : 1));
	}

	async pageItems(page: OutboxPage): Promise<StatusItem[]> {
		if (!page.id) return this.pending();
		return (await this.read.readByAssociations([OPEN, PAGE(page.id)])) as StatusItem[];
	}

	async settle(page: OutboxPage, read: StatusItem[], outcome: PageOutcome<StatusPayload>): Promise<void> {
		await Promise.all(
			outcome.retried.map(({ item, next }) => this.records.replace(openKeys(item), { ...item, state: 'pending', ...next })),
		);
		for (const { item, lastError } of outcome.failed)
			await this.persistence.createWithAssociations({ ...item, state: 'failed', lastError }, [FAILED, ITEM(item.id)]);
		const gone = new Set([...outcome.delivered, ...outcome.failed.map((f) => f.item.id)]);
		if (page.id && this.sealed(page as PageRecord) && read.every((item) => gone.has(item.id))) {
			// Nothing left that this run read, and no writer adds: the page goes in one removal. Items
			// put since the read would be lost, so a page a writer may still fill is never removed so.
			await this.records.removeAll([PAGE(page.id)]);
			return;
		}
		await inBatches([...gone], REMOVALS_AT_ONCE, (id) => this.persistence.removeByAssociations([OPEN, ITEM(id)]));
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

	/** Moves failed items back to pending, due `now`, in a new page; their retry window restarts. Returns how many. */
	async requeue(ids: string[], now: number): Promise<number> {
		let moved = 0;
		for (const id of ids) {
			const [item] = (await this.read.readByAssociations([FAILED, ITEM(id)])) as StatusItem[];
			if (!item) continue;
			await this.records.removeAll([FAILED, ITEM(id)]);
			await this.put({ ...item, state: 'pending', attempts: 0, nextAttemptAt: now, requeuedAt: now });
			moved++;
		}
		return moved;
	}

	/** This writer's page for one more item: a new one (its directory record written first) when it is full. */
	private async pageFor(now: number): Promise<PageRecord> {
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
		this.page.count++;
		await this.page.written;
		return this.page.record;
	}

	private async markFull(record: PageRecord, written: Promise<unknown>): Promise<void> {
		await written;
		await this.records.replace([PAGES, PAGE(record.id)], { ...record, full: true });
	}

	private sealed(page: PageRecord): boolean {
		return page.full === true || Date.now() - (page.openedAt ?? Date.now()) >= PAGE_SEALED_AFTER_MS;
	}
}

async function inBatches<T>(values: T[], size: number, work: (value: T) => Promise<unknown>): Promise<void> {
	for (let i = 0; i < values.length; i += size) await Promise.all(values.slice(i, i + size).map(work));
}
