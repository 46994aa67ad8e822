/**
 * Meta's webhooks, app side: a verified webhook is normalized into typed events and stored in the
 * webhook inbox (`acceptWebhook`), and the processing job hands each stored event to its handler
 * (`processWebhooks`): statuses and revokes to the status service, contacts' messages to the inbound
 * service, template status changes to the template cache.
 *
 * - An entry is claimed before it is handled (a lease), so that two runs at once do not handle it twice.
 * - A failing event neither blocks the others nor is lost at once: it is retried with back-off
 *   (30 s, 1, 2, 4 min) and dropped after MAX_EVENT_ATTEMPTS, each failure reported in the run's problems.
 *   A failed status holds its message's later steps until then, so that it is not made a step back.
 * - A contact's message that cannot be posted (Rocket.Chat failing to open its room, say) is never
 *   dropped that soon: it is retried with a back-off that doubles up to MESSAGE_BACKOFF_MAX_MS, for
 *   MESSAGE_RETRY_HORIZON_MS after its first failure, and the contact's later messages wait behind
 *   it, in order (`InboxEntry.contacts`), without a failed attempt of their own.
 * - A contact's message that cannot be put in a room yet (WaitingForAgent) waits, in order with the
 *   contact's later messages, without a failed attempt, until a room can be opened.
 * - A run that finds the inbox empty sweeps it, at most once an hour in a runtime, for the events
 *   of webhooks whose storing was interrupted (`OrphanSweep`).
 */
import { fromMetaStatus, STATUS_RANK } from '../status/ordering';
import {
	InboundMessageEvent,
	SkippedPart,
	StatusEvent,
	TemplateStatusEvent,
	ValueErrorEvent,
	walkWebhook,
	WebhookEvent,
} from '../status/webhook';
import { describeForeign, inScope, partitionByScope, WebhookScope } from '../webhook/tenancy';
import { WaitingForAgent } from './errors';
import { Clock, InboundHandler, Jobs, Logger } from './ports';
import { STATUSES_AT_ONCE } from './parallel';

export { STATUSES_AT_ONCE };
import { ClaimPorts, claimedRound } from './roundClaims';
import { RUN_BUDGET_MS, RunGate, wallClock } from './runBudget';
import { KeptStatuses, ORDER_RECHECK_MS, ORDER_WAIT_MS, Refusals, StatusHolds } from './statuses';

const crypto = require('crypto') as typeof import('crypto');

export const MAX_EVENT_ATTEMPTS = 5;
/**
 * A contact's message is tried again this long after it first failed (a day: an outage of the
 * host's database or of omnichannel outlasts the other events' five attempts), then dropped and logged.
 */
export const MESSAGE_RETRY_HORIZON_MS = 24 * 60 * 60000;
/** Its back-off doubles from INBOX_BACKOFF_MS up to this. */
export const MESSAGE_BACKOFF_MAX_MS = 10 * 60000;
/** The first retry of a failed entry; each next one waits twice as long. */
export const INBOX_BACKOFF_MS = 30000;
/** A run that claimed an entry and died frees it after this long. */
export const INBOX_LEASE_MS = 5 * 60000;
/** Statuses of messages not known yet are looked at again after this long (by the next run then). */
export const UNKNOWN_RECHECK_MS = 1000;
/**
 * Each later look waits twice as long, up to this: a status of a message the app never sent (one
 * sent by another system from the same number, say) costs a few looks in its window, not one a second.
 */
export const UNKNOWN_RECHECK_MAX_MS = 60000;
/** Each entry of messages waiting for an agent is tried at least this often (`InboxEntry.waitingRoutes`). */
export const WAITING_FULL_CHECK_MS = 2 * 60000;
/**
 * Events an interrupted `add` left without their entry are removed once this old (`sweepOrphans`):
 * an `add` under way writes its entry within a second or so of its events.
 */
export const ORPHAN_AGE_MS = 60 * 60000;
/** A runtime sweeps the inbox for such events at most this often, on a run that finds the inbox empty. */
export const ORPHAN_SWEEP_EVERY_MS = 60 * 60000;

/** One stored webhook: its events still to handle. Times are ms since the epoch, on the service's clock. */
export interface InboxEntry {
	id: string;
	attempts?: number;
	/** When a failed entry is tried again. */
	nextAttemptAt?: number;
	/** Until when a run holds the entry. */
	claimedUntil?: number;
	/** The app that stored it (the source of the rooms its messages open). */
	appId?: string;
	/** The webhook's events, normalized when it arrived. */
	events: WebhookEvent[];
	/**
	 * The numbers and accounts the secret that signed the webhook vouches for: events about any
	 * other are not handled. Entries stored before this was recorded have none; they were accepted
	 * when a connected number's secret signed them, and are handled as they were then.
	 */
	scope?: WebhookScope;
	receivedAt: number;
	/**
	 * The earliest Meta `timestamp` (ms) of the contacts' messages it holds (`messagesAtOf`), if any:
	 * entries are handled in that order (`orderAt`), so that a contact's messages are posted as they
	 * were written when Meta's webhooks come out of order (a retry of an older one after a newer one).
	 */
	messagesAt?: number;
	/** Messages waiting for an agent to be online (see WaitingForAgent): since when. */
	waitingSince?: number;
	/**
	 * Of messages waiting for an agent: their contacts (`<phone number id>:<wa id>`, as `contacts`):
	 * while another run holds the entry, their later messages wait behind it.
	 */
	waitingContacts?: string[];
	/**
	 * Of messages waiting for an agent, when each contact's is known: the room Rocket.Chat refused
	 * it for want of an agent (`WaitingForAgent.route`: the number, department and agent asked for),
	 * by contact. A run in which each of these was refused again (for an older entry) leaves the entry
	 * where it is, unless it was last tried WAITING_FULL_CHECK_MS ago (`waitingTriedAt`): not claimed,
	 * not tried (a try costs Rocket.Chat a room it refuses), its contacts' later messages behind it.
	 * So while nobody is online for a department, one of its contacts is tried per run, and each of
	 * the others at least every WAITING_FULL_CHECK_MS (what Rocket.Chat would do for one of them may
	 * have changed: a room an agent opened, a template's routing).
	 */
	waitingRoutes?: Record<string, string>;
	/** When the messages waiting for an agent were last tried (the entry was kept waiting). */
	waitingTriedAt?: number;
	/** A contact's messages that failed (retried until MESSAGE_RETRY_HORIZON_MS after): since the first failure. */
	failingSince?: number;
	/**
	 * Messages kept behind a contact's failed one: the `failingSince` of what they wait behind. A
	 * message of theirs that fails counts from it too: a contact's messages wait at most
	 * MESSAGE_RETRY_HORIZON_MS from the first failure among them, not a day more for each.
	 */
	blockedSince?: number;
	/**
	 * The contacts (`<phone number id>:<wa id>`) whose messages this entry holds that failed, or that
	 * wait behind one that failed: while the entry is not due, the contacts' messages received after
	 * it wait too (in entries of their own, due when it is), so that they are posted in order.
	 */
	contacts?: string[];
	/** Statuses of messages the app did not know yet, kept (with the webhook's `receivedAt`) for their records to appear. */
	unknownStatuses?: boolean;
	/** How many times kept statuses were looked at again without finding their messages. */
	rechecks?: number;
	/**
	 * The messages (wamids) of kept statuses and the earliest step kept of each (STATUS_RANK), as one
	 * string, `<step>:<wamid>` separated by spaces (the head is listed at every run: one value rather
	 * than an array): a run holds these messages' later steps behind them, and handles the entry at
	 * once when it finds one of these messages linked (`Holds`).
	 */
	keptMessages?: string;
	/** Statuses held for the status Meta sends before them (statuses.ts ORDER_WAIT_MS): since when. */
	heldSince?: number;
	/** Their step (core/status/ordering.ts STATUS_RANK; one step per entry): held entries are handled in step order. */
	heldStep?: number;
	/** The messages (wamids) they are of: a run holds these messages' later steps behind them (`Holds`). */
	heldMessages?: string[];
	/**
	 * Statuses whose handling failed, tried again after a back-off: their messages and the earliest
	 * step of each, as `keptMessages` is written. Until they are tried again, a run holds these
	 * messages' later steps behind them (`Holds`): a `read` forwarded meanwhile would make the retried
	 * `delivered` a step back, dropped.
	 */
	retriedMessages?: string;
}

