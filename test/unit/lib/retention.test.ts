/**
 * The retention job (src/entry/jobs/statusJobs.ts `expireRecords`) over the engine's persistence
 * accessors and the harness's model of Rocket.Chat's persistence, in both of its variants ('raw-model'
 * removes one record per call): what is past the retention setting goes (a day's message records,
 * finished campaigns, failed status events), what is not stays, and a run stops once its time is spent
 * and says so, so that the next run carries on.
 */
import { PersistenceCampaignStore } from '../../../src/adapters/persistence/CampaignStore';
import { DraftStore } from '../../../src/adapters/persistence/DraftStore';
import { IdempotencyStore } from '../../../src/adapters/persistence/IdempotencyStore';
import { MessageStore } from '../../../src/adapters/persistence/MessageStore';
import { PersistenceOutboxStore } from '../../../src/adapters/persistence/OutboxStore';
import { SweepMarks } from '../../../src/adapters/persistence/SweepMarks';
import { SentMessage } from '../../../src/core/app/ports';
import { Campaign, chunkRecipients } from '../../../src/core/bulk/campaign';
import { newOutboxItem } from '../../../src/core/status/outbox';
import { StatusPayload } from '../../../src/core/status/payload';
import { DAY_MS } from '../../../src/core/status/retention';
import { expireRecords, RetentionCursor, retentionCursorOf } from '../../../src/entry/jobs/statusJobs';
import { enginePersistence, withoutAppManager } from '../../support/enginePersistence';
import { campaignHead } from './campaignHead';

/* eslint-disable @typescript-eslint/no-explicit-any */

withoutAppManager();

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const RETENTION_DAYS = 30;
const OLD = NOW - (RETENTION_DAYS + 2) * DAY_MS;
const RECENT = NOW - 2 * DAY_MS;

/** A campaign created long ago, done unless `fields` say otherwise. */
const campaign = (id: string, fields: Partial<Campaign>): Campaign =>
	campaignHead(id, { createdAt: OLD, state: 'done', cursor: 1, ...fields });

const sent = (n: number, at: number): SentMessage => ({
	wamid: `wamid.${at}.${n}`,
	phoneNumberId: '1234567890',
	connectedWhatsAppNo: '15550001111',
	mobileNo: `5511900000${String(n).padStart(3, '0')}`,
	message: 'Hello',
	type: 'Template-Message',
	sentAt: new Date(at).toISOString(),
	statuses: ['queued'],
});

