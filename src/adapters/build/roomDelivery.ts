/** The delivery state in the room (core/app/roomDelivery.ts) over the engine's message updater, for one run. */
import { ILogger, IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { RoomDelivery } from '../../core/app/roomDelivery';
import { appSettings, workspaceTranslator } from '../factory';
import { roomMessagesOf } from '../rocketchat/roomMessages';

export function roomDeliveryOf(acc: { read: IRead; modify: IModify; logger?: ILogger }): RoomDelivery {
	return new RoomDelivery({
		messages: roomMessagesOf(acc),
		settings: appSettings(acc.read),
		translator: () => workspaceTranslator(acc.read),
		logger: acc.logger,
	});
}
