/**
 * The persistence-backed outbox passes the same contract suite as the in-memory one, through the
 * engine's own persistence accessors (`Persistence`, `PersistenceRead` of @rocket.chat/apps-engine)
 * over the harness's model of Rocket.Chat's persistence, in both of its version variants.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { PersistenceOutboxStore } from '../../../src/adapters/persistence/OutboxStore';
import { deliverDue, newOutboxItem } from '../../../src/core/status/outbox';
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

describe.each(['current', 'raw-model'] as const)('PersistenceOutboxStore on %s persistence: an event stored twice', (variant) => {
	let bridge: any;
	beforeEach(() => {
		bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler(), undefined, {
			persistence: { variant },
		}).getPersistenceBridge();
	});
	/** A store over the same persistence, as each writer and delivery run opens its own. */
	const open = () =>
		new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any) as any;

	it('keeps the copy not delivered when the other is dropped as a repeat: a queued stored again after a crash is still POSTed, before its sent', async () => {
		const event = (id: string, seq: number, status: string, now: number) =>
			newOutboxItem({ id, messageKey: 'W', seq, payload: { MessageStatus: status } as any, now });
		// The send's writer puts `queued` alone, and its process dies before the link; a processing
		// run five minutes later queues it again (the same event id, in another page) with Meta's `sent`.
		await open().put(event('W:queued', 1, 'queued', 1000));
		const processing = open();
		await processing.put(event('W:queued', 1, 'queued', 301000));
		await processing.putMany([event('W:sent', 2, 'sent', 301000)]);
		const posted: string[] = [];
		const post = (status: number) => async (body: string) => (posted.push(JSON.parse(body).MessageStatus), { status });
		// The receiver is down for the first run, then back.
		await deliverDue({ store: open(), now: 400000, send: post(503) });
		expect((await open().list()).map((item: any) => item.id).sort()).toContain('W:queued');
		for (const now of [500000, 900000, 2000000]) await deliverDue({ store: open(), now, send: post(200) });
		// The first attempt (503), then `queued` and `sent` in order, each once; nothing left.
		expect(posted).toEqual(['queued', 'queued', 'sent']);
		expect(await open().list()).toEqual([]);
	});

	it('keeps both copies of an event stored twice in one page while the first is retried, and POSTs it once when the receiver is back', async () => {
		const writer = open();
		const queued = newOutboxItem({ id: 'W:queued', messageKey: 'W', seq: 1, payload: { MessageStatus: 'queued' } as any, now: 1000 });
		await writer.put(queued);
		await writer.put({ ...queued });
		const posted: number[] = [];
		const post = (status: number) => async () => (posted.push(status), { status });
		await deliverDue({ store: open(), now: 2000, send: post(503) });
		// A run before the retry is due, then one after it.
		await deliverDue({ store: open(), now: 3000, send: post(200) });
		await deliverDue({ store: open(), now: 200000, send: post(200) });
		await deliverDue({ store: open(), now: 400000, send: post(200) });
		expect(posted).toEqual([503, 200]);
		expect(await open().list()).toEqual([]);
	});
});

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

describe('PersistenceOutboxStore: requeue', () => {
	it('keeps a failed item failed (listed, to retry again) when its pending write fails; retried, it is delivered once', async () => {
		const world = new HarnessWorld();
		const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
		const store = new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any);
		await store.put({
			id: 'wamid.F:sent',
			messageKey: 'wamid.F',
			seq: 2,
			payload: { msId: 'wamid.F' } as any,
			attempts: 3,
			nextAttemptAt: 0,
			createdAt: 0,
			state: 'pending',
		});
		await deliverDue({ store, now: 73 * 3600000, send: async () => ({ status: 200 }) });
		expect((await store.list({ state: 'failed' })).map((i) => i.id)).toEqual(['wamid.F:sent']);
		const create = bridge.createWithAssociations.bind(bridge);
		bridge.createWithAssociations = async () => Promise.reject(new Error('MongoNetworkError'));
		await expect(store.requeue(['wamid.F:sent'], 1000)).rejects.toThrow('MongoNetworkError');
		expect((await store.list({ state: 'failed' })).map((i) => i.id)).toEqual(['wamid.F:sent']);
		bridge.createWithAssociations = create;
		expect(await store.requeue(['wamid.F:sent'], 2000)).toBe(1);
		const posted: string[] = [];
		await deliverDue({ store, now: 2000, send: async (body) => (posted.push(JSON.parse(body).msId), { status: 200 }) });
		expect(posted).toEqual(['wamid.F']);
		expect(await store.list()).toEqual([]);
	});
});

