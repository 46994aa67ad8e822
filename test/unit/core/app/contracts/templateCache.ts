/** The template cache contract (`TemplateCache`, core/app/ports.ts): the in-memory twin and the persistence store pass the same suite. */
import { TemplateCache } from '../../../../../src/core/app/ports';
import { OVERLAP_MAX_MS, readCache, writeCache } from '../../../../../src/core/templates/catalog';
import { TemplateIndex } from '../../../../../src/core/templates/templateIndex';

const template = (name: string, language = 'en_US') => ({ name, language, status: 'APPROVED', category: 'UTILITY', components: [] });
const index = (fetchedAt: number, shards: number, names: string[]): TemplateIndex => ({
	fetchedAt,
	shards,
	templates: names.map((name) => ({ name, category: 'UTILITY', languages: ['en_US'] })),
});

export function templateCacheContract(name: string, makeCache: () => Promise<TemplateCache> | TemplateCache): void {
	describe(`${name}: the template cache contract`, () => {
		it('keeps one index per WhatsApp Business Account, replaced on set', async () => {
			const cache = await makeCache();
			expect(await cache.getIndex('waba-1')).toBeUndefined();
			await cache.setIndex('waba-1', index(1, 1, ['a']));
			await cache.setIndex('waba-2', index(2, 1, ['b']));
			await cache.setIndex('waba-1', { ...index(3, 2, ['c', 'd']), stale: true });
			expect(await cache.getIndex('waba-1')).toEqual({ ...index(3, 2, ['c', 'd']), stale: true });
			expect(await cache.getIndex('waba-2')).toEqual(index(2, 1, ['b']));
		});

		it('keeps shards per account and number, replaced on set, gone on remove', async () => {
			const cache = await makeCache();
			expect(await cache.getShard('waba-1', 0)).toBeUndefined();
			await cache.setShard('waba-1', 0, { fetchedAt: 1, templates: [template('a')] });
			await cache.setShard('waba-1', 1, { fetchedAt: 1, templates: [template('b')] });
			await cache.setShard('waba-2', 0, { fetchedAt: 2, templates: [template('c')] });
			await cache.setShard('waba-1', 0, { fetchedAt: 3, templates: [template('d')] });
			expect(await cache.getShard('waba-1', 0)).toEqual({ fetchedAt: 3, templates: [template('d')] });
			expect(await cache.getShard('waba-2', 0)).toEqual({ fetchedAt: 2, templates: [template('c')] });
			await cache.removeShard('waba-1', 1);
			expect(await cache.getShard('waba-1', 1)).toBeUndefined();
			expect(await cache.getShard('waba-1', 0)).toEqual({ fetchedAt: 3, templates: [template('d')] });
		});

		it('keeps when a miss last fetched the list again, per account, replaced on set, apart from the index', async () => {
			const cache = await makeCache();
			expect(await cache.getMissRefetch('waba-1')).toBeUndefined();
			await writeCache(cache, 'waba-1', { fetchedAt: 5, templates: [template('a')] });
			await cache.setMissRefetch('waba-1', { at: 1000 });
			await cache.setMissRefetch('waba-2', { at: 2000 });
			await cache.setMissRefetch('waba-1', { at: 3000 });
			expect(await cache.getMissRefetch('waba-1')).toEqual({ at: 3000 });
			expect(await cache.getMissRefetch('waba-2')).toEqual({ at: 2000 });
			// Neither carries the other: the index reads as written, and index writes leave the mark.
			expect(await cache.getIndex('waba-1')).toEqual(index(5, 1, ['a']));
			await cache.setIndex('waba-1', { ...index(6, 1, ['b']), stale: true });
			await writeCache(cache, 'waba-1', { fetchedAt: 7, templates: [template('c')] });
			expect(await cache.getIndex('waba-1')).toEqual(index(7, 1, ['c']));
			expect(await cache.getMissRefetch('waba-1')).toEqual({ at: 3000 });
			expect(await cache.getMissRefetch('waba-3')).toBeUndefined();
		});

		it('keeps whether the fetch failed with its time; a mark set without it replaces a failed one', async () => {
			const cache = await makeCache();
			await cache.setMissRefetch('waba-1', { at: 1000 });
			await cache.setMissRefetch('waba-1', { at: 1000, failed: true });
			await cache.setMissRefetch('waba-2', { at: 2000 });
			expect(await cache.getMissRefetch('waba-1')).toStrictEqual({ at: 1000, failed: true });
			expect(await cache.getMissRefetch('waba-2')).toStrictEqual({ at: 2000 });
			await cache.setMissRefetch('waba-1', { at: 4000 });
			expect(await cache.getMissRefetch('waba-1')).toStrictEqual({ at: 4000 });
		});

		it('an index keeps when the cache last learnt of a change; a list fetched before it is written stale, one fetched before the stored list not at all', async () => {
			const cache = await makeCache();
			await writeCache(cache, 'waba-1', { fetchedAt: 5, templates: [template('a'), template('b')] });
			await cache.setIndex('waba-1', { ...index(5, 1, ['a']), changedAt: 8 });
			expect(await cache.getIndex('waba-1')).toEqual({ ...index(5, 1, ['a']), changedAt: 8 });
			expect(await writeCache(cache, 'waba-1', { fetchedAt: 8, templates: [template('a'), template('b')] })).toEqual({
				...index(8, 1, ['a', 'b']),
				stale: true,
				changedAt: 8,
			});
			expect(await cache.getIndex('waba-1')).toEqual({ ...index(8, 1, ['a', 'b']), stale: true, changedAt: 8 });
			expect(await writeCache(cache, 'waba-1', { fetchedAt: 7, templates: [template('c')] })).toBeUndefined();
			expect(await readCache(cache, 'waba-1')).toEqual({ fetchedAt: 8, templates: [template('a'), template('b')], stale: true });
			await writeCache(cache, 'waba-1', { fetchedAt: 9, templates: [template('c')] });
			expect(await cache.getIndex('waba-1')).toEqual({ ...index(9, 1, ['c']), changedAt: 8 });
		});

		it('a stored list or change dated further ahead than fetches overlap (a clock ahead) does not keep lists out', async () => {
			const cache = await makeCache();
			const ahead = 1_000_000 + OVERLAP_MAX_MS + 1;
			await writeCache(cache, 'waba-1', { fetchedAt: ahead, templates: [template('a')] });
			await cache.setIndex('waba-1', { ...index(ahead, 1, ['a']), changedAt: ahead });
			expect(await writeCache(cache, 'waba-1', { fetchedAt: 1_000_000, templates: [template('b')] })).toEqual(
				index(1_000_000, 1, ['b']),
			);
			expect(await cache.getIndex('waba-1')).toEqual(index(1_000_000, 1, ['b']));
		});

		it('a whole list written and read back; a shorter list removes the shards it no longer needs', async () => {
			const cache = await makeCache();
			const many = Array.from({ length: 250 }, (_, i) => template(`t_${i}`, i % 2 ? 'en_US' : 'pt_BR'));
			const written = await writeCache(cache, 'waba-1', { fetchedAt: 5, templates: many });
			expect(written?.shards).toBe(3);
			expect((await readCache(cache, 'waba-1'))?.templates).toEqual(many);
			await writeCache(cache, 'waba-1', { fetchedAt: 6, templates: [template('only')] });
			expect(await readCache(cache, 'waba-1')).toEqual({ fetchedAt: 6, templates: [template('only')] });
			expect(await cache.getShard('waba-1', 1)).toBeUndefined();
			expect(await cache.getShard('waba-1', 2)).toBeUndefined();
		});
	});
}
