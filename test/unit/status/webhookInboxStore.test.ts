/**
 * The persistence-backed webhook inbox passes the same contract suite as the in-memory one, through
 * the engine's own persistence accessors over the harness's model of Rocket.Chat's persistence, in
 * both of its version variants (as test/unit/status/outboxStore.test.ts does for the outbox).
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { ADD_UNDER_WAY_MS, PersistenceWebhookInbox } from '../../../src/adapters/persistence/WebhookInboxStore';
import { InboxEntry } from '../../../src/core/app/webhookBatch';
import { HarnessBridges } from '../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../tools/harness/world';
import { webhookInboxContract } from '../core/app/contracts/webhookInbox';

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

/** The engine's persistence accessors over a harness world's persistence. */
function accessors(variant: 'current' | 'raw-model' = 'current') {
	const world = new HarnessWorld();
	const bridge = new HarnessBridges(world, new HarnessScheduler(), undefined, { persistence: { variant } }).getPersistenceBridge() as any;
	return { world, read: new PersistenceRead(bridge, 'app-1') as any, persistence: new Persistence(bridge, 'app-1') as any };
}

/** `persistence`, refusing with `message` the calls named whose first association is the one given. */
function refusing(persistence: any, refused: { createWithAssociations?: string; removeByAssociations?: string }, message: string) {
	const first = (associations: Array<{ getID(): string }>) => associations[0].getID();
	return Object.assign(Object.create(persistence), {
		createWithAssociations: (data: object, associations: Array<{ getID(): string }>) =>
			first(associations) === refused.createWithAssociations
				? Promise.reject(new Error(message))
				: persistence.createWithAssociations(data, associations),
		removeByAssociations: (associations: Array<{ getID(): string }>) =>
			first(associations) === refused.removeByAssociations
				? Promise.reject(new Error(message))
				: persistence.removeByAssociations(associations),
	});
}

/** An `add` whose process dies once it wrote the events: the head is never written, and its events never removed. */
const interruptedAdd = (read: any, persistence: any) => (entry: InboxEntry, options: { now: number }) =>
	new PersistenceWebhookInbox(
		read,
		refusing(persistence, { createWithAssociations: 'webhook-inbox', removeByAssociations: 'webhook-inbox-events' }, 'process died'),
	)
		.add(entry, options)
		.catch(() => undefined);

for (const variant of ['current', 'raw-model'] as const) {
	webhookInboxContract(`PersistenceWebhookInbox on ${variant} persistence`, () => {
		const { read, persistence } = accessors(variant);
		return { inbox: new PersistenceWebhookInbox(read, persistence), interruptedAdd: interruptedAdd(read, persistence) };
	});
}

