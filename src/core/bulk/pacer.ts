/**
 * Pacing the sends of one connected number, shared by everything that sends from it.
 *
 * Meta caps each business number's throughput (80 messages per second by default, up to 1,000 once
 * raised) and "will return error code 130429 until you are within your allowed level again"
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput; the codes:
 * https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
 * The cap is the number's, not a request's: two requests, an agent's reply and an automatic
 * message from one number all count against it. So the pace lives in one `NumberPacer` per number
 * (`PacerRegistry`), and every send from that number waits for its turn there.
 *
 * - Sends start in order of request, one interval apart at `ratePerSecond` × 0.98 (RATE_MARGIN:
 *   requests reach Meta with network jitter, and one message over the limit in any one-second
 *   window costs a 130429 and a pause), and at most `concurrency` in flight. No window of one
 *   second and WINDOW_GUARD_MS holds more starts than that pace gives in it (`perWindow`: 989 at
 *   1,000/s, 79 at 80/s), so a send may reach Meta up to about 20 ms later than its neighbours
 *   (at any rate) before Meta's window sees one too many.
 * - A send may reach Meta later than it started: through Rocket.Chat's HTTP bridge it waits for the
 *   server's one thread, and a busy moment there holds the sends started meanwhile and lets them go
 *   together. Meta then counts them in the same second as the sends that follow, even though they
 *   started one slot apart. So once a send is answered, the one-second window counts it when it
 *   reached Meta by its answer: the answer's time less the number's typical round trip and less
 *   the usual spread of round trips (at least ARRIVAL_SLACK_MS), if that is later than its start.
 *   After such a moment the next sends wait until the bunch has left the window, instead of
 *   provoking 130429. The typical round trip and spread are medians over the last seconds
 *   (RoundTrips): a busy moment holds a few tenths of a second of sends, which do not move them,
 *   and Meta's own spread of answer times moves few sends, by little (about 1% of the rate with
 *   answers spread evenly from 100 to 400 ms).
 * - Meta error 130429 (throughput exceeded) pauses EVERY send of the number: those waiting for
 *   their turn wait for the pause too, and a send already in flight that comes back with 130429
 *   is queued again (first in line) and sent after the pause. The pause doubles while 130429
 *   repeats (a 130429 of a send that started after the last pause), up to MAX_BACKOFF_MS, and
 *   falls back to its first length once a send that started after the pause is accepted.
 * - A send whose deadline passes while it waits is not started: it fails with the 130429 that
 *   held it back (or PacerDeadlineError). Nothing is sent late, after its caller gave up.
 * - Any other failure (another Meta error, a network error, a timeout) goes back to the caller as
 *   it is: a network error or timeout is final, since Meta may have accepted the message.
 *   131056 (pair rate limit) is the caller's: it is about one recipient (`sendPaced` below).
 */

export const RATE_MARGIN = 0.98;
export const THROUGHPUT_EXCEEDED = 130429;
export const PAIR_RATE_LIMIT = 131056;
/**
 * The first pause after a 130429. Short: Meta answers 130429 only until the number is back within
 * its level (see above), and a long first pause costs a whole second of the number's throughput for
 * one message that network jitter pushed over the cap. It doubles while 130429 repeats.
 */
export const FIRST_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 30000;
/**
 * How far late timers may be caught up: on a busy server a timer fires late, and without catching
 * up the number would lose that time for good. Starts are spaced one interval apart behind the
 * clock by at most this much, and no window of one second (and WINDOW_GUARD_MS) ever holds more
 * starts than `perWindow` (the window check in `pump`). A send after the number was idle catches up
 * the same way, unless it is of a steady stream (PaceOptions.steady), which starts afresh then.
 */
const CATCH_UP_MS = 100;
/**
 * The window check counts over one second and this much more. Above about 100/s `perWindow` is
 * what the pace fills in that time, so the room for network jitter is the rate margin's (see the top).
 */
const WINDOW_GUARD_MS = 10;
/**
 * A send answered this much later than the typical round trip (or the usual spread, if larger) is
 * still counted at its start: the window's guard and the room under the cap (see the top) cover
 * that jitter. Beyond it, it is counted at its answer less the typical round trip less that much
 * (`answered`).
 */
export const ARRIVAL_SLACK_MS = 10;
/** The typical round trip is taken over the accepted sends answered in this many last milliseconds, */
const ROUND_TRIPS_OVER_MS = 3000;
/** as the median of the medians of slices of this many milliseconds. */
const ROUND_TRIP_SLICE_MS = 100;