describe.each(['current', 'raw-model'] as const)('the retention job on %s persistence', (variant) => {
	async function world() {
		const { world: harness, read: reader, write: persistence } = enginePersistence(variant);
		const setting = { days: RETENTION_DAYS };
		const read = {
			getPersistenceReader: () => reader,
			getEnvironmentReader: () => ({
				getSettings: () => ({ getValueById: async (id: string) => (id === 'message_retention_days' ? setting.days : undefined) }),
			}),
		} as any;
		const messages = new MessageStore(reader, persistence);
		const campaigns = new PersistenceCampaignStore(reader, persistence);
		const outbox = new PersistenceOutboxStore(reader, persistence);
		for (let n = 0; n < 20; n++) await messages.record(sent(n, OLD));
		await messages.record(sent(0, RECENT));
		// Each created active; a run closes the finished ones (its save removes the open marker).
		const create = async (head: Campaign) => {
			await campaigns.create(
				{ ...head, state: 'active' },
				chunkRecipients(head.id, ['15550000001', '15550000002'], () => `rcwa.${head.id}`),
			);
			if (head.state === 'cancelled') await campaigns.cancel(head.id, head.finishedAt ?? OLD);
			if (head.state !== 'active') await campaigns.save(head);
		};
		await create(campaign('old-done', { finishedAt: OLD }));
		await create(campaign('old-cancelled', { state: 'cancelled', finishedAt: OLD }));
		await create(campaign('recent-done', { finishedAt: RECENT }));
		await create(campaign('old-active', { state: 'active' }));
		// Failed status events, by the day they failed: one long ago; one queued long ago that failed
		// lately (requeued by an admin); one recent.
		const failed = [
			{ id: 'ev-old', at: OLD, failedAt: OLD },
			{ id: 'ev-requeued', at: OLD, failedAt: RECENT },
			{ id: 'ev-recent', at: RECENT, failedAt: RECENT },
		];
		const payload = {
			message: 'Hello',
			mobileNo: '5511',
			connectedWhatsAppNo: '1555',
			MessageStatus: 'sent',
			type: 'Template-Message',
			timestamp: '1',
		} as StatusPayload;
		for (const { id, at } of failed)
			await outbox.put(newOutboxItem<StatusPayload>({ id, messageKey: `wamid.${id}`, seq: 1, payload, now: at }));
		for (const page of await outbox.pages())
			for (const item of await outbox.pageItems(page)) {
				const now = jest.spyOn(Date, 'now').mockReturnValue(failed.find((f) => f.id === item.id)!.failedAt);
				try {
					await outbox.settle(page, [item], { delivered: [], retried: [], failed: [{ item, lastError: 'HTTP 500' }] });
				} finally {
					now.mockRestore();
				}
			}
		// templateMessage's idempotency keys: one past its 24 hours, one not.
		const keys = new IdempotencyStore(reader, persistence);
		await keys.save({ key: 'u1:expired', fingerprint: 'f', at: NOW - 2 * DAY_MS, state: 'done', status: 200, content: {} });
		await keys.save({ key: 'u1:live', fingerprint: 'f', at: NOW - 3600000, state: 'done', status: 200, content: {} });
		const left = async () => ({
			keys: ['u1:expired', 'u1:live'].filter((key) => harness.persistence.some((r) => (r.data as { key?: string }).key === key)),
			oldMessages: (await Promise.all(Array.from({ length: 20 }, (_, n) => messages.findByWamid(`wamid.${OLD}.${n}`)))).filter(
				Boolean,
			).length,
			recentMessages: (await messages.findByWamid(`wamid.${RECENT}.0`)) ? 1 : 0,
			campaigns: (await Promise.all(['old-done', 'old-cancelled', 'recent-done', 'old-active'].map((id) => campaigns.get(id))))
				.filter(Boolean)
				.map((c) => c!.id),
			chunks: (await Promise.all(['old-done', 'old-cancelled'].map((id) => campaigns.chunks(id)))).flat().length,
			failed: (await outbox.failed()).map((item) => item.id).sort(),
		});
		return {
			harness,
			setting,
			messages,
			keys,
			read,
			reader,
			persistence,
			left, // Records other than the job's own mark of how far it got.
			records: () => harness.persistence.filter((r) => !r.associations.some((a) => a.id === 'retention-swept')).length,
		};
	}

	it('removes what is past retention and keeps the rest: recent records, open campaigns, events failed lately', async () => {
		const w = await world();
		expect(await w.left()).toEqual({
			keys: ['u1:expired', 'u1:live'],
			oldMessages: 20,
			recentMessages: 1,
			campaigns: ['old-done', 'old-cancelled', 'recent-done', 'old-active'],
			chunks: 2,
			failed: ['ev-old', 'ev-recent', 'ev-requeued'],
		});
		const run = await expireRecords(w.read, w.persistence, { now: NOW });
		expect(run).toEqual({ removed: expect.any(Number) });
		expect(await w.left()).toEqual({
			keys: ['u1:live'],
			oldMessages: 0,
			recentMessages: 1,
			campaigns: ['recent-done', 'old-active'],
			chunks: 0,
			failed: ['ev-recent', 'ev-requeued'],
		});
		expect(await expireRecords(w.read, w.persistence, { now: NOW })).toEqual({ removed: 0 });
	});

	it('stops once its time is spent and asks for another run; runs one after another remove it all', async () => {
		const w = await world();
		const before = w.records();
		// Each removal call takes a millisecond: a run's budget of 5 lets a few through.
		let t = 0;
		const timer = () => t;
		const remove = w.persistence.removeByAssociations.bind(w.persistence);
		w.persistence.removeByAssociations = async (...args: unknown[]) => {
			t++;
			return remove(...args);
		};
		const runs: Array<{ removed: number; next?: RetentionCursor }> = [];
		for (let i = 0; i < 200; i++) {
			const previous = runs[runs.length - 1];
			const run = await expireRecords(w.read, w.persistence, {
				now: NOW + i,
				timer,
				budgetMs: 5,
				...(previous?.next ? { from: previous.next } : {}),
			});
			runs.push(run);
			if (!run.next) break;
		}
		expect(runs.length).toBeGreaterThan(2);
		// Each run resumes where the one before stopped, on the list of work of the first.
		expect(runs[0].next).toEqual({
			at: NOW,
			step: expect.any(Number),
			retentionMs: RETENTION_DAYS * DAY_MS,
			swept: {},
			clean: { days: true, keys: true, drafts: true },
		});
		for (let i = 1; i < runs.length - 1; i++) {
			expect(runs[i].next!.at).toBe(NOW);
			expect(runs[i].next!.step).toBeGreaterThanOrEqual(runs[i - 1].next!.step);
		}
		expect(runs[runs.length - 1].next).toBeUndefined();
		expect(await w.left()).toMatchObject({
			keys: ['u1:live'],
			oldMessages: 0,
			campaigns: ['recent-done', 'old-active'],
			chunks: 0,
			failed: ['ev-recent', 'ev-requeued'],
		});
		expect(runs.reduce((n, run) => n + run.removed, 0)).toBe(before - w.records());
	});

	it('removes every day since the last clean-up when the setting is lowered by more than a week, and after runs were missed', async () => {
		const w = await world();
		await expireRecords(w.read, w.persistence, { now: NOW });
		// Records 20 days old; the setting lowered from 30 days to 7.
		const twentyDays = NOW - 20 * DAY_MS;
		await w.messages.record(sent(0, twentyDays));
		w.setting.days = 7;
		await expireRecords(w.read, w.persistence, { now: NOW + 1 });
		expect(await w.messages.findByWamid(`wamid.${twentyDays}.0`)).toBeUndefined();
		expect((await w.left()).recentMessages).toBe(1);
		// Keys of a day long before: the job ran no sweep for three weeks.
		await w.keys.save({ key: 'u1:before', fingerprint: 'f', at: NOW, state: 'done', status: 200, content: {} });
		await expireRecords(w.read, w.persistence, { now: NOW + 21 * DAY_MS });
		expect(w.harness.persistence.filter((r) => (r.data as { key?: string }).key === 'u1:before')).toEqual([]);
	});

	it('logs a removal that failed and does the others; a later run, looking back as far, removes what was left', async () => {
		const w = await world();
		const remove = w.persistence.removeByAssociations.bind(w.persistence);
		// The server fails the removal of the old day's message records.
		const oldDay = new Date(OLD).toISOString().slice(0, 10);
		w.persistence.removeByAssociations = async (associations: Array<{ id: string }>) => {
			if (associations.some((a) => a.id === `sent-day:${oldDay}`) && associations.some((a) => a.id === 'sent-message'))
				throw new Error('MongoNetworkError');
			return remove(associations);
		};
		const logged: string[] = [];
		const logger = { error: (line: string) => logged.push(line) } as any;
		expect(await expireRecords(w.read, w.persistence, { now: NOW, logger })).toEqual({ removed: expect.any(Number) });
		expect(logged).toEqual(['retention: a removal failed, its records are looked at again tomorrow: MongoNetworkError']);
		expect(await w.left()).toMatchObject({ oldMessages: 20, keys: ['u1:live'], campaigns: ['recent-done', 'old-active'] });
		w.persistence.removeByAssociations = remove;
		// The mark is the day before that run's list: the next runs look back as far (400 days a run), to what was left.
		await expireRecords(w.read, w.persistence, { now: NOW + 7 * DAY_MS, logger });
		await expireRecords(w.read, w.persistence, { now: NOW + 7 * DAY_MS + 1, logger });
		expect((await w.left()).oldMessages).toBe(0);
		expect(logged).toHaveLength(1);
	});

	it("removes, at its first run, what a server that never ran it kept for months (an installation's first clean-up looks a year and a month back)", async () => {
		const w = await world();
		const months = NOW - 90 * DAY_MS;
		await w.messages.record(sent(1, months));
		await w.keys.save({ key: 'u1:months', fingerprint: 'f', at: months, state: 'done', status: 200, content: {} });
		await expireRecords(w.read, w.persistence, { now: NOW });
		expect(await w.messages.findByWamid(`wamid.${months}.1`)).toBeUndefined();
		expect(w.harness.persistence.filter((r) => (r.data as { key?: string }).key === 'u1:months')).toEqual([]);
		expect(await new SweepMarks(w.reader, w.persistence).get()).toEqual({
			days: '2026-05-30',
			keys: '2026-06-28',
			drafts: '2026-06-28',
		});
	});

	it("removes the drafts of modals never closed back to where its last clean-up of them got, after weeks without a run; today's stay", async () => {
		const w = await world();
		const drafts = new DraftStore(w.reader, w.persistence);
		const draft = (viewId: string, at: number) =>
			drafts.save({ viewId, userId: 'u1', values: { 'body.1': 'secret' }, openedOn: new Date(at).toISOString().slice(0, 10) } as any);
		await expireRecords(w.read, w.persistence, { now: NOW });
		// Drafts left behind while the job did not run for six weeks, and one of a modal opened that day.
		const later = NOW + 42 * DAY_MS;
		await draft('v-old', NOW + DAY_MS);
		await draft('v-weeks', NOW + 30 * DAY_MS);
		await draft('v-today', later);
		await expireRecords(w.read, w.persistence, { now: later });
		expect(await drafts.load('v-old')).toBeUndefined();
		expect(await drafts.load('v-weeks')).toBeUndefined();
		expect(await drafts.load('v-today')).toMatchObject({ viewId: 'v-today' });
		expect((await new SweepMarks(w.reader, w.persistence).get()).drafts).toBe(new Date(later - 2 * DAY_MS).toISOString().slice(0, 10));
	});

	it("moves each kind's mark on its own: a failed removal of keys holds the keys' mark only", async () => {
		const w = await world();
		const remove = w.persistence.removeByAssociations.bind(w.persistence);
		w.persistence.removeByAssociations = async (associations: Array<{ id: string }>) => {
			if (associations.some((a) => a.id.startsWith('idempotency-day:'))) throw new Error('MongoNetworkError');
			return remove(associations);
		};
		await expireRecords(w.read, w.persistence, { now: NOW, logger: { error: () => undefined } as any });
		// Keys: no mark yet, so the day before the list (the next runs look back as far).
		expect(await new SweepMarks(w.reader, w.persistence).get()).toEqual({
			days: '2026-05-30',
			keys: '2025-05-24',
			drafts: '2026-06-28',
		});
		expect((await w.left()).keys).toEqual(['u1:expired', 'u1:live']);
		w.persistence.removeByAssociations = remove;
		// The next day's run takes on the oldest 400 days after the keys' mark; the one after, the rest.
		await expireRecords(w.read, w.persistence, { now: NOW + DAY_MS });
		expect(await new SweepMarks(w.reader, w.persistence).get()).toEqual({
			days: '2026-05-31',
			keys: '2026-06-26',
			drafts: '2026-06-29',
		});
		expect((await w.left()).keys).toEqual(['u1:expired', 'u1:live']);
		await expireRecords(w.read, w.persistence, { now: NOW + DAY_MS + 1 });
		expect(await new SweepMarks(w.reader, w.persistence).get()).toEqual({
			days: '2026-05-31',
			keys: '2026-06-29',
			drafts: '2026-06-29',
		});
		expect((await w.left()).keys).toEqual(['u1:live']);
	});

	it('ends a chain whose retention the admin raised meanwhile: its next runs remove nothing the new setting keeps', async () => {
		const w = await world();
		let t = 0;
		const first = await expireRecords(w.read, w.persistence, { now: NOW, timer: () => t++, budgetMs: 1 });
		expect(first.next).toMatchObject({ at: NOW, retentionMs: RETENTION_DAYS * DAY_MS });
		w.setting.days = 60;
		expect(await expireRecords(w.read, w.persistence, { from: first.next })).toEqual({ removed: 0 });
		expect((await w.left()).oldMessages).toBeGreaterThan(0);
		expect(await new SweepMarks(w.reader, w.persistence).get()).toEqual({});
	});

	it('takes a mark from a clock that ran ahead as none, and replaces it', async () => {
		const w = await world();
		const marks = new SweepMarks(w.reader, w.persistence);
		await marks.advance({ days: '2027-06-30', keys: '2027-06-30' }, '2027-06-30');
		await expireRecords(w.read, w.persistence, { now: NOW });
		expect((await w.left()).oldMessages).toBe(0);
		expect(await marks.get()).toEqual({ days: '2026-05-30', keys: '2026-06-28', drafts: '2026-06-28' });
	});

	it('moves past a step that made no progress in a run (its first read took the whole budget): the chain ends, and a later run takes it', async () => {
		const w = await world();
		let t = 0;
		const timer = () => t;
		// Reading every campaign head takes longer than a run's budget.
		const readBy = w.reader.readByAssociation.bind(w.reader);
		w.reader.readByAssociation = async (association: { id: string }) => {
			if (association.id === 'campaign-head') t += 100;
			return readBy(association);
		};
		let run = await expireRecords(w.read, w.persistence, { now: NOW, timer, budgetMs: 50 });
		for (let i = 0; run.next && i < 100; i++) run = await expireRecords(w.read, w.persistence, { from: run.next, timer, budgetMs: 50 });
		expect(run.next).toBeUndefined();
		expect(await w.left()).toMatchObject({
			oldMessages: 0,
			keys: ['u1:live'],
			campaigns: ['old-done', 'old-cancelled', 'recent-done', 'old-active'],
		});
		w.reader.readByAssociation = readBy;
		await expireRecords(w.read, w.persistence, { now: NOW + 1 });
		expect((await w.left()).campaigns).toEqual(['recent-done', 'old-active']);
	});
});

