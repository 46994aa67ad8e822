/**
 * The persisted template cache over the harness's model of Rocket.Chat's persistence: the whole-list
 * record of earlier versions (`templates:<wabaId>`, no shards) reads as no cache, and the first
 * refresh replaces it with the index in place; the mark of a miss that fetched the list again reads
 * as earlier versions stored it (`{ at }`, a fetch that did not fail) and as this one does.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { PersistedTemplateCache } from '../../../../src/adapters/persistence/TemplateCacheStore';
import { TemplateCatalog, TemplateListUnavailable } from '../../../../src/core/templates/catalog';
import { HarnessBridges } from '../../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */

const previousEnv = process.env.NODE_ENV;
beforeAll(() => {
	process.env.NODE_ENV = 'test';
});
afterAll(() => {
	process.env.NODE_ENV = previousEnv;
});

const template = (name: string) => ({ name, language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [] });

it('reads a whole-list record of an earlier version as no cache, and a refresh replaces it with the index', async () => {
	const world = new HarnessWorld();
	const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
	const read = new PersistenceRead(bridge, 'app-1') as any;
	const write = new Persistence(bridge, 'app-1') as any;
	const legacy = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'templates:waba-1');
	await write.createWithAssociations({ fetchedAt: Date.now(), templates: [template('old')] }, [legacy]);

	const cache = new PersistedTemplateCache(read, write);
	expect(await cache.getIndex('waba-1')).toBeUndefined();
	let fetches = 0;
	const catalog = new TemplateCatalog(cache, async () => (fetches++, [template('new')]), 60000);
	expect((await catalog.snapshot('waba-1')).summaries.map((s) => s.name)).toEqual(['new']);
	expect((await catalog.snapshot('waba-1')).summaries.map((s) => s.name)).toEqual(['new']);
	expect(fetches).toBe(1);
	const records = world.persistence.filter((r) => r.associations.some((a) => a.id === 'templates:waba-1'));
	expect(records.map((r) => r.data)).toEqual([{ fetchedAt: expect.any(Number), shards: 1, names: 'new\tUTILITY\ten_US' }]);
});

it('stores the index as one string, and as objects when a field would hold a separator', async () => {
	const world = new HarnessWorld();
	const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
	const cache = new PersistedTemplateCache(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any);
	const summaries = [
		{ name: 'order_update', category: 'UTILITY', languages: ['en_US', 'pt_BR'] },
		{ name: 'no_category', languages: ['es'] },
	];
	await cache.setIndex('waba-1', { fetchedAt: 1, shards: 2, templates: summaries });
	expect(world.persistence.map((r) => r.data)).toEqual([
		{ fetchedAt: 1, shards: 2, names: 'order_update\tUTILITY\ten_US,pt_BR\nno_category\t\tes' },
	]);
	expect(await cache.getIndex('waba-1')).toEqual({ fetchedAt: 1, shards: 2, templates: summaries });
	const odd = [{ name: 'odd\tname', languages: ['en,US'] }];
	await cache.setIndex('waba-1', { fetchedAt: 2, shards: 1, stale: true, templates: odd });
	expect(world.persistence.map((r) => r.data)).toEqual([{ fetchedAt: 2, shards: 1, stale: true, templates: odd }]);
	expect(await cache.getIndex('waba-1')).toEqual({ fetchedAt: 2, shards: 1, stale: true, templates: odd });
	await cache.setIndex('waba-1', { fetchedAt: 3, shards: 1, templates: [] });
	expect(await cache.getIndex('waba-1')).toEqual({ fetchedAt: 3, shards: 1, templates: [] });
});

