/**
 * The app's records in Rocket.Chat's persistence, written so that every Rocket.Chat 7.x/8.x server
 * keeps them right. Rocket.Chat's AppPersistenceBridge (apps/meteor/app/apps/server/bridges/
 * persistence.ts) answers differently between versions, and the app must be correct under all:
 *
 * - An update by associations matches only a record whose association array is EXACTLY the one
 *   given (MongoDB equality on `{ appId, associations }`), while reads and removes match any record
 *   holding all of them (`$all`). So a record is always updated with the very array it was
 *   created with: `put` and `replace` take that array.
 * - Some versions answer an update with `result.upsertedId.toString()`, which throws after the
 *   write whenever nothing was inserted (a record updated, or none matched); others answer ''.
 *   A failed update is therefore checked by reading the record back.
 * - Some versions remove only the first record that matches (`deleteOne`), others all of them.
 *   `removeAll` reads what is left and removes it too.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

export type Associations = RocketChatAssociationRecord[];

/** Whether a stored record holds `data`, whatever became of absent fields on the way (msgpack
 * turns undefined into null; a store that ignores undefined drops the key). */
function sameData(stored: unknown, data: unknown): boolean {
	const canonical = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (v === undefined || v === null ? undefined : v));
	return canonical(stored) === canonical(data);
}

export class Records {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	/** Creates, or replaces, the one record stored under exactly `associations`. */
	async put(associations: Associations, data: object): Promise<void> {
		await this.write(associations, data, true);
	}

	/**
	 * Replaces the record stored under exactly `associations`, never creating one. Answers false when
	 * the server shows it is gone (another run removed it); a server that answers '' for both an
	 * update and a miss is taken at its word (true).
	 */
	async replace(associations: Associations, data: object): Promise<boolean> {
		return this.write(associations, data, false);
	}

	/**
	 * Removes every record holding all of `associations`; answers how many there were. `keyOf` names
	 * one record alone (its unique association), so that on a server that removes one record per call
	 * what is left goes one call per record rather than one search per record.
	 */
	async removeAll(associations: Associations, keyOf?: (data: object) => Associations): Promise<number> {
		return (await this.drain(associations, keyOf)).removed;
	}

	/**
	 * `removeAll` that a caller's `stop` (its run's time is spent) may end early: `done` says whether
	 * every record went; those left are for its next run.
	 */
	async drain(
		associations: Associations,
		keyOf?: (data: object) => Associations,
		stop?: () => boolean,
	): Promise<{ removed: number; done: boolean }> {
		const removed = (await this.writer().removeByAssociations(associations)) ?? [];
		let left = (await this.read.readByAssociations(associations)) as object[];
		// A server that removes one record per call leaves the others: one call per record, by its own
		// key when it has one that still finds it, else by `associations` again. Every round removes at
		// least one record, so there are never more rounds than records.
		for (let rounds = left.length; left.length && rounds > 0 && !stop?.(); rounds--) {
			const before = left.length;
			if (keyOf)
				for (const data of left) {
					if (stop?.()) break;
					await this.writer().removeByAssociations([...associations, ...keyOf(data)]);
				}
			left = (await this.read.readByAssociations(associations)) as object[];
			if (left.length === before) {
				await this.writer().removeByAssociations(associations);
				left = (await this.read.readByAssociations(associations)) as object[];
			}
		}
		return { removed: removed.length - left.length, done: !left.length };
	}

	private async write(associations: Associations, data: object, upsert: boolean): Promise<boolean> {
		try {
			await this.writer().updateByAssociations(associations, data, upsert);
			return true;
		} catch (error) {
			// Either the answer broke after the write (upsertedId of an update), or the write failed.
			const stored = (await this.read.readByAssociations(associations)) as object[];
			if (stored.some((record) => sameData(record, data))) return true;
			if (!upsert && !stored.length) return false;
			throw error;
		}
	}

	private writer(): IPersistence {
		if (!this.persistence) throw new Error('persistence opened read-only');
		return this.persistence;
	}
}
