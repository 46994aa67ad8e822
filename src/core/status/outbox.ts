/**
 * The delivery outbox of status events: every event is stored (`put`) before it is delivered to the
 * Message Status Endpoint URL, and `deliverDue` delivers what is due, from a scheduler job.
 *
 * Items are stored in pages: the items one writer (a handler run) put, PAGE_SIZE at most. A delivery
 * run reads whole pages, oldest first, and settles each page in a few writes: delivered items leave
 * storage (a full page at once when it can), retried ones are rewritten with their next attempt, and
 * expired ones are kept as failed for an admin's redeliver.
 *
 * State machine of an item:
 *
 *   pending --2xx--> delivered (gone from storage)
 *      |  \--non-2xx, network error, timeout--> pending (attempts+1, back-off)
 *      \--older than maxAge when its turn comes--> failed --requeue (an admin's "redeliver")--> pending
 *
 * One delivery run at a time: the runner (core/app/delivery.ts) lets a single run deliver at once
 * within a runtime, so items need no claim of their own (persistence has no atomic update). A run is
 * bounded by a time budget: it starts no POST after it, and says so (`more`), for the job to go on
 * in a new run.
 *
 * Order per message: within a run, the items of a message go out one after the other by `seq`, and a
 * message whose earlier item is not delivered (not due yet, or just failed) sends nothing later in
 * that run; the older page holding that item comes first in the next run too. Failed items no longer
 * hold later ones back. Messages go out side by side (`concurrency` POSTs at once, or as many as a `limit` allows).
 *
 * Pages are read in windows, oldest first, and each writer (a handler run) has a page of its own: a
 * page is as old as its first item, and its writer may add to it while other writers open newer
 * pages. So a page can hold a later item of a message (Meta's `sent`) than a newer page does (the
 * sender's `queued`), and that newer page may fall in a later window. An item's earlier one is stored
 * before the item is made, so it can lie in a later window only when the item is no older than that
 * window's first page: such an item, unless the item before it in its message (`seq` - 1) is in
 * the window or went out earlier in the run, waits with its message's later ones for the next
 * window (its page is settled once nothing of it waits). The last window holds back nothing: an item
 * put since the run began (in a page it never listed, or after it read the page) is not due in it
 * (`nextAttemptAt` is its `createdAt`, after the run's `now`), and holds its message's later ones back.
 *
 * Back-off (deterministic, no jitter): after the n-th failed attempt the next one is due
 * 30 s x 2^(n-1) later, at most 1 h: 30 s, 1 min, 2 min, 4 min, 8 min, 16 min, 32 min, 1 h, 1 h, ...
 * An item is failed, without another attempt, at the first run at or after `createdAt + maxAgeMs`
 * (72 h by default; `requeuedAt` restarts that window).
 *
 * Delivery is at least once: a receiver that answered 2xx gets that event no more, but one that
 * timed out after processing it gets it again. Each payload carries its `eventId` for the receiver
 * to drop a repeat; a run also drops an id it finds twice, or that its runtime delivered lately.
 * `lastError` is `HTTP <status>`, `timeout` or an error code, never a response body, URL or secret.
 */
import { DeliveryLimit } from './deliveryLimit';
import { StatusPipelineError } from './errors';

const crypto = require('crypto') as typeof import('crypto');

/** `inflight` is only found in items stored by earlier versions (per-item claims); it reads as pending. */
export type OutboxState = 'pending' | 'inflight' | 'delivered' | 'failed';

export interface OutboxItem<P = unknown> {
	/** The event id (the payload's `eventId`). */
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
	/** When an admin requeued it: the retry window restarts here. */
	requeuedAt?: number;
	/** The page it is stored in (set by the store). */
	page?: string;
	/** The record it is stored in with the other items `putMany` wrote at once (set by the store). */
	chunk?: string;
}

export interface OutboxFilter {
	state?: OutboxState | OutboxState[];
	messageKey?: string;
	limit?: number;
}

/** A failed attempt's outcome: when to try again, the attempts so far and the last error. */
export interface OutboxRetry {
	nextAttemptAt: number;
	attempts: number;
	lastError: string;
}

/** Items stored together, delivered and settled together. */
export interface OutboxPage {
	id: string;
	createdAt: number;
}