/**
 * An entry as `list` gives it: everything but its events, which `claim` reads (a run lists every
 * stored webhook, and a backlog of 1,000-status webhooks would otherwise cross the engine's bridge
 * whole at each run).
 */
export type InboxHead = Omit<InboxEntry, 'events'>;

/**
 * Where stored webhooks wait for the processing job.
 *
 * - `add` stores a new entry at `now`: when it is stored, which the `receivedAt` of an entry kept
 *   for later (its webhook's) is not.
 * - `list` returns every entry's head (copies, without events), in no particular order.
 * - `claim` takes the entry for a run until `now + leaseMs` and returns it (a copy, with
 *   `claimedUntil` set), unless it is gone or another run holds it (`claimedUntil > now`), or (in a
 *   store that writes an entry in two records at once) its `add` may still be writing it: then
 *   undefined.
 * - `save` replaces a stored entry (by id) with the given one; an entry that is gone stays gone.
 * - `remove` removes it; an unknown id is ignored.
 * - `events` returns the events of every stored webhook (copies), claiming none: for a look that
 *   handles nothing (what Meta said of the sends of a campaign run that died, campaignSends.ts).
 * - `sweepOrphans` removes what an `add` that never stored its entry left (in a store that writes an
 *   entry in two steps, when its process died between them; Meta sends that webhook again), stored
 *   `olderThanMs` or more before `now` (a younger one may be an `add` under way), and answers how
 *   many records it removed. While the inbox holds any entry it does nothing and answers 0; an
 *   entry's own events are never removed.
 */
export interface WebhookInbox {
	add(entry: InboxEntry, options: { now: number }): Promise<void>;
	list(): Promise<InboxHead[]>;
	claim(id: string, options: { now: number; leaseMs: number }): Promise<InboxEntry | undefined>;
	save(entry: InboxEntry): Promise<void>;
	remove(id: string): Promise<void>;
	events(): Promise<WebhookEvent[]>;
	sweepOrphans(now: number, olderThanMs: number): Promise<number>;
}

/** What a webhook's events go to. */
export interface WebhookHandlers {
	status(event: StatusEvent, scope: WebhookScope | undefined): Promise<void>;
	/**
	 * The status events of one stored webhook, together (the status service resolves their records
	 * with one read per batch key); answers those to keep: whose message is not known yet, and those
	 * held for an earlier status of their message (since `heldSince`). When given, `status` is not called.
	 */
	statuses?(
		events: StatusEvent[],
		batch: { scope: WebhookScope | undefined; receivedAt: number; heldSince?: number; holds?: StatusHolds },
	): Promise<KeptStatuses>;
	revoke(event: InboundMessageEvent, scope: WebhookScope | undefined): Promise<unknown>;
	templateStatus(event: TemplateStatusEvent): Promise<void>;
	/** The inbound service for the messages an app stored. */
	inbound(appId: string): InboundHandler;
}

export interface WebhookBatchPorts {
	inbox: WebhookInbox;
	clock: Clock;
	refusals: Refusals;
	/** The run's log, when the engine gives one. */
	logger?: Logger;
}

const newId = () => crypto.randomBytes(12).toString('hex');

/**
 * Stores a verified webhook for the processing job: its events about the numbers and accounts its
 * signature vouches for (`scope`; the others are dropped and logged), with the scope; when `scope`
 * came from numbers read earlier and some events fall outside it, `rescope` gives the scope from
 * the numbers as stored now, which decides instead (RecentNumbers in
 * adapters/persistence/NumberStore.ts). When those verify the signature no more (`rescope` answers
 * undefined), nothing is stored and the answer is 'unverified': the webhook is refused. The parts the
 * walker left out (a message without `from`, say: Meta acknowledged, never handled) are logged once
 * here, those of the numbers and accounts of the scope, by their ids and why. Then the job is
 * asked to run soon, unless a run of it is under way in this runtime: the webhook joins that run
 * (`processing`, its RunGate), which runs again after for what arrived meanwhile. That saves the
 * acknowledgement Meta waits for a call into the host per webhook while a backlog is processed.
 * Returns how many events were stored.
 */
export async function acceptWebhook(
	ports: WebhookBatchPorts & { jobs: Jobs; processing?: Pick<RunGate<BatchResult>, 'join'> },
	webhook: {
		payload: unknown;
		scope: WebhookScope;
		appId?: string;
		rescope?: () => Promise<WebhookScope | undefined>;
		/** The numbers connected in the app, asked for only when events are dropped (their log line names a number to edit). */
		connected?: () => Promise<WebhookScope | undefined>;
	},
): Promise<number | 'unverified'> {
	const walk = walkWebhook(webhook.payload);
	const all = walk.events;
	const walked = all.filter((e) => e.kind !== 'value-error');
	// Meta's errors about a number rather than a message (`value.errors`: the number's rate limit,
	// say): nothing to store, but the admin's log shows them (at most one line a minute).
	for (const event of all)
		if (event.kind === 'value-error' && inScope(webhook.scope, event)) ports.refusals.refuse('value-error', describeValueError(event));
	let scope = webhook.scope;
	let { allowed: events, foreign } = partitionByScope(scope, walked);
	// A scope from numbers read earlier may miss a number connected since: the fresher one decides.
	if (foreign.length && webhook.rescope) {
		const fresher = await webhook.rescope();
		if (!fresher) return 'unverified';
		scope = fresher;
		({ allowed: events, foreign } = partitionByScope(scope, walked));
	}
	if (foreign.length) {
		const connected = await webhook.connected?.().catch(() => undefined);
		for (const { cause, text } of describeForeign(foreign, connected, scope)) ports.refusals.refuse(cause, `webhook: ${text}`);
	}
	// What the walker could not turn into an event is acknowledged to Meta with the rest and never
	// handled: the admin's log names it (ids, never a message's text or a contact's name).
	const skipped = walk.skipped.filter((part) => skippedInScope(scope, part));
	if (skipped.length) ports.refusals.refuse('skipped-parts', describeSkipped(skipped));
	// Changes of a webhook field the app does not handle (the Meta app subscribed to more fields than
	// it needs): acknowledged and left out, and the log names the fields.
	if (walk.ignoredFields.length) {
		const fields = walk.ignoredFields;
		const named = fields.slice(0, MAX_SKIPPED_NAMED).map((field) => `"${logId(field, 64)}"`);
		if (fields.length > MAX_SKIPPED_NAMED) named.push(`${fields.length - MAX_SKIPPED_NAMED} more`);
		ports.refusals.refuse(
			'ignored-fields',
			`webhook: changes of field ${named.join(', ')} left out: the app handles "messages" and "message_template_status_update"`,
		);
	}
	if (!events.length) return 0;
	events = inMetaOrder(events);
	const now = ports.clock.now();
	const messagesAt = messagesAtOf(events);
	await ports.inbox.add(
		{ id: newId(), appId: webhook.appId, events, scope, receivedAt: now, ...(messagesAt === undefined ? {} : { messagesAt }) },
		{ now },
	);
	if (!ports.processing?.join()) await ports.jobs.processSoon();
	return events.length;
}

