/**
 * The scheduler jobs of campaigns (templateMessage `async: true`, core/app/campaigns.ts).
 *
 * - `run-campaigns`, one-time: scheduled when a campaign starts and after a run that left work.
 *   A run lasts at most RUN_BUDGET_MS, well under the engine's 30 s call timeout.
 * - `campaign-tick`, recurring (1 minute): resumes what no job is running any more: after the app
 *   was disabled and enabled (a one-time job due while the app is disabled runs as nothing and is
 *   gone), after a restart, or after a run that died (once its lease ended).
 *
 * Within this runtime runs never overlap (a second call returns at once; the first one asks for
 * the next run). Disabling the app stops the sends of a run in progress after the Graph calls
 * already made (`pauseCampaigns`, from WhatsAppApp.onDisable); enabling resumes them.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IProcessor, StartupType } from '@rocket.chat/apps-engine/definition/scheduler';

import { campaignJobsOf, campaignsOf, RUN_CAMPAIGNS_JOB } from '../../adapters/build/campaigns';

export const CAMPAIGN_TICK_JOB = 'campaign-tick';
/** One run's time: ~10 s, a third of the engine's 30 s timeout for a job call. */
export const RUN_BUDGET_MS = 10000;

let paused = false;
let running = false;

/** Stops (true) or allows (false) campaign sends in this runtime: the app's disable and enable. */
export function pauseCampaigns(value: boolean): void {
	paused = value;
}

async function runCampaigns(acc: { read: IRead; modify: IModify; http: IHttp; persistence: IPersistence }): Promise<void> {
	if (running || paused) return;
	running = true;
	try {
		const service = await campaignsOf(acc);
		const { more } = await service.run({ budgetMs: RUN_BUDGET_MS, stopped: () => paused });
		if (more && !paused) await campaignJobsOf(acc.modify).runSoon();
	} finally {
		running = false;
	}
}

export function campaignProcessors(): IProcessor[] {
	const processor: IProcessor['processor'] = async (_job, read, modify, http, persistence) =>
		runCampaigns({ read, modify, http, persistence });
	return [
		{ id: RUN_CAMPAIGNS_JOB, processor },
		{ id: CAMPAIGN_TICK_JOB, startupSetting: { type: StartupType.RECURRING, interval: '1 minute', skipImmediate: true }, processor },
	];
}
