/** How many status POSTs at once (src/core/status/deliveryLimit.ts), and the delivery run that follows it. */
import { BASELINE_ROUNDS, DELIVERY_START, DeliveryLimit } from '../../../../src/core/status/deliveryLimit';
import { deliverDue, MemoryOutboxStore, newOutboxItem, Sender } from '../../../../src/core/status/outbox';

/** Answers `value` POSTs (one round) each taking `ms`, or failing. */
const round = (limit: DeliveryLimit, ms: number, ok = true) => {
	const n = Math.max(DELIVERY_START, limit.value);
	for (let i = 0; i < n; i++) limit.observe(ms, ok);
	return limit.value;
};

describe('DeliveryLimit', () => {
	it('starts at 8 and doubles per round while the answers stay as fast, up to the maximum', () => {
		const limit = new DeliveryLimit();
		limit.configure('https://a.example/s', 128);
		expect(limit.value).toBe(8);
		expect([1, 2, 3, 4, 5].map(() => round(limit, 50))).toEqual([16, 32, 64, 128, 128]);
	});

	it('waits for a whole round: fewer answers than POSTs at once change nothing', () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 128);
		for (let i = 0; i < 7; i++) limit.observe(50, true);
		expect(limit.value).toBe(8);
		limit.observe(50, true);
		expect(limit.value).toBe(16);
	});

	it('takes a quarter off per slow round (over twice the fastest median and 10 ms), down to 8', () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 128);
		for (let i = 0; i < 4; i++) round(limit, 20);
		expect(limit.value).toBe(128);
		expect(round(limit, 51)).toBe(96);
		expect(round(limit, 51)).toBe(72);
		for (let i = 0; i < 10; i++) round(limit, 200);
		expect(limit.value).toBe(8);
	});

	it('holds between the two bounds, and grows within 1.5 times the baseline and 10 ms', () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 128);
		round(limit, 20); // 16
		expect(round(limit, 45)).toBe(16); // over 1.5 × 20 + 10, within 2 × 20 + 10
		expect(round(limit, 40)).toBe(32);
		// A fast receiver's few milliseconds of jitter are within the 10 ms.
		const fast = new DeliveryLimit();
		fast.configure('v', 128);
		round(fast, 1);
		expect(round(fast, 9)).toBe(32);
	});

	it('counts a failed POST as the slowest: a round of failures shrinks, even with no answer time yet', () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 64);
		expect(round(limit, 0, false)).toBe(8);
		for (let i = 0; i < 3; i++) round(limit, 30);
		expect(limit.value).toBe(64);
		expect(round(limit, 30, false)).toBe(48);
	});

	it('forgets an old baseline after BASELINE_ROUNDS rounds: a receiver that became slower for good grows again', () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 128);
		round(limit, 5);
		for (let i = 0; i < BASELINE_ROUNDS - 1; i++) round(limit, 100);
		expect(limit.value).toBe(8);
		// The 5 ms round is now BASELINE_ROUNDS rounds back: 100 ms is the receiver's time.
		expect(round(limit, 100)).toBe(16);
	});

	it('keeps to a lower maximum at once, and starts over for another receiver', () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 128);
		for (let i = 0; i < 4; i++) round(limit, 10);
		expect(limit.value).toBe(128);
		limit.configure('u', 20);
		expect(limit.value).toBe(20);
		limit.configure('u', 3);
		expect(round(limit, 500, false)).toBe(3); // never above the maximum, even at the floor
		limit.configure('u', 128);
		expect(limit.value).toBe(3);
		for (let i = 0; i < 4; i++) round(limit, 10);
		limit.configure('https://other.example/s', 128);
		expect(limit.value).toBe(8);
	});
});

describe('deliverDue with a limit', () => {
	const item = (id: string, messageKey: string, seq: number) => newOutboxItem({ id, messageKey, seq, payload: { id }, now: 0 });

	/** A receiver whose answers take `latency(POSTs in flight)` ms on a clock the test moves; the run reads that clock. */
	function slowReceiver(latency: (inFlight: number) => number) {
		let now = 0;
		const waiting: Array<{ at: number; answer: () => void }> = [];
		let inFlight = 0;
		const peaks: number[] = [];
		const order: string[] = [];
		const send: Sender = (body) => {
			order.push((JSON.parse(body) as { id: string }).id);
			peaks.push(++inFlight);
			return new Promise((resolve) =>
				waiting.push({
					at: now + latency(inFlight),
					answer: () => {
						inFlight--;
						resolve({ status: 200 });
					},
				}),
			);
		};
		/** Answers the earliest POST (moving the clock to its time) until none is left. */
		const drive = async (done: () => boolean) => {
			while (!done()) {
				await new Promise((r) => setImmediate(r));
				waiting.sort((a, b) => a.at - b.at);
				const next = waiting.shift();
				if (!next) continue;
				now = Math.max(now, next.at);
				next.answer();
			}
		};
		return { send, drive, peaks, order, timer: () => now };
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

	it('tells the limit of a failed POST as a failure: a receiver that answers 503 brings it down', async () => {
		const limit = new DeliveryLimit();
		limit.configure('u', 64);
		for (let i = 0; i < 3; i++) round(limit, 1);
		expect(limit.value).toBe(64);
		const store = new MemoryOutboxStore<{ id: string }>();
		for (let m = 0; m < 64; m++) await store.put(item(`m${m}`, `m${m}`, 1));
		const send: Sender = async () => ({ status: 503 });
		expect(await deliverDue({ store, now: 0, send, limit, timer: () => 0 })).toMatchObject({ retried: 64 });
		expect(limit.value).toBe(48);
	});
});
