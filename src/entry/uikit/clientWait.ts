/**
 * How long Rocket.Chat's web client waits for the app, and what the app does when it took that long.
 *
 * The client takes an app's answer to the user's action, or a view the app pushes, only within 5 s
 * of the action (apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d
 * `TRIGGER_TIMEOUT`, the trigger id): later, it drops a pushed modal or an update silently, and
 * answers a submit itself with a timeout error, closing the modal. When the app took this long (the
 * trips to and from the client come on top), the user is also told in a notice what happened.
 */
import { ILogger, IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { notifyUser } from '../../adapters/factory';

export const CLIENT_MAY_DROP_MS = 4000;

/** Whether an answer to an action that reached the app at `startedAt` may come too late for the client. */
export const mayComeTooLate = (startedAt: number): boolean => Date.now() - startedAt >= CLIENT_MAY_DROP_MS;

/**
 * A notice to `user` in the room `roomId`; a failure to show it is logged (`what` names the flow),
 * never thrown: the answer to the client goes on.
 */
export async function noticeIn(
	acc: { read: IRead; modify: IModify; logger?: ILogger },
	notice: { user: IUser; roomId: string; text: string; what: string },
): Promise<void> {
	try {
		const room = await acc.read.getRoomReader().getById(notice.roomId);
		if (room) await notifyUser(acc, { user: notice.user, room, text: notice.text });
	} catch (error) {
		acc.logger?.error(`${notice.what}: notice not shown: ${error instanceof Error ? error.name : 'error'}`);
	}
}