/** No send started in time: the caller's deadline passed while the number was paused or busy. */
export class PacerDeadlineError extends Error {
	constructor() {
		super('the send waited past its deadline for its turn on the number');
		this.name = 'PacerDeadlineError';
	}
}

export interface PacerClock {
	now: () => number;
	sleep: (ms: number) => Promise<void>;
}

export const realClock: PacerClock = {
	now: () => Date.now(),
	sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

export interface NumberPacerOptions {
	ratePerSecond: number;
	/** The Meta error code of a failed send, if the failure was Meta's answer (not a network error). */
	metaCode: (error: unknown) => number | undefined;
	clock?: PacerClock;
	throttleBackoffMs?: number;
}

/** How one send waits for its turn. */
export interface PaceOptions {
	/** Epoch ms after which the send is not started: it fails (with the 130429 that held it, or PacerDeadlineError). */
	deadline?: number;
	/** Asked when the send's turn comes: false and it is not started (PacerDeadlineError). */
	shouldStart?: () => boolean;
	/** The request's admission (`NumberPacer.admit`): this send, queued, is no longer counted as booked. */
	booking?: Booking;
	/**
	 * Part of a long stream of sends (a campaign run). If the number was idle (nothing waiting,
	 * nothing in flight), the pace starts afresh at this send, with no catch-up burst: in a long
	 * stream a burst only borrows from the second after it, which the window check then holds back
	 * (and sends held on their way hold it longer). A request of a few hundred sends, on the other
	 * hand, is answered sooner with the burst. Within a stream (sends in flight) a late send still
	 * catches up.
	 */
	steady?: boolean;
}

/**
 * The sends an admitted request has not queued yet (`NumberPacer.admit`): the slots they will take
 * count in later admissions until they are queued (then the queue counts them) or the request ends
 * (`release`: a request stopped early, its sends not started, frees what it booked at once).
 */
export class Booking {
	constructor(
		private remaining: number,
		private readonly held?: Set<Booking>,
		/** Clock ms after which it holds nothing: its sends could not start any more (a request stuck before them). */
		readonly until = Infinity,
	) {}

	/** Sends booked and not queued. */
	get count(): number {
		return this.remaining;
	}

	/** One of its sends reached the number's queue. */
	queued(): void {
		if (this.remaining > 0) this.remaining--;
		if (this.remaining === 0) this.release();
	}

	release(): void {
		this.held?.delete(this);
	}
}

interface Ticket {
	deadline?: number;
	shouldStart?: () => boolean;
	/** Told when the send starts (its stamp in the window). */
	go: (startedAt: number) => void;
	fail: (error: unknown) => void;
}

/** Inserts `value` into the ascending `list` (from the end: new values are mostly the largest). */
function insertSorted(list: number[], value: number): void {
	let i = list.length;
	while (i > 0 && list[i - 1] > value) i--;
	list.splice(i, 0, value);
}

/** Removes one `value` from the ascending `list`, if it holds one. */
function removeSorted(list: number[], value: number): void {
	let low = 0;
	let high = list.length;
	while (low < high) {
		const mid = (low + high) >> 1;
		if (list[mid] < value) low = mid + 1;
		else high = mid;
	}
	if (list[low] === value) list.splice(low, 1);
}

/** The value at `q` (0 to 1) of `values`. */
const quantile = (values: number[], q: number) => [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) * q + 0.5)];

/** What the answers of a slice of time tell: their median round trip, and its spread (p75 - p25). */
interface Slice {
	at: number;
	median: number;
	spread: number;
}
const sliceOf = (at: number, roundTrips: number[]): Slice => ({
	at,
	median: quantile(roundTrips, 0.5),
	spread: quantile(roundTrips, 0.75) - quantile(roundTrips, 0.25),
});

/**
 * The number's typical round trip and its spread: the medians of the last ROUND_TRIPS_OVER_MS's
 * slices' (of ROUND_TRIP_SLICE_MS). A slice's round trips are kept only until it ends, so the cost
 * is a sort of one slice's round trips and of the slices' figures, ten times a second.
 */
class RoundTrips {
	private slice = -Infinity;
	private current: number[] = [];
	private readonly slices: Slice[] = [];
	private typical: { roundTrip: number; spread: number } = { roundTrip: Infinity, spread: 0 };

