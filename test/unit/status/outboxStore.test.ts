/**
 * The persistence-backed outbox passes the same contract suite as the in-memory one, through the
 * engine's own persistence accessors (`Persistence`, `PersistenceRead` of @rocket.chat/apps-engine)
 * over the harness's model of Rocket.Chat's persistence, in both of its version variants.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { PersistenceOutboxStore } from '../../../src/adapters/persistence/OutboxStore';
import { deliverDue } from '../../../src/core/status/outbox';
import { HarnessBridges } from '../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../tools/harness/world';
import { outboxContract } from '../core/status/outboxContract';

/* eslint-disable @typescript-eslint/no-explicit-any */

// The engine checks an app's permissions through its AppManager; these accessors run without an
// app installed, as the engine's own tests do (NODE_ENV=test skips the check).
const previousEnv = process.env.NODE_ENV;
beforeAll(() => {
	process.env.NODE_ENV = 'test';
});
afterAll(() => {
	process.env.NODE_ENV = previousEnv;
});

for (const variant of ['current', 'raw-model'] as const) {
	let bridge: any;
	const storeOver = (pageSize: number) =>
		new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any, pageSize) as any;
	outboxContract(
		`PersistenceOutboxStore on ${variant} persistence`,
		(pageSize) => {
			bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler(), undefined, {
				persistence: { variant },
			}).getPersistenceBridge() as any;
			return storeOver(pageSize);
		},
		() => storeOver(3),
	);
}

describe('PersistenceOutboxStore: what a webhook of statuses costs', () => {
	const item = (n: number) => ({
		id: `wamid.${n}:read`,
		messageKey: `wamid.${n}`,
		seq: 2,
		payload: { msId: `wamid.${n}` } as any,
		attempts: 0,
		nextAttemptAt: 0,
		createdAt: 0,
		state: 'pending' as const,
	});
	const calls = (world: HarnessWorld) => ({ ...world.persistenceCalls });

	it('puts 1,000 items in one write per page, and a run that delivers them all removes one record per page', async () => {
		const world = new HarnessWorld();
		const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
		const store = new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any);
		await store.putMany(Array.from({ length: 1000 }, (_, n) => item(n)));
		// Two pages of 500: each a directory record and a chunk (and the first page is marked full).
		expect(world.persistenceCalls.createWithAssociations).toBe(4);
		const before = calls(world);
		const accepted: string[] = [];
		await deliverDue({ store, now: 0, send: async (body) => (accepted.push(JSON.parse(body).msId), { status: 200 }) });
		expect(accepted).toHaveLength(1000);
		expect(new Set(accepted).size).toBe(1000);
		// The directory and two pages read; each page's chunk removed (or a full page removed whole, and read back).
		const after = calls(world);
		const spent = Object.keys(after).reduce((n, method) => n + after[method] - (before[method] ?? 0), 0);
		expect(spent).toBeLessThanOrEqual(7);
		expect(after.createWithAssociations).toBe(4);
		expect(await store.list()).toEqual([]);
	});

	it("keeps a chunk's items as one JSON string, and delivers the items of a chunk an earlier version stored as objects", async () => {
		const world = new HarnessWorld();
		const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
		const store = new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any);
		await store.putMany([item(1), item(2)]);
		const chunks = () => world.persistence.filter((r) => r.associations.some((a) => a.id.startsWith('outbox-chunk:')));
		expect(chunks()).toHaveLength(1);
		const chunk = chunks()[0].data as { page: string; json: unknown };
		expect(Object.keys(chunk).sort()).toEqual(['chunk', 'json', 'page']);
		expect(JSON.parse(chunk.json as string)).toEqual([item(1), item(2)]);
		// The same chunk as an earlier version wrote it.
		chunks()[0].data = { chunk: (chunk as any).chunk, page: chunk.page, items: [item(1), item(2)] };
		expect((await store.list()).map((i: { id: string }) => i.id)).toEqual(['wamid.1:read', 'wamid.2:read']);
		const accepted: string[] = [];
		await deliverDue({ store, now: 0, send: async (body) => (accepted.push(JSON.parse(body).msId), { status: 200 }) });
		expect(accepted).toEqual(['wamid.1', 'wamid.2']);
		expect(await store.list()).toEqual([]);
	});
});
