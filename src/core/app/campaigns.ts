/**
 * Campaigns: templateMessage with `async: true` (beyond Rocket.Chat's published contract). The
 * request is checked exactly as a synchronous one (sendTemplates.ts), then `start` stores the
 * campaign and its recipients (core/bulk/campaign.ts) and answers at once; scheduler jobs `run` the
 * queue in bounded runs, paced at the "Send rate" setting, each recipient marked before its Graph
 * call and its outcome written after, reported through the send log (`queued` or `failed`, with
 * the caller's `clientReference` and the `campaignId`). `status` counts, `cancel` stops.
 *
 * Runs: one at a time per campaign. A run holds a lease on the campaign (RUN_LEASE_MS on the clock,
 * longer than any run lives); within one runtime the job also serializes runs
 * (src/entry/jobs/campaignJobs.ts). A run that ends with work left asks for another run; a run that
 * died (restart, crash) leaves its lease to expire, and the recurring job resumes the campaign.
 */
import {
	Campaign,
	CampaignChunk,
	CampaignCounts,
	CampaignOutcome,
	CampaignRouting,
	chunkRecipients,
	countCampaign,
	foldOutcomes,
	nextCursor,
	outcomesByPlace,
	UNKNOWN_OUTCOME,
} from '../bulk/campaign';
import { PacerDeadlineError, RATE_MARGIN, sendPaced, THROUGHPUT_EXCEEDED } from '../bulk/pacer';
import { TemplateRef } from '../bulk/request';
import { SendResult } from '../graph/GraphClient';
import { translate } from '../i18n/translate';
import { ConnectedNumber, displayDigits } from '../numbers/ConnectedNumber';
import { whatsAppMessage } from '../outbound/envelope';
import { CampaignPorts } from './campaignsPorts';
import { graphCodeOf } from './explain';
import { SentMessage } from './ports';
import { matchNumber, SendRefused } from './sendTemplates';

/** No run lives longer: its sends stop at its budget, and Graph calls time out well before. */
export const RUN_LEASE_MS = 60000;
/** The part of a run's budget kept for the last answers and the writes after the sends. */
const RUN_TAIL_MS = 1500;

/** Who asks: a campaign is shown to, and cancelled by, the user who started it or an admin. */
export interface Caller {
	id: string;
	roles?: string[];
}

export interface CampaignStart {
	createdBy: string;
	number: ConnectedNumber;
	template: TemplateRef;
	recipients: string[];
	text: string;
	routing: CampaignRouting;
}

export interface CampaignView {
	id: string;
	state: Campaign['state'];
	total: number;
	counts: CampaignCounts;
	createdAt: string;
	finishedAt?: string;
}

/** A send not made: the run stopped (budget, app disabled, campaign cancelled) before its Graph call. */
const NOT_SENT = new Error('campaign: not sent, the run stopped');

/** Campaigns cancelled in this runtime: a run of this runtime stops their sends at once. */
const cancelledHere = new Set<string>();

interface Item {
	chunk: CampaignChunk;
	index: number;
}

export class Campaigns {
	/** Sends Meta accepted whose outcome or report failed to be written at the time (and why): reported again after the sends. */
	readonly unreported = new Map<Item, unknown>();

	constructor(private readonly ports: CampaignPorts) {}

	/** Stores the campaign and its recipients, and asks for a run; its id. */
	async start(input: CampaignStart): Promise<string> {
		const id = this.ports.newId();
		const chunks = chunkRecipients(id, input.recipients);
		const campaign: Campaign = {
			id,
			createdBy: input.createdBy,
			createdAt: this.ports.clock.now(),
			state: 'active',
			phoneNumberId: input.number.phoneNumberId,
			template: input.template,
			text: input.text,
			routing: input.routing,
			total: input.recipients.length,
			chunks: chunks.length,
			cursor: 0,
			leaseUntil: 0,
		};
		await this.ports.store.create(campaign, chunks);
		await this.ports.campaignJobs.runSoon();
		return id;
	}

