/**
 * Campaigns: templateMessage with `async: true` (beyond Rocket.Chat's published contract). The
 * request is checked exactly as a synchronous one (sendTemplates.ts), then `start` stores the
 * campaign and its recipients (core/bulk/campaign.ts) and answers at once; scheduler jobs `run` the
 * queue in bounded runs, paced by the number's pacer, each recipient marked in its chunk and
 * written to the send log before its Graph call, linked when Meta answers (campaignSends.ts), and
 * so reported through the send log (`queued` or `failed`, with the caller's `clientReference` and
 * the `campaignId`). `status` counts, `cancel` stops (the cancel is stored apart from the head that
 * runs rewrite, so that no run undoes it: campaignsPorts.ts).
 *
 * Runs: one at a time starts sends for a campaign. A run holds a lease on the campaign
 * (RUN_LEASE_MS on the clock, longer than any run lives); within one runtime the job also serializes
 * runs (src/entry/jobs/campaignJobs.ts). A run that ends with work left asks for another run; a run
 * that died (restart, crash) leaves its lease to expire, and the recurring job resumes the campaign.
 *
 * Hand-over: a run stops starting sends at its budget and then waits for its last answers (Meta's
 * latency: a fraction of a second, at worst the Graph client's timeout) and writes the outcomes. So
 * that the number does not idle meanwhile, a run given `handOff` that has recipients left in chunks
 * beyond its own releases the campaign's lease once every send it took on is marked and waits for
 * its turn at the number's pacer (or, at its budget's end, will not start), and calls `handOff` (the job asks for the next run under its other name).
 * Its chunks stay held (core/bulk/campaign.ts) until it writes their outcomes. The next run sends
 * the chunks after, paced by the same pacer (within one runtime), while this one ends; this one no
 * longer writes the campaign's head, and answers `more`, so that what it left (sends that missed
 * the budget) is taken by a run after. The two overlap in the first one's last sends (its own
 * chunks, ahead of the next run's at the pacer, so the number does not wait for the next run to
 * begin), their 130429 / 131056 retries and the first one's writes of its own chunks.
 */
import {
	Campaign,
	CampaignChunk,
	CampaignCounts,
	CampaignRouting,
	chunkRecipients,
	countCampaign,
	foldSends,
	isHeld,
	nextCursor,
	workLeft,
} from '../bulk/campaign';
import { RATE_MARGIN } from '../bulk/pacer';
import { TemplateRef } from '../bulk/request';
import { checkGraphBaseUrl } from '../graph/baseUrl';
import { ConnectedNumber, displayDigits } from '../numbers/ConnectedNumber';
import { StatusEvent } from '../status/webhook';
import { CancelWatch, cancelHere, forgetCancel } from './cancelWatch';
import { CampaignRun, Item, sendWindow, storedStatuses } from './campaignSends';
import { CampaignPorts } from './campaignsPorts';
import { matchNumber, SendRefused } from './sendTemplates';
import { newBatchKey } from './sendLog';

/** No run lives longer: its sends stop at its budget, and Graph calls time out well before. */
export const RUN_LEASE_MS = 60000;
/** The part of a run's budget kept for the last answers and the writes after the sends. */
const RUN_TAIL_MS = 1500;
/** A run's claim is withdrawn within a few calls; one older than this was left by a run that died. */
export const RUN_CLAIM_LIVES_MS = 30000;

/** The head as stored while the campaign is open: a cancel is stored apart (campaignsPorts.ts), so it says active. */
function openHead(head: Campaign): Campaign {
	const { finishedAt: _cancelledAt, ...open } = head;
	return { ...open, state: 'active' };
}

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

/** A run's options: its budget, whether the app is being disabled, and how it hands over (see the top). */
export interface RunOptions {
	budgetMs: number;
	stopped: () => boolean;
	handOff?: () => Promise<void>;
}