/** What a run did with the items of one page it read. Items not named stay as they were. */
export interface PageOutcome<P = unknown> {
	/** Delivered (or dropped as a repeat): they leave storage. */
	delivered: string[];
	/** Attempted and refused: pending again, due later. */
	retried: Array<{ item: OutboxItem<P>; next: OutboxRetry }>;
	/** Past their retry window: kept as failed. */
	failed: Array<{ item: OutboxItem<P>; lastError: string }>;
}

/** At most this many items in a page. */
export const PAGE_SIZE = 500;

/**
 * Where outbox items live. Times are ms since the epoch, from the caller's clock.
 *
 * - `put` stores a new pending item in the writer's current page and answers true. A store that
 *   knows an item of that id is kept (open or failed) leaves it and answers false; a store may not
 *   look (a read per event is what it saves): a run delivers an id once even when stored twice.
 * - `putMany` stores new pending items as `put` would one after the other (same pages, same order),
 *   in as few writes as the store can: the persistence store writes them as one record per page.
 * - `pages` lists the pages holding open items, oldest first (a page left empty may stay listed for
 *   a while: its writer may still add to it); `pageItems` the open items of one, in the order they
 *   were put. A page may be listed while its writer still adds to it.
 * - `settle` records a run's outcome for a page (`read`: the items it read): delivered ones leave
 *   storage, retried ones are pending with their new schedule, failed ones are kept as failed.
 *   Items put since the run read the page are kept.
 * - `list` returns items (copies) ordered by `createdAt`, then `seq`, one per id.
 * - `requeue` moves the given failed items back to pending, due at `now` with no attempts and a
 *   new retry window; other ids are ignored. Returns how many moved.
 */
export interface OutboxStore<P = unknown> {
	put(item: OutboxItem<P>): Promise<boolean>;
	putMany(items: Array<OutboxItem<P>>): Promise<void>;
	pages(): Promise<OutboxPage[]>;
	pageItems(page: OutboxPage): Promise<Array<OutboxItem<P>>>;
	settle(page: OutboxPage, read: Array<OutboxItem<P>>, outcome: PageOutcome<P>): Promise<void>;
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
	/** The run's clock (ms): what is due, what expired. */
	now: number;
	send: Sender;
	/** Per POST; a slower answer counts as a failed attempt. Default 10 s. */
	timeoutMs?: number;
	/** Default 72 h. */
	maxAgeMs?: number;
	/** Default `backoffMs`. */
	backoff?: (attempts: number) => number;
	/** POSTs in flight at once (to different messages). Default 8. */
	concurrency?: number;
	/**
	 * Instead of `concurrency`: how many at once, read as each POST ends and before each message is
	 * taken on, and told of every POST's start and answer (a `DeliveryLimit`, deliveryLimit.ts, that
	 * adapts it to the receiver).
	 */
	limit?: Pick<DeliveryLimit, 'value' | 'started' | 'observe'>;
	/** Real elapsed time (ms) for the budget. Default Date.now. */
	timer?: () => number;
	/** No POST starts after this many ms of the run. Default: no budget. */
	budgetMs?: number;
	/** Items read before delivering them (whole pages, one at least). Default 2,000. */
	window?: number;
	/** Ids this runtime delivered lately: found again, they are dropped, not POSTed twice. */
	recent?: RecentIds;
	signingSecret?: string;
	/** Unix seconds for `X-Signature-Timestamp`. Default `now` in seconds. */
	signatureTimestamp?: number;
}

export interface DeliverySummary {
	delivered: number;
	retried: number;
	failed: number;
	/** Repeats of an id, removed without a POST. */
	dropped: number;
	/** The budget ran out with due items left: another run should follow at once. */
	more: boolean;
}

/** The ids a runtime delivered lately, the oldest forgotten first (bounded memory). */
export class RecentIds {
	private readonly ids = new Set<string>();

	constructor(private readonly capacity = 50000) {}

	has(id: string): boolean {
		return this.ids.has(id);
	}

	add(id: string): void {
		this.ids.add(id);
		if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
	}
}

class DeliveryTimeout extends Error {
	readonly code = 'timeout';
}

/**
 * A redirect Rocket.Chat's HTTP could not follow, in the words each version throws. From Rocket.Chat
 * 8.2, server-fetch's own loop (packages/server-fetch/src/index.ts `followRedirect`): a redirect
 * without Location, a sixth redirect, or a Location that is no URL (`new URL(location, currentUrl)`:
 * "Invalid URL"; the status URL itself was checked before the call). Up to 8.1, node-fetch 2.7.0's:
 * a 21st redirect or a Location that is no URL.
 */
