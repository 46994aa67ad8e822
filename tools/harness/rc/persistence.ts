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

export function persistenceBridge({ world: w }: BridgeContext, options: PersistenceOptions = {}): BridgeMethods {
	const variant = options.variant ?? 'current';
	const latency = options.latencyMs ?? 0;
	const wait = () => (latency > 0 ? new Promise<void>((resolve) => setTimeout(resolve, latency)) : Promise.resolve());
	const find = (query: object): PersistenceRecord[] => {
		const q = new Query(query as Record<string, unknown>);
		return w.persistence.filter((r) => q.test(r as unknown as Record<string, unknown>));
	};
	const deleteRecords = (records: PersistenceRecord[]) => {
		for (const record of variant === 'raw-model' ? records.slice(0, 1) : records)
			w.persistence.splice(w.persistence.indexOf(record), 1);
	};
	const methods: BridgeMethods = {
		purge: async (appId: string) => deleteRecords(find({ appId })),
		create: async (data: object, appId: string) => {
			if (typeof data !== 'object') throw new Error('Attempted to store an invalid data type, it must be an object.');
			const id = randomUUID();
			w.persistence.push({ id, appId, data: clone(data), associations: [] });
			return id;
		},
		createWithAssociations: async (data: object, associations: Association[], appId: string) => {
			if (typeof data !== 'object') throw new Error('Attempted to store an invalid data type, it must be an object.');
			const id = randomUUID();
			w.persistence.push({ id, appId, data: clone(data), associations: plain(associations) });
			return id;
		},
		// `findOneById(id)`: no appId in the query.
		readById: async (id: string) => {
			const record = w.persistence.find((r) => r.id === id);
			return record ? clone(record.data) : undefined;
		},
		readByAssociations: async (associations: Association[], appId: string) =>
			find({ appId, associations: { $all: plain(associations) } }).map((r) => clone(r.data)),
		remove: async (id: string, appId: string) => {
			const [record] = find({ id, appId });
			if (!record) return undefined;
			w.persistence.splice(w.persistence.indexOf(record), 1);
			return record.data;
		},
		removeByAssociations: async (associations: Association[], appId: string) => {
			const records = find({ appId, associations: { $all: plain(associations) } });
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
			const [record] = find({ appId, associations: plain(associations) });
			let upsertedId: string | null = null;
			if (record) {
				record.data = clone(data);
			} else if (upsert) {
				upsertedId = randomUUID();
				w.persistence.push({ id: upsertedId, appId, data: clone(data), associations: plain(associations) });
			}
			if (variant === 'raw-model') return (upsertedId as unknown as { toString(): string }).toString();
			return upsertedId || '';
		},
	};
	if (!latency) return methods;
	const slowed: BridgeMethods = {};
	for (const [name, method] of Object.entries(methods)) {
		slowed[name] = async (...args: unknown[]) => {
			await wait();
			return method(...args);
		};
	}
	return slowed;
}
