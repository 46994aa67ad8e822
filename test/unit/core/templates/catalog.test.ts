import { PersistedTemplateCache } from '../../../../src/adapters/persistence/TemplateCacheStore';
import {
	MemoryTemplateCache,
	MISS_REFETCH_MS,
	readCache,
	TemplateCacheStore,
	TemplateCatalog,
	TemplateListSlow,
	TemplateListUnavailable,
	writeCache,
} from '../../../../src/core/templates/catalog';
import { GraphApiError } from '../../../../src/core/errors';
import { shardOf } from '../../../../src/core/templates/templateIndex';
import { TemplateStatusEvent, walkWebhook } from '../../../../src/core/status/webhook';

/** The template status events the webhook walker finds in a payload. */
const templateUpdates = (payload: unknown) =>
	walkWebhook(payload).events.filter((e): e is TemplateStatusEvent => e.kind === 'template-status');
import { MetaTemplate } from '../../../../src/core/templates/template';
import { coupon, readContract, reservation } from './fixtures';

const REFRESH = 5 * 60000;
const t = (name: string, language: string, status = 'APPROVED'): MetaTemplate => ({
	name,
	language,
	status,
	category: 'UTILITY',
	components: [],
});

function setup(lists: Record<string, MetaTemplate[]>) {
	let now = 1_000_000;
	const fetches: string[] = [];
	const store = new MemoryTemplateCache();
	const catalog = new TemplateCatalog(
		store,
		async (waba) => (fetches.push(waba), lists[waba] ?? []),
		REFRESH,
		() => now,
	);
	return { catalog, store, fetches, advance: (ms: number) => (now += ms) };
}
const names = (templates: MetaTemplate[]) => templates.map((x) => `${x.name}/${x.language}`);

