/**
 * Idempotency of `templateMessage` (the `idempotencyKey` extension), designed so that no request
 * with a key ever sends twice:
 *
 * - Keys are scoped per calling user: `scopedKey(userId, key)`. Another user's equal key is another
 *   request.
 * - The key is RESERVED (a `pending` entry, the Idempotency port's `reserve`) after the request was
 *   checked and before its first send. While the first request runs, a second one with the same key
 *   and body gets 409 "in progress" at once and sends nothing (it does not wait: a wait could
 *   outlast the engine's 30 s call timeout); once the first has answered, the same request replays
 *   that answer (`replayed: true`). A different body with the key is a 409 conflict, as before.
 * - Meta's msIds are added to the reservation as they come (`Reservation.accepted`, written in
 *   small batches, one write at a time). If the request fails after sending, or its answer cannot
 *   be stored (the caller still gets it), the entry is marked `interrupted` with what was sent; if
 *   the process dies (the engine restarts it) the
 *   reservation's lease (LEASE_MS, past the engine's timeout) runs out. A retry then REPLAYS: the
 *   recipients known to be sent with their msIds (the entry's, and those the send log has linked
 *   since: the reservation keeps the request's batch key), every other one with an "interrupted,
 *   not sent again" error, since Meta may have accepted it. Resending would risk a duplicate; the caller
 *   can send the unknown ones again with a new key if it decides to.
 * - A request refused before any send (a 400, the pacer's admission) frees its reservation.
 * - Entries expire a window (24 hours) after the reservation: an expired entry is not answered,
 *   and the store's sweep deletes it (the daily retention job).
 */
import { ENGINE_CALL_TIMEOUT_MS } from '../bulk/budget';
import { sameFingerprint } from '../bulk/request';
import { Translator } from '../i18n/translate';
import { Clock } from './ports';
import { AcceptedSend, Idempotency, StoredAnswer } from './sendTemplatesPorts';

/** Node's crypto, which the app's runtime provides (a node built-in the runtime allows). */
const crypto = require('crypto') as typeof import('crypto');

/** How long a reservation holds its key without an answer: past the engine's call timeout, with margin. */
export const LEASE_MS = 2 * ENGINE_CALL_TIMEOUT_MS;
/** Progress is written once this many msIds are new, or once a second at most. */
const PROGRESS_BATCH = 10;
const PROGRESS_EVERY_MS = 1000;

export const scopedKey = (userId: string, key: string) => `${userId}:${key}`;

export interface ReplayAnswer {
	status: number;
	content: Record<string, unknown>;
}

/**
 * An answer stored by the versions before `reason` (kept for 24 hours): each failed recipient gets
 * one, read from its code as the cautious reading: Meta's code means refused; code 0 may have been
 * sent (`timeout`), since which of the unanswered cases it was is not known any more.
 */
function withReasons(content: Record<string, unknown>): Record<string, unknown> {
	if (!Array.isArray(content.results)) return content;
	const results = (content.results as Array<{ error?: { code?: number; reason?: string } }>).map((result) =>
		result.error && !result.error.reason
			? { ...result, error: { ...result.error, reason: result.error.code ? 'refused' : 'timeout' } }
			: result,
	);
	return { ...content, results };
}

/** What an entry answers to a request with its key: the answer to replay, or why not (an i18n key for a 409). */
export function replayOf(
	entry: StoredAnswer,
	request: {
		fingerprint: string;
		recipients: string[];
		invalidContacts: string[];
		now: number;
		t: Translator;
		/** The send log's word on the entry's batch (`needsSendLog`): recipient → the wamid its record is linked to. */
		linked?: ReadonlyMap<string, string>;
	},
): ReplayAnswer | { refuse: 'api_error_idempotency_conflict' | 'api_error_idempotency_in_progress' } {
	if (!sameFingerprint(entry.fingerprint, request.fingerprint)) return { refuse: 'api_error_idempotency_conflict' };
	const state = entry.state ?? 'done';
	if (state === 'done')
		return { status: entry.status ?? 200, content: { ...withReasons(entry.content as Record<string, unknown>), replayed: true } };
	if (state === 'pending' && (entry.leaseUntil ?? 0) > request.now) return { refuse: 'api_error_idempotency_in_progress' };
	const invalid = request.invalidContacts.length ? { invalidContacts: request.invalidContacts } : {};
	// A campaign was stored: its 202 again (the campaign runs, whether its answer was kept or not).
	if (entry.campaignId) return { status: 202, content: { success: true, campaignId: entry.campaignId, ...invalid, replayed: true } };
	const sent = new Map([...(request.linked ?? []), ...(entry.sent ?? []).map((s): [string, string] => [s.phoneNumber, s.msId])]);
	// `reason` for machines (a result's error, core/app/sendTemplates.ts RecipientError): it may have been sent, and was not sent again.
	const unknown = { code: 0, message: request.t('api_error_idempotency_interrupted'), reason: 'interrupted' as const };
	const results = request.recipients.map((phoneNumber) =>
		sent.has(phoneNumber) ? { phoneNumber, msId: sent.get(phoneNumber) } : { phoneNumber, error: unknown },
	);
	return { status: 200, content: { success: true, ...invalid, results, replayed: true, interrupted: true } };
}

