import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Idempotency, StoredAnswer } from '../../core/app/sendTemplatesPorts';
import { Records } from './records';

export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

const record = (key: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `idempotency:${key}`);

/** The first answer to a request with an `idempotencyKey`, kept for 24 hours. */
export class IdempotencyStore implements Idempotency {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {}

	async find(key: string, now: number): Promise<StoredAnswer | undefined> {
		const [entry] = (await this.read.readByAssociation(record(key))) as StoredAnswer[];
		return entry && now - entry.at < IDEMPOTENCY_WINDOW_MS ? entry : undefined;
	}

	async save(entry: StoredAnswer): Promise<void> {
		await new Records(this.read, this.persistence).put([record(entry.key)], entry);
	}
}
