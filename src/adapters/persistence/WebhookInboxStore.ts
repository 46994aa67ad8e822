/**
 * The webhook inbox (core/app/webhookBatch.ts `WebhookInbox`) over the app's persistence. A stored
 * webhook is two records that share its key `webhook-inbox:<id>`:
 *
 * - its head (attempts, lease, times, scope) under `webhook-inbox`: small, what a run lists and what
 *   a claim reads and rewrites;
 * - its events under `webhook-inbox-events`: written when the webhook is stored (with when,
 *   `storedAt`), read by the run that claims it, rewritten only when a run keeps some of them (left
 *   for later, or failed and retried).
 *
 * A run lists every stored webhook; with the events in the same record, a backlog of 1,000-status
 * webhooks crossed the engine's bridge whole at every run, and each claim wrote a whole webhook back.
 * Records stored by earlier versions hold head and events in one record under the same key: they
 * are read as they are, and become two records at their first `save` (an events record written by a
 * save whose head was not rewritten wins over the events the head still holds). Removal takes the
 * events first: a run that dies half way leaves a head, which the next claim finds without events
 * and removes, never events that no head lists. (A version before the split cannot read the new
 * records: the app is not downgraded while webhooks wait in its inbox.)
 * `add` writes the events first: when its process dies before the head, the events stay without
 * one (Meta, never answered, sends the webhook again). `sweepOrphans` removes them once old enough,
 * and only while the inbox holds no head.
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

/** A head record; one stored by an earlier version also holds the events. */
type StoredHead = InboxHead & { events?: WebhookEvent[] };

/**
 * An events record. `storedAt`: when `add` wrote it (a save rewrites the record without it, as
 * records written before it was kept have none).
 */
type StoredEvents = { id: string; events: WebhookEvent[]; storedAt?: number };

const headOf = ({ events: _events, ...head }: StoredHead): InboxHead => head;

export class PersistenceWebhookInbox implements WebhookInbox {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	/**
	 * The events first: a listed head always has them. When the head cannot be written the webhook is
	 * not stored (the caller answers Meta with an error, and Meta sends it again): its events go too.
	 */
	async add(entry: InboxEntry, options: { now: number }): Promise<void> {
		const { events, ...head } = entry;
		const stored: StoredEvents = { id: entry.id, events, storedAt: options.now };
		await this.persistence.createWithAssociations(stored, eventKeys(entry.id));
		try {
			await this.persistence.createWithAssociations(head, headKeys(entry.id));
		} catch (error) {
			await this.records.removeAll(eventKeys(entry.id)).catch(() => undefined);
			throw error;
		}
	}

	async list(): Promise<InboxHead[]> {
		return ((await this.read.readByAssociation(INBOX)) as StoredHead[]).map(headOf);
	}

	/**
	 * Every webhook starts a run and the recurring job runs too. Persistence has no atomic update: the
	 * claim is a read and a write of the head, and a run that finds the entry held, or gone, leaves it.
	 * Then the events are read.
	 */
	async claim(id: string, options: { now: number; leaseMs: number }): Promise<InboxEntry | undefined> {
		const [current] = (await this.read.readByAssociations(headKeys(id))) as StoredHead[];
		if (!current || (current.claimedUntil ?? 0) > options.now) return undefined;
		const claimed = { ...current, claimedUntil: options.now + options.leaseMs };
		if (!(await this.records.replace(headKeys(id), claimed))) return undefined;
		const [stored] = (await this.read.readByAssociations(eventKeys(id))) as Array<{ events?: WebhookEvent[] }>;
		return { ...headOf(claimed), events: stored?.events ?? current.events ?? [] };
	}

	/** The events, then the head (in place of the stored one, never bringing back one that is gone). */
	async save(entry: InboxEntry): Promise<void> {
		const [current] = (await this.read.readByAssociations(headKeys(entry.id))) as StoredHead[];
		if (!current) return;
		const { events, ...head } = entry;
		await this.records.put(eventKeys(entry.id), { id: entry.id, events });
		if (!(await this.records.replace(headKeys(entry.id), head))) await this.records.removeAll([KEY(entry.id)]);
	}

	async remove(id: string): Promise<void> {
		await this.records.removeAll(eventKeys(id));
		await this.records.removeAll(headKeys(id));
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
