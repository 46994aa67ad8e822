import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { TemplateCache } from '../../core/app/ports';
import { CachedTemplates } from '../../core/templates/catalog';
import { Records } from './records';

const record = (wabaId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `templates:${wabaId}`);

/** The template cache in the app's persistence: shared by every instance of a cluster. */
export class PersistedTemplateCache implements TemplateCache {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async get(wabaId: string): Promise<CachedTemplates | undefined> {
		const [cached] = (await this.read.readByAssociation(record(wabaId))) as CachedTemplates[];
		return cached;
	}

	async set(wabaId: string, value: CachedTemplates): Promise<void> {
		// Read-only contexts (no persistence accessor) just skip caching.
		if (this.persistence) await new Records(this.read, this.persistence).put([record(wabaId)], value);
	}
}
