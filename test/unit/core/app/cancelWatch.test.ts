/** How a campaign run learns of a cancel stored by another instance (core/app/cancelWatch.ts), on jest's fake timers. */
import { MemoryCampaignStore } from '../../../../src/core/app/campaignsPorts';
import { CANCEL_CHECK_MS, CANCEL_MEMORY_MS, cancelHere, CancelWatch } from '../../../../src/core/app/cancelWatch';

/** A store whose reads of the cancel are counted, and answered when the test says. */
class SlowStore extends MemoryCampaignStore {
	reads = 0;
	fail = false;
	readonly answers: Array<() => void> = [];
	async cancelled(id: string): Promise<boolean> {
		this.reads++;
		await new Promise<void>((resolve) => this.answers.push(resolve));
		if (this.fail) throw new Error('MongoNetworkError');
		return super.cancelled(id);
	}
	/** Answers the reads waiting, and lets their results land. */
	async answerAll(): Promise<void> {
		for (const answer of this.answers.splice(0)) answer();
		await jest.advanceTimersByTimeAsync(0);
	}
}

let ids = 0;

describe('CancelWatch', () => {
	beforeEach(() => jest.useFakeTimers());
	afterEach(() => jest.useRealTimers());

	function watchOf(clock = { t: 0 }) {
		const store = new SlowStore();
		const id = `cw${++ids}`;
		const watch = new CancelWatch(id, { store, clock: { now: () => clock.t } });
		/** A send asks at clock time `t` (nothing known yet), and the read it may start begins. */
		const askAt = async (t: number) => {
			clock.t = t;
			expect(watch.cancelled).toBe(false);
			await jest.advanceTimersByTimeAsync(0);
		};
		return { store, id, watch, clock, askAt };
	}

	it('a cancel made in this runtime is known at once, without a read', () => {
		const { store, id, watch } = watchOf();
		cancelHere(id, 0);
		expect(watch.cancelled).toBe(true);
		expect(store.reads).toBe(0);
	});

	it('the runtime forgets its cancels after CANCEL_MEMORY_MS (a later cancel prunes them); the stored cancel still stops the run', async () => {
		const older = watchOf();
		const newer = watchOf();
		cancelHere(older.id, 0);
		await older.store.cancel(older.id, 0);
		cancelHere(newer.id, CANCEL_MEMORY_MS + 1);
		expect(newer.watch.cancelled).toBe(true);
		// Forgotten here: the watch reads the store, and the stored cancel decides.
		expect(older.watch.cancelled).toBe(false);
		await older.askAt(CANCEL_CHECK_MS);
		expect(older.store.reads).toBe(1);
		await older.store.answerAll();
		expect(older.watch.cancelled).toBe(true);
	});

	it('as the sends ask: one read per CANCEL_CHECK_MS of the clock, one at a time; a failed read tells nothing', async () => {
		const { store, id, watch, askAt } = watchOf();
		expect(watch.cancelled).toBe(false);
		expect(store.reads).toBe(0);
		await store.cancel(id, CANCEL_CHECK_MS);
		await askAt(CANCEL_CHECK_MS);
		expect(store.reads).toBe(1);
		// The read is slow: asking again does not start another one.
		await askAt(3 * CANCEL_CHECK_MS);
		expect(store.reads).toBe(1);
		store.fail = true;
		await store.answerAll();
		expect(watch.cancelled).toBe(false);
		// The next one, a second of the clock later, tells.
		store.fail = false;
		await askAt(4 * CANCEL_CHECK_MS);
		await store.answerAll();
		expect(watch.cancelled).toBe(true);
		expect(store.reads).toBe(2);
	});

	it('a read never answered stops the next ones for 5 × CANCEL_CHECK_MS only', async () => {
		const { store, id, watch, askAt } = watchOf();
		await store.cancel(id, 0);
		await askAt(CANCEL_CHECK_MS);
		store.answers.length = 0; // never answered
		await askAt(5 * CANCEL_CHECK_MS);
		expect(store.reads).toBe(1);
		await askAt(6 * CANCEL_CHECK_MS);
		expect(store.reads).toBe(2);
		await store.answerAll();
		expect(watch.cancelled).toBe(true);
	});

	it('a clock that stepped back asks at once', async () => {
		const { store, id, watch, askAt } = watchOf({ t: 5000 });
		await store.cancel(id, 5000);
		await askAt(4500);
		await store.answerAll();
		expect(watch.cancelled).toBe(true);
	});

	it('while started, reads every CANCEL_CHECK_MS of real time, so that a run that waited (a pause, a back-off) knows when it resumes', async () => {
		// The clock stands still, as it does for a run that waits: only the timer asks.
		const { store, id, watch } = watchOf();
		await store.cancel(id, 0);
		await jest.advanceTimersByTimeAsync(3 * CANCEL_CHECK_MS);
		expect(store.reads).toBe(0);
		watch.start(60000);
		await jest.advanceTimersByTimeAsync(CANCEL_CHECK_MS);
		expect(store.reads).toBe(1);
		await store.answerAll();
		expect(watch.cancelled).toBe(true);
		watch.stop();
		expect(jest.getTimerCount()).toBe(0);
	});

	it('stops reading once stopped', async () => {
		const { store, watch } = watchOf();
		watch.start(60000);
		await jest.advanceTimersByTimeAsync(CANCEL_CHECK_MS);
		await store.answerAll();
		expect(store.reads).toBe(1);
		watch.stop();
		await jest.advanceTimersByTimeAsync(5 * CANCEL_CHECK_MS);
		expect(store.reads).toBe(1);
		expect(watch.cancelled).toBe(false);
	});

	it('reads for the time it was started for at most, then stops its timer: a run that never ends does not read forever', async () => {
		const { store, watch } = watchOf();
		watch.start(3 * CANCEL_CHECK_MS);
		for (let tick = 0; tick < 10; tick++) {
			await jest.advanceTimersByTimeAsync(CANCEL_CHECK_MS);
			await store.answerAll();
		}
		expect(store.reads).toBe(3);
		expect(jest.getTimerCount()).toBe(0);
	});
});
