/**
 * A WABA's approved templates, grouped by name with their language variants, cached per WABA
 * with a refresh interval. Templates Meta pauses, disables or deletes leave the cache at once: a
 * `message_template_status_update` webhook, or a send failing with 132001 / 132015 / 132016.
 * The cache is an index and shards (templateIndex.ts): a list or a search reads the index, one
 * template's detail reads one shard. A template Meta approved after the list was fetched (its
 * webhook not subscribed, or lost) is found on its first use: `find` fetches the list again when
 * the cache lacks it, at most once per MISS_REFETCH_MS per WABA; when that fetch fails, `find` says
 * so (TemplateListUnavailable) rather than calling the template unapproved, and keeps saying so
 * until the list may be fetched again (the interval is over, or a number of the WABA was connected
 * or edited since). A send failing with 132000 / 132012 (the template was edited at Meta) makes the
 * next look fetch the list again (`onSendError`).
 */
import { GraphApiError, isAppSecretRefusal } from '../errors';
import { TemplateStatusEvent } from '../status/webhook';
import { explainSendError, TemplateListSlow, TemplateListUnavailable } from './errors';
import { MetaTemplate, TemplateGroup } from './template';
import { buildIndex, byName, inIndexOrder, shardOf, splitShards, TemplateIndex, TemplateShard, TemplateSummary } from './templateIndex';

export { explainSendError, TemplateListSlow, TemplateListUnavailable } from './errors';
export type { TemplateGroup } from './template';
export type { TemplateIndex, TemplateShard, TemplateSummary } from './templateIndex';

/**
 * How often at most a `find` the cache cannot answer fetches the WABA's list from Meta again: a
 * template approved since the list was fetched is found on its first use, and callers naming
 * templates that do not exist (a typo, a script looping) cost Meta one list per WABA per minute.
 * A 132000 / 132012 refusal within it of the list's fetch does not mark the list stale either.
 */
export const MISS_REFETCH_MS = 60000;

/**
 * How far apart in time fetches of one list (and a change the cache learnt of meanwhile) are
 * compared (`writeCache`): the longest a list's fetch may run (a large account's pages, each page
 * timing out after 10 s) with room to spare. A stored time further ahead than this is a clock's
 * skew, not a fetch's.
 */
export const OVERLAP_MAX_MS = 10 * 60000;

/** A whole cached list (what a refresh writes; `readCache` assembles it). */
export interface CachedTemplates {
	/** When its fetch began (TemplateIndex). */
	fetchedAt: number;
	templates: MetaTemplate[];
	stale?: boolean;
}

/**
 * When a `find` the cache could not answer last fetched the WABA's list again (`at`, the catalog's
 * clock, as the fetch began), and whether that fetch failed. A mark written before its fetch, or by
 * an earlier version of the app, has no `failed`: a list stored since `at` then tells whether the
 * fetch succeeded (`find`).
 */
export interface MissRefetchMark {
	at: number;
	failed?: boolean;
	/** Meta's error code, when Meta refused the list (190 or 102, `isRefusedToken`, say the number's token is no longer valid). */
	graphCode?: number;
	/** The number whose token fetched the list, when Meta refused it (its code is about that number). */
	phoneNumberId?: string;
	/** Meta's refusal was of the number's app secret (a 100 naming the `appsecret_proof`: `isAppSecretRefusal`). */
	appSecretRefused?: boolean;
}

/**
 * Where the cache lives (the app persists it, so every instance of a cluster shares it): one index
 * and its shards per WABA, and when a miss last fetched the WABA's list again.
 */
