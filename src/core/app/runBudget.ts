/**
 * How long one scheduler job run may work. Rocket.Chat's engine gives every call into the app's Deno
 * runtime 30 s (`getRuntimeTimeout` in @rocket.chat/apps-engine
 * server/runtime/deno/AppsEngineDenoRuntime.ts: 30000 ms unless APPS_ENGINE_RUNTIME_TIMEOUT says
 * otherwise). A run past it is reported as timed out while the runtime goes on working, and Agenda
 * starts the next run of the job beside it: two runs on the same work. So a run stops taking new
 * work after RUN_BUDGET_MS, well under the timeout, and asks for another run while work remains.
 * 8 s leaves the work already started room to end: a status POST or a Graph call answers in well
 * under a second, so a run lasts about 10 s at most; at worst one started just before the budget
 * ran out times out after 10 s (a run of 18 s), still well under 30 s.
 */
export const RUN_BUDGET_MS = 8000;

/** A run under way this long is taken to be stuck (RunGate): ten times the engine's timeout. */
export const RUN_STALE_AFTER_MS = 5 * 60000;

/** Real elapsed time for budgets (the services' Clock may be moved by tests; a budget is wall time). */
export const wallClock = (): number => Date.now();

/**
 * One run of a job at a time in a runtime. Agenda runs one run of a job name at a time in an
 * instance (its `defaultConcurrency: 1`; instances of a cluster each take due jobs, so runs on two
 * instances may go side by side: delivery.ts `RoundClaims`), but the engine stops waiting for a run
 * at 30 s while the runtime goes on working, and Agenda then starts the next run beside it. Two runs over the same work would POST an event twice
 * (persistence has no atomic update) or take a newer stored webhook before an older one the first
 * run still holds (a late `delivered` after `read` is then dropped as a regression). So a run that
 * finds another under way leaves at once ('busy'), and the one under way answers `more`, so that its
 * job runs again and takes what arrived meanwhile. A run still under way after `staleAfterMs` (far
 * past any budget: a call into the host that never came back) no longer holds the gate, so that a
 * stuck run cannot stop the job for as long as the runtime lives. New work that arrives while a run
 * is under way joins it (`join`) rather than asking for a run of its own. A run may give the gate up
 * before it ends (`release`, given to the work): it has handed its work to a run it asked for, and
 * only finishes what it began.
 */
export class RunGate<T extends { more: boolean }> {
	/** The run under way: when it started, and its turn (a run taken over must not free the gate of the one after). */
	private current?: { startedAt: number; turn: number };
	private turns = 0;
	private missed = false;
	private owed = false;

	constructor(
		private readonly staleAfterMs = RUN_STALE_AFTER_MS,
		private readonly timer: () => number = wallClock,
	) {}

	async run(work: (release: () => void) => Promise<T>): Promise<T | 'busy'> {
		if (this.join()) return 'busy';
		const turn = ++this.turns;
		this.current = { startedAt: this.timer(), turn };
		this.missed = false;
		this.owed = false;
		// Released: the gate, and what it turned away from then on, belong to the runs after.
		const holds = () => this.current?.turn === turn;
		const release = () => {
			if (holds()) this.current = undefined;
		};
		try {
			const result = await work(release);
			return holds() && this.missed ? { ...result, more: true } : result;
		} catch (error) {
			// A run that fails cannot answer `more`: what it turned away is owed a run (`takeOwed`).
			if (this.missed && holds()) this.owed = true;
			throw error;
		} finally {
			release();
		}
	}

	/**
	 * New work for the job: when a run is under way, it answers `more` at its end (its job runs again
	 * and takes the work), and this answers true, so that nobody else need ask for a run; false when
	 * no run is under way (or the one under way is stuck), and the caller asks for one.
	 */
	join(): boolean {
		if (!this.current || this.timer() - this.current.startedAt >= this.staleAfterMs) return false;
		this.missed = true;
		return true;
	}

	/** Whether a run failed after it turned work away, which then needs a run of its own; asking clears it. */
	takeOwed(): boolean {
		const owed = this.owed;
		this.owed = false;
		return owed;
	}
}

/** One removal of a bounded clean-up (the retention job's): how many records went, and whether all did. */
export type Removal = (stop: () => boolean) => Promise<{ removed: number; done: boolean }>;

/**
 * Removals one after another, from `first`, until `spent` (the run's budget; each removal is handed
 * it, to end early): `next` is where the next run resumes, absent when all are done. A removal the
 * run could not finish is resumed where it was: by the next run, as its first. A first removal that
 * removed nothing and did not finish is passed, and so is one that failed (`onError` is told): a
 * later clean-up looks at them again; `passed` lists them. The first is always tried, however long
 * the run's set-up took. So every run of a chain makes progress (records removed, or its first
 * removal passed): a server that removes one record per call, answers slowly or fails a call never
 * keeps a chain going over the same removal.
 */
export async function runRemovals(
	removals: Removal[],
	spent: () => boolean,
	first = 0,
	onError?: (error: unknown) => void,
): Promise<{ removed: number; passed: number[]; next?: number }> {
	let removed = 0;
	const passed: number[] = [];
	for (let step = first; step < removals.length; step++) {
		if (step > first && spent()) return { removed, passed, next: step };
		let outcome: { removed: number; done: boolean };
		try {
			outcome = await removals[step](spent);
		} catch (error) {
			onError?.(error);
			passed.push(step);
			continue;
		}
		removed += outcome.removed;
		if (outcome.done) continue;
		if (outcome.removed || step > first) return { removed, passed, next: step };
		passed.push(step);
		return { removed, passed, next: step + 1 };
	}
	return { removed, passed };
}

/**
 * `removals` as one, run only when `any` finds records (one read: a day long past, likely empty,
 * costs that read alone); `done` once all are.
 */
export function whenAny(any: () => Promise<boolean>, removals: Removal[]): Removal {
	return async (stop) => {
		if (!(await any())) return { removed: 0, done: true };
		let removed = 0;
		for (const [i, removal] of removals.entries()) {
			// The first is always tried once records were found (so is a chain's first removal).
			if (i > 0 && stop()) return { removed, done: false };
			const outcome = await removal(stop);
			removed += outcome.removed;
			if (!outcome.done) return { removed, done: false };
		}
		return { removed, done: true };
	};
}
