/** The scheduler jobs of the status pipeline and of message retention. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IProcessor, StartupType } from '@rocket.chat/apps-engine/definition/scheduler';

import { Rechecks } from '../../core/app/webhookBatch';
import { ELSEWHERE_RETRY_MS } from '../../core/app/roundClaims';
import { DeliverySummary } from '../../core/status/outbox';
import { DAY_MS, dayOf, daysToSweep, DIRECT_DAYS, newestExpiredDay } from '../../core/status/retention';
import { clockOf } from '../../adapters/persistence/clock';
import {
	checkUnansweredAt,
	DELIVER_STATUSES_JOB,
	deliverAt,
	deliverSoon,
	jobsOf,
	processAt,
	PROCESS_WEBHOOKS_JOB,
} from '../../adapters/build/jobs';
import {
	Accessors,
	deliverStatusesOf,
	processElsewhere,
	processWebhooksOf,
	runUnansweredCheck,
	sweepStalePending,
} from '../../adapters/build/webhooks';
import { appSettings } from '../../adapters/factory';
import { flushRefusals, logRefusal } from '../../adapters/refusals';
import { PersistenceCampaignStore } from '../../adapters/persistence/CampaignStore';
import { IdempotencyStore, newestSweepableDay } from '../../adapters/persistence/IdempotencyStore';
import { DraftStore } from '../../adapters/persistence/DraftStore';
import { MessageStore } from '../../adapters/persistence/MessageStore';
import { PersistenceOutboxStore } from '../../adapters/persistence/OutboxStore';
import { SweepMarks, SweptThrough, sweptThrough } from '../../adapters/persistence/SweepMarks';
import { Removal, RUN_BUDGET_MS, runRemovals, wallClock, whenAny } from '../../core/app/runBudget';
import { isUnansweredCheck, UNANSWERED_RETRY_MS, UnansweredCheck } from '../../core/app/unanswered';
import { DRAFT_DAYS_KEPT } from '../../core/app/sendTemplateModal';

export const EXPIRE_MESSAGES_JOB = 'expire-messages';
export { DELIVER_STATUSES_JOB };

/**
 * Where a retention run left off, for the run it asks for: the time and the retention its list of work
 * was made for, how far earlier clean-ups had got then (the list starts after it), the step to resume
 * at, and which kinds of days had all their removals done so far (`clean`: only those marks move on).
 */
export interface RetentionCursor {
	at: number;
	step: number;
	retentionMs?: number;
	swept?: SweptThrough;
	clean?: { days: boolean; keys: boolean; drafts?: boolean };
}

/**
 * Removes what is older than the retention setting (whole days): the message records of the days
 * past it, the status events that failed on those days (kept until then for an admin's requeue), the
 * campaigns that finished before it; the send-template modals' drafts left behind (DRAFT_DAYS_KEPT);
 * and templateMessage's idempotency keys a day past their 24 hours. Days go from the newest past the limit back to where the last clean-up that removed all of
 * them got (SweepMarks; core/status/retention.ts `daysToSweep`: the first time, a year and a month
 * back), so no day is left behind when runs were missed or the setting was lowered. Bounded like every
 * run (core/app/runBudget.ts `runRemovals`): once RUN_BUDGET_MS is spent it stops and answers where
 * (`next`), and the next run resumes there, on the same list of work, unless the setting was raised
 * meanwhile (the chain then ends: the next day's run starts from the marks). A removal that failed is
 * logged and passed; its kind's mark then does not move on past it, and the next day's run looks at
 * those days again. Answers how many records went.
 */
