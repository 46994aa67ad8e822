/**
 * Record before send and statuses of messages not known yet (src/core/app/sendLog.ts, statuses.ts,
 * webhookBatch.ts): a send is written before its Graph call and linked to its wamid when Meta
 * answers; a status that arrives before the link is kept and forwarded once the link exists, after
 * its `queued`, whichever comes first; after the window it is dropped with a log line. The statuses
 * of one webhook find their records with one read per batch key. A status whose earlier one (sent
 * before delivered...) has not come waits a little for it.
 */
import { MemoryMessageLog } from '../../../../src/core/app/memory';
import { SentMessage } from '../../../../src/core/app/ports';
import { newBatchKey, SendLog } from '../../../../src/core/app/sendLog';
import { settingsOf } from '../../../../src/core/app/settings';
import { ORDER_RECHECK_MS, ORDER_WAIT_MS, ORPHAN_AFTER_MS, StatusService } from '../../../../src/core/app/statuses';
import {
	MemoryWebhookInbox,
	processWebhooks,
	Rechecks,
	UNKNOWN_RECHECK_MAX_MS,
	UNKNOWN_RECHECK_MS,
} from '../../../../src/core/app/webhookBatch';
import { MemoryOutboxStore } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';
import { InboundMessageEvent, StatusEvent } from '../../../../src/core/status/webhook';
import { MemoryTemplateCache } from '../../../../src/core/templates/catalog';
import { MemoryNumbers } from '../../../../src/core/app/memory';

const T0 = 1_750_000_000_000;
const MINUTE = 60000;

/** A message log that counts its reads, and its writes of progress. */
class CountingLog extends MemoryMessageLog {
	reads = { byWamid: 0, byBatch: 0 };
	/** This many next reads by wamid fail (the host's database down). */
	failing = 0;
	writes = { update: 0, saveStatuses: [] as string[][] };
	async update(message: SentMessage) {
		this.writes.update++;
		return super.update(message);
	}
	async saveStatuses(messages: SentMessage[]) {
		this.writes.saveStatuses.push(messages.map((m) => `${m.wamid}:${(m.statuses ?? []).join(',')}`));
		return super.saveStatuses(messages);
	}
	async findByWamid(wamid: string) {
		this.reads.byWamid++;
		if (this.failing > 0 && this.failing--) throw new Error('the store is down');
		return super.findByWamid(wamid);
	}
	async findByBatch(batch: string) {
		this.reads.byBatch++;
		return super.findByBatch(batch);
	}
}

/** An outbox that counts its writes. */
class CountingOutbox extends MemoryOutboxStore<StatusPayload> {
	writes = { put: 0, putMany: [] as number[] };
	async put(item: Parameters<MemoryOutboxStore<StatusPayload>['put']>[0]) {
		this.writes.put++;
		return super.put(item);
	}
	async putMany(items: Parameters<MemoryOutboxStore<StatusPayload>['putMany']>[0]) {
		this.writes.putMany.push(items.length);
		for (const item of items) await super.put(item);
	}
}

function world(settings: Record<string, unknown> = {}) {
	let now = T0;
	const clock = { now: () => now };
	const messages = new CountingLog();
	const outbox = new CountingOutbox();
	const sendLog = new SendLog({
		messages,
		outbox,
		settings: settingsOf({ statusEndpointUrl: 'https://crm.example/s', ...settings }),
		clock,
	});
	const refused: string[] = [];
	const logged: string[] = [];
	const service = new StatusService({
		messages,
		sendLog,
		notifier: { notifyRoom: async () => undefined },
		translator: async () => (key: string) => key,
		numbers: new MemoryNumbers(),
		templates: new MemoryTemplateCache(),
		refusals: { refuse: (cause, text) => void refused.push(`${cause}: ${text}`) },
		settings: settingsOf(settings),
		clock,
		logger: { info: (line) => void logged.push(line), warn: (line) => void logged.push(line) },
	});
	const inbox = new MemoryWebhookInbox();
	const run = () =>
		processWebhooks({
			inbox,
			clock,
			refusals: { refuse: () => undefined },
			handlers: {
				status: async () => {
					throw new Error('the batched handler is used');
				},
				statuses: (events, batch) => service.handleStatuses(events, batch),
				revoke: (event, scope) => service.handleRevoke(event, scope),
				templateStatus: async () => undefined,
				inbound: () => ({ handle: async () => undefined }),
			},
		});
	const webhook = async (events: Array<StatusEvent | InboundMessageEvent>, scope = { phoneNumberIds: ['pn-1'], wabaIds: ['waba-1'] }) =>
		inbox.add({ id: `w${now}-${events.length}-${Math.random()}`, events, scope, receivedAt: now });
	/** What the outbox holds, in (message, seq) order: `wamid:status`. */
	const forwarded = async () =>
		(await outbox.list())
			.sort((a, b) => a.messageKey.localeCompare(b.messageKey) || a.seq - b.seq)
			.map((i) => `${i.payload.msId}:${i.payload.MessageStatus}`);
	return {
		clock,
		messages,
		outbox,
		sendLog,
		service,
		inbox,
		run,
		webhook,
		forwarded,
		refused,
		logged,
		advance: (ms: number) => void (now += ms),
	};
}

const send = (fields: Partial<SentMessage> = {}): SentMessage => ({
	phoneNumberId: 'pn-1',
	connectedWhatsAppNo: '15550783881',
	mobileNo: '5511987654321',
	message: 'Order 42',
	type: 'Template-Message',
	sentAt: new Date(T0).toISOString(),
	...fields,
});
const status = (wamid: string, name: string, fields: Partial<StatusEvent> = {}): StatusEvent => ({
	kind: 'status',
	phoneNumberId: 'pn-1',
	displayPhoneNumber: '15550783881',
	wamid,
	status: name,
	timestamp: '1750000100',
	recipientId: '5511987654321',
	...fields,
});

