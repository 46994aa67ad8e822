/**
 * Steps that must not overlap, one queue per key, in this process: a step runs after the steps of
 * its key that started before it (in the order they were asked), whether they succeeded or failed.
 * Steps of other keys run meanwhile.
 */
export class KeyedQueue {
	private readonly tails = new Map<string, Promise<unknown>>();

	async serial<T>(key: string, step: () => Promise<T>): Promise<T> {
		const run = (this.tails.get(key) ?? Promise.resolve()).then(step);
		const tail = run.catch(() => undefined);
		this.tails.set(key, tail);
		try {
			return await run;
		} finally {
			if (this.tails.get(key) === tail) this.tails.delete(key);
		}
	}

	/** Keys with a step under way or waiting (empty once every step ended). */
	get size(): number {
		return this.tails.size;
	}
}
