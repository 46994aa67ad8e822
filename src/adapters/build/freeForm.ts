/** The free-form sender (core/app/freeForm.ts) for one handler run. */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { FreeFormSender } from '../../core/app/freeForm';
import { systemClock } from '../../core/app/ports';
import { graphFactory } from '../factory';
import { jobsOf } from './jobs';
import { sendLogOf } from './sendLog';

export interface SendAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: ILogger;
}

export async function freeFormSenderOf(acc: SendAccessors): Promise<FreeFormSender> {
	return new FreeFormSender({
		graph: await graphFactory(acc.read, acc.http),
		// A send log per step: its delivery clock is read when the send is written and when it is settled.
		sendLog: {
			begin: async (message) => (await sendLogOf(acc)).begin(message),
			settle: async (message, error) => (await sendLogOf(acc)).settle(message, error),
		},
		jobs: jobsOf(acc.modify),
		clock: systemClock,
		logger: acc.logger,
	});
}