export async function expireRecords(
	read: IRead,
	persistence: IPersistence,
	options: { now?: number; from?: RetentionCursor; timer?: () => number; budgetMs?: number; logger?: ILogger } = {},
): Promise<{ removed: number; next?: RetentionCursor }> {
	const from = options.from;
	const at = from?.at ?? options.now ?? Date.now();
	const timer = options.timer ?? wallClock;
	const deadline = timer() + (options.budgetMs ?? RUN_BUDGET_MS);
	const spent = () => timer() >= deadline;
	const reader = read.getPersistenceReader();
	const marks = new SweepMarks(reader, persistence);
	const setting = await appSettings(read).get('messageRetentionMs');
	if (from?.retentionMs !== undefined && setting > from.retentionMs) return { removed: 0 };
	const retentionMs = from?.retentionMs ?? setting;
	// A mark past what any clean-up at this time could have reached (a clock that ran ahead) is none.
	const stored = from ? (from.swept ?? {}) : await marks.get();
	const swept: SweptThrough = sweptThrough(stored as Record<string, unknown>, (day) => day <= newestSweepableDay(at));
	const messages = new MessageStore(reader, persistence);
	const campaigns = new PersistenceCampaignStore(reader, persistence);
	const outbox = new PersistenceOutboxStore(reader, persistence);
	const days = daysToSweep(newestExpiredDay(retentionMs, at), swept.days);
	const keyDays = daysToSweep(newestSweepableDay(at), swept.keys);
	const dayRemovals: Removal[] = days.flatMap((day, i) => {
		const removals = [...messages.dayRemovals(day), outbox.failedDayRemoval(day)];
		if (i < DIRECT_DAYS) return removals;
		return [whenAny(async () => (await messages.hasDay(day)) || (await outbox.hasFailedDay(day)), removals)];
	});
	const keyRemovals = new IdempotencyStore(reader, persistence).sweepSteps(newestSweepableDay(at), keyDays, DIRECT_DAYS);
	// The send-template modals' drafts left behind (their parameters, one-time codes included), by the
	// day they opened, back to where the last clean-up of them got: none is left when runs were missed.
	const drafts = new DraftStore(reader, persistence);
	const draftDays = daysToSweep(dayOf(at - DRAFT_DAYS_KEPT * DAY_MS), swept.drafts);
	const draftRemovals: Removal[] = draftDays.map((day, i) =>
		i < DIRECT_DAYS ? drafts.dayRemoval(day) : whenAny(() => drafts.hasDay(day), [drafts.dayRemoval(day)]),
	);
	const removals: Removal[] = [
		...dayRemovals,
		(stop) => campaigns.removeFinishedBefore(at - retentionMs, stop),
		...draftRemovals,
		...keyRemovals,
	];
	const onError = (error: unknown) =>
		options.logger?.error(
			`retention: a removal failed, its records are looked at again tomorrow: ${error instanceof Error ? error.message : 'error'}`,
		);
	const run = await runRemovals(removals, spent, from?.step, onError);
	// The campaigns' removal (after the days') belongs to no kind of days.
	const draftSteps = (step: number) => step > dayRemovals.length && step <= dayRemovals.length + draftRemovals.length;
	const clean = {
		days: (from?.clean?.days ?? true) && !run.passed.some((step) => step < dayRemovals.length),
		keys: (from?.clean?.keys ?? true) && !run.passed.some((step) => step > dayRemovals.length + draftRemovals.length),
		drafts: (from?.clean?.drafts ?? true) && !run.passed.some(draftSteps),
	};
	if (run.next !== undefined) return { removed: run.removed, next: { at, step: run.next, retentionMs, swept, clean } };
	// A kind whose removals were all done: its mark moves on to its newest day. Else a kind without a
	// mark gets the day before its list (the days before were taken as removed, as a run with no mark
	// takes them), so that the next runs look back as far, to what was left.
	const mark = (list: string[], done: boolean, kind?: string) =>
		!list.length ? undefined : done ? list[0] : kind ? undefined : dayOf(Date.parse(`${list[list.length - 1]}T00:00:00.000Z`) - DAY_MS);
	const next: SweptThrough = {};
	const daysMark = mark(days, clean.days, swept.days);
	const keysMark = mark(keyDays, clean.keys, swept.keys);
	const draftsMark = mark(draftDays, clean.drafts, swept.drafts);
	if (daysMark) next.days = daysMark;
	if (keysMark) next.keys = keysMark;
	if (draftsMark) next.drafts = draftsMark;
	if (Object.keys(next).length) await marks.advance(next, newestSweepableDay(at));
	return { removed: run.removed };
}

