/** The scheduler jobs of the status pipeline and of message retention. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IProcessor, StartupType } from '@rocket.chat/apps-engine/definition/scheduler';

import { expiredDays } from '../../core/status/retention';
import { clockOf } from '../../adapters/build/clock';
import { DELIVER_STATUSES_JOB, deliverSoon, jobsOf, PROCESS_WEBHOOKS_JOB } from '../../adapters/build/jobs';
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

/**
 * The app log of a job run: the Deno runtime calls processors with `this` bound to the app, whose
 * `getLogger()` is then the log of that run. Older runtimes give no `this`: no log.
 */
export function jobLogger(self: unknown): ILogger | undefined {
	const app = self as { getLogger?: () => ILogger } | undefined;
	return typeof app?.getLogger === 'function' ? app.getLogger() : undefined;
}

/**
 * The stored webhooks that are due, within the run's budget (core/app/runBudget.ts); another run is
 * asked for while some are left, and a delivery round for what they queued (the delivery job, which
 * runs beside this one). Events that failed (retried later, or dropped after their last attempt) make
 * the run fail visibly, once everything else was done: the engine writes the error to the app's log.
 */
async function processWebhooks(acc: Accessors): Promise<void> {
	const { problems, more } = await processWebhooksOf(acc, await clockOf(acc.read));
	if (more) await jobsOf(acc.modify).processSoon();
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

export function statusProcessors(): IProcessor[] {
	return [
		{
			id: PROCESS_WEBHOOKS_JOB,
			// `function`, not an arrow: `this` is the app (see jobLogger).
			processor: async function (this: unknown, _job, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence) {
				await processWebhooks({ read, modify, http, persistence, logger: jobLogger(this) });
			},
		},
		{
			id: DELIVER_STATUSES_JOB,
			startupSetting: { type: StartupType.RECURRING, interval: '30 seconds', skipImmediate: true },
			processor: async function (this: unknown, job, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence) {
				const deliverOnly = (job as { deliverOnly?: unknown } | undefined)?.deliverOnly === true;
				await deliverStatuses({ read, modify, http, persistence, logger: jobLogger(this) }, deliverOnly);
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
