/**
 * The delivery outbox of status events: every event is stored (`put`) before it is delivered to the
 * Message Status Endpoint URL, and `deliverDue` delivers what is due, from a scheduler job.
 *
 * State machine of an item:
 *
 *   pending --claimDue--> inflight --2xx--> delivered
 *      ^                     |  \--non-2xx, network error, timeout--> pending (attempts+1, back-off)
 *      |                     \--older than maxAge when claimed--> failed
 *      +------- requeue (an admin's "redeliver") ------------------------/
 *   (an inflight item whose lease ran out, its worker gone, is claimable again)
 *
 * Order per message: an item is never claimed while an item of the same `messageKey` with a lower
 * `seq` is pending or inflight. Delivered and failed items no longer hold later ones back.
 *
 * Back-off (deterministic, no jitter): after the n-th failed attempt the next one is due
 * 30 s x 2^(n-1) later, at most 1 h: 30 s, 1 min, 2 min, 4 min, 8 min, 16 min, 32 min, 1 h, 1 h, ...
 * An item is failed, without another attempt, at the first run at or after `createdAt + maxAgeMs`
 * (72 h by default; `requeuedAt` restarts that window).
 *
 * Delivery is at least once: a receiver that answered 2xx gets that event no more, but one that
 * timed out after processing it gets it again. Each payload carries its `eventId` for the receiver
 * to drop a repeat. `lastError` is `HTTP <status>`, `timeout` or an error code, never a response
 * body, URL or secret.
 */
import { StatusPipelineError } from './errors';

const crypto = require('crypto') as typeof import('crypto');

export type OutboxState = 'pending' | 'inflight' | 'delivered' | 'failed';

export interface OutboxItem<P = unknown> {
	/** The event id (the payload's `eventId`): putting the same id twice stores it once. */
	id: string;
	/** The message the event is about (its wamid, or its send id): the unit of ordering. */
	messageKey: string;
	/** Order within the message. */
	seq: number;
	payload: P;
	attempts: number;
	nextAttemptAt: number;
	createdAt: number;
	state: OutboxState;
	lastError?: string;
	/** While inflight: who claimed it and until when. */
	claimedBy?: string;
	leaseUntil?: number;
	/** When an admin requeued it: the retry window restarts here. */
	requeuedAt?: number;
}

export interface OutboxFilter {
	state?: OutboxState | OutboxState[];
	messageKey?: string;
	limit?: number;
}

/** A claim of due items: at `now`, at most `limit`, for `workerId`, held for `leaseMs`. */
export interface OutboxClaim {
	now: number;
	limit: number;
	workerId: string;
	leaseMs: number;
}

/** A failed attempt's outcome: when to try again, the attempts so far and the last error. */
export interface OutboxRetry {
	nextAttemptAt: number;
	attempts: number;
	lastError: string;
}

/**
 * Where outbox items live. Times are ms since the epoch, from the caller's clock.
 *
 * - `put` stores a new item and returns true; an item with the same id, in any state, is left as
 *   it is and false returned (duplicate events are harmless). A store may remove delivered items.
 * - `claimDue` atomically selects and marks `inflight` (with `claimedBy = workerId`,
 *   `leaseUntil = now + leaseMs`) at most `limit` items that are (a) pending with
 *   `nextAttemptAt <= now`, or inflight with `leaseUntil <= now`, and (b) the lowest `seq` among
 *   the pending and inflight items of their `messageKey` (so at most one per message). Two
 *   concurrent calls never return the same item. Oldest `nextAttemptAt` first. It returns copies.
 * - `complete` marks delivered; `reschedule` returns it to pending with the given schedule;
 *   `fail` marks it failed. All three clear the lease and throw `outbox_unknown_item` for an
 *   unknown id.
 * - `list` returns items (copies) ordered by `createdAt`, then `seq`.
 * - `requeue` moves the given failed items back to pending, due at `now` with no attempts and a
 *   new retry window; other ids are ignored. Returns how many moved.
 */
export interface OutboxStore<P = unknown> {
	put(item: OutboxItem<P>): Promise<boolean>;
	claimDue(claim: OutboxClaim): Promise<Array<OutboxItem<P>>>;
	complete(id: string): Promise<void>;
	reschedule(id: string, next: OutboxRetry): Promise<void>;
	fail(id: string, lastError: string): Promise<void>;
	list(filter?: OutboxFilter): Promise<Array<OutboxItem<P>>>;
	requeue(ids: string[], now: number): Promise<number>;
}

