import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { TemplateCache } from '../../core/app/ports';
import { MissRefetchMark, TemplateIndex, TemplateShard } from '../../core/templates/catalog';
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
/**
 * When a miss last fetched the WABA's list again, and whether that fetch failed (`getMissRefetch`):
 * a record of its own, so no index write carries it. Stored as `{ at }`, or `{ at, failed: true }`
 * once the fetch failed (with `graphCode`, the number whose token it used and `appSecretRefused` when Meta refused the list); earlier versions stored `{ at }` only, which reads as a fetch that did not fail.
 */
const missRefetchRecord = (wabaId: string) =>
	new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `template-miss-refetch:${wabaId}`);

/**
 * The storage every PersistedTemplateCache of this runtime reads and writes: the app's persistence
 * (the runtime runs one app; the engine gives it its own records only). A store is built per
 * request, over accessors whose identity the engine does not keep from one request to the next, so
 * they answer this one object (`TemplateCacheStore.storage`): concurrent misses of one WABA from
 * different requests share one fetch.
 */
const APP_PERSISTENCE: object = Object.freeze({ storage: 'app persistence' });

/** The index record: the summaries as one string (`names`), or as objects (`templates`). */
type StoredIndex = Omit<TemplateIndex, 'templates'> & { names?: string; templates?: TemplateIndex['templates'] };

/** The template cache in the app's persistence (an index and its shards per WABA): shared by every instance of a cluster. */
export class PersistedTemplateCache implements TemplateCache {
	readonly storage = APP_PERSISTENCE;

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

	/** The mark; a record without a numeric `at` reads as none, and anything but `failed: true` as not failed. */
	async getMissRefetch(wabaId: string): Promise<MissRefetchMark | undefined> {
		const [stored] = (await this.read.readByAssociation(missRefetchRecord(wabaId))) as Array<{
			at?: unknown;
			failed?: unknown;
			graphCode?: unknown;
			phoneNumberId?: unknown;
			appSecretRefused?: unknown;
		}>;
		if (typeof stored?.at !== 'number') return undefined;
		if (stored.failed !== true) return { at: stored.at };
		return {
			at: stored.at,
			failed: true,
			...(typeof stored.graphCode === 'number' ? { graphCode: stored.graphCode } : {}),
			...(typeof stored.phoneNumberId === 'string' ? { phoneNumberId: stored.phoneNumberId } : {}),
			...(stored.appSecretRefused === true ? { appSecretRefused: true } : {}),
		};
	}

	async setMissRefetch(wabaId: string, mark: MissRefetchMark): Promise<void> {
		const refused = mark.graphCode
			? {
					graphCode: mark.graphCode,
					...(mark.phoneNumberId ? { phoneNumberId: mark.phoneNumberId } : {}),
					...(mark.appSecretRefused ? { appSecretRefused: true } : {}),
				}
			: {};
		await this.put([missRefetchRecord(wabaId)], { at: mark.at, ...(mark.failed ? { failed: true, ...refused } : {}) });
	}

	/**
	 * Removes the mark (NumberService's `MissRefetchMarks`: a number of the WABA was just connected or
	 * edited), so the next miss fetches the list again at once. Read-only contexts remove nothing.
	 */
	async forgetMissRefetch(wabaId: string): Promise<void> {
		if (this.persistence) await new Records(this.read, this.persistence).removeAll([missRefetchRecord(wabaId)]);
	}

	private async put(associations: RocketChatAssociationRecord[], data: object): Promise<void> {
		// Read-only contexts (no persistence accessor) just skip caching.
		if (this.persistence) await new Records(this.read, this.persistence).put(associations, data);
	}
}
