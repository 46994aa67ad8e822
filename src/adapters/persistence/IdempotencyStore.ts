/**
 * The idempotency reservations and answers of templateMessage (core/app/idempotentRequest.ts), kept
 * for 24 hours in Rocket.Chat's app persistence, one record per scoped key.
 *
 * Reserving must be atomic, and the persistence bridge has no create-if-absent (records.ts: an
 * upsert matches by exact associations, there is no unique index). So a reservation is an election
 * over records each contender writes apart:
 *
 * 1. the key's records are read: a live entry holds the key (its holder is answered);
 * 2. the contender writes a claim of its own (a new record, with a token no one else has);
 * 3. the key's records are read again: if any other live claim or an entry is there, the contender
 *    withdraws its claim and is answered that holder (409 "in progress", or a replay); else it has
 *    won, writes the entry, and withdraws its claim.
 *
 * Of two contenders, the one that reads second sees the other's claim (written before its own read)
 * or, once that claim was withdrawn, the other's entry (written before the withdrawal): never do both
 * win, on one Rocket.Chat instance or on several. Both can lose when their steps interleave; each is
 * then answered 409 and a retry wins. Calls in one runtime also take a lock per key in module state
 * (the Apps-Engine's Deno runtime runs the app in one process: src/adapters/factory.ts), so that two
 * requests of one instance never both lose (while the one before answers within LOCK_WAIT_MS).
 *
 * Nothing removes records by their key: `release` removes the holder's own entry by its id, a claim
 * is withdrawn by its token, and the sweep removes whole days whose entries have all expired, so
 * that no removal can take an entry or a claim written after the remover looked. An expired entry
 * is ignored; entries and claims are swept by whole UTC days (a day association each), two days
 * after their day ended, when every entry of that day has expired: by the daily retention job
 * (src/entry/jobs/statusJobs.ts). A claim a crashed process left behind counts for CLAIM_LIVES_MS
 * (the instances' clocks are taken to agree within minutes, as NTP keeps them). Entries stored by
 * versions before day associations are ignored once expired and never swept.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Idempotency, StoredAnswer } from '../../core/app/sendTemplatesPorts';
import { Removal, whenAny } from '../../core/app/runBudget';
import { Records } from './records';

const crypto = require('crypto') as typeof import('crypto');

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** A claim is withdrawn within a reservation's few calls; one older than this was left by a crash. */
export const CLAIM_LIVES_MS = 10 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The days a sweep looks at, past those whose entries all expired (catching up on missed sweeps). */
const SWEEP_DAYS = 7;

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const ALL = misc('idempotency');
const record = (key: string) => misc(`idempotency:${key}`);
const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
const ENTRY_DAY = (isoDay: string) => misc(`idempotency-day:${isoDay}`);
const CLAIM_DAY = (isoDay: string) => misc(`idempotency-claim-day:${isoDay}`);
const ENTRY = (id: string) => misc(`idempotency-entry:${id}`);
/** An entry's: its key's (found by it), the one every entry has, its day's (the sweep's) and its own (its release's). */
const associations = (entry: StoredAnswer) => [record(entry.key), ALL, ENTRY_DAY(dayOf(entry.at)), ...(entry.id ? [ENTRY(entry.id)] : [])];
/** A claim's: its key's (read with the entries), its own token's (its withdrawal), its day's (the sweep's); not ALL. */
const claimOf = (token: string) => misc(`idempotency-claim:${token}`);

/** A contender's claim on a key, while it reserves (a pending holder to the others). */
interface Claim extends StoredAnswer {
	claim: string;
}

const isClaim = (record: StoredAnswer): record is Claim => typeof (record as Partial<Claim>).claim === 'string';
/** A claim written on a clock ahead of this one counts as live. */
const liveClaim = (claim: Claim, now: number) => now - claim.at < CLAIM_LIVES_MS;

/** Keys being reserved in this runtime: their elections run one at a time. */
const reserving = new Map<string, Promise<unknown>>();
/**
 * How long an election waits for the one before it in this runtime. The lock only keeps two requests
 * of one instance from both losing (409); an election whose calls to the server never come back must
 * not hold its key's later requests for ever, and one that goes ahead without it is still safe.
 */
export const LOCK_WAIT_MS = 10000;

/** Waits for `previous` to settle, `ms` at most. */
function settledWithin(previous: Promise<unknown>, ms: number): Promise<void> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
	return Promise.race([
		previous.then(
			() => undefined,
			() => undefined,
		),
		late,
	]).finally(() => clearTimeout(timer));
}

