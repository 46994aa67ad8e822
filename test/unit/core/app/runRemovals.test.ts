/** A bounded clean-up's removals, run by `runRemovals` (core/app/runBudget.ts): where a run stops, and that every run of a chain makes progress. */
import { Removal, runRemovals } from '../../../../src/core/app/runBudget';

/** Removals of `records[i]` records each, one call per record, a call costing one tick of `clock`. */
function cleanup(records: number[], clock = { t: 0 }) {
	const left = [...records];
	const removals: Removal[] = left.map((_, i) => async (stop) => {
		let removed = 0;
		while (left[i] > 0 && !stop()) {
			clock.t++;
			left[i]--;
			removed++;
		}
		return { removed, done: left[i] === 0 };
	});
	return { removals, left, clock };
}

describe('runRemovals', () => {
	it('runs every removal when the budget allows, and answers how many records went', async () => {
		const { removals, left } = cleanup([2, 0, 3]);
		expect(await runRemovals(removals, () => false)).toEqual({ removed: 5, passed: [] });
		expect(left).toEqual([0, 0, 0]);
	});

	it('stops where the budget ends, and the next run resumes that removal', async () => {
		const { removals, left, clock } = cleanup([2, 4, 1]);
		const budget = (ticks: number) => {
			const end = clock.t + ticks;
			return () => clock.t >= end;
		};
		expect(await runRemovals(removals, budget(3))).toEqual({ removed: 3, passed: [], next: 1 });
		expect(left).toEqual([0, 3, 1]);
		expect(await runRemovals(removals, budget(3), 1)).toEqual({ removed: 3, passed: [], next: 2 });
		expect(await runRemovals(removals, budget(3), 2)).toEqual({ removed: 1, passed: [] });
		expect(left).toEqual([0, 0, 0]);
	});

	it('always tries its first removal, though the budget was spent before; one that removed nothing is passed', async () => {
		const { removals, left } = cleanup([2, 1]);
		// Spent from the start: the first removal is tried, removes nothing and is passed.
		expect(await runRemovals(removals, () => true)).toEqual({ removed: 0, passed: [0], next: 1 });
		expect(await runRemovals(removals, () => true, 1)).toEqual({ removed: 0, passed: [1], next: 2 });
		expect(await runRemovals(removals, () => false, 2)).toEqual({ removed: 0, passed: [] });
		expect(left).toEqual([2, 1]);
	});

	it('resumes a later removal that the budget ended before it removed anything: the next run takes it first, with its whole budget', async () => {
		const { removals, left, clock } = cleanup([1, 3]);
		// The budget ends with the first removal's last record: the second is not passed.
		const end = clock.t + 1;
		expect(await runRemovals(removals, () => clock.t >= end)).toEqual({ removed: 1, passed: [], next: 1 });
		expect(await runRemovals(removals, () => false, 1)).toEqual({ removed: 3, passed: [] });
		expect(left).toEqual([0, 0]);
	});

	it('passes a removal that failed, tells of it, and goes on with the others', async () => {
		const { removals, left } = cleanup([1, 1, 1]);
		const failing: Removal[] = [removals[0], async () => Promise.reject(new Error('MongoNetworkError')), removals[2]];
		const errors: unknown[] = [];
		expect(
			await runRemovals(
				failing,
				() => false,
				0,
				(error) => errors.push(error),
			),
		).toEqual({ removed: 2, passed: [1] });
		expect(errors).toEqual([new Error('MongoNetworkError')]);
		expect(left).toEqual([0, 1, 0]);
	});
});
