/**
 * Recording sends and queueing their status events for the Message Status Endpoint URL: what every
 * sender (templateMessage, the modal, agents' replies, automatic messages) and the webhook
 * processing share. A status is forwarded once, never regressing (core/status/ordering.ts).
 *
 * Record before send: `begin` writes the send (pending, named by its `sendId`, with its batch key)
 * before the Graph call; `settle` links it to its wamid when Meta answers (and queues `queued`), or
 * records the failure; a Graph call that timed out leaves it pending for Meta's statuses to tell
 * (core/app/unanswered.ts). A status Meta sends before the link exists is kept by the status service and
 * matched once it does (core/app/statuses.ts).
 */
import { GraphApiError, mayHaveBeenSent, SendNotRecorded } from '../errors';
import { translate } from '../i18n/translate';
import { passesFilter } from '../status/filter';
import { decide, highestOf, Status } from '../status/ordering';
import { newOutboxItem, OutboxItem } from '../status/outbox';
import { buildStatusPayload, messageKey, StatusPayload, statusEventId } from '../status/payload';
import { MetaError } from '../status/webhook';
import { Clock, MessageLog, SentMessage, StatusOutbox } from './ports';
import { unansweredKey } from './explain';
import { SettingsReader } from './settings';
import { UNANSWERED_CHECK_MS, UnansweredCheck } from './unanswered';

const crypto = require('crypto') as typeof import('crypto');

export { isBatchKey, newBatchKey, withBatchKey } from './batchKey';

/** Adds `status` to the record's statuses unless it regresses or repeats (core/status/ordering.ts); answers whether it did. */
function advance(record: SentMessage, status: Status): boolean {
	const seen = (record.statuses ?? []) as Status[];
	if (decide(highestOf(seen), new Set(seen), status) !== 'forward') return false;
	record.statuses = [...seen, status];
	return true;
}

/**
 * Statuses of many messages decided in memory and written together (`SendLog.writer`). Each record
 * object carries its message's statuses from one `forward` to the next, so a message with sent,
 * delivered and read in one webhook is saved once.
 */
export class StatusWriter {
	private readonly items: Array<OutboxItem<StatusPayload>> = [];
	private readonly changed = new Set<SentMessage>();

	constructor(
		private readonly itemFor: (record: SentMessage, change: StatusChange, seq: number) => OutboxItem<StatusPayload> | undefined,
		private readonly ports: Pick<SendLogPorts, 'messages' | 'outbox'>,
	) {}

	/** As `SendLog.forward`, written by `flush`. */
	async forward(record: SentMessage, change: StatusChange): Promise<boolean> {
		if (!advance(record, change.status)) return false;
		const item = this.itemFor(record, change, (record.statuses as string[]).length);
		if (item) this.items.push(item);
		if (record.wamid) this.changed.add(record);
		return true;
	}

	/** The events first (one write per outbox page), then the progress: a flush that dies half way forwards again, never loses. */
	async flush(): Promise<void> {
		const items = this.items.splice(0);
		const changed = [...this.changed];
		this.changed.clear();
		if (items.length) await this.ports.outbox.putMany(items);
		if (changed.length) await this.ports.messages.saveStatuses(changed);
	}
}

/**
 * Outbox writes as a group commit: an item put while a write is under way waits for the next one,
 * which stores every item that waited in one `putMany`. No timer: a lone item is written at once;
 * under load (many sends settled at once) the writes get fewer and larger. Each caller resolves
 * only once its own item is stored, or rejects with the write's error.
 */
class GroupPut {
	private waiting: Array<{ item: OutboxItem<StatusPayload>; done: (error?: unknown) => void }> = [];
	private busy = false;

	constructor(private readonly outbox: StatusOutbox) {}

	put(item: OutboxItem<StatusPayload>): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			this.waiting.push({ item, done: (error) => (error === undefined ? resolve() : reject(error)) });
			if (!this.busy) void this.drain();
		});
	}

	private async drain(): Promise<void> {
		this.busy = true;
		while (this.waiting.length) {
			const group = this.waiting.splice(0);
			let failure: unknown;
			try {
				if (group.length === 1) await this.outbox.put(group[0].item);
				else await this.outbox.putMany(group.map((g) => g.item));
			} catch (error) {
				failure = error ?? new Error('outbox write failed');
			}
			for (const { done } of group) done(failure);
		}
		this.busy = false;
	}
}

/** Statuses of one message from several records (its own, its batch's progress), each once, in the order first met. */
export function mergeStatuses(...lists: Array<string[] | undefined>): string[] {
	return [...new Set(lists.flatMap((list) => list ?? []))];
}

/** A status of a message, as Meta reported it (or the app decided it). */
export interface StatusChange {
	status: Status;
	/** Unix seconds, as Meta writes them. */
	timestamp: string;
	error?: MetaError | string;
	pricingCategory?: string;
}

