/**
 * The scheduler as Rocket.Chat runs it (Agenda underneath), on a clock that tests advance.
 * Processors are the engine's wrapped processors (`AppSchedulerManager.wrapProcessor`), so running a
 * job goes through the engine into the app's Deno process exactly as on a server.
 *
 * As Rocket.Chat's AppSchedulerBridge (apps/meteor/app/apps/server/bridges/scheduler.ts, commit
 * 102bc2f809e4395c7202465a2116050c1af47009): `scheduleOnce` is Agenda's `schedule`, a new 'normal'
 * job each time, removed once it has run; `scheduleRecurring` is Agenda's `every`, a 'single' job per
 * name that a second call replaces; a processor's one-time startup job is scheduled only when none
 * of that name is pending; the job context carries `jobId` and not `appId`.
 */
import { randomUUID } from 'crypto';
import { performance } from 'perf_hooks';

interface Processor {
	id: string;
	processor: (jobContext: Record<string, unknown>) => Promise<void>;
	startupSetting?: {
		type: 'onetime' | 'recurring';
		when?: string;
		interval?: string | number;
		skipImmediate?: boolean;
		data?: Record<string, unknown>;
	};
}

export interface ScheduledJob {
	jobId: string;
	appId: string;
	processorId: string;
	runAt: number;
	intervalMs?: number;
	data?: Record<string, unknown>;
}

const UNITS: Record<string, number> = {
	ms: 1,
	millisecond: 1,
	milliseconds: 1,
	s: 1000,
	sec: 1000,
	second: 1000,
	seconds: 1000,
	m: 60000,
	min: 60000,
	minute: 60000,
	minutes: 60000,
	h: 3600000,
	hour: 3600000,
	hours: 3600000,
	d: 86400000,
	day: 86400000,
	days: 86400000,
	w: 604800000,
	week: 604800000,
	weeks: 604800000,
};

/** Agenda's human-interval strings ("5 seconds", "1 minute") and plain milliseconds. Cron is refused loudly. */
export function parseInterval(value: string | number): number {
	if (typeof value === 'number') return value;
	const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
	if (match && UNITS[match[2].toLowerCase()] !== undefined) return Number(match[1]) * UNITS[match[2].toLowerCase()];
	if (/^\d+$/.test(value.trim())) return Number(value);
	throw new Error(`harness scheduler: unsupported interval "${value}" (human-interval like "30 seconds" or milliseconds)`);
}

export class HarnessScheduler {
	/** How far the harness clock runs ahead of the real one: real time passes, and tests jump ahead. */
	private offset = 0;
	private readonly processors = new Map<string, Processor & { appId: string }>();
	readonly jobs: ScheduledJob[] = [];
	/**
	 * Told how far the clock runs ahead of real time whenever it moves (before the jobs due then run):
	 * the harness passes it on to the app's clock (src/adapters/persistence/clock.ts).
	 */
	onTimeMoved?: (offsetMs: number) => void;
	/** Errors thrown by job runs: the engine logs them for the app; tests assert on them. */
	readonly failures: Array<{ jobId: string; processorId: string; error: unknown }> = [];

	currentTime(): number {
		return Date.now() + this.offset;
	}

	private get now(): number {
		return this.currentTime();
	}

	/** Moves the clock forward to `time` (never back). */
	private moveTo(time: number): void {
		const offset = Math.max(this.offset, time - Date.now());
		if (offset === this.offset) return;
		this.offset = offset;
		this.onTimeMoved?.(offset);
	}

	async registerProcessors(processors: Processor[], appId: string): Promise<string[]> {
		const ids: string[] = [];
		for (const p of processors) {
			this.processors.set(p.id, { ...p, appId });
			ids.push(p.id);
			const startup = p.startupSetting;
			if (startup?.type === 'recurring') {
				await this.scheduleRecurring(
					{ id: p.id, interval: startup.interval, skipImmediate: startup.skipImmediate, data: startup.data },
					appId,
				);
			} else if (startup?.type === 'onetime' && !this.jobs.some((j) => j.processorId === p.id && !j.intervalMs)) {
				// scheduleOnceAfterRegister: only when no one-time job of that name is pending.
				await this.scheduleOnce({ id: p.id, when: startup.when, data: startup.data }, appId);
			}
		}
		return ids;
	}

