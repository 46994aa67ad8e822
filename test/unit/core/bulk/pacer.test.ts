import { PAIR_RATE_LIMIT, RATE_MARGIN, sendPaced, THROUGHPUT_EXCEEDED } from '../../../../src/core/bulk/pacer';

class MetaError extends Error {
	constructor(readonly code: number) {
		super(`meta ${code}`);
	}
}

/**
 * A virtual clock driven like a discrete-event simulation: sleeps are timers, and time jumps to
 * the earliest timer once every runnable task has run. Pacing is tested exactly and instantly.
 */
function clock() {
	let t = 0;
	const timers: Array<{ wake: number; resolve: () => void }> = [];
	return {
		now: () => t,
		sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ wake: t + ms, resolve })),
		async drive<T>(promise: Promise<T>): Promise<T> {
			let done = false;
			const result = promise.finally(() => (done = true));
			while (!done) {
				await new Promise((r) => setImmediate(r));
				if (done || !timers.length) continue;
				timers.sort((x, y) => x.wake - y.wake);
				const next = timers.shift()!;
				t = Math.max(t, next.wake);
				next.resolve();
			}
			return result;
		},
	};
}

const metaCode = (e: unknown) => (e instanceof MetaError ? e.code : undefined);

describe('sendPaced', () => {
	it('starts no more than ratePerSecond sends per second and keeps results in input order', async () => {
		const c = clock();
		const started: number[] = [];
		const report = await c.drive(
			sendPaced({
				items: Array.from({ length: 10 }, (_, i) => i),
				send: async (i) => (started.push(c.now()), `wamid.${i}`),
				metaCode,
				ratePerSecond: 5,
				concurrency: 3,
				budgetMs: 60000,
				now: c.now,
				sleep: c.sleep,
			}),
		);
		expect(report.outcomes.map((o) => (o.ok ? o.value : 'x'))).toEqual(Array.from({ length: 10 }, (_, i) => `wamid.${i}`));
		expect(started.map((t) => Math.round(t * RATE_MARGIN))).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
		for (let i = 5; i < started.length; i++) expect(started[i] - started[i - 5]).toBeGreaterThan(1000);
		expect(report.throttled).toBe(0);
	});

	it('never runs more than `concurrency` sends at once', async () => {
		let inFlight = 0;
		let peak = 0;
		await sendPaced({
			items: Array.from({ length: 20 }, (_, i) => i),
			send: async () => {
				peak = Math.max(peak, ++inFlight);
				await new Promise((r) => setImmediate(r));
				inFlight--;
				return 'ok';
			},
			metaCode,
			ratePerSecond: 1e6,
			concurrency: 4,
			budgetMs: 60000,
		});
		expect(peak).toBe(4);
	});

	it('pauses and retries on 130429, and sends each accepted message once', async () => {
		const c = clock();
		const calls: number[] = [];
		let failures = 2;
		const report = await c.drive(
			sendPaced({
				items: [1, 2, 3],
				send: async (i) => {
					calls.push(i);
					if (i === 2 && failures-- > 0) throw new MetaError(THROUGHPUT_EXCEEDED);
					return `ok${i}`;
				},
				metaCode,
				ratePerSecond: 100,
				concurrency: 1,
				budgetMs: 60000,
				throttleBackoffMs: 1000,
				now: c.now,
				sleep: c.sleep,
			}),
		);
		expect(calls).toEqual([1, 2, 2, 2, 3]);
		expect(report.throttled).toBe(2);
		expect(report.outcomes.map((o) => o.ok)).toEqual([true, true, true]);
		expect(report.outcomes[1].attempts).toBe(3);
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
				ratePerSecond: 100,
				concurrency: 1,
				budgetMs: 30000,
				now: c.now,
				sleep: c.sleep,
			}),
		);
		expect(at).toEqual([0, 4000, 20000]);
		expect(report.outcomes[0]).toMatchObject({ ok: false, attempts: 3 });
	});

	it.each([131047, 131026, 132000, 132001, 100, 190])('never retries Meta error %i', async (code) => {
		let calls = 0;
		const report = await sendPaced({
			items: [1],
			send: async () => Promise.reject(new MetaError(code + 0 * ++calls)),
			metaCode,
			ratePerSecond: 10,
			concurrency: 1,
			budgetMs: 60000,
		});
		expect(calls).toBe(1);
		expect(report.outcomes[0]).toMatchObject({ ok: false, attempts: 1, error: { code } });
	});

	it('never retries a network error (Meta may have accepted the message)', async () => {
		let calls = 0;
		const report = await sendPaced({
			items: [1],
			send: async () => Promise.reject(new Error(`ETIMEDOUT ${++calls}`)),
			metaCode,
			ratePerSecond: 10,
			concurrency: 1,
			budgetMs: 60000,
		});
		expect(calls).toBe(1);
		expect(report.outcomes[0].ok).toBe(false);
	});
});
