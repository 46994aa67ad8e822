import {
	Booking,
	concurrencyFor,
	FIRST_BACKOFF_MS,
	MAX_BACKOFF_MS,
	NumberPacer,
	PacerDeadlineError,
	PacerRegistry,
	PAIR_RATE_LIMIT,
	RATE_MARGIN,
	sendPaced,
	THROUGHPUT_EXCEEDED,
} from '../../../../src/core/bulk/pacer';

class MetaError extends Error {
	constructor(readonly code: number) {
		super(`meta ${code}`);
	}
}

/**
 * A virtual clock driven like a discrete-event simulation: sleeps are timers, and time jumps to
 * the earliest timer once every runnable task has run. Pacing is tested exactly and instantly.
 */
function clock(lateMs = 0) {
	let t = 0;
	const timers: Array<{ wake: number; resolve: () => void }> = [];
	return {
		now: () => t,
		sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ wake: t + ms + lateMs, resolve })),
		async drive<T>(promise: Promise<T>): Promise<T> {
			let done = false;
			const settled = promise.then(
				(value) => ({ value }),
				(error: unknown) => ({ error }),
			);
			void settled.then(() => (done = true));
			while (!done) {
				await new Promise((r) => setImmediate(r));
				if (done || !timers.length) continue;
				timers.sort((x, y) => x.wake - y.wake);
				const next = timers.shift()!;
				t = Math.max(t, next.wake);
				next.resolve();
			}
			const outcome = await settled;
			if ('error' in outcome) throw outcome.error;
			return outcome.value;
		},
	};
}

const metaCode = (e: unknown) => (e instanceof MetaError ? e.code : undefined);

function pacerAt(rate: number, c = clock()) {
	return { c, pacer: new NumberPacer({ ratePerSecond: rate, metaCode, clock: { now: c.now, sleep: c.sleep } }) };
}

/** The most starts in any one-second window. */
const peakPerSecond = (starts: number[]) => Math.max(...starts.map((s) => starts.filter((x) => x >= s && x < s + 1000).length));

/** A send that takes `ms` on the virtual clock, answered by `answer`. */
const after =
	<R>(c: ReturnType<typeof clock>, ms: number, answer: () => R) =>
	async () => {
		await c.sleep(ms);
		return answer();
	};

