/**
 * App persistence, as Rocket.Chat's AppPersistenceBridge stores it
 * (apps/meteor/app/apps/server/bridges/persistence.ts), a MongoDB collection of
 * `{ _id, appId, associations, data }` documents. The harness evaluates the very query objects
 * Rocket.Chat builds with mingo (a MongoDB query engine), so MongoDB's rules come from a library
 * that implements them, not from hand-written matching:
 *
 * - read and remove by associations query `{ appId, associations: { $all: associations } }`: a
 *   record holding every given association (and maybe more) matches;
 * - update by associations queries `{ appId, associations }`: MongoDB's equality on an array, so
 *   only a record whose array is exactly equal (same elements, same order, same length) matches.
 *   With `upsert` and no match, a record with exactly that array is inserted; without, nothing
 *   happens and nothing is thrown;
 * - `readById` checks no appId; `update` by id throws 'Not implemented.' in every version.
 *
 * Rocket.Chat versions differ in two answers; `variant` picks one, and the app must be right under
 * both:
 * - 'current' (the default; the 7.x/8.x builds: the `.then(({ upsertedId }) => upsertedId || '')`
 *   form): update answers the upserted id or '' when a record was updated or nothing matched;
 *   remove by associations deletes every match (`AppsPersistenceModel.remove` is `deleteMany`,
 *   packages/models/src/models/AppsPersistence.ts); purge deletes all of the app's records.
 * - 'raw-model' (the raw-model versions, e.g. commit 02793f567cdd4851e1fe09ac08be4695fe4d1b89):
 *   update answers `result.upsertedId.toString()`, which throws a TypeError AFTER the write when
 *   nothing was upserted (an update of an existing record, or no match); remove by associations
 *   and purge call `deleteOne`, so only the first match goes (all matches' data is still answered).
 *
 * Not modelled: MongoDB compares embedded documents field by field in order, mingo ignores field
 * order; the engine always sends associations as `{ model, id }`, so the difference never shows.
 */
import { randomUUID } from 'crypto';

import { Query } from 'mingo';

import { PersistenceRecord } from '../world';
import { BridgeContext, BridgeMethods } from './context';

export type PersistenceVariant = 'current' | 'raw-model';

export interface PersistenceOptions {
	variant?: PersistenceVariant;
	/**
	 * Milliseconds every persistence call waits, as MongoDB behind the engine would (0 by default;
	 * 1 shows what a real server sees).
	 */
	latencyMs?: number;
}

type Association = { model: string; id: string };

/** Persistence hands out copies, as a database does. */
function clone<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

/** The engine's association records, as MongoDB stores them. */
const plain = (associations: Association[]): Association[] => associations.map((a) => ({ model: a.model, id: a.id }));

/** An index key of one association. */
const keyOf = (a: Association) => `${a.model}\u0000${a.id}`;

/**
 * MongoDB's index on the app's records' associations (Rocket.Chat declares `{ appId: 1, associations: 1 }`
 * on `apps_persistence`, packages/models/src/models/AppsPersistence.ts): a query by associations looks
 * only at the records holding one of them, not at every record. The query itself is still evaluated
 * by mingo on those candidates, so the answers are the same as a full scan; only the cost differs,
 * as it does between a collection scan and an index scan. Records added or removed outside the bridge
 * (a test pushing into `world.persistence`) are picked up before the next query.
 */
class AssociationIndex {
	private readonly byKey = new Map<string, Set<PersistenceRecord>>();
	private readonly known = new Set<PersistenceRecord>();

	constructor(private readonly records: PersistenceRecord[]) {}

	/**
	 * The records that may match a query holding all of `associations`, in the collection's order: a
	 * Set iterates in insertion order, and records enter the index in the order they enter the
	 * collection (appended), which removals do not change.
	 */
	candidates(associations: Association[]): PersistenceRecord[] {
		this.sync();
		let smallest: Set<PersistenceRecord> | undefined;
		for (const association of associations) {
			const set = this.byKey.get(keyOf(association));
			if (!set) return [];
			if (!smallest || set.size < smallest.size) smallest = set;
		}
		return smallest ? [...smallest] : [...this.records];
	}

	/** Whether the record is in the collection, as far as the index knows. */
	has(record: PersistenceRecord): boolean {
		return this.known.has(record);
	}

	/**
	 * Keeps the index right when a test assigns a record's `associations` (to age a record, say): the
	 * property becomes an accessor that re-indexes the record.
	 */
	track(record: PersistenceRecord): void {
		let associations = record.associations;
		Object.defineProperty(record, 'associations', {
			enumerable: true,
			configurable: true,
			get: () => associations,
			set: (value: Association[]) => {
				const indexed = this.has(record);
				if (indexed) this.remove(record);
				associations = value;
				if (indexed) this.add(record);
			},
		});
	}

	add(record: PersistenceRecord): void {
		this.known.add(record);
		for (const association of record.associations) {
			const key = keyOf(association);
			let set = this.byKey.get(key);
			if (!set) this.byKey.set(key, (set = new Set()));
			set.add(record);
		}
	}

	remove(record: PersistenceRecord): void {
		this.known.delete(record);
		for (const association of record.associations) {
			const set = this.byKey.get(keyOf(association));
			set?.delete(record);
			if (set && !set.size) this.byKey.delete(keyOf(association));
		}
	}