function describeValueError(event: ValueErrorEvent): string {
	const { code, title, message } = event.error;
	const what = [code === undefined ? undefined : `error ${code}`, title, message && message !== title ? message : undefined];
	return `webhook: WhatsApp reports for number ${event.phoneNumberId}: ${what.filter(Boolean).join(', ') || 'an error'}`;
}

/**
 * Whether a skipped part is of the scope's numbers and accounts: its number when it names one, else
 * its account; a part naming neither (a payload that is no object, say) is of the webhook's signer.
 */
function skippedInScope(scope: WebhookScope, part: SkippedPart): boolean {
	if (part.phoneNumberId) return scope.phoneNumberIds.includes(part.phoneNumberId);
	if (part.wabaId) return scope.wabaIds.includes(part.wabaId);
	return true;
}

/** At most this many skipped parts are named in one log line; the others are counted. */
const MAX_SKIPPED_NAMED = 10;

/** An id of Meta's payload as a log shows it: its own characters only, and not too long. */
const logId = (id: string, max = 100): string => {
	const safe = id.replace(/[^\w.:=+/-]/g, '?');
	return safe.length > max ? `${safe.slice(0, max)}…` : safe;
};

/** The log line for skipped parts: each one's number (or account), wamid, type, place and why; never its text. */
function describeSkipped(parts: SkippedPart[]): string {
	const named = parts.slice(0, MAX_SKIPPED_NAMED).map((part) => {
		const ids = [
			part.phoneNumberId ? `number ${logId(part.phoneNumberId)}` : part.wabaId ? `WABA ${logId(part.wabaId)}` : undefined,
			part.wamid ? `wamid ${logId(part.wamid)}` : undefined,
			part.type ? `type ${logId(part.type, 32)}` : undefined,
		].filter(Boolean);
		return `${ids.length ? `${ids.join(', ')} ` : ''}(${part.at}): ${part.reason}`;
	});
	const more = parts.length > MAX_SKIPPED_NAMED ? `; and ${parts.length - MAX_SKIPPED_NAMED} more` : '';
	return `webhook: ${parts.length} part(s) left out, never handled: ${named.join('; ')}${more}`;
}

export interface BatchResult {
	/** One line per event that failed in this run (its attempt, and the error's message). */
	problems: string[];
	/** The run's budget ran out with stored events left: another run should follow at once. */
	more: boolean;
	/** Statuses held for an earlier status of their message are due again then: a run should follow at that time. */
	recheckAt?: number;
	/** Another instance's run was under way: nothing was done, and a run should follow soon (roundClaims.ts ELSEWHERE_RETRY_MS). */
	elsewhere?: boolean;
}

/** A run's time budget (runBudget.ts): wall time, and how much. */
export interface RunBudget {
	timer?: () => number;
	budgetMs?: number;
}

/** The contact a message event comes from (revokes are statuses, not messages to post). */
const contactOf = (event: WebhookEvent): string | undefined =>
	event.kind === 'message' && event.type !== 'revoke' ? senderOf(event) : undefined;

/**
 * The contact a message event comes from, revokes included: a revoke waits behind the contact's
 * messages that wait (for an agent, or behind a failed one), as the message it revokes may be one.
 * By their business-scoped user id when Meta gives it (on every message since April 2026): a user's
 * messages with and without their phone number wait behind each other (core/app/inbound.ts
 * `knownIdOf` reads which id their conversation goes by once the earlier one was handled).
 */
const senderOf = (event: WebhookEvent): string | undefined =>
	event.kind === 'message' ? `${event.phoneNumberId}:${event.userId || event.waId || event.from}` : undefined;

/** The message a status or a revoke is about: its events are handled in order, others' beside them. */
const laneOf = (event: WebhookEvent): string | undefined =>
	event.kind === 'status'
		? event.wamid
		: event.kind === 'message' && event.type === 'revoke'
			? `revoke:${event.originalMessageId}`
			: undefined;

/** Tasks by key: in order within a key, at most `limit` running in all. `start` resolves once the task started. */
class Lanes {
	private readonly tails = new Map<string, Promise<void>>();
	private active = 0;
	private readonly waiters: Array<() => void> = [];

	constructor(private readonly limit: number) {}

	async start(key: string, task: () => Promise<void>): Promise<void> {
		while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
		this.active++;
		const run: Promise<void> = (this.tails.get(key) ?? Promise.resolve()).then(task).finally(() => {
			this.active--;
			this.waiters.shift()?.();
			if (this.tails.get(key) === run) this.tails.delete(key);
		});
		this.tails.set(key, run);
	}

	async drain(): Promise<void> {
		while (this.tails.size) await Promise.all(this.tails.values());
	}
}

/**
 * Every stored webhook that is due and free, oldest first (statuses held for an earlier step last:
 * `handlingOrder`), until the run's budget is spent: no event
 * is started after it; the entry's events not handled yet stay stored (without a failed attempt) for
 * the next run, and `more` says there is one to run. With a `gate`, one run at a time: a run that
 * finds another of its runtime under way leaves at once, so that it never takes a newer webhook
 * while the older one is still being handled (runBudget.ts `RunGate`). With `claims`, the same
 * across a cluster's instances: a run that finds another instance's under way does nothing and
 * answers `elsewhere` (roundClaims.ts).
 */
export async function processWebhooks(
	ports: WebhookBatchPorts &
		RunBudget &
		Omit<ClaimPorts, 'clock'> & {
			handlers: WebhookHandlers;
			gate?: RunGate<BatchResult>;
			sweep?: OrphanSweep;
			/** Told of each webhook the run takes up (core/numbers/sightings.ts: what it shows of the subscriptions). */
			sightings?: { note(webhook: { scope?: WebhookScope; events?: WebhookEvent[]; receivedAt?: number }): void };
			/** Work of the run's own before the webhooks (a check of sends without Meta's answer: unanswered.ts), in the gate and in the run's budget (`stop` says when half of it is spent). */
			first?: (stop: () => boolean) => Promise<void>;
		},
): Promise<BatchResult> {
	// Without `first`, the run starts at once (its first read in the same tick). The run's budget
	// starts before `first`: the webhooks get what its work left, and the run still ends in time.
	const first = ports.first;
	const timer = ports.timer ?? wallClock;
	const budgetMs = ports.budgetMs ?? RUN_BUDGET_MS;
	const run = async (): Promise<BatchResult> => {
		// One run at a time across a cluster's instances too: two would handle a contact's messages side by side.
		const result = await claimedRound(ports, () => {
			const deadline = timer() + budgetMs;
			// `first` stops at half the budget (when it can): the webhooks keep the other half.
			const firstStop = () => timer() >= deadline - budgetMs / 2;
			return first ? first(firstStop).then(() => processDue(ports, deadline)) : processDue(ports, deadline);
		});
		return result === 'elsewhere' ? { problems: [], more: false, elsewhere: true } : result;
	};
	if (!ports.gate) return run();
	let result: BatchResult | 'busy';
	try {
		result = await ports.gate.run(run);
	} catch (error) {
		// Webhooks joined this run while it worked: they get the run they did not ask for.
		if (ports.gate.takeOwed())
			return { problems: [`the processing run failed: ${error instanceof Error ? error.message : String(error)}`], more: true };
		throw error;
	}
	// Another run of this runtime is under way: it runs again after, for what arrived meanwhile.
	return result === 'busy' ? { problems: [], more: false } : result;
}