export interface CampaignView {
	id: string;
	state: Campaign['state'];
	total: number;
	counts: CampaignCounts;
	createdAt: string;
	finishedAt?: string;
}

/**
 * How many of `pending` (in chunk order) a run takes on when `count` fit in its budget: cut after
 * the last whole chunk, so that the chunks it holds are its own to the end (only sends that miss
 * its budget are left in them, for a later run); all `count` when not even one chunk fits.
 */
function wholeChunks(pending: Item[], count: number): number {
	if (count >= pending.length) return pending.length;
	for (let cut = count; cut > 0; cut--) if (pending[cut].chunk !== pending[cut - 1].chunk) return cut;
	return count;
}

export class Campaigns {
	constructor(private readonly ports: CampaignPorts) {}

	/**
	 * Stores the campaign and its recipients, and asks for a run; its id. Once stored, it is started:
	 * if the run cannot be asked for, the recurring job (every minute) runs it, and the caller still
	 * gets its id (a failure then would have a retry of the request start a second campaign).
	 */
	async start(input: CampaignStart): Promise<string> {
		const id = this.ports.newId();
		const chunks = chunkRecipients(id, input.recipients, newBatchKey);
		const campaign: Campaign = {
			id,
			createdBy: input.createdBy,
			createdAt: this.ports.clock.now(),
			state: 'active',
			phoneNumberId: input.number.phoneNumberId,
			template: input.template,
			text: input.text,
			routing: input.routing,
			total: chunks.reduce((count, chunk) => count + chunk.recipients.length, 0),
			chunks: chunks.length,
			cursor: 0,
			leaseUntil: 0,
		};
		await this.ports.store.create(campaign, chunks);
		try {
			await this.ports.campaignJobs.runSoon();
		} catch (error) {
			this.ports.logger?.warn(
				`campaign ${id} stored, its run left to the recurring job: ${error instanceof Error ? error.message : 'error'}`,
			);
		}
		return id;
	}

	/** The campaign's counts by status, for its creator or an admin (404 unknown, 403 someone else's). */
	async status(id: string, caller: Caller): Promise<CampaignView> {
		const campaign = await this.visible(id, caller);
		const chunks = await this.ports.store.chunks(id);
		// Where the sends of a run under way stand is in the send log: one read per chunk it is sending.
		await Promise.all(
			chunks
				.filter((chunk) => chunk.batch && chunk.recipients.some((r) => r.state === 'sending'))
				.map(async (chunk) => foldSends(chunk, await this.ports.messages.findByBatch(chunk.batch as string), false)),
		);
		const counts = countCampaign(campaign, chunks);
		return {
			id,
			state: campaign.state,
			total: campaign.total,
			counts,
			createdAt: new Date(campaign.createdAt).toISOString(),
			...(campaign.finishedAt ? { finishedAt: new Date(campaign.finishedAt).toISOString() } : {}),
		};
	}

