/**
 * Whether a campaign run's campaign was cancelled (campaigns.ts). A cancel made in this runtime is
 * known at once (`cancelHere`); one stored by another instance of the server (CampaignStore.cancel)
 * is read: as the run's sends ask, at most once per CANCEL_CHECK_MS of the clock, and, while the run
 * is started (`start`), every CANCEL_CHECK_MS of real time too, so that a run that waits (Meta's
 * 130429 pause, a 131056 retry's back-off, slow answers) knows it when it resumes.
 */
import { CampaignPorts } from './campaignsPorts';

/** How often a run reads whether its campaign was cancelled elsewhere: one small read. */
export const CANCEL_CHECK_MS = 1000;

/**
 * How long this runtime remembers a cancel made in it. The stored cancel is what every run goes by;
 * this memory only spares a run of this runtime its next read (CANCEL_CHECK_MS at most), so a few
 * minutes are plenty, and the memory holds no more than the cancels of the last minutes.
 */
export const CANCEL_MEMORY_MS = 10 * 60 * 1000;

/** Campaigns cancelled in this runtime, with when: a run of this runtime stops their sends at once. */
const cancelledHere = new Map<string, number>();

/** A cancel made in this runtime at `now`: its runs stop at once. Cancels older than CANCEL_MEMORY_MS are forgotten. */
export function cancelHere(id: string, now: number): void {
	for (const [known, at] of cancelledHere) if (now - at > CANCEL_MEMORY_MS) cancelledHere.delete(known);
	cancelledHere.set(id, now);
}

/** A cancel that could not be stored: this runtime's runs go on as the others do. */
export function forgetCancel(id: string): void {
	cancelledHere.delete(id);
}

/** Real timers: `tick` every `ms` until stopped. */
export function realEvery(ms: number, tick: () => void): () => void {
	let timer: ReturnType<typeof setTimeout> | undefined;
	let stopped = false;
	const next = () => {
		if (stopped) return;
		timer = setTimeout(() => {
			tick();
			next();
		}, ms);
	};
	next();
	return () => {
		stopped = true;
		clearTimeout(timer);
	};
}

/** A read not answered after this long no longer stops the next one (a call that never ends). */
const READ_GIVEN_UP_MS = 5 * CANCEL_CHECK_MS;

export class CancelWatch {
	private seen = false;
	private reading = false;
	private askedAt: number;
	private stopTimer?: () => void;

	constructor(
		private readonly id: string,
		private readonly ports: Pick<CampaignPorts, 'store' | 'clock' | 'every'>,
	) {
		this.askedAt = ports.clock.now();
	}

	/** Whether the campaign was cancelled, as far as this runtime knows now (it may start a read). */
	get cancelled(): boolean {
		if (this.seen || cancelledHere.has(this.id)) return true;
		const now = this.ports.clock.now();
		// A clock that stepped back asks now, rather than after the step.
		if (now < this.askedAt || now - this.askedAt >= CANCEL_CHECK_MS) this.ask();
		return false;
	}

	/**
	 * Reads on real time too, until `stop`, and for `forMs` at most: a run whose end never comes (a
	 * call that hangs) does not keep reading for the life of the runtime.
	 */
	start(forMs: number): void {
		let ticks = Math.ceil(forMs / CANCEL_CHECK_MS);
		this.stopTimer ??= (this.ports.every ?? realEvery)(CANCEL_CHECK_MS, () => (--ticks < 0 ? this.stop() : this.ask()));
	}

	stop(): void {
		this.stopTimer?.();
		this.stopTimer = undefined;
	}

	/** One read at a time (but for one never answered); a read that fails tells nothing (the next one asks again). */
	private ask(): void {
		const now = this.ports.clock.now();
		if (this.seen || (this.reading && now >= this.askedAt && now - this.askedAt < READ_GIVEN_UP_MS)) return;
		this.reading = true;
		this.askedAt = now;
		Promise.resolve()
			.then(() => this.ports.store.cancelled(this.id))
			.then(
				(cancelled) => void (this.seen ||= cancelled),
				() => undefined,
			)
			.finally(() => (this.reading = false));
	}
}