/** A contact's revoke (Meta's `revoke` message) of `original`. */
const revokeOf = (original: string): InboundMessageEvent => ({
	kind: 'message',
	phoneNumberId: 'pn-1',
	displayPhoneNumber: '15550783881',
	wamid: 'wamid.REVOKE',
	from: '5511987654321',
	waId: '5511987654321',
	type: 'revoke',
	timestamp: '1750000200',
	originalMessageId: original,
	raw: {},
});

describe('record before send', () => {
	it('writes a pending send, then links it to its wamid after queueing queued; a refused one becomes failed', async () => {
		const w = world();
		const pending = await w.sendLog.begin(send({ batch: 'b' }));
		expect(pending).toMatchObject({ pending: true, statuses: [], batch: 'b', sendId: expect.stringMatching(/^[0-9a-f]{24}$/) });
		expect(await w.messages.findByBatch('b')).toEqual([pending]);
		expect(await w.forwarded()).toEqual([]);
		await w.sendLog.settle({ ...pending, wamid: 'wamid.A' });
		expect(await w.messages.findByWamid('wamid.A')).toMatchObject({ sendId: pending.sendId, statuses: ['queued'] });
		expect(await w.messages.findByBatch('b')).toHaveLength(1);
		expect(await w.forwarded()).toEqual(['wamid.A:queued']);

		const refused = await w.sendLog.begin(send({ batch: 'b', mobileNo: '5511900000000' }));
		await w.sendLog.settle(refused, new Error('network'));
		const [item] = (await w.outbox.list()).filter((i) => i.payload.MessageStatus === 'failed');
		expect(item).toMatchObject({ messageKey: refused.sendId, payload: { mobileNo: '5511900000000' } });
		expect((await w.messages.findByBatch('b')).map((m) => [m.sendId, m.statuses, m.pending])).toContainEqual([
			refused.sendId,
			['failed'],
			undefined,
		]);
	});
});

