/**
 * The webhook inbox (core/app/webhookBatch.ts `WebhookInbox`) over the app's persistence. A stored
 * webhook is two records that share its key `webhook-inbox:<id>`:
 *
 * - its head (attempts, lease, times, scope) under `webhook-inbox`: small, what a run lists and what
 *   a claim reads and rewrites;
 * - its events under `webhook-inbox-events`: written when the webhook is stored (with when,
 *   `storedAt`), read by the run that claims it, rewritten only when a run keeps some of them (left
 *   for later, or failed and retried). They are kept as one JSON string (`json`): a 1,000-status
 *   webhook then crosses the engine's bridge, and is stored, as one value rather than 1,000 objects
 *   of a dozen fields, which the engine encodes, decodes and writes to its debug log field by field
 *   (`util.inspect` of every message, whether that log is on or not: AppsEngineDenoRuntime), and
 *   MongoDB stores as as many embedded documents. Records of earlier versions (`events`) are read
 *   as they are.
 *
 * A run lists every stored webhook; with the events in the same record, a backlog of 1,000-status
 * webhooks crossed the engine's bridge whole at every run, and each claim wrote a whole webhook back.
 * Records stored by earlier versions hold head and events in one record under the same key: they
 * are read as they are, and become two records at their first `save` (an events record written by a
 * save whose head was not rewritten wins over the events the head still holds). Removal takes the
 * events first: a run that dies half way leaves a head, which a claim finds without events and
 * removes, never events that no head lists. (A version before the split cannot read the new
 * records: the app is not downgraded while webhooks wait in its inbox.)
 *
 * `add` writes both records at once: the acknowledgement Meta waits for then waits for one write to
 * the host, not two in turn. A head can so be listed before its events are stored: a claim leaves
 * a head without events while its `storedAt` is younger than `ADD_UNDER_WAY_MS` (the add that
 * wrote it ends well within that, or failed and removes it), and an older one is a leftover (a
 * process that died between the writes, or a removal half done): claimed with no events, and so
 * removed. When either write fails, the add removes both and fails (the caller answers Meta with
 * an error, and Meta sends the webhook again). When its process dies before the head is written,
 * the events stay without one: `sweepOrphans` removes them once old enough, and only while the
 * inbox holds no head.
 * It passes the same contract suite as the in-memory inbox (test/unit/status/webhookInboxStore.test.ts).
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { InboxEntry, InboxHead, WebhookInbox } from '../../core/app/webhookBatch';
import { WebhookEvent } from '../../core/status/webhook';
import { Records } from './records';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const INBOX = misc('webhook-inbox');
const EVENTS = misc('webhook-inbox-events');
const KEY = (id: string) => misc(`webhook-inbox:${id}`);
const headKeys = (id: string) => [INBOX, KEY(id)];
const eventKeys = (id: string) => [EVENTS, KEY(id)];

/**
 * A head record: `storedAt` is when `add` wrote it. A claim keeps it; a `save` writes the head
 * without it (its events were rewritten), as earlier versions wrote every head (and only after the
 * events). One stored by an earlier version also holds the events.
 */
type StoredHead = InboxHead & { events?: WebhookEvent[]; storedAt?: number };

/**
 * How long a head without events may be an `add` still writing them: an add is one call of a
 * handler, which the engine answers within 30 s, and the add's writes go out together. As long as a
 * claim's lease (webhookBatch.ts INBOX_LEASE_MS), so that instances whose clocks differ by a minute
 * still agree; a leftover head only waits that much longer to be removed.
 */
export const ADD_UNDER_WAY_MS = 5 * 60000;

/**
 * An events record. `storedAt`: when `add` wrote it (a save rewrites the record without it, as
 * records written before it was kept have none).
 */
type StoredEvents = { id: string; json?: string; events?: WebhookEvent[]; storedAt?: number };

/** The events of an events record, as this version (`json`) or an earlier one (`events`) wrote them. */
const eventsOf = (stored: StoredEvents | undefined): WebhookEvent[] | undefined =>
	typeof stored?.json === 'string' ? (JSON.parse(stored.json) as WebhookEvent[]) : stored?.events;

const headOf = ({ events: _events, storedAt: _storedAt, ...head }: StoredHead): InboxHead => head;

