/**
 * Recording sends and queueing status events for the Message Status Endpoint URL: what the senders
 * (REST, modal, agent replies, automatic messages) and the processing job share. Kept apart from
 * the webhook processing so that senders do not depend on it.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { GraphApiError } from '../core/errors';
import { decide, highestOf, Status } from '../core/status/ordering';
import { passesFilter } from '../core/status/filter';
import { newOutboxItem } from '../core/status/outbox';
import { buildStatusPayload, messageKey, statusEventId } from '../core/status/payload';
import { MetaError } from '../core/status/webhook';
import { translate } from '../core/i18n/translate';
import { setting } from '../adapters/factory';
import { MessageStore, SentMessage } from '../adapters/persistence/MessageStore';
import { SettingId } from '../adapters/settings';
import { PersistenceOutboxStore } from '../adapters/persistence/OutboxStore';

const crypto = require('crypto') as typeof import('crypto');

/** The job that processes stored webhooks and delivers queued events (scheduled after every send). */
export const PROCESS_WEBHOOKS_JOB = 'process-webhooks';

export interface Accessors {
	read: IRead;
	persistence: IPersistence;
	http: IHttp;
	modify: IModify;
	/** The app log of this run (Administration > Apps > Logs), when the engine gives one. */
	logger?: ILogger;
}

/** What one run needs to queue events, read once per run rather than once per event. */
export interface QueueContext {
	acc?: Accessors;
	url: string;
	filter: string;
	now: number;
	outbox: PersistenceOutboxStore;
	messages: MessageStore;
}

export async function queueContext(acc: Accessors): Promise<QueueContext> {
	const outbox = new PersistenceOutboxStore(acc.read.getPersistenceReader(), acc.persistence);
	return {
		acc,
		url: (await setting<string>(acc.read, SettingId.StatusEndpointUrl)) || '',
		filter: String(await setting(acc.read, SettingId.StatusFilter)),
		now: await outbox.clock(),
		outbox,
		messages: new MessageStore(acc.read.getPersistenceReader(), acc.persistence),
	};
}

/** A status of a message, as Meta reported it (or the app decided it). */
export interface StatusChange {
	status: Status;
	/** Unix seconds, as Meta writes them. */
	timestamp: string;
	error?: MetaError | string;
	pricingCategory?: string;
}

/** Records the status for `record` unless it regresses or repeats, and queues it for the status URL. */
export async function forward(ctx: QueueContext, record: SentMessage, change: StatusChange): Promise<boolean> {
	const { status } = change;
	const seen = (record.statuses ?? []) as Status[];
	if (decide(highestOf(seen), new Set(seen), status) !== 'forward') return false;
	record.statuses = [...seen, status];
	if (record.wamid) await ctx.messages.update(record);
	await enqueue(ctx, record, change, record.statuses.length);
	return true;
}

async function enqueue(ctx: QueueContext, record: SentMessage, change: StatusChange, seq: number): Promise<void> {
	const { status, timestamp, error, pricingCategory } = change;
	const key = messageKey(record);
	if (!ctx.url || !key || !passesFilter(ctx.filter, record.type)) return;
	const eventId = statusEventId(key, status);
	const payload = buildStatusPayload(record, status, { timestamp, eventId, error, pricingCategory });
	await ctx.outbox.put(newOutboxItem({ id: eventId, messageKey: key, seq, payload, now: ctx.now }));
}

/**
 * Records a send and queues its first status: `queued` when Meta accepted it, `failed` with Meta's
 * error when Meta refused it (then `msId` is absent).
 */
export async function recordSend(acc: Accessors, message: SentMessage, error?: unknown, context?: QueueContext): Promise<void> {
	const ctx = context ?? (await queueContext(acc));
	const timestamp = String(Math.floor(Date.parse(message.sentAt) / 1000));
	if (message.wamid) {
		message.statuses = ['queued'];
		await ctx.messages.record(message);
		await enqueue(ctx, message, { status: 'queued', timestamp }, 1);
		return;
	}
	message.sendId = crypto.randomBytes(12).toString('hex');
	message.statuses = ['failed'];
	await ctx.messages.record(message);
	await enqueue(ctx, message, { status: 'failed', timestamp, error: errorDetails(error) }, 1);
}


/** Meta's error object as the status payload carries it, or a string for a network failure. */
export function errorDetails(error: unknown): MetaError | string {
	if (error instanceof GraphApiError) {
		const details: MetaError = { code: error.graphCode, message: error.message.replace(/^Graph API error \d+: /, '') };
		if (error.errorData !== undefined) details.error_data = error.errorData;
		return details;
	}
	return translate(undefined, 'error_graph_unreachable');
}

