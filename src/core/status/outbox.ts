/**
 * The delivery outbox of status events. Every event is stored before delivery; delivery to the
 * Message Status Endpoint URL retries with exponential back-off until it succeeds or the event is
 * older than the retry window (72 h by default), then it is kept as `failed` for inspection.
 * Order per message is preserved: an event waits while an earlier event of the same message is
 * still pending. Each event carries its id (`eventId`), so a receiver can drop a redelivery.
 *
 * Time is the caller's: the app passes the delivery job's clock, so tests drive it exactly.
 */
const crypto = require('crypto') as typeof import('crypto');

export interface OutboxItem<P = unknown> {
	id: string;
	/** Events of one message (its wamid, or its send id) are delivered in `seq` order. */
	messageKey: string;
	seq: number;
	payload: P;
	state: 'pending' | 'delivered' | 'failed';
	attempts: number;
	createdAt: number;
	nextAttemptAt: number;
	lastError?: string;
}

export interface DeliveryResult {
	status?: number;
	error?: string;
}

export type Poster = (body: string, headers: Record<string, string>) => Promise<DeliveryResult>;

/** 30 s, 1 min, 2 min, 4 min ... at most 1 h between attempts. */
export function backoffMs(attempts: number): number {
	return Math.min(30000 * 2 ** Math.max(0, attempts - 1), 3600000);
}

/**
 * The optional signing of deliveries: `X-Signature-Timestamp: <unix seconds>` and
 * `X-Signature-256: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the signing secret>`.
 */
export function signDelivery(body: string, secret: string, unixSeconds: number): Record<string, string> {
	const timestamp = String(unixSeconds);
	const signature = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
	return { 'X-Signature-Timestamp': timestamp, 'X-Signature-256': `sha256=${signature}` };
}

export interface DeliverOptions<P> {
	items: Array<OutboxItem<P>>;
	now: number;
	post: Poster;
	maxAgeMs: number;
	signingSecret?: string;
	/** Wall-clock seconds for the signature timestamp. */
	unixSeconds: number;
	/** At most this many deliveries in one run. */
	limit?: number;
}

/**
 * Delivers what is due, in order per message. Returns the items whose state changed, for the
 * caller to persist. A message whose head event fails is skipped until that event is retried.
 */
export async function deliverDue<P>(options: DeliverOptions<P>): Promise<Array<OutboxItem<P>>> {
	const changed: Array<OutboxItem<P>> = [];
	const byMessage = new Map<string, Array<OutboxItem<P>>>();
	for (const item of options.items) {
		if (item.state !== 'pending') continue;
		const queue = byMessage.get(item.messageKey) ?? [];
		queue.push(item);
		byMessage.set(item.messageKey, queue);
	}
	const heads: Array<OutboxItem<P>> = [];
	for (const queue of byMessage.values()) queue.sort((a, b) => a.seq - b.seq || a.createdAt - b.createdAt);
	let delivered = 0;
	for (const queue of byMessage.values()) heads.push(queue[0]);
	heads.sort((a, b) => a.createdAt - b.createdAt);
	for (const head of heads) {
		const queue = byMessage.get(head.messageKey) as Array<OutboxItem<P>>;
		for (const item of queue) {
			if (options.limit !== undefined && delivered >= options.limit) return changed;
			if (options.now - item.createdAt > options.maxAgeMs) {
				item.state = 'failed';
				changed.push(item);
				continue;
			}
			if (item.nextAttemptAt > options.now) break;
			const body = JSON.stringify(item.payload);
			const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(options.signingSecret ? signDelivery(body, options.signingSecret, options.unixSeconds) : {}) };
			let result: DeliveryResult;
			try {
				result = await options.post(body, headers);
			} catch (error) {
				result = { error: error instanceof Error ? error.message : 'network error' };
			}
			item.attempts++;
			delivered++;
			changed.push(item);
			if (result.status !== undefined && result.status >= 200 && result.status < 300) {
				item.state = 'delivered';
				delete item.lastError;
				continue;
			}
			item.lastError = result.status !== undefined ? `HTTP ${result.status}` : (result.error ?? 'network error');
			item.nextAttemptAt = options.now + backoffMs(item.attempts);
			break;
		}
	}
	return changed;
}
