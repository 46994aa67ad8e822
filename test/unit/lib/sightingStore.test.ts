/**
 * The webhooks' sightings in Rocket.Chat's persistence (src/adapters/persistence/SightingStore.ts),
 * over the engine's persistence accessors and the harness's model of Rocket.Chat's persistence in
 * both of its variants.
 */
import { PersistenceSightingStore, sightingsFor } from '../../../src/adapters/persistence/SightingStore';
import { enginePersistence, withoutAppManager } from '../../support/enginePersistence';

withoutAppManager();

describe.each(['current', 'raw-model'] as const)('PersistenceSightingStore on %s persistence', (variant) => {
	it('keeps the latest time of each key, whichever runtime writes first, and forgets a number alone', async () => {
		const { world, read, write } = enginePersistence(variant);
		const store = new PersistenceSightingStore(read, write);
		await store.save('waba:A', 2000);
		await store.save('number:111', 5000);
		// Another runtime's earlier sighting, written after: the later time stays.
		await store.save('number:111', 3000);
		await store.save('waba:A', 4000);
		expect([...(await store.list())].sort()).toEqual([
			['number:111', 5000],
			['waba:A', 4000],
		]);
		expect(world.persistence).toHaveLength(2);
		await store.forgetNumber('111');
		await store.forgetNumber('999');
		expect([...(await store.list())]).toEqual([['waba:A', 4000]]);
	});

	it('is read for the numbers list only when a number has a note of its webhooks', async () => {
		const { world, read, write } = enginePersistence(variant);
		await new PersistenceSightingStore(read, write).save('number:111', 5000);
		const reads = () =>
			Object.entries(world.persistenceCalls).reduce((n, [method, count]) => (method.startsWith('read') ? n + count : n), 0);
		const before = reads();
		expect([...(await sightingsFor(read, [{}, { webhooksToOtherApps: [] }]))]).toEqual([]);
		expect(reads()).toBe(before);
		expect([...(await sightingsFor(read, [{ webhooksUnsubscribed: true }]))]).toEqual([['number:111', 5000]]);
		expect(reads()).toBe(before + 1);
		// A read that fails shows the notes as saved (no sighting).
		const failing = { ...read, readByAssociation: async () => Promise.reject(new Error('persistence down')) };
		expect([...(await sightingsFor(failing as never, [{ webhooksUnsubscribed: true }]))]).toEqual([]);
	});
});