	/** The campaign's counts by status, for its creator or an admin (404 unknown, 403 someone else's). */
	async status(id: string, caller: Caller): Promise<CampaignView> {
		const campaign = await this.visible(id, caller);
		const counts = countCampaign(campaign, await this.ports.store.chunks(id), await this.ports.store.outcomes(id));
		return {
			id,
			state: campaign.state,
			total: campaign.total,
			counts,
			createdAt: new Date(campaign.createdAt).toISOString(),
			...(campaign.finishedAt ? { finishedAt: new Date(campaign.finishedAt).toISOString() } : {}),
		};
	}

	/** Cancels the campaign: recipients not yet sent never are. A finished campaign stays as it is. */
	async cancel(id: string, caller: Caller): Promise<CampaignView> {
		const campaign = await this.visible(id, caller);
		if (campaign.state === 'active') {
			cancelledHere.add(id);
			await this.ports.store.save({ ...campaign, state: 'cancelled', finishedAt: this.ports.clock.now() });
		}
		return this.status(id, caller);
	}

	private async visible(id: string, caller: Caller): Promise<Campaign> {
		const campaign = await this.ports.store.get(id);
		if (!campaign) throw new SendRefused('api_error_campaign_not_found', { status: 404, params: { id } });
		if (campaign.createdBy !== caller.id && !(caller.roles ?? []).includes('admin'))
			throw new SendRefused('api_error_campaign_forbidden', { status: 403 });
		return campaign;
	}

	/**
	 * One bounded run over the active campaigns, oldest first, until `budgetMs` is spent or `stopped()`
	 * (the app is being disabled). Answers whether work is left for another run now; campaigns that
	 * another run holds are left to it (or, if it died, to the recurring job once its lease ended).
	 */
	async run(options: { budgetMs: number; stopped: () => boolean }): Promise<{ more: boolean; sent: number }> {
		const deadline = this.ports.clock.now() + options.budgetMs;
		let more = false;
		let sent = 0;
		for (const campaign of await this.ports.store.active()) {
			if (options.stopped() || this.ports.clock.now() >= deadline - RUN_TAIL_MS) {
				more = true;
				break;
			}
			if (campaign.leaseUntil > this.ports.clock.now()) continue;
			const result = await this.runCampaign(campaign, deadline, options.stopped);
			more = more || result.more;
			sent += result.sent;
		}
		if (sent) await this.ports.statusJobs.processSoon();
		return { more, sent };
	}

	/** Sends what fits in this run of one campaign; whether recipients are left. */
	private async runCampaign(campaign: Campaign, deadline: number, stopped: () => boolean): Promise<{ more: boolean; sent: number }> {
		const { store } = this.ports;
		const current = await store.get(campaign.id);
		if (current?.state !== 'active') return { more: false, sent: 0 };
		campaign = { ...current, leaseUntil: this.ports.clock.now() + RUN_LEASE_MS };
		await store.save(campaign);
		const chunks = await store.chunks(campaign.id);
		await this.settle(campaign, chunks);
		const number = matchNumber(await this.ports.numbers.list(), campaign.phoneNumberId);
		const items = number ? await this.plan(chunks, campaign.cursor, deadline) : this.allPending(chunks, campaign.cursor);
		const halted = () => stopped() || cancelledHere.has(campaign.id) || this.ports.clock.now() >= deadline - RUN_TAIL_MS;
		const outcomes = number ? await this.sendItems(campaign, number, items, { deadline, halted }) : items.map(() => undefined);
		const sent = await this.applyOutcomes(campaign, items, outcomes, number ? undefined : 'campaign_error_number_gone');
		await store.clearOutcomes(campaign.id);
		const cursor = nextCursor(chunks, campaign.cursor);
		await this.finishRun(campaign, cursor, chunks.length);
		return { more: cursor < chunks.length && !cancelledHere.has(campaign.id), sent };
	}