async function processDue(
	ports: WebhookBatchPorts &
		RunBudget & {
			handlers: WebhookHandlers;
			sweep?: OrphanSweep;
			sightings?: { note(webhook: { scope?: WebhookScope; events?: WebhookEvent[]; receivedAt?: number }): void };
		},
	deadline: number,
): Promise<BatchResult> {
	const { inbox, clock, handlers } = ports;
	const now = clock.now();
	const timer = ports.timer ?? wallClock;
	let more = false;
	const heads = await inbox.list();
	if (!heads.length && ports.sweep?.due(now)) await sweepOrphans(ports, now);
	const entries = heads.filter((entry) => (entry.claimedUntil ?? 0) <= now && (entry.nextAttemptAt ?? 0) <= now).sort(handlingOrder);
	const problems: string[] = [];
	// Contacts whose messages wait for an agent in this run (with the room refused them, when known):
	// their later messages wait too, in order.
	const waitingContacts = new Map<string, string | undefined>();
	// The rooms Rocket.Chat refused in this run for want of an agent (`InboxEntry.waitingRoutes`).
	const refusedRoutes = new Set<string>();
	// Statuses held in stored webhooks: a run that ends with some asks for a run when the first is due.
	const holds = Holds.of(heads);
	let recheckAt = holds.nextDue(now);
	const byId = new Map(heads.map((head) => [head.id, head]));
	const taken = new Set<string>();
	// Contacts whose earlier message failed: their later messages wait behind it, in order, until then.
	const blockers = Blockers.of(heads, now);
	// Messages waiting for an agent that another run holds: their contacts' later ones wait with them,
	// as messages that wait (never dropped), not behind a failure.
	for (const head of heads)
		if (head.waitingSince !== undefined && (head.claimedUntil ?? 0) > now)
			for (const contact of head.waitingContacts ?? []) if (!waitingContacts.has(contact)) waitingContacts.set(contact, undefined);
	for (let index = 0; index < entries.length; index++) {
		const listed = entries[index];
		if (timer() >= deadline) {
			more = true;
			break;
		}
		taken.add(listed.id);
		// Messages kept behind a contact's failed one that still fails stay where they are: not claimed, not rewritten.
		if (listed.failingSince === undefined && listed.contacts?.length && listed.contacts.every((c) => blockers.blocks(c, listed)))
			continue;
		// Messages waiting for rooms refused again in this run stay where they are, and hold their
		// contacts' later ones; so do those of contacts whose earlier messages wait in this run (they
		// would only wait behind them).
		if (stillWaiting(listed, refusedRoutes, now) || behindWaiting(listed, waitingContacts)) {
			for (const [contact, route] of Object.entries(listed.waitingRoutes ?? {}))
				if (!waitingContacts.has(contact)) waitingContacts.set(contact, route);
			continue;
		}
		// Persistence has no atomic update: the claim narrows the race to a read and a write, and
		// wamid de-duplication covers the rest.
		const entry = await inbox.claim(listed.id, { now: clock.now(), leaseMs: INBOX_LEASE_MS });
		if (!entry) {
			// Another run holds it: the messages it holds go first, those after them wait.
			blockers.holdFor(listed, clock.now() + INBOX_BACKOFF_MS);
			continue;
		}
		ports.sightings?.note(entry);
		const attempt = (entry.attempts ?? 0) + 1;
		const failed: WebhookEvent[] = [];
		const waiting: WebhookEvent[] = [];
		// The room refused each contact whose messages wait, when known (undefined: not known).
		const waitingRoutes = new Map<string, string | undefined>();
		const waits = (event: WebhookEvent, route: string | undefined) => {
			waiting.push(event);
			const sender = senderOf(event);
			if (sender && !(waitingRoutes.has(sender) && waitingRoutes.get(sender) === undefined)) waitingRoutes.set(sender, route);
		};
		// Contacts' messages that failed, and those behind a failed one (until when, by contact).
		const failedMessages: InboundMessageEvent[] = [];
		const behind: Array<{ event: WebhookEvent } & Blocked> = [];
		const failingSince = entry.failingSince ?? entry.blockedSince ?? now;
		const messageRetryAt = now + Math.min(INBOX_BACKOFF_MS * 2 ** (attempt - 1), MESSAGE_BACKOFF_MAX_MS);
		const foreign = entry.scope ? (entry.events ?? []).filter((event) => !inScope(entry.scope as WebhookScope, event)) : [];
		for (const { cause, text } of describeForeign(foreign)) ports.refusals.refuse(cause, `webhook: ${text}`);
		holds.release(entry.id);
		const entryHolds = holds.of(entry.id);
		const statuses = await handleStatuses(handlers, entry, foreign, entryHolds);
		// Messages linked now: their statuses kept in other entries are handled next, earliest step first.
		const linked = statuses.handled
			.filter((e): e is StatusEvent => e.kind === 'status' && !!fromMetaStatus(e.status) && !statuses.failed.includes(e))
			.filter((e) => !statuses.unknown.includes(e) && !statuses.dropped?.includes(e))
			.map((e) => e.wamid);
		const pulled = holds.keptWith(linked, entry.id, (id) => !taken.has(id) && (byId.get(id)?.claimedUntil ?? 0) <= now);
		if (pulled.length) {
			const rest = entries.slice(index + 1).filter((head) => !pulled.includes(head.id));
			entries.splice(index + 1, entries.length, ...pulled.map((id) => byId.get(id) as InboxHead), ...rest);
		}
		// Revokes of messages with an earlier step held wait behind it, as statuses do (statuses.ts StatusHolds).
		const heldRevokes: InboundMessageEvent[] = [];
		failed.push(...statuses.failed);
		// A revoke in this entry waits behind its message's failed status too.
		const retryAt = now + INBOX_BACKOFF_MS * 2 ** (attempt - 1);
		if (attempt < MAX_EVENT_ATTEMPTS) holdUntilRetry(holds, entry.id, statuses.failed, retryAt);
		problems.push(...statuses.problems.map((p) => `${p} (attempt ${attempt} of ${MAX_EVENT_ATTEMPTS})`));
		const events = entry.events ?? [];
		let left: WebhookEvent[] = [];
		let cut = false;
		// Statuses and revokes of different messages are handled side by side (each message's in order);
		// contacts' messages one after the other, in order.
		const lanes = new Lanes(STATUSES_AT_ONCE);
		// A contact's system message held behind their earlier messages: what it records goes ahead
		// (InboundHandler.heldBack); best effort, as it is done again in its turn.
		const heldBack = async (event: WebhookEvent) => {
			if (event.kind !== 'message' || event.type !== 'system') return;
			try {
				await handlers.inbound(entry.appId ?? '').heldBack?.(event);
			} catch (error) {
				problems.push(
					`webhook event message ${event.wamid}: not recorded ahead of the contact's earlier messages (it is in its turn): ${error instanceof Error ? error.message : 'error'}`,
				);
			}
		};
		const handle = async (event: WebhookEvent, contact: string | undefined) => {
			try {
				if (event.kind === 'status') await handlers.status(event, entry.scope);
				else if (event.kind === 'message' && event.type === 'revoke') await handlers.revoke(event, entry.scope);
				else if (event.kind === 'message')
					await handlers.inbound(entry.appId ?? '').handle(event, { finalAttempt: attempt >= MAX_EVENT_ATTEMPTS });
				else if (event.kind === 'template-status') await handlers.templateStatus(event);
			} catch (error) {
				if (error instanceof WaitingForAgent && contact) {
					waits(event, error.route);
					waitingContacts.set(contact, error.route);
					if (error.route) refusedRoutes.add(error.route);
					return;
				}
				const reason = error instanceof Error ? error.message : 'error';
				if (contact && event.kind === 'message') {
					if (now - failingSince >= MESSAGE_RETRY_HORIZON_MS) {
						problems.push(
							`WhatsApp message ${event.wamid} dropped: not posted in ${MESSAGE_RETRY_HORIZON_MS / 3600000} hours of attempts (attempt ${attempt}): ${reason}`,
						);
						return;
					}
					failedMessages.push(event);
					blockers.fail(contact, messageRetryAt, failingSince);
					problems.push(
						`webhook event message not processed (attempt ${attempt}, tried again in ${Math.round((messageRetryAt - now) / 1000)} s; the contact's later messages wait behind it): ${reason}`,
					);
					return;
				}
				failed.push(event);
				problems.push(
					`webhook event ${event.kind} not processed (attempt ${attempt} of ${MAX_EVENT_ATTEMPTS}): ${error instanceof Error ? error.message : 'error'}`,
				);
			}
		};
		for (const [index, event] of events.entries()) {
			if (index > 0 && timer() >= deadline) {
				left = events.slice(index).filter((e) => !statuses.handled.includes(e));
				cut = true;
				break;
			}
			if (foreign.includes(event) || statuses.handled.includes(event)) continue;
			const revoked = event.kind === 'message' && event.type === 'revoke' ? event.originalMessageId : undefined;
			// Only behind a held step: a kept status's message is not known yet, nor then is the revoked one.
			if (revoked && (holds.earliestHeld(revoked) ?? STATUS_RANK.deleted) < STATUS_RANK.deleted) {
				heldRevokes.push(event as InboundMessageEvent);
				entryHolds.hold(revoked, STATUS_RANK.deleted);
				continue;
			}
			const contact = contactOf(event);
			const sender = senderOf(event);
			if (sender && waitingContacts.has(sender)) {
				waits(event, waitingContacts.get(sender));
				await heldBack(event);
				continue;
			}
			const blocked = sender ? blockers.wait(sender, entry) : undefined;
			if (blocked) {
				behind.push({ event, ...blocked });
				await heldBack(event);
				continue;
			}
			const lane = laneOf(event);
			if (lane) await lanes.start(lane, () => handle(event, contact));
			else await handle(event, contact);
		}
		await lanes.drain();
		// Cut by the budget: a contact's messages left whose earlier one waits (for an agent, or behind
		// a failed one) go with it, in order; left in this entry, of the same `receivedAt`, a later run
		// might take them first.
		const held: WebhookEvent[] = [];
		left = left.filter((event) => {
			const sender = senderOf(event);
			if (sender && waitingContacts.has(sender)) return void (waits(event, waitingContacts.get(sender)), held.push(event));
			const blocked = sender ? blockers.wait(sender, entry) : undefined;
			if (blocked) return void (behind.push({ event, ...blocked }), held.push(event));
			return true;
		});
		for (const event of held) await heldBack(event);
		// Messages waiting for an agent are never dropped: they move to an entry of their own, received
		// when the webhook was (so they keep their place), without a delay or a failed attempt.
		if (waiting.length) await keepWaiting(ports, entry, waiting, waitingRoutes);
		if (failedMessages.length)
			await keepApart(ports, entry, failedMessages, () => ({
				attempts: attempt,
				nextAttemptAt: messageRetryAt,
				failingSince,
				contacts: contactsOf(failedMessages),
			}));
		await keepBehind(ports, entry, behind);
		if (statuses.unknown.length) await keepUnknown(ports, entry, statuses.unknown, now);
		if (statuses.early.length || heldRevokes.length) {
			const at = await keepEarly(ports, entry, [...statuses.early, ...heldRevokes], holds);
			recheckAt = Math.min(recheckAt ?? at, at);
		}
		const { claimedUntil: _claimed, ...rest } = entry;
		const retry = failed.length && attempt < MAX_EVENT_ATTEMPTS;
		// Events retried after a back-off are no longer held for an earlier step: they wait for their
		// retry, not for it. Nor do they hold contacts' messages (failed ones moved to an entry of their
		// own). Failed statuses hold their messages' later steps until their retry (`retriedMessages`).
		const {
			heldSince: _since,
			heldStep: _step,
			heldMessages: _messages,
			keptMessages: _kept,
			retriedMessages: _retried,
			contacts: _contacts,
			failingSince: _failing,
			blockedSince: _blocked,
			// What is left of a waiting entry is tried in full next time (its contacts may have gone).
			waitingContacts: _waitingContacts,
			waitingRoutes: _waitingRoutes,
			waitingTriedAt: _waitingTriedAt,
			...unheld
		} = rest;
		const backoff = { attempts: attempt, nextAttemptAt: retryAt };
		const retryId = left.length ? newId() : entry.id;
		// Later entries of this run hold them too.
		const retriedMessages = retry ? holdUntilRetry(holds, retryId, failed, retryAt) : undefined;
		const retried = retriedMessages ? { retriedMessages } : {};
		if (left.length) {
			// Out of budget: the events not reached stay in this entry, as they were; failed ones retry apart.
			if (retry) await inbox.add({ ...withEvents(unheld, failed), id: retryId, ...backoff, ...retried }, { now: clock.now() });
			// Its statuses were all handled (kept ones moved to an entry of their own): it keeps none.
			const {
				keptMessages: _keptLeft,
				retriedMessages: _retriedLeft,
				waitingContacts: _waitingLeft,
				waitingRoutes: _routesLeft,
				waitingTriedAt: _triedLeft,
				...notKept
			} = rest;
			await inbox.save(withEvents(notKept, left));
			more = true;
			break;
		}
		if (retry) await inbox.save({ ...withEvents(unheld, failed), ...backoff, ...retried });
		else await inbox.remove(entry.id);
		if (cut) {
			more = true;
			break;
		}
	}
	return { problems, more, ...(recheckAt !== undefined ? { recheckAt } : {}) };
}

