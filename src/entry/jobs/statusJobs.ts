/** The scheduler jobs of the status pipeline and of message retention. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IProcessor, StartupType } from '@rocket.chat/apps-engine/definition/scheduler';

import { expiredDays } from '../../core/status/retention';
import { clockOf } from '../../adapters/build/clock';
import { PROCESS_WEBHOOKS_JOB } from '../../adapters/build/jobs';
import { Accessors, deliverStatusesOf, processWebhooksOf } from '../../adapters/build/webhooks';
import { appSettings } from '../../adapters/factory';
import { MessageStore } from '../../adapters/persistence/MessageStore';

export const EXPIRE_MESSAGES_JOB = 'expire-messages';
/** Delivers due status events and retries stored webhooks whose processing failed. */
export const DELIVER_STATUSES_JOB = 'deliver-statuses';

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
 * The stored webhooks that are due, then a delivery round. Events that failed (retried later, or
 * dropped after their last attempt) make the run fail visibly, once everything else was done: the
 * engine writes the error to the app's log.
 */
async function processWebhooks(acc: Accessors): Promise<void> {
	const clock = await clockOf(acc.read);
	const { problems } = await processWebhooksOf(acc, clock);
	await deliverStatusesOf(acc, clock);
	if (problems.length) throw new Error(problems.join('; '));
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
			processor: async function (this: unknown, _job, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence) {
				// Deliver first; then retry stored webhooks whose processing failed.
				await deliverStatusesOf({ read, http, persistence }, await clockOf(read));
				await processWebhooks({ read, modify, http, persistence, logger: jobLogger(this) });
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