const REDIRECT_FAILURE =
	/^(redirect-response-location-header-missing|error-too-many-redirects|Invalid URL)$|^maximum redirect reached at: |^uri requested responds with an invalid redirect URL: /;

/** What `lastError` may say about a thrown error: a bare error code (ECONNREFUSED), never a message with a URL in it. */
function errorCode(error: unknown): string {
	if (error instanceof DeliveryTimeout) return 'timeout';
	const message = error instanceof Error ? error.message : undefined;
	if (message && REDIRECT_FAILURE.test(message)) return 'redirect_error';
	const code = (error as { code?: unknown } | null)?.code;
	if (typeof code === 'string' && /^[A-Za-z][A-Za-z0-9_]{1,40}$/.test(code)) return code;
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

/** Pages read at once. */
const PAGE_READS = 8;

interface WindowEntry<P> {
	page: OutboxPage;
	read: Array<OutboxItem<P>>;
	outcome: PageOutcome<P>;
}

/** An item of a window, with the outcome of the page it was read from. */
interface Queued<P> {
	item: OutboxItem<P>;
	entry: WindowEntry<P>;
}

/** One delivery run: due items, in order per message, `concurrency` (or `limit`) messages at once, until done or out of budget. */
export async function deliverDue<P>(options: DeliverOptions<P>): Promise<DeliverySummary> {
	const timer = options.timer ?? Date.now;
	const deadline = timer() + (options.budgetMs ?? Infinity);
	const summary: DeliverySummary = { delivered: 0, retried: 0, failed: 0, dropped: 0, more: false };
	const run: RunState<P> = { options, deadline, timer, summary, blocked: new Set(), seen: new Map(), posting: 0, lastSeq: new Map() };
	const pages = await options.store.pages();
	const windowSize = options.window ?? 2000;
	// Items held back for a later window (their pages are settled once none of theirs waits).
	let waiting: Array<Queued<P>> = [];
	const settle = (entries: Array<WindowEntry<P>>) => Promise.all(entries.map((w) => options.store.settle(w.page, w.read, w.outcome)));
	for (let next = 0; next < pages.length;) {
		if (timer() >= deadline) {
			summary.more = true;
			break;
		}
		const window: Array<WindowEntry<P>> = [];
		// Whole pages until the window is full, read PAGE_READS at once.
		for (let count = 0; next < pages.length && (count === 0 || count < windowSize);) {
			const group = pages.slice(next, next + PAGE_READS);
			next += group.length;
			for (const [i, read] of (await Promise.all(group.map((page) => options.store.pageItems(page)))).entries()) {
				window.push({ page: group[i], read, outcome: { delivered: [], retried: [], failed: [] } });
				count += read.length;
			}
		}
		const earlier = [...new Set(waiting.map((w) => w.entry))];
		const { queues, held } = queuesOf(run, window, waiting, pages[next]?.createdAt);
		await deliverWindow(run, queues);
		waiting = held;
		const waits = new Set(held.map((w) => w.entry));
		await settle([...earlier, ...window].filter((w) => !waits.has(w)));
	}
	// Out of budget: the pages of items held back are settled with what the run did.
	await settle([...new Set(waiting.map((w) => w.entry))]);
	return summary;
}

interface RunState<P> {
	options: DeliverOptions<P>;
	deadline: number;
	timer: () => number;
	summary: DeliverySummary;
	/** Messages whose earlier item was not delivered in this run: nothing later of theirs goes. */
	blocked: Set<string>;
	/** Ids met in this run, with the page each was first read from. */
	seen: Map<string, OutboxPage>;
	/** POSTs in flight now. */
	posting: number;
	/** The last `seq` of each message that went out (or failed for good) in this run. */
	lastSeq: Map<string, number>;
}

/**
 * The window's items, and those held back from the window before (`waiting`), as queues per message
 * (by `seq`, then the order they were put), repeats dropped. With `nextPage` (when the next window's
 * first page was opened), a message's items from the first one that may follow an item of a later
 * window (no older than that page, and the item before it in the message neither in the window nor
 * out in this run) are `held` for the next window.
 */
function queuesOf<P>(
	run: RunState<P>,
	window: Array<WindowEntry<P>>,
	waiting: Array<Queued<P>>,
	nextPage: number | undefined,
): { queues: Array<Array<Queued<P>>>; held: Array<Queued<P>> } {
	const queues = new Map<string, Array<Queued<P>>>();
	const add = (queued: Queued<P>) => {
		const queue = queues.get(queued.item.messageKey);
		if (queue) queue.push(queued);
		else queues.set(queued.item.messageKey, [queued]);
	};
	for (const queued of waiting) add(queued);
	for (const entry of window)
		for (const item of entry.read) {
			// Delivered lately by this runtime: a repeat, removed without a POST.
			if (run.options.recent?.has(item.id)) {
				entry.outcome.delivered.push(item.id);
				run.summary.dropped++;
				continue;
			}
			// A second copy of an event read in this run (stored twice: a `queued` queued again after a
			// crash). In another page: a repeat, removed without a POST (a store removes it by its own
			// page's keys). In the same page: left as it is, as a store cannot remove one of two records
			// it tells apart by nothing; the first copy's outcome decides for both.
			const first = run.seen.get(item.id);
			if (first) {
				if (first === entry.page) continue;
				entry.outcome.delivered.push(item.id);
				run.summary.dropped++;
				continue;
			}
			run.seen.set(item.id, entry.page);
			add({ item, entry });
		}
	const held: Array<Queued<P>> = [];
	for (const [key, queue] of queues) {
		queue.sort((a, b) => a.item.seq - b.item.seq);
		if (nextPage === undefined) continue;
		const cut = queue.findIndex(
			({ item }, i) => item.createdAt >= nextPage && item.seq > (i ? queue[i - 1].item.seq : (run.lastSeq.get(key) ?? 0)) + 1,
		);
		if (cut >= 0) held.push(...queue.splice(cut));
	}
	return { queues: [...queues.values()].filter((queue) => queue.length), held };
}

/**
 * The window's messages, each taken on by one worker (its items in order), as many workers at once
 * as the limit allows: it is read again as each POST ends, so workers are added when it grows and
 * leave, between messages, when it shrinks.
 */
async function deliverWindow<P>(run: RunState<P>, queues: Array<Array<Queued<P>>>): Promise<void> {
	const allowed = () => {
		const n = run.options.limit?.value ?? run.options.concurrency ?? 8;
		return Number.isFinite(n) ? Math.max(1, n) : 8;
	};
	let next = 0;
	let active = 0;
	const workers: Array<Promise<void>> = [];
	let failure: { error: unknown } | undefined;
	const worker = async () => {
		try {
			while (!failure && next < queues.length && active <= allowed()) {
				const queue = queues[next++];
				for (const { item, entry } of queue) {
					const more = await deliverOne(run, item, entry.outcome);
					spawn();
					if (!more) break;
				}
			}
		} catch (error) {
			failure ??= { error };
		} finally {
			active--;
		}
	};
	const spawn = () => {
		while (!failure && active < allowed() && next < queues.length) {
			active++;
			workers.push(worker());
		}
	};
	spawn();
	// Workers started later are pushed before the worker that started them ends: all are awaited.
	for (let i = 0; i < workers.length; i++) await workers[i];
	if (failure) throw failure.error;
}

/** Delivers one item, or leaves it; answers whether the message's next item may go. */
async function deliverOne<P>(run: RunState<P>, item: OutboxItem<P>, outcome: PageOutcome<P>): Promise<boolean> {
	const { options, summary } = run;
	if (run.blocked.has(item.messageKey)) return false;
	if (options.now - (item.requeuedAt ?? item.createdAt) >= (options.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) {
		// `failed` says the window ran out; the error kept is the last one the receiver gave.
		outcome.failed.push({ item, lastError: item.lastError ?? 'expired' });
		summary.failed++;
		run.lastSeq.set(item.messageKey, item.seq);
		return true;
	}
	if (item.nextAttemptAt > options.now || run.timer() >= run.deadline) {
		if (item.nextAttemptAt <= options.now) summary.more = true;
		run.blocked.add(item.messageKey);
		return false;
	}
	const mark = options.limit?.started(++run.posting);
	const startedAt = run.timer();
	const lastError = await post(options, item);
	run.posting--;
	if (mark) options.limit?.observe(run.timer() - startedAt, lastError === undefined, mark);
	if (lastError === undefined) {
		outcome.delivered.push(item.id);
		options.recent?.add(item.id);
		summary.delivered++;
		run.lastSeq.set(item.messageKey, item.seq);
		return true;
	}
	const attempts = item.attempts + 1;
	const backoff = options.backoff ?? backoffMs;
	outcome.retried.push({ item, next: { nextAttemptAt: options.now + Math.max(1, backoff(attempts)), attempts, lastError } });
	summary.retried++;
	run.blocked.add(item.messageKey);
	return false;
}

/** POSTs an item's payload, signed when a secret is set; answers undefined on 2xx, else the error to keep. */
async function post<P>(options: DeliverOptions<P>, item: OutboxItem<P>): Promise<string | undefined> {
	const body = JSON.stringify(item.payload);
	const timestamp = options.signatureTimestamp ?? Math.floor(options.now / 1000);
	const headers: Record<string, string> = {
		'Content-Type': 'application/json',
		...(options.signingSecret ? signBody(body, options.signingSecret, timestamp) : {}),
	};
	try {
		const { status } = await withTimeout(options.send(body, headers), options.timeoutMs ?? 10000);
		return status >= 200 && status < 300 ? undefined : `HTTP ${status}`;
	} catch (error) {
		return errorCode(error);
	}
}

const copy = <P>(item: OutboxItem<P>): OutboxItem<P> => ({ ...item });
const isOpen = (item: OutboxItem<unknown>) => item.state === 'pending' || item.state === 'inflight';

/** `OutboxStore` in memory: for tests, and the reference for the persistence adapter. */
export class MemoryOutboxStore<P = unknown> implements OutboxStore<P> {
	private readonly items = new Map<string, OutboxItem<P>>();
	private readonly pageList: Array<OutboxPage & { ids: string[] }> = [];
	private pageCount = 0;

	constructor(private readonly pageSize = PAGE_SIZE) {}

	async put(item: OutboxItem<P>): Promise<boolean> {
		if (this.items.has(item.id)) return false;
		this.place(item.id, item.createdAt);
		this.items.set(item.id, copy(item));
		return true;
	}

	async putMany(items: Array<OutboxItem<P>>): Promise<void> {
		for (const item of items) await this.put(item);
	}

	async pages(): Promise<OutboxPage[]> {
		return this.pageList.filter((p) => p.ids.some((id) => isOpen(this.items.get(id)!))).map(({ id, createdAt }) => ({ id, createdAt }));
	}

	async pageItems(page: OutboxPage): Promise<Array<OutboxItem<P>>> {
		const ids = this.pageList.find((p) => p.id === page.id)?.ids ?? [];
		return ids
			.map((id) => this.items.get(id)!)
			.filter(isOpen)
			.map((item) => ({ ...copy(item), page: page.id }));
	}

	async settle(_page: OutboxPage, _read: Array<OutboxItem<P>>, outcome: PageOutcome<P>): Promise<void> {
		for (const id of outcome.delivered) this.items.delete(id);
		for (const { item, next } of outcome.retried) this.update(item.id, { state: 'pending', ...next });
		for (const { item, lastError } of outcome.failed) this.update(item.id, { state: 'failed', lastError });
		for (let i = this.pageList.length - 1; i >= 0; i--) {
			const page = this.pageList[i];
			page.ids = page.ids.filter((id) => this.items.get(id) && isOpen(this.items.get(id)!));
			if (!page.ids.length && i < this.pageList.length - 1) this.pageList.splice(i, 1);
		}
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
			this.place(id, now);
			moved++;
		}
		return moved;
	}

	/** Puts an id in the current page, or a new one when it is full. */
	private place(id: string, createdAt: number): void {
		let page = this.pageList[this.pageList.length - 1];
		if (!page || page.ids.length >= this.pageSize) {
			page = { id: `page-${++this.pageCount}`, createdAt, ids: [] };
			this.pageList.push(page);
		}
		page.ids.push(id);
	}

	private update(id: string, changes: Partial<OutboxItem<P>>): void {
		const item = this.items.get(id);
		if (!item) throw new StatusPipelineError('outbox_unknown_item', `outbox: no item ${id}`);
		Object.assign(item, changes);
	}
}