export interface TemplateCacheStore {
	getIndex(wabaId: string): Promise<TemplateIndex | undefined>;
	setIndex(wabaId: string, index: TemplateIndex): Promise<void>;
	getShard(wabaId: string, shard: number): Promise<TemplateShard | undefined>;
	setShard(wabaId: string, shard: number, value: TemplateShard): Promise<void>;
	removeShard(wabaId: string, shard: number): Promise<void>;
	/**
	 * When a `find` the cache could not answer last fetched the WABA's list again, and whether that
	 * fetch failed (MissRefetchMark), or undefined. A record of its own, apart from the index: the
	 * index's writers (a refresh, a removal, a status webhook) never carry it, and writing it never
	 * rewrites the index. Setting it replaces the whole mark.
	 */
	getMissRefetch(wabaId: string): Promise<MissRefetchMark | undefined>;
	setMissRefetch(wabaId: string, mark: MissRefetchMark): Promise<void>;
	/**
	 * The storage the store reads and writes, as an object: catalogs whose stores answer the same
	 * object share the work they keep in memory (a miss's fetch, `TemplateCatalog.find`). Absent, the
	 * store object itself stands for it. A store built anew per request over storage the whole
	 * runtime shares (the app's persistence) answers one object for all of them.
	 */
	readonly storage?: object;
}

export class MemoryTemplateCache implements TemplateCacheStore {
	private readonly indexes = new Map<string, TemplateIndex>();
	private readonly shards = new Map<string, TemplateShard>();
	private readonly missRefetches = new Map<string, MissRefetchMark>();

	async getIndex(wabaId: string): Promise<TemplateIndex | undefined> {
		return this.indexes.get(wabaId);
	}

	async setIndex(wabaId: string, index: TemplateIndex): Promise<void> {
		this.indexes.set(wabaId, index);
	}

	async getShard(wabaId: string, shard: number): Promise<TemplateShard | undefined> {
		return this.shards.get(`${wabaId}:${shard}`);
	}

	async setShard(wabaId: string, shard: number, value: TemplateShard): Promise<void> {
		this.shards.set(`${wabaId}:${shard}`, value);
	}

	async removeShard(wabaId: string, shard: number): Promise<void> {
		this.shards.delete(`${wabaId}:${shard}`);
	}

	async getMissRefetch(wabaId: string): Promise<MissRefetchMark | undefined> {
		const mark = this.missRefetches.get(wabaId);
		return mark && { ...mark };
	}

	async setMissRefetch(wabaId: string, mark: MissRefetchMark): Promise<void> {
		this.missRefetches.set(wabaId, { ...mark });
	}

	/** Removes the mark (a number of the WABA connected or edited: NumberService `MissRefetchMarks`). */
	async forgetMissRefetch(wabaId: string): Promise<void> {
		this.missRefetches.delete(wabaId);
	}
}

/**
 * Writes a whole list: the shards first, then the index that names them, then the shards of the
 * previous index it no longer names. A reader of the previous index meanwhile sees shards of
 * another `fetchedAt` and reads again (TemplateCatalog). Fetches of one account may overlap (two
 * agents' forms, a Refresh, another instance) and end in any order: a list whose fetch began before
 * the stored one's is not written (undefined; it would put an older list in place of a newer one),
 * and one whose fetch began before the cache last learnt of a change (`changedAt`: a template
 * paused or approved meanwhile) is written stale, for the next look to fetch again. (Read, then
 * written: a write between the two is not seen.)
 */
