/** The automatic messages (core/app/autoMessages.ts) for one handler run. */
import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';

import { AutoMessages } from '../../core/app/autoMessages';
import { FreeFormSender } from '../../core/app/freeForm';
import { systemClock } from '../../core/app/ports';
import { MessageStore } from '../persistence/MessageStore';
import { NumberStore } from '../persistence/NumberStore';
import { WindowStore } from '../persistence/WindowStore';
import { RocketChatConversations } from '../rocketchat/conversations';
import { freeFormSenderOf, SendAccessors } from './freeForm';

export async function autoMessagesOf(
	acc: SendAccessors & { logger?: ILogger; appId?: string; sender?: FreeFormSender },
): Promise<AutoMessages> {
	const reader = acc.read.getPersistenceReader();
	return new AutoMessages({
		sender: acc.sender ?? (await freeFormSenderOf(acc)),
		marks: new MessageStore(reader, acc.persistence),
		conversations: new RocketChatConversations({
			read: acc.read,
			modify: acc.modify,
			persistence: acc.persistence,
			appId: acc.appId ?? '',
		}),
		numbers: new NumberStore(reader),
		windows: new WindowStore(reader, acc.persistence),
		clock: systemClock,
		logger: acc.logger,
	});
}