/**
 * Oldest first (of one webhook, failed and waiting messages first); statuses held for an earlier step of their message after every other entry, the
 * earliest step first: a missing step stored meanwhile, or held itself, is then forwarded before the
 * statuses that wait for it, even when a busy runtime comes to them after their wait has ended.
 */
function handlingOrder(a: InboxHead, b: InboxHead): number {
	const held = Number(a.heldSince !== undefined) - Number(b.heldSince !== undefined);
	// Of one webhook, a contact's first message that failed, or that waits for an agent, before the
	// later ones (kept behind it): those are never in such an entry, nor in one a run's budget cut
	// (its events of a contact that waits or is behind go with the contact's).
	const first = (head: InboxHead) => (head.failingSince !== undefined ? 0 : head.waitingSince !== undefined ? 1 : 2);
	return held || (a.heldStep ?? 0) - (b.heldStep ?? 0) || orderAt(a) - orderAt(b) || a.receivedAt - b.receivedAt || first(a) - first(b);
}

/** `entry` holding `events` instead of its own, its place in the order (`messagesAt`) theirs. */
function withEvents<E extends Omit<InboxEntry, 'events'>>(entry: E, events: WebhookEvent[]): E & { events: WebhookEvent[] } {
	const { messagesAt: _was, ...rest } = entry;
	const messagesAt = messagesAtOf(events);
	return { ...(rest as E), events, ...(messagesAt === undefined ? {} : { messagesAt }) };
}

/** The earliest Meta `timestamp` (seconds, as ms) of the contacts' messages among `events`, if any. */
export function messagesAtOf(events: WebhookEvent[]): number | undefined {
	let at: number | undefined;
	for (const event of events) {
		if (event.kind !== 'message') continue;
		const ms = Number(event.timestamp) * 1000;
		if (Number.isFinite(ms) && ms > 0 && (at === undefined || ms < at)) at = ms;
	}
	return at;
}