export async function writeCache(store: TemplateCacheStore, wabaId: string, value: CachedTemplates): Promise<TemplateIndex | undefined> {
	const previous = await store.getIndex(wabaId);
	// A time more than OVERLAP_MAX_MS after this fetch began is not an overlapping fetch's or change's:
	// another instance's clock ahead, or this one set back. It is not trusted (as `missRefetchDue`
	// does), or no list could be stored until this clock caught up.
	const trusted = (at: number | undefined): at is number => at !== undefined && at - value.fetchedAt <= OVERLAP_MAX_MS;
	if (previous && trusted(previous.fetchedAt) && previous.fetchedAt > value.fetchedAt) return undefined;
	const changedAt = trusted(previous?.changedAt) ? previous?.changedAt : undefined;
	const stale = value.stale || (changedAt !== undefined && changedAt >= value.fetchedAt);
	// The change is kept: a fetch that began before it and ends after this one is stored stale too.
	const index = {
		...buildIndex(value.templates, value.fetchedAt),
		...(stale ? { stale: true } : {}),
		...(changedAt !== undefined ? { changedAt } : {}),
	};
	const shards = splitShards(value.templates, index.shards);
	await Promise.all(shards.map((templates, i) => store.setShard(wabaId, i, { fetchedAt: value.fetchedAt, templates })));
	await store.setIndex(wabaId, index);
	for (let i = index.shards; i < (previous?.shards ?? 0); i++) await store.removeShard(wabaId, i);
	return index;
}

/** The whole cached list in index order, or undefined when there is none or a shard is of another fetch. */
export async function readCache(store: TemplateCacheStore, wabaId: string): Promise<CachedTemplates | undefined> {
	const index = await store.getIndex(wabaId);
	if (!index) return undefined;
	const shards = await Promise.all(Array.from({ length: index.shards }, (_, i) => store.getShard(wabaId, i)));
	if (shards.some((s) => s?.fetchedAt !== index.fetchedAt)) return undefined;
	const templates = inIndexOrder(
		index,
		shards.flatMap((s) => s?.templates ?? []),
	);
	return { fetchedAt: index.fetchedAt, templates, ...(index.stale ? { stale: true } : {}) };
}

/** Events after which the template can no longer be sent (Meta's template statuses). */
export const UNSENDABLE_EVENTS = ['PAUSED', 'DISABLED', 'DELETED', 'PENDING_DELETION', 'REJECTED', 'ARCHIVED'];