	async scheduleOnce(job: { id: string; when?: string | Date; data?: Record<string, unknown> }, appId: string): Promise<string> {
		const runAt =
			job.when instanceof Date
				? job.when.getTime()
				: typeof job.when === 'string' && !Number.isNaN(Date.parse(job.when)) && /\d{4}-/.test(job.when)
					? Date.parse(job.when)
					: this.now + parseInterval(job.when ?? 0);
		return this.add({ appId, processorId: job.id, runAt, data: job.data });
	}

	async scheduleRecurring(
		job: { id: string; interval?: string | number; skipImmediate?: boolean; data?: Record<string, unknown> },
		appId: string,
	): Promise<string> {
		const intervalMs = parseInterval(job.interval ?? 0);
		// Agenda's `every` (RocketChat/Rocket.Chat packages/agenda: Job.ts `repeatEvery` and
		// `_computeFromInterval`, Agenda.ts `_saveSingleJob`): one 'single' job per name, upserted. Its next run is now + interval with `skipImmediate`, else now. A next run
		// in the future overwrites the stored one; one that is not ($setOnInsert) leaves a stored job's
		// next run as it was. So every registration with `skipImmediate` (each start of a server, each
		// load of the app) pushes the job's next run a whole interval on.
		const runAt = job.skipImmediate ? this.now + intervalMs : this.now;
		const stored = this.jobs.find((j) => j.processorId === job.id && j.intervalMs);
		if (!stored) return this.add({ appId, processorId: job.id, runAt, intervalMs, data: job.data });
		Object.assign(stored, { appId, intervalMs, data: job.data }, runAt > this.now ? { runAt } : {});
		if (this.auto) setImmediate(() => this.pump());
		return stored.jobId;
	}

	/**
	 * What a server's start does for an app that is enabled: the engine registers its processors
	 * again, without cancelling their jobs (only a disable cancels them); recurring jobs are saved again.
	 */
	async registerAgain(appId: string): Promise<void> {
		const processors = [...this.processors.values()].filter((p) => p.appId === appId);
		await this.registerProcessors(
			processors.map(({ appId: _appId, ...processor }) => processor),
			appId,
		);
	}

	private add(job: Omit<ScheduledJob, 'jobId'>): string {
		const jobId = randomUUID();
		this.jobs.push({ ...job, jobId });
		if (this.auto) setImmediate(() => this.pump());
		return jobId;
	}

	/** Every job run so far (by `advance`, `runRecurring` or running in real time): its processor, when it started (performance.now()), how long it took, whether it failed. */
	readonly runs: Array<{ processorId: string; ms: number; startedAt: number; failed: boolean }> = [];
	private auto?: { timer?: ReturnType<typeof setTimeout>; running: Map<string, Promise<void>> };

	/**
	 * Runs jobs in real time as they fall due, as Rocket.Chat's Agenda does on a server, until
	 * `stopRunning`: a job scheduled for now starts at once, a later one when its time comes, and at
	 * most one run per job name at a time (the bridge creates Agenda with `defaultConcurrency: 1`,
	 * apps/meteor/app/apps/server/bridges/scheduler.ts). Jobs of different names run side by side.
	 * The clock is not moved (no offset is added). For benchmarks and tests that drive the app as a
	 * server would, without stepping the clock.
	 */
	startRunning(): void {
		if (this.auto) return;
		this.auto = { running: new Map() };
		this.pump();
	}

	/** Stops starting jobs, and waits for the runs under way to end. */
	async stopRunning(): Promise<void> {
		const auto = this.auto;
		if (!auto) return;
		this.auto = undefined;
		if (auto.timer) clearTimeout(auto.timer);
		await Promise.all(auto.running.values());
	}

