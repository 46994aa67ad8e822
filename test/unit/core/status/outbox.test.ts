import { decide, highestOf, Status } from '../../../../src/core/status/ordering';
import { backoffMs, deliverDue, MemoryOutboxStore, newOutboxItem, RecentIds, Sender, signBody } from '../../../../src/core/status/outbox';
import { outboxContract } from './outboxContract';
import { buildStatusPayload, SentMessageRecord, statusEventId, StatusPayload } from '../../../../src/core/status/payload';

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

type P = { id: string };
const item = (id: string, messageKey: string, seq: number, now = 0) => newOutboxItem<P>({ id, messageKey, seq, payload: { id }, now });
const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;

/** A receiver that records what it accepted and answers `answer(id)` (a status, or throws). */
function receiver(answer: (id: string) => number = () => 200) {
	const accepted: string[] = [];
	const attempts: string[] = [];
	const send: Sender = async (body) => {
		const id = idOf(body);
		attempts.push(id);
		const status = answer(id);
		if (status >= 200 && status < 300) accepted.push(id);
		return { status };
	};
	return { send, accepted, attempts };
}

outboxContract('MemoryOutboxStore', (pageSize) => new MemoryOutboxStore<P>(pageSize));

describe('deliverDue', () => {
	it('keeps order per message under failures: a later event waits for the failed head', async () => {
		const store = new MemoryOutboxStore<P>();
		for (const i of [item('a2', 'A', 2), item('b1', 'B', 1), item('a1', 'A', 1), item('b2', 'B', 2)]) await store.put(i);
		let aDown = true;
		const rx = receiver((id) => (id.startsWith('a') && aDown ? 503 : 200));
		expect(await deliverDue({ store, now: 0, send: rx.send })).toMatchObject({ delivered: 2, retried: 1, failed: 0 });
		expect(rx.attempts).toEqual(['a1', 'b1', 'b2']);
		expect((await store.list({ messageKey: 'A' })).map((i) => [i.id, i.state, i.attempts, i.nextAttemptAt, i.lastError])).toEqual([
			['a1', 'pending', 1, 30 * SEC, 'HTTP 503'],
			['a2', 'pending', 0, 0, undefined],
		]);
		aDown = false;
		expect(await deliverDue({ store, now: 29 * SEC, send: rx.send })).toMatchObject({ delivered: 0, retried: 0, failed: 0 });
		expect(await deliverDue({ store, now: 30 * SEC, send: rx.send })).toMatchObject({ delivered: 2, retried: 0, failed: 0 });
		expect(rx.accepted).toEqual(['b1', 'b2', 'a1', 'a2']);
		expect(await store.list({ state: ['pending', 'inflight', 'failed'] })).toEqual([]);
	});

	it('never has two events of one message in flight at once, even with concurrency', async () => {
		const store = new MemoryOutboxStore<P>();
		for (let m = 0; m < 5; m++) for (let s = 1; s <= 4; s++) await store.put(item(`m${m}-${s}`, `m${m}`, s));
		const active = new Set<string>();
		const order: string[] = [];
		const send: Sender = async (body) => {
			const id = idOf(body);
			const key = id.split('-')[0];
			expect(active.has(key)).toBe(false);
			active.add(key);
			await new Promise((r) => setImmediate(r));
			active.delete(key);
			order.push(id);
			return { status: 204 };
		};
		expect(await deliverDue({ store, now: 0, send, concurrency: 3 })).toMatchObject({ delivered: 20 });
		for (let m = 0; m < 5; m++)
			expect(order.filter((id) => id.startsWith(`m${m}-`))).toEqual([`m${m}-1`, `m${m}-2`, `m${m}-3`, `m${m}-4`]);
	});

	it('backs off 30 s, 1, 2, 4, 8, 16, 32 min, then hourly', async () => {
		expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 1000].map(backoffMs)).toEqual([
			30 * SEC,
			MIN,
			2 * MIN,
			4 * MIN,
			8 * MIN,
			16 * MIN,
			32 * MIN,
			HOUR,
			HOUR,
			HOUR,
			HOUR,
		]);
		const store = new MemoryOutboxStore<P>();
		await store.put(item('x', 'X', 1));
		const rx = receiver(() => 500);
		const attemptTimes: number[] = [];
		for (let now = 0; now <= 4 * HOUR; now += 30 * SEC) {
			const before = rx.attempts.length;
			await deliverDue({ store, now, send: rx.send });
			if (rx.attempts.length > before) attemptTimes.push(now);
		}
		const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]);
		expect(gaps.slice(0, 9)).toEqual([30 * SEC, MIN, 2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 32 * MIN, HOUR, HOUR]);
	});

	it('marks an event failed at the first run after 72 h, without posting it again; requeue restarts it', async () => {
		const store = new MemoryOutboxStore<P>();
		await store.put(item('x', 'X', 1));
		const rx = receiver(() => 503);
		let lastPost = -1;
		let failedAt = -1;
		for (let now = 0; now <= 73 * HOUR && failedAt < 0; now += 30 * SEC) {
			const before = rx.attempts.length;
			const summary = await deliverDue({ store, now, send: rx.send });
			if (rx.attempts.length > before) lastPost = now;
			if (summary.failed) failedAt = now;
		}
		expect(failedAt).toBeGreaterThanOrEqual(72 * HOUR);
		expect(failedAt).toBeLessThan(72 * HOUR + HOUR);
		expect(lastPost).toBeLessThan(72 * HOUR);
		const [failed] = await store.list({ state: 'failed' });
		expect(failed).toMatchObject({ state: 'failed', lastError: 'HTTP 503', attempts: 78 });
		expect(await store.requeue(['x', 'unknown'], failedAt)).toBe(1);
		const ok = receiver();
		expect(await deliverDue({ store, now: failedAt, send: ok.send })).toMatchObject({ delivered: 1, retried: 0, failed: 0 });
	});

	it('records a timeout and a network error code, never an error message', async () => {
		const store = new MemoryOutboxStore<P>();
		for (const i of [item('t', 'T', 1), item('c', 'C', 1), item('u', 'U', 1)]) await store.put(i);
		const send: Sender = (body) => {
			const id = idOf(body);
			if (id === 't') return new Promise(() => undefined);
			if (id === 'c')
				return Promise.reject(
					Object.assign(new Error('connect ECONNREFUSED https://user:pass@example.com/hook'), { code: 'ECONNREFUSED' }),
				);
			return Promise.reject(new Error('GET https://example.com/hook?token=s3cret failed'));
		};
		expect(await deliverDue({ store, now: 0, send, timeoutMs: 20 })).toMatchObject({ delivered: 0, retried: 3, failed: 0 });
		const errors = Object.fromEntries((await store.list()).map((i) => [i.id, i.lastError]));
		expect(errors).toEqual({ t: 'timeout', c: 'ECONNREFUSED', u: 'network_error' });
	});

	it('records a redirect Rocket.Chat could not follow as such, in each version’s words, without the URL', async () => {
		const words: Record<string, string> = {
			// server-fetch, Rocket.Chat 8.2 and later
			l: 'redirect-response-location-header-missing',
			m: 'error-too-many-redirects',
			v: 'Invalid URL',
			// node-fetch 2.7.0, Rocket.Chat up to 8.1
			x: 'maximum redirect reached at: https://example.com/hook?token=s3cret',
			i: 'uri requested responds with an invalid redirect URL: http://[bad',
		};
		const store = new MemoryOutboxStore<P>();
		for (const id of Object.keys(words)) await store.put(item(id, id.toUpperCase(), 1));
		const send: Sender = (body) => Promise.reject(new Error(words[idOf(body)]));
		expect(await deliverDue({ store, now: 0, send })).toMatchObject({ delivered: 0, retried: 5, failed: 0 });
		expect((await store.list()).map((i) => i.lastError)).toEqual(Array(5).fill('redirect_error'));
	});

	it('does not take a network error whose words merely mention a redirect for one', async () => {
		const store = new MemoryOutboxStore<P>();
		await store.put(item('n', 'N', 1));
		const send: Sender = () => Promise.reject(new Error('connect ECONNREFUSED https://example.com/error-too-many-redirects'));
		await deliverDue({ store, now: 0, send });
		expect((await store.list()).map((i) => i.lastError)).toEqual(['network_error']);
	});

	it('signs the exact body it sends when a signing secret is set', async () => {
		const store = new MemoryOutboxStore<{ message: string }>();
		await store.put(newOutboxItem({ id: 'e', messageKey: 'M', seq: 1, payload: { message: 'Olá 👋' }, now: 1700000000 * SEC }));
		const sent: Array<[string, Record<string, string>]> = [];
		await deliverDue({
			store,
			now: 1700000000 * SEC,
			signingSecret: 'status-secret',
			send: async (body, headers) => (sent.push([body, headers]), { status: 200 }),
		});
		expect(sent).toEqual([
			[
				'{"message":"Olá 👋"}',
				{
					'Content-Type': 'application/json',
					'X-Signature-256': 'sha256=ff69c0ffc4c2f8b35579474b0319aae1a62956261ab697f0649abdc031b084e2',
					'X-Signature-Timestamp': '1700000000',
				},
			],
		]);
		const unsigned: Array<Record<string, string>> = [];
		await store.put(newOutboxItem({ id: 'f', messageKey: 'N', seq: 1, payload: { message: 'x' }, now: 0 }));
		await deliverDue({ store, now: 0, send: async (_b, headers) => (unsigned.push(headers), { status: 200 }) });
		expect(unsigned).toEqual([{ 'Content-Type': 'application/json' }]);
	});
});