export interface SendLogPorts {
	messages: MessageLog;
	outbox: StatusOutbox;
	settings: SettingsReader;
	/** The outbox's clock: when a queued event is due. */
	clock: Clock;
	/**
	 * Asks for the check of a batch at `at` (core/app/unanswered.ts): with it, a send whose Graph
	 * call timed out stays pending until then, for Meta's statuses to link it; without it (or when
	 * asking fails), such a send is settled `failed` at once.
	 */
	later?: (check: UnansweredCheck, at: number) => Promise<void>;
}

export class SendLog {
	/** Groups of pending sends written together (`beginMany`): how many of each are not settled yet. */
	private readonly unsettled = new Map<string, number>();
	private readonly puts: GroupPut;

	constructor(private readonly ports: SendLogPorts) {
		this.puts = new GroupPut(ports.outbox);
	}

	/**
	 * Records a send and queues its first status: `queued` when Meta accepted it (`wamid`), `failed`
	 * with Meta's error (or the network's) when it did not.
	 */
	async record(message: SentMessage, error?: unknown): Promise<void> {
		const timestamp = String(Math.floor(Date.parse(message.sentAt) / 1000));
		if (message.wamid) {
			message.statuses = ['queued'];
			await this.ports.messages.record(message);
			await this.enqueue(message, { status: 'queued', timestamp }, 1);
			return;
		}
		message.sendId = crypto.randomBytes(12).toString('hex');
		message.statuses = ['failed'];
		await this.ports.messages.record(message);
		await this.enqueue(message, { status: 'failed', timestamp, error: this.errorDetails(message, error) }, 1);
	}

	/**
	 * Writes a send before the Graph call: a pending record named by a new `sendId` (and its batch).
	 * Answers the record to give `settle` once Meta answered.
	 */
	async begin(message: SentMessage): Promise<SentMessage> {
		const pending: SentMessage = { ...message, sendId: crypto.randomBytes(12).toString('hex'), pending: true, statuses: [] };
		await this.ports.messages.record(pending).catch((error: unknown) => {
			throw new SendNotRecorded(error);
		});
		return pending;
	}

	/**
	 * Writes several sends (of one batch) before their Graph calls, in ONE record: what `begin` does
	 * for each, at the cost of one write. Settling each links it as `begin`'s; the group's record is
	 * removed once every send in it was settled (or `unsent`) by this send log (a run that dies first
	 * leaves it, as does a removal that fails, and retention removes it with its day).
	 */
	async beginMany(messages: SentMessage[]): Promise<SentMessage[]> {
		if (!messages.length) return [];
		const group = crypto.randomBytes(12).toString('hex');
		const pending = messages.map((message) => ({
			...message,
			sendId: crypto.randomBytes(12).toString('hex'),
			pending: true,
			pendingGroup: group,
			statuses: [],
		}));
		await this.ports.messages.recordPending(pending).catch((error: unknown) => {
			throw new SendNotRecorded(error);
		});
		this.unsettled.set(group, pending.length);
		return pending;
	}

	/**
	 * Meta answered the send `begin` wrote (`message`, with what the answer added: wamid, wa_id, room).
	 * Accepted: `queued` is queued first, then the record is linked to its wamid, so that a status
	 * found with the record always comes after its `queued`. Refused: recorded `failed` with the error.
	 */
	async settle(message: SentMessage, error?: unknown): Promise<void> {
		if (!message.wamid && (await this.awaitStatuses(message, error))) return;
		const { pending: _pending, pendingGroup, ...answered } = message;
		const timestamp = String(Math.floor(Date.parse(answered.sentAt) / 1000));
		if (answered.wamid) {
			answered.statuses = ['queued'];
			await this.enqueue(answered, { status: 'queued', timestamp }, 1);
		} else {
			answered.statuses = ['failed'];
			await this.enqueue(answered, { status: 'failed', timestamp, error: this.errorDetails(answered, error) }, 1);
		}
		await this.ports.messages.resolve({ ...answered, ...(pendingGroup ? { pendingGroup } : {}) });
		if (pendingGroup) await this.settled(pendingGroup);
	}

	/**
	 * A send whose Graph call timed out, lost its connection once made, or got a server error page
	 * that was not Meta's (Meta may have accepted it in each case: `mayHaveBeenSent`), stays pending,
	 * in a record of its own, and its batch is checked UNANSWERED_CHECK_MS later (core/app/unanswered.ts); answers
	 * whether it does. Not a campaign's (its recovery settles it), nor a send without a batch key
	 * (no status could be matched to it), nor when the check cannot be asked for.
	 */
	private async awaitStatuses(message: SentMessage, error: unknown): Promise<boolean> {
		const later = this.ports.later;
		if (!later || !mayHaveBeenSent(error)) return false;
		if (!message.pending || !message.sendId || !message.batch || message.campaignId) return false;
		try {
			const check = { batch: message.batch, phoneNumberId: message.phoneNumberId, sendIds: [message.sendId] };
			await later(check, this.ports.clock.now() + UNANSWERED_CHECK_MS);
		} catch {
			return false;
		}
		const { pendingGroup, ...own } = message;
		if (pendingGroup) {
			// The group's record goes with its last send: this one keeps a pending record of its own.
			await this.ports.messages.record({ ...own, pending: true });
			await this.settled(pendingGroup);
		}
		return true;
	}