	/** Whether no job is due now and none is running (in real-time mode). */
	get idle(): boolean {
		return !this.auto?.running.size && !this.jobs.some((j) => !j.intervalMs && j.runAt <= this.now);
	}

	private pump(): void {
		const auto = this.auto;
		if (!auto) return;
		const now = this.now;
		const due = this.jobs.filter((j) => j.runAt <= now && !auto.running.has(j.processorId)).sort((a, b) => a.runAt - b.runAt);
		for (const job of due) {
			if (auto.running.has(job.processorId)) continue;
			if (job.intervalMs) job.runAt = now + Math.max(job.intervalMs, 1);
			else this.jobs.splice(this.jobs.indexOf(job), 1);
			const run = this.run(job).finally(() => {
				auto.running.delete(job.processorId);
				this.pump();
			});
			auto.running.set(job.processorId, run);
		}
		if (auto.timer) clearTimeout(auto.timer);
		const next = Math.min(...this.jobs.filter((j) => !auto.running.has(j.processorId)).map((j) => j.runAt));
		if (Number.isFinite(next)) auto.timer = setTimeout(() => this.pump(), Math.max(0, next - now));
	}

	async cancelJob(jobId: string): Promise<void> {
		// Agenda cancels by name: the engine passes the processor id.
		for (let i = this.jobs.length - 1; i >= 0; i--)
			if (this.jobs[i].jobId === jobId || this.jobs[i].processorId === jobId) this.jobs.splice(i, 1);
	}

	async cancelAllJobs(appId: string): Promise<void> {
		for (let i = this.jobs.length - 1; i >= 0; i--) if (this.jobs[i].appId === appId) this.jobs.splice(i, 1);
	}

	/** Advances the clock by `ms`, running every job that falls due, in time order. Returns how many ran. */
	async advance(ms: number, only: (job: ScheduledJob) => boolean = () => true): Promise<number> {
		let until = this.now + ms;
		let ran = 0;
		for (;;) {
			// Real time passes while jobs run: a job they schedule for "now" (`when: new Date()`) is due too.
			until = Math.max(until, this.now);
			const due = this.jobs.filter((j) => j.runAt <= until && only(j)).sort((a, b) => a.runAt - b.runAt)[0];
			if (!due) break;
			this.moveTo(due.runAt);
			if (due.intervalMs) due.runAt = this.now + Math.max(due.intervalMs, 1);
			else this.jobs.splice(this.jobs.indexOf(due), 1);
			await this.run(due);
			ran++;
		}
		this.moveTo(until);
		return ran;
	}

	/**
	 * Runs the app's recurring job `id` now, as Agenda does when its interval comes round (the clock
	 * does not move). The engine names processors `<id>_<appId>`. Fails when no such job is scheduled.
	 */
	async runRecurring(id: string): Promise<void> {
		const job = this.jobs.find((j) => j.intervalMs && (j.processorId === id || j.processorId === `${id}_${j.appId}`));
		if (!job) throw new Error(`harness scheduler: no recurring job ${id}`);
		await this.run(job);
	}

	/** Runs the jobs due now (including jobs scheduled for now while they run). */
	runDue(): Promise<number> {
		return this.advance(0);
	}

	/** Runs the jobs of the app's processor `id` (`<id>_<appId>` in the engine) due now, and no other. */
	runDueOf(id: string): Promise<number> {
		return this.advance(0, (j) => j.processorId === id || j.processorId === `${id}_${j.appId}`);
	}

	private async run(job: ScheduledJob): Promise<void> {
		const processor = this.processors.get(job.processorId);
		if (!processor) throw new Error(`harness scheduler: job ${job.jobId} names unknown processor ${job.processorId}`);
		const started = performance.now();
		let failed = false;
		try {
			await processor.processor({ ...(job.data ?? {}), jobId: job.jobId });
		} catch (error) {
			failed = true;
			this.failures.push({ jobId: job.jobId, processorId: job.processorId, error });
		} finally {
			this.runs.push({ processorId: job.processorId, ms: performance.now() - started, startedAt: started, failed });
		}
	}
}
