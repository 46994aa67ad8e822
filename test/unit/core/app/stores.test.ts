/**
 * Every persistence-backed store passes the same contract suite as its in-memory twin: the memory
 * twins directly, the stores through the engine's own persistence accessors (`Persistence`,
 * `PersistenceRead` of @rocket.chat/apps-engine) over the harness's model of Rocket.Chat's
 * persistence, in both of its version variants. (The outbox and the webhook inbox: test/unit/status.)
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { DraftStore } from '../../../../src/adapters/persistence/DraftStore';
import {
	CLAIM_LIVES_MS,
	IDEMPOTENCY_WINDOW_MS,
	IdempotencyStore,
	LOCK_WAIT_MS,
} from '../../../../src/adapters/persistence/IdempotencyStore';
import { MessageStore } from '../../../../src/adapters/persistence/MessageStore';
import { NumberStore, RECENT_NUMBERS_MS, RecentNumbers } from '../../../../src/adapters/persistence/NumberStore';
import { NumbersRoomStore } from '../../../../src/adapters/persistence/NumbersRoomStore';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { PersistedTemplateCache } from '../../../../src/adapters/persistence/TemplateCacheStore';
import { WindowStore } from '../../../../src/adapters/persistence/WindowStore';
import { MemoryMessageLog, MemoryNumbers } from '../../../../src/core/app/memory';
import { StoredAnswer } from '../../../../src/core/app/sendTemplatesPorts';
import { MemoryTemplateCache } from '../../../../src/core/templates/catalog';
import { HarnessBridges } from '../../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../../tools/harness/world';
import { messageLogContract } from './contracts/messageLog';
import { number as connected, numbersContract } from './contracts/numbers';
import { draftsContract, idempotencyContract, windowsContract } from './contracts/smallStores';
import { templateCacheContract } from './contracts/templateCache';
import { enginePersistence } from '../../../support/enginePersistence';
import { MemoryWindows } from './fakes-inbound';
import { MemoryDrafts, MemoryIdempotency } from './fakes-templates';

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

messageLogContract('MemoryMessageLog', () => new MemoryMessageLog());
numbersContract('MemoryNumbers', () => new MemoryNumbers());
templateCacheContract('MemoryTemplateCache', () => new MemoryTemplateCache());
draftsContract('MemoryDrafts', () => new MemoryDrafts());
windowsContract('MemoryWindows', () => new MemoryWindows());
idempotencyContract('MemoryIdempotency', () => new MemoryIdempotency(), IDEMPOTENCY_WINDOW_MS);

for (const variant of ['current', 'raw-model'] as const) {
	const accessors = () => {
		const bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler(), undefined, {
			persistence: { variant },
		}).getPersistenceBridge() as any;
		return { read: new PersistenceRead(bridge, 'app-1') as any, write: new Persistence(bridge, 'app-1') as any };
	};
	messageLogContract(`MessageStore on ${variant} persistence`, () => {
		const { read, write } = accessors();
		return new MessageStore(read, write);
	});
	numbersContract(`NumberStore on ${variant} persistence`, () => {
		const { read, write } = accessors();
		return new NumberStore(read, write);
	});
	templateCacheContract(`PersistedTemplateCache on ${variant} persistence`, () => {
		const { read, write } = accessors();
		return new PersistedTemplateCache(read, write);
	});
	draftsContract(`DraftStore on ${variant} persistence`, () => {
		const { read, write } = accessors();
		return new DraftStore(read, write);
	});
	windowsContract(`WindowStore on ${variant} persistence`, () => {
		const { read, write } = accessors();
		return new WindowStore(read, write);
	});
	idempotencyContract(
		`IdempotencyStore on ${variant} persistence`,
		() => {
			const { read, write } = accessors();
			return new IdempotencyStore(read, write);
		},
		IDEMPOTENCY_WINDOW_MS,
	);
}

describe.each(['current', 'raw-model'] as const)(
	'NumbersRoomStore on %s persistence: the room of each admin’s last numbers command',
	(variant) => {
		it('keeps one room per user, the last one set, in one record each', async () => {
			const { world, read, write } = enginePersistence(variant);
			const rooms = new NumbersRoomStore(read, write);
			expect(await rooms.get('admin-1')).toBeUndefined();
			await rooms.set('admin-1', 'room-a');
			await rooms.set('admin-2', 'room-b');
			await rooms.set('admin-1', 'room-c');
			await rooms.set('admin-1', 'room-c');
			expect(await rooms.get('admin-1')).toBe('room-c');
			expect(await rooms.get('admin-2')).toBe('room-b');
			const kept = world.persistence.map((r) => String((r.data as { roomId?: string }).roomId)).sort();
			expect(kept).toEqual(['room-b', 'room-c']);
		});
	},
);

describe.each(['current', 'raw-model'] as const)('IdempotencyStore on two Rocket.Chat instances (%s persistence)', (variant) => {
	/** Two instances: each its own copy of the module (its own lock), over one persistence. */
	function instances() {
		const { world, read, write } = enginePersistence(variant);
		const load = (writer = write): IdempotencyStore => {
			let Store: typeof IdempotencyStore | undefined;
			jest.isolateModules(() => {
				Store = (
					require('../../../../src/adapters/persistence/IdempotencyStore') as typeof import('../../../../src/adapters/persistence/IdempotencyStore')
				).IdempotencyStore;
			});
			return new Store!(read, writer);
		};
		// A's removals wait until `a.removals.open()`: a call that reaches the server late.
		let open = () => undefined as void;
		const gate = new Promise<void>((resolve) => (open = resolve));
		const slowRemovals = Object.create(write);
		slowRemovals.removeByAssociations = async (...args: unknown[]) => (await gate, write.removeByAssociations(...args));
		const claims = () => world.persistence.filter((r) => typeof (r.data as { claim?: unknown }).claim === 'string').length;
		return { a: load(), b: load(), slow: load(slowRemovals), openRemovals: () => open(), write, claims };
	}
	const pending = (at: number, fingerprint = 'f1'): StoredAnswer => ({
		key: 'u1:k',
		fingerprint,
		at,
		state: 'pending',
		leaseUntil: at + 60000,
		sent: [],
	});
	const ticks = async (n: number) => {
		for (let i = 0; i < n; i++) await Promise.resolve();
	};

	it.each([
		['a fresh key', false],
		['a key whose entry expired (reused after 24 hours)', true],
	])(
		'never lets both reserve %s, however their calls interleave; a loser gets a pending holder (409), and a retry wins',
		async (_what, expired) => {
			const at = 3 * 86400000;
			let single = 0;
			for (let offset = 0; offset < 40; offset++) {
				const { a, b, claims } = instances();
				if (expired) await a.save({ ...pending(at - 2 * 86400000), state: 'done', status: 200, content: {} });
				// One also looks the key up first, as templateMessage does before its checks.
				const outcomes = await Promise.all([
					a.find('u1:k', at).then(() => a.reserve(pending(at), at)),
					ticks(offset).then(() => b.reserve(pending(at), at)),
				]);
				const winners = outcomes.filter((o) => o === undefined).length;
				expect(winners).toBeLessThanOrEqual(1);
				for (const holder of outcomes.filter(Boolean))
					expect(holder).toMatchObject({ key: 'u1:k', fingerprint: 'f1', state: 'pending', leaseUntil: expect.any(Number) });
				for (const holder of outcomes.filter(Boolean)) expect(holder!.leaseUntil).toBeGreaterThan(at);
				expect(claims()).toBe(0);
				if (winners) single++;
				else expect(await b.reserve(pending(at + 1), at + 1)).toBeUndefined();
				expect(await a.find('u1:k', at + 1)).toMatchObject({ state: 'pending' });
			}
			// Some interleavings let one win at once (the other starts after its claim was read).
			expect(single).toBeGreaterThan(0);
		},
	);

	it("no removal decided on an earlier read takes a newer entry: a look-up of an expired key, late to the server, leaves another's reservation", async () => {
		const { slow, b, openRemovals } = instances();
		const at = 3 * 86400000;
		await b.save({ ...pending(at - 2 * 86400000), state: 'done', status: 200, content: {} });
		// The slow instance looks the key up (expired) as templateMessage does, its calls reaching the server late...
		const lookup = slow.find('u1:k', at);
		// ...while another reserves it and sends.
		expect(await b.reserve(pending(at, 'f2'), at)).toBeUndefined();
		openRemovals();
		expect(await lookup).toBeUndefined();
		expect(await b.find('u1:k', at)).toMatchObject({ fingerprint: 'f2', state: 'pending' });
		expect(await slow.reserve(pending(at), at)).toMatchObject({ fingerprint: 'f2', state: 'pending' });
	});

	it('an election whose calls never come back holds the later ones of its key in this runtime for LOCK_WAIT_MS only', async () => {
		const { world, read, write } = enginePersistence(variant);
		const hung = Object.create(write);
		hung.createWithAssociations = () => new Promise(() => undefined);
		jest.useFakeTimers();
		try {
			const stuck = new IdempotencyStore(read, hung);
			const store = new IdempotencyStore(read, write);
			void stuck.reserve(pending(5000), 5000);
			let outcome: StoredAnswer | undefined | 'waiting' = 'waiting';
			const next = store.reserve(pending(5001), 5001).then((o) => (outcome = o));
			await jest.advanceTimersByTimeAsync(LOCK_WAIT_MS - 1);
			expect(outcome).toBe('waiting');
			await jest.advanceTimersByTimeAsync(1);
			await next;
			expect(outcome).toBeUndefined();
			expect(
				world.persistence.filter((r) => (r.data as StoredAnswer).key === 'u1:k' && !(r.data as { claim?: string }).claim),
			).toHaveLength(1);
		} finally {
			jest.useRealTimers();
		}
	});

	it('a claim a crashed instance left holds the key for CLAIM_LIVES_MS only, and the sweep removes it with its day', async () => {
		const { a, b, write, claims } = instances();
		const at = 5000;
		// Its claim's withdrawal fails (the server failed); then its request is refused before any send.
		const remove = write.removeByAssociations.bind(write);
		write.removeByAssociations = async (associations: Array<{ id: string }>) => {
			if (associations.some((x) => x.id.startsWith('idempotency-claim:'))) throw new Error('MongoNetworkError');
			return remove(associations);
		};
		const mine = { ...pending(at), id: 'r1' };
		expect(await a.reserve(mine, at)).toBeUndefined();
		write.removeByAssociations = remove;
		await a.release(mine);
		expect(claims()).toBe(1);
		expect(await b.reserve(pending(at + 1), at + 1)).toMatchObject({ state: 'pending' });
		expect(await b.reserve(pending(at + CLAIM_LIVES_MS), at + CLAIM_LIVES_MS)).toBeUndefined();
		// The sweep takes it with its day, once every entry of that day has expired.
		await b.sweep(at + CLAIM_LIVES_MS);
		expect(claims()).toBe(1);
		await b.sweep(at + 3 * 86400000);
		expect(claims()).toBe(0);
	});
});

