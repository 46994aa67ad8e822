/**
 * Fidelity of the harness's scheduler to Rocket.Chat's AppSchedulerBridge
 * (apps/meteor/app/apps/server/bridges/scheduler.ts, commit 102bc2f809e4395c7202465a2116050c1af47009),
 * which runs Agenda: `schedule` for one-time jobs, `every` for recurring ones.
 */
import { HarnessScheduler } from '../../../tools/harness/scheduler';

const APP = 'app-1';

function scheduler() {
	const s = new HarnessScheduler();
	const runs: Array<Record<string, unknown>> = [];
	return { s, runs, processor: async (context: Record<string, unknown>) => void runs.push(context) };
}

describe('scheduler as Rocket.Chat runs it', () => {
	it('adds a one-time job at each scheduleOnce of the same id (Agenda schedule: a new normal job), each run once', async () => {
		const { s, runs, processor } = scheduler();
		await s.registerProcessors([{ id: 'notice_app-1', processor }], APP);
		await s.scheduleOnce({ id: 'notice_app-1', when: '1 minute', data: { n: 1 } }, APP);
		await s.scheduleOnce({ id: 'notice_app-1', when: '2 minutes', data: { n: 2 } }, APP);
		expect(s.jobs).toHaveLength(2);
		await s.advance(3 * 60000);
		expect(runs.map((r) => r.n)).toEqual([1, 2]);
		expect(s.jobs).toEqual([]);
		// The context carries the job's id (and not the app's).
		expect(runs[0]).toEqual({ n: 1, jobId: expect.any(String) });
	});

	it('keeps one recurring job per name: a second scheduleRecurring replaces it (Agenda every: a single job)', async () => {
		const { s, runs, processor } = scheduler();
		await s.registerProcessors([{ id: 'deliver_app-1', processor }], APP);
		await s.scheduleRecurring({ id: 'deliver_app-1', interval: '30 seconds', skipImmediate: true, data: { v: 1 } }, APP);
		await s.scheduleRecurring({ id: 'deliver_app-1', interval: '1 minute', skipImmediate: true, data: { v: 2 } }, APP);
		expect(s.jobs).toHaveLength(1);
		await s.advance(2 * 60000);
		expect(runs.map((r) => r.v)).toEqual([2, 2]);
	});

	it('saves a recurring job again as Agenda does: with skipImmediate its next run moves to a whole interval on; without, it stays', async () => {
		const { s, runs, processor } = scheduler();
		await s.registerProcessors([{ id: 'daily_app-1', processor }], APP);
		const every = (skipImmediate: boolean) => s.scheduleRecurring({ id: 'daily_app-1', interval: '1 day', skipImmediate }, APP);
		const hour = 3600000;
		// Without skipImmediate: due at once, then a day after its run; saving it again 12 hours on keeps that.
		await every(false);
		await s.advance(12 * hour);
		expect(runs).toHaveLength(1);
		const next = s.jobs[0].runAt;
		await every(false);
		expect(s.jobs[0].runAt).toBe(next);
		await s.advance(12 * hour);
		expect(runs).toHaveLength(2);
		// With skipImmediate: each save 12 hours apart pushes the run a day on, so it never comes.
		await every(true);
		for (let i = 0; i < 4; i++) {
			await s.advance(12 * hour);
			const before = s.jobs[0].runAt;
			await every(true);
			expect(s.jobs[0].runAt - before).toBeGreaterThanOrEqual(12 * hour);
		}
		expect(runs).toHaveLength(2);
		expect(s.jobs).toHaveLength(1);
	});

	it("schedules a processor's one-time startup job only when none of that name is pending (scheduleOnceAfterRegister)", async () => {
		const { s, processor } = scheduler();
		const startup = { type: 'onetime' as const, when: '1 hour' };
		await s.registerProcessors([{ id: 'setup_app-1', processor, startupSetting: startup }], APP);
		await s.registerProcessors([{ id: 'setup_app-1', processor, startupSetting: startup }], APP);
		expect(s.jobs).toHaveLength(1);
	});

	it('cancels by name and all of an app', async () => {
		const { s, processor } = scheduler();
		await s.registerProcessors(
			[
				{ id: 'a_app-1', processor },
				{ id: 'b_app-1', processor },
			],
			APP,
		);
		await s.scheduleOnce({ id: 'a_app-1', when: '1 minute' }, APP);
		await s.scheduleRecurring({ id: 'b_app-1', interval: '1 minute' }, APP);
		await s.cancelJob('a_app-1');
		expect(s.jobs.map((j) => j.processorId)).toEqual(['b_app-1']);
		await s.cancelAllJobs(APP);
		expect(s.jobs).toEqual([]);
	});
});