	/** Adds the round trip of a send accepted at `at`; the typical round trip and spread. */
	add(at: number, roundTrip: number): { roundTrip: number; spread: number } {
		const slice = Math.floor(at / ROUND_TRIP_SLICE_MS);
		if (slice !== this.slice) {
			if (this.current.length) this.slices.push(sliceOf(this.slice, this.current));
			while (this.slices.length && this.slices[0].at <= slice - ROUND_TRIPS_OVER_MS / ROUND_TRIP_SLICE_MS) this.slices.shift();
			this.slice = slice;
			this.current = [];
			if (this.slices.length)
				this.typical = {
					roundTrip: quantile(
						this.slices.map((s) => s.median),
						0.5,
					),
					spread: quantile(
						this.slices.map((s) => s.spread),
						0.5,
					),
				};
		}
		this.current.push(roundTrip);
		if (this.slices.length) return this.typical;
		// The first slice: nothing else known yet.
		const first = sliceOf(slice, this.current);
		return { roundTrip: first.median, spread: first.spread };
	}
}

/** In-flight sends that keep the rate with Graph latencies up to 250 ms. */
export const concurrencyFor = (ratePerSecond: number) => Math.max(4, Math.min(300, Math.ceil(ratePerSecond / 3)));

export class NumberPacer {
	private rate: number;
	private readonly clock: PacerClock;
	private readonly firstBackoff: number;
	private readonly queue: Ticket[] = [];
	/** Sends to try again after a 130429: before any new one. */
	private readonly retries: Ticket[] = [];
	private nextStart = 0;
	private pausedUntil = 0;
	/** When the current pause was declared: a 130429 of a send started before it is already covered. */
	private pausedAt = -Infinity;
	private backoff: number;
	private pauseCause: unknown;
	private inFlight = 0;
	/**
	 * When the last sends reached Meta at the latest (their start until answered, see `answered`),
	 * ascending, the latest `perWindow` of them: no more than that in any second.
	 */
	private readonly recent: number[] = [];
	private readonly roundTrips = new RoundTrips();
	/**
	 * The typical round trip and its spread, and what the round trip was when the last second's
	 * stamps were last set by it.
	 */
	private typical = { roundTrip: Infinity, spread: 0 };
	private stampedWith = Infinity;
	/** The sends answered in the last second (and WINDOW_GUARD_MS), with their stamps in `recent`. */
	private readonly answers: Array<{ answeredAt: number; stamp: number }> = [];
	private pumping = false;
	private wakePump?: () => void;
	/** The admitted requests' sends not queued yet (see `admit`). */
	private readonly bookings = new Set<Booking>();
	/** 130429 answers seen, for figures and tests. */
	throttled = 0;

	constructor(private readonly options: NumberPacerOptions) {
		this.rate = options.ratePerSecond;
		this.clock = options.clock ?? realClock;
		this.firstBackoff = options.throttleBackoffMs ?? FIRST_BACKOFF_MS;
		this.backoff = this.firstBackoff;
	}

	get ratePerSecond(): number {
		return this.rate;
	}

	/** The "send rate" setting may change between calls: the next slots follow it. */
	setRate(ratePerSecond: number): void {
		if (ratePerSecond > 0) this.rate = ratePerSecond;
	}

	/** Milliseconds between two starts. */
	get interval(): number {
		return 1000 / Math.max(this.rate * RATE_MARGIN, 0.001);
	}

	/** Sends waiting for their turn. */
	get backlog(): number {
		return this.queue.length + this.retries.length;
	}

	/** Sends of admitted requests not queued yet (a booking past its time is dropped). */
	private get booked(): number {
		const now = this.clock.now();
		let count = 0;
		for (const booking of this.bookings) {
			if (booking.until < now) booking.release();
			else count += booking.count;
		}
		return count;
	}

	/**
	 * When the last of `count` more sends would start, in ms from now, given the sends already
	 * waiting, those booked by admitted requests and not queued yet, and a pause in force.
	 */
	estimateMs(count: number): number {
		const now = this.clock.now();
		const start = Math.max(this.nextStart, this.pausedUntil, now) + (this.backlog + this.booked) * this.interval;
		return start + Math.max(0, count - 1) * this.interval - now;
	}

	/**
	 * Books `count` sends if the last of them would start within `withinMs`; undefined otherwise, and
	 * nothing is booked. Check and booking happen in one step (no await between), so two requests
	 * admitted at once cannot both count on the same free slots. Each send given the booking
	 * (PaceOptions.booking) takes its slot from it when queued; the caller releases the rest when the
	 * request ends; it holds nothing after `withinMs` (a request stuck before its sends frees them).
	 * `book: false` (a dry run): the answer only (a booking that holds nothing).
	 */
	admit(count: number, withinMs: number, options: { book?: boolean } = {}): Booking | undefined {
		if (this.estimateMs(count) > withinMs) return undefined;
		if (options.book === false) return new Booking(0);
		const booking = new Booking(count, this.bookings, this.clock.now() + withinMs);
		this.bookings.add(booking);
		return booking;
	}

