/** The window notices (core/app/window.ts WindowNotices) over the engine's scheduler and rooms. */
import { IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { systemClock } from '../../core/app/ports';
import { WindowNotices } from '../../core/app/window';
import { appSettings, workspaceTranslator } from '../factory';
import { WindowStore } from '../persistence/WindowStore';
import { RocketChatConversations } from '../rocketchat/conversations';

/** The job that posts a window notice in a contact's room. */
export const WINDOW_NOTICE_JOB = 'window-notice';

export function windowNoticesOf(acc: { read: IRead; modify: IModify; persistence: IPersistence; appId?: string }): WindowNotices {
	return new WindowNotices({
		windows: new WindowStore(acc.read.getPersistenceReader(), acc.persistence),
		scheduler: {
			schedule: (job, when) =>
				acc.modify
					.getScheduler()
					.scheduleOnce({ id: WINDOW_NOTICE_JOB, when: new Date(when), data: { ...job } })
					.then(() => undefined),
		},
		settings: appSettings(acc.read),
		clock: systemClock,
		conversations: new RocketChatConversations({
			read: acc.read,
			modify: acc.modify,
			persistence: acc.persistence,
			appId: acc.appId ?? '',
		}),
		translator: () => workspaceTranslator(acc.read),
	});
}
