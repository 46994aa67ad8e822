/** The scheduler as the services see it (core/app/ports.ts Jobs), and the status jobs' own rescheduling. */
import { IModify } from '@rocket.chat/apps-engine/definition/accessors';

import { Jobs } from '../../core/app/ports';
import { UnansweredCheck } from '../../core/app/unanswered';

/** The job that processes stored webhooks (and then asks for a delivery round). */
export const PROCESS_WEBHOOKS_JOB = 'process-webhooks';
/** The job that delivers due status events: every 30 s, and at once after processing or while a backlog remains. */
export const DELIVER_STATUSES_JOB = 'deliver-statuses';

/**
 * A one-time run of a job, now. Agenda runs one run of a job name at a time in an instance
 * (Rocket.Chat creates it with `defaultConcurrency: 1`, apps/meteor/app/apps/server/bridges/scheduler.ts):
 * a run asked for while one is under way there starts after it; runs of the two jobs go side by
 * side, and so may runs of one job on two instances of a cluster.
 */
async function soon(modify: IModify, id: string, data?: Record<string, unknown>): Promise<void> {
	await modify.getScheduler().scheduleOnce({ id, when: new Date(), ...(data ? { data } : {}) });
}

/** A one-time processing run at `at` (ms since the epoch): for statuses held until then (core/app/webhookBatch.ts `recheckAt`). */
export const processAt = (modify: IModify, at: number): Promise<void> =>
	modify
		.getScheduler()
		.scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date(at) })
		.then(() => undefined);

export function jobsOf(modify: IModify): Jobs {
	return { processSoon: () => soon(modify, PROCESS_WEBHOOKS_JOB) };
}

/** A delivery round soon, apart from the recurring one (`deliverOnly`: it does not start processing). */
export const deliverSoon = (modify: IModify): Promise<void> => soon(modify, DELIVER_STATUSES_JOB, { deliverOnly: true });

/** A delivery round at `at` (ms since the epoch): for a round that left because another instance's was under way. */
export const deliverAt = (modify: IModify, at: number): Promise<void> =>
	modify
		.getScheduler()
		.scheduleOnce({ id: DELIVER_STATUSES_JOB, when: new Date(at), data: { deliverOnly: true } })
		.then(() => undefined);

/**
 * The check of a batch whose send got no answer from Meta (core/app/unanswered.ts), at `at`: a run
 * of the processing job with the check in its data, so that no other processing run (which links
 * pending sends by Meta's statuses) overlaps it. Agenda keeps each one-time job (`schedule` makes a
 * new one each time), so a check is never merged into another run.
 */
export const checkUnansweredAt = (modify: IModify, check: UnansweredCheck, at: number): Promise<void> =>
	modify
		.getScheduler()
		.scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date(at), data: { unanswered: { ...check } } })
		.then(() => undefined);