/** A new pending item, due at once. */
export function newOutboxItem<P>(fields: { id: string; messageKey: string; seq: number; payload: P; now: number }): OutboxItem<P> {
	return {
		id: fields.id,
		messageKey: fields.messageKey,
		seq: fields.seq,
		payload: fields.payload,
		attempts: 0,
		nextAttemptAt: fields.now,
		createdAt: fields.now,
		state: 'pending',
	};
}

export const BACKOFF_BASE_MS = 30000;
export const BACKOFF_CAP_MS = 3600000;
export const DEFAULT_MAX_AGE_MS = 72 * 3600000;

/** Delay before the next attempt after `attempts` failed ones: 30 s, 1 min, 2 min, 4 min ... at most 1 h. */
export function backoffMs(attempts: number): number {
	const n = Math.max(1, Math.floor(attempts));
	return n > 8 ? BACKOFF_CAP_MS : Math.min(BACKOFF_BASE_MS * 2 ** (n - 1), BACKOFF_CAP_MS);
}

/**
 * Signing of deliveries, when the admin sets a signing secret. Each POST carries
 *
 *   X-Signature-Timestamp: <unix seconds when it was sent>
 *   X-Signature-256: sha256=<lowercase hex HMAC-SHA256, keyed with the secret, of "<timestamp>.<body>">
 *
 * where <body> is the exact UTF-8 request body. A receiver recomputes the HMAC over the raw body it
 * received (not re-serialized JSON), compares it in constant time, and refuses timestamps more than
 * a few minutes old (a replay). In Node:
 *
 *   const expected = 'sha256=' + crypto.createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex');
 *   const ok = expected.length === sig.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(sig));
 */
export function signBody(body: string, secret: string, timestamp: number | string): Record<string, string> {
	const ts = String(timestamp);
	const hex = crypto.createHmac('sha256', secret).update(`${ts}.${body}`, 'utf8').digest('hex');
	return { 'X-Signature-256': `sha256=${hex}`, 'X-Signature-Timestamp': ts };
}

/** POSTs `body` (to be sent byte for byte: it is what was signed) with `headers`; resolves with the HTTP status. */
export type Sender = (body: string, headers: Record<string, string>) => Promise<{ status: number }>;

export interface DeliverOptions<P> {
	store: OutboxStore<P>;
	/** The run's clock (ms). */
	now: number;
	send: Sender;
	/** Per POST; a slower answer counts as a failed attempt. Default 10 s. */
	timeoutMs?: number;
	/** Default 72 h. */
	maxAgeMs?: number;
	/** Default `backoffMs`. */
	backoff?: (attempts: number) => number;
	/** At most this many POSTs in one run. Default 500. */
	limit?: number;
	/** POSTs in flight at once (to different messages). Default 4. */
	concurrency?: number;
	workerId?: string;
	/** Must exceed `timeoutMs`. Default `timeoutMs` + 60 s. */
	leaseMs?: number;
	signingSecret?: string;
	/** Unix seconds for `X-Signature-Timestamp`. Default `now` in seconds. */
	signatureTimestamp?: number;
}

export interface DeliverySummary {
	delivered: number;
	retried: number;
	failed: number;
}

class DeliveryTimeout extends Error {
	readonly code = 'timeout';
}

/** What `lastError` may say about a thrown error: a bare error code (ECONNREFUSED), never a message with a URL in it. */
function errorCode(error: unknown): string {
	if (error instanceof DeliveryTimeout) return 'timeout';
	const code = (error as { code?: unknown } | null)?.code;
	if (typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_]{1,40}$/.test(code)) return code;
	const message = error instanceof Error ? error.message : undefined;
	if (message && /^[A-Z][A-Z0-9_]{2,40}$/.test(message)) return message;
	return 'network_error';
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new DeliveryTimeout('delivery timed out')), ms);
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}

/**
 * One delivery run: claims due items (the head of each message), POSTs them, records the outcome,
 * and claims again, so a message's queued events go out in order in the same run, until nothing is
 * due or `limit` POSTs were made. Store errors propagate (the claimed items are retried once their
 * lease runs out).
 */
