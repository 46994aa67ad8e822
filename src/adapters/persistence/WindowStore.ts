/**
 * The contacts' 24-hour windows (core/app/window.ts Windows) in the app's persistence, one record
 * per contact token.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { WindowRecord, Windows } from '../../core/app/window';
import { Records } from './records';

export type { WindowRecord };

const windowRecord = (token: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `window:${token}`);

export class WindowStore implements Windows {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async get(token: string): Promise<WindowRecord | undefined> {
		const [record] = (await this.read.readByAssociation(windowRecord(token))) as WindowRecord[];
		return record;
	}

	async put(token: string, record: WindowRecord): Promise<void> {
		if (!this.persistence) throw new Error('WindowStore opened read-only');
		await new Records(this.read, this.persistence).put([windowRecord(token)], record);
	}
}
