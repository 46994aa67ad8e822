/** The scheduler as the services see it (core/app/ports.ts Jobs). */
import { IModify } from '@rocket.chat/apps-engine/definition/accessors';

import { Jobs } from '../../core/app/ports';

/** The job that processes stored webhooks and delivers queued status events. */
export const PROCESS_WEBHOOKS_JOB = 'process-webhooks';

export function jobsOf(modify: IModify): Jobs {
	return { processSoon: async () => void (await modify.getScheduler().scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date() })) };
}
