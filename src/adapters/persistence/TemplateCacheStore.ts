import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { TemplateCache } from '../../core/app/ports';
import { TemplateIndex, TemplateShard } from '../../core/templates/catalog';
import { decodeSummaries, encodeSummaries } from '../../core/templates/templateIndex';
import { Records } from './records';

/**
 * The index keeps the record name the whole list had before (`templates:<wabaId>`), so a refresh
 * replaces an old whole-list record in place; such a record (no `shards`) reads as no index. Its
 * summaries are stored as one string (`names`, templateIndex.ts encodeSummaries) when they can be.
 */
const indexRecord = (wabaId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `templates:${wabaId}`);
const shardRecord = (wabaId: string, shard: number) =>
	new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `template-shard:${wabaId}:${shard}`);

/** The index record: the summaries as one string (`names`), or as objects (`templates`). */
type StoredIndex = Omit<TemplateIndex, 'templates'> & { names?: string; templates?: TemplateIndex['templates'] };

/** The template cache in the app's persistence (an index and its shards per WABA): shared by every instance of a cluster. */
export class PersistedTemplateCache implements TemplateCache {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async getIndex(wabaId: string): Promise<TemplateIndex | undefined> {
		const [stored] = (await this.read.readByAssociation(indexRecord(wabaId))) as StoredIndex[];
		if (typeof stored?.shards !== 'number') return undefined;
		const { names, templates, ...rest } = stored;
		if (typeof names === 'string') return { ...rest, templates: decodeSummaries(names) };
		return Array.isArray(templates) ? { ...rest, templates } : undefined;
	}

	async setIndex(wabaId: string, index: TemplateIndex): Promise<void> {
		const { templates, ...rest } = index;
		const names = encodeSummaries(templates);
		await this.put([indexRecord(wabaId)], names === undefined ? index : { ...rest, names });
	}

	async getShard(wabaId: string, shard: number): Promise<TemplateShard | undefined> {
		const [value] = (await this.read.readByAssociation(shardRecord(wabaId, shard))) as TemplateShard[];
		return value;
	}

	async setShard(wabaId: string, shard: number, value: TemplateShard): Promise<void> {
		await this.put([shardRecord(wabaId, shard)], value);
	}

	async removeShard(wabaId: string, shard: number): Promise<void> {
		if (this.persistence) await new Records(this.read, this.persistence).removeAll([shardRecord(wabaId, shard)]);
	}

	private async put(associations: RocketChatAssociationRecord[], data: object): Promise<void> {
		// Read-only contexts (no persistence accessor) just skip caching.
		if (this.persistence) await new Records(this.read, this.persistence).put(associations, data);
	}
}
