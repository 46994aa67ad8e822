/**
 * The claims of delivery rounds under way (core/app/delivery.ts RoundClaims) in Rocket.Chat's app
 * persistence, which every instance of a cluster shares: each claim a record of its own,
 * `delivery-round` and its token's `delivery-round:<token>`. A token names one record, so removing
 * it by its token's association is right on every server (those that remove only the first match too).
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { RoundClaim, RoundClaims } from '../../core/app/delivery';
import { Records } from './records';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const ROUNDS = misc('delivery-round');
const ROUND = (token: string) => misc(`delivery-round:${token}`);

export class PersistenceRoundClaims implements RoundClaims {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	/** Written, or rewritten (a renewal), under exactly its associations (records.ts). */
	async claim(claim: RoundClaim): Promise<void> {
		await this.records.put([ROUNDS, ROUND(claim.token)], { token: claim.token, until: claim.until });
	}

	async claims(): Promise<RoundClaim[]> {
		const records = (await this.read.readByAssociation(ROUNDS)) as Array<Partial<RoundClaim>>;
		return records.filter((r) => typeof r.token === 'string').map((r) => ({ token: r.token as string, until: Number(r.until) || 0 }));
	}

	async withdraw(tokens: string[]): Promise<void> {
		await Promise.all(tokens.map((token) => this.persistence.removeByAssociation(ROUND(token))));
	}
}
