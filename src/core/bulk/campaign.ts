/**
 * Campaign mode of templateMessage (`async: true`, beyond Rocket.Chat's published contract): one
 * template to up to 10,000 recipients, sent from a persisted queue by scheduler jobs. The rules of
 * that queue, pure: the records, the chunks, the states of a recipient and the counts.
 *
 * A campaign is one head record (what to send, from which number, who asked, where the queue
 * stands) and its recipients in chunks of CHUNK_SIZE, so that a send rewrites a small record, never
 * the whole list. A recipient goes `pending` -> `sending` (written BEFORE its Graph call) ->
 * `queued` (Meta accepted it: a wamid) or `failed` (Meta refused it). While a run sends, each
 * outcome is also written at once as its own small record (CampaignOutcome), folded into its
 * chunk when the run ends. A recipient found `sending` with no outcome belongs to a run that died
 * mid-call (a restart, a crash, a timeout): Meta may or may not have accepted it, and there is no
 * way to ask, so it is NOT sent again; it is reported `failed` with the reason "outcome unknown"
 * (`UNKNOWN_OUTCOME`). Nothing is ever sent twice; what cannot be known is said.
 */
import { TemplateRef } from './request';

export const CHUNK_SIZE = 100;

export type RecipientState = 'pending' | 'sending' | 'queued' | 'failed';
export type CampaignState = 'active' | 'done' | 'cancelled';

/** The reason (i18n key) of a recipient whose send may have reached Meta but whose answer was lost. */
export const UNKNOWN_OUTCOME = 'campaign_error_outcome_unknown';

export interface CampaignRecipient {
	to: string;
	state: RecipientState;
	wamid?: string;
}

export interface CampaignChunk {
	campaignId: string;
	index: number;
	recipients: CampaignRecipient[];
}

/** The outcome of one send, written as soon as Meta answered (folded into its chunk later). */
export interface CampaignOutcome {
	campaignId: string;
	chunk: number;
	/** The recipient's place in its chunk. */
	index: number;
	state: 'queued' | 'failed';
	wamid?: string;
}

export interface CampaignRouting {
	clientReference?: string;
	targetAgent?: string;
	targetDepartment?: string;
}

export interface Campaign {
	id: string;
	/** The Rocket.Chat user who started it (only they, or an admin, may see or cancel it). */
	createdBy: string;
	createdAt: number;
	state: CampaignState;
	phoneNumberId: string;
	template: TemplateRef;
	/** The text recorded with each send (the template's preview). */
	text: string;
	routing: CampaignRouting;
	total: number;
	chunks: number;
	/** Chunks before this one hold no pending recipient. */
	cursor: number;
	/** A run holds the campaign until then (clock ms); 0 when none does. */
	leaseUntil: number;
	finishedAt?: number;
}

export interface CampaignCounts {
	pending: number;
	sending: number;
	queued: number;
	failed: number;
	cancelled: number;
}

/** The recipients in chunks of CHUNK_SIZE, all pending. */
export function chunkRecipients(campaignId: string, recipients: string[]): CampaignChunk[] {
	const chunks: CampaignChunk[] = [];
	for (let start = 0; start < recipients.length; start += CHUNK_SIZE)
		chunks.push({
			campaignId,
			index: chunks.length,
			recipients: recipients.slice(start, start + CHUNK_SIZE).map((to) => ({ to, state: 'pending' })),
		});
	return chunks;
}

/** The outcomes keyed by `chunk:index`. */
export function outcomesByPlace(outcomes: CampaignOutcome[]): Map<string, CampaignOutcome> {
	return new Map(outcomes.map((o) => [`${o.chunk}:${o.index}`, o]));
}

/**
 * Folds the written outcomes into a chunk's `sending` recipients. Those still `sending` after that
 * are listed in `unknown` (only meaningful when no run is sending them now) and, with
 * `settleUnknown`, marked failed. Answers whether the chunk changed.
 */
export function foldOutcomes(
	chunk: CampaignChunk,
	outcomes: Map<string, CampaignOutcome>,
	settleUnknown: boolean,
): { changed: boolean; unknown: number[] } {
	let changed = false;
	const unknown: number[] = [];
	chunk.recipients.forEach((recipient, index) => {
		if (recipient.state !== 'sending') return;
		const outcome = outcomes.get(`${chunk.index}:${index}`);
		if (outcome) {
			chunk.recipients[index] = { to: recipient.to, state: outcome.state, ...(outcome.wamid ? { wamid: outcome.wamid } : {}) };
			changed = true;
			return;
		}
		unknown.push(index);
		if (settleUnknown) {
			chunk.recipients[index] = { to: recipient.to, state: 'failed' };
			changed = true;
		}
	});
	return { changed, unknown };
}

/** The counts of a campaign from its chunks and the outcomes not yet folded; pending ones of a cancelled campaign count as cancelled. */
export function countCampaign(campaign: Campaign, chunks: CampaignChunk[], outcomes: CampaignOutcome[]): CampaignCounts {
	const counts: CampaignCounts = { pending: 0, sending: 0, queued: 0, failed: 0, cancelled: 0 };
	const byPlace = outcomesByPlace(outcomes);
	for (const chunk of chunks)
		chunk.recipients.forEach((recipient, index) => {
			const state = recipient.state === 'sending' ? (byPlace.get(`${chunk.index}:${index}`)?.state ?? 'sending') : recipient.state;
			if (state === 'pending' && campaign.state === 'cancelled') counts.cancelled++;
			else counts[state]++;
		});
	return counts;
}

/** The first chunk from `cursor` on that still holds a pending recipient (chunks in index order); `chunks.length` when none does. */
export function nextCursor(chunks: CampaignChunk[], cursor: number): number {
	let next = cursor;
	while (next < chunks.length && !chunks[next].recipients.some((r) => r.state === 'pending' || r.state === 'sending')) next++;
	return next;
}