/** The cursor a retention run left to the run it asked for (the job's data), if it is one. */
export function retentionCursorOf(job: unknown): RetentionCursor | undefined {
	const { at, step, retentionMs, swept, clean } = (job ?? {}) as Partial<Record<keyof RetentionCursor, unknown>>;
	if (!Number.isFinite(at) || !Number.isInteger(step) || (step as number) < 0) return undefined;
	// A cursor of an earlier version ({ at, step }, a week's list of work): its step means nothing in
	// this version's list, so the run starts over (removals are idempotent).
	if (typeof swept !== 'object' || swept === null || typeof clean !== 'object' || clean === null) return undefined;
	const marks = (swept ?? {}) as Record<string, unknown>;
	const kinds = (clean ?? {}) as Record<string, unknown>;
	// One of the version before the drafts' own days ({ days, keys }): its list had a week of draft
	// days, so its step points elsewhere in this version's list.
	if (typeof kinds.drafts !== 'boolean') return undefined;
	// Whole days, one at least: what the setting gives (core/status/retention.ts retentionMsFromDays).
	const wholeDays = typeof retentionMs === 'number' && Number.isInteger(retentionMs / DAY_MS) && retentionMs >= DAY_MS;
	return {
		at: at as number,
		step: step as number,
		...(wholeDays ? { retentionMs: retentionMs as number } : {}),
		swept: sweptThrough(marks),
		clean: { days: kinds.days !== false, keys: kinds.keys !== false, drafts: kinds.drafts !== false },
	};
}

/** What has the app's log: the app itself, or what the runtime binds a job's `this` to. */
export type LoggerSource = { getLogger?: () => ILogger };

/**
 * The app log of a job run. Engines 1.62+ call processors with `this` bound to the app wrapped for
 * that run, whose `getLogger()` is the run's log. Older runtimes (1.53.1, 1.59.0) give no `this`; they
 * set the app's logger to the log of the latest request and send that log with each answer
 * (deno-runtime/main.ts `requestRouter`, lib/messenger.ts), so there the entries go to the app's
 * logger of the moment: when an event fired by the job (a message it posted) is handled meanwhile, the
 * entries are sent with that event's log rather than lost with the job's.
 */
export function jobLogger(self: unknown, app?: LoggerSource): ILogger | undefined {
	const bound = self as LoggerSource | undefined;
	if (typeof bound?.getLogger === 'function') return bound.getLogger();
	if (typeof app?.getLogger === 'function') return currentLog(app as Required<LoggerSource>);
	return undefined;
}

/** A log that writes, at each call, to the app's logger of that moment. */
function currentLog(app: Required<LoggerSource>): ILogger {
	return new Proxy({} as ILogger, {
		get: (_target, name) => {
			const logger = app.getLogger() as unknown as Record<PropertyKey, unknown>;
			const value = logger[name];
			return typeof value === 'function' ? value.bind(logger) : value;
		},
	});
}

/** The runs this runtime asked for held statuses: one ahead at a time (core/app/webhookBatch.ts Rechecks). */
const rechecks = new Rechecks();

/**
 * The stored webhooks that are due, within the run's budget (core/app/runBudget.ts); another run is
 * asked for while some are left, or for when statuses held for an earlier one are due again, and a
 * delivery round for what they queued (the delivery job, which runs beside this one). Events that failed (retried later, or dropped after their last attempt) make
 * the run fail visibly, once everything else was done: the engine writes the error to the app's log.
 */
async function processWebhooks(acc: Accessors, check?: UnansweredCheck): Promise<void> {
	const clock = await clockOf(acc.read);
	let checked = false;
	// First in the run, in its gate: a check asked for, and (hourly) the sends left pending.
	const first = async (stop: () => boolean) => {
		if (check) {
			checked = true;
			await runUnansweredCheck(acc, check, clock);
		}
		await sweepStalePending(acc, clock, stop);
	};
	let result: Awaited<ReturnType<typeof processWebhooksOf>> | undefined;
	try {
		result = await processWebhooksOf(acc, clock, first);
	} finally {
		// Another run of this runtime was under way, or the run failed before it: the check in a run of
		// its own, a minute on; another instance's run was: a second on, as this instance's next run.
		if (check && !checked)
			await checkUnansweredAt(acc.modify, check, clock.now() + (result?.elsewhere ? ELSEWHERE_RETRY_MS : UNANSWERED_RETRY_MS));
	}
	const { problems, more, recheckAt, elsewhere } = result;
	if (elsewhere) {
		// Another instance's run: this one again a second later (its run listed the webhooks before this instance stored some).
		const at = clock.now() + ELSEWHERE_RETRY_MS;
		if (processElsewhere.ask(at, clock.now()))
			await processAt(acc.modify, at).catch((error: unknown) => {
				// Not scheduled: webhooks stored meanwhile ask for runs of their own again.
				processElsewhere.forget();
				throw error;
			});
		return;
	}
	if (more) await jobsOf(acc.modify).processSoon();
	if (recheckAt !== undefined && rechecks.ask(recheckAt, clock.now())) await processAt(acc.modify, recheckAt);
	await deliverSoon(acc.modify);
	if (problems.length) throw new Error(problems.join('; '));
}

