/**
 * Recording sends and queueing status events for the Message Status Endpoint URL: what the senders
 * (REST, modal, agent replies, automatic messages) and the processing job share. Kept apart from
 * the webhook processing so that senders do not depend on it.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { SendLog, StatusChange } from '../core/app/sendLog';
import { PROCESS_WEBHOOKS_JOB } from '../adapters/build/jobs';
import { appSettings } from '../adapters/factory';
import { MessageStore, SentMessage } from '../adapters/persistence/MessageStore';
import { PersistenceOutboxStore } from '../adapters/persistence/OutboxStore';

export { PROCESS_WEBHOOKS_JOB };

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
	now: number;
	outbox: PersistenceOutboxStore;
	messages: MessageStore;
	log: SendLog;
}

export async function queueContext(acc: Accessors): Promise<QueueContext> {
	const outbox = new PersistenceOutboxStore(acc.read.getPersistenceReader(), acc.persistence);
	const messages = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	// The delivery clock, read once per run (src/status/StatusPipeline.ts moves it).
	const now = await outbox.clock();
	return { acc, now, outbox, messages, log: new SendLog({ messages, outbox, settings: appSettings(acc.read), clock: { now: () => now } }) };
}

export type { StatusChange };

/** Records the status for `record` unless it regresses or repeats, and queues it for the status URL. */
export function forward(ctx: QueueContext, record: SentMessage, change: StatusChange): Promise<boolean> {
	return ctx.log.forward(record, change);
}

/** Records a send and queues its first status (core/app/sendLog.ts). */
export async function recordSend(acc: Accessors, message: SentMessage, error?: unknown, context?: QueueContext): Promise<void> {
	await (context ?? (await queueContext(acc))).log.record(message, error);
}