/**
 * The events of one webhook with its contacts' messages in the order Meta timed them (each in the
 * place of a message, the other events where they were; messages of one second as Meta listed them).
 * Meta does not promise the order of a webhook's messages. A message without a valid time leaves
 * them as listed.
 */
export function inMetaOrder<E extends WebhookEvent>(events: E[]): E[] {
	const messages = events.filter((event): event is E & InboundMessageEvent => event.kind === 'message');
	const at = (event: InboundMessageEvent) => Number(event.timestamp);
	if (messages.length < 2 || !messages.every((m) => Number.isFinite(at(m)) && at(m) > 0)) return events;
	const sorted = messages.map((m, i) => ({ m, i })).sort((a, b) => at(a.m) - at(b.m) || a.i - b.i);
	let next = 0;
	return events.map((event) => (event.kind === 'message' ? sorted[next++].m : event));
}

/**
 * Where an entry comes in the handling order: when its contacts' first message was written (Meta's
 * time), else when it was received. Meta's timestamps count seconds: messages of one second keep
 * the order their webhooks came in.
 */
const orderAt = (head: InboxHead): number => head.messagesAt ?? head.receivedAt;

/**
 * The processing runs a runtime asked for held statuses (module state of the adapter, like RunGate):
 * one at a time, so that runs while statuses are held do not each add a scheduler job.
 */
export class Rechecks {
	private asked?: number;

	/**
	 * Whether to ask for a run at `at`, at `now`: not when one asked for is still ahead and no later
	 * than `at` (that run asks again for what is due after it). Counts the run asked for when it answers yes.
	 */
	ask(at: number, now: number): boolean {
		if (this.asked !== undefined && this.asked > now && this.asked <= at) return false;
		this.asked = at;
		return true;
	}

	/** Whether a run asked for is still ahead at `now`. */
	pending(now: number): boolean {
		return this.asked !== undefined && this.asked > now;
	}

	/** The run asked for was not scheduled after all (the scheduler failed): the next one asks again. */
	forget(): void {
		this.asked = undefined;
	}
}

/**
 * When a sweep of the inbox for events an interrupted `add` left is due in this runtime: at most
 * once per `everyMs` (module state of the adapter, like RunGate). A run asks only when it finds the
 * inbox empty: `sweepOrphans` does nothing otherwise.
 */
export class OrphanSweep {
	private lastAt?: number;

	constructor(private readonly everyMs = ORPHAN_SWEEP_EVERY_MS) {}

	/** Whether one is due at `now`; a due one counts as done from `now` (a failed one waits as long). */
	due(now: number): boolean {
		if (this.lastAt !== undefined && now - this.lastAt < this.everyMs) return false;
		this.lastAt = now;
		return true;
	}
}

/** The inbox's orphaned events (`WebhookInbox.sweepOrphans`): logged when some were removed; a failure is logged, the run goes on. */
async function sweepOrphans(ports: WebhookBatchPorts, now: number): Promise<void> {
	try {
		const removed = await ports.inbox.sweepOrphans(now, ORPHAN_AGE_MS);
		if (removed)
			ports.logger?.info(
				`webhook inbox: removed ${removed} record(s) left by webhooks whose storing was interrupted (Meta sends such webhooks again)`,
			);
	} catch (error) {
		ports.logger?.warn(`webhook inbox: interrupted webhooks' records not swept: ${error instanceof Error ? error.message : 'error'}`);
	}
}

/** The entry's status events through the `statuses` handler, together: those handled, failed, and not known yet. */
async function handleStatuses(
	handlers: WebhookHandlers,
	entry: InboxEntry,
	foreign: WebhookEvent[],
	holds: StatusHolds,
): Promise<{ handled: WebhookEvent[]; failed: WebhookEvent[]; problems: string[] } & KeptStatuses> {
	const events = (entry.events ?? []).filter((e): e is StatusEvent => e.kind === 'status' && !foreign.includes(e));
	if (!handlers.statuses || !events.length) return { handled: [], failed: [], unknown: [], early: [], problems: [] };
	try {
		const { heldSince, receivedAt, scope } = entry;
		const kept = await handlers.statuses(events, { scope, receivedAt, holds, ...(heldSince !== undefined ? { heldSince } : {}) });
		return { handled: events, failed: [], ...kept, problems: [] };
	} catch (error) {
		const reason = error instanceof Error ? error.message : 'error';
		return {
			handled: events,
			failed: events,
			unknown: [],
			early: [],
			problems: [`webhook status events (${events.length}) not processed: ${reason}`],
		};
	}
}

/**
 * Statuses of messages not known yet (sent, not yet linked to their wamid) are kept in an entry of
 * their own, received when the webhook was (their window and their place in line), looked at again
 * by the runs after UNKNOWN_RECHECK_MS, then twice as long each time (up to UNKNOWN_RECHECK_MAX_MS). Only the processing job forwards statuses, so a status and
 * the link of its message, in either order, end in one forward. The entry names their messages and
 * steps (`keptMessages`): once a run finds one of these messages linked, it handles the entry at
 * once, before that message's later steps (`Holds`), whatever its back-off. Such an entry handled
 * before it was due (`now`) keeps its back-off for the statuses it still keeps.
 */
async function keepUnknown(ports: WebhookBatchPorts, entry: InboxEntry, events: StatusEvent[], now: number): Promise<void> {
	const early = entry.unknownStatuses && entry.nextAttemptAt !== undefined && entry.nextAttemptAt > now;
	const rechecks = entry.unknownStatuses ? (entry.rechecks ?? 0) + (early ? 0 : 1) : 0;
	await keepApart(ports, entry, events, (at) => ({
		nextAttemptAt: early ? entry.nextAttemptAt : at + Math.min(UNKNOWN_RECHECK_MS * 2 ** rechecks, UNKNOWN_RECHECK_MAX_MS),
		unknownStatuses: true,
		rechecks,
		keptMessages: keptMessagesOf(events),
	}));
}

/**
 * Failed statuses of `entryId`, tried again at `at`, hold their messages' later steps in the run's
 * `holds` until then; answers them as `InboxEntry.retriedMessages` (undefined when there are none).
 */
function holdUntilRetry(holds: Holds, entryId: string, events: WebhookEvent[], at: number): string | undefined {
	const failed = events.filter((e): e is StatusEvent => e.kind === 'status' && !!fromMetaStatus(e.status));
	if (!failed.length) return undefined;
	const retriedMessages = keptMessagesOf(failed);
	for (const [wamid, step] of parseKeptMessages(retriedMessages)) holds.retry(entryId, wamid, step, at);
	return retriedMessages;
}

/** `InboxEntry.keptMessages` of kept statuses: each message once, at its earliest step. */
function keptMessagesOf(events: StatusEvent[]): string {
	const steps = new Map<string, number>();
	for (const { wamid, status } of events) {
		const step = STATUS_RANK[fromMetaStatus(status) ?? 'queued'];
		steps.set(wamid, Math.min(steps.get(wamid) ?? step, step));
	}
	return [...steps].map(([wamid, step]) => `${step}:${wamid}`).join(' ');
}

/** The messages and steps an entry's `keptMessages` names. */
function parseKeptMessages(kept: string | undefined): Array<[wamid: string, step: number]> {
	const parsed: Array<[string, number]> = [];
	for (const item of (kept ?? '').split(' ')) {
		const at = item.indexOf(':');
		const step = Number(item.slice(0, at));
		if (at > 0 && Number.isInteger(step) && at < item.length - 1) parsed.push([item.slice(at + 1), step]);
	}
	return parsed;
}

