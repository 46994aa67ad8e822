/**
 * The window notice job: shows the agents when a contact's 24-hour window closes (core/app/window.ts
 * WindowNotices decides what and when). Here only the scheduler's call becomes the service's.
 */
import { IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IJobContext, IProcessor } from '@rocket.chat/apps-engine/definition/scheduler';

import { noticeJobOf } from '../../core/app/window';
import { WINDOW_NOTICE_JOB, windowNoticesOf } from '../../adapters/build/windowNotices';

export { WINDOW_NOTICE_JOB };

export function windowProcessors(): IProcessor[] {
	return [
		{
			id: WINDOW_NOTICE_JOB,
			processor: async (jobContext: IJobContext, read: IRead, modify: IModify, _http, persistence: IPersistence) => {
				const job = noticeJobOf(jobContext);
				if (job) await windowNoticesOf({ read, modify, persistence }).run(job);
			},
		},
	];
}