export class PersistenceWebhookInbox implements WebhookInbox {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	/**
	 * Both records at once. When either cannot be written the webhook is not stored (the caller
	 * answers Meta with an error, and Meta sends it again): the other goes too.
	 */
	async add(entry: InboxEntry, options: { now: number }): Promise<void> {
		const { events, ...head } = entry;
		const stored: StoredEvents = { id: entry.id, json: JSON.stringify(events), storedAt: options.now };
		const written = await Promise.allSettled([
			this.persistence.createWithAssociations(stored, eventKeys(entry.id)),
			this.persistence.createWithAssociations({ ...head, storedAt: options.now }, headKeys(entry.id)),
		]);
		const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected');
		if (!failed) return;
		await this.records.removeAll(headKeys(entry.id)).catch(() => undefined);
		await this.records.removeAll(eventKeys(entry.id)).catch(() => undefined);
		throw failed.reason;
	}

	async list(): Promise<InboxHead[]> {
		return ((await this.read.readByAssociation(INBOX)) as StoredHead[]).map(headOf);
	}

	/**
	 * Every webhook starts a run and the recurring job runs too. Persistence has no atomic update: the
	 * claim is a read and a write of the head, and a run that finds the entry held, or gone, or its
	 * add still under way (a young head without events), leaves it. The events are read with the
	 * head when the head is as `add` wrote it (`storedAt`): such events change only by a `save`, that
	 * is after a claim, the race that the head's write already narrows. A head a `save` rewrote (or
	 * an earlier version wrote) may be a run's release of events it has just rewritten: its events
	 * are read again after the claim's write, as they always were.
	 */
	async claim(id: string, options: { now: number; leaseMs: number }): Promise<InboxEntry | undefined> {
		const [[current], [stored]] = (await Promise.all([
			this.read.readByAssociations(headKeys(id)),
			this.read.readByAssociations(eventKeys(id)),
		])) as [StoredHead[], StoredEvents[]];
		if (!current || (current.claimedUntil ?? 0) > options.now) return undefined;
		let events = eventsOf(stored) ?? current.events;
		if (!events && current.storedAt !== undefined && options.now - current.storedAt < ADD_UNDER_WAY_MS) return undefined;
		const claimed = { ...current, claimedUntil: options.now + options.leaseMs };
		if (!(await this.records.replace(headKeys(id), claimed))) return undefined;
		if (current.storedAt === undefined) {
			const [after] = (await this.read.readByAssociations(eventKeys(id))) as StoredEvents[];
			events = eventsOf(after) ?? current.events;
		}
		return { ...headOf(claimed), events: events ?? [] };
	}

	/** The events, then the head (in place of the stored one, never bringing back one that is gone). */
	async save(entry: InboxEntry): Promise<void> {
		const [current] = (await this.read.readByAssociations(headKeys(entry.id))) as StoredHead[];
		if (!current) return;
		const { events, ...head } = entry;
		await this.records.put(eventKeys(entry.id), { id: entry.id, json: JSON.stringify(events) });
		if (!(await this.records.replace(headKeys(entry.id), head))) await this.records.removeAll([KEY(entry.id)]);
	}

	async remove(id: string): Promise<void> {
		await this.records.removeAll(eventKeys(id));
		await this.records.removeAll(headKeys(id));
	}

	/**
	 * Every events record, and the events of heads an earlier version wrote with them: two reads.
	 * Events an `add` that died left without a head are among them (Meta sends that webhook again).
	 */
	async events(): Promise<WebhookEvent[]> {
		const [records, heads] = (await Promise.all([this.read.readByAssociation(EVENTS), this.read.readByAssociation(INBOX)])) as [
			StoredEvents[],
			StoredHead[],
		];
		return [...records.map(eventsOf), ...heads.map((head) => head.events)].flatMap((events) => events ?? []);
	}

	/**
	 * Events records no head lists: what an `add` whose process died between its two writes left.
	 * Only while the inbox holds no head, so that a waiting backlog's events never cross the bridge
	 * for it: every events record then is such a leftover or an `add` under way, which the age,
	 * counted from the record's `storedAt`, keeps (heads that appear meanwhile are new `add`s, whose
	 * events are new too). A record without `storedAt` (written by an earlier version, or rewritten by
	 * a `save`) is given `now` by the first sweep that finds it, and goes `olderThanMs` later: never
	 * at first sight, when it may be an earlier version's `add` under way on another instance.
	 */
	async sweepOrphans(now: number, olderThanMs: number): Promise<number> {
		if ((await this.read.readByAssociation(INBOX)).length) return 0;
		let removed = 0;
		for (const record of (await this.read.readByAssociation(EVENTS)) as StoredEvents[]) {
			if (typeof record.storedAt !== 'number') await this.records.replace(eventKeys(record.id), { ...record, storedAt: now });
			else if (record.storedAt + olderThanMs <= now) removed += await this.records.removeAll(eventKeys(record.id));
		}
		return removed;
	}
}