export async function deliverDue<P>(options: DeliverOptions<P>): Promise<DeliverySummary> {
	const timeoutMs = options.timeoutMs ?? 10000;
	const leaseMs = options.leaseMs ?? timeoutMs + 60000;
	if (!(leaseMs > timeoutMs))
		throw new StatusPipelineError(
			'outbox_invalid_options',
			'deliverDue: leaseMs must exceed timeoutMs, or a slow POST could be claimed twice',
		);
	const { store, now, send } = options;
	const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
	const backoff = options.backoff ?? backoffMs;
	const workerId = options.workerId ?? 'deliver';
	const concurrency = Math.max(1, options.concurrency ?? 4);
	const timestamp = options.signatureTimestamp ?? Math.floor(now / 1000);
	const summary: DeliverySummary = { delivered: 0, retried: 0, failed: 0 };
	let budget = options.limit ?? 500;

	const deliverOne = async (item: OutboxItem<P>): Promise<void> => {
		if (now - (item.requeuedAt ?? item.createdAt) >= maxAgeMs) {
			// `failed` says the window ran out; the error kept is the last one the receiver gave.
			await store.fail(item.id, item.lastError ?? 'expired');
			summary.failed++;
			return;
		}
		budget--;
		const body = JSON.stringify(item.payload);
		const headers: Record<string, string> = {
			'Content-Type': 'application/json',
			...(options.signingSecret ? signBody(body, options.signingSecret, timestamp) : {}),
		};
		let lastError: string;
		try {
			const { status } = await withTimeout(send(body, headers), timeoutMs);
			if (status >= 200 && status < 300) {
				await store.complete(item.id);
				summary.delivered++;
				return;
			}
			lastError = `HTTP ${status}`;
		} catch (error) {
			lastError = errorCode(error);
		}
		const attempts = item.attempts + 1;
		await store.reschedule(item.id, { nextAttemptAt: now + Math.max(1, backoff(attempts)), attempts, lastError });
		summary.retried++;
	};

	while (budget > 0) {
		const batch = await store.claimDue({ now, limit: budget, workerId, leaseMs });
		if (!batch.length) break;
		let next = 0;
		const worker = async () => {
			while (next < batch.length) await deliverOne(batch[next++]);
		};
		const workers: Array<Promise<void>> = [];
		for (let i = 0; i < Math.min(concurrency, batch.length); i++) workers.push(worker());
		await Promise.all(workers);
	}
	return summary;
}

const copy = <P>(item: OutboxItem<P>): OutboxItem<P> => ({ ...item });
const isOpen = (item: OutboxItem<unknown>) => item.state === 'pending' || item.state === 'inflight';

/** `OutboxStore` in memory: for tests, and the reference for the persistence adapter. */
export class MemoryOutboxStore<P = unknown> implements OutboxStore<P> {
	private readonly items = new Map<string, OutboxItem<P>>();

	async put(item: OutboxItem<P>): Promise<boolean> {
		if (this.items.has(item.id)) return false;
		this.items.set(item.id, copy(item));
		return true;
	}

	async claimDue({ now, limit, workerId, leaseMs }: OutboxClaim): Promise<Array<OutboxItem<P>>> {
		const heads = new Map<string, OutboxItem<P>>();
		for (const item of this.items.values()) {
			if (!isOpen(item)) continue;
			const head = heads.get(item.messageKey);
			if (!head || item.seq < head.seq || (item.seq === head.seq && item.createdAt < head.createdAt))
				heads.set(item.messageKey, item);
		}
		const due: Array<OutboxItem<P>> = [];
		for (const head of heads.values()) {
			const claimable = head.state === 'pending' ? head.nextAttemptAt <= now : (head.leaseUntil ?? 0) <= now;
			if (claimable) due.push(head);
		}
		due.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
		return due.slice(0, Math.max(0, limit)).map((item) => {
			item.state = 'inflight';
			item.claimedBy = workerId;
			item.leaseUntil = now + leaseMs;
			return copy(item);
		});
	}

	async complete(id: string): Promise<void> {
		this.settle(id, { state: 'delivered' });
	}

	async reschedule(id: string, next: OutboxRetry): Promise<void> {
		this.settle(id, { state: 'pending', ...next });
	}

	async fail(id: string, lastError: string): Promise<void> {
		this.settle(id, { state: 'failed', lastError });
	}

	async list(filter: OutboxFilter = {}): Promise<Array<OutboxItem<P>>> {
		const states = filter.state === undefined ? undefined : ([] as OutboxState[]).concat(filter.state);
		const found = Array.from(this.items.values()).filter(
			(item) =>
				(!states || states.includes(item.state)) && (filter.messageKey === undefined || item.messageKey === filter.messageKey),
		);
		found.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
		return found.slice(0, filter.limit ?? found.length).map(copy);
	}

	async requeue(ids: string[], now: number): Promise<number> {
		let moved = 0;
		for (const id of ids) {
			const item = this.items.get(id);
			if (!item || item.state !== 'failed') continue;
			Object.assign(item, { state: 'pending', attempts: 0, nextAttemptAt: now, requeuedAt: now });
			moved++;
		}
		return moved;
	}

	private settle(id: string, changes: Partial<OutboxItem<P>>): void {
		const item = this.items.get(id);
		if (!item) throw new StatusPipelineError('outbox_unknown_item', `outbox: no item ${id}`);
		Object.assign(item, changes);
		delete item.claimedBy;
		delete item.leaseUntil;
	}
}
