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
 * So the number grows while the answers stay as fast as the fastest seen lately, and shrinks when
 * they slow down or fail, in rounds of one answer per POST allowed at once:
 * - a round whose median answer time is within GROW_FACTOR × the baseline (+ SLACK_MS) doubles it,
 *   up to the admin's maximum (the "Status delivery concurrency" setting);
 * - a round over SHRINK_FACTOR × the baseline (+ SLACK_MS) takes it down by a quarter, never below
 *   START (or the maximum, when lower): what the app always used before it adapted;
 * - the baseline is the lowest round median of the last BASELINE_ROUNDS rounds;
 * - a failed POST (an answer other than 2xx, a network error, a timeout) counts as the slowest.
 * A new receiver (another URL) starts over.
 */

/** The admin's maximum (the "Status delivery concurrency" setting) by default: 5,120 statuses/s to a receiver that answers in 50 ms, 2,560 at 100 ms. */
export const DELIVERY_MAX_DEFAULT = 256;
/** The highest maximum the setting accepts. */
export const DELIVERY_MAX_CEILING = 512;
/** POSTs at once at the start, and the least the number falls to. */
export const DELIVERY_START = 8;
/** Answers within this many times the baseline (and SLACK_MS) let the number grow. */
export const GROW_FACTOR = 1.5;
/** Answers over this many times the baseline (and SLACK_MS) make it shrink. */
export const SHRINK_FACTOR = 2;
/** Queueing this short is not a slowdown worth backing off for: a status POST is not urgent to the millisecond. */
export const SLACK_MS = 10;
/** The baseline is the fastest round median among this many last rounds: an old fast receiver is not the measure for ever. */
export const BASELINE_ROUNDS = 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export class DeliveryLimit {
	private current = DELIVERY_START;
	private max = DELIVERY_START;
	private target?: string;
	private round: number[] = [];
	private medians: number[] = [];

	/** POSTs allowed at once now: a whole number from 1 to the maximum. */
	get value(): number {
		return Math.max(1, Math.min(this.max, Math.floor(this.current)));
	}

	/** The receiver and the admin's maximum, for a delivery round: another receiver starts over. */
	configure(target: string, max: number): void {
		this.max = Math.max(1, Math.floor(max));
		this.current = Math.min(this.current, this.max);
		if (target === this.target) return;
		this.target = target;
		this.current = DELIVERY_START;
		this.round = [];
		this.medians = [];
	}

	/** One POST's answer: how long it took (ms), and whether it was a success (2xx). */
	observe(ms: number, ok: boolean): void {
		this.round.push(ok ? Math.max(0, ms) : Infinity);
		if (this.round.length < Math.max(DELIVERY_START, this.value)) return;
		const roundMedian = median(this.round);
		this.round = [];
		if (Number.isFinite(roundMedian)) {
			this.medians.push(roundMedian);
			if (this.medians.length > BASELINE_ROUNDS) this.medians.shift();
		}
		// The round's own median is among them: a round is never slow against itself alone.
		const baseline = Math.min(...this.medians);
		if (!Number.isFinite(roundMedian) || roundMedian > baseline * SHRINK_FACTOR + SLACK_MS)
			this.current = Math.max(Math.min(DELIVERY_START, this.max), this.current * 0.75);
		else if (roundMedian <= baseline * GROW_FACTOR + SLACK_MS) this.current = Math.min(this.max, this.value * 2);
	}
}
