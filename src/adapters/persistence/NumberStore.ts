import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { ConnectedNumber } from '../../core/numbers/ConnectedNumber';
import { NumberRepository } from '../../core/numbers/NumberService';
import { Records } from './records';

const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'whatsapp-number');
const one = (phoneNumberId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `whatsapp-number:${phoneNumberId}`);

/** Connected numbers in the app's persistence (secrets stay server-side, never in views or logs). */
export class NumberStore implements NumberRepository {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async list(): Promise<ConnectedNumber[]> {
		const records = (await this.read.readByAssociation(ALL)) as ConnectedNumber[];
		return records.sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
	}

	async get(phoneNumberId: string): Promise<ConnectedNumber | undefined> {
		const [record] = (await this.read.readByAssociations([ALL, one(phoneNumberId)])) as ConnectedNumber[];
		return record;
	}

	async save(number: ConnectedNumber): Promise<void> {
		await new Records(this.read, this.writer()).put([ALL, one(number.phoneNumberId)], number);
	}

	async remove(phoneNumberId: string): Promise<boolean> {
		return (await new Records(this.read, this.writer()).removeAll([ALL, one(phoneNumberId)])) > 0;
	}

	private writer(): IPersistence {
		if (!this.persistence) throw new Error('NumberStore opened read-only');
		return this.persistence;
	}
}
