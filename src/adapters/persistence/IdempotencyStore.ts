/**
 * The idempotency reservations and answers of templateMessage (core/app/idempotentRequest.ts), kept
 * for 24 hours in Rocket.Chat's app persistence, one record per scoped key.
 *
 * Reserving must be atomic, and the persistence bridge has no create-if-absent (records.ts: an
 * upsert matches by exact associations, there is no unique index). Two calls in one runtime are
 * kept apart by a lock per key in module state: the Apps-Engine's Deno runtime runs the app in one
 * process that handles all its calls (see src/adapters/factory.ts), so the lock covers every call
 * of this Rocket.Chat instance, and the read-then-write of a reservation happens under it. What
 * remains with several Rocket.Chat instances: each has its own process and lock, so two requests
 * with one key that reach two instances within the few milliseconds between the read and the write
 * could both reserve it. Closing that needs an atomic write the bridge does not offer.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Idempotency, StoredAnswer } from '../../core/app/sendTemplatesPorts';
import { Records } from './records';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Expired entries are also swept at most this often (per runtime), by the next reservation. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;

const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'idempotency');
const record = (key: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `idempotency:${key}`);
/** Every entry carries both: its key's (found and replaced by it) and the one the sweep reads. */
const associations = (key: string) => [record(key), ALL];

/** Keys being reserved in this runtime: their read-then-write runs one at a time. */
const reserving = new Map<string, Promise<unknown>>();
let lastSweep = 0;

const live = (entry: StoredAnswer, now: number) => now - entry.at < IDEMPOTENCY_WINDOW_MS;

export class IdempotencyStore implements Idempotency {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	async find(key: string, now: number): Promise<StoredAnswer | undefined> {
		const entries = (await this.read.readByAssociation(record(key))) as StoredAnswer[];
		const entry = entries.filter((e) => live(e, now)).sort((a, b) => b.at - a.at)[0];
		if (!entry && entries.length) await this.records.removeAll([record(key)]);
		return entry;
	}

	async reserve(entry: StoredAnswer, now: number): Promise<StoredAnswer | undefined> {
		const previous = reserving.get(entry.key) ?? Promise.resolve();
		const mine = previous
			.catch(() => undefined)
			.then(async () => {
				const holder = await this.find(entry.key, now);
				if (!holder) await this.save(entry);
				return holder;
			});
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

	async release(key: string): Promise<void> {
		await this.records.removeAll([record(key)]);
	}

	async sweep(now: number): Promise<number> {
		const entries = (await this.read.readByAssociation(ALL)) as StoredAnswer[];
		const expired = [...new Set(entries.filter((e) => !live(e, now)).map((e) => e.key))];
		for (const key of expired) await this.records.removeAll([record(key)]);
		return expired.length;
	}
}
