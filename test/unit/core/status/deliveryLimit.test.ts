/** How many status POSTs at once (src/core/status/deliveryLimit.ts), and the delivery run that follows it. */
import { DELIVERY_START, DeliveryLimit, REBASE_ROUNDS } from '../../../../src/core/status/deliveryLimit';
import { deliverDue, MemoryOutboxStore, newOutboxItem, Sender } from '../../../../src/core/status/outbox';

/**
 * One round: as many POSTs as allowed start (with that many in flight, or one when `inUse` is
 * false), then each answers after `ms`, or fails (`failed` of them). Answers the number after.
 */
const round = (limit: DeliveryLimit, ms: number, options: { failed?: number; inUse?: boolean } = {}) => {
	const n = Math.max(DELIVERY_START, limit.value);
	const marks = Array.from({ length: n }, (_, i) => limit.started(options.inUse === false ? 1 : Math.min(i + 1, limit.value)));
	marks.forEach((mark, i) => limit.observe(ms, i >= (options.failed ?? 0), mark));
	return limit.value;
};

const limitFor = (max: number, target = 'https://a.example/s') => {
	const limit = new DeliveryLimit();
	limit.configure(target, max);
	return limit;
};

describe('DeliveryLimit', () => {
	it('starts at 8 and doubles per round while the answers stay as fast, up to the maximum', () => {
		const limit = limitFor(256);
		expect(limit.value).toBe(8);
		expect([1, 2, 3, 4, 5, 6].map(() => round(limit, 50))).toEqual([16, 32, 64, 128, 256, 256]);
	});

	it('waits for a whole round: fewer answers than POSTs at once change nothing', () => {
		const limit = limitFor(128);
		const marks = Array.from({ length: 8 }, () => limit.started(8));
		for (const mark of marks.slice(0, 7)) limit.observe(50, true, mark);
		expect(limit.value).toBe(8);
		limit.observe(50, true, marks[7]);
		expect(limit.value).toBe(16);
	});

	it('grows only when the number is in use: fast answers of a trickle of POSTs leave it', () => {
		const limit = limitFor(256);
		for (let i = 0; i < 10; i++) round(limit, 5, { inUse: false });
		expect(limit.value).toBe(8);
		expect(round(limit, 5)).toBe(16);
	});

	it('does not count the answers of POSTs started before it changed', () => {
		const limit = limitFor(128);
		const before = Array.from({ length: 8 }, () => limit.started(8));
		round(limit, 20); // 16
		for (const mark of before) limit.observe(500, true, mark); // started at 8, answered after the change: not counted
		expect(limit.value).toBe(16);
		expect(round(limit, 20)).toBe(32);
	});

	it('takes a quarter off per slow round (over 1.5 times the baseline and 10 ms), down to 8', () => {
		const limit = limitFor(256);
		for (let i = 0; i < 4; i++) round(limit, 20);
		expect(limit.value).toBe(128);
		expect(round(limit, 41)).toBe(96); // over 1.5 × 20 + 10
		expect(round(limit, 41)).toBe(72);
		for (let i = 0; i < 10; i++) round(limit, 200);
		expect(limit.value).toBe(8);
	});

	it('holds between the two bounds, and grows within 1.2 times the baseline and 10 ms', () => {
		const limit = limitFor(128);
		round(limit, 20); // 16
		expect(round(limit, 35)).toBe(16); // over 1.2 × 20 + 10, within 1.5 × 20 + 10
		expect(round(limit, 40)).toBe(16);
		expect(round(limit, 34)).toBe(32);
		// A fast receiver's few milliseconds of jitter are within the 10 ms.
		const fast = limitFor(128, 'v');
		round(fast, 1);
		expect(round(fast, 9)).toBe(32);
	});

	it('shrinks for failed POSTs: a tenth of a round failed takes a quarter off, a round all failed goes back to 8', () => {
		const limit = limitFor(128);
		for (let i = 0; i < 4; i++) round(limit, 30);
		expect(limit.value).toBe(128);
		expect(round(limit, 30, { failed: 12 })).toBe(128); // under a tenth: a fast round, at the maximum it stays
		expect(round(limit, 30, { failed: 13 })).toBe(96);
		expect(round(limit, 30, { failed: 96 })).toBe(8);
		const fresh = limitFor(64, 'w');
		expect(round(fresh, 0, { failed: 8 })).toBe(8); // no answer time yet: nothing to compare with
		expect(round(fresh, 30)).toBe(10); // after a slow round, by a quarter
	});

	it('keeps its baseline under congestion, and takes a slower one only after REBASE_ROUNDS slow rounds at 8', () => {
		const limit = limitFor(128);
		for (let i = 0; i < 4; i++) round(limit, 5); // 128, baseline 5
		// 100 ms stays slow against 5 ms round after round: no drift of the baseline, down to 8.
		expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => round(limit, 100))).toEqual([96, 72, 54, 40, 30, 22, 17, 12, 9]);
		expect(round(limit, 100)).toBe(8);
		for (let i = 0; i < REBASE_ROUNDS - 1; i++) expect(round(limit, 100)).toBe(8);
		// The receiver is slower for good: 100 ms is its time now, and it grows again from there.
		expect(round(limit, 100)).toBe(8);
		expect(round(limit, 100)).toBe(10); // by a quarter: it was slow before
		expect(round(limit, 161)).toBe(8); // and over 1.5 × 100 + 10 is slow again
	});

	it('keeps to a lower maximum at once, and starts over for another receiver', () => {
		const limit = limitFor(128);
		for (let i = 0; i < 4; i++) round(limit, 10);
		expect(limit.value).toBe(128);
		limit.configure('https://a.example/s', 20);
		expect(limit.value).toBe(20);
		limit.configure('https://a.example/s', 3);
		expect(round(limit, 500, { failed: 8 })).toBe(3); // never above the maximum, even at the floor
		limit.configure('https://a.example/s', 128);
		expect(limit.value).toBe(3);
		expect(round(limit, 10)).toBe(4);
		limit.configure('https://other.example/s', 128);
		expect(limit.value).toBe(8);
		limit.configure('https://other.example/s', Number.NaN);
		expect(limit.value).toBe(8);
	});
});

