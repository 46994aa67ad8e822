/**
 * The scheduler jobs of campaigns (templateMessage `async: true`, core/app/campaigns.ts).
 *
 * - `run-campaigns`, one-time: scheduled when a campaign starts and after a run that left work.
 *   A run lasts at most RUN_BUDGET_MS, well under the engine's 30 s call timeout.
 * - `campaign-tick`, recurring (1 minute): resumes what no job is running any more: after the app
 *   was disabled and enabled (a one-time job due while the app is disabled runs as nothing and is
 *   gone), after a restart, or after a run that died (once its lease ended).
 *
 * - `run-campaigns-next`, one-time: the same runs, asked for by a run of `run-campaigns` that hands
 *   its campaign over (core/app/campaigns.ts) and the other way round. Agenda runs one run of a job
 *   name at a time (the bridge's `defaultConcurrency: 1`), so the next run starts under the other
 *   name while the one that handed over starts its last sends (up to a window of them) and waits for
 *   their answers.
 *
 * Within this runtime one run at a time takes on sends (RunGate: a second call returns at once, and
 * the one under way answers `more`); a run that hands over gives the gate up then, and only sends
 * what it took on (its sends already in its window) and ends it. Disabling the app stops
 * the sends of a run in progress after the Graph calls already made (`pauseCampaigns`, from
 * WhatsAppApp.onDisable); enabling resumes them.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IProcessor, StartupType } from '@rocket.chat/apps-engine/definition/scheduler';

import { campaignJobsOf, campaignsOf, RUN_CAMPAIGNS_JOB, RUN_CAMPAIGNS_NEXT_JOB } from '../../adapters/build/campaigns';
import { RunGate } from '../../core/app/runBudget';

export const CAMPAIGN_TICK_JOB = 'campaign-tick';
/** One run's time: ~10 s, a third of the engine's 30 s timeout for a job call. */
export const RUN_BUDGET_MS = 10000;

let paused = false;
const gate = new RunGate<{ more: boolean; sent: number }>();

/** Stops (true) or allows (false) campaign sends in this runtime: the app's disable and enable. */
export function pauseCampaigns(value: boolean): void {
	paused = value;
}

/** One run, as the job `name`; hands over to the other one-time job (the tick to `run-campaigns`). */
async function runCampaigns(name: string, acc: { read: IRead; modify: IModify; http: IHttp; persistence: IPersistence }): Promise<void> {
	if (paused) return;
	const jobs = campaignJobsOf(acc.modify);
	// The tick's runs hand over and go on as `run-campaigns`; the one-time jobs alternate.
	const self = name === CAMPAIGN_TICK_JOB ? RUN_CAMPAIGNS_JOB : name;
	const next = self === RUN_CAMPAIGNS_JOB ? RUN_CAMPAIGNS_NEXT_JOB : RUN_CAMPAIGNS_JOB;
	let result: { more: boolean } | 'busy';
	try {
		result = await gate.run(async (release) => {
			const service = await campaignsOf(acc);
			const handOff = async () => {
				release();
				await jobs.runSoon(next);
			};
			return service.run({ budgetMs: RUN_BUDGET_MS, stopped: () => paused, handOff });
		});
	} finally {
		// A run that failed after it turned another away owes that one its run.
		if (gate.takeOwed() && !paused) await jobs.runSoon(self);
	}
	if (result !== 'busy' && result.more && !paused) await jobs.runSoon(self);
}

export function campaignProcessors(): IProcessor[] {
	const processorOf =
		(name: string): IProcessor['processor'] =>
		async (_job, read, modify, http, persistence) =>
			runCampaigns(name, { read, modify, http, persistence });
	return [
		{ id: RUN_CAMPAIGNS_JOB, processor: processorOf(RUN_CAMPAIGNS_JOB) },
		{ id: RUN_CAMPAIGNS_NEXT_JOB, processor: processorOf(RUN_CAMPAIGNS_NEXT_JOB) },
		{
			id: CAMPAIGN_TICK_JOB,
			startupSetting: { type: StartupType.RECURRING, interval: '1 minute', skipImmediate: true },
			processor: processorOf(CAMPAIGN_TICK_JOB),
		},
	];
}