describe("the retention job's cursor, as the scheduler hands it back (the job's data, with Rocket.Chat's jobId)", () => {
	it('reads what a run left, and starts over on anything else', () => {
		const left: RetentionCursor = {
			at: NOW,
			step: 12,
			retentionMs: 30 * DAY_MS,
			swept: { days: '2026-05-01', drafts: '2026-06-20' },
			clean: { days: true, keys: false, drafts: false },
		};
		expect(retentionCursorOf({ ...left, jobId: '6650f0c2a1b2c3d4e5f60718' })).toEqual(left);
		// An earlier version's cursor (a week's list of work): its step means nothing now.
		expect(retentionCursorOf({ at: NOW, step: 12, jobId: 'j' })).toBeUndefined();
		expect(retentionCursorOf({ at: NOW, step: 12, retentionMs: 30 * DAY_MS, swept: {}, clean: true })).toBeUndefined();
		// The recurring run's data: no cursor.
		expect(retentionCursorOf({ jobId: 'j' })).toBeUndefined();
		expect(retentionCursorOf(undefined)).toBeUndefined();
		// A retention that is not whole days, and marks that are not days, are dropped.
		// The version before the drafts' own days: its list of work differs.
		expect(retentionCursorOf({ at: NOW, step: 9, swept: {}, clean: { days: true, keys: true } })).toBeUndefined();
		expect(
			retentionCursorOf({ at: NOW, step: 1, retentionMs: 1, swept: { days: 'x', keys: '2026-05-01' }, clean: { drafts: true } }),
		).toEqual({
			at: NOW,
			step: 1,
			swept: { keys: '2026-05-01' },
			clean: { days: true, keys: true, drafts: true },
		});
	});
});