/** Approved templates grouped by name (sorted), with a case-insensitive name filter. */
export function groupTemplates(templates: MetaTemplate[], search = ''): TemplateGroup[] {
	const needle = search.trim().toLowerCase();
	const named = new Map<string, TemplateGroup>();
	for (const t of templates) {
		if (needle && !t.name.toLowerCase().includes(needle)) continue;
		const group = named.get(t.name) ?? { name: t.name, ...(t.category ? { category: t.category } : {}), languages: [] };
		group.languages.push(t);
		named.set(t.name, group);
	}
	return [...named.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** What one read of the cache gives: the names (sorted), and each name's templates on demand. */
export interface CatalogSnapshot {
	summaries: TemplateSummary[];
	/** Every approved language of `name` (one shard read, or none when the list was just fetched). */
	templatesNamed(name: string): Promise<MetaTemplate[]>;
	/** The list was still loading (`snapshot`'s `waitMs`): `summaries` are the list stored before. */
	listing?: boolean;
	/** While the list is still loading: why the last load a waiting look stopped waiting for failed, if it did lately. */
	lastFailure?: unknown;
}

/** The cache as read: its index, and the whole list when it was fetched just now. */
interface Loaded {
	index: TemplateIndex;
	fetched?: MetaTemplate[];
	/** The list was still loading when the caller stopped waiting: `index` is the list stored before. */
	listing?: boolean;
	lastFailure?: unknown;
}

/**
 * The last failure of a list fetch that a waiting look (`snapshot`'s `waitMs`) stopped waiting for,
 * by storage (as `missRefetches` below), then by the number whose token fetched and the WABA, with
 * when that fetch began and the credential it fetched with (this runtime's memory: looks served by
 * another Rocket.Chat instance do not see it). Meta out of reach times out long after the wait, and
 * the next waiting look that Meta keeps waiting says why the last fetch failed rather than that the
 * list is still loading. A list stored by a fetch that began since, a fetch of that number and WABA
 * that succeeds since, a look with another credential (the number's token or app secret replaced: one
 * Meta refused says nothing of the new one), or LATE_FAILURE_MS end it. A failure to store the list is
 * not kept: it is not Meta's.
 */
const lateFailures = new WeakMap<object, Map<string, { error: unknown; startedAt: number; credential?: string }>>();
const LATE_FAILURE_MS = 120000;

/** Errors of storing a fetched list (`fetchApproved`), told apart from Meta's and the network's. */
const storeFailures = new WeakSet<object>();

const isObject = (value: unknown): value is object => (typeof value === 'object' && value !== null) || typeof value === 'function';

/** `promise`'s outcome if it settles within `ms`, else undefined (it goes on). */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | undefined> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
	try {
		return await Promise.race([
			promise.then(
				(value) => ({ value }),
				(error: unknown) => ({ error }),
			),
			late,
		]);
	} finally {
		clearTimeout(timer);
	}
}

/**
 * The miss-driven fetches under way in this runtime, by storage (`TemplateCacheStore.storage`, else
 * the store object) and then by WABA. Catalogs are built per request (sendTemplates.ts), and so is
 * the persisted store (adapters/build/templates.ts: `PersistedTemplateCache` over each request's
 * accessors, whose identity the engine's Deno runtime does not keep), so the store object cannot
 * be the key there: the persisted store answers one `storage` object for the app's persistence, the
 * only storage it can reach (the runtime runs one app, the engine gives it its own records only).
 * Concurrent misses of one WABA over one storage thus share one fetch and one look at the mark,
 * whichever number's token the first miss's catalog holds (a number's token lists its WABA's
 * templates, the list every number of that WABA reads); a catalog over another storage (another
 * store in a test, another app) never joins them. Each entry lives as long as its fetch.
 */
const missRefetches = new WeakMap<object, Map<string, Promise<MissRefetch>>>();

/**
 * What a miss's fetch gives: the list fetched again, `failed` (Meta or the store failed; Meta's
 * error code when Meta refused the list), or, when
 * the list was fetched again (or began to be) within MISS_REFETCH_MS, that fetch's mark: whether the
 * cache a miss read answers is each miss's own to tell (`find`), as misses sharing one call may have
 * read different lists.
 */
type MissRefetch =
	MetaTemplate[] | { failed: true; graphCode?: number; phoneNumberId?: string; appSecretRefused?: boolean } | { within: MissRefetchMark };

/**
 * Whether the list may be fetched again after a miss, `lastAt` being the mark's time (`getMissRefetch`)
 * and `now` this instance's clock: not within MISS_REFETCH_MS of the mark. A mark more than
 * MISS_REFETCH_MS ahead of `now` (another instance's clock far ahead, or a clock set back) is
 * expired rather than trusted, or it would keep every fetch away until this clock caught up.
 */
export function missRefetchDue(lastAt: number | undefined, now: number): boolean {
	return lastAt === undefined || now - lastAt >= MISS_REFETCH_MS || lastAt - now > MISS_REFETCH_MS;
}

export class TemplateCatalog {
	private readonly inFlight = new Map<string, Promise<MetaTemplate[]>>();

	/**
	 * @param fetchAll every template of a WABA, all pages (`GraphClient.listAllTemplates`)
	 * @param refreshMs how long a fetched list is used before it is fetched again
	 */
	constructor(
		private readonly store: TemplateCacheStore,
		private readonly fetchAll: (wabaId: string) => Promise<MetaTemplate[]>,
		private readonly refreshMs: number,
		private readonly now: () => number = () => Date.now(),
		/** The number whose token `fetchAll` uses: Meta's code refusing the list (190 or 102: a refused token) is told to its sends only. */
		private readonly fetchedBy?: string,
		/** What `fetchAll` fetches with (the number's token and the proof sent with it), kept in memory only: a late failure is told to looks with the same (`lateFailures`). */
		private readonly credential?: string,
	) {}

	/** The approved templates of the WABA: cached unless older than the refresh interval or `refresh` is asked. */
	async list(wabaId: string, options: { refresh?: boolean } = {}): Promise<MetaTemplate[]> {
		const loaded = await this.load(wabaId, options);
		if (loaded.fetched) return loaded.fetched;
		const cached = await readCache(this.store, wabaId);
		// A refresh wrote other shards meanwhile: its list is the one to use.
		return cached ? cached.templates : this.refresh(wabaId);
	}

	/**
	 * The names and their languages (the index only), and any name's templates on demand: what the
	 * modal reads. With `waitMs`, a list to load (fetch from Meta and store) is waited for that long
	 * at most: still loading then (a large account's pages, Meta or the store slow), the list stored
	 * before is answered (`listing`, with `lastFailure`), or TemplateListSlow (or that failure) when
	 * none is; the load goes on and stores its list.
	 */
	async snapshot(wabaId: string, options: { refresh?: boolean; waitMs?: number } = {}): Promise<CatalogSnapshot> {
		const loaded = await this.load(wabaId, options);
		const summaries = [...loaded.index.templates].sort(byName);
		return {
			summaries,
			templatesNamed: (name) => this.templatesNamed(wabaId, name, loaded),
			...(loaded.listing ? { listing: true } : {}),
			...('lastFailure' in loaded ? { lastFailure: loaded.lastFailure } : {}),
		};
	}

	/** Fetches the list from Meta now; concurrent calls of this catalog (one request's) for the same WABA share one fetch. */
	refresh(wabaId: string): Promise<MetaTemplate[]> {
		let pending = this.inFlight.get(wabaId);
		if (!pending) {
			pending = this.fetchApproved(wabaId).finally(() => this.inFlight.delete(wabaId));
			this.inFlight.set(wabaId, pending);
		}
		return pending;
	}

	async groups(wabaId: string, options: { refresh?: boolean; search?: string } = {}): Promise<TemplateGroup[]> {
		return groupTemplates(await this.list(wabaId, options), options.search);
	}

	/** Groups whose name contains `text`, ignoring case. */
	search(wabaId: string, text: string): Promise<TemplateGroup[]> {
		return this.groups(wabaId, { search: text });
	}

	/**
	 * The approved template `name` in `language`, or undefined when Meta lists none. A cache that
	 * lacks it (Meta may have approved it since the list was fetched, its webhook unsubscribed or
	 * lost) is not trusted at once: the list is fetched from Meta again, at most once per
	 * MISS_REFETCH_MS per WABA (`missRefetchDue`), and concurrent misses share that fetch. Its time
	 * is written in a record of its own (`setMissRefetch`, never in the index, which a refresh,
	 * a removal or a status webhook may be writing meanwhile) before the fetch, so every instance
	 * of a cluster sharing the store keeps the interval, a failed fetch included; misses over the
	 * same storage in one runtime that come while the fetch runs wait for it (an in-memory map,
	 * `missRefetches`), those of another instance answer from the cache. A fetch that fails (Meta
	 * out of reach or refusing the list, the store failing) throws TemplateListUnavailable: whether
	 * Meta approved the template is not known. Every miss that waited for that fetch throws it too
	 * (each naming its own template), and the cache is left as it is; the mark then says the fetch
	 * failed (the same time, `failed`). Within the interval, a miss is answered by a list stored after
	 * the mark's fetch began: the cache it read (that fetch's list, the Refresh button's, the cache's
	 * expiry's), else the index read once more (that fetch's list may have been stored meanwhile; not
	 * read when the mark says the fetch failed). With no such list, that fetch failed (its mark says
	 * so, or could not be written), runs on another instance, or died: the miss, on any instance,
	 * throws TemplateListUnavailable rather than calling its template unapproved. (Instances compare
	 * their clocks here: a list stored by one whose clock is behind the mark's writer's counts as
	 * older.) A list fetched just now (the cache was due, stale or of another fetch) is not fetched again;
	 * a list the cache got a moment ago from another read is, once: a template Meta approved since
	 * is to be found on its first use. Connecting or editing a number of the WABA removes the mark
	 * (NumberService.connect): an admin who replaced a token Meta refused has the next miss fetch
	 * the list again at once, with the new token, rather than wait out the interval.
	 */
	async find(wabaId: string, name: string, language: string): Promise<MetaTemplate | undefined> {
		const loaded = await this.load(wabaId, {});
		const named = await this.named(wabaId, name, loaded);
		const found = named.templates.find((t) => t.language === language);
		if (found || named.fetched) return found;
		const refetched = await this.refetchOnMiss(wabaId);
		if (Array.isArray(refetched)) return refetched.find((t) => t.name === name && t.language === language);
		// Meta's code is told only to the sends of the number whose token Meta refused (another number of
		// the WABA, sharing the fetch or its mark, is told to try again).
		const failure: { graphCode?: number; phoneNumberId?: string; appSecretRefused?: boolean } =
			'failed' in refetched ? refetched : refetched.within.failed ? refetched.within : {};
		const ours = failure.phoneNumberId !== undefined && failure.phoneNumberId === this.fetchedBy;
		const unavailable = new TemplateListUnavailable(
			{ name, language },
			ours ? failure.graphCode : undefined,
			ours && failure.appSecretRefused,
		);
		if ('failed' in refetched) throw unavailable;
		// Within the interval of a fetch: a list stored since it began answers (the cache this miss read,
		// or the one that fetch stored meanwhile: one more read). Without one, that fetch failed (its
		// mark says so, or could not be written), or runs on another instance, or died: not known.
		const { at, failed } = refetched.within;
		if (named.listedAt > at) return undefined;
		const index = failed ? undefined : await this.store.getIndex(wabaId);
		if (!index || index.fetchedAt < at) throw unavailable;
		const since = await this.named(wabaId, name, { index });
		if (since.listedAt < at) throw unavailable;
		return since.templates.find((t) => t.language === language);
	}

	/** Drops a template from the cache: one language, or every language when none is given. */
	async remove(wabaId: string, name: string, language?: string): Promise<void> {
		const index = await this.store.getIndex(wabaId);
		const summary = index?.templates.find((s) => s.name === name);
		if (!index || !summary) return;
		const shardId = shardOf(name, index.shards);
		const shard = await this.store.getShard(wabaId, shardId);
		const gone = (t: MetaTemplate) => t.name === name && (!language || t.language === language);
		if (shard) await this.store.setShard(wabaId, shardId, { ...shard, templates: shard.templates.filter((t) => !gone(t)) });
		const languages = language ? summary.languages.filter((l) => l !== language) : [];
		const templates = index.templates.flatMap((s) => (s !== summary ? [s] : languages.length ? [{ ...s, languages }] : []));
		// A list loading meanwhile may still hold it: stored stale, it is fetched again (writeCache).
		await this.store.setIndex(wabaId, { ...index, templates, changedAt: this.now() });
	}

	/**
	 * A template status webhook (the walker's `template-status` event): a template that can no longer be sent leaves the cache at once;
	 * any other event (approved, reinstated, flagged...) makes the next `list` fetch from Meta.
	 */
	async applyStatusUpdate(update: Pick<TemplateStatusEvent, 'wabaId' | 'event' | 'templateName' | 'language'>): Promise<void> {
		if (!update.templateName) return;
		if (UNSENDABLE_EVENTS.includes(update.event.toUpperCase())) {
			await this.remove(update.wabaId, update.templateName, update.language);
			return;
		}
		await this.markStale(update.wabaId);
	}

	/**
	 * A send failed: 132001 (no such template in that language), 132015 (paused), 132016 (disabled)
	 * remove it; 132000 and 132012 (its parameters are not those Meta's template takes: it was edited
	 * at Meta) make the next `list` fetch from Meta, as a status webhook does, unless the list was
	 * fetched within MISS_REFETCH_MS: that one is Meta's template already, and sends that Meta keeps
	 * refusing so do not fetch the list once each. `always`: whenever it was fetched (a campaign's
	 * run, which tells each refusal once and fails its other sends with it: no later send tells it).
	 */
	async onSendError(
		failure: { wabaId: string; name: string; language: string; code: number },
		options: { always?: boolean } = {},
	): Promise<void> {
		const { wabaId, name, language, code } = failure;
		const explained = explainSendError(code);
		if (explained.removesTemplate) await this.remove(wabaId, name, language);
		else if (explained.staleTemplate) await this.markStale(wabaId, options.always ? undefined : MISS_REFETCH_MS);
	}

	/** The next `list` fetches from Meta; `unlessWithin`: not when the list was fetched that recently. */
	private async markStale(wabaId: string, unlessWithin?: number): Promise<void> {
		const index = await this.store.getIndex(wabaId);
		if (!index || (unlessWithin !== undefined && Math.abs(this.now() - index.fetchedAt) < unlessWithin)) return;
		await this.store.setIndex(wabaId, { ...index, stale: true, changedAt: this.now() });
	}

	/** The index when fresh, else the list fetched from Meta (and its index). */
	private async load(wabaId: string, options: { refresh?: boolean; waitMs?: number }): Promise<Loaded> {
		const index = await this.store.getIndex(wabaId);
		if (index && !index.stale && !options.refresh && this.now() - index.fetchedAt < this.refreshMs) return { index };
		if (options.waitMs === undefined) return this.fetched(wabaId);
		// Not in time, the fetch goes on (the app's runtime outlives the call) and stores its list;
		// its failure, then, is kept for the next waiting look to tell (`lateFailures`).
		const storage = this.store.storage ?? this.store;
		let failures = lateFailures.get(storage);
		if (!failures) lateFailures.set(storage, (failures = new Map()));
		const late = failures;
		const key = `${this.fetchedBy ?? ''}:${wabaId}`;
		const startedAt = this.now();
		const fetching = this.refresh(wabaId);
		const outcome = await settledWithin(fetching, options.waitMs);
		if (outcome && 'error' in outcome) throw outcome.error;
		if (outcome) {
			late.delete(key);
			return { index: buildIndex(outcome.value, this.now()), fetched: outcome.value };
		}
		fetching.then(
			() => late.delete(key),
			(error: unknown) => {
				const kept = late.get(key);
				if (isObject(error) && storeFailures.has(error)) return;
				// A fetch that began before the one kept says less about now.
				if (!kept || kept.startedAt <= startedAt) late.set(key, { error, startedAt, credential: this.credential });
			},
		);
		const failed = late.get(key);
		const current =
			failed &&
			failed.credential === this.credential &&
			this.now() - failed.startedAt < LATE_FAILURE_MS &&
			!(index && index.fetchedAt >= failed.startedAt);
		if (failed && !current) late.delete(key);
		if (!index) throw current ? failed.error : new TemplateListSlow();
		return { index, listing: true, ...(current ? { lastFailure: failed.error } : {}) };
	}

	private async fetched(wabaId: string): Promise<Loaded> {
		const fetched = await this.refresh(wabaId);
		return { index: buildIndex(fetched, this.now()), fetched };
	}

	/**
	 * The templates of `name`: from the list just fetched, else from its shard. A shard of another
	 * fetch than the index (a refresh wrote it meanwhile) is read again with the new index; when
	 * they still differ (a refresh failed halfway), the list is fetched from Meta.
	 */
	private async templatesNamed(wabaId: string, name: string, loaded: Loaded): Promise<MetaTemplate[]> {
		return (await this.named(wabaId, name, loaded)).templates;
	}

	/**
	 * `templatesNamed`, whether they come from a list fetched from Meta for this read, and when the
	 * list they come from was fetched (`listedAt`; now for one fetched for this read).
	 */
	private async named(
		wabaId: string,
		name: string,
		loaded: Loaded,
	): Promise<{ templates: MetaTemplate[]; fetched: boolean; listedAt: number }> {
		const named = (templates: MetaTemplate[]) => templates.filter((t) => t.name === name);
		if (loaded.fetched) return { templates: named(loaded.fetched), fetched: true, listedAt: loaded.index.fetchedAt };
		let index: TemplateIndex | undefined = loaded.index;
		for (let attempt = 0; index && attempt < 2; attempt++) {
			const shard = await this.store.getShard(wabaId, shardOf(name, index.shards));
			if (shard?.fetchedAt === index.fetchedAt)
				return { templates: named(shard.templates), fetched: false, listedAt: index.fetchedAt };
			index = await this.store.getIndex(wabaId);
		}
		// The caller stopped waiting for Meta's list once already: it does not wait for it here either.
		if (loaded.listing) throw new TemplateListSlow();
		return { templates: named(await this.refresh(wabaId)), fetched: true, listedAt: this.now() };
	}

	/** The list fetched again after a miss (`find`), or why not: it failed, or the mark of the fetch within the interval. */
	private refetchOnMiss(wabaId: string): Promise<MissRefetch> {
		const storage = this.store.storage ?? this.store;
		let byWaba = missRefetches.get(storage);
		if (!byWaba) {
			byWaba = new Map();
			missRefetches.set(storage, byWaba);
		}
		const shared = byWaba;
		let pending = shared.get(wabaId);
		if (!pending) {
			pending = this.refetchIfDue(wabaId).finally(() => shared.delete(wabaId));
			shared.set(wabaId, pending);
		}
		return pending;
	}

	private async refetchIfDue(wabaId: string): Promise<MissRefetch> {
		try {
			const now = this.now();
			const mark = await this.store.getMissRefetch(wabaId);
			if (mark && !missRefetchDue(mark.at, now)) return { within: mark };
			// Written first: a fetch that fails keeps the interval too, and other instances see it while the fetch runs.
			// Its own record: an index another writer wrote meanwhile stays as it is.
			await this.store.setMissRefetch(wabaId, { at: now });
			try {
				return await this.refresh(wabaId);
			} catch (error) {
				// The same interval, now known to have no list (best effort: without it, misses find no list stored since).
				const refused =
					error instanceof GraphApiError && error.graphCode
						? {
								graphCode: error.graphCode,
								phoneNumberId: this.fetchedBy,
								...(isAppSecretRefusal(error) ? { appSecretRefused: true } : {}),
							}
						: {};
				// Only over this fetch's own mark: one a number's connect or edit removed meanwhile (a new token,
				// NumberService) or a later fetch wrote stays as it is. (Read, then written: a connect between
				// the two is not seen. A mark that cannot be read is taken for this fetch's own.)
				const still = await this.store.getMissRefetch(wabaId).catch((): MissRefetchMark => ({ at: now }));
				if (still?.at === now && !still.failed)
					await this.store.setMissRefetch(wabaId, { at: now, failed: true, ...refused }).catch(() => undefined);
				return { failed: true, ...refused };
			}
		} catch {
			// The store failing: the cache's miss is not an answer.
			return { failed: true };
		}
	}

	/** The approved templates, fetched and stored, dated when the fetch began: Meta's list as of then. */
	private async fetchApproved(wabaId: string): Promise<MetaTemplate[]> {
		const startedAt = this.now();
		const templates = (await this.fetchAll(wabaId)).filter((t) => String(t.status).toUpperCase() === 'APPROVED');
		try {
			await writeCache(this.store, wabaId, { fetchedAt: startedAt, templates });
		} catch (error) {
			if (isObject(error)) storeFailures.add(error);
			throw error;
		}
		return templates;
	}
}
