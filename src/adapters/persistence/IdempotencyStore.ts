import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Records } from './records';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

interface Entry {
	key: string;
	fingerprint: string;
	status: number;
	content: unknown;
	at: number;
}

const record = (key: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `idempotency:${key}`);

/** The first answer to a request with an `idempotencyKey`, kept for 24 hours. */
export class IdempotencyStore {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {}

	async find(key: string, now: number): Promise<Entry | undefined> {
		const [entry] = (await this.read.readByAssociation(record(key))) as Entry[];
		return entry && now - entry.at < IDEMPOTENCY_WINDOW_MS ? entry : undefined;
	}

	async save(entry: Entry): Promise<void> {
		await new Records(this.read, this.persistence).put([record(entry.key)], entry);
	}
}