describe('the mark of a miss that fetched the list again (`template-miss-refetch:<wabaId>`)', () => {
	const accessors = () => {
		const world = new HarnessWorld();
		const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
		const read = new PersistenceRead(bridge, 'app-1') as any;
		const write = new Persistence(bridge, 'app-1') as any;
		return { world, write, cache: new PersistedTemplateCache(read, write) };
	};
	const markRecord = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'template-miss-refetch:waba-1');
	const marks = (world: HarnessWorld) =>
		world.persistence.filter((r) => r.associations.some((a) => a.id === 'template-miss-refetch:waba-1')).map((r) => r.data);

	it('stores `{ at }`, and `{ at, failed: true }` once the fetch failed, in one record', async () => {
		const { world, cache } = accessors();
		await cache.setMissRefetch('waba-1', { at: 1000 });
		expect(marks(world)).toEqual([{ at: 1000 }]);
		await cache.setMissRefetch('waba-1', { at: 1000, failed: true });
		expect(marks(world)).toEqual([{ at: 1000, failed: true }]);
		expect(await cache.getMissRefetch('waba-1')).toStrictEqual({ at: 1000, failed: true });
		await cache.setMissRefetch('waba-1', { at: 2000, failed: false });
		expect(marks(world)).toEqual([{ at: 2000 }]);
		expect(await cache.getMissRefetch('waba-1')).toStrictEqual({ at: 2000 });
		// Meta refused the list: its code is kept with the failure (only there).
		await cache.setMissRefetch('waba-1', { at: 3000, failed: true, graphCode: 190, phoneNumberId: '106540352242922' });
		expect(marks(world)).toEqual([{ at: 3000, failed: true, graphCode: 190, phoneNumberId: '106540352242922' }]);
		expect(await cache.getMissRefetch('waba-1')).toStrictEqual({
			at: 3000,
			failed: true,
			graphCode: 190,
			phoneNumberId: '106540352242922',
		});
		await cache.setMissRefetch('waba-1', { at: 4000, graphCode: 190 });
		expect(marks(world)).toEqual([{ at: 4000 }]);
		// Meta refused the number's app secret: said with the code.
		await cache.setMissRefetch('waba-1', {
			at: 5000,
			failed: true,
			graphCode: 100,
			phoneNumberId: '106540352242922',
			appSecretRefused: true,
		});
		expect(await cache.getMissRefetch('waba-1')).toStrictEqual({
			at: 5000,
			failed: true,
			graphCode: 100,
			phoneNumberId: '106540352242922',
			appSecretRefused: true,
		});
	});

	/** A catalog over `cache` whose list (one template, `new`) is stored at the mark's time, 1000000 (the fetch after the mark stored it at once). */
	async function listedAtMark(cache: PersistedTemplateCache) {
		let fetches = 0;
		const catalog = new TemplateCatalog(
			cache,
			async () => (fetches++, [template('new')]),
			300000,
			() => 1000000,
		);
		await catalog.list('waba-1');
		return { catalog, fetches: () => fetches };
	}

	it("reads an earlier version's mark (`{ at }`) as a fetch that did not fail: a miss within its interval is not approved", async () => {
		const { write, cache } = accessors();
		await write.createWithAssociations({ at: 1000000 }, [markRecord]);
		expect(await cache.getMissRefetch('waba-1')).toStrictEqual({ at: 1000000 });
		const { catalog, fetches } = await listedAtMark(cache);
		expect(await catalog.find('waba-1', 'missing', 'en_US')).toBeUndefined();
		expect(fetches()).toBe(1);
	});

	it('reads a failed mark as such: a miss within its interval says the list is unavailable', async () => {
		const { write, cache } = accessors();
		await write.createWithAssociations({ at: 1000000, failed: true }, [markRecord]);
		const { catalog, fetches } = await listedAtMark(cache);
		await expect(catalog.find('waba-1', 'missing', 'en_US')).rejects.toBeInstanceOf(TemplateListUnavailable);
		expect(fetches()).toBe(1);
	});

	it('forgets the mark (a number of the WABA connected or edited): the next miss fetches the list again at once', async () => {
		const { world, write, cache } = accessors();
		await write.createWithAssociations({ at: 1000000, failed: true, graphCode: 190, phoneNumberId: 'n1' }, [markRecord]);
		const other = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'template-miss-refetch:waba-2');
		await write.createWithAssociations({ at: 1000000, failed: true }, [other]);
		let listed = [template('new')];
		let fetches = 0;
		const catalog = new TemplateCatalog(
			cache,
			async () => (fetches++, listed),
			300000,
			() => 1001000,
			'n1',
		);
		await catalog.list('waba-1');
		// Meta approves a template the cached list lacks; the mark would answer its miss for a minute.
		listed = [template('new'), template('approved_later')];
		await cache.forgetMissRefetch('waba-1');
		expect(marks(world)).toEqual([]);
		expect(await cache.getMissRefetch('waba-1')).toBeUndefined();
		// Another WABA's mark stays.
		expect(await cache.getMissRefetch('waba-2')).toStrictEqual({ at: 1000000, failed: true });
		// Within the minute of the failed fetch, the miss asks Meta again rather than saying to reconnect.
		expect(await catalog.find('waba-1', 'approved_later', 'en_US')).toMatchObject({ name: 'approved_later' });
		expect(fetches).toBe(2);
		// Forgetting a mark that is not there touches no other.
		await cache.forgetMissRefetch('waba-3');
		expect(await cache.getMissRefetch('waba-2')).toStrictEqual({ at: 1000000, failed: true });
	});

	it('forgets nothing without a persistence accessor (a read-only context)', async () => {
		const { world, write } = accessors();
		await write.createWithAssociations({ at: 1000000, failed: true }, [markRecord]);
		const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
		const readOnly = new PersistedTemplateCache(new PersistenceRead(bridge, 'app-1') as any);
		await readOnly.forgetMissRefetch('waba-1');
		expect(marks(world)).toEqual([{ at: 1000000, failed: true }]);
	});

	it.each([
		['no time', { failed: true }, undefined],
		['a time that is not a number', { at: '1000', failed: true }, undefined],
		['a `failed` that is not true', { at: 1000, failed: 'yes' }, { at: 1000 }],
		['a code that is not a number', { at: 1000, failed: true, graphCode: '190' }, { at: 1000, failed: true }],
	])('reads a garbled record (%s) as no mark, or without the part that is garbled', async (_, data, expected) => {
		const { write, cache } = accessors();
		await write.createWithAssociations(data, [markRecord]);
		expect(await cache.getMissRefetch('waba-1')).toStrictEqual(expected);
	});
});