describe('record before send, many at once', () => {
	it('writes the sends of a batch in one record, links each as Meta answers, and removes the record with the last', async () => {
		const w = world();
		const batch = newBatchKey();
		const recorded: number[] = [];
		const removed: string[] = [];
		const recordPending = w.messages.recordPending.bind(w.messages);
		const removePending = w.messages.removePending.bind(w.messages);
		w.messages.recordPending = async (messages) => (recorded.push(messages.length), recordPending(messages));
		w.messages.removePending = async (group) => (removed.push(group), removePending(group));
		const [a, b, c] = await w.sendLog.beginMany(
			['5511900000001', '5511900000002', '5511900000003'].map((mobileNo) => send({ batch, mobileNo })),
		);
		expect(recorded).toEqual([3]);
		expect(new Set([a.sendId, b.sendId, c.sendId]).size).toBe(3);
		expect([a, b, c].every((m) => m.pending && m.pendingGroup === a.pendingGroup)).toBe(true);
		// A status before its link is kept, and forwarded after its queued once the link exists.
		const early = [
			status('wamid.A', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.B', 'sent', { bizOpaqueCallbackData: batch }),
		];
		expect(await w.service.handleStatuses(early, { scope: undefined, receivedAt: T0 })).toEqual({ unknown: early, early: [] });
		await w.sendLog.settle({ ...a, wamid: 'wamid.A' });
		await w.sendLog.settle({ ...b, wamid: 'wamid.B' });
		expect(removed).toEqual([]);
		await w.sendLog.settle(c, new Error('network'));
		expect(removed).toEqual([a.pendingGroup]);
		expect(await w.service.handleStatuses(early, { scope: undefined, receivedAt: T0 })).toEqual({ unknown: [], early: [] });
		expect(await w.forwarded()).toContain('wamid.A:sent');
		expect((await w.forwarded()).filter((e) => e.startsWith('wamid.B'))).toEqual(['wamid.B:queued', 'wamid.B:sent']);
		expect(
			(await w.messages.findByBatch(batch)).map((m) => [m.mobileNo, m.wamid ?? null, m.statuses, m.pending ?? null]).sort(),
		).toEqual([
			['5511900000001', 'wamid.A', ['queued', 'sent'], null],
			['5511900000002', 'wamid.B', ['queued', 'sent'], null],
			['5511900000003', null, ['failed'], null],
		]);
	});
});

describe('settling many sends at once', () => {
	it('stores the queued events of sends settled meanwhile together, each settle resolving once its own is stored', async () => {
		const w = world();
		const batch = newBatchKey();
		const begun = await w.sendLog.beginMany([1, 2, 3, 4].map((n) => send({ batch, mobileNo: `551190000000${n}` })));
		w.outbox.writes = { put: 0, putMany: [] };
		await Promise.all(begun.map((m, n) => w.sendLog.settle({ ...m, wamid: `wamid.${n}` })));
		const { put, putMany } = w.outbox.writes;
		expect(put + putMany.reduce((a, b) => a + b, 0)).toBe(4);
		expect(put + putMany.length).toBeLessThan(4);
		expect((await w.forwarded()).sort()).toEqual(['wamid.0:queued', 'wamid.1:queued', 'wamid.2:queued', 'wamid.3:queued']);
		// A failed write fails each settle that waited for it, and the next write goes on.
		const putOne = w.outbox.put.bind(w.outbox);
		w.outbox.put = async () => {
			throw new Error('persistence down');
		};
		const [more] = await w.sendLog.beginMany([send({ batch, mobileNo: '5511900000009' })]);
		await expect(w.sendLog.settle({ ...more, wamid: 'wamid.9' })).rejects.toThrow('persistence down');
		w.outbox.put = putOne;
		await w.sendLog.settle({ ...more, wamid: 'wamid.9' });
		expect(await w.forwarded()).toContain('wamid.9:queued');
	});
});

describe('statuses of one webhook, batched', () => {
	it('finds the records of a batch with one read, and forwards each status once, in order', async () => {
		const w = world();
		const batch = newBatchKey();
		for (const n of [1, 2, 3]) await w.sendLog.settle({ ...(await w.sendLog.begin(send({ batch }))), wamid: `wamid.${n}` });
		w.messages.reads = { byWamid: 0, byBatch: 0 };
		const events = [
			status('wamid.1', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.2', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.1', 'delivered', { bizOpaqueCallbackData: batch }),
			status('wamid.3', 'failed', { bizOpaqueCallbackData: batch, errors: [{ code: 131026 }] }),
			status('wamid.1', 'sent', { bizOpaqueCallbackData: batch }),
		];
		expect(await w.service.handleStatuses(events, { scope: undefined, receivedAt: T0 })).toEqual({ unknown: [], early: [] });
		expect(w.messages.reads).toEqual({ byWamid: 0, byBatch: 1 });
		expect(await w.forwarded()).toEqual([
			'wamid.1:queued',
			'wamid.1:sent',
			'wamid.1:delivered',
			'wamid.2:queued',
			'wamid.2:sent',
			'wamid.3:queued',
			'wamid.3:failed',
		]);
		expect((await w.messages.findByWamid('wamid.1'))?.statuses).toEqual(['queued', 'sent', 'delivered']);
	});

	it("writes a webhook's statuses together: every event in one outbox write, then each message's progress once", async () => {
		const w = world();
		const batch = newBatchKey();
		for (const n of [1, 2]) await w.sendLog.settle({ ...(await w.sendLog.begin(send({ batch }))), wamid: `wamid.${n}` });
		w.outbox.writes = { put: 0, putMany: [] };
		w.messages.writes = { update: 0, saveStatuses: [] };
		const events = ['sent', 'delivered', 'read'].map((s) => status('wamid.1', s, { bizOpaqueCallbackData: batch }));
		await w.service.handleStatuses([...events, status('wamid.2', 'sent', { bizOpaqueCallbackData: batch }), events[1]], {
			scope: undefined,
			receivedAt: T0,
		});
		expect(w.outbox.writes).toEqual({ put: 0, putMany: [4] });
		expect(w.messages.writes).toEqual({ update: 0, saveStatuses: [['wamid.1:queued,sent,delivered,read', 'wamid.2:queued,sent']] });
		const seqs = (await w.outbox.list()).filter((i) => i.messageKey === 'wamid.1').map((i) => [i.payload.MessageStatus, i.seq]);
		expect(seqs).toEqual([
			['queued', 1],
			['sent', 2],
			['delivered', 3],
			['read', 4],
		]);
		// Saved: a later webhook repeats nothing.
		await w.service.handleStatuses([status('wamid.1', 'delivered', { bizOpaqueCallbackData: batch })], {
			scope: undefined,
			receivedAt: T0,
		});
		expect((await w.outbox.list()).length).toBe(6);
		expect(w.outbox.writes.putMany).toEqual([4]);
	});

	it('queues the events before it saves the progress: a run that dies between the two forwards again, never loses', async () => {
		const w = world();
		const batch = newBatchKey();
		await w.sendLog.settle({ ...(await w.sendLog.begin(send({ batch }))), wamid: 'wamid.1' });
		const save = w.messages.saveStatuses.bind(w.messages);
		w.messages.saveStatuses = async () => {
			throw new Error('the runtime died');
		};
		const events = [
			status('wamid.1', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.1', 'delivered', { bizOpaqueCallbackData: batch }),
		];
		await expect(w.service.handleStatuses(events, { scope: undefined, receivedAt: T0 })).rejects.toThrow('the runtime died');
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered']);
		w.messages.saveStatuses = save;
		await w.service.handleStatuses(events, { scope: undefined, receivedAt: T0 });
		// The same events again (same eventIds, which delivery drops as repeats), and now saved.
		const ids = (await w.outbox.list()).map((i) => i.id);
		expect(ids.filter((id) => id === 'wamid.1:delivered')).toHaveLength(1);
		expect((await w.messages.findByWamid('wamid.1'))?.statuses).toEqual(['queued', 'sent', 'delivered']);
	});

	it("reads a lone status's record by its wamid, and ignores a tracker that is not one of the app's batch keys", async () => {
		const w = world();
		await w.sendLog.settle({ ...(await w.sendLog.begin(send({ batch: newBatchKey() }))), wamid: 'wamid.1' });
		await w.sendLog.settle({ ...(await w.sendLog.begin(send())), wamid: 'wamid.2' });
		w.messages.reads = { byWamid: 0, byBatch: 0 };
		await w.service.handleStatuses(
			[status('wamid.1', 'sent'), status('wamid.2', 'sent', { bizOpaqueCallbackData: 'some data' }), status('wamid.2', 'delivered')],
			{ scope: undefined, receivedAt: T0 },
		);
		expect(w.messages.reads).toEqual({ byWamid: 2, byBatch: 0 });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.2:queued', 'wamid.2:sent', 'wamid.2:delivered']);
	});
});

describe('statuses of messages not known yet', () => {
	it('answers the unknown ones to keep, then drops them with a log line once the window has passed', async () => {
		const w = world({ unknownStatusWindowMinutes: 10 });
		const events = [status('wamid.X', 'sent'), status('wamid.X', 'warning')];
		expect(await w.service.handleStatuses(events, { scope: undefined, receivedAt: T0 })).toEqual({ unknown: [events[0]], early: [] });
		w.advance(10 * MINUTE);
		expect(await w.service.handleStatuses(events, { scope: undefined, receivedAt: T0 })).toEqual({ unknown: [events[0]], early: [] });
		expect(w.refused.filter((line) => line.startsWith('unknown-status'))).toEqual([]);
		w.advance(1);
		expect(await w.service.handleStatuses(events, { scope: undefined, receivedAt: T0 })).toEqual({
			unknown: [],
			early: [],
			dropped: [events[0]],
		});
		expect(w.refused.filter((line) => line.startsWith('unknown-status'))).toEqual([
			'unknown-status: webhook: 1 status event(s) about messages the app does not know, kept 10 minutes, dropped (first: wamid.X)',
		]);
	});

	it('status first, link after: the kept status is forwarded once, after its queued, by the next run', async () => {
		const w = world();
		const batch = newBatchKey();
		const pending = await Promise.all([1, 2].map(() => w.sendLog.begin(send({ batch }))));
		await w.sendLog.settle({ ...pending[0], wamid: 'wamid.1' });
		// Meta accepted the second send and its status came before the app linked it.
		await w.webhook([
			status('wamid.1', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.2', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.2', 'failed', { bizOpaqueCallbackData: batch, errors: [{ code: 131026 }] }),
		]);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		const [kept] = await w.inbox.all();
		expect(kept).toMatchObject({ unknownStatuses: true, receivedAt: T0, nextAttemptAt: T0 + UNKNOWN_RECHECK_MS });
		expect(kept.events.map((e) => (e as StatusEvent).status)).toEqual(['sent', 'failed']);
		expect(kept.scope).toEqual({ phoneNumberIds: ['pn-1'], wabaIds: ['waba-1'] });

		await w.sendLog.settle({ ...pending[1], wamid: 'wamid.2' });
		await w.run(); // not due yet: nothing happens
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.2:queued']);
		w.advance(UNKNOWN_RECHECK_MS);
		await w.run();
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.2:queued', 'wamid.2:sent', 'wamid.2:failed']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('link first, status after: forwarded once, and nothing is kept', async () => {
		const w = world();
		const pending = await w.sendLog.begin(send({ batch: newBatchKey() }));
		await w.sendLog.settle({ ...pending, wamid: 'wamid.1' });
		await w.webhook([status('wamid.1', 'sent', { bizOpaqueCallbackData: pending.batch })]);
		await w.run();
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('a kept status keeps its scope: one its signature did not vouch for is still dropped once its message is known', async () => {
		const w = world();
		const pending = await w.sendLog.begin(send({ batch: newBatchKey() }));
		await w.webhook([status('wamid.1', 'sent', { phoneNumberId: 'pn-1' })], { phoneNumberIds: ['pn-1'], wabaIds: ['waba-1'] });
		await w.inbox.add({
			id: 'other',
			events: [status('wamid.1', 'delivered', { phoneNumberId: 'pn-2' })],
			scope: { phoneNumberIds: ['pn-2'], wabaIds: ['waba-2'] },
			receivedAt: T0,
		});
		await w.run();
		expect((await w.inbox.all()).map((e) => e.scope?.phoneNumberIds)).toEqual(expect.arrayContaining([['pn-1'], ['pn-2']]));
		await w.sendLog.settle({ ...pending, wamid: 'wamid.1' });
		w.advance(UNKNOWN_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('looks at a kept status again after 1 s, then twice as long each time, at most a minute apart', async () => {
		const w = world();
		await w.webhook([status('wamid.ELSEWHERE', 'sent')]);
		await w.run();
		const waits: number[] = [];
		for (let i = 0; i < 9; i++) {
			const [kept] = await w.inbox.all();
			const wait = (kept.nextAttemptAt as number) - w.clock.now();
			waits.push(wait);
			w.advance(wait);
			await w.run();
		}
		expect(waits).toEqual([
			1000,
			2000,
			4000,
			8000,
			16000,
			32000,
			UNKNOWN_RECHECK_MAX_MS,
			UNKNOWN_RECHECK_MAX_MS,
			UNKNOWN_RECHECK_MAX_MS,
		]);
		expect(await w.forwarded()).toEqual([]);
	});

	it('drops a kept status after the window, with the log line, and keeps nothing', async () => {
		const w = world();
		await w.webhook([status('wamid.GONE', 'sent')]);
		await w.run();
		expect(await w.inbox.all()).toHaveLength(1);
		w.advance(15 * MINUTE + 1);
		await w.run();
		expect(await w.inbox.all()).toEqual([]);
		expect(w.refused).toEqual([expect.stringMatching(/^unknown-status: .*kept 15 minutes, dropped \(first: wamid\.GONE\)$/)]);
	});

	it("a send whose sender stopped after Meta's answer: ORPHAN_AFTER_MS after its status came, the status links it, queued then sent are forwarded, and nothing is kept", async () => {
		const w = world();
		const batch = newBatchKey();
		const to = ['5511987650001', '5511987650002', '5511987650003', '5511987650004', '5511987650005'];
		// A request's sends, written together; its process died before any answer was linked.
		const [one, two, , , five] = await w.sendLog.beginMany(to.map((mobileNo) => send({ batch, mobileNo })));
		// A campaign's pending send of the same key is left to the campaign's recovery.
		await w.sendLog.begin(send({ batch, mobileNo: '5511987650009', campaignId: 'c1' }));
		// Two pending sends to one recipient in the batch: no way to tell which Meta's status is of.
		for (let i = 0; i < 2; i++) await w.sendLog.begin(send({ batch, mobileNo: '5511987650006' }));
		// Another sender linked its send meanwhile: not an orphan.
		await w.sendLog.settle({ ...five, wamid: 'wamid.5' });
		await w.webhook(
			[
				status('wamid.1', 'sent', { recipientId: one.mobileNo, bizOpaqueCallbackData: batch }),
				status('wamid.1', 'delivered', { recipientId: one.mobileNo, bizOpaqueCallbackData: batch }),
				// Two wamids for one recipient: neither is taken.
				status('wamid.2a', 'sent', { recipientId: two.mobileNo, bizOpaqueCallbackData: batch }),
				status('wamid.2b', 'sent', { recipientId: two.mobileNo, bizOpaqueCallbackData: batch }),
				// No batch key, another number, a group.
				status('wamid.3', 'sent', { recipientId: to[2] }),
				status('wamid.3b', 'sent', { recipientId: to[2], bizOpaqueCallbackData: batch, phoneNumberId: 'pn-2' }),
				status('wamid.4', 'sent', { recipientId: to[3], bizOpaqueCallbackData: batch, recipientType: 'group' }),
				status('wamid.9', 'sent', { recipientId: '5511987650009', bizOpaqueCallbackData: batch }),
				status('wamid.6', 'sent', { recipientId: '5511987650006', bizOpaqueCallbackData: batch }),
				// (The webhook's secret vouches for both numbers.)
			],
			{ phoneNumberIds: ['pn-1', 'pn-2'], wabaIds: ['waba-1'] },
		);
		await w.run();
		w.advance(ORPHAN_AFTER_MS - 1);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.5:queued']);
		expect(w.logged).toEqual([]);
		// Its next look, past ORPHAN_AFTER_MS.
		w.advance(UNKNOWN_RECHECK_MAX_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.5:queued']);
		expect(w.logged).toEqual([expect.stringMatching(/^webhook: the send of wamid\.1 was left pending by a sender that stopped/)]);
		expect(w.refused).toEqual([]);
		expect((await w.messages.findByWamid('wamid.1'))?.statuses).toEqual(['queued', 'sent', 'delivered']);
		// Still pending: the sends no record resolves (the group's record keeps its copies of the others).
		const records = await w.messages.findByBatch(batch);
		const resolved = new Set(records.filter((r) => !r.pending).map((r) => r.sendId));
		const pendingLeft = records.filter((r) => r.pending && !resolved.has(r.sendId)).map((r) => r.mobileNo);
		expect(pendingLeft.sort()).toEqual([to[1], to[2], to[3], '5511987650006', '5511987650006', '5511987650009'].sort());
		// The others stay kept until the window ends.
		expect((await w.inbox.all()).flatMap((e) => e.events.map((x) => (x as StatusEvent).wamid)).sort()).toEqual(
			['wamid.2a', 'wamid.2b', 'wamid.3', 'wamid.3b', 'wamid.4', 'wamid.6', 'wamid.9'].sort(),
		);
	});

	it('links a lone pending send (a reply, the modal) too; with a window under 5 minutes, at its end; a batch whose records cannot be read stays kept, logged', async () => {
		const w = world({ unknownStatusWindowMinutes: 2 });
		const batch = newBatchKey();
		const pending = await w.sendLog.begin(send({ batch }));
		const broken = newBatchKey();
		await w.sendLog.begin(send({ batch: broken, mobileNo: '5511987650002' }));
		const readBatch = w.messages.findByBatch.bind(w.messages);
		w.messages.findByBatch = (key: string) => (key === broken ? Promise.reject(new Error('persistence down')) : readBatch(key));
		await w.webhook([
			status('wamid.1', 'sent', { bizOpaqueCallbackData: batch }),
			status('wamid.2', 'sent', { recipientId: '5511987650002', bizOpaqueCallbackData: broken }),
		]);
		await w.run();
		// A look at 63 s: not yet; one at 2 minutes, the end of the window: linked.
		w.advance(63000);
		await w.run();
		expect(await w.forwarded()).toEqual([]);
		w.advance(2 * MINUTE - 63000);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		const records = await w.messages.findByBatch(batch);
		expect(records.map((r) => [r.sendId, r.wamid, r.pending ?? false])).toEqual([[pending.sendId, 'wamid.1', false]]);
		expect(w.logged).toEqual([
			expect.stringMatching(/^webhook: the send of wamid\.1 was left pending/),
			'webhook: sends of batch ' + broken + ' left pending could not be linked (persistence down); their statuses stay kept',
		]);
		expect((await w.inbox.all()).flatMap((e) => e.events.map((x) => (x as StatusEvent).wamid))).toEqual(['wamid.2']);
	});

	it('never links before a minute, however short the window: with a 30 s window the status is dropped and the send stays pending', async () => {
		const w = world({ unknownStatusWindowMinutes: 0.5 });
		const batch = newBatchKey();
		const pending = await w.sendLog.begin(send({ batch }));
		await w.webhook([status('wamid.1', 'sent', { bizOpaqueCallbackData: batch })]);
		await w.run();
		w.advance(31000);
		await w.run();
		expect(await w.forwarded()).toEqual([]);
		expect(await w.inbox.all()).toEqual([]);
		expect((await w.messages.findByBatch(batch)).map((r) => [r.sendId, r.pending])).toEqual([[pending.sendId, true]]);
	});

	it('links no orphan for a status its signature does not vouch for', async () => {
		const w = world();
		const batch = newBatchKey();
		const pending = await w.sendLog.begin(send({ batch }));
		await w.webhook([status('wamid.1', 'sent', { bizOpaqueCallbackData: batch })], {
			phoneNumberIds: ['pn-other'],
			wabaIds: ['waba-2'],
		});
		w.advance(ORPHAN_AFTER_MS);
		await w.run();
		expect(await w.forwarded()).toEqual([]);
		expect((await w.messages.findByBatch(batch)).map((r) => [r.sendId, r.pending])).toEqual([[pending.sendId, true]]);
	});
});

describe('statuses out of order', () => {
	const linked = async (w: ReturnType<typeof world>, wamid: string, fields: Partial<SentMessage> = {}) =>
		w.sendLog.settle({ ...(await w.sendLog.begin(send({ batch: newBatchKey(), ...fields }))), wamid });

	it("waits for the status Meta sends before: a webhook's delivered and read wait for the sent of a later one, then all go in order", async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'delivered'), status('wamid.1', 'read')]);
		expect(await w.run()).toEqual({ problems: [], more: false, recheckAt: T0 + ORDER_RECHECK_MS });
		expect(await w.forwarded()).toEqual(['wamid.1:queued']);
		// One entry per step, each naming its messages.
		const held = (await w.inbox.all()).sort((a, b) => (a.heldStep as number) - (b.heldStep as number));
		expect(
			held.map(({ events, heldSince, heldStep, heldMessages, receivedAt, nextAttemptAt }) => ({
				statuses: events.map((e) => (e as StatusEvent).status),
				heldSince,
				heldStep,
				heldMessages,
				receivedAt,
				nextAttemptAt,
			})),
		).toEqual(
			[
				['delivered', 2],
				['read', 3],
			].map(([name, step]) => ({
				statuses: [name],
				heldSince: T0,
				heldStep: step,
				heldMessages: ['wamid.1'],
				receivedAt: T0,
				nextAttemptAt: T0 + ORDER_RECHECK_MS,
			})),
		);
		// The sent comes in a webhook acknowledged later: forwarded at once; the held ones when due, a run asked for then.
		w.advance(200);
		await w.webhook([status('wamid.1', 'sent')]);
		expect(await w.run()).toEqual({ problems: [], more: false, recheckAt: T0 + ORDER_RECHECK_MS });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		w.advance(ORDER_RECHECK_MS - 200);
		expect(await w.run()).toEqual({ problems: [], more: false });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('forwards a status without its earlier one once ORDER_WAIT_MS has passed; that one, coming later, is dropped', async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'read')]);
		const dues: number[] = [];
		for (let due = (await w.run()).recheckAt; due !== undefined; due = (await w.run()).recheckAt) {
			dues.push(due - T0);
			w.advance(due - w.clock.now());
		}
		expect(dues).toEqual([1000, 2000, 3000, 4000, ORDER_WAIT_MS]);
		expect(w.clock.now()).toBe(T0 + ORDER_WAIT_MS);
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
		await w.webhook([status('wamid.1', 'delivered')]);
		expect(await w.run()).toEqual({ problems: [], more: false });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:read']);
	});

	it('handles held statuses after every other webhook, earliest step first: a runtime that comes back late still forwards all in order', async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'read')]);
		w.advance(200);
		await w.webhook([status('wamid.1', 'delivered')]);
		await w.run();
		expect((await w.inbox.all()).map((e) => [e.heldSince, e.heldStep])).toEqual([
			[T0 + 200, 3],
			[T0 + 200, 2],
		]);
		// The runtime is busy for longer than the wait: the sent comes meanwhile, in a newer webhook.
		w.advance(ORDER_WAIT_MS + 1000);
		await w.webhook([status('wamid.1', 'sent')]);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('holds on a status past its wait while an earlier step of its message was held in the same run, and never holds that step', async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'read')]);
		await w.run();
		// The runtime is busy for seconds; delivered, then sent, come meanwhile.
		w.advance(200);
		await w.webhook([status('wamid.1', 'delivered')]);
		w.advance(200);
		await w.webhook([status('wamid.1', 'sent')]);
		w.advance(ORDER_WAIT_MS + 3000);
		const late = w.clock.now();
		// The delivered waits for the sent (not held itself), and the read, past its wait, for the delivered.
		expect(await w.run()).toEqual({ problems: [], more: false, recheckAt: late + ORDER_RECHECK_MS });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		expect((await w.inbox.all()).map((e) => [(e.events[0] as StatusEvent).status, e.heldSince, e.nextAttemptAt])).toEqual(
			expect.arrayContaining([
				['delivered', late, late + ORDER_RECHECK_MS],
				['read', T0, late + ORDER_RECHECK_MS],
			]),
		);
		w.advance(ORDER_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it("holds a failure in a newer webhook behind its message's held step, and then forwards both", async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'delivered')]);
		await w.run();
		w.advance(100);
		await w.webhook([status('wamid.1', 'failed', { errors: [{ code: 131026 }] })]);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued']);
		w.advance(100);
		await w.webhook([status('wamid.1', 'sent')]);
		await w.run();
		w.advance(ORDER_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:failed']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it("holds each message's steps in order across stored webhooks, whatever else they hold, until each wait ends", async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await linked(w, 'wamid.2');
		await w.webhook([status('wamid.1', 'read'), status('wamid.2', 'delivered')]);
		await w.run();
		w.advance(200);
		await w.webhook([status('wamid.1', 'delivered')]);
		await w.run();
		// No sent ever comes. The first webhook's wait ends before the second's.
		w.advance(ORDER_WAIT_MS - 200);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.2:queued', 'wamid.2:delivered']);
		w.advance(200);
		await w.run();
		w.advance(ORDER_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:delivered', 'wamid.1:read', 'wamid.2:queued', 'wamid.2:delivered']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it("retries a held entry whose handling failed as an entry no longer held for its own wait, holding its message's later steps until its retry", async () => {
		const inbox = new MemoryWebhookInbox();
		const held = { heldSince: T0, heldStep: 2, heldMessages: ['wamid.1'] };
		await inbox.add({ id: 'held', events: [status('wamid.1', 'delivered')], receivedAt: T0, nextAttemptAt: T0, ...held });
		const result = await processWebhooks({
			inbox,
			clock: { now: () => T0 },
			refusals: { refuse: () => undefined },
			handlers: {
				status: async () => undefined,
				statuses: async () => {
					throw new Error('the store is down');
				},
				revoke: async () => undefined,
				templateStatus: async () => undefined,
				inbound: () => ({ handle: async () => undefined }),
			},
		});
		expect(result.problems).toEqual(['webhook status events (1) not processed: the store is down (attempt 1 of 5)']);
		const [retried] = await inbox.all();
		expect(retried).toMatchObject({ id: 'held', attempts: 1, nextAttemptAt: T0 + 30000, retriedMessages: '2:wamid.1' });
		expect(Object.keys(retried).filter((key) => key.startsWith('held'))).toEqual([]);
	});

	/** wamid.1 linked and its sent forwarded; then a webhook of `events` whose statuses' read fails once (the store down). */
	const sentThenFailing = async (events: Array<StatusEvent | InboundMessageEvent>) => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'sent')]);
		await w.run();
		w.messages.failing = 1;
		await w.webhook(events);
		return { w, failed: await w.run() };
	};

	it("a failed status holds its message's later steps until it is tried again: a read that comes meanwhile goes after it, not before", async () => {
		const { w, failed } = await sentThenFailing([status('wamid.1', 'delivered')]);
		expect(failed.problems).toEqual(['webhook status events (1) not processed: the store is down (attempt 1 of 5)']);
		const retryAt = T0 + 30000;
		expect((await w.inbox.all()).map((e) => [e.retriedMessages, e.nextAttemptAt])).toEqual([['2:wamid.1', retryAt]]);
		// The read comes a second later: held until the retry (not looked at every second), a run asked for then.
		w.advance(1000);
		await w.webhook([status('wamid.1', 'read')]);
		expect(await w.run()).toEqual({ problems: [], more: false, recheckAt: retryAt });
		const read = (await w.inbox.all()).find((e) => e.heldStep === 3);
		expect(read).toMatchObject({ heldSince: T0 + 1000, heldMessages: ['wamid.1'], nextAttemptAt: retryAt });
		// Its own wait ends; it still waits.
		w.advance(ORDER_WAIT_MS + 1000);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		w.advance(retryAt - w.clock.now());
		expect(await w.run()).toEqual({ problems: [], more: false });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it("a failed read holds no earlier step: a delivered waiting for its sent is looked at every second, not at the read's retry", async () => {
		const w = world();
		await linked(w, 'wamid.1');
		w.messages.failing = 1;
		await w.webhook([status('wamid.1', 'read')]);
		await w.run();
		const retryAt = T0 + 30000;
		expect((await w.inbox.all()).map((e) => e.retriedMessages)).toEqual(['3:wamid.1']);
		w.advance(100);
		await w.webhook([status('wamid.1', 'delivered')]);
		expect(await w.run()).toEqual({ problems: [], more: false, recheckAt: T0 + 100 + ORDER_RECHECK_MS });
		expect((await w.inbox.all()).find((e) => e.heldStep === 2)).toMatchObject({ nextAttemptAt: T0 + 100 + ORDER_RECHECK_MS });
		w.advance(100);
		await w.webhook([status('wamid.1', 'sent')]);
		await w.run();
		w.advance(ORDER_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered']);
		w.advance(retryAt - w.clock.now());
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it("holds a contact's revoke in the same webhook as its message's failed status until that status's retry", async () => {
		// The statuses' read fails; the revoke's own read does not.
		const { w, failed } = await sentThenFailing([status('wamid.1', 'delivered'), revokeOf('wamid.1')]);
		expect(failed).toMatchObject({ recheckAt: T0 + 30000 });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		w.advance(30000);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:deleted']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('a failed status that fails again holds its later steps until its next retry; once dropped, they go', async () => {
		const { w } = await sentThenFailing([status('wamid.1', 'delivered')]);
		w.advance(1000);
		await w.webhook([status('wamid.1', 'read')]);
		await w.run();
		// Each retry of the delivered fails (its read, the first of the run); the read waits for the next.
		let retryAt = T0 + 30000;
		for (const [index, backoff] of [60000, 120000, 240000].entries()) {
			w.advance(retryAt - w.clock.now());
			w.messages.failing = 1;
			const result = await w.run();
			expect(result.problems).toEqual([`webhook status events (1) not processed: the store is down (attempt ${index + 2} of 5)`]);
			retryAt += backoff;
			expect(result.recheckAt).toBe(retryAt);
			expect((await w.inbox.all()).map((e) => [e.heldStep ?? e.retriedMessages, e.nextAttemptAt]).sort()).toEqual([
				['2:wamid.1', retryAt],
				[3, retryAt],
			]);
			expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		}
		// Its fifth attempt fails too: the delivered is dropped, and the read goes without it.
		w.advance(retryAt - w.clock.now());
		w.messages.failing = 1;
		expect((await w.run()).problems).toEqual(['webhook status events (1) not processed: the store is down (attempt 5 of 5)']);
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('asks for one recheck run at a time: not while one asked for is ahead and no later', () => {
		const rechecks = new Rechecks();
		expect(rechecks.ask(T0 + 1000, T0)).toBe(true);
		expect(rechecks.ask(T0 + 1500, T0 + 100)).toBe(false);
		expect(rechecks.ask(T0 + 1000, T0 + 200)).toBe(false);
		// An earlier one is asked for too; once its time has come, the next is.
		expect(rechecks.ask(T0 + 800, T0 + 300)).toBe(true);
		expect(rechecks.ask(T0 + 1800, T0 + 800)).toBe(true);
		expect(rechecks.ask(T0 + 1900, T0 + 900)).toBe(false);
	});

	it("holds a contact's revoke behind its message's held step, and then forwards the step and the deletion", async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([status('wamid.1', 'delivered')]);
		await w.run();
		w.advance(100);
		const revoke = revokeOf('wamid.1');
		await w.webhook([revoke]);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued']);
		expect((await w.inbox.all()).map((e) => [e.heldStep, e.heldMessages])).toEqual(
			expect.arrayContaining([
				[2, ['wamid.1']],
				[5, ['wamid.1']],
			]),
		);
		w.advance(100);
		await w.webhook([status('wamid.1', 'sent')]);
		await w.run();
		w.advance(ORDER_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:deleted']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it("forwards a message's statuses of one webhook in the order of their steps, whatever their order in it", async () => {
		const w = world();
		await linked(w, 'wamid.1');
		await w.webhook([
			status('wamid.1', 'read'),
			status('wamid.1', 'failed', { errors: [{ code: 131026 }] }),
			status('wamid.1', 'sent'),
			status('wamid.1', 'delivered'),
		]);
		expect(await w.run()).toEqual({ problems: [], more: false });
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read', 'wamid.1:failed']);
		expect(await w.inbox.all()).toEqual([]);
	});

	it('never holds a failure, a status in order, or one its signature does not vouch for', async () => {
		const w = world();
		for (const n of [1, 2]) await linked(w, `wamid.${n}`);
		// Sent from another number: a status of it in pn-1's webhook is dropped at once, not held.
		await linked(w, 'wamid.3', { phoneNumberId: 'pn-2' });
		await w.webhook([
			status('wamid.1', 'failed', { errors: [{ code: 131026 }] }),
			status('wamid.2', 'sent'),
			status('wamid.2', 'delivered'),
			status('wamid.3', 'read'),
		]);
		expect(await w.run()).toEqual({ problems: [], more: false });
		expect(await w.forwarded()).toEqual([
			'wamid.1:queued',
			'wamid.1:failed',
			'wamid.2:queued',
			'wamid.2:sent',
			'wamid.2:delivered',
			'wamid.3:queued',
		]);
		expect(await w.inbox.all()).toEqual([]);
	});
});

describe('kept statuses of a send linked late', () => {
	/** The messages and steps a kept entry names (InboxEntry.keptMessages). */
	const keptOf = (entry: object) => (entry as { keptMessages?: string }).keptMessages;
	/** Runs every half second until `until`, as webhooks, rechecks and the recurring job would. */
	const runUntil = async (w: ReturnType<typeof world>, until: number) => {
		while (w.clock.now() < until) {
			w.advance(500);
			await w.run();
		}
	};

	it("forwards a message's kept sent, delivered and read in step order, once each, as soon as one is due after the link", async () => {
		const w = world();
		const pending = await w.sendLog.begin(send({ batch: newBatchKey() }));
		const of = (name: string) => status('wamid.1', name, { bizOpaqueCallbackData: pending.batch });
		// Each arrives while the send is not linked yet, and is looked at again on its own back-off.
		await w.webhook([of('sent')]);
		await w.run();
		await runUntil(w, T0 + 20_000);
		await w.webhook([of('delivered')]);
		await w.run();
		await runUntil(w, T0 + 32_000);
		await w.webhook([of('read')]);
		await w.run();
		await runUntil(w, T0 + 40_000);
		const kept = await w.inbox.all();
		expect(kept.map((e) => (e.events[0] as StatusEvent).status).sort()).toEqual(['delivered', 'read', 'sent']);
		// sent at T0 + 63 s, delivered at T0 + 51 s, read at T0 + 47 s: the read comes due first.
		expect(kept.map((e) => (e.nextAttemptAt as number) - T0).sort()).toEqual([47_000, 51_000, 63_000]);
		expect(await w.forwarded()).toEqual([]);

		// Meta's answer reaches the app late: the send is linked.
		await w.sendLog.settle({ ...pending, wamid: 'wamid.1' });
		await runUntil(w, T0 + 48_000);
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
		expect(await w.inbox.all()).toEqual([]);
		await runUntil(w, T0 + 2 * MINUTE);
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered', 'wamid.1:read']);
	});

	it("holds no revoke behind a status kept for its message's link, and keeps another message's kept status on its back-off", async () => {
		const w = world();
		await w.webhook([status('wamid.1', 'sent'), status('wamid.2', 'sent')]);
		await w.run();
		const revoke = revokeOf('wamid.1');
		w.advance(100);
		await w.webhook([revoke]);
		await w.run();
		// The revoke of a message not known is handled (and dropped) as before; only the kept entry stays.
		expect((await w.inbox.all()).map((e) => [keptOf(e), e.nextAttemptAt])).toEqual([['1:wamid.1 1:wamid.2', T0 + UNKNOWN_RECHECK_MS]]);
		// wamid.1 is linked and its delivered comes: the kept entry is handled at once; wamid.2's sent stays on its back-off.
		const pending = await w.sendLog.begin(send({ batch: newBatchKey() }));
		await w.sendLog.settle({ ...pending, wamid: 'wamid.1' });
		w.advance(100);
		await w.webhook([status('wamid.1', 'delivered')]);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent']);
		expect((await w.inbox.all()).map((e) => [keptOf(e), e.rechecks, e.nextAttemptAt, e.heldStep])).toEqual(
			expect.arrayContaining([
				['1:wamid.2', 0, T0 + UNKNOWN_RECHECK_MS, undefined],
				[undefined, undefined, T0 + 200 + ORDER_RECHECK_MS, 2],
			]),
		);
		// The delivered, held behind the kept sent in that run, follows it at its recheck.
		w.advance(ORDER_RECHECK_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.1:queued', 'wamid.1:sent', 'wamid.1:delivered']);
	});
});