	/**
	 * Cancels the campaign: the recipients left are not sent. A run in this runtime stops at once; a
	 * run of another instance starts no send later than CANCEL_CHECK_MS (and one read) after the
	 * cancel is stored (cancelWatch.ts), so its counts may still move for that long. A finished
	 * campaign stays as it is.
	 */
	async cancel(id: string, caller: Caller): Promise<CampaignView> {
		const campaign = await this.visible(id, caller);
		if (campaign.state === 'active') {
			const now = this.ports.clock.now();
			cancelHere(id, now);
			try {
				await this.ports.store.cancel(id, now);
			} catch (error) {
				// Not stored: the caller is told (and may cancel again); until then the campaign runs on
				// everywhere, unless another cancel was stored meanwhile.
				if (!(await this.ports.store.cancelled(id).catch(() => false))) forgetCancel(id);
				throw error;
			}
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
	 * One bounded run over the open campaigns (core/app/campaignsPorts.ts), oldest first, until `budgetMs` is spent or `stopped()`
	 * (the app is being disabled). Answers whether work is left for another run now; campaigns that
	 * another run holds are left to it (or, if it died, to the recurring job once its lease ended).
	 * A run that handed a campaign over ends with it, answering `more`.
	 */
	async run(options: RunOptions): Promise<{ more: boolean; sent: number }> {
		const deadline = this.ports.clock.now() + options.budgetMs;
		let more = false;
		let sent = 0;
		let reported = 0;
		// Read at most once per job run, by the first campaign a run that died left sends of unknown outcome in.
		const metaStatuses = storedStatuses(this.ports);
		const open = await this.ports.store.open();
		// A refused "Graph API base URL" setting sends nothing: the active campaigns wait, their
		// recipients pending, and the every-minute tick takes them up once an admin corrects it. A
		// cancelled one is still closed (that sends nothing).
		const active = open.filter((campaign) => campaign.state === 'active');
		const waiting = active.length > 0 && !checkGraphBaseUrl(await this.ports.settings.get('graphApiBaseUrl')).ok;
		if (waiting)
			this.ports.logger?.warn(
				`${active.length} campaign(s) waiting: the Graph API base URL setting is neither https nor a loopback address, so nothing is sent`,
			);
		for (const campaign of open) {
			if (waiting && campaign.state === 'active') continue;
			if (options.stopped() || this.ports.clock.now() >= deadline - RUN_TAIL_MS) {
				more = true;
				break;
			}
			if (campaign.leaseUntil > this.ports.clock.now()) continue;
			const result = await this.runCampaign(campaign, deadline, options, metaStatuses);
			more = more || result.more;
			sent += result.sent;
			reported += result.reported;
			if (result.handedOff) break;
		}
		if (reported) await this.ports.statusJobs.processSoon();
		return { more, sent };
	}

	/**
	 * This run's lease on a campaign, or undefined when the campaign is closed or another run has it.
	 * The list this run read may be seconds old, and two runs (on two instances of a cluster) may read
	 * a free head at once, so the lease is taken by election, as an idempotency key is
	 * (adapters/persistence/IdempotencyStore.ts): the run writes a claim of its own, then reads the
	 * claims and the head again. Another live claim, or a lease stored meanwhile, and it leaves the
	 * campaign (two runs may both leave it: the next run, or the tick's, takes it up); else it stores
	 * its lease on the head before it withdraws its claim, so a run that claims later sees the one or
	 * the other. Never two runs sending a campaign. The lease is on the head as stored (a cancelled
	 * campaign's says active: its cancel is apart); `current` is the head as read.
	 */
	private async takeLease(id: string): Promise<{ campaign: Campaign; current: Campaign } | undefined> {
		const { store, clock } = this.ports;
		const open = (head: Campaign | undefined): head is Campaign =>
			(head?.state === 'active' || head?.state === 'cancelled') && head.leaseUntil <= clock.now();
		if (!open(await store.get(id))) return undefined;
		const token = this.ports.newId();
		try {
			await store.claimRun(id, { token, at: clock.now() });
			// In this order: a head read before the claims could be one read before another run's lease
			// was stored, and those claims read after that run withdrew its own.
			const claims = await store.runClaims(id);
			const current = await store.get(id);
			const now = clock.now();
			if (claims.some((claim) => claim.token !== token && now - claim.at < RUN_CLAIM_LIVES_MS)) return undefined;
			if (!open(current)) return undefined;
			// A head an earlier version saved cancelled has no cancel record: stored first, so that the lease below does not undo it.
			if (current.state === 'cancelled') await store.cancel(current.id, current.finishedAt ?? now);
			const campaign = { ...openHead(current), leaseUntil: now + RUN_LEASE_MS };
			await store.save(campaign);
			return { campaign, current };
		} finally {
			// Left behind (a write that failed, or one that failed to answer but landed), the claim keeps
			// other runs off for RUN_CLAIM_LIVES_MS at most.
			await store.withdrawRun(id, token).catch(() => undefined);
		}
	}

	/** Sends what fits in this run of one campaign; whether recipients are left. */
	private async runCampaign(
		campaign: Campaign,
		deadline: number,
		options: RunOptions,
		metaStatuses: () => Promise<StatusEvent[]>,
	): Promise<{ more: boolean; sent: number; reported: number; handedOff?: boolean }> {
		const { store } = this.ports;
		const leased = await this.takeLease(campaign.id);
		if (!leased) return { more: false, sent: 0, reported: 0 };
		const { current } = leased;
		campaign = leased.campaign;
		const chunks = await store.chunks(campaign.id);
		const heldAtStart = chunks.filter((chunk) => isHeld(chunk, this.ports.clock.now())).map((chunk) => chunk.index);
		const number = matchNumber(await this.ports.numbers.list(), campaign.phoneNumberId);
		const run = new CampaignRun(
			this.ports,
			campaign,
			number ? displayDigits(number.displayPhoneNumber) : campaign.phoneNumberId,
			metaStatuses,
		);
		const watch = new CancelWatch(campaign.id, this.ports);
		await run.recover(chunks.slice(campaign.cursor));
		// Cancelled: what a run that died left `sending` took its outcome (`recover`); nothing is sent, the campaign is closed.
		if (current.state === 'cancelled') {
			await this.finishRun(campaign, nextCursor(chunks, campaign.cursor), chunks);
			return { more: false, sent: 0, reported: run.reported };
		}
		watch.start(RUN_LEASE_MS);
		const { sent, handedOff } = await (
			number
				? this.send(run, campaign, number, chunks, deadline, options, heldAtStart.length > 0, watch)
				: this.failAll(run, chunks, campaign.cursor).then((failed) => ({ sent: failed, handedOff: false }))
		).finally(() => watch.stop());
		// Handed over: the campaign's head is the next run's now.
		if (handedOff) return { more: true, sent, reported: run.reported, handedOff };
		// Chunks another run held at the start may be over by now (one read): they decide the cursor, `done` and `more` too.
		if (heldAtStart.length) {
			const now = await store.chunks(campaign.id);
			for (const index of heldAtStart) if (now[index]) chunks[index] = now[index];
		}
		const cursor = nextCursor(chunks, campaign.cursor);
		await this.finishRun(campaign, cursor, chunks);
		// Chunks another run holds are its to finish: that run asks for the next one.
		const more = workLeft(chunks, cursor, this.ports.clock.now()) && !watch.cancelled;
		return { more, sent, reported: run.reported };
	}

	/**
	 * The pending recipients this run can send at the rate setting within its budget, sent in order;
	 * how many Meta accepted, and whether it handed over. `othersHeld`: chunks were held by another
	 * run at this one's start. `watch`: whether the campaign was cancelled meanwhile.
	 */
	private async send(
		run: CampaignRun,
		campaign: Campaign,
		number: ConnectedNumber,
		chunks: CampaignChunk[],
		deadline: number,
		options: RunOptions,
		othersHeld: boolean,
		watch: CancelWatch,
	): Promise<{ sent: number; handedOff: boolean }> {
		const { stopped, handOff } = options;
		const rate = await this.ports.settings.get('sendRatePerSecond');
		const seconds = Math.max(0, deadline - RUN_TAIL_MS - this.ports.clock.now()) / 1000;
		const pending = this.allPending(chunks, campaign.cursor);
		// A run that still held chunks at this one's start (it handed over) may have up to its window of
		// sends waiting at the pacer ahead of this run's.
		const ahead = othersHeld ? sendWindow(rate) : 0;
		const fit = Math.max(1, Math.floor(rate * RATE_MARGIN * seconds) - ahead);
		const items = pending.slice(0, wholeChunks(pending, fit));
		// Whether recipients are left in chunks this run does not hold, the next run's: in later chunks,
		// or in chunks the run before held at this one's start (what it could not start is pending once it ended).
		const own = new Set(items.map((item) => item.chunk));
		const beyond = othersHeld || pending.some((item) => !own.has(item.chunk));
		let handover: Promise<boolean> | undefined;
		// Once every send of this run waits for its turn, the recipients after its own go to the next run (see the top).
		const handOver = () => {
			if (handover || !handOff || !beyond || stopped() || watch.cancelled) return;
			handover = this.handOver(campaign.id, run, handOff, watch);
		};
		// Once halted, always halted: a clock that steps back must not start a send after the hand-over.
		let over = false;
		const halted = () => {
			over ||= stopped() || watch.cancelled || this.ports.clock.now() >= deadline - RUN_TAIL_MS;
			if (over) handOver();
			return over;
		};
		// The number's pacer (core/bulk/pacer.ts, behind the Graph port) paces these sends with every other
		// sender of the number; a send that cannot start before the run ends, or once the run is halted, is not made.
		const limits = {
			deadline: deadline - RUN_TAIL_MS,
			budgetMs: Math.max(0, deadline - this.ports.clock.now()),
			halted,
			rate,
			onAllQueued: handOver,
		};
		const sent = await run.apply(items, await run.sendAll(number, items, limits));
		return { sent, handedOff: handover ? await handover : false };
	}

	/**
	 * Hands the campaign over: once this run's marks (its held chunks) are stored, its lease on the
	 * campaign is released and the next run asked for. False when the lease could not be released
	 * (the run then ends the campaign's run itself). A failure to ask is left to the recurring job.
	 */
	private async handOver(id: string, run: CampaignRun, handOff: () => Promise<void>, watch: CancelWatch): Promise<boolean> {
		try {
			// A chunk whose marks were not stored is not held: the run keeps the campaign.
			await run.marksWritten();
			const current = await this.ports.store.get(id);
			if (current?.state !== 'active' || watch.cancelled) return false;
			await this.ports.store.save({ ...current, leaseUntil: 0 });
		} catch {
			return false;
		}
		await handOff().catch(() => undefined);
		return true;
	}

	/** The number is no longer connected: every recipient left fails, with words. */
	private failAll(run: CampaignRun, chunks: CampaignChunk[], cursor: number): Promise<number> {
		const items = this.allPending(chunks, cursor);
		return run.apply(
			items,
			items.map(() => undefined),
			'campaign_error_number_gone',
		);
	}

	/** The pending recipients from `cursor` on, in order, but for those of chunks another run holds. */
	private allPending(chunks: CampaignChunk[], cursor: number): Item[] {
		const items: Item[] = [];
		const now = this.ports.clock.now();
		for (const chunk of chunks.slice(cursor))
			if (!isHeld(chunk, now))
				chunk.recipients.forEach((recipient, index) => recipient.state === 'pending' && items.push({ chunk, index }));
		return items;
	}

	/**
	 * The run's end: the cursor moves on, the lease is released. The campaign is done when no
	 * recipient is left, even if a cancel came as the last were sent (withCancel keeps it done). A
	 * cancelled one is closed (off the open list), unless recipients are still `sending`: a run under
	 * way holds them, or one that died, and a later run takes their outcomes (`recover`) and closes it.
	 */
	private async finishRun(campaign: Campaign, cursor: number, chunks: CampaignChunk[]): Promise<void> {
		const current = (await this.ports.store.get(campaign.id)) ?? campaign;
		const done = cursor >= chunks.length && current.state !== 'done';
		const sending = chunks.some((chunk) => chunk.recipients.some((r) => r.state === 'sending'));
		const head = current.state === 'cancelled' && sending ? openHead(current) : current;
		await this.ports.store.save({
			...head,
			cursor,
			leaseUntil: 0,
			...(done ? { state: 'done' as const, finishedAt: this.ports.clock.now() } : {}),
		});
	}
}
