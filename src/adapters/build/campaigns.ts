/** The campaign service (core/app/campaigns.ts) over the engine's accessors, for one handler or job run. */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { Campaigns } from '../../core/app/campaigns';
import { CampaignJobs } from '../../core/app/campaignsPorts';
import { Logger } from '../../core/app/ports';
import { appSettings, graphFactory } from '../factory';
import { PersistenceCampaignStore } from '../persistence/CampaignStore';
import { MessageStore } from '../persistence/MessageStore';
import { NumberStore } from '../persistence/NumberStore';
import { PersistedTemplateCache } from '../persistence/TemplateCacheStore';
import { PersistenceWebhookInbox } from '../persistence/WebhookInboxStore';
import { clockOf } from '../persistence/clock';
import { jobsOf } from './jobs';
import { sendLogOf } from './sendLog';

const crypto = require('crypto') as typeof import('crypto');

/** The one-time jobs that run the campaign queue, the second asked for by a run that hands over (src/entry/jobs/campaignJobs.ts). */
export const RUN_CAMPAIGNS_JOB = 'run-campaigns';
export const RUN_CAMPAIGNS_NEXT_JOB = 'run-campaigns-next';

/** `runSoon(job)`: a run of `job` (the first by default) now. */
export function campaignJobsOf(modify: Pick<IModify, 'getScheduler'>): CampaignJobs {
	return {
		runSoon: async (job: string = RUN_CAMPAIGNS_JOB) => void (await modify.getScheduler().scheduleOnce({ id: job, when: new Date() })),
	};
}

export interface CampaignAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: Logger;
}

/**
 * The service for one run. Sends go through `graphOf(number).sendMessage`, graphFactory's paced
 * client: the number's pacer (core/bulk/pacer.ts), shared with every other sender of the number.
 */
export async function campaignsOf(acc: CampaignAccessors): Promise<Campaigns> {
	const { read, http, persistence, modify } = acc;
	const graph = await graphFactory(read, http);
	return new Campaigns({
		store: new PersistenceCampaignStore(read.getPersistenceReader(), persistence),
		numbers: new NumberStore(read.getPersistenceReader()),
		graphOf: (number) => graph(number),
		sendLog: await sendLogOf({ read, persistence }),
		messages: new MessageStore(read.getPersistenceReader()),
		inbox: new PersistenceWebhookInbox(read.getPersistenceReader(), persistence),
		settings: appSettings(read),
		templates: new PersistedTemplateCache(read.getPersistenceReader(), persistence),
		clock: await clockOf(read),
		campaignJobs: campaignJobsOf(modify),
		statusJobs: jobsOf(modify),
		newId: () => crypto.randomBytes(12).toString('hex'),
		logger: acc.logger,
	});
}
