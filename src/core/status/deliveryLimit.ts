/**
 * How many POSTs to the Message Status Endpoint URL go at once, adapted to the receiver.
 *
 * A receiver across a network answers each POST in tens of milliseconds, so a fixed handful at once
 * caps delivery at that handful per answer time: 8 at once to a receiver that answers in 50 ms is
 * 160 statuses/s, under the 240/s that Meta's default tier (80 messages/s, about three statuses
 * each) produces, and the backlog would only grow. Many at once to a receiver that is itself the
 * limit (or to a server whose own thread carries every POST, as Rocket.Chat's HTTP bridge does)
 * only makes each answer wait longer.
 *
 * So the number grows while the answers stay about as fast as the fastest seen, and shrinks when
 * they slow down or fail, in rounds: a round is as many answers as POSTs were allowed at once, all
 * of POSTs started since the last change (`started` gives each POST its mark; answers of POSTs
 * started before the change are not counted).
 * - A round whose median answer time is within GROW_FACTOR × the baseline (+ SLACK_MS) doubles the
 *   number, up to the admin's maximum (the "Status delivery concurrency" setting), when the number
 *   was in use: at least half of the round's POSTs started with half the number or more in flight.
 *   Once a round was slow (the receiver's level is near), it grows by a quarter instead.
 * - A round over SHRINK_FACTOR × the baseline (+ SLACK_MS), or with a tenth or more of its POSTs
 *   failed (an answer other than 2xx, a network error, a timeout), takes a quarter off; a round
 *   that failed whole goes back to the floor at once. The floor is START (or the maximum, when
 *   lower): what the app always used before it adapted.
 * - The baseline is the lowest round median since the receiver was set. It rises only when the
 *   number is at the floor and REBASE_ROUNDS rounds in a row are slow there (the receiver became
 *   slower for good): their lowest median is the new baseline.
 * A new receiver (another URL) starts over.
 */

/** The admin's maximum (the "Status delivery concurrency" setting) by default: 5,120 statuses/s to a receiver that answers in 50 ms, 2,560 at 100 ms. */
export const DELIVERY_MAX_DEFAULT = 256;
/** The highest maximum the setting accepts. */
export const DELIVERY_MAX_CEILING = 512;
/** POSTs at once at the start, and the least the number falls to. */
export const DELIVERY_START = 8;
/** Answers within this many times the baseline (and SLACK_MS) let the number grow. */
export const GROW_FACTOR = 1.2;
/** Answers over this many times the baseline (and SLACK_MS) make it shrink. */
export const SHRINK_FACTOR = 1.5;
/** Queueing this short is not a slowdown worth backing off for: a status POST is not urgent to the millisecond. */
export const SLACK_MS = 10;
/** Slow rounds in a row at the floor after which their time is the receiver's own (the new baseline). */
export const REBASE_ROUNDS = 5;
/** A round with this share of its POSTs failed or more is slow, whatever its answer times. */
export const FAILED_SHARE = 0.1;

/** What a POST started under: the limit's setting then, and whether the number was in use. */
export interface DeliveryMark {
	epoch: number;
	busy: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export class DeliveryLimit {
	private current = DELIVERY_START;
	private max = DELIVERY_START;
	private target?: string;
	/** Counts the changes of `current`: answers of POSTs started before the last change are not counted. */
	private epoch = 0;
	private round: Array<{ ms: number; busy: boolean }> = [];
	private baseline = Infinity;
	/** A round was slow since the receiver was set: growth is by a quarter, not double. */
	private slowedOnce = false;
	/** Medians of the slow rounds in a row at the floor. */
	private slowAtFloor: number[] = [];

	/** POSTs allowed at once now: a whole number from 1 to the maximum. */
	get value(): number {
		return Math.max(1, Math.min(this.max, Math.floor(this.current)));
	}

	/** The receiver and the admin's maximum, for a delivery round: another receiver starts over. */
	configure(target: string, max: number): void {
		this.max = Number.isFinite(max) ? Math.max(1, Math.floor(max)) : DELIVERY_START;
		if (target !== this.target) {
			this.target = target;
			this.baseline = Infinity;
			this.slowedOnce = false;
			this.set(DELIVERY_START);
		} else if (this.current > this.max) this.set(this.max);
	}

	/** A POST starts with `inFlight` POSTs in flight (itself included): its mark, for `observe`. */
	started(inFlight: number): DeliveryMark {
		return { epoch: this.epoch, busy: inFlight * 2 >= this.value };
	}

	/** The answer to a POST started with `mark`: how long it took (ms), and whether it was a success (2xx). */
	observe(ms: number, ok: boolean, mark: DeliveryMark): void {
		if (mark.epoch !== this.epoch) return;
		this.round.push({ ms: ok && Number.isFinite(ms) ? Math.max(0, ms) : Infinity, busy: mark.busy });
		if (this.round.length < Math.max(DELIVERY_START, this.value)) return;
		const round = this.round;
		this.round = [];
		const failed = round.filter((a) => !Number.isFinite(a.ms)).length;
		if (failed === round.length) {
			this.slowedOnce = true;
			return this.set(this.floor);
		}
		const roundMedian = median(round.map((a) => a.ms));
		if (Number.isFinite(roundMedian)) this.baseline = Math.min(this.baseline, roundMedian);
		const slow = failed >= round.length * FAILED_SHARE || roundMedian > this.baseline * SHRINK_FACTOR + SLACK_MS;
		if (slow) {
			this.slowedOnce = true;
			if (this.value > this.floor) return this.set(Math.max(this.floor, this.current * 0.75));
			// At the floor and still slow: after a few such rounds, that is the receiver's own time.
			if (Number.isFinite(roundMedian)) this.slowAtFloor.push(roundMedian);
			if (this.slowAtFloor.length >= REBASE_ROUNDS) {
				this.baseline = Math.min(...this.slowAtFloor);
				this.slowAtFloor = [];
			}
			return;
		}
		this.slowAtFloor = [];
		const inUse = round.filter((a) => a.busy).length * 2 >= round.length;
		if (inUse && roundMedian <= this.baseline * GROW_FACTOR + SLACK_MS && this.value < this.max) {
			// Doubling finds the receiver's level fast; once a round was slow, it is near: a quarter more.
			const next = this.slowedOnce ? Math.max(this.value + 1, Math.ceil(this.value * 1.25)) : this.value * 2;
			this.set(Math.min(this.max, next));
		}
	}

	private get floor(): number {
		return Math.min(DELIVERY_START, this.max);
	}

	private set(value: number): void {
		this.current = value;
		this.epoch++;
		this.round = [];
		this.slowAtFloor = [];
	}
}
