/**
 * The app's log entries, stored as Rocket.Chat stores them: AppRealLogStorage
 * (apps/meteor/ee/server/apps/storage/AppRealLogStorage.ts @ 40b2a8314e2f90626f7b605a902d3faa7563bece,
 * the same in every 7.x/8.x build read) inserts the entry into MongoDB (`insertOne`) and reads it
 * back (`findOneById`). The engine waits for that before it hands a request's result on
 * (AppsEngineDenoRuntime `handleResultMessage`: `await this.logStorage.storeEntries(logs)`, then
 * the result), so every handler run that logged (each API call, job run, slash command...) answers
 * only once its entry is stored. The entry holds what the engine itself logs: an API call's
 * "is being executed" debug line carries the whole request (deno-runtime handlers/api-handler.ts),
 * so a webhook's acknowledgement waits for a copy of its body to be written and read back.
 *
 * Modelled: the copy (the document written as bytes and read back: `v8.serialize`, Dates kept) and, with a
 * persistence latency, its two round trips. The harness keeps the stored entries for the tests.
 */
import { deserialize, serialize } from 'v8';

import { AppLogStorage } from '@rocket.chat/apps-engine/server/storage/AppLogStorage';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export class HarnessLogStorage extends AppLogStorage {
	constructor(
		private readonly sink: (entry: Any) => void,
		/** Milliseconds of each MongoDB round trip (the persistence latency). */
		private readonly latencyMs = 0,
	) {
		super('harness');
	}

	private roundTrip(): Promise<void> {
		return this.latencyMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.latencyMs)) : Promise.resolve();
	}

	async findPaginated() {
		return { logs: [], total: 0 };
	}

	async storeEntries(entry: Any) {
		await this.roundTrip(); // insertOne
		// The document written as bytes and read back. (MongoDB also refuses a document over 16 MiB, which
		// would leave the request unanswered: not modelled.)
		const stored = deserialize(serialize(entry));
		await this.roundTrip(); // findOneById
		this.sink(stored);
		return stored;
	}

	async getEntriesFor() {
		return [];
	}

	async removeEntriesFor() {
		return undefined;
	}
}