describe('signBody', () => {
	it('known answers (computed with openssl)', () => {
		expect(signBody('{"a":1}', 'k', 1700000000)).toEqual({
			'X-Signature-256': 'sha256=1b6ad1bc9bf48c52ce01939866d5877c6cc4e87ddad27e16673cb8c4964394a3',
			'X-Signature-Timestamp': '1700000000',
		});
		expect(signBody('{"a":1}', 'k', '1700000000')).toEqual(signBody('{"a":1}', 'k', 1700000000));
		expect(signBody('{"a":1}', 'k', 1700000001)['X-Signature-256']).not.toBe(signBody('{"a":1}', 'k', 1700000000)['X-Signature-256']);
	});
});

describe('a receiver down for 30 minutes while events keep arriving', () => {
	it('gets every event exactly once, in order per message', async () => {
		const store = new MemoryOutboxStore<StatusPayload>();
		const messages = Array.from({ length: 40 }, (_, m): SentMessageRecord => ({
			wamid: `wamid.M${m}`,
			phoneNumberId: '106540352242922',
			connectedWhatsAppNo: '15550783881',
			mobileNo: `1650555${String(m).padStart(4, '0')}`,
			message: `Message ${m}`,
			type: m % 2 ? 'Template-Message' : 'Regular-Message',
			sentAt: new Date(0).toISOString(),
		}));
		// Meta's statuses for each message over the first hour, with redeliveries and a late `delivered`.
		const arrivals: Array<{ at: number; m: number; status: Status }> = [];
		messages.forEach((_, m) => {
			const t = (m * 97 * SEC) % (40 * MIN);
			arrivals.push({ at: t, m, status: 'queued' }, { at: t + 5 * SEC, m, status: 'sent' }, { at: t + 5 * SEC, m, status: 'sent' });
			if (m % 5 === 0) arrivals.push({ at: t + 2 * MIN, m, status: 'failed' }, { at: t + 3 * MIN, m, status: 'delivered' });
			else
				arrivals.push(
					{ at: t + 2 * MIN, m, status: 'read' },
					{ at: t + 3 * MIN, m, status: 'delivered' },
					{ at: t + 20 * MIN, m, status: 'read' },
				);
		});
		arrivals.sort((a, b) => a.at - b.at);
		const state = messages.map(() => ({ seen: new Set<Status>(), highest: undefined as Status | undefined, seq: 0 }));
		const expected: string[][] = messages.map(() => []);
		const receivedBy = new Map<string, number>();
		const perMessage: string[][] = messages.map(() => []);
		let posts = 0;
		const send: Sender = async (body) => {
			posts++;
			const payload = JSON.parse(body) as StatusPayload;
			if (clock < 30 * MIN)
				return posts % 3 ? { status: 503 } : Promise.reject(Object.assign(new Error('down'), { code: 'ECONNRESET' }));
			receivedBy.set(payload.eventId as string, (receivedBy.get(payload.eventId as string) ?? 0) + 1);
			perMessage[Number((payload.msId as string).slice(7))].push(payload.MessageStatus);
			return { status: 200 };
		};
		let clock = 0;
		let next = 0;
		for (clock = 0; clock <= 4 * HOUR; clock += 30 * SEC) {
			for (; next < arrivals.length && arrivals[next].at <= clock; next++) {
				const { m, status } = arrivals[next];
				const s = state[m];
				if (decide(s.highest, s.seen, status) !== 'forward') continue;
				s.seen.add(status);
				s.highest = highestOf([...s.seen]);
				expected[m].push(status);
				const record = messages[m];
				const payload = buildStatusPayload(record, status, { timestamp: String(clock / SEC) });
				const id = statusEventId(record.wamid as string, status);
				await store.put(newOutboxItem({ id, messageKey: record.wamid as string, seq: ++s.seq, payload, now: clock }));
				await store.put(newOutboxItem({ id, messageKey: record.wamid as string, seq: s.seq, payload, now: clock })); // a duplicate, harmless
			}
			await deliverDue({ store, now: clock, send });
		}
		expect(next).toBe(arrivals.length);
		expect(await store.list({ state: ['pending', 'inflight', 'failed'] })).toEqual([]);
		const total = expected.reduce((n, e) => n + e.length, 0);
		expect(receivedBy.size).toBe(total);
		expect([...receivedBy.values()].every((n) => n === 1)).toBe(true);
		expect(perMessage).toEqual(expected);
		expect(expected[0]).toEqual(['queued', 'sent', 'failed']);
		expect(expected[1]).toEqual(['queued', 'sent', 'read']);
		// Delivered events left storage; the receiver's outage cost retries.
		expect(await store.list()).toEqual([]);
		expect(posts).toBeGreaterThan(total);
	});
});

