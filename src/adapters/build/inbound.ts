/** The inbound service (core/app/inbound.ts, the InboundHandler port) for one job run. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { InboundService, ReadReceipts } from '../../core/app/inbound';
import { postInboundMedia } from '../../core/app/inboundMedia';
import { InboundHandler, systemClock } from '../../core/app/ports';
import { appSettings, graphFactory, siteUrl, workspaceTranslator } from '../factory';
import { MessageStore } from '../persistence/MessageStore';
import { NumberStore } from '../persistence/NumberStore';
import { WindowStore } from '../persistence/WindowStore';
import { RocketChatConversations } from '../rocketchat/conversations';
import { rocketChatUploads } from '../rocketchat/inboundMedia';
import { autoMessagesOf } from './autoMessages';
import { windowNoticesOf } from './windowNotices';

export interface InboundAccessors {
	read: IRead;
	modify: IModify;
	persistence: IPersistence;
	http: IHttp;
	logger?: ILogger;
	appId: string;
}

/** Read receipts (the "mark read" setting) for one handler run. */
export async function readReceiptsOf(acc: { read: IRead; http: IHttp; logger?: ILogger }): Promise<ReadReceipts> {
	const reader = acc.read.getPersistenceReader();
	return new ReadReceipts({
		numbers: new NumberStore(reader),
		windows: new WindowStore(reader),
		graph: await graphFactory(acc.read, acc.http),
		settings: appSettings(acc.read),
		logger: acc.logger,
	});
}

export async function inboundServiceOf(acc: InboundAccessors): Promise<InboundService> {
	const reader = acc.read.getPersistenceReader();
	const settings = appSettings(acc.read);
	const graph = await graphFactory(acc.read, acc.http);
	const conversations = new RocketChatConversations(acc);
	const uploads = rocketChatUploads(acc);
	return new InboundService({
		messages: new MessageStore(reader, acc.persistence),
		numbers: new NumberStore(reader),
		conversations,
		windows: new WindowStore(reader, acc.persistence),
		notices: windowNoticesOf(acc),
		media: { post: (input) => postInboundMedia({ uploads, conversations, settings, graph, logger: acc.logger }, input) },
		autoMessages: await autoMessagesOf(acc),
		receipts: await readReceiptsOf(acc),
		settings,
		clock: systemClock,
		translator: () => workspaceTranslator(acc.read),
		siteUrl: () => siteUrl(acc.read),
		logger: acc.logger,
	});
}

export function inboundHandlerOf(acc: InboundAccessors): InboundHandler {
	return {
		handle: async (event, options) => (await inboundServiceOf(acc)).handle(event, options),
		heldBack: async (event) => (await inboundServiceOf(acc)).heldBack(event),
	};
}