describe('TemplateCatalog', () => {
	it("keeps only approved templates (Meta's list with pending and rejected ones)", async () => {
		const listed = readContract('meta-docs/templates-list-fields-limit5.response.json').data.map((x: MetaTemplate) => ({
			...x,
			language: 'en_US',
			components: [],
		}));
		const s = setup({ w: listed });
		expect((await s.catalog.list('w')).map((x) => x.name)).toEqual([
			'reservation_confirmation',
			'coupon_expiration_reminder_number_vars',
			'coupon_expiration_reminder_named_vars',
		]);
	});

	it('groups the language variants of a name, sorted by name', async () => {
		const s = setup({ w: [t('welcome', 'en_US'), coupon, t('welcome', 'pt_BR'), t('alert', 'es'), t('welcome', 'es', 'PAUSED')] });
		expect((await s.catalog.groups('w')).map((g) => [g.name, g.category, g.languages.map((l) => l.language)])).toEqual([
			['alert', 'UTILITY', ['es']],
			['coupon_expiration_reminder_number_vars', 'MARKETING', ['en']],
			['welcome', 'UTILITY', ['en_US', 'pt_BR']],
		]);
	});

	it('searches names case-insensitively by substring', async () => {
		const s = setup({ w: [coupon, reservation, t('welcome', 'en')] });
		expect((await s.catalog.search('w', 'RESERV')).map((g) => g.name)).toEqual(['reservation_confirmation']);
		expect((await s.catalog.groups('w', { search: ' reminder_NUMBER ' })).map((g) => g.name)).toEqual([
			'coupon_expiration_reminder_number_vars',
		]);
		expect(await s.catalog.search('w', 'nothing')).toEqual([]);
	});

	it('caches per WABA for the refresh interval; refresh fetches at once', async () => {
		const s = setup({ a: [t('one', 'en')], b: [t('two', 'en')] });
		await s.catalog.list('a');
		await s.catalog.list('b');
		s.advance(REFRESH - 1);
		await s.catalog.list('a');
		expect(s.fetches).toEqual(['a', 'b']);
		s.advance(1);
		await s.catalog.list('a');
		expect(s.fetches).toEqual(['a', 'b', 'a']);
		expect(names(await s.catalog.refresh('b'))).toEqual(['two/en']);
		await s.catalog.groups('b', { refresh: true });
		expect(s.fetches).toEqual(['a', 'b', 'a', 'b', 'b']);
	});

	it('concurrent lists of one WABA share a single fetch', async () => {
		const s = setup({ w: [t('one', 'en')] });
		const [x, y] = await Promise.all([s.catalog.list('w'), s.catalog.list('w')]);
		expect(x).toEqual(y);
		expect(s.fetches).toEqual(['w']);
	});

	it('a failed fetch is reported and the next call tries again', async () => {
		let fail = true;
		const catalog = new TemplateCatalog(
			new MemoryTemplateCache(),
			async () => {
				if (fail) throw new Error('graph down');
				return [t('one', 'en')];
			},
			REFRESH,
			() => 0,
		);
		await expect(catalog.list('w')).rejects.toThrow('graph down');
		fail = false;
		expect(names(await catalog.list('w'))).toEqual(['one/en']);
	});

	describe("a snapshot that waits for Meta's list a while only (`waitMs`: the modal)", () => {
		/** Catalogs over one store (`another()`) whose fetches wait until `answer()` after `hold()`. */
		function held(first: MetaTemplate[]) {
			let now = 1_000_000;
			let list = first;
			let fetches = 0;
			let gate = Promise.resolve();
			let open = () => undefined as void;
			const store = new MemoryTemplateCache();
			const another = () =>
				new TemplateCatalog(
					store,
					async () => (fetches++, await gate, list),
					REFRESH,
					() => now,
				);
			return {
				store,
				fetches: () => fetches,
				another,
				hold: () => (gate = new Promise<void>((resolve) => (open = resolve))),
				answer: () => open(),
				metaLists: (next: MetaTemplate[]) => (list = next),
				advance: (ms: number) => (now += ms),
			};
		}
		const settle = () => new Promise((resolve) => setImmediate(resolve));
		const namesOf = (snapshot: { summaries: Array<{ name: string }> }) => snapshot.summaries.map((x) => x.name);
		const cachedNames = async (store: MemoryTemplateCache) => (await store.getIndex('w'))?.templates.map((x) => x.name);

		it('a list Meta gives in time is the snapshot, as without the wait, and is stored', async () => {
			const h = held([t('one', 'en')]);
			const snapshot = await h.another().snapshot('w', { waitMs: 1000 });
			expect(namesOf(snapshot)).toEqual(['one']);
			expect(snapshot.listing).toBeUndefined();
			expect(await cachedNames(h.store)).toEqual(['one']);
		});

		it('Meta still listing and nothing cached: TemplateListSlow; the fetch goes on, and its list is the next look’s', async () => {
			const h = held([t('one', 'en')]);
			h.hold();
			await expect(h.another().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			expect(await cachedNames(h.store)).toBeUndefined();
			h.answer();
			await settle();
			expect(await cachedNames(h.store)).toEqual(['one']);
			// The next look reads the cache the fetch filled, and Meta is not asked again.
			expect(namesOf(await h.another().snapshot('w', { waitMs: 5 }))).toEqual(['one']);
			expect(h.fetches()).toBe(1);
		});

		it('Meta still listing with a list cached before (expired, or on Refresh): that list, marked `listing`, its templates readable; Meta’s list replaces it when it comes', async () => {
			const h = held([t('one', 'en'), t('two', 'es')]);
			await h.another().snapshot('w');
			h.advance(REFRESH);
			h.metaLists([t('one', 'en'), t('three', 'en')]);
			h.hold();
			for (const refresh of [false, true]) {
				const snapshot = await h.another().snapshot('w', { waitMs: 5, refresh });
				expect(snapshot.listing).toBe(true);
				expect(namesOf(snapshot)).toEqual(['one', 'two']);
				expect(names(await snapshot.templatesNamed('two'))).toEqual(['two/es']);
			}
			h.answer();
			await settle();
			expect(await cachedNames(h.store)).toEqual(['one', 'three']);
			const next = await h.another().snapshot('w', { waitMs: 5 });
			expect([namesOf(next), next.listing]).toEqual([['one', 'three'], undefined]);
		});

		it('a fetch that fails in time is the error, as without the wait; one that fails later leaves the cache as it was, and the next look fetches again', async () => {
			const store = new MemoryTemplateCache();
			let fail: Error | undefined = new GraphApiError(401, { code: 190 });
			let gate = Promise.resolve();
			let fetches = 0;
			const catalog = () =>
				new TemplateCatalog(
					store,
					async () => {
						fetches++;
						await gate;
						if (fail) throw fail;
						return [t('one', 'en')];
					},
					REFRESH,
				);
			await expect(catalog().snapshot('w', { waitMs: 1000 })).rejects.toBeInstanceOf(GraphApiError);
			let open = () => undefined as void;
			gate = new Promise<void>((resolve) => (open = resolve));
			await expect(catalog().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			open();
			await settle();
			expect(await store.getIndex('w')).toBeUndefined();
			fail = undefined;
			gate = Promise.resolve();
			expect(namesOf(await catalog().snapshot('w', { waitMs: 1000 }))).toEqual(['one']);
			expect(fetches).toBe(3);
		});
	});

	describe('a fetch that failed after the wait: the next waiting look that Meta keeps waiting says why', () => {
		function failing() {
			let now = 1_000_000;
			let gate = Promise.resolve();
			let open = () => undefined as void;
			let fail: Error | undefined;
			const store = new MemoryTemplateCache();
			const catalog = (by = '1001', token = 'token-1') =>
				new TemplateCatalog(
					store,
					async () => {
						await gate;
						if (fail) throw fail;
						return [t('one', 'en')];
					},
					REFRESH,
					() => now,
					by,
					token,
				);
			return {
				store,
				catalog,
				hold: () => (gate = new Promise<void>((resolve) => (open = resolve))),
				answer: () => open(),
				failWith: (error?: Error) => (fail = error),
				advance: (ms: number) => (now += ms),
			};
		}
		const settle = () => new Promise((resolve) => setImmediate(resolve));
		const unreachable = new Error('request to Graph timed out');

		/** A first look Meta keeps waiting, whose fetch then fails with `error`; the next fetch is held. */
		async function failsAfterTheWait(f: ReturnType<typeof failing>, error: Error): Promise<void> {
			f.failWith(error);
			f.hold();
			await expect(f.catalog().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			f.answer();
			await settle();
			f.hold();
		}

		/** A first look Meta keeps waiting, whose fetch then fails (Meta out of reach), and the next one that says so. */
		async function failedLate(f: ReturnType<typeof failing>): Promise<void> {
			await failsAfterTheWait(f, unreachable);
			await expect(f.catalog().snapshot('w', { waitMs: 5 })).rejects.toBe(unreachable);
		}

		it('nothing cached: the failure itself, for that number only, until a fetch succeeds or 2 minutes passed', async () => {
			const f = failing();
			await failedLate(f);
			// Another number's look (its own token) knows nothing of it.
			await expect(f.catalog('1002').snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			f.advance(120000);
			await expect(f.catalog().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
		});

		it('the number’s token replaced since (an admin reconnected it): the failure is not told, and is forgotten', async () => {
			const f = failing();
			await failsAfterTheWait(f, new GraphApiError(401, { code: 190 }));
			await expect(f.catalog('1001', 'token-2').snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			// Gone for the old token's looks too (none come once the number is saved with the new one).
			await expect(f.catalog().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			f.answer();
			await settle();
		});

		it('a fetch that succeeds after the wait ends it', async () => {
			const f = failing();
			// Kept: the next look Meta keeps waiting says why.
			await failedLate(f);
			// That look's fetch succeeds after its wait: the failure is gone, and the list is stored.
			f.failWith(undefined);
			f.answer();
			await settle();
			expect((await f.store.getIndex('w'))?.templates.map((x) => x.name)).toEqual(['one']);
			f.advance(REFRESH);
			f.hold();
			const next = await f.catalog().snapshot('w', { waitMs: 5 });
			expect([next.listing, 'lastFailure' in next]).toEqual([true, false]);
			f.answer();
			await settle();
		});

		it('a failure to store the list is not kept as Meta’s', async () => {
			const f = failing();
			f.store.setIndex = async () => {
				throw new Error('database down');
			};
			f.hold();
			await expect(f.catalog().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			f.answer();
			await settle();
			f.hold();
			await expect(f.catalog().snapshot('w', { waitMs: 5 })).rejects.toThrow(TemplateListSlow);
			f.answer();
			await settle();
		});

		it('a list cached before: that list, with the failure instead of "still loading"; a list stored since the failure supersedes it', async () => {
			const f = failing();
			await f.catalog().snapshot('w');
			f.advance(REFRESH);
			f.failWith(unreachable);
			f.hold();
			expect((await f.catalog().snapshot('w', { waitMs: 5 })).lastFailure).toBeUndefined();
			f.answer();
			await settle();
			f.hold();
			const next = await f.catalog().snapshot('w', { waitMs: 5, refresh: true });
			expect([next.listing, next.lastFailure, next.summaries.map((x) => x.name)]).toEqual([true, unreachable, ['one']]);
			f.failWith(undefined);
			f.answer();
			await settle();
			f.advance(1);
			await f.catalog('1002').list('w', { refresh: true });
			f.hold();
			const after = await f.catalog().snapshot('w', { waitMs: 5, refresh: true });
			expect([after.listing, after.lastFailure]).toEqual([true, undefined]);
			f.answer();
		});
	});

	describe('fetches of one account that overlap (two agents’ forms, a Refresh, another instance) and end in any order', () => {
		/** Catalogs over one store whose fetches each wait for their own `answer(i, list)`. */
		function overlapping() {
			let now = 1_000_000;
			const pending: Array<(list: MetaTemplate[]) => void> = [];
			const store = new MemoryTemplateCache();
			const catalog = () =>
				new TemplateCatalog(
					store,
					() => new Promise<MetaTemplate[]>((resolve) => pending.push(resolve)),
					REFRESH,
					() => now,
				);
			/** Waits until Meta was asked for the `i`th list (a look reads the cache first). */
			const asked = async (i: number) => {
				for (let round = 0; !pending[i]; round++) {
					if (round === 100) throw new Error(`fetch ${i} was never asked`);
					await new Promise((resolve) => setImmediate(resolve));
				}
			};
			/** Answers fetch `i` once it was asked. */
			const answer = async (i: number, list: MetaTemplate[]) => (await asked(i), pending[i](list));
			/** Starts a look that fetches (a Refresh by default), once Meta was asked for the `i`th list: its outcome. */
			const begin = async <T>(i: number, look: () => Promise<T> = () => catalog().refresh('w') as Promise<T>) => {
				const done = look();
				await asked(i);
				return { done };
			};
			/** A first list stored, as the first look stored it. */
			const stored = async (list: MetaTemplate[]) => {
				const first = catalog().list('w');
				await answer(0, list);
				await first;
			};
			return {
				store,
				catalog,
				stored,
				begin,
				asked,
				answer,
				advance: (ms: number) => (now += ms),
			};
		}
		const cachedNames = async (store: MemoryTemplateCache) => (await store.getIndex('w'))?.templates.map((x) => x.name);

		it('a list is dated when its fetch began; one that began earlier and ends later does not replace the newer one', async () => {
			const o = overlapping();
			const older = o.catalog().refresh('w');
			o.advance(1000);
			const newer = o.catalog().refresh('w');
			o.advance(1000);
			await o.answer(1, [t('one', 'en'), t('approved_since', 'en')]);
			await newer;
			expect(await o.store.getIndex('w')).toMatchObject({ fetchedAt: 1_001_000 });
			await o.answer(0, [t('one', 'en')]);
			// Its caller has the list it asked for; the cache keeps the newer one.
			expect(names(await older)).toEqual(['one/en']);
			expect(await cachedNames(o.store)).toEqual(['one', 'approved_since']);
			expect(await readCache(o.store, 'w')).toMatchObject({ fetchedAt: 1_001_000 });
		});

		it.each([
			['paused', { event: 'PAUSED', templateName: 'promo', language: 'en' }],
			['approved', { event: 'APPROVED', templateName: 'new_one', language: 'en' }],
		])('a template %s while a list loads: that list is stored stale, and the next look fetches again', async (_, event) => {
			const o = overlapping();
			await o.stored([t('welcome', 'en'), t('promo', 'en')]);
			o.advance(REFRESH);
			const loading = await o.begin(1, () => o.catalog().list('w'));
			o.advance(10);
			await o.catalog().applyStatusUpdate({ wabaId: 'w', ...event });
			// Meta's answer to a question asked before the change.
			await o.answer(1, [t('welcome', 'en'), t('promo', 'en')]);
			await loading.done;
			expect(await o.store.getIndex('w')).toMatchObject({ fetchedAt: 1_000_000 + REFRESH, stale: true });
			// A fetch that began after the change (a fetch in the same millisecond counts as before it).
			o.advance(1);
			const next = o.catalog().list('w');
			await o.answer(2, [t('welcome', 'en'), t('new_one', 'en')]);
			expect(names(await next)).toEqual(['welcome/en', 'new_one/en']);
			expect(await o.store.getIndex('w')).not.toHaveProperty('stale');
		});

		it('a list whose fetch began after the change is not stale', async () => {
			const o = overlapping();
			await o.stored([t('welcome', 'en'), t('promo', 'en')]);
			await o.catalog().onSendError({ wabaId: 'w', name: 'promo', language: 'en', code: 132015 });
			o.advance(1);
			const refreshed = o.catalog().refresh('w');
			await o.answer(1, [t('welcome', 'en')]);
			await refreshed;
			expect(await o.store.getIndex('w')).toStrictEqual({
				fetchedAt: 1_000_001,
				shards: 1,
				templates: [{ name: 'welcome', category: 'UTILITY', languages: ['en'] }],
				changedAt: 1_000_000,
			});
		});

		it('two fetches that began before the change, ending one after the other: both lists are stored stale', async () => {
			const o = overlapping();
			await o.stored([t('welcome', 'en'), t('promo', 'en')]);
			o.advance(REFRESH);
			const older = await o.begin(1);
			o.advance(5);
			const newer = await o.begin(2);
			o.advance(5);
			await o.catalog().applyStatusUpdate({ wabaId: 'w', event: 'PAUSED', templateName: 'promo', language: 'en' });
			await o.answer(1, [t('welcome', 'en'), t('promo', 'en')]);
			await older.done;
			await o.answer(2, [t('welcome', 'en'), t('promo', 'en')]);
			await newer.done;
			expect(await o.store.getIndex('w')).toMatchObject({ fetchedAt: 1_000_005 + REFRESH, stale: true });
		});
	});

	it('remove drops one language, or all of them', async () => {
		const s = setup({ w: [t('welcome', 'en_US'), t('welcome', 'pt_BR'), t('alert', 'es')] });
		await s.catalog.list('w');
		await s.catalog.remove('w', 'welcome', 'pt_BR');
		expect(names(await s.catalog.list('w'))).toEqual(['welcome/en_US', 'alert/es']);
		await s.catalog.remove('w', 'welcome');
		expect(names(await s.catalog.list('w'))).toEqual(['alert/es']);
		expect(s.fetches).toHaveLength(1);
	});

	it.each([132001, 132015, 132016])('a send failing with %i removes that template in that language', async (code) => {
		const s = setup({ w: [t('welcome', 'en_US'), t('welcome', 'pt_BR')] });
		await s.catalog.list('w');
		await s.catalog.onSendError({ wabaId: 'w', name: 'welcome', language: 'pt_BR', code });
		expect(names(await s.catalog.list('w'))).toEqual(['welcome/en_US']);
	});

	it.each([131047, 131026, 130429])('a send failing with %i keeps the template, and the list is not fetched again', async (code) => {
		const s = setup({ w: [t('welcome', 'en_US')] });
		await s.catalog.list('w');
		await s.catalog.onSendError({ wabaId: 'w', name: 'welcome', language: 'en_US', code });
		expect(names(await s.catalog.list('w'))).toEqual(['welcome/en_US']);
		expect(s.fetches).toHaveLength(1);
	});

	it("a campaign's refusal (always) makes the next list fetch from Meta even within a minute of its fetch", async () => {
		const s = setup({ w: [t('welcome', 'en_US')] });
		await s.catalog.list('w');
		s.advance(1);
		await s.catalog.onSendError({ wabaId: 'w', name: 'welcome', language: 'en_US', code: 132000 }, { always: true });
		s.advance(1);
		await s.catalog.list('w');
		expect(s.fetches).toHaveLength(2);
	});

	it.each([132000, 132012])(
		"a send failing with %i (the parameters are not Meta's template's: edited at Meta) makes the next list fetch from Meta, unless the list was fetched within the minute",
		async (code) => {
			const s = setup({ w: [t('welcome', 'en_US')] });
			await s.catalog.list('w');
			// Within a minute of the list's fetch, the list is Meta's already: not fetched again.
			s.advance(MISS_REFETCH_MS - 1);
			await s.catalog.onSendError({ wabaId: 'w', name: 'welcome', language: 'en_US', code });
			await s.catalog.list('w');
			expect(s.fetches).toHaveLength(1);
			s.advance(1);
			await s.catalog.onSendError({ wabaId: 'w', name: 'welcome', language: 'en_US', code });
			// A fetch that begins in the same millisecond as the change counts as before it.
			s.advance(1);
			expect(names(await s.catalog.list('w'))).toEqual(['welcome/en_US']);
			expect(s.fetches).toHaveLength(2);
			await s.catalog.list('w');
			expect(s.fetches).toHaveLength(2);
		},
	);
});

/** The memory store, counting what each call reads. */
class CountingCache extends MemoryTemplateCache {
	reads: string[] = [];
	override async getIndex(wabaId: string) {
		this.reads.push('index');
		return super.getIndex(wabaId);
	}
	override async getShard(wabaId: string, shard: number) {
		this.reads.push(`shard ${shard}`);
		return super.getShard(wabaId, shard);
	}
}

describe('the cache shape with thousands of templates', () => {
	const many = Array.from({ length: 6000 }, (_, k) =>
		t(`template_${String(Math.floor(k / 2)).padStart(4, '0')}`, k % 2 ? 'pt_BR' : 'en_US'),
	);
	const cached = async () => {
		const store = new CountingCache();
		let fetches = 0;
		const catalog = new TemplateCatalog(
			store,
			async () => (fetches++, many),
			REFRESH,
			() => 1000,
		);
		await catalog.list('w');
		store.reads = [];
		return { store, catalog, fetches: () => fetches };
	};

	it('keeps an index of 3,000 names and 60 shards of about 100 templates', async () => {
		const { store } = await cached();
		const index = await store.getIndex('w');
		expect(index).toMatchObject({ fetchedAt: 1000, shards: 60 });
		expect(index?.templates).toHaveLength(3000);
		expect(index?.templates[1]).toEqual({ name: 'template_0001', category: 'UTILITY', languages: ['en_US', 'pt_BR'] });
		const sizes = await Promise.all(Array.from({ length: 60 }, async (_, i) => (await store.getShard('w', i))?.templates.length ?? 0));
		expect(sizes.reduce((a, b) => a + b, 0)).toBe(6000);
		expect(Math.max(...sizes)).toBeLessThan(200);
	});

	it("a snapshot reads the index alone; one name's templates read one shard", async () => {
		const { store, catalog, fetches } = await cached();
		const snapshot = await catalog.snapshot('w');
		expect(snapshot.summaries).toHaveLength(3000);
		expect(snapshot.summaries.slice(0, 2).map((x) => x.name)).toEqual(['template_0000', 'template_0001']);
		expect(store.reads).toEqual(['index']);
		expect(names(await snapshot.templatesNamed('template_2024'))).toEqual(['template_2024/en_US', 'template_2024/pt_BR']);
		expect(store.reads).toEqual(['index', `shard ${shardOf('template_2024', 60)}`]);
		expect(await catalog.find('w', 'template_2024', 'pt_BR')).toMatchObject({ name: 'template_2024', language: 'pt_BR' });
		expect(fetches()).toBe(1);
	});

	it('a shard another refresh wrote meanwhile is read again with the new index', async () => {
		const { store, catalog, fetches } = await cached();
		const snapshot = await catalog.snapshot('w');
		// Another instance refreshed: fewer templates, so other shards, and another fetchedAt.
		await writeCache(store, 'w', { fetchedAt: 2000, templates: [t('template_2024', 'es'), t('fresh', 'en')] });
		store.reads = [];
		expect(names(await snapshot.templatesNamed('template_2024'))).toEqual(['template_2024/es']);
		expect(store.reads).toEqual([`shard ${shardOf('template_2024', 60)}`, 'index', 'shard 0']);
		expect(fetches()).toBe(1);
	});

	it('a shard that stays of another fetch (a refresh that failed halfway) fetches the list from Meta', async () => {
		const { store, catalog, fetches } = await cached();
		const shard = shardOf('template_2024', 60);
		await store.setShard('w', shard, { fetchedAt: 999, templates: [] });
		expect(await catalog.find('w', 'template_2024', 'en_US')).toMatchObject({ name: 'template_2024' });
		expect(fetches()).toBe(2);
		expect((await store.getShard('w', shard))?.fetchedAt).toBe(1000);
	});

	it('a removal rewrites one shard and the index; the whole list reads back without it', async () => {
		const { store, catalog } = await cached();
		await catalog.remove('w', 'template_0001', 'pt_BR');
		await catalog.remove('w', 'template_0002');
		const index = await store.getIndex('w');
		expect(index?.templates.slice(0, 3)).toEqual([
			{ name: 'template_0000', category: 'UTILITY', languages: ['en_US', 'pt_BR'] },
			{ name: 'template_0001', category: 'UTILITY', languages: ['en_US'] },
			{ name: 'template_0003', category: 'UTILITY', languages: ['en_US', 'pt_BR'] },
		]);
		expect((await readCache(store, 'w'))?.templates).toHaveLength(5997);
	});
});

describe('template status webhooks', () => {
	const fixture = readContract('pywa/template_status_update.json');
	const withEvent = (event: string) => {
		const payload = JSON.parse(JSON.stringify(fixture.approved));
		payload.entry[0].changes[0].value.event = event;
		return payload;
	};

	it('takes message_template_status_update changes from the webhook walker (WABA from entry.id)', () => {
		expect(templateUpdates(fixture.approved)).toEqual([
			{
				kind: 'template-status',
				wabaId: '102290129340398',
				event: 'APPROVED',
				templateName: 'order_confirmation',
				language: 'en_US',
				templateId: '1689556908129832',
				reason: 'NONE',
				category: 'UTILITY',
			},
		]);
		expect(templateUpdates(fixture.rejected)[0]).toMatchObject({
			event: 'REJECTED',
			templateName: 'abandoned_cart',
			language: 'en',
			reason: 'INVALID_FORMAT',
		});
		expect(templateUpdates(readContract('meta-docs/webhook-status-sent-marketing.json'))).toEqual([]);
		expect(templateUpdates(undefined)).toEqual([]);
	});

	it.each(['PAUSED', 'DISABLED', 'DELETED', 'PENDING_DELETION', 'REJECTED'])(
		'%s removes the template in that language at once',
		async (event) => {
			const s = setup({ '102290129340398': [t('order_confirmation', 'en_US'), t('order_confirmation', 'es')] });
			await s.catalog.list('102290129340398');
			for (const update of templateUpdates(withEvent(event))) await s.catalog.applyStatusUpdate(update);
			expect(names(await s.catalog.list('102290129340398'))).toEqual(['order_confirmation/es']);
			expect(s.fetches).toHaveLength(1);
		},
	);

	it('APPROVED (or any other event) makes the next list fetch from Meta', async () => {
		const lists: Record<string, MetaTemplate[]> = { '102290129340398': [t('welcome', 'en')] };
		const s = setup(lists);
		await s.catalog.list('102290129340398');
		lists['102290129340398'] = [t('welcome', 'en'), t('order_confirmation', 'en_US')];
		await s.catalog.applyStatusUpdate(templateUpdates(fixture.approved)[0]);
		expect(names(await s.catalog.list('102290129340398'))).toEqual(['welcome/en', 'order_confirmation/en_US']);
		expect(s.fetches).toHaveLength(2);
	});

	it("reads Meta's event words in any case", async () => {
		const s = setup({ w: [t('promo', 'en'), t('promo', 'es')] });
		await s.catalog.list('w');
		await s.catalog.applyStatusUpdate({ wabaId: 'w', event: 'paused', templateName: 'promo', language: 'en' });
		expect(names(await s.catalog.list('w'))).toEqual(['promo/es']);
	});
});

describe('a template the cache lacks (find)', () => {
	/**
	 * A catalog filled with `welcome/en`, after which Meta approves `approved_later/pt_BR`. `fail`
	 * makes Meta unreachable; `hold` keeps Meta's answers until `release` (concurrent callers).
	 */
	async function approvedLater() {
		const lists: Record<string, MetaTemplate[]> = { w: [t('welcome', 'en')] };
		let now = 1000000;
		let fail: boolean | Error = false;
		let held: Promise<void> | undefined;
		let release = () => {};
		const fetches: string[] = [];
		const store = new MemoryTemplateCache();
		const fetchAll = async (waba: string) => {
			fetches.push(waba);
			if (held) await held;
			if (fail) throw fail === true ? new Error('graph down') : fail;
			return lists[waba] ?? [];
		};
		/** A catalog on the store whose lists are fetched with the token of the number `by`. */
		const catalogOn = (by = 'n1') => new TemplateCatalog(store, fetchAll, REFRESH, () => now, by);
		const catalog = catalogOn();
		await catalog.list('w');
		lists.w = [t('welcome', 'en'), t('approved_later', 'pt_BR')];
		return {
			catalog,
			catalogOn,
			store,
			fetches,
			lists,
			advance: (ms: number) => (now += ms),
			failing: (value: boolean | Error) => (fail = value),
			hold: () => (held = new Promise<void>((resolve) => (release = resolve))),
			release: () => ((held = undefined), release()),
		};
	}

	it('finds a template approved after the cache was filled on its first use, with one more list from Meta', async () => {
		const s = await approvedLater();
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later', language: 'pt_BR' });
		expect(s.fetches).toEqual(['w', 'w']);
		// The list fetched again is the cache now: the next uses read it.
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		expect(names(await s.catalog.list('w'))).toEqual(['welcome/en', 'approved_later/pt_BR']);
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('a language the cache lacks of a name it has is a miss too', async () => {
		const s = await approvedLater();
		s.lists.w = [t('welcome', 'en'), t('welcome', 'es')];
		expect(await s.catalog.find('w', 'welcome', 'es')).toMatchObject({ name: 'welcome', language: 'es' });
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('fetches again on a miss at most once per MISS_REFETCH_MS per WABA', async () => {
		const s = await approvedLater();
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w']);
		// Within the interval: the cache answers, even for a template Meta approved meanwhile.
		s.lists.w = [t('welcome', 'en'), t('approved_later', 'pt_BR'), t('newer', 'en')];
		s.advance(MISS_REFETCH_MS - 1);
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(await s.catalog.find('w', 'newer', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w']);
		// The interval is per WABA.
		s.lists.other = [t('x', 'en')];
		await s.catalog.list('other');
		expect(await s.catalog.find('other', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'other', 'other']);
		s.advance(1);
		expect(await s.catalog.find('w', 'newer', 'en')).toMatchObject({ name: 'newer' });
		expect(s.fetches).toEqual(['w', 'w', 'other', 'other', 'w']);
	});

	it('keeps the interval in the store, apart from the index: another catalog on the store (another request or instance) fetches nothing', async () => {
		const s = await approvedLater();
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1000000 });
		// The index is the one the list fetched again wrote, and carries no mark.
		expect(Object.keys((await s.store.getIndex('w')) ?? {}).sort()).toEqual(['fetchedAt', 'shards', 'templates']);
		expect(await s.catalogOn().find('w', 'still_missing', 'en')).toBeUndefined();
		// A refresh (the Refresh button) keeps it too.
		await s.catalog.refresh('w');
		expect(await s.catalogOn().find('w', 'still_missing', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it('a miss fetching again that fails says the list is unavailable (not a miss), keeps the cache and marks the interval failed', async () => {
		const s = await approvedLater();
		s.failing(true);
		const error = await s.catalog.find('w', 'approved_later', 'pt_BR').then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(TemplateListUnavailable);
		expect(error).toMatchObject({
			code: 'template_list_unavailable',
			status: 503,
			i18nKey: 'api_error_template_list_unavailable',
			params: { name: 'approved_later', language: 'pt_BR' },
		});
		// Nothing of the failure goes with it (Meta's words, a token).
		expect((error as Error).message).not.toContain('graph down');
		expect(s.fetches).toEqual(['w', 'w']);
		// The time the mark was written with before the fetch, and that the fetch failed.
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1000000, failed: true });
		expect(names((await readCache(s.store, 'w'))?.templates ?? [])).toEqual(['welcome/en']);
		expect(await s.catalog.find('w', 'welcome', 'en')).toMatchObject({ name: 'welcome' });
	});

	it('within the interval of a fetch that failed, a miss says the list is unavailable again, on any catalog, without asking Meta', async () => {
		const s = await approvedLater();
		s.failing(true);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(s.fetches).toEqual(['w', 'w']);
		// Meta answers again, but the interval is not over: nothing tells the cache's miss is an answer.
		s.failing(false);
		s.advance(MISS_REFETCH_MS - 1);
		const again = await s.catalog.find('w', 'approved_later', 'pt_BR').then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(again).toBeInstanceOf(TemplateListUnavailable);
		expect(again).toMatchObject({ status: 503, params: { name: 'approved_later', language: 'pt_BR' } });
		// Another request or instance on the store reads the same mark; each error names its own template.
		await expect(s.catalogOn().find('w', 'no_such_template', 'en')).rejects.toMatchObject({
			code: 'template_list_unavailable',
			params: { name: 'no_such_template', language: 'en' },
		});
		expect(s.fetches).toEqual(['w', 'w']);
		// A template the cache has is found as ever.
		expect(await s.catalogOn().find('w', 'welcome', 'en')).toMatchObject({ name: 'welcome' });
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1000000, failed: true });
	});

	it("Meta refusing the number's token (190): the miss and those within the interval say to reconnect the number, not to wait", async () => {
		const s = await approvedLater();
		s.advance(1000);
		s.failing(new GraphApiError(401, { message: 'Error validating access token', type: 'OAuthException', code: 190 }));
		const first = await s.catalog.find('w', 'approved_later', 'pt_BR').catch((e: unknown) => e);
		expect(first).toBeInstanceOf(TemplateListUnavailable);
		expect(first).toMatchObject({ status: 503, graphCode: 190, i18nKey: 'api_error_template_list_token' });
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1001000, failed: true, graphCode: 190, phoneNumberId: 'n1' });
		s.advance(1000);
		await expect(s.catalogOn().find('w', 'no_such_template', 'en')).rejects.toMatchObject({
			graphCode: 190,
			i18nKey: 'api_error_template_list_token',
			params: { name: 'no_such_template', language: 'en' },
		});
		// Another number of the account has a token of its own: Meta refused n1's, so n2's sends are told to try again.
		const other = await s
			.catalogOn('n2')
			.find('w', 'no_such_template', 'en')
			.catch((e: unknown) => e);
		expect(other).toBeInstanceOf(TemplateListUnavailable);
		expect(other).toMatchObject({ graphCode: undefined, i18nKey: 'api_error_template_list_unavailable' });
		expect(s.fetches).toEqual(['w', 'w']);
		// Meta out of reach (no code): the words ask to try again.
		s.advance(MISS_REFETCH_MS);
		s.failing(true);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toMatchObject({
			i18nKey: 'api_error_template_list_unavailable',
		});
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1002000 + MISS_REFETCH_MS, failed: true });
	});

	it('a fetch that fails after its mark was forgotten (the number reconnected meanwhile) leaves no failed mark: the next miss fetches again', async () => {
		const s = await approvedLater();
		s.advance(1000);
		s.failing(new GraphApiError(401, { message: 'Error validating access token', type: 'OAuthException', code: 190 }));
		s.hold();
		const first = s.catalog.find('w', 'approved_later', 'pt_BR').catch((e: unknown) => e);
		for (let turn = 0; s.fetches.length < 2 && turn < 100; turn++) await Promise.resolve();
		expect(s.fetches).toEqual(['w', 'w']);
		// The admin reconnects the number with a new token while the fetch with the old one is under way.
		await s.store.forgetMissRefetch('w');
		s.release();
		expect(await first).toMatchObject({ graphCode: 190, i18nKey: 'api_error_template_list_token' });
		expect(await s.store.getMissRefetch('w')).toBeUndefined();
		s.failing(false);
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it("Meta refusing the number's app secret (a 100 naming the appsecret_proof) says an admin must correct it, to that number's sends only", async () => {
		const s = await approvedLater();
		s.failing(
			new GraphApiError(400, {
				message: 'Invalid appsecret_proof provided in the API argument',
				type: 'GraphMethodException',
				code: 100,
			}),
		);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toMatchObject({
			status: 503,
			graphCode: 100,
			i18nKey: 'api_error_template_list_app_secret',
		});
		expect(await s.store.getMissRefetch('w')).toEqual({
			at: 1000000,
			failed: true,
			graphCode: 100,
			phoneNumberId: 'n1',
			appSecretRefused: true,
		});
		s.advance(1000);
		await expect(s.catalogOn().find('w', 'no_such_template', 'en')).rejects.toMatchObject({
			i18nKey: 'api_error_template_list_app_secret',
		});
		await expect(s.catalogOn('n2').find('w', 'no_such_template', 'en')).rejects.toMatchObject({
			i18nKey: 'api_error_template_list_unavailable',
		});
		// Another 100 is not about the secret: try again.
		s.advance(MISS_REFETCH_MS);
		s.failing(new GraphApiError(400, { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100 }));
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toMatchObject({
			i18nKey: 'api_error_template_list_unavailable',
		});
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it("Meta's API Session error (102: the token expired, was revoked or is invalid) says to reconnect the number too", async () => {
		const s = await approvedLater();
		s.failing(new GraphApiError(401, { message: 'Error validating access token', type: 'OAuthException', code: 102 }));
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toMatchObject({
			status: 503,
			graphCode: 102,
			i18nKey: 'api_error_template_list_token',
		});
		s.advance(1000);
		await expect(s.catalogOn().find('w', 'no_such_template', 'en')).rejects.toMatchObject({
			graphCode: 102,
			i18nKey: 'api_error_template_list_token',
		});
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('within the interval of a fetch that failed, a list fetched since (the Refresh button) answers the miss again', async () => {
		const s = await approvedLater();
		s.failing(true);
		await expect(s.catalog.find('w', 'no_such_template', 'en')).rejects.toBeInstanceOf(TemplateListUnavailable);
		s.failing(false);
		s.advance(1000);
		// The modal's Refresh fetches the list: a template it lacks is not approved, within the interval too.
		await s.catalog.list('w', { refresh: true });
		expect(s.fetches).toEqual(['w', 'w', 'w']);
		s.advance(1000);
		expect(await s.catalogOn().find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it('once the interval of a fetch that failed is over, a miss fetches again; its success ends the failed mark', async () => {
		const s = await approvedLater();
		s.failing(true);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		s.failing(false);
		s.advance(MISS_REFETCH_MS);
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later', language: 'pt_BR' });
		expect(s.fetches).toEqual(['w', 'w', 'w']);
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1000000 + MISS_REFETCH_MS });
		// Within the interval of that fetch, a template it lacks is not approved.
		s.advance(1);
		expect(await s.catalogOn().find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it('once the interval of a fetch that failed is over, a fetch that succeeds without the template answers undefined', async () => {
		const s = await approvedLater();
		s.failing(true);
		await expect(s.catalog.find('w', 'no_such_template', 'en')).rejects.toBeInstanceOf(TemplateListUnavailable);
		s.failing(false);
		s.advance(MISS_REFETCH_MS);
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'w']);
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it('within the interval of a fetch that succeeded, a miss answers undefined (not approved)', async () => {
		const s = await approvedLater();
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1000000 });
		s.failing(true);
		s.advance(MISS_REFETCH_MS - 1);
		expect(await s.catalogOn().find('w', 'still_missing', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('a failed mark that cannot be written: that miss says the list is unavailable, and so do later ones within the interval', async () => {
		const s = await approvedLater();
		s.advance(1000);
		const setMark = s.store.setMissRefetch.bind(s.store);
		const writes = jest.spyOn(s.store, 'setMissRefetch').mockImplementation(async (wabaId, mark) => {
			if (mark.failed) throw new Error('store down');
			return setMark(wabaId, mark);
		});
		s.failing(true);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(writes.mock.calls.map(([, mark]) => mark)).toEqual([{ at: 1001000 }, { at: 1001000, failed: true }]);
		// The mark written before the fetch stands: the interval is kept, and no list was stored since it.
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1001000 });
		s.advance(MISS_REFETCH_MS - 1);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('a miss that read the cache just before the list fetched again was stored answers from that list (one more read)', async () => {
		let now = 1000000;
		const lists: Record<string, MetaTemplate[]> = { w: [t('welcome', 'en')] };
		const fetches: string[] = [];
		const fetchAll = async (waba: string) => (fetches.push(waba), lists[waba] ?? []);
		let meanwhile: (() => Promise<void>) | undefined;
		const store = new (class extends MemoryTemplateCache {
			override async getMissRefetch(wabaId: string) {
				const hook = meanwhile;
				meanwhile = undefined;
				await hook?.();
				return super.getMissRefetch(wabaId);
			}
		})();
		const catalogOn = () => new TemplateCatalog(store, fetchAll, REFRESH, () => now);
		await catalogOn().list('w');
		lists.w = [t('welcome', 'en'), t('approved_later', 'pt_BR')];
		now += 1000;
		// After this miss read the cache, another instance fetched the list again (its mark, then its list).
		meanwhile = async () => {
			await store.setMissRefetch('w', { at: now });
			now += 10;
			await catalogOn().list('w', { refresh: true });
		};
		expect(await catalogOn().find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		expect(fetches).toEqual(['w', 'w']);
	});

	it("within the interval of another instance's fetch still under way, a miss is unavailable; once its list is stored, that list answers", async () => {
		const s = await approvedLater();
		s.advance(1000);
		// Another instance began to fetch the list again (its mark), and has not stored it yet.
		await s.store.setMissRefetch('w', { at: 1001000 });
		s.advance(1000);
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(s.fetches).toEqual(['w']);
		// Its list is stored (here by another catalog's refresh, as that fetch would): read once more, it answers.
		await s.catalogOn().list('w', { refresh: true });
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('a miss within the interval answers undefined, without asking Meta, even while Meta is out of reach', async () => {
		const s = await approvedLater();
		// A mark as an earlier version wrote it (no `failed`).
		await s.store.setMissRefetch('w', { at: 1000000 - MISS_REFETCH_MS + 1 });
		s.failing(true);
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toBeUndefined();
		expect(s.fetches).toEqual(['w']);
	});

	it('a miss whose fetch succeeds without the template answers undefined', async () => {
		const s = await approvedLater();
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(await s.catalog.find('w', 'welcome', 'pt_BR')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w']);
		expect(names(await s.catalog.list('w'))).toEqual(['welcome/en', 'approved_later/pt_BR']);
	});

	it.each([
		['reading the mark', 'getMissRefetch'],
		['writing the mark', 'setMissRefetch'],
		['writing the list fetched again', 'setIndex'],
	] as const)('a store failing on a miss (%s) says the list is unavailable', async (_, method) => {
		const s = await approvedLater();
		jest.spyOn(s.store, method).mockRejectedValue(new Error('store down'));
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		// The mark is read or written before the fetch: Meta is asked only once it is written.
		expect(s.fetches).toEqual(method === 'setIndex' ? ['w', 'w'] : ['w']);
	});

	it('concurrent misses sharing one fetch that fails all say the list is unavailable, each naming its template', async () => {
		const s = await approvedLater();
		s.failing(true);
		s.hold();
		const other = s.catalogOn();
		const outcomes = Promise.all(
			[
				s.catalog.find('w', 'approved_later', 'pt_BR'),
				s.catalog.find('w', 'no_such_template', 'en'),
				other.find('w', 'welcome', 'es'),
			].map((find) =>
				find.then(
					(found) => ({ found }),
					(error: unknown) => ({ error }),
				),
			),
		);
		await new Promise((resolve) => setImmediate(resolve));
		expect(s.fetches).toEqual(['w', 'w']);
		s.release();
		const answers = await outcomes;
		expect(answers.map((a) => 'error' in a && a.error instanceof TemplateListUnavailable)).toEqual([true, true, true]);
		expect(answers.map((a) => ('error' in a ? (a.error as TemplateListUnavailable).params : a))).toEqual([
			{ name: 'approved_later', language: 'pt_BR' },
			{ name: 'no_such_template', language: 'en' },
			{ name: 'welcome', language: 'es' },
		]);
		expect(s.fetches).toEqual(['w', 'w']);
		// The fetch is over: a miss now is within the interval of a fetch that failed.
		await expect(other.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('concurrent misses share one fetch, from one catalog or several', async () => {
		const s = await approvedLater();
		s.hold();
		const other = s.catalogOn();
		const answers = Promise.all([
			s.catalog.find('w', 'approved_later', 'pt_BR'),
			s.catalog.find('w', 'no_such_template', 'en'),
			other.find('w', 'approved_later', 'pt_BR'),
			other.find('w', 'welcome', 'es'),
		]);
		// Every find has come to Meta's answer (the store answers in microtasks): Meta answers now.
		await new Promise((resolve) => setImmediate(resolve));
		expect(s.fetches).toEqual(['w', 'w']);
		s.release();
		const [found, missing, foundToo, missingToo] = await answers;
		expect(found).toMatchObject({ name: 'approved_later' });
		expect(foundToo).toMatchObject({ name: 'approved_later' });
		expect([missing, missingToo]).toEqual([undefined, undefined]);
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it('a list fetched for the read (the cache due or stale) is not fetched again on a miss', async () => {
		const s = await approvedLater();
		s.advance(REFRESH);
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w']);
		await s.catalog.applyStatusUpdate({ wabaId: 'w', event: 'APPROVED', templateName: 'newer', language: 'en' });
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it('a failing list when the cache is due is still an error (no cached answer to fall back to)', async () => {
		const s = await approvedLater();
		s.advance(REFRESH);
		s.failing(true);
		await expect(s.catalog.find('w', 'welcome', 'en')).rejects.toThrow('graph down');
	});

	it("a mark more than MISS_REFETCH_MS ahead of this clock (another instance's clock far ahead) is expired", async () => {
		const s = await approvedLater();
		// Ahead by the interval at most: within it, as a mark of this clock would be (and no list stored
		// since it: that fetch runs elsewhere, or died, so whether the template is approved is not known).
		await s.store.setMissRefetch('w', { at: 1000000 + MISS_REFETCH_MS });
		await expect(s.catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(s.fetches).toEqual(['w']);
		// Further ahead: not trusted, the list is fetched again and the mark is this clock's.
		await s.store.setMissRefetch('w', { at: 1000000 + MISS_REFETCH_MS + 1, failed: true });
		expect(await s.catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		expect(s.fetches).toEqual(['w', 'w']);
		expect(await s.store.getMissRefetch('w')).toEqual({ at: 1000000 });
		// Far ahead (a clock set back by a day): the same.
		await s.store.setMissRefetch('w', { at: 1000000 + 24 * 3600000 });
		expect(await s.catalog.find('w', 'no_such_template', 'en')).toBeUndefined();
		expect(s.fetches).toEqual(['w', 'w', 'w']);
	});

	it.each([
		['another instance refreshes the list', 'refresh'],
		['a status webhook marks the list stale', 'stale'],
		['a send error removes a template', 'remove'],
	] as const)('an index written while a miss looks at its interval (%s) survives the miss, whose fetch fails', async (_, writer) => {
		const store = new InterleavedCache();
		// Meta out of reach for this instance.
		const catalogOn = () =>
			new TemplateCatalog(
				store,
				async () => {
					throw new Error('graph down');
				},
				REFRESH,
				() => 1000000,
			);
		const catalog = catalogOn();
		const other = catalogOn();
		await writeCache(store, 'w', { fetchedAt: 1000000, templates: [t('welcome', 'en'), t('welcome', 'es')] });
		store.meanwhile = async () => {
			if (writer === 'refresh')
				await writeCache(store, 'w', { fetchedAt: 1000001, templates: [t('welcome', 'en'), t('approved_later', 'pt_BR')] });
			if (writer === 'stale')
				await other.applyStatusUpdate({ wabaId: 'w', event: 'APPROVED', templateName: 'approved_later', language: 'pt_BR' });
			if (writer === 'remove') await other.remove('w', 'welcome', 'es');
		};
		await expect(catalog.find('w', 'approved_later', 'pt_BR')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(store.interleaved).toBe(true);
		if (writer === 'refresh') {
			// The other instance's list is the cache, read while Meta is out of reach.
			expect(names((await readCache(store, 'w'))?.templates ?? [])).toEqual(['welcome/en', 'approved_later/pt_BR']);
			expect(names(await catalog.list('w'))).toEqual(['welcome/en', 'approved_later/pt_BR']);
			expect(await catalog.find('w', 'approved_later', 'pt_BR')).toMatchObject({ name: 'approved_later' });
		}
		if (writer === 'stale') expect(await store.getIndex('w')).toMatchObject({ fetchedAt: 1000000, stale: true });
		if (writer === 'remove') {
			expect((await store.getIndex('w'))?.templates).toEqual([{ name: 'welcome', category: 'UTILITY', languages: ['en'] }]);
			expect(names(await catalog.list('w'))).toEqual(['welcome/en']);
		}
	});

	it('catalogs over two stores (another storage) do not share a fetch, though the WABA is the same', async () => {
		const made = () => {
			const fetches: string[] = [];
			let release = () => {};
			const held = new Promise<void>((resolve) => (release = resolve));
			let list = [t('welcome', 'en')];
			const store = new MemoryTemplateCache();
			const catalog = new TemplateCatalog(
				store,
				async (waba) => {
					fetches.push(waba);
					if (fetches.length > 1) await held;
					return list;
				},
				REFRESH,
				() => 1000000,
			);
			return { store, catalog, fetches, release, approve: (more: MetaTemplate[]) => (list = [...list, ...more]) };
		};
		const a = made();
		const b = made();
		await a.catalog.list('w');
		await b.catalog.list('w');
		a.approve([t('approved_later', 'pt_BR')]);
		b.approve([t('only_in_b', 'en')]);
		const answers = Promise.all([a.catalog.find('w', 'approved_later', 'pt_BR'), b.catalog.find('w', 'only_in_b', 'en')]);
		// Both misses have come to Meta (the stores answer in microtasks), their fetches held: Meta answers now.
		await new Promise((resolve) => setImmediate(resolve));
		a.release();
		b.release();
		const [inA, inB] = await answers;
		// Each store's miss fetched its own list, with its own catalog's fetch (its own number's token).
		expect([a.fetches, b.fetches]).toEqual([
			['w', 'w'],
			['w', 'w'],
		]);
		expect(inA).toMatchObject({ name: 'approved_later' });
		expect(inB).toMatchObject({ name: 'only_in_b' });
		expect(names(await b.catalog.list('w'))).toEqual(['welcome/en', 'only_in_b/en']);
		expect(await b.store.getMissRefetch('w')).toEqual({ at: 1000000 });
	});

	it('stores built per request over one storage (`storage`) share a fetch', async () => {
		const s = await approvedLater();
		s.hold();
		const perRequest = () =>
			new TemplateCatalog(
				viewOf(s.store),
				async (waba) => (s.fetches.push(waba), []),
				REFRESH,
				() => 1000000,
			);
		const answers = Promise.all([
			s.catalogOn().find('w', 'approved_later', 'pt_BR'),
			perRequest().find('w', 'approved_later', 'pt_BR'),
		]);
		await new Promise((resolve) => setImmediate(resolve));
		s.release();
		const [first, second] = await answers;
		expect(first).toMatchObject({ name: 'approved_later' });
		expect(second).toMatchObject({ name: 'approved_later' });
		expect(s.fetches).toEqual(['w', 'w']);
	});

	it("the persisted store, built per request over each request's accessors, answers one storage", () => {
		/* eslint-disable @typescript-eslint/no-explicit-any */
		const one = new PersistedTemplateCache({} as any, {} as any);
		const another = new PersistedTemplateCache({} as any);
		/* eslint-enable @typescript-eslint/no-explicit-any */
		expect(one.storage).toBeDefined();
		expect(another.storage).toBe(one.storage);
	});
});

/**
 * The memory store where another writer (`meanwhile`) runs once, after the first read a miss makes
 * once `find` has read its shard (the interval's mark, or the index for it): another instance or
 * request writing the index between that read and the miss's next step.
 */
class InterleavedCache extends MemoryTemplateCache {
	meanwhile?: () => Promise<void>;
	interleaved = false;
	private armed = false;

	override async getShard(wabaId: string, shard: number) {
		const value = await super.getShard(wabaId, shard);
		if (this.meanwhile && !this.interleaved) this.armed = true;
		return value;
	}

	override async getIndex(wabaId: string) {
		const value = await super.getIndex(wabaId);
		await this.interleave();
		return value;
	}

	override async getMissRefetch(wabaId: string) {
		const value = await super.getMissRefetch(wabaId);
		await this.interleave();
		return value;
	}

	private async interleave(): Promise<void> {
		if (!this.armed || !this.meanwhile) return;
		this.armed = false;
		this.interleaved = true;
		await this.meanwhile();
	}
}

/** Another store object over `store`'s data, as the persisted store is built per request: it names `store` as its storage. */
function viewOf(store: MemoryTemplateCache): TemplateCacheStore {
	return {
		storage: store,
		getIndex: (wabaId) => store.getIndex(wabaId),
		setIndex: (wabaId, index) => store.setIndex(wabaId, index),
		getShard: (wabaId, shard) => store.getShard(wabaId, shard),
		setShard: (wabaId, shard, value) => store.setShard(wabaId, shard, value),
		removeShard: (wabaId, shard) => store.removeShard(wabaId, shard),
		getMissRefetch: (wabaId) => store.getMissRefetch(wabaId),
		setMissRefetch: (wabaId, mark) => store.setMissRefetch(wabaId, mark),
	};
}
