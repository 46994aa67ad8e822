/** The relay of agents' replies (core/app/replies.ts) for one event. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { systemClock } from '../../core/app/ports';
import { ReplyAgent, ReplyRelay, ReplyRoom } from '../../core/app/replies';
import { appSettings, graphBaseUrl, graphFactory, notifyUser, userTranslator } from '../factory';
import { MessageStore } from '../persistence/MessageStore';
import { NumberStore } from '../persistence/NumberStore';
import { consumeOwnPost } from '../persistence/ownPosts';
import { WindowStore } from '../persistence/WindowStore';
import { messageFiles } from '../engine/newerApis';
import { freeFormSenderOf } from './freeForm';
import { roomDeliveryOf } from './roomDelivery';

/** The reply's agent and room, with the engine's user and room (the entry builds them). */
export interface EngineReplyAgent extends ReplyAgent {
	engine: IUser;
}
export interface EngineReplyRoom extends ReplyRoom {
	engine: IRoom;
}

export async function replyRelayOf(acc: {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: ILogger;
}): Promise<ReplyRelay> {
	const reader = acc.read.getPersistenceReader();
	const uploads = acc.read.getUploadReader();
	return new ReplyRelay({
		ownPosts: { consume: (post) => consumeOwnPost(reader, acc.persistence, post) },
		numbers: new NumberStore(reader),
		windows: new WindowStore(reader, acc.persistence),
		messages: new MessageStore(reader, acc.persistence),
		files: {
			info: async (fileId) => {
				const upload = await uploads.getById(fileId);
				return upload
					? { type: upload.type, size: upload.size === undefined || upload.size === null ? undefined : Number(upload.size) }
					: undefined;
			},
			bytes: async (fileId) => {
				const bytes = await uploads.getBufferById(fileId);
				return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
			},
			fileOfMessage: async (messageId) => {
				const message = await acc.read.getMessageReader().getById(messageId);
				return message && (message.file?._id ?? messageFiles(message)?.[0]?._id);
			},
		},
		sender: await freeFormSenderOf(acc),
		graph: await graphFactory(acc.read, acc.http),
		graphReady: async () => (await graphBaseUrl(acc.read)).ok,
		notSent: (message, reason) => roomDeliveryOf(acc).notSent(message, reason),
		notify: ({ agent, room }, text) =>
			notifyUser(acc, { user: (agent as EngineReplyAgent).engine, room: (room as EngineReplyRoom).engine, text }),
		translatorFor: (agent) => userTranslator(acc.read, (agent as EngineReplyAgent).engine),
		settings: appSettings(acc.read),
		clock: systemClock,
		logger: acc.logger,
	});
}