/**
 * What the admin's log says of a delivery round that went wrong (at most a line a minute each): POSTs
 * that all failed (the receiver down, refusing, or the URL wrong), and events given up after the
 * retry window. Counts only: never the URL (it may carry credentials) nor a payload.
 */
function logDeliveryTrouble(logger: ILogger | undefined, summary: DeliverySummary): void {
	if (summary.retried && !summary.delivered)
		logRefusal(
			logger,
			'delivery-failing',
			`status callbacks: ${summary.retried} POST(s) to the Message Status Endpoint URL failed and are retried; /whatsapp deliveries shows them and their last error`,
		);
	if (summary.failed)
		logRefusal(
			logger,
			'delivery-expired',
			`status callbacks: ${summary.failed} event(s) not delivered within the retry window were given up; /whatsapp deliveries lists them, and /whatsapp deliveries retry sends them again`,
		);
}

/** The rounds this runtime asked for after another instance's round kept it off: one ahead at a time. */
const elsewhereRetries = new Rechecks();

/**
 * A delivery round within the run's budget, again at once while due events are left, and a second
 * later when another instance's round was under way (it may have listed the due events before this
 * runtime stored some). The recurring run (every 30 s) also asks for a processing run, which
 * retries stored webhooks whose processing failed.
 */
async function deliverStatuses(acc: Accessors, deliverOnly: boolean): Promise<void> {
	const clock = await clockOf(acc.read);
	const summary = await deliverStatusesOf(acc, clock);
	if (summary && typeof summary === 'object') logDeliveryTrouble(acc.logger, summary);
	if (summary === 'elsewhere') {
		const at = clock.now() + ELSEWHERE_RETRY_MS;
		if (elsewhereRetries.ask(at, clock.now())) await deliverAt(acc.modify, at);
	} else if (summary && summary !== 'busy' && summary.more) await deliverSoon(acc.modify);
	if (deliverOnly) return;
	await jobsOf(acc.modify).processSoon();
	// A burst of refusals whose last minute no later refusal reported.
	flushRefusals(acc.logger);
}

/** `app`: the app, whose log a job run writes to on engines that give processors no `this` (see jobLogger). */
export function statusProcessors(app?: LoggerSource): IProcessor[] {
	return [
		{
			id: PROCESS_WEBHOOKS_JOB,
			// `function`, not an arrow: `this` is the app on engines 1.62+ (see jobLogger).
			processor: async function (this: unknown, job, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence) {
				// A run asked for with a check of sends without Meta's answer (core/app/unanswered.ts) does it first.
				const check = (job as { unanswered?: unknown } | undefined)?.unanswered;
				await processWebhooks(
					{ read, modify, http, persistence, logger: jobLogger(this, app) },
					isUnansweredCheck(check) ? check : undefined,
				);
			},
		},
		{
			id: DELIVER_STATUSES_JOB,
			startupSetting: { type: StartupType.RECURRING, interval: '30 seconds', skipImmediate: true },
			processor: async function (this: unknown, job, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence) {
				const deliverOnly = (job as { deliverOnly?: unknown } | undefined)?.deliverOnly === true;
				await deliverStatuses({ read, modify, http, persistence, logger: jobLogger(this, app) }, deliverOnly);
			},
		},
		{
			id: EXPIRE_MESSAGES_JOB,
			// Not `skipImmediate`: Agenda would then move the next run a day on at every registration
			// (each start of a server, each load of the app), and a server started daily would never run it.
			// Without it, a registration keeps a stored job's next run (a new one runs at once).
			startupSetting: { type: StartupType.RECURRING, interval: '1 day', skipImmediate: false },
			processor: async function (this: unknown, job, read: IRead, modify: IModify, _http: IHttp, persistence: IPersistence) {
				const from = retentionCursorOf(job);
				const { next } = await expireRecords(read, persistence, { ...(from ? { from } : {}), logger: jobLogger(this, app) });
				// The rest in a run of its own, at once, where this one stopped.
				if (next) await modify.getScheduler().scheduleOnce({ id: EXPIRE_MESSAGES_JOB, when: new Date(), data: { ...next } });
			},
		},
	];
}