describe('NumberPacer', () => {
	it('starts sends in order of request, one slot apart, never more than the rate (2% under) in any second', async () => {
		const { c, pacer } = pacerAt(5);
		const started: number[] = [];
		const order: number[] = [];
		const results = await c.drive(
			Promise.all(Array.from({ length: 10 }, (_, i) => pacer.run(async () => (started.push(c.now()), order.push(i), `wamid.${i}`)))),
		);
		expect(results).toEqual(Array.from({ length: 10 }, (_, i) => `wamid.${i}`));
		expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
		expect(started.map((t) => Math.round(t * RATE_MARGIN))).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
		expect(peakPerSecond(started)).toBe(5);
	});

	it('catches up late timers (a busy server) without ever starting more than ceil(rate × 0.98) in a second', async () => {
		const c = clock(8);
		const { pacer } = pacerAt(80, c);
		const starts: number[] = [];
		await c.drive(Promise.all(Array.from({ length: 400 }, () => pacer.run(async () => void starts.push(c.now())))));
		expect(peakPerSecond(starts)).toBeLessThanOrEqual(Math.ceil(80 * RATE_MARGIN));
		expect((399 / starts[399]) * 1000).toBeGreaterThan(0.95 * 80);
	});

	/**
	 * Sends that go through a host whose thread is busy now and then (Rocket.Chat's HTTP bridge):
	 * a request or an answer that would pass during a busy moment waits for its end. Meta counts each
	 * send when it arrives, over any one second (as tools/sim/messages.ts), and answers in `latency`.
	 */
	function busyHost(c: ReturnType<typeof clock>, busy: Array<[number, number]>, cap: number, latency: () => number = () => 200) {
		const heldUntil = (t: number) => busy.find(([from, to]) => t >= from && t < to)?.[1] ?? t;
		const arrivals: number[] = [];
		const refusedAt: number[] = [];
		const send = async () => {
			await c.sleep(heldUntil(c.now()) - c.now());
			const now = c.now();
			const inWindow = arrivals.filter((t) => now - t < 1000).length;
			const refused = inWindow >= cap;
			if (refused) refusedAt.push(now);
			else arrivals.push(now);
			await c.sleep(latency());
			await c.sleep(heldUntil(c.now()) - c.now());
			if (refused) throw new MetaError(THROUGHPUT_EXCEEDED);
		};
		return { send, arrivals, refusedAt };
	}

	it('counts a send held on its way to Meta (a busy host) when it can have arrived: no 130429 after the bunch', async () => {
		for (const rate of [80, 1000]) {
			const { c, pacer } = pacerAt(rate);
			// Busy moments of 60 and 150 ms: the sends started meanwhile reach Meta together at their end.
			const host = busyHost(
				c,
				[
					[2000, 2060],
					[4000, 4150],
					[4300, 4320],
				],
				rate,
			);
			const total = rate * 7;
			await c.drive(Promise.all(Array.from({ length: total }, () => pacer.run(host.send))));
			expect(host.refusedAt).toEqual([]);
			expect(host.arrivals).toHaveLength(total);
			expect(pacer.throttled).toBe(0);
			// What the busy moments cost: the rate Meta saw stays near the cap.
			const seconds = (host.arrivals[total - 1] - host.arrivals[0]) / 1000;
			expect(total / seconds).toBeGreaterThan(0.93 * rate);
		}
	});

	it('counts the sends again when a quicker answer comes: a cold start whose first answers were all held', async () => {
		for (const rate of [80, 1000]) {
			const { c, pacer } = pacerAt(rate);
			const host = busyHost(c, [[50, 400]], rate);
			await c.drive(Promise.all(Array.from({ length: rate * 3 }, () => pacer.run(host.send))));
			expect(host.refusedAt).toEqual([]);
			expect(pacer.throttled).toBe(0);
		}
	});

	it("loses little to Meta's own spread of answer times (100 to 400 ms), and a fast error moves nothing", async () => {
		for (const rate of [80, 1000]) {
			const { c, pacer } = pacerAt(rate);
			let seed = 7;
			const spread = () => 100 + ((seed = (seed * 48271) % 2147483647) % 301);
			const host = busyHost(c, [], rate, spread);
			let n = 0;
			const send = () => (++n % 50 ? host.send() : Promise.reject(new Error('ECONNRESET')));
			const total = rate * 6;
			await c.drive(Promise.all(Array.from({ length: total }, () => pacer.run(send).catch(() => undefined))));
			expect(host.refusedAt).toEqual([]);
			const seconds = (host.arrivals[host.arrivals.length - 1] - host.arrivals[0]) / 1000;
			expect(host.arrivals.length / seconds).toBeGreaterThan(0.94 * rate);
		}
	});

	it('keeps counting a send at its start when it was answered as quickly as the others', async () => {
		const { c, pacer } = pacerAt(80);
		const host = busyHost(c, [], 80);
		await c.drive(Promise.all(Array.from({ length: 400 }, () => pacer.run(host.send))));
		expect(host.refusedAt).toEqual([]);
		const seconds = (host.arrivals[399] - host.arrivals[0]) / 1000;
		expect(399 / seconds).toBeCloseTo(80 * RATE_MARGIN, 0);
	});

	it('keeps the pace at 1,000/s: the window guard does not hold evenly spaced sends', async () => {
		const { c, pacer } = pacerAt(1000);
		const host = busyHost(c, [], 1000);
		await c.drive(Promise.all(Array.from({ length: 3000 }, () => pacer.run(host.send))));
		expect(host.refusedAt).toEqual([]);
		const seconds = (host.arrivals[2999] - host.arrivals[0]) / 1000;
		// 980/s is the pace (the rate less 2%); a window that counted 980 over 1,010 ms would give 970/s.
		expect(2999 / seconds).toBeGreaterThan(978);
	});

	it('at 1,000/s with late timers, catches up within 989 starts per 1,010 ms, and jitter of up to 15 ms on the way provokes no 130429', async () => {
		const c = clock(3);
		const { pacer } = pacerAt(1000, c);
		const starts: number[] = [];
		const arrivals: number[] = [];
		const refusedAt: number[] = [];
		let seed = 11;
		const jitter = () => (seed = (seed * 48271) % 2147483647) % 16;
		const send = async () => {
			starts.push(c.now());
			await c.sleep(jitter());
			const now = c.now();
			if (arrivals.filter((t) => now - t < 1000).length >= 1000) {
				refusedAt.push(now);
				await c.sleep(200);
				throw new MetaError(THROUGHPUT_EXCEEDED);
			}
			arrivals.push(now);
			await c.sleep(200);
		};
		await c.drive(Promise.all(Array.from({ length: 4000 }, () => pacer.run(send))));
		expect(refusedAt).toEqual([]);
		expect(pacer.throttled).toBe(0);
		const inWindow = (t: number) => starts.filter((x) => x >= t && x < t + 1010).length;
		// The window binds (timers 3 ms late are caught up), and never lets more through than 989.
		expect(Math.max(...starts.map(inWindow))).toBe(Math.floor(1000 * RATE_MARGIN * 1.01));
		expect((3999 / (starts[3999] - starts[0])) * 1000).toBeGreaterThan(975);
	});

	it('starts the pace of a steady stream afresh after the number was idle; a request after idle gets the catch-up burst', async () => {
		for (const steady of [true, false]) {
			const { c, pacer } = pacerAt(1000);
			const starts: number[] = [];
			const send = async () => void starts.push(c.now());
			await c.drive(
				(async () => {
					await Promise.all(Array.from({ length: 10 }, () => pacer.run(send)));
					await c.sleep(500);
					await Promise.all(Array.from({ length: 300 }, () => pacer.run(send, { steady })));
				})(),
			);
			const resumed = starts.slice(10);
			const firstTenth = resumed.filter((t) => t < resumed[0] + 100).length;
			if (steady) {
				// One slot apart from the first: within its first 100 ms, what the pace gives (98), not 100 ms more.
				expect(firstTenth).toBeLessThanOrEqual(Math.ceil(100 * RATE_MARGIN) + 1);
				expect(resumed[299] - resumed[0]).toBeCloseTo((299 * 1000) / (1000 * RATE_MARGIN), 0);
			} else {
				// CATCH_UP_MS (100 ms) of the idle time starts at once, then the pace.
				expect(firstTenth).toBeGreaterThan(2 * 98 - 5);
			}
		}
	});

	it('lets a steady stream catch up when nothing waits but sends are still in flight (the stream goes on)', async () => {
		const { c, pacer } = pacerAt(1000);
		const starts: number[] = [];
		const slow = async () => {
			starts.push(c.now());
			await c.sleep(1000);
		};
		const quick = async () => void starts.push(c.now());
		await c.drive(
			(async () => {
				const inFlight = Promise.all(Array.from({ length: 10 }, () => pacer.run(slow, { steady: true })));
				await c.sleep(500);
				await Promise.all(Array.from({ length: 300 }, () => pacer.run(quick, { steady: true })));
				await inFlight;
			})(),
		);
		const resumed = starts.slice(10);
		// CATCH_UP_MS of the time nothing waited starts at once: the stream's sends were late, not the number idle.
		expect(resumed.filter((t) => t < resumed[0] + 100).length).toBeGreaterThan(2 * 98 - 5);
	});

	it('paces two concurrent requests from one number together: their sum stays under the rate', async () => {
		const { c, pacer } = pacerAt(10);
		const started: Array<[string, number]> = [];
		const request = (name: string) =>
			Promise.all(Array.from({ length: 20 }, () => pacer.run(after(c, 200, () => started.push([name, c.now()])))));
		await c.drive(Promise.all([request('a'), request('b')]));
		const starts = started.map(([, t]) => t - 200);
		expect(starts).toHaveLength(40);
		expect(peakPerSecond(starts)).toBeLessThanOrEqual(10);
		expect(Math.max(...starts)).toBeCloseTo((39 * 1000) / (10 * RATE_MARGIN), 0);
	});

	it('keeps at most concurrencyFor(rate) sends in flight', async () => {
		const { c, pacer } = pacerAt(12);
		let inFlight = 0;
		let peak = 0;
		const send = async () => {
			peak = Math.max(peak, ++inFlight);
			await c.sleep(5000);
			inFlight--;
		};
		await c.drive(Promise.all(Array.from({ length: 20 }, () => pacer.run(send))));
		expect(peak).toBe(concurrencyFor(12));
		expect(concurrencyFor(12)).toBe(4);
	});

	it('pauses every send of the number on 130429, in flight ones included, and sends each again once after the pause', async () => {
		const { c, pacer } = pacerAt(100);
		const starts: Array<[number, number]> = [];
		const accepted: number[] = [];
		let refusals = 2; // the first two sends come back with 130429, both sent before the pause
		const send = (i: number) =>
			after(c, 50, () => {
				if (i < 2 && refusals-- > 0) throw new MetaError(THROUGHPUT_EXCEEDED);
				accepted.push(i);
				return i;
			});
		const runs = Array.from({ length: 12 }, (_, i) => pacer.run(() => (starts.push([i, c.now()]), send(i)())));
		await c.drive(Promise.all(runs));
		// The first 130429 comes back at 50 ms: nothing starts until 50 ms + the first pause (the in-flight second one does not double it).
		const resume = 50 + FIRST_BACKOFF_MS;
		expect(starts.filter(([, t]) => t > 50 && t < resume)).toEqual([]);
		const afterPause = starts.filter(([, t]) => t >= resume);
		expect(afterPause[0]).toEqual([0, resume]);
		expect(afterPause[1][0]).toBe(1);
		expect(accepted.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
		expect(pacer.throttled).toBe(2);
	});

	it('doubles the pause while 130429 repeats, up to its cap, and fails the send once the pause passes its deadline', async () => {
		const { c, pacer } = pacerAt(100);
		const at: number[] = [];
		const refused = new MetaError(THROUGHPUT_EXCEEDED);
		const run = pacer.run(
			async () => {
				at.push(c.now());
				throw refused;
			},
			{ deadline: 20000 },
		);
		await expect(c.drive(run)).rejects.toBe(refused);
		// Pauses of 250, 500, 1000... ms: the next after 15,750 would end past the deadline.
		expect(FIRST_BACKOFF_MS).toBe(250);
		expect(at).toEqual([0, 250, 750, 1750, 3750, 7750, 15750]);
		expect(MAX_BACKOFF_MS).toBe(30000);
	});

	it('fails sends whose deadline passes during a pause, without sending them', async () => {
		const { c, pacer } = pacerAt(100);
		const sent: number[] = [];
		const refused = new MetaError(THROUGHPUT_EXCEEDED);
		let first = true;
		const runs = [0, 1, 2].map((i) =>
			pacer
				.run(
					async () => {
						sent.push(i);
						if (first) {
							first = false;
							throw refused;
						}
						return i;
					},
					{ deadline: i === 2 ? 100 : 60000 },
				)
				.then(
					(v) => ({ ok: v }),
					(e) => ({ error: e }),
				),
		);
		const outcomes = await c.drive(Promise.all(runs));
		expect(outcomes).toEqual([{ ok: 0 }, { ok: 1 }, { error: refused }]);
		expect(sent).toEqual([0, 0, 1]);
	});

	it('fails a send with PacerDeadlineError when it cannot start before its deadline without a pause', async () => {
		const { c, pacer } = pacerAt(1);
		const runs = [0, 1].map((i) => pacer.run(async () => i, { deadline: 100 }).catch((e) => e));
		const [first, second] = await c.drive(Promise.all(runs));
		expect(first).toBe(0);
		expect(second).toBeInstanceOf(PacerDeadlineError);
	});

	it.each([131047, 131026, 131056, 100, 190])('never retries Meta error %i itself', async (code) => {
		const { c, pacer } = pacerAt(10);
		let calls = 0;
		await expect(c.drive(pacer.run(async () => Promise.reject(new MetaError(code + 0 * ++calls))))).rejects.toMatchObject({ code });
		expect(calls).toBe(1);
	});

	it('never retries a network error (Meta may have accepted the message)', async () => {
		const { c, pacer } = pacerAt(10);
		let calls = 0;
		await expect(c.drive(pacer.run(async () => Promise.reject(new Error(`ETIMEDOUT ${++calls}`))))).rejects.toThrow('ETIMEDOUT 1');
		expect(calls).toBe(1);
	});

	it('admits a request only if its last send would start within the window, counting the backlog and earlier admissions', async () => {
		const { c, pacer } = pacerAt(5);
		const interval = 1000 / (5 * RATE_MARGIN);
		expect(pacer.admit(250, 15000)).toBeUndefined(); // 250 at 5/s: 50 s
		expect(pacer.estimateMs(70)).toBeCloseTo(69 * interval);
		// A dry run's question: the same answer, nothing booked.
		expect(pacer.admit(70, 15000, { book: false })).toBeInstanceOf(Booking);
		expect(pacer.admit(250, 15000, { book: false })).toBeUndefined();
		expect(pacer.estimateMs(70)).toBeCloseTo(69 * interval);
		expect(pacer.admit(70, 15000)?.count).toBe(70);
		expect(pacer.admit(10, 15000)).toBeUndefined(); // booked by the first
		expect(pacer.admit(3, 15000)).toBeInstanceOf(Booking);
		const other = pacerAt(5, c).pacer;
		const waiting = Array.from({ length: 20 }, () => other.run(async () => undefined));
		expect(other.estimateMs(1)).toBeCloseTo(20 * interval);
		expect(other.admit(60, 15000)).toBeUndefined();
		await c.drive(Promise.all(waiting));
	});

	it("moves a booked send into the queue's count when it is queued, and frees what a request stopped early did not queue", async () => {
		const { c, pacer } = pacerAt(5);
		const interval = 1000 / (5 * RATE_MARGIN);
		const first = pacer.admit(40, 15000) as Booking;
		expect(pacer.estimateMs(1)).toBeCloseTo(40 * interval);
		// Ten of its sends queued: counted once (in the queue, no longer as booked).
		const sends = Array.from({ length: 10 }, () => pacer.run(async () => undefined, { booking: first }));
		expect(first.count).toBe(30);
		expect(pacer.estimateMs(1)).toBeCloseTo(40 * interval);
		// The request stops (a refusal every recipient would get): its 30 sends never queued free their slots.
		first.release();
		expect(pacer.estimateMs(1)).toBeCloseTo(10 * interval);
		expect(pacer.admit(60, 15000)?.count).toBe(60);
		await c.drive(Promise.all(sends));
		// A booking whose every send was queued holds nothing more; a second release changes nothing.
		const whole = pacer.admit(2, 15000) as Booking;
		const two = [pacer.run(async () => undefined, { booking: whole }), pacer.run(async () => undefined, { booking: whole })];
		expect(whole.count).toBe(0);
		whole.release();
		await c.drive(Promise.all(two));
	});

	it('drops a booking whose sends were never queued nor released once its admission window is over (a request stuck before its sends)', async () => {
		const { c, pacer } = pacerAt(5);
		const interval = 1000 / (5 * RATE_MARGIN);
		const stuck = pacer.admit(60, 15000) as Booking;
		expect(pacer.admit(60, 15000)).toBeUndefined();
		await c.drive(c.sleep(15001));
		expect(pacer.estimateMs(60)).toBeCloseTo(59 * interval);
		expect(pacer.admit(60, 15000)?.count).toBe(60);
		expect(stuck.count).toBe(60);
	});
});

describe('PacerRegistry', () => {
	it('gives one pacer per number, following the rate setting', () => {
		const registry = new PacerRegistry((rate) => new NumberPacer({ ratePerSecond: rate, metaCode }));
		const a = registry.pacerFor('111', 80);
		expect(registry.pacerFor('111', 80)).toBe(a);
		expect(registry.pacerFor('222', 80)).not.toBe(a);
		registry.pacerFor('111', 1000);
		expect(a.ratePerSecond).toBe(1000);
	});
});

describe('sendPaced (one request)', () => {
	it('hands every item to the pacer at once and keeps results in input order', async () => {
		const c = clock();
		const report = await c.drive(
			sendPaced({
				items: [3, 1, 2],
				send: async (i) => (await c.sleep(i * 100), `ok${i}`),
				metaCode,
				budgetMs: 60000,
				now: c.now,
				sleep: c.sleep,
			}),
		);
		expect(report.outcomes.map((o) => o.ok && o.value)).toEqual(['ok3', 'ok1', 'ok2']);
		expect(report.elapsedMs).toBe(300);
	});

	it('retries 131056 after 4^n seconds within the budget, then reports it', async () => {
		const c = clock();
		const at: number[] = [];
		const report = await c.drive(
			sendPaced({
				items: ['5511'],
				send: async () => {
					at.push(c.now());
					throw new MetaError(PAIR_RATE_LIMIT);
				},
				metaCode,
				budgetMs: 30000,
				now: c.now,
				sleep: c.sleep,
			}),
		);
		expect(at).toEqual([0, 4000, 20000]);
		expect(report.outcomes[0]).toMatchObject({ ok: false, attempts: 3 });
	});

	it("gives every attempt the request's deadline: a 131056 retry starts no later than the first attempt could", async () => {
		const c = clock();
		const deadlines: number[] = [];
		await c.drive(
			sendPaced({
				items: ['5511'],
				send: async (_item, deadline) => {
					deadlines.push(deadline);
					throw new MetaError(PAIR_RATE_LIMIT);
				},
				metaCode,
				budgetMs: 18000,
				now: c.now,
				sleep: c.sleep,
			}),
		);
		expect(deadlines).toEqual([18000, 18000]);
	});

	it.each([130429, 131047, 131026, 100])('reports Meta error %i as it came', async (code) => {
		let calls = 0;
		const report = await sendPaced({
			items: [1],
			send: async () => Promise.reject(new MetaError(code + 0 * ++calls)),
			metaCode,
			budgetMs: 60000,
		});
		expect(calls).toBe(1);
		expect(report.outcomes[0]).toMatchObject({ ok: false, attempts: 1, error: { code } });
	});
});
