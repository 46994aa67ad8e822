/**
 * Paced sending for one connected number: at most `ratePerSecond` sends started per second, at
 * most `concurrency` in flight, retries that never duplicate a message Meta accepted.
 *
 * - Meta error 130429 (throughput exceeded): every send pauses for `throttleBackoffMs` (doubling
 *   while it repeats), then that recipient is tried again.
 * - Meta error 131056 (pair rate limit): that recipient is tried again after 4^n seconds
 *   (n = 1, 2, ...) while the request's time budget allows; otherwise it is reported.
 * - Any other Meta error is final for that recipient (131047, 131026, 132xxx, 100, 190...).
 * - A network error or timeout is final too: Meta may have accepted the message, and sending it
 *   again could deliver it twice.
 * Sends start 2% under the configured rate: requests reach Meta with network jitter, and a burst
 * one message over the limit in any one-second window costs a 130429 and a pause.
 */

export const RATE_MARGIN = 0.98;

export type Outcome<R> = { ok: true; value: R; attempts: number } | { ok: false; error: unknown; attempts: number };

export interface PacerOptions<T, R> {
	items: T[];
	send: (item: T) => Promise<R>;
	/** The Meta error code of a failed send, if the failure was Meta's answer (not a network error). */
	metaCode: (error: unknown) => number | undefined;
	ratePerSecond: number;
	concurrency: number;
	/** The whole request must finish within this many ms after start (retries that would not fit are not made). */
	budgetMs: number;
	throttleBackoffMs?: number;
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

export interface PacerReport<R> {
	outcomes: Array<Outcome<R>>;
	throttled: number;
	elapsedMs: number;
}

export const THROUGHPUT_EXCEEDED = 130429;
export const PAIR_RATE_LIMIT = 131056;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function sendPaced<T, R>(options: PacerOptions<T, R>): Promise<PacerReport<R>> {
	const now = options.now ?? (() => Date.now());
	const sleep = options.sleep ?? realSleep;
	const start = now();
	const interval = 1000 / Math.max(options.ratePerSecond * RATE_MARGIN, 0.001);
	const outcomes: Array<Outcome<R>> = new Array(options.items.length);
	let nextSlot = start;
	let pausedUntil = 0;
	let throttleBackoff = options.throttleBackoffMs ?? 1000;
	let throttled = 0;
	let cursor = 0;

	/** Waits for this send's turn under the rate (slots are handed out in order) and any pause. */
	const takeSlot = async (): Promise<void> => {
		const slot = Math.max(nextSlot, pausedUntil, now());
		nextSlot = slot + interval;
		const wait = slot - now();
		if (wait > 0) await sleep(wait);
	};

	const run = async (index: number): Promise<void> => {
		const item = options.items[index];
		let attempts = 0;
		let pairRetries = 0;
		for (;;) {
			await takeSlot();
			attempts++;
			try {
				const value = await options.send(item);
				outcomes[index] = { ok: true, value, attempts };
				throttleBackoff = options.throttleBackoffMs ?? 1000;
				return;
			} catch (error) {
				const code = options.metaCode(error);
				const elapsed = now() - start;
				if (code === THROUGHPUT_EXCEEDED && elapsed + throttleBackoff < options.budgetMs) {
					throttled++;
					pausedUntil = Math.max(pausedUntil, now() + throttleBackoff);
					throttleBackoff = Math.min(throttleBackoff * 2, 30000);
					continue;
				}
				if (code === PAIR_RATE_LIMIT) {
					const delay = 4 ** (pairRetries + 1) * 1000;
					if (elapsed + delay < options.budgetMs) {
						pairRetries++;
						await sleep(delay);
						continue;
					}
				}
				outcomes[index] = { ok: false, error, attempts };
				return;
			}
		}
	};

	const worker = async (): Promise<void> => {
		while (cursor < options.items.length) await run(cursor++);
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, options.items.length)) }, worker));
	return { outcomes, throttled, elapsedMs: now() - start };
}