describe('PersistenceOutboxStore: one message across writers and delivery windows', () => {
	const item = (id: string, messageKey: string, seq: number, createdAt: number) => ({
		id,
		messageKey,
		seq,
		payload: { msId: id } as any,
		attempts: 0,
		nextAttemptAt: createdAt,
		createdAt,
		state: 'pending' as const,
	});

	/** Each handler run writes through a store of its own (its current page): pages of 3 here, a window of 10 (2,000 in production). */
	const writers = () => {
		const bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler()).getPersistenceBridge() as any;
		const writer = () =>
			new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any, 3);
		return { writer, processing: writer(), others: writer(), sender: writer() };
	};

	it("POSTs a message's queued before its sent when the sent is in an older writer's page than the queued and the window ends between them", async () => {
		const { writer, processing, others, sender } = writers();
		// A processing run's page opens at 0 with one event (a revoke's `deleted`, say: SendLog.forward puts one at a time).
		await processing.put(item('wamid.Z:deleted', 'wamid.Z', 2, 0));
		// Other runs fill 8 pages meanwhile (a backlog), then a sender queues wamid.M's queued at 5, in a page of its own.
		await others.putMany(Array.from({ length: 24 }, (_, n) => item(`wamid.F${n}:queued`, `wamid.F${n}`, 1, 1)));
		await sender.put(item('wamid.M:queued', 'wamid.M', 1, 5));
		// Meta's sent of wamid.M comes, and the processing run (still under way) adds it to its page opened at 0.
		await processing.putMany([item('wamid.M:sent', 'wamid.M', 2, 6)]);
		const posted: string[] = [];
		const store = writer();
		await deliverDue({ store, now: 10, window: 10, send: async (body) => (posted.push(JSON.parse(body).msId), { status: 200 }) });
		expect(posted.filter((id) => id.startsWith('wamid.M'))).toEqual(['wamid.M:queued', 'wamid.M:sent']);
		expect(posted).toHaveLength(27);
		expect(new Set(posted).size).toBe(27);
		expect(await store.list()).toEqual([]);
	});

	it("POSTs a message's queued before its sent when both are put while a run delivers, the sent in a page of its last window and the queued in a page opened after the run listed them (neither is due in that run)", async () => {
		const { writer, processing, others, sender } = writers();
		// A backlog of 8 pages, then a processing run's page (opened at 2): the run's last window.
		await others.putMany(Array.from({ length: 24 }, (_, n) => item(`wamid.F${n}:queued`, `wamid.F${n}`, 1, 1)));
		await processing.put(item('wamid.Z:deleted', 'wamid.Z', 2, 2));
		const posted: string[] = [];
		let during = false;
		const send = async (body: string) => {
			if (!during) {
				during = true;
				// While the run POSTs its first window: a send settles (its queued in a new page, at 11),
				// then Meta's sent of it comes and the processing run adds it to its page (at 12).
				await sender.put(item('wamid.M:queued', 'wamid.M', 1, 11));
				await processing.putMany([item('wamid.M:sent', 'wamid.M', 2, 12)]);
			}
			posted.push(JSON.parse(body).msId);
			return { status: 200 };
		};
		const store = writer();
		await deliverDue({ store, now: 10, window: 10, send });
		// The sent waits: put after the run began (its clock), it is not due in that run.
		expect(posted).not.toContain('wamid.M:sent');
		await deliverDue({ store, now: 20, window: 10, send });
		expect(posted.filter((id) => id.startsWith('wamid.M'))).toEqual(['wamid.M:queued', 'wamid.M:sent']);
		expect(posted).toHaveLength(27);
		expect(new Set(posted).size).toBe(27);
		expect(await store.list()).toEqual([]);
	});
});