	/** Runs `send` at the number's pace; a 130429 pauses the number and sends it again after the pause. */
	async run<R>(send: () => Promise<R>, options: PaceOptions = {}): Promise<R> {
		options.booking?.queued();
		for (let retry = false; ; retry = true) {
			const startedAt = await this.turn(options, retry);
			let ok = false;
			try {
				const value = await send();
				ok = true;
				if (startedAt >= this.pausedUntil) this.backoff = this.firstBackoff;
				return value;
			} catch (error) {
				if (this.options.metaCode(error) !== THROUGHPUT_EXCEEDED) throw error;
				this.throttled++;
				this.pause(startedAt, error);
				if (options.deadline !== undefined && this.pausedUntil > options.deadline) throw error;
			} finally {
				this.answered(startedAt, ok);
				this.inFlight--;
				this.wakePump?.();
			}
		}
	}

	/**
	 * A send started at `startedAt` was answered now (`ok`: accepted), or failed. It reached Meta
	 * about the typical round trip before now: if that, less the usual spread of round trips (at
	 * least ARRIVAL_SLACK_MS), is later than its start, it was held on its way, and the window counts
	 * it then. Only accepted sends tell the round trip (an error may come back at once). When the
	 * typical round trip falls (the first answers of a cold start were all held, say), the sends
	 * answered in the last second are counted again with it. A clock that stepped back tells nothing.
	 */
	private answered(startedAt: number, ok: boolean): void {
		const now = this.clock.now();
		if (now < startedAt) return;
		if (ok) this.typical = this.roundTrips.add(now, now - startedAt);
		const { roundTrip, spread } = this.typical;
		if (roundTrip === Infinity) return;
		// Within the usual spread of Meta's answer times, an answer later than typical is Meta's own time.
		const slack = Math.max(ARRIVAL_SLACK_MS, spread);
		while (this.answers.length && this.answers[0].answeredAt < now - 1000 - WINDOW_GUARD_MS) this.answers.shift();
		const fell = roundTrip <= this.stampedWith - ARRIVAL_SLACK_MS;
		if (fell) for (const answer of this.answers) this.restamp(answer, answer.answeredAt - roundTrip - slack);
		if (fell || roundTrip > this.stampedWith) this.stampedWith = roundTrip;
		const answer = { answeredAt: now, stamp: startedAt };
		this.restamp(answer, now - roundTrip - slack);
		this.answers.push(answer);
	}

	/** Counts an answered send in the window at `stamp`, if that is later than its stamp so far. */
	private restamp(answer: { stamp: number }, stamp: number): void {
		if (stamp <= answer.stamp) return;
		removeSorted(this.recent, answer.stamp);
		insertSorted(this.recent, stamp);
		answer.stamp = stamp;
		this.trimRecent();
	}

	private trimRecent(): void {
		if (this.recent.length > this.perWindow) this.recent.splice(0, this.recent.length - this.perWindow);
	}

	/** Meta said 130429: every send of the number waits (a repeat doubles the pause). */
	private pause(startedAt: number, cause: unknown): void {
		this.pauseCause = cause;
		if (startedAt < this.pausedAt) return; // in flight when the pause was declared: already covered
		const now = this.clock.now();
		this.pausedAt = now;
		this.pausedUntil = Math.max(this.pausedUntil, now + this.backoff);
		this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
	}

	/** Resolves with the send's start, when its turn comes. */
	private turn(options: PaceOptions, retry: boolean): Promise<number> {
		return new Promise<number>((go, fail) => {
			// A steady send that finds the number idle starts the pace afresh (PaceOptions.steady).
			if (options.steady && !this.backlog && !this.inFlight) this.nextStart = Math.max(this.nextStart, this.clock.now());
			(retry ? this.retries : this.queue).push({ deadline: options.deadline, shouldStart: options.shouldStart, go, fail });
			if (!this.pumping) void this.pump();
			else this.wakePump?.();
		});
	}

	/**
	 * Starts allowed in any window of one second and WINDOW_GUARD_MS: the whole intervals of the pace
	 * that fit in it, and never fewer than ceil(rate × 0.98). At 80/s that is 79 (one under Meta's
	 * cap); at 1,000/s 989 (11 under), where ceil(rate × 0.98) alone, 980, would hold the pace itself
	 * to 970/s (the pace then keeps 979/s: one start in 990 waits under a millisecond).
	 */
	private get perWindow(): number {
		const paced = this.rate * RATE_MARGIN;
		return Math.max(1, Math.ceil(paced), Math.floor((paced * (1000 + WINDOW_GUARD_MS)) / 1000));
	}