/**
 * Statuses held for the status Meta sends before them (statuses.ts ORDER_WAIT_MS), and revokes held
 * behind an earlier step of their message, are kept in entries of their own, one per step (`handlingOrder`), received when the webhook was, held since
 * the first time, naming their messages (`Holds`); looked at again every ORDER_RECHECK_MS, and when
 * the wait ends (past it, while an earlier step of their message is held: every ORDER_RECHECK_MS,
 * or when that step's failed status is tried again). Answers when the first is due.
 */
async function keepEarly(
	ports: WebhookBatchPorts,
	entry: InboxEntry,
	events: Array<StatusEvent | InboundMessageEvent>,
	holds: Pick<Holds, 'dueOf'>,
): Promise<number> {
	const byStep = new Map<number, Array<StatusEvent | InboundMessageEvent>>();
	for (const event of events) {
		const step = event.kind === 'status' ? STATUS_RANK[fromMetaStatus(event.status) ?? 'queued'] : STATUS_RANK.deleted;
		byStep.set(step, [...(byStep.get(step) ?? []), event]);
	}
	let due = Infinity;
	for (const [heldStep, held] of byStep)
		await keepApart(ports, entry, held, (now) => {
			const heldSince = entry.heldSince ?? now;
			const recheck =
				heldSince + ORDER_WAIT_MS > now ? Math.min(now + ORDER_RECHECK_MS, heldSince + ORDER_WAIT_MS) : now + ORDER_RECHECK_MS;
			const messages = [...new Set(held.map((event) => (event.kind === 'status' ? event.wamid : (event.originalMessageId ?? ''))))];
			// Messages held behind a retry of failed statuses wait for it; the entry is due when its first message may go.
			const nextAttemptAt = Math.min(...messages.map((wamid) => holds.dueOf(wamid, heldStep, recheck)));
			due = Math.min(due, nextAttemptAt);
			return { heldSince, heldStep, heldMessages: messages, nextAttemptAt };
		});
	return due;
}

/**
 * The steps of messages held in the inbox's entries (from their heads, listed at the start of a run),
 * by entry: an entry being handled releases its own, and holds again what it keeps. Statuses kept
 * for their message's link (`keptMessages`) hold its later steps too: once a run finds the message
 * linked it handles those entries next (`keptWith`), and a later step held meanwhile goes after them.
 * So do failed statuses until they are tried again (`retriedMessages`), and a later step held behind
 * them is due with their retry (`dueOf`).
 */
class Holds {
	private readonly byMessage = new Map<string, Map<string, number>>();
	/** The same of statuses kept for their message's link. */
	private readonly kept = new Map<string, Map<string, number>>();
	private readonly dues: number[] = [];
	/** When the entries of failed statuses (`retriedMessages`) are tried again, by entry. */
	private readonly retries = new Map<string, number>();

	static of(heads: InboxHead[]): Holds {
		const holds = new Holds();
		for (const head of heads) {
			if (head.heldSince !== undefined) {
				for (const wamid of head.heldMessages ?? []) holds.add(head.id, wamid, head.heldStep ?? 0);
				if (head.nextAttemptAt !== undefined) holds.dues.push(head.nextAttemptAt);
			} else if (head.unknownStatuses)
				for (const [wamid, step] of parseKeptMessages(head.keptMessages)) Holds.put(holds.kept, head.id, wamid, step);
			// Claimed by a run (of another instance, say): tried again when that run ends, at the latest.
			const retryAt = Math.max(head.nextAttemptAt ?? 0, head.claimedUntil ?? 0);
			for (const [wamid, step] of parseKeptMessages(head.retriedMessages)) holds.retry(head.id, wamid, step, retryAt);
		}
		return holds;
	}

	/** `entryId` holds failed statuses of `wamid` from `step` on, tried again at `due`. */
	retry(entryId: string, wamid: string, step: number, due: number): void {
		this.add(entryId, wamid, step);
		this.retries.set(entryId, due);
	}

	/**
	 * When `step` of `wamid`, held now, may go (at `due` at the earliest): not before the latest retry
	 * of its message's failed statuses of an earlier step (a held step looked at every second
	 * meanwhile would be rewritten for minutes). A retry of a later step does not hold it.
	 */
	dueOf(wamid: string, step: number, due: number): number {
		let latest = due;
		for (const [id, held] of this.byMessage.get(wamid) ?? []) if (held < step) latest = Math.max(latest, this.retries.get(id) ?? due);
		return latest;
	}

	private static put(map: Map<string, Map<string, number>>, entryId: string, wamid: string, step: number): void {
		const byEntry = map.get(wamid) ?? new Map<string, number>();
		byEntry.set(entryId, Math.min(byEntry.get(entryId) ?? step, step));
		map.set(wamid, byEntry);
	}

	add(entryId: string, wamid: string, step: number): void {
		Holds.put(this.byMessage, entryId, wamid, step);
	}

	release(entryId: string): void {
		this.retries.delete(entryId);
		for (const map of [this.byMessage, this.kept])
			for (const [wamid, byEntry] of map) if (byEntry.delete(entryId) && !byEntry.size) map.delete(wamid);
	}

	/** The earliest step of the message held for an earlier one (not kept for its link), if any. */
	earliestHeld(wamid: string): number | undefined {
		const steps = [...(this.byMessage.get(wamid)?.values() ?? [])];
		return steps.length ? Math.min(...steps) : undefined;
	}

	/**
	 * The entries other than `entryId` that keep statuses of these messages (linked now) and that
	 * `free` allows, the one keeping the earliest step first.
	 */
	keptWith(wamids: Iterable<string>, entryId: string, free: (id: string) => boolean): string[] {
		const earliest = new Map<string, number>();
		for (const wamid of wamids)
			for (const [id, step] of this.kept.get(wamid) ?? [])
				if (id !== entryId && free(id)) earliest.set(id, Math.min(earliest.get(id) ?? step, step));
		return [...earliest].sort((a, b) => a[1] - b[1]).map(([id]) => id);
	}

	/** The earliest due time of the held entries listed that is after `now`. */
	nextDue(now: number): number | undefined {
		const later = this.dues.filter((due) => due > now);
		return later.length ? Math.min(...later) : undefined;
	}

	/** The holds as a batch of `entryId` sees and adds to them. */
	of(entryId: string): StatusHolds {
		return {
			earliest: (wamid) => {
				const steps = [...(this.byMessage.get(wamid)?.values() ?? []), ...(this.kept.get(wamid)?.values() ?? [])];
				return steps.length ? Math.min(...steps) : undefined;
			},
			hold: (wamid, step) => this.add(entryId, wamid, step),
		};
	}
}

/** The contacts of messages (revokes included): each once. */
const contactsOf = (events: WebhookEvent[]): string[] => [...new Set(events.map(senderOf).filter((c): c is string => !!c))];

/** What a contact's messages wait behind: until when, and since when it fails (`InboxEntry.blockedSince`). */
interface Blocked {
	until: number;
	since: number;
}

/**
 * Contacts whose messages wait behind an earlier one that failed: from the heads listed at the
 * start of a run (entries not due yet that hold contacts' messages: `InboxEntry.contacts`), and
 * from the run's own failures.
 */
class Blockers {
	/**
	 * By contact: the earliest such entry's `receivedAt` (-Infinity for the run's own), and what its
	 * messages wait behind. By arrival, not by Meta's time (`orderAt`): an entry's `messagesAt` is its
	 * earliest message of any contact, which says nothing of when a given contact's came.
	 */
	private readonly byContact = new Map<string, Blocked & { receivedAt: number }>();

	static of(heads: InboxHead[], now: number): Blockers {
		const blockers = new Blockers();
		for (const head of heads) {
			const until = Math.max(head.nextAttemptAt ?? 0, head.claimedUntil ?? 0);
			// A due entry is handled in this run, before the later ones (oldest first).
			if (until > now) blockers.holdFor(head, until);
		}
		return blockers;
	}