describe('deliverDue: pages, budget, concurrency and repeats', () => {
	it('keeps the order of a message across pages, and a message blocked in an older page waits there', async () => {
		const store = new MemoryOutboxStore<P>(2);
		for (const i of [item('a1', 'A', 1), item('b1', 'B', 1), item('a2', 'A', 2), item('b2', 'B', 2), item('a3', 'A', 3)])
			await store.put(i);
		const rx = receiver((id) => (id === 'b1' ? 503 : 200));
		expect(await deliverDue({ store, now: 0, send: rx.send, window: 1 })).toMatchObject({ delivered: 3, retried: 1, more: false });
		expect(rx.attempts).toEqual(['a1', 'b1', 'a2', 'a3']);
		const ok = receiver();
		await deliverDue({ store, now: 30 * SEC, send: ok.send, window: 1 });
		expect(ok.accepted).toEqual(['b1', 'b2']);
		expect(await store.pages()).toEqual([]);
	});

	it('starts no POST after its budget, says there is more, and the next run goes on', async () => {
		const store = new MemoryOutboxStore<P>();
		for (let m = 0; m < 10; m++) await store.put(item(`m${m}`, `m${m}`, 1));
		let wall = 0;
		const rx = receiver(() => ((wall += 100), 200));
		expect(await deliverDue({ store, now: 0, send: rx.send, concurrency: 1, timer: () => wall, budgetMs: 350 })).toMatchObject({
			delivered: 4,
			more: true,
		});
		expect((await store.list()).map((i) => i.id)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
		expect(await deliverDue({ store, now: 0, send: rx.send, concurrency: 1, timer: () => wall, budgetMs: 10000 })).toMatchObject({
			delivered: 6,
			more: false,
		});
		expect(rx.accepted).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
	});

	it('has at most `concurrency` POSTs in flight, and reaches it', async () => {
		const store = new MemoryOutboxStore<P>();
		for (let m = 0; m < 40; m++) for (let s = 1; s <= 2; s++) await store.put(item(`m${m}-${s}`, `m${m}`, s));
		let inFlight = 0;
		let most = 0;
		const send: Sender = async () => {
			most = Math.max(most, ++inFlight);
			await new Promise((r) => setImmediate(r));
			inFlight--;
			return { status: 200 };
		};
		expect(await deliverDue({ store, now: 0, send, concurrency: 6 })).toMatchObject({ delivered: 80 });
		expect(most).toBe(6);
	});

	it('POSTs an id stored twice once, and drops an id its runtime delivered lately', async () => {
		const store = new MemoryOutboxStore<P>();
		const recent = new RecentIds(2);
		await store.put(item('x', 'X', 1));
		const rx = receiver();
		await deliverDue({ store, now: 0, send: rx.send, recent });
		await store.put(item('x', 'X', 1)); // stored again after it was delivered (a store that does not look)
		expect(await deliverDue({ store, now: 0, send: rx.send, recent })).toMatchObject({ delivered: 0, dropped: 1 });
		expect(rx.attempts).toEqual(['x']);
		expect(await store.list()).toEqual([]);
		recent.add('y');
		recent.add('z');
		expect([recent.has('x'), recent.has('y'), recent.has('z')]).toEqual([false, true, true]);
	});
});