/**
 * Whether a replay of `entry` should ask the send log which of its sends are linked: a request cut
 * off after sending (interrupted, or its lease ran out) whose sends carried a known batch key. The
 * log knows more than the entry: a send linked after the entry's last progress write, and one the
 * status pipeline linked later from Meta's statuses (core/app/statuses.ts, `adoptOrphans`).
 */
export function needsSendLog(entry: StoredAnswer, now: number): entry is StoredAnswer & { batch: string } {
	const state = entry.state ?? 'done';
	const cutOff = state === 'interrupted' || (state === 'pending' && (entry.leaseUntil ?? 0) <= now);
	return cutOff && !entry.campaignId && typeof entry.batch === 'string';
}

/** A reserved key: the request's progress, then its answer. Writes go one at a time, in order. */
export class Reservation {
	private readonly sent: AcceptedSend[] = [];
	private saved = 0;
	private lastWrite: number;
	private writing: Promise<void> = Promise.resolve();
	private busy = false;
	/** Answered, interrupted or released: no progress is written after. */
	private closed = false;

	constructor(
		private readonly store: Idempotency,
		private readonly entry: StoredAnswer,
		private readonly clock: Clock,
	) {
		this.lastWrite = clock.now();
	}

	/** Reserves `key` for this request; the holder's entry when another holds it. */
	static async claim(
		store: Idempotency,
		claim: { key: string; fingerprint: string; clock: Clock; batch?: string },
	): Promise<{ reservation: Reservation } | { holder: StoredAnswer }> {
		const now = claim.clock.now();
		const entry: StoredAnswer = {
			key: claim.key,
			fingerprint: claim.fingerprint,
			at: now,
			id: crypto.randomBytes(12).toString('hex'),
			state: 'pending',
			leaseUntil: now + LEASE_MS,
			sent: [],
			...(claim.batch ? { batch: claim.batch } : {}),
		};
		const holder = await store.reserve(entry, now);
		return holder ? { holder } : { reservation: new Reservation(store, entry, claim.clock) };
	}

	/** Meta accepted the send to `phoneNumber`: kept, and written with the next batch. */
	accepted(phoneNumber: string, msId: string): void {
		this.sent.push({ phoneNumber, msId });
		this.progress();
	}

	/** Writes the msIds not yet written when a batch is due and no write is under way. */
	private progress(): void {
		const due = this.sent.length - this.saved >= PROGRESS_BATCH || this.clock.now() - this.lastWrite >= PROGRESS_EVERY_MS;
		if (due && this.sent.length > this.saved && !this.busy && !this.closed) this.write({ ...this.entry, sent: [...this.sent] }, true);
	}

	/** The request's answer, replayed from now on. */
	async finish(answer: ReplayAnswer): Promise<void> {
		const { key, fingerprint, at, id, batch } = this.entry;
		await this.writeNow({ key, fingerprint, at, ...(id ? { id } : {}), ...(batch ? { batch } : {}), state: 'done', ...answer });
	}

	/**
	 * The request failed after sending, or its answer could not be kept: what was sent is kept for
	 * replays, and the id of the campaign it stored (a replay answers its 202 again). Best effort.
	 */
	async interrupt(campaignId?: string): Promise<void> {
		const entry: StoredAnswer = {
			...this.entry,
			state: 'interrupted',
			leaseUntil: undefined,
			sent: [...this.sent],
			...(campaignId ? { campaignId } : {}),
		};
		await this.writeNow(entry).catch(() => undefined);
	}

	/**
	 * Refused before any send: the key is free again. Best effort: the refusal is the request's
	 * answer; a key the store could not free is held until its lease ends, then answers as interrupted
	 * (no msIds, nothing sent again).
	 */
	async release(): Promise<void> {
		this.closed = true;
		await this.writing.catch(() => undefined);
		await this.store.release(this.entry).catch(() => undefined);
	}

	private async writeNow(entry: StoredAnswer): Promise<void> {
		this.closed = true;
		this.write(entry, false);
		await this.writing;
	}

	/** Chains a write after the previous one; progress writes are best effort (the answer's write is not). */
	private write(entry: StoredAnswer, progress: boolean): void {
		const upTo = entry.sent?.length ?? this.saved;
		this.busy = true;
		this.writing = this.writing
			.catch(() => undefined)
			.then(() => this.store.save(entry))
			.then(
				() => {
					this.saved = Math.max(this.saved, upTo);
					this.lastWrite = this.clock.now();
				},
				(error) => {
					if (!progress) throw error;
				},
			)
			.finally(() => {
				this.busy = false;
				if (progress) this.progress();
			});
	}
}
