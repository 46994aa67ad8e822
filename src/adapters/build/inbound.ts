/** The inbound service (core/app/ports.ts InboundHandler) for one job run. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { InboundHandler } from '../../core/app/ports';
import { handleInbound } from '../../inbound/InboundHandler';

export function inboundHandlerOf(acc: { read: IRead; modify: IModify; persistence: IPersistence; http: IHttp; logger?: ILogger; appId: string }): InboundHandler {
	return { handle: (event, options) => handleInbound({ ...acc, finalAttempt: options.finalAttempt }, event) };
}
