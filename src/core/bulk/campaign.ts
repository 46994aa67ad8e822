/**
 * Campaign mode of templateMessage (`async: true`, beyond Rocket.Chat's published contract): one
 * template to up to 10,000 recipients, sent from a persisted queue by scheduler jobs. The rules of
 * that queue, pure: the records, the chunks, the states of a recipient and the counts.
 *
 * A campaign is one head record (what to send, from which number, who asked, where the queue
 * stands) and its recipients in chunks of CHUNK_SIZE, so that a send rewrites a small record, never
 * the whole list. Each chunk has its own batch key: its sends carry it in `biz_opaque_callback_data`
 * and their records in the send log are found by it with one read. A recipient goes `pending` ->
 * `sending` (its chunk written BEFORE the run's first Graph call in it) -> `queued` (Meta accepted
 * it: a wamid) or `failed` (Meta refused it), written in the chunk when the run ends. Meanwhile the
 * send log is where each send stands: written pending before its Graph call, linked to its wamid
 * (or failed) when Meta answers. A recipient found `sending` after a run that died (a restart, a
 * crash, a timeout) takes the outcome of its record (`foldSends`): linked or failed, that is it;
 * no record, its send never began, so it is pending again; a pending record, Meta may or may not
 * have accepted it (or its call may not have started: records are written a little ahead of their
 * calls, core/app/campaignSends.ts) and there is no way to ask, so it is NOT sent again. Meta's
 * statuses say it accepted a send (each echoes its batch key and names its recipient): when one
 * of the send's is in the webhook inbox, the recipient is queued with the wamid it names
 * (core/status/accepted.ts); without one, it is reported `failed` with the reason "outcome unknown"
 * (`UNKNOWN_OUTCOME`). Nothing is ever sent twice; what cannot be known is said.
 *
 * A chunk a run is sending is held by it (`heldUntil`, written with its `sending` marks, removed when
 * the run writes the outcomes): another run neither sends nor recovers it until then. So a run may
 * hand the campaign on when it stops starting sends, and the next run sends the chunks after while
 * the first still waits for its last answers (core/app/campaigns.ts).
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
	/**
	 * Written by earlier versions only: a pending recipient whose record was written but whose Graph
	 * call never started (the run stopped first), its record's `sendId` and `sentAt`, so that the
	 * next attempt uses that record.
	 */
	sendId?: string;
	sentAt?: string;
}

export interface CampaignChunk {
	campaignId: string;
	index: number;
	/** The batch key of the chunk's sends (absent in chunks written before batch keys: one is given at the first send). */
	batch?: string;
	recipients: CampaignRecipient[];
	/** A run is sending the chunk's `sending` recipients until then (clock ms); absent when none is. */
	heldUntil?: number;
}

/** What `foldSends` needs of a record of the send log (core/app SentMessage). */
export interface SendRecordView {
	mobileNo: string;
	wamid?: string;
	pending?: boolean;
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

/** The recipients (distinct) in chunks of CHUNK_SIZE, all pending, each chunk with a batch key of its own. */
export function chunkRecipients(campaignId: string, recipients: string[], batchKey: () => string): CampaignChunk[] {
	const distinct = [...new Set(recipients)];
	const chunks: CampaignChunk[] = [];
	for (let start = 0; start < distinct.length; start += CHUNK_SIZE)
		chunks.push({
			campaignId,
			index: chunks.length,
			batch: batchKey(),
			recipients: distinct.slice(start, start + CHUNK_SIZE).map((to) => ({ to, state: 'pending' })),
		});
	return chunks;
}

/** Each recipient's record among a batch's records (recipients of a chunk are distinct): a linked or failed one before a pending one. */
function recordsByRecipient<R extends SendRecordView>(records: R[]): Map<string, R> {
	const byTo = new Map<string, R>();
	for (const record of records) {
		const seen = byTo.get(record.mobileNo);
		if (!seen || (seen.pending && !record.pending)) byTo.set(record.mobileNo, record);
	}
	return byTo;
}

/**
 * Folds the send log's records of the chunk's batch (`records`; undefined for a chunk with no batch
 * key) into its `sending` recipients: a linked record makes it queued, a failed one failed. With
 * `settle` (no run is sending them now), a recipient with no record goes back to pending (its send
 * never began), and one whose record is still pending (or, without a batch key, with no way to tell)
 * is failed and listed in `unknown`, with its record to settle. Answers whether the chunk changed.
 */
export function foldSends<R extends SendRecordView>(
	chunk: CampaignChunk,
	records: R[] | undefined,
	settle: boolean,
): { changed: boolean; unknown: Array<{ index: number; record?: R }> } {
	const byTo = recordsByRecipient(records ?? []);
	let changed = false;
	const unknown: Array<{ index: number; record?: R }> = [];
	chunk.recipients.forEach((recipient, index) => {
		if (recipient.state !== 'sending') return;
		const record = byTo.get(recipient.to);
		if (record && !record.pending) {
			chunk.recipients[index] = record.wamid
				? { to: recipient.to, state: 'queued', wamid: record.wamid }
				: { to: recipient.to, state: 'failed' };
			changed = true;
		} else if (settle && !record && records) {
			chunk.recipients[index] = { to: recipient.to, state: 'pending' };
			changed = true;
		} else if (settle) {
			unknown.push({ index, record });
			chunk.recipients[index] = { to: recipient.to, state: 'failed' };
			changed = true;
		}
	});
	return { changed, unknown };
}

/** The counts of a campaign from its chunks (the send log's records folded in); pending ones of a cancelled campaign count as cancelled. */
export function countCampaign(campaign: Campaign, chunks: CampaignChunk[]): CampaignCounts {
	const counts: CampaignCounts = { pending: 0, sending: 0, queued: 0, failed: 0, cancelled: 0 };
	for (const chunk of chunks)
		for (const recipient of chunk.recipients) {
			if (recipient.state === 'pending' && campaign.state === 'cancelled') counts.cancelled++;
			else counts[recipient.state]++;
		}
	return counts;
}

/** Whether a run (another one, or one that died less than its lease ago) holds the chunk at `now`. */
export function isHeld(chunk: CampaignChunk, now: number): boolean {
	return chunk.heldUntil !== undefined && chunk.heldUntil > now;
}

/** Whether a chunk from `cursor` on that no run holds has a recipient to send or to recover. */
export function workLeft(chunks: CampaignChunk[], cursor: number, now: number): boolean {
	return chunks
		.slice(cursor)
		.some((chunk) => !isHeld(chunk, now) && chunk.recipients.some((r) => r.state === 'pending' || r.state === 'sending'));
}

/** The first chunk from `cursor` on that still holds a pending recipient (chunks in index order); `chunks.length` when none does. */
export function nextCursor(chunks: CampaignChunk[], cursor: number): number {
	let next = cursor;
	while (next < chunks.length && !chunks[next].recipients.some((r) => r.state === 'pending' || r.state === 'sending')) next++;
	return next;
}
