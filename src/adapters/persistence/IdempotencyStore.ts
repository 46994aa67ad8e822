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
 * then answered 409 and a retry wins. A claim a crashed process left behind counts for CLAIM_LIVES_MS
 * only, and the sweep removes it. Calls in one runtime also take a lock per key in module state (the
 * Apps-Engine's Deno runtime runs the app in one process: src/adapters/factory.ts), so that two
 * requests of one instance never both lose.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Idempotency, StoredAnswer } from '../../core/app/sendTemplatesPorts';
import { Records } from './records';

const crypto = require('crypto') as typeof import('crypto');

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Expired entries are also swept at most this often (per runtime), by the next reservation. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** A claim is withdrawn within a reservation's few calls; one older than this was left by a crash. */
export const CLAIM_LIVES_MS = 30000;

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const ALL = misc('idempotency');
const record = (key: string) => misc(`idempotency:${key}`);
/** Every entry carries both: its key's (found and replaced by it) and the one the sweep reads. */
const associations = (key: string) => [record(key), ALL];
/** Claims carry their key's (read with the entries), their own token's, and the one the sweep reads; not ALL. */
const CLAIMS = misc('idempotency-claims');
const claimOf = (token: string) => misc(`idempotency-claim:${token}`);

/** A contender's claim on a key, while it reserves (a pending holder to the others). */
interface Claim extends StoredAnswer {
	claim: string;
}

const isClaim = (record: StoredAnswer): record is Claim => typeof (record as Partial<Claim>).claim === 'string';
const liveClaim = (claim: Claim, now: number) => Math.abs(now - claim.at) < CLAIM_LIVES_MS;

/** Keys being reserved in this runtime: their read-then-write runs one at a time. */
const reserving = new Map<string, Promise<unknown>>();
let lastSweep = 0;

const live = (entry: StoredAnswer, now: number) => now - entry.at < IDEMPOTENCY_WINDOW_MS;
/** The key's live entry among its records (claims aside): the latest. */
const liveEntry = (records: StoredAnswer[], now: number): StoredAnswer | undefined =>
	records.filter((r) => !isClaim(r) && live(r, now)).sort((a, b) => b.at - a.at)[0];

export class IdempotencyStore implements Idempotency {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	async find(key: string, now: number): Promise<StoredAnswer | undefined> {
		const records = await this.keyRecords(key);
		const entry = liveEntry(records, now);
		if (!entry && records.some((r) => !isClaim(r))) await this.records.removeAll(associations(key));
		return entry;
	}

	async reserve(entry: StoredAnswer, now: number): Promise<StoredAnswer | undefined> {
		const previous = reserving.get(entry.key) ?? Promise.resolve();
		const mine = previous.catch(() => undefined).then(() => this.elect(entry, now));
		reserving.set(entry.key, mine);
		try {
			return await mine;
		} finally {
			if (reserving.get(entry.key) === mine) reserving.delete(entry.key);
			if (now - lastSweep >= SWEEP_EVERY_MS) {
				lastSweep = now;
				await this.sweep(now).catch(() => undefined);
			}
		}
	}

	async save(entry: StoredAnswer): Promise<void> {
		await this.records.put(associations(entry.key), entry);
	}

	/** Removes the key's entry, never a claim: a contender reserving meanwhile keeps its own. */
	async release(key: string): Promise<void> {
		await this.records.removeAll(associations(key));
	}

	/** Removes expired entries (answers how many keys), and claims left by a crash. */
	async sweep(now: number): Promise<number> {
		return (await this.sweepUntil(now)).keys;
	}

	/**
	 * `sweep` that a caller's `stop` (its run's time is spent: the daily retention job) may end early;
	 * `done` says whether all went.
	 */
	async sweepUntil(now: number, stop?: () => boolean): Promise<{ keys: number; removed: number; done: boolean }> {
		const entries = (await this.read.readByAssociation(ALL)) as StoredAnswer[];
		const expired = [...new Set(entries.filter((e) => !live(e, now)).map((e) => e.key))];
		const claims = (await this.read.readByAssociation(CLAIMS)) as Claim[];
		const doomed = [...expired.map(associations), ...claims.filter((c) => !liveClaim(c, now)).map((c) => [claimOf(c.claim)])];
		let removed = 0;
		for (const keys of doomed) {
			if (stop?.()) return { keys: expired.length, removed, done: false };
			const one = await this.records.drain(keys, undefined, stop);
			removed += one.removed;
			if (!one.done) return { keys: expired.length, removed, done: false };
		}
		return { keys: expired.length, removed, done: true };
	}

	/** The election (see above): undefined when `entry` won the key, else the holder it lost to. */
	private async elect(entry: StoredAnswer, now: number): Promise<StoredAnswer | undefined> {
		const holder = await this.find(entry.key, now);
		if (holder) return holder;
		const token = crypto.randomBytes(12).toString('hex');
		const claim: Claim = { ...entry, claim: token, leaseUntil: now + CLAIM_LIVES_MS };
		await this.persistence.createWithAssociations(claim, [record(entry.key), CLAIMS, claimOf(token)]);
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