describe('PersistenceWebhookInbox: records', () => {
	const make = () => {
		const { world, read, persistence } = accessors();
		const inbox = new PersistenceWebhookInbox(read, persistence);
		const records = () =>
			world.persistence
				.filter((r) => r.associations.some((a) => a.id.startsWith('webhook-inbox')))
				.map((r) => ({
					keys: r.associations.map((a) => a.id),
					data: r.data as Record<string, unknown>,
				}));
		return { world, read, persistence, inbox, records };
	};
	const events = [{ kind: 'template-status', wabaId: 'waba-1', event: 'PAUSED', templateName: 't' }] as InboxEntry['events'];
	const stored: InboxEntry = { id: 'a', appId: 'app-1', events, receivedAt: 1000 };
	/** `stored` as an earlier version kept it: head and events in one record. */
	const legacyRecord = () =>
		({
			id: 'old-1',
			appId: 'app-1',
			data: stored,
			associations: [
				{ model: 'misc', id: 'webhook-inbox' },
				{ model: 'misc', id: 'webhook-inbox:a' },
			],
		}) as any;

	it('keeps the events apart from the head that runs list, claim and rewrite, as one JSON string', async () => {
		const { inbox, records } = make();
		await inbox.add(stored, { now: 1500 });
		// Both written when the add was (the caller's `now`): for the sweep of events no head lists,
		// and for a claim that finds the head before its events.
		expect(records()).toEqual([
			{ keys: ['webhook-inbox-events', 'webhook-inbox:a'], data: { id: 'a', json: JSON.stringify(events), storedAt: 1500 } },
			{ keys: ['webhook-inbox', 'webhook-inbox:a'], data: { id: 'a', appId: 'app-1', receivedAt: 1000, storedAt: 1500 } },
		]);
		expect(await inbox.list()).toEqual([{ id: 'a', appId: 'app-1', receivedAt: 1000 }]);
		expect(await inbox.claim('a', { now: 2000, leaseMs: 300 })).toEqual({ ...stored, claimedUntil: 2300 });
		expect(records().find((r) => r.keys[0] === 'webhook-inbox')?.data).toMatchObject({ id: 'a', claimedUntil: 2300 });
		expect(records().find((r) => r.keys[0] === 'webhook-inbox')?.data).not.toHaveProperty('events');
		await inbox.remove('a');
		expect(records()).toEqual([]);
	});

	for (const refused of ['webhook-inbox', 'webhook-inbox-events'])
		it(`stores nothing when the ${refused === 'webhook-inbox' ? 'head' : 'events'} cannot be written: the other record goes too, and the error reaches the caller`, async () => {
			const { world, read, persistence } = accessors();
			const inbox = new PersistenceWebhookInbox(read, refusing(persistence, { createWithAssociations: refused }, 'write refused'));
			await expect(inbox.add(stored, { now: 1000 })).rejects.toThrow('write refused');
			expect(world.persistence.filter((r) => r.associations.some((a) => a.id.startsWith('webhook-inbox')))).toEqual([]);
		});

	it('writes head and events at once: a claim that finds the head before its events leaves it, and takes it once they are stored', async () => {
		const { read, persistence } = accessors();
		let release = () => {};
		const gate = new Promise<void>((resolve) => (release = resolve));
		let headWritten = () => {};
		const head = new Promise<void>((resolve) => (headWritten = resolve));
		// The events' write reaches the store only when released; the head's goes at once.
		const slowEvents = Object.assign(Object.create(persistence), {
			createWithAssociations: async (data: object, associations: Array<{ getID(): string }>) => {
				if (associations[0].getID() === 'webhook-inbox-events') await gate;
				const id = await persistence.createWithAssociations(data, associations);
				if (associations[0].getID() === 'webhook-inbox') headWritten();
				return id;
			},
		});
		const adding = new PersistenceWebhookInbox(read, slowEvents).add(stored, { now: 1000 });
		const inbox = new PersistenceWebhookInbox(read, persistence);
		await head;
		expect(await inbox.claim('a', { now: 1000 + ADD_UNDER_WAY_MS - 1, leaseMs: 300 })).toBeUndefined();
		// Left as it was: not claimed, so the next run takes it.
		expect(await inbox.list()).toEqual([{ id: 'a', appId: 'app-1', receivedAt: 1000 }]);
		release();
		await adding;
		expect(await inbox.claim('a', { now: 2000, leaseMs: 300 })).toEqual({ ...stored, claimedUntil: 2300 });
	});

	it("reads a rewritten head's events again after its claim's write: they may be a run's, saved just before it released the head", async () => {
		const { read, persistence } = accessors();
		const inbox = new PersistenceWebhookInbox(read, persistence);
		await inbox.add(stored, { now: 1000 });
		await inbox.claim('a', { now: 1000, leaseMs: 300 });
		await inbox.save({ ...stored, attempts: 1 });
		const later = [{ kind: 'template-status', wabaId: 'waba-1', event: 'APPROVED', templateName: 'later' }] as InboxEntry['events'];
		// Another run's save lands between this claim's reads and its write of the head.
		const racing = Object.assign(Object.create(persistence), {
			updateByAssociations: async (associations: Array<{ getID(): string }>, data: object, upsert: boolean) => {
				if (associations[0].getID() === 'webhook-inbox')
					await new PersistenceWebhookInbox(read, persistence).save({ ...stored, attempts: 1, events: later });
				return persistence.updateByAssociations(associations, data, upsert);
			},
		});
		expect(await new PersistenceWebhookInbox(read, racing).claim('a', { now: 2000, leaseMs: 300 })).toEqual({
			...stored,
			attempts: 1,
			events: later,
			claimedUntil: 2300,
		});
	});

	it('removes the events first: a removal that fails half way leaves a head, which a claim once the add is long over finds without events', async () => {
		const { read, persistence } = accessors();
		const failing = refusing(persistence, { removeByAssociations: 'webhook-inbox' }, 'remove refused');
		await new PersistenceWebhookInbox(read, persistence).add(stored, { now: 1000 });
		await expect(new PersistenceWebhookInbox(read, failing).remove('a')).rejects.toThrow('remove refused');
		const inbox = new PersistenceWebhookInbox(read, persistence);
		expect(await inbox.list()).toEqual([{ id: 'a', appId: 'app-1', receivedAt: 1000 }]);
		// Until then it may be an add under way.
		expect(await inbox.claim('a', { now: 1000 + ADD_UNDER_WAY_MS - 1, leaseMs: 300 })).toBeUndefined();
		expect(await inbox.claim('a', { now: 1000 + ADD_UNDER_WAY_MS, leaseMs: 300 })).toEqual({
			...stored,
			events: [],
			claimedUntil: 1000 + ADD_UNDER_WAY_MS + 300,
		});
	});

	it('an events record wins over the events the head of an earlier version still holds (a save that did not rewrite the head)', async () => {
		const { world, inbox } = make();
		const later = [{ kind: 'template-status', wabaId: 'waba-1', event: 'APPROVED', templateName: 'later' }] as InboxEntry['events'];
		world.persistence.push(legacyRecord(), {
			id: 'new-1',
			appId: 'app-1',
			data: { id: 'a', events: later },
			associations: [
				{ model: 'misc', id: 'webhook-inbox-events' },
				{ model: 'misc', id: 'webhook-inbox:a' },
			],
		} as any);
		expect(await inbox.claim('a', { now: 2000, leaseMs: 300 })).toEqual({ ...stored, events: later, claimedUntil: 2300 });
	});

	const HOUR = 3600000;

	it('a sweep reads no events record while a head exists (a waiting backlog is not pulled across the bridge)', async () => {
		const { read, persistence, inbox } = make();
		await inbox.add(stored, { now: 1000 });
		await interruptedAdd(read, persistence)({ ...stored, id: 'x' }, { now: 1000 });
		const reads = jest.spyOn(read, 'readByAssociation');
		expect(await inbox.sweepOrphans(1000 + 10 * HOUR, HOUR)).toBe(0);
		expect(reads.mock.calls.map(([association]: any) => association.getID())).toEqual(['webhook-inbox']);
	});

	it("an events record without storedAt (an earlier version's) is given the time of the first sweep that finds it without a head, and goes an hour later", async () => {
		const { world, inbox, records } = make();
		world.persistence.push({
			id: 'old-events',
			appId: 'app-1',
			data: { id: 'x', events },
			associations: [
				{ model: 'misc', id: 'webhook-inbox-events' },
				{ model: 'misc', id: 'webhook-inbox:x' },
			],
		} as any);
		expect(await inbox.sweepOrphans(5000, HOUR)).toBe(0);
		expect(records().map((r) => r.data)).toEqual([{ id: 'x', events, storedAt: 5000 }]);
		expect(await inbox.sweepOrphans(5000 + HOUR - 1, HOUR)).toBe(0);
		expect(await inbox.sweepOrphans(5000 + HOUR, HOUR)).toBe(1);
		expect(records()).toEqual([]);
	});

	it('reads an entry stored by an earlier version (head and events in one record), and splits it at its first save', async () => {
		const { world, inbox, records } = make();
		world.persistence.push(legacyRecord());
		expect(await inbox.list()).toEqual([{ id: 'a', appId: 'app-1', receivedAt: 1000 }]);
		const claimed = await inbox.claim('a', { now: 2000, leaseMs: 300 });
		expect(claimed).toEqual({ ...stored, claimedUntil: 2300 });
		await inbox.save({ ...stored, attempts: 1 });
		expect(records().map((r) => [r.keys, 'events' in r.data, 'json' in r.data])).toEqual(
			expect.arrayContaining([
				[['webhook-inbox', 'webhook-inbox:a'], false, false],
				[['webhook-inbox-events', 'webhook-inbox:a'], false, true],
			]),
		);
		expect(records()).toHaveLength(2);
		expect(await inbox.claim('a', { now: 3000, leaseMs: 300 })).toEqual({ ...stored, attempts: 1, claimedUntil: 3300 });
		await inbox.remove('a');
		expect(records()).toEqual([]);
	});
});