	/** The contacts `head` holds messages of wait behind it until `until`. */
	holdFor(head: InboxHead, until: number): void {
		const since = head.failingSince ?? head.blockedSince ?? head.receivedAt;
		for (const contact of head.contacts ?? []) {
			const known = this.byContact.get(contact);
			if (!known || head.receivedAt < known.receivedAt) this.byContact.set(contact, { receivedAt: head.receivedAt, until, since });
		}
	}

	/** The contact's message failed in this run (failing since `since`): its later ones wait until it is tried again. */
	fail(contact: string, until: number, since: number): void {
		this.byContact.set(contact, { receivedAt: -Infinity, until, since });
	}

	/** Whether the messages of `contact` in `head` wait. */
	blocks(contact: string, head: InboxHead): boolean {
		const known = this.byContact.get(contact);
		return !!known && (known.receivedAt <= head.receivedAt || Blockers.behind(known, head));
	}

	/**
	 * Whether `head` holds messages kept behind the failure `known` is of (its `blockedSince` is that
	 * failure's start): they wait for it whenever they arrived, as a message Meta delivered late (in
	 * a webhook received after the contact's next one) was found failing before them.
	 */
	private static behind(known: Blocked, head: InboxHead): boolean {
		return head.blockedSince !== undefined && head.blockedSince === known.since;
	}

	/** What a message of `contact` in `entry` waits behind, if it must. */
	wait(contact: string, entry: InboxEntry): Blocked | undefined {
		const known = this.byContact.get(contact);
		if (!known || (known.receivedAt > entry.receivedAt && !Blockers.behind(known, entry))) return undefined;
		// Once one waits, the contact's others after it wait too, even in an entry received earlier than its blocker.
		this.byContact.set(contact, { ...known, receivedAt: -Infinity });
		return { until: known.until, since: known.since };
	}
}

/**
 * Messages of contacts behind an earlier one that failed move to entries of their own, received
 * when the webhook was, due when what they wait behind is, naming their contacts (they hold the
 * contacts' later messages in turn) and since when it fails, without a failed attempt. While it
 * fails again, runs leave them in place.
 */
async function keepBehind(ports: WebhookBatchPorts, entry: InboxEntry, behind: Array<{ event: WebhookEvent } & Blocked>): Promise<void> {
	const groups = new Map<string, { blocked: Blocked; events: WebhookEvent[] }>();
	for (const { event, until, since } of behind) {
		const key = `${until}:${since}`;
		const group = groups.get(key) ?? { blocked: { until, since }, events: [] };
		group.events.push(event);
		groups.set(key, group);
	}
	for (const { blocked, events } of groups.values())
		await keepApart(ports, entry, events, () => ({
			nextAttemptAt: blocked.until,
			blockedSince: blocked.since,
			contacts: contactsOf(events),
		}));
}

/** Whether every contact of the waiting entry `head` has earlier messages waiting in this run (its own would be kept behind them). */
function behindWaiting(head: InboxHead, waiting: Map<string, string | undefined>): boolean {
	const contacts = head.waitingSince === undefined ? [] : (head.waitingContacts ?? []);
	return contacts.length > 0 && contacts.every((contact) => waiting.has(contact));
}

/**
 * Whether the waiting entry `head` stays as it is in this run: each of its contacts' rooms was
 * refused again (`refused`), and it was tried within WAITING_FULL_CHECK_MS (`InboxEntry.waitingRoutes`).
 */
function stillWaiting(head: InboxHead, refused: Set<string>, now: number): boolean {
	const routes = head.waitingSince === undefined ? undefined : head.waitingRoutes;
	const contacts = head.waitingContacts ?? [];
	if (!routes || !contacts.length || head.waitingTriedAt === undefined || now - head.waitingTriedAt >= WAITING_FULL_CHECK_MS)
		return false;
	return contacts.every((contact) => typeof routes[contact] === 'string' && refused.has(routes[contact]));
}

async function keepWaiting(
	ports: WebhookBatchPorts,
	entry: InboxEntry,
	events: WebhookEvent[],
	routesOf: Map<string, string | undefined>,
): Promise<void> {
	const contacts = contactsOf(events);
	const routes: Record<string, string> = {};
	for (const contact of contacts) {
		const route = routesOf.get(contact);
		if (route) routes[contact] = route;
	}
	const known = contacts.length > 0 && contacts.every((contact) => routes[contact] !== undefined);
	await keepApart(ports, entry, events, (now) => ({
		attempts: entry.attempts,
		waitingSince: entry.waitingSince ?? now,
		waitingContacts: contacts,
		...(known ? { waitingRoutes: routes, waitingTriedAt: now } : {}),
	}));
	if (!entry.waitingSince)
		ports.logger?.info(
			`${events.length} WhatsApp message(s) wait for an agent to be online; they are posted as soon as a room can be opened`,
		);
}

/** Some of `entry`'s events in an entry of their own, received when the webhook was, with `fields`; stored now. */
async function keepApart(
	ports: WebhookBatchPorts,
	entry: InboxEntry,
	events: WebhookEvent[],
	fields: (now: number) => Partial<InboxEntry>,
): Promise<void> {
	const now = ports.clock.now();
	const messagesAt = messagesAtOf(events);
	const kept = {
		id: newId(),
		appId: entry.appId,
		events,
		scope: entry.scope,
		receivedAt: entry.receivedAt,
		...(messagesAt === undefined ? {} : { messagesAt }),
		...fields(now),
	};
	await ports.inbox.add(kept, { now });
}

/** `WebhookInbox` in memory: for tests, and the reference for the persistence adapter. */
export class MemoryWebhookInbox implements WebhookInbox {
	private readonly entries = new Map<string, InboxEntry>();
	/** Events `addEventsOnly` left without their entry, and when they were stored. */
	private readonly orphans = new Map<string, number>();

	async add(entry: InboxEntry): Promise<void> {
		this.entries.set(entry.id, clone(entry));
	}

	async list(): Promise<InboxHead[]> {
		return [...this.entries.values()].map(({ events: _events, ...head }) => clone(head as InboxEntry));
	}

	/** Every entry with its events (copies): for tests. */
	async all(): Promise<InboxEntry[]> {
		return [...this.entries.values()].map(clone);
	}

	async claim(id: string, options: { now: number; leaseMs: number }): Promise<InboxEntry | undefined> {
		const entry = this.entries.get(id);
		if (!entry || (entry.claimedUntil ?? 0) > options.now) return undefined;
		entry.claimedUntil = options.now + options.leaseMs;
		return clone(entry);
	}

	async save(entry: InboxEntry): Promise<void> {
		if (this.entries.has(entry.id)) this.entries.set(entry.id, clone(entry));
	}

	async remove(id: string): Promise<void> {
		this.entries.delete(id);
	}

	async events(): Promise<WebhookEvent[]> {
		return [...this.entries.values()].flatMap((entry) => clone(entry).events);
	}

	/**
	 * What an `add` whose process died between its two writes leaves in a store that writes an entry
	 * as two records: its events alone, stored at `now`. For tests (an `add` here is one write).
	 */
	async addEventsOnly(entry: InboxEntry, options: { now: number }): Promise<void> {
		this.orphans.set(entry.id, options.now);
	}

	async sweepOrphans(now: number, olderThanMs: number): Promise<number> {
		if (this.entries.size) return 0;
		const old = [...this.orphans].filter(([, storedAt]) => storedAt + olderThanMs <= now);
		for (const [id] of old) this.orphans.delete(id);
		return old.length;
	}
}

const clone = (entry: InboxEntry): InboxEntry => JSON.parse(JSON.stringify(entry)) as InboxEntry;