const live = (entry: StoredAnswer, now: number) => now - entry.at < IDEMPOTENCY_WINDOW_MS;
/** The key's live entry among its records (claims aside): the latest. */
const liveEntry = (records: StoredAnswer[], now: number): StoredAnswer | undefined =>
	records.filter((r) => !isClaim(r) && live(r, now)).sort((a, b) => b.at - a.at)[0];

/** The newest day (UTC) whose entries have all expired at `now`: two days back (an entry lives 24 hours after its time). */
export const newestSweepableDay = (now: number): string => dayOf(now - 2 * DAY_MS);

export class IdempotencyStore implements Idempotency {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	/** The key's live entry (an expired one is ignored: the sweep removes it). */
	async find(key: string, now: number): Promise<StoredAnswer | undefined> {
		return liveEntry(await this.keyRecords(key), now);
	}

	async reserve(entry: StoredAnswer, now: number): Promise<StoredAnswer | undefined> {
		const previous = reserving.get(entry.key);
		const mine = (previous ? settledWithin(previous, LOCK_WAIT_MS) : Promise.resolve()).then(() => this.elect(entry, now));
		reserving.set(entry.key, mine);
		try {
			return await mine;
		} finally {
			if (reserving.get(entry.key) === mine) reserving.delete(entry.key);
		}
	}

	/** Writes the entry (progress, the answer) over the one of its reservation: the same key and time. */
	async save(entry: StoredAnswer): Promise<void> {
		await this.records.put(associations(entry), entry);
	}

	/** Removes the holder's own entry, by its id: never another entry of the key, nor a claim. */
	async release(entry: StoredAnswer): Promise<void> {
		await this.records.removeAll(entry.id ? [ENTRY(entry.id)] : associations(entry));
	}

	/** Removes the entries and claims of the days whose entries all expired (a week of them); how many records went. */
	async sweep(now: number): Promise<number> {
		let removed = 0;
		const newest = newestSweepableDay(now);
		const days = Array.from({ length: SWEEP_DAYS }, (_, i) => dayOf(Date.parse(`${newest}T00:00:00.000Z`) - i * DAY_MS));
		for (const step of this.sweepSteps(newest, days)) removed += (await step(() => false)).removed;
		return removed;
	}

	/**
	 * The sweep of `days` as removals (a day's entries and its claims), each of which a caller's
	 * `stop` (its run's time is spent: the daily retention job) may end early; days after `newest`
	 * (newestSweepableDay) are left out. Days from the `direct`-th on are looked at first (one read
	 * each) and removed only when something is there. On a server that removes one record per call,
	 * each record then goes by its own association.
	 */
	sweepSteps(newest: string, days: string[], direct = Infinity): Removal[] {
		const own = (data: object) => {
			const r = data as StoredAnswer & Partial<Claim>;
			return r.claim ? [claimOf(r.claim)] : r.id ? [ENTRY(r.id)] : [record(r.key)];
		};
		return days
			.filter((day) => day <= newest)
			.flatMap((day, i) => {
				const buckets = [ENTRY_DAY(day), CLAIM_DAY(day)];
				const removals: Removal[] = buckets.map((bucket) => (stop) => this.records.drain([bucket], own, stop));
				if (i < direct) return removals;
				const any = async () =>
					(await Promise.all(buckets.map((b) => this.read.readByAssociations([b])))).some((found) => found.length > 0);
				return [whenAny(any, removals)];
			});
	}

	/** The election (see above): undefined when `entry` won the key, else the holder it lost to. */
	private async elect(entry: StoredAnswer, now: number): Promise<StoredAnswer | undefined> {
		const holder = await this.find(entry.key, now);
		if (holder) return holder;
		const token = crypto.randomBytes(12).toString('hex');
		const claim: Claim = { ...entry, claim: token, leaseUntil: now + CLAIM_LIVES_MS };
		await this.persistence.createWithAssociations(claim, [record(entry.key), claimOf(token), CLAIM_DAY(dayOf(entry.at))]);
		try {
			const records = await this.keyRecords(entry.key);
			const other = liveEntry(records, now) ?? records.find((r): r is Claim => isClaim(r) && r.claim !== token && liveClaim(r, now));
			if (other) return other;
			await this.save(entry);
			return undefined;
		} finally {
			// Withdrawn whether it won or lost; one not withdrawn (the server failed) lapses, and is swept.
			await this.records.removeAll([claimOf(token)]).catch(() => undefined);
		}
	}

	private async keyRecords(key: string): Promise<StoredAnswer[]> {
		return (await this.read.readByAssociation(record(key))) as StoredAnswer[];
	}
}
