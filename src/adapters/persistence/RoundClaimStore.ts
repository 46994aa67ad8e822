/**
 * The claims of a job's rounds under way (core/app/roundClaims.ts RoundClaims) in Rocket.Chat's app
 * persistence, which every instance of a cluster shares: each claim a record of its own, the job's
 * `<job>-round` and its token's `<job>-round:<token>` (`delivery-round`, `processing-round`). A token
 * names one record, so removing it by its token's association is right on every server (those that
 * remove only the first match too).
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { RoundClaim, RoundClaims } from '../../core/app/roundClaims';
import { Records } from './records';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);

/** The jobs whose rounds are claimed. */
export type ClaimedJob = 'delivery' | 'processing';

export class PersistenceRoundClaims implements RoundClaims {
	private readonly records: Records;
	private readonly rounds: RocketChatAssociationRecord;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
		private readonly job: ClaimedJob,
	) {
		this.records = new Records(read, persistence);
		this.rounds = misc(`${job}-round`);
	}

	private round(token: string): RocketChatAssociationRecord {
		return misc(`${this.job}-round:${token}`);
	}

	/** Written, or rewritten (a renewal), under exactly its associations (records.ts). */
	async claim(claim: RoundClaim): Promise<void> {
		await this.records.put([this.rounds, this.round(claim.token)], { token: claim.token, until: claim.until });
	}

	async claims(): Promise<RoundClaim[]> {
		const records = (await this.read.readByAssociation(this.rounds)) as Array<Partial<RoundClaim>>;
		return records.filter((r) => typeof r.token === 'string').map((r) => ({ token: r.token as string, until: Number(r.until) || 0 }));
	}

	async withdraw(tokens: string[]): Promise<void> {
		await Promise.all(tokens.map((token) => this.persistence.removeByAssociation(this.round(token))));
	}
}
