/** The scheduler jobs of the status pipeline and of message retention. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IProcessor, StartupType } from '@rocket.chat/apps-engine/definition/scheduler';

import { Rechecks } from '../../core/app/webhookBatch';
import { expiredDays } from '../../core/status/retention';
import { clockOf } from '../../adapters/build/clock';
import { DELIVER_STATUSES_JOB, deliverSoon, jobsOf, processAt, PROCESS_WEBHOOKS_JOB } from '../../adapters/build/jobs';
import { Accessors, deliverStatusesOf, processWebhooksOf } from '../../adapters/build/webhooks';
import { appSettings } from '../../adapters/factory';
import { MessageStore } from '../../adapters/persistence/MessageStore';

export const EXPIRE_MESSAGES_JOB = 'expire-messages';
export { DELIVER_STATUSES_JOB };

/** Removes message records older than the retention setting (whole days). Returns how many. */
export async function expireMessages(read: IRead, persistence: IPersistence, now = Date.now()): Promise<number> {
	const retentionMs = await appSettings(read).get('messageRetentionMs');
	const store = new MessageStore(read.getPersistenceReader(), persistence);
	let removed = 0;
	for (const day of expiredDays(retentionMs, now)) removed += await store.removeDay(day);
	return removed;
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
async function processWebhooks(acc: Accessors): Promise<void> {
	const clock = await clockOf(acc.read);
	const { problems, more, recheckAt } = await processWebhooksOf(acc, clock);
	if (more) await jobsOf(acc.modify).processSoon();
	if (recheckAt !== undefined && rechecks.ask(recheckAt, clock.now())) await processAt(acc.modify, recheckAt);
	await deliverSoon(acc.modify);
	if (problems.length) throw new Error(problems.join('; '));
}

/**
 * A delivery round within the run's budget, again at once while due events are left. The recurring
 * run (every 30 s) also asks for a processing run, which retries stored webhooks whose processing failed.
 */
async function deliverStatuses(acc: Accessors, deliverOnly: boolean): Promise<void> {
	const summary = await deliverStatusesOf(acc, await clockOf(acc.read));
	if (summary && summary !== 'busy' && summary.more) await deliverSoon(acc.modify);
	if (!deliverOnly) await jobsOf(acc.modify).processSoon();
}

/** `app`: the app, whose log a job run writes to on engines that give processors no `this` (see jobLogger). */
export function statusProcessors(app?: LoggerSource): IProcessor[] {
	return [
		{
			id: PROCESS_WEBHOOKS_JOB,
			// `function`, not an arrow: `this` is the app on engines 1.62+ (see jobLogger).
			processor: async function (this: unknown, _job, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence) {
				await processWebhooks({ read, modify, http, persistence, logger: jobLogger(this, app) });
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
			startupSetting: { type: StartupType.RECURRING, interval: '1 day', skipImmediate: true },
			processor: async (_job, read: IRead, _modify: IModify, _http: IHttp, persistence: IPersistence) =>
				void (await expireMessages(read, persistence)),
		},
	];
}