	/**
	 * Folds the outcomes a previous run wrote into their chunks. A recipient still `sending` belongs to
	 * a run that died mid-call: not resent, reported failed ("outcome unknown").
	 */
	private async settle(campaign: Campaign, chunks: CampaignChunk[]): Promise<void> {
		const outcomes = outcomesByPlace(await this.ports.store.outcomes(campaign.id));
		for (const chunk of chunks.slice(campaign.cursor)) {
			const { changed, unknown } = foldOutcomes(chunk, outcomes, true);
			for (const index of unknown)
				await this.report(campaign, chunk.recipients[index].to, { error: translate(undefined, UNKNOWN_OUTCOME) });
			if (changed) await this.ports.store.saveChunk(chunk);
		}
		await this.ports.store.clearOutcomes(campaign.id);
	}

	/** The pending recipients this run can send at the rate setting within its budget, in order. */
	private async plan(chunks: CampaignChunk[], cursor: number, deadline: number): Promise<Item[]> {
		const rate = await this.ports.settings.get('sendRatePerSecond');
		const seconds = Math.max(0, deadline - RUN_TAIL_MS - this.ports.clock.now()) / 1000;
		const room = Math.max(1, Math.floor(rate * RATE_MARGIN * seconds));
		return this.allPending(chunks, cursor).slice(0, room);
	}

	private allPending(chunks: CampaignChunk[], cursor: number): Item[] {
		const items: Item[] = [];
		for (const chunk of chunks.slice(cursor))
			chunk.recipients.forEach((recipient, index) => recipient.state === 'pending' && items.push({ chunk, index }));
		return items;
	}

	/** The paced sends: each chunk is written `sending` before the first Graph call of its recipients; each outcome as Meta answers. */
	private async sendItems(
		campaign: Campaign,
		number: ConnectedNumber,
		items: Item[],
		run: { deadline: number; halted: () => boolean },
	): Promise<Array<{ ok: true; value: SendResult } | { ok: false; error: unknown } | undefined>> {
		const graph = this.ports.graphOf(number);
		const marked = new Map<CampaignChunk, Promise<void>>();
		const mark = (chunk: CampaignChunk) => {
			let done = marked.get(chunk);
			if (!done) {
				for (const item of items) if (item.chunk === chunk) chunk.recipients[item.index].state = 'sending';
				done = this.ports.store.saveChunk(chunk);
				marked.set(chunk, done);
			}
			return done;
		};
		const sleep = this.ports.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
		// The number's pacer (core/bulk/pacer.ts, behind the Graph port) paces these sends with every other
		// sender of the number; a send that cannot start before the run ends, or once the run is halted, is not made.
		const pacing = { deadline: run.deadline - RUN_TAIL_MS, shouldStart: () => !run.halted() };
		const report = await sendPaced({
			items,
			send: async (item: Item) => {
				if (run.halted()) throw NOT_SENT;
				await mark(item.chunk);
				const to = item.chunk.recipients[item.index].to;
				let result: SendResult;
				try {
					result = await graph.sendMessage(
						number.phoneNumberId,
						whatsAppMessage({ to, content: { type: 'template', template: campaign.template } }),
						pacing,
					);
				} catch (error) {
					// Never started, or refused by Meta's throughput limit: not sent, so tried again by a later run.
					if (error instanceof PacerDeadlineError || graphCodeOf(error) === THROUGHPUT_EXCEEDED) throw NOT_SENT;
					throw error;
				}
				// Meta accepted it: whatever fails from here on, the recipient is queued (written with its chunk
				// after the sends; a report that failed now is made again then).
				const wamid = result.messages?.[0]?.id;
				await this.ports.store
					.putOutcome({ campaignId: campaign.id, chunk: item.chunk.index, index: item.index, state: 'queued', wamid })
					.then(() => this.report(campaign, to, { wamid, waId: result.contacts?.[0]?.wa_id }))
					.catch((error: unknown) => void this.unreported.set(item, error));
				return result;
			},
			metaCode: graphCodeOf,
			budgetMs: Math.max(0, run.deadline - this.ports.clock.now()),
			// Once halted, the sends left are skipped without waiting for their slots.
			sleep: (ms) => (run.halted() ? Promise.resolve() : sleep(ms)),
			now: () => this.ports.clock.now(),
		});
		return report.outcomes;
	}