	/** Catches up with records added or removed outside the bridge (rare: a rebuild). */
	sync(): void {
		const last = this.records[this.records.length - 1];
		if (this.known.size === this.records.length && (!last || this.known.has(last))) return;
		this.byKey.clear();
		this.known.clear();
		for (const record of this.records) {
			if (!Object.getOwnPropertyDescriptor(record, 'associations')?.get) this.track(record);
			this.add(record);
		}
	}
}

export function persistenceBridge({ world: w }: BridgeContext, options: PersistenceOptions = {}): BridgeMethods {
	const variant = options.variant ?? 'current';
	const latency = options.latencyMs ?? 0;
	const wait = () => (latency > 0 ? new Promise<void>((resolve) => setTimeout(resolve, latency)) : Promise.resolve());
	const index = new AssociationIndex(w.persistence);
	const test = (query: object, records: PersistenceRecord[]): PersistenceRecord[] => {
		const q = new Query(query as Record<string, unknown>);
		return records.filter((r) => q.test(r as unknown as Record<string, unknown>));
	};
	const find = (query: object): PersistenceRecord[] => test(query, w.persistence);
	/** A query by associations, through the index. */
	const findBy = (associations: Association[], query: object): PersistenceRecord[] => test(query, index.candidates(associations));
	const insert = (record: PersistenceRecord) => {
		index.sync();
		index.track(record);
		w.persistence.push(record);
		index.add(record);
	};
	const deleteRecords = (records: PersistenceRecord[]) => {
		const doomed = new Set(variant === 'raw-model' ? records.slice(0, 1) : records);
		if (doomed.size === 1) {
			const [record] = doomed;
			w.persistence.splice(w.persistence.indexOf(record), 1);
		} else {
			let kept = 0;
			for (const record of w.persistence) if (!doomed.has(record)) w.persistence[kept++] = record;
			w.persistence.length = kept;
		}
		for (const record of doomed) index.remove(record);
	};
	const methods: BridgeMethods = {
		purge: async (appId: string) => deleteRecords(find({ appId })),
		create: async (data: object, appId: string) => {
			if (typeof data !== 'object') throw new Error('Attempted to store an invalid data type, it must be an object.');
			const id = randomUUID();
			insert({ id, appId, data: clone(data), associations: [] });
			return id;
		},
		createWithAssociations: async (data: object, associations: Association[], appId: string) => {
			if (typeof data !== 'object') throw new Error('Attempted to store an invalid data type, it must be an object.');
			const id = randomUUID();
			insert({ id, appId, data: clone(data), associations: plain(associations) });
			return id;
		},
		// `findOneById(id)`: no appId in the query.
		readById: async (id: string) => {
			const record = w.persistence.find((r) => r.id === id);
			return record ? clone(record.data) : undefined;
		},
		readByAssociations: async (associations: Association[], appId: string) =>
			findBy(associations, { appId, associations: { $all: plain(associations) } }).map((r) => clone(r.data)),
		remove: async (id: string, appId: string) => {
			const [record] = find({ id, appId });
			if (!record) return undefined;
			deleteRecords([record]);
			return record.data;
		},
		removeByAssociations: async (associations: Association[], appId: string) => {
			const records = findBy(associations, { appId, associations: { $all: plain(associations) } });
			if (!records.length) return undefined;
			deleteRecords(records);
			return records.map((r) => r.data);
		},
		update: async (_id: string, data: object) => {
			if (typeof data !== 'object') throw new Error('Attempted to store an invalid data type, it must be an object.');
			throw new Error('Not implemented.');
		},
		updateByAssociations: async (associations: Association[], data: object, upsert: boolean, appId: string) => {
			if (typeof data !== 'object') throw new Error('Attempted to store an invalid data type, it must be an object.');
			// updateOne: the first record whose array is exactly `associations`.
			const [record] = findBy(associations, { appId, associations: plain(associations) });
			let upsertedId: string | null = null;
			if (record) {
				record.data = clone(data);
			} else if (upsert) {
				upsertedId = randomUUID();
				insert({ id: upsertedId, appId, data: clone(data), associations: plain(associations) });
			}
			if (variant === 'raw-model') return (upsertedId as unknown as { toString(): string }).toString();
			return upsertedId || '';
		},
	};
	// Every call is counted (`world.persistenceCalls`, by method), and waits `latencyMs` first when set:
	// concurrent calls wait side by side, as concurrent queries to a database do. A delay the test set
	// (`world.persistenceDelay`) makes it wait longer, and a fault (`world.persistenceFault`) fails the
	// call then, as a database error would.
	const counted: BridgeMethods = {};
	for (const [name, method] of Object.entries(methods)) {
		counted[name] = async (...args: unknown[]) => {
			w.persistenceCalls[name] = (w.persistenceCalls[name] ?? 0) + 1;
			if (latency > 0) await wait();
			const delay = w.persistenceDelay?.(name, args);
			if (delay) await new Promise<void>((resolve) => setTimeout(resolve, delay));
			const fault = w.persistenceFault?.(name, args);
			if (fault) throw fault;
			return method(...args);
		};
	}
	return counted;
}