describe("MessageStore: what a webhook's statuses cost", () => {
	it("saves the progress of a batch's 250 sends in one write, and finds them with it in one read", async () => {
		const world = new HarnessWorld();
		const bridge = new HarnessBridges(world, new HarnessScheduler()).getPersistenceBridge() as any;
		const store = new MessageStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any);
		const day = new Date().toISOString();
		for (let n = 0; n < 250; n++)
			await store.record({
				wamid: `wamid.${n}`,
				batch: 'rcwa.000000000000000001',
				phoneNumberId: '111',
				connectedWhatsAppNo: '15550001111',
				mobileNo: `55119${n}`,
				message: 'hello',
				type: 'Template-Message',
				sentAt: day,
				statuses: ['queued'],
			});
		const records = await store.findByBatch('rcwa.000000000000000001');
		const before = { ...world.persistenceCalls };
		await store.saveStatuses(records.map((m) => ({ ...m, statuses: ['queued', 'sent'] })));
		const found = await store.findByBatch('rcwa.000000000000000001');
		const spent = Object.keys(world.persistenceCalls).map((m) => [m, world.persistenceCalls[m] - (before[m] ?? 0)]);
		expect(spent.filter(([, n]) => n)).toEqual([
			['createWithAssociations', 1],
			['readByAssociations', 1],
		]);
		expect(found).toHaveLength(250);
		expect(found.every((m) => m.statuses?.join() === 'queued,sent')).toBe(true);
		expect((await store.findByWamid('wamid.7'))?.statuses).toEqual(['queued', 'sent']);
	});
});

