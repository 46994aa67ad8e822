/** The template cache contract (`TemplateCache`, core/app/ports.ts): the in-memory twin and the persistence store pass the same suite. */
import { TemplateCache } from '../../../../../src/core/app/ports';

export function templateCacheContract(name: string, makeCache: () => Promise<TemplateCache> | TemplateCache): void {
	describe(`${name}: the template cache contract`, () => {
		it('keeps one list per WhatsApp Business Account, replaced on set', async () => {
			const cache = await makeCache();
			expect(await cache.get('waba-1')).toBeUndefined();
			await cache.set('waba-1', { fetchedAt: 1, templates: [] });
			await cache.set('waba-2', { fetchedAt: 2, templates: [] });
			await cache.set('waba-1', { fetchedAt: 3, templates: [], stale: true });
			expect(await cache.get('waba-1')).toEqual({ fetchedAt: 3, templates: [], stale: true });
			expect(await cache.get('waba-2')).toEqual({ fetchedAt: 2, templates: [] });
		});
	});
}