	/**
	 * A send `beginMany` wrote that will not be made (its run stopped before its Graph call): it
	 * counts as settled in its group, whose record goes with the group's last send, so that the
	 * send leaves no pending record behind; a later attempt writes its own.
	 */
	async unsent(message: SentMessage): Promise<void> {
		if (message.pendingGroup) await this.settled(message.pendingGroup);
	}

	/**
	 * One more send of a group settled: the group's record goes with its last one. A removal that
	 * fails is not the send's failure (its link is written): the record is left to retention, and
	 * its pending copies give way to the linked records wherever records are read.
	 */
	private async settled(group: string): Promise<void> {
		const left = (this.unsettled.get(group) ?? 0) - 1;
		if (left > 0) {
			this.unsettled.set(group, left);
			return;
		}
		this.unsettled.delete(group);
		if (left === 0) await this.ports.messages.removePending(group).catch(() => undefined);
	}

	/**
	 * Records the status for `record` unless it regresses or repeats, and queues it. Answers whether it did.
	 * The event is queued before the record says it was forwarded: a run that dies between the two
	 * forwards it again (the same `eventId`), never loses it.
	 */
	async forward(record: SentMessage, change: StatusChange): Promise<boolean> {
		if (!advance(record, change.status)) return false;
		await this.enqueue(record, change, (record.statuses as string[]).length);
		if (record.wamid) await this.ports.messages.update(record);
		return true;
	}

	/**
	 * A writer for many statuses at once (the statuses of a stored webhook): `forward` decides in memory,
	 * `flush` queues every event in one outbox write and saves the messages' progress in one write per
	 * batch key (MessageLog.saveStatuses), events first.
	 */
	async writer(): Promise<StatusWriter> {
		const url = (await this.ports.settings.get('statusEndpointUrl')).trim();
		const filter = await this.ports.settings.get('statusFilter');
		return new StatusWriter((record, change, seq) => (url ? this.itemFor(record, change, seq, filter) : undefined), this.ports);
	}

	/** Queues a status event; resolves once it is stored. Events of sends settled meanwhile are stored together (`GroupPut`). */
	private async enqueue(record: SentMessage, change: StatusChange, seq: number): Promise<void> {
		if (!(await this.ports.settings.get('statusEndpointUrl')).trim()) return;
		const item = this.itemFor(record, change, seq, await this.ports.settings.get('statusFilter'));
		if (item) await this.puts.put(item);
	}

	/** The outbox item of a status, unless the message has no key or the filter leaves its type out. */
	private itemFor(record: SentMessage, change: StatusChange, seq: number, filter: string): OutboxItem<StatusPayload> | undefined {
		const { status, timestamp, error, pricingCategory } = change;
		const key = messageKey(record);
		if (!key || !passesFilter(filter, record.type)) return undefined;
		const eventId = statusEventId(key, status);
		const now = this.ports.clock.now();
		// A status without a time in Unix seconds (Meta's webhook without its `timestamp`, blank, or
		// another form) gets the time the app took it, in Meta's form: never an empty or unreadable
		// `timestamp` in the callback.
		const at = /^\d+$/.test(timestamp) ? timestamp : String(Math.floor(now / 1000));
		const payload = buildStatusPayload(record, status, { timestamp: at, eventId, error, pricingCategory });
		return newOutboxItem({ id: eventId, messageKey: key, seq, payload, now });
	}

	/**
	 * Meta's error object as the status payload carries it, the sender's words, or words (English) for a
	 * send Meta did not answer: a templateMessage request's send that never started gets the
	 * integrator's (the request ran out of time), any other the callback's (the number was busy); one
	 * that may have gone out (a timeout, a server's 5xx page that was not Meta's) says so.
	 */
	private errorDetails(record: SentMessage, error: unknown): MetaError | string {
		if (typeof error === 'string' && error) return error;
		// A server's 5xx page that was not Meta's (the send may have gone out) gets words, as a timeout does.
		if (error instanceof GraphApiError && !mayHaveBeenSent(error)) {
			// No code when the answer was not Meta's envelope (an HTML 404): 0 would read as Meta's AuthException.
			const details: MetaError = {
				...(error.graphCode ? { code: error.graphCode } : {}),
				...(error.title ? { title: error.title } : {}),
				message: error.message.replace(/^Graph API error \d+: /, ''),
			};
			if (error.errorData !== undefined) details.error_data = error.errorData;
			return details;
		}
		return translate(undefined, unansweredKey(error, record.fromRequest && !mayHaveBeenSent(error) ? 'integrator' : 'callback'));
	}
}