describe('deliverDue with a limit', () => {
	const item = (id: string, messageKey: string, seq: number) => newOutboxItem({ id, messageKey, seq, payload: { id }, now: 0 });

	/** Timers on a clock the test moves: `drive` fires the earliest, moving the clock to its time, until `done`. */
	class VirtualTime {
		now = 0;
		private readonly timers: Array<{ at: number; fire: () => void }> = [];

		after(ms: number, fire: () => void): void {
			this.timers.push({ at: this.now + ms, fire });
		}

		async drive(done: () => boolean): Promise<void> {
			while (!done()) {
				await new Promise((r) => setImmediate(r));
				this.timers.sort((a, b) => a.at - b.at);
				const next = this.timers.shift();
				if (!next) continue;
				this.now = Math.max(this.now, next.at);
				next.fire();
			}
		}
	}

	/** A receiver whose answers take `latency(POSTs in flight)` ms of virtual time; the run reads that clock. */
	function slowReceiver(latency: (inFlight: number) => number) {
		const time = new VirtualTime();
		let inFlight = 0;
		const peaks: number[] = [];
		const order: string[] = [];
		const send: Sender = (body) => {
			order.push((JSON.parse(body) as { id: string }).id);
			peaks.push(++inFlight);
			return new Promise((resolve) =>
				time.after(latency(inFlight), () => {
					inFlight--;
					resolve({ status: 200 });
				}),
			);
		};
		return { send, drive: (done: () => boolean) => time.drive(done), peaks, order, timer: () => time.now };
	}

	it('adds POSTs at once while the receiver keeps its answer time, up to the maximum, keeping each message in order', async () => {
		const store = new MemoryOutboxStore<{ id: string }>();
		for (let m = 0; m < 300; m++) for (let s = 1; s <= 2; s++) await store.put(item(`m${m}-${s}`, `m${m}`, s));
		const limit = new DeliveryLimit();
		limit.configure('u', 64);
		const rx = slowReceiver(() => 50);
		let finished = false;
		const run = deliverDue({ store, now: 0, send: rx.send, limit, timer: rx.timer }).finally(() => (finished = true));
		await rx.drive(() => finished);
		expect(await run).toMatchObject({ delivered: 600 });
		expect(rx.peaks[0]).toBe(1);
		expect(Math.max(...rx.peaks.slice(0, 8))).toBe(8);
		expect(Math.max(...rx.peaks)).toBe(64);
		expect(limit.value).toBe(64);
		for (let m = 0; m < 300; m++) expect(rx.order.indexOf(`m${m}-1`)).toBeLessThan(rx.order.indexOf(`m${m}-2`));
	});

	it('has fewer POSTs at once when the answers slow down as more go at once', async () => {
		const store = new MemoryOutboxStore<{ id: string }>();
		for (let m = 0; m < 600; m++) await store.put(item(`m${m}`, `m${m}`, 1));
		const limit = new DeliveryLimit();
		limit.configure('u', 256);
		// A receiver that is itself the limit: each answer waits behind those in flight (2 ms each).
		const rx = slowReceiver((inFlight) => 2 * inFlight);
		let finished = false;
		const run = deliverDue({ store, now: 0, send: rx.send, limit, timer: rx.timer }).finally(() => (finished = true));
		await rx.drive(() => finished);
		expect(await run).toMatchObject({ delivered: 600 });
		expect(Math.max(...rx.peaks)).toBeLessThan(64);
		expect(limit.value).toBeLessThan(32);
	});

	it('settles near what a receiver of fixed capacity works on at once, not at the maximum', async () => {
		// A receiver that works on 32 POSTs at a time, 50 ms each; the others wait in line.
		const capacity = 32;
		const time = new VirtualTime();
		let working = 0;
		let inFlight = 0;
		const line: Array<() => void> = [];
		const peaks: number[] = [];
		const work = (answer: () => void) => {
			working++;
			time.after(50, () => {
				working--;
				inFlight--;
				answer();
				const nextInLine = line.shift();
				if (nextInLine) work(nextInLine);
			});
		};
		const send: Sender = () =>
			new Promise((resolve) => {
				peaks.push(++inFlight);
				const answer = () => resolve({ status: 200 });
				if (working < capacity) work(answer);
				else line.push(answer);
			});
		const store = new MemoryOutboxStore<{ id: string }>();
		for (let m = 0; m < 3000; m++) await store.put(item(`m${m}`, `m${m}`, 1));
		const limit = new DeliveryLimit();
		limit.configure('u', 256);
		let finished = false;
		const run = deliverDue({ store, now: 0, send, limit, timer: () => time.now, window: 5000 }).finally(() => (finished = true));
		await time.drive(() => finished);
		expect(await run).toMatchObject({ delivered: 3000 });
		expect(Math.max(...peaks)).toBeGreaterThanOrEqual(capacity); // it kept the receiver busy
		// After the first doublings (8 to 64), it moves around the receiver's level, far under the 256 allowed.
		expect(Math.max(...peaks.slice(peaks.length / 4))).toBeLessThanOrEqual(2.5 * capacity);
		expect(limit.value).toBeGreaterThanOrEqual(0.75 * capacity);
		expect(limit.value).toBeLessThanOrEqual(2.5 * capacity);
		// All the time the receiver took: 3,000 POSTs, 32 at a time, 50 ms each, give or take a few rounds.
		expect(time.now).toBeLessThan((3000 / capacity) * 50 * 1.1);
	});

	it('tells the limit of a failed POST as a failure: a receiver that answers 503 to all takes it back to 8', async () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 64);
		for (let i = 0; i < 3; i++) round(limit, 1);
		expect(limit.value).toBe(64);
		const store = new MemoryOutboxStore<{ id: string }>();
		for (let m = 0; m < 64; m++) await store.put(item(`m${m}`, `m${m}`, 1));
		const send: Sender = async () => ({ status: 503 });
		expect(await deliverDue({ store, now: 0, send, limit, timer: () => 0 })).toMatchObject({ retried: 64 });
		expect(limit.value).toBe(8);
	});
});