	/** When the next start keeps the last second within `perWindow` starts. */
	private windowSlot(): number {
		const n = this.perWindow;
		return this.recent.length >= n ? this.recent[this.recent.length - n] + 1000 + WINDOW_GUARD_MS : 0;
	}

	/** Sends that cannot start before their deadline fail now rather than wait for the pause to end. */
	private failLate(slot: number): void {
		for (const list of [this.retries, this.queue])
			for (let i = list.length - 1; i >= 0; i--) {
				const deadline = list[i].deadline;
				if (deadline !== undefined && deadline < slot) list.splice(i, 1)[0].fail(this.pauseCause ?? new PacerDeadlineError());
			}
	}

	/** Hands out turns one slot apart, never during a pause, never above the concurrency. */
	private async pump(): Promise<void> {
		this.pumping = true;
		try {
			while (this.backlog) {
				const now = this.clock.now();
				if (this.inFlight >= concurrencyFor(this.rate)) {
					await new Promise<void>((wake) => (this.wakePump = wake));
					this.wakePump = undefined;
					continue;
				}
				const slot = Math.max(this.nextStart, this.pausedUntil, this.windowSlot());
				if (slot > now) {
					this.failLate(slot);
					if (!this.backlog) break;
					await this.clock.sleep(slot - now);
					continue; // a pause may have been declared meanwhile
				}
				const ticket = (this.retries.length ? this.retries : this.queue).shift() as Ticket;
				if (ticket.deadline !== undefined && now > ticket.deadline) {
					ticket.fail(this.pauseCause ?? new PacerDeadlineError());
					continue;
				}
				if (ticket.shouldStart && !ticket.shouldStart()) {
					ticket.fail(new PacerDeadlineError());
					continue;
				}
				this.nextStart = Math.max(slot, now - CATCH_UP_MS) + this.interval;
				insertSorted(this.recent, now);
				this.trimRecent();
				this.inFlight++;
				ticket.go(now);
			}
		} finally {
			this.pumping = false;
		}
	}
}

/**
 * One pacer per connected number (by phone number id), created at its first send. Kept in module
 * state by its user (src/adapters/factory.ts), which lives as long as the app's runtime process.
 */
export class PacerRegistry {
	private readonly pacers = new Map<string, NumberPacer>();

	constructor(private readonly make: (ratePerSecond: number) => NumberPacer) {}

	/** The number's pacer, at `ratePerSecond` from now on. */
	pacerFor(phoneNumberId: string, ratePerSecond: number): NumberPacer {
		let pacer = this.pacers.get(phoneNumberId);
		if (!pacer) this.pacers.set(phoneNumberId, (pacer = this.make(ratePerSecond)));
		else pacer.setRate(ratePerSecond);
		return pacer;
	}
}

export type Outcome<R> = { ok: true; value: R; attempts: number } | { ok: false; error: unknown; attempts: number };

export interface SendEachOptions<T, R> {
	items: T[];
	/**
	 * One send; paced by the number's pacer behind it (a paced Graph client). `deadline` (start +
	 * budgetMs, on `now`'s clock) is the request's: a 131056 retry must not start later than its
	 * first attempt could.
	 */
	send: (item: T, deadline: number) => Promise<R>;
	metaCode: (error: unknown) => number | undefined;
	/** Retries of 131056 that would end later than this many ms after start are not made. */
	budgetMs: number;
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

export interface PacerReport<R> {
	outcomes: Array<Outcome<R>>;
	elapsedMs: number;
}

/**
 * The per-request part of a bulk send: every item handed to `send` at once (the number's pacer
 * orders and paces them), results in input order. Meta error 131056 (pair rate limit: too many
 * messages to that one recipient) retries that recipient after 4^n seconds (n = 1, 2, ...) while
 * the budget allows, else it is reported. Anything else is the outcome as it came.
 */
export async function sendPaced<T, R>(options: SendEachOptions<T, R>): Promise<PacerReport<R>> {
	const now = options.now ?? realClock.now;
	const sleep = options.sleep ?? realClock.sleep;
	const start = now();
	const deadline = start + options.budgetMs;
	const one = async (item: T): Promise<Outcome<R>> => {
		for (let attempts = 1; ; attempts++) {
			try {
				return { ok: true, value: await options.send(item, deadline), attempts };
			} catch (error) {
				const delay = 4 ** attempts * 1000;
				if (options.metaCode(error) !== PAIR_RATE_LIMIT || now() - start + delay >= options.budgetMs)
					return { ok: false, error, attempts };
				await sleep(delay);
			}
		}
	};
	const outcomes = await Promise.all(options.items.map(one));
	return { outcomes, elapsedMs: now() - start };
}