	/**
	 * Writes each item's final state in its chunk: queued (already reported as Meta answered), failed
	 * (reported now, with Meta's error or `reason`), or back to pending when it was not sent. Answers how many were accepted.
	 */
	private async applyOutcomes(
		campaign: Campaign,
		items: Item[],
		outcomes: Array<{ ok: true; value: SendResult } | { ok: false; error: unknown } | undefined>,
		reason?: string,
	): Promise<number> {
		let accepted = 0;
		const touched = new Set<CampaignChunk>();
		const reports: Array<Promise<void>> = [];
		items.forEach((item, i) => {
			const outcome = outcomes[i];
			const recipient = item.chunk.recipients[item.index];
			touched.add(item.chunk);
			if (outcome?.ok) {
				accepted++;
				if (this.unreported.delete(item))
					reports.push(
						this.report(campaign, recipient.to, {
							wamid: outcome.value.messages?.[0]?.id,
							waId: outcome.value.contacts?.[0]?.wa_id,
						}),
					);
				item.chunk.recipients[item.index] = {
					to: recipient.to,
					state: 'queued',
					...(outcome.value.messages?.[0]?.id ? { wamid: outcome.value.messages[0].id } : {}),
				};
			} else if (outcome && outcome.error === NOT_SENT) {
				item.chunk.recipients[item.index] = { to: recipient.to, state: 'pending' };
			} else {
				item.chunk.recipients[item.index] = { to: recipient.to, state: 'failed' };
				reports.push(
					this.report(campaign, recipient.to, {
						error: outcome ? outcome.error : translate(undefined, reason ?? UNKNOWN_OUTCOME),
					}),
				);
			}
		});
		await Promise.all(reports);
		await Promise.all([...touched].map((chunk) => this.ports.store.saveChunk(chunk)));
		return accepted;
	}

	/** The run's end: the cursor moves on, the lease is released; the campaign is done when no recipient is left. Never undoes a cancel. */
	private async finishRun(campaign: Campaign, cursor: number, chunkCount: number): Promise<void> {
		const current = (await this.ports.store.get(campaign.id)) ?? campaign;
		const done = cursor >= chunkCount && current.state === 'active';
		await this.ports.store.save({
			...current,
			cursor,
			leaseUntil: 0,
			...(done ? { state: 'done' as const, finishedAt: this.ports.clock.now() } : {}),
		});
	}

	/** One recipient's send through the send log: `queued` with its wamid, or `failed` with the error. */
	private async report(campaign: Campaign, to: string, outcome: { wamid?: string; waId?: string; error?: unknown }): Promise<void> {
		const sent: SentMessage = {
			phoneNumberId: campaign.phoneNumberId,
			connectedWhatsAppNo: await this.displayOf(campaign.phoneNumberId),
			mobileNo: to,
			message: campaign.text,
			type: 'Template-Message',
			templateName: campaign.template.name,
			templateLanguage: campaign.template.language.code,
			sentAt: new Date(this.ports.clock.now()).toISOString(),
			campaignId: campaign.id,
			...(outcome.wamid ? { wamid: outcome.wamid } : {}),
			...(outcome.waId && outcome.waId !== to ? { waId: outcome.waId } : {}),
			...campaign.routing,
		};
		await this.ports.sendLog.record(sent, outcome.wamid ? undefined : outcome.error);
	}

	private displays = new Map<string, Promise<string>>();

	/** The sending number's digits, as the status payload's `connectedWhatsAppNo` (read once per service). */
	private displayOf(phoneNumberId: string): Promise<string> {
		let display = this.displays.get(phoneNumberId);
		if (!display) {
			display = this.ports.numbers.list().then((numbers) => {
				const number = matchNumber(numbers, phoneNumberId);
				return number ? displayDigits(number.displayPhoneNumber) : phoneNumberId;
			});
			this.displays.set(phoneNumberId, display);
		}
		return display;
	}
}

export type { CampaignOutcome };