describe('RecentNumbers: the numbers read for one webhook serve the next ones for a while', () => {
	const number = (phoneNumberId: string) => connected(phoneNumberId, '2026-01-01T00:00:00.000Z');

	it(`keeps a list for ${RECENT_NUMBERS_MS} ms from when its read began`, async () => {
		let now = 1000;
		const recent = new RecentNumbers(() => now);
		expect(recent.get()).toBeUndefined();
		const list = [number('111')];
		await recent.read(async () => ((now += 5), list));
		expect(recent.get()).toBe(list);
		now = 1000 + RECENT_NUMBERS_MS - 1;
		expect(recent.get()).toBe(list);
		now = 1000 + RECENT_NUMBERS_MS;
		expect(recent.get()).toBeUndefined();
		// A clock that went back is not trusted either.
		await recent.read(async () => list);
		now -= 1;
		expect(recent.get()).toBeUndefined();
	});

	it('forgets its list at a save or removal, and does not keep a read that was under way then', async () => {
		const recent = new RecentNumbers(() => 1000);
		await recent.read(async () => [number('111')]);
		recent.forget();
		expect(recent.get()).toBeUndefined();
		let finish: (list: ConnectedNumber[]) => void = () => undefined;
		const reading = recent.read(() => new Promise((resolve) => (finish = resolve)));
		recent.forget();
		finish([number('111')]);
		expect(await reading).toEqual([number('111')]);
		expect(recent.get()).toBeUndefined();
	});

	it("a NumberStore's save and removal in this runtime are seen by the next webhook at once", async () => {
		const bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler()).getPersistenceBridge() as any;
		const store = new NumberStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any);
		await store.save(number('111'));
		expect(await store.listRecent()).toEqual({ numbers: [number('111')], cached: false });
		expect(await store.listRecent()).toEqual({ numbers: [number('111')], cached: true });
		await store.save(number('222'));
		expect(await store.listRecent()).toEqual({ numbers: [number('111'), number('222')], cached: false });
		await store.remove('111');
		expect(await store.listRecent()).toEqual({ numbers: [number('222')], cached: false });
		expect(await store.listRecent()).toEqual({ numbers: [number('222')], cached: true });
	});
});
