/**
 * The persisted template cache over the harness's model of Rocket.Chat's persistence: the whole-list
 * record of earlier versions (`templates:<wabaId>`, no shards) reads as no cache, and the first
 * refresh replaces it with the index in place.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { PersistedTemplateCache } from '../../../../src/adapters/persistence/TemplateCacheStore';
import { TemplateCatalog } from '../../../../src/core/templates/catalog';
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
