/**
 * Recording sends and queueing their status events for the Message Status Endpoint URL: what every
 * sender (templateMessage, the modal, agents' replies, automatic messages) and the webhook
 * processing share. A status is forwarded once, never regressing (core/status/ordering.ts).
 *
 * Record before send: `begin` writes the send (pending, named by its `sendId`, with its batch key)
 * before the Graph call; `settle` links it to its wamid when Meta answers (and queues `queued`), or
 * records the failure. A status Meta sends before the link exists is kept by the status service and
 * matched once it does (core/app/statuses.ts).
 */
import { GraphApiError } from '../errors';
import { translate } from '../i18n/translate';
import { passesFilter } from '../status/filter';
import { decide, highestOf, Status } from '../status/ordering';
import { newOutboxItem } from '../status/outbox';
import { buildStatusPayload, messageKey, statusEventId } from '../status/payload';
import { MetaError } from '../status/webhook';
import { Clock, MessageLog, SentMessage, StatusOutbox } from './ports';
import { SettingsReader } from './settings';

const crypto = require('crypto') as typeof import('crypto');

/** Every batch key starts so: a status whose `biz_opaque_callback_data` has another shape is not one of the app's batches. */
const BATCH_PREFIX = 'rcwa.';

/**
 * A new batch key: every send of one request (or one batch) carries it in `biz_opaque_callback_data`
 * (Meta echoes it on the message's status webhooks: shared/contracts/pywa/message_status.json
 * `with_tracker`; the send field is Meta's "An arbitrary 512B string, useful for tracking", as in
 * whatsapp-api-js's `ClientMessageRequest.biz_opaque_callback_data`), and its records are found by it
 * with one read (`MessageLog.findByBatch`).
 */
export function newBatchKey(): string {
	return `${BATCH_PREFIX}${crypto.randomBytes(9).toString('hex')}`;
}

/** Whether a status's `biz_opaque_callback_data` is one of the app's batch keys. */
export function isBatchKey(value: string | undefined): value is string {
	return typeof value === 'string' && /^rcwa\.[0-9a-f]{18}$/.test(value);
}

/** The Graph send body with its batch key (Meta's `biz_opaque_callback_data`). */
export function withBatchKey<B extends object>(body: B, batch: string | undefined): B {
	return batch ? { ...body, biz_opaque_callback_data: batch } : body;
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
}

export class SendLog {
	constructor(private readonly ports: SendLogPorts) {}

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
		await this.enqueue(message, { status: 'failed', timestamp, error: this.errorDetails(error) }, 1);
	}

	/**
	 * Writes a send before the Graph call: a pending record named by a new `sendId` (and its batch).
	 * Answers the record to give `settle` once Meta answered.
	 */
	async begin(message: SentMessage): Promise<SentMessage> {
		const pending: SentMessage = { ...message, sendId: crypto.randomBytes(12).toString('hex'), pending: true, statuses: [] };
		await this.ports.messages.record(pending);
		return pending;
	}

	/**
	 * Meta answered the send `begin` wrote (`message`, with what the answer added: wamid, wa_id, room).
	 * Accepted: `queued` is queued first, then the record is linked to its wamid, so that a status
	 * found with the record always comes after its `queued`. Refused: recorded `failed` with the error.
	 */
	async settle(message: SentMessage, error?: unknown): Promise<void> {
		const { pending: _pending, ...answered } = message;
		const timestamp = String(Math.floor(Date.parse(answered.sentAt) / 1000));
		if (answered.wamid) {
			answered.statuses = ['queued'];
			await this.enqueue(answered, { status: 'queued', timestamp }, 1);
			await this.ports.messages.resolve(answered);
			return;
		}
		answered.statuses = ['failed'];
		await this.enqueue(answered, { status: 'failed', timestamp, error: this.errorDetails(error) }, 1);
		await this.ports.messages.resolve(answered);
	}

	/** Records the status for `record` unless it regresses or repeats, and queues it. Answers whether it did. */
	async forward(record: SentMessage, change: StatusChange): Promise<boolean> {
		const seen = (record.statuses ?? []) as Status[];
		if (decide(highestOf(seen), new Set(seen), change.status) !== 'forward') return false;
		record.statuses = [...seen, change.status];
		if (record.wamid) await this.ports.messages.update(record);
		await this.enqueue(record, change, record.statuses.length);
		return true;
	}

	private async enqueue(record: SentMessage, change: StatusChange, seq: number): Promise<void> {
		const { status, timestamp, error, pricingCategory } = change;
		const key = messageKey(record);
		if (!key || !(await this.ports.settings.get('statusEndpointUrl'))) return;
		if (!passesFilter(await this.ports.settings.get('statusFilter'), record.type)) return;
		const eventId = statusEventId(key, status);
		const payload = buildStatusPayload(record, status, { timestamp, eventId, error, pricingCategory });
		await this.ports.outbox.put(newOutboxItem({ id: eventId, messageKey: key, seq, payload, now: this.ports.clock.now() }));
	}

	/** Meta's error object as the status payload carries it, the sender's words, or words (English) for a send that never reached Meta. */
	private errorDetails(error: unknown): MetaError | string {
		if (typeof error === 'string' && error) return error;
		if (error instanceof GraphApiError) {
			const details: MetaError = { code: error.graphCode, message: error.message.replace(/^Graph API error \d+: /, '') };
			if (error.errorData !== undefined) details.error_data = error.errorData;
			return details;
		}
		return translate(undefined, 'error_graph_unreachable');
	}
}
