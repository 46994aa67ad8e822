/**
 * Steps that must not overlap, one queue per key, in this process: a step runs after the steps of
 * its key that started before it (in the order they were asked), whether they succeeded or failed.
 * Steps of other keys run meanwhile.
 *
 * A step waits for the one before it at most `maxWaitMs`: a step that never ends (a host call that
 * never answers) must not hold its key's later steps for the life of the process. Past that wait,
 * the next step starts anyway (the wait counts from the start of the step before), and the steps
 * after it wait for it as before.
 */
export class KeyedQueue {
	private readonly tails = new Map<string, Turn>();

	constructor(private readonly maxWaitMs: number) {}

	async serial<T>(key: string, step: () => Promise<T>): Promise<T> {
		const before = this.tails.get(key);
		const turn = before ? before.started.then(() => this.atMost(before.ended)) : Promise.resolve();
		let markStarted!: () => void;
		const started = new Promise<void>((resolve) => (markStarted = resolve));
		const run = turn.then(() => {
			markStarted();
			return step();
		});
		const mine: Turn = { started, ended: run.catch(() => undefined) };
		this.tails.set(key, mine);
		try {
			return await run;
		} finally {
			if (this.tails.get(key) === mine) this.tails.delete(key);
		}
	}

	/** Keys with a step under way or waiting (empty once every step ended). */
	get size(): number {
		return this.tails.size;
	}

	/** The step before, or `maxWaitMs` from its start, whichever comes first. */
	private atMost(ended: Promise<unknown>): Promise<unknown> {
		let timer: ReturnType<typeof setTimeout> | undefined;
		const limit = new Promise<void>((resolve) => {
			timer = setTimeout(resolve, this.maxWaitMs);
		});
		return Promise.race([ended, limit]).finally(() => clearTimeout(timer));
	}
}

/** A key's last step: when it started, and when it ended (failed or not; never rejects). */
interface Turn {
	readonly started: Promise<void>;
	readonly ended: Promise<unknown>;
}
