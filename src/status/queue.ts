/**
 * Legacy: recording sends for the senders not yet moved to the send log (core/app/sendLog.ts through
 * `sendLogOf`, adapters/build/sendLog.ts). No new uses; this file goes once the last one is gone.
 */
import { SendLog, StatusChange } from '../core/app/sendLog';
import { PROCESS_WEBHOOKS_JOB } from '../adapters/build/jobs';
import { sendLogOf } from '../adapters/build/sendLog';
import { Accessors } from '../adapters/build/webhooks';
import { SentMessage } from '../adapters/persistence/MessageStore';

export { PROCESS_WEBHOOKS_JOB };
export type { Accessors, StatusChange };

/** The send log of one run, built once rather than once per message. */
export interface QueueContext {
	log: SendLog;
}

export async function queueContext(acc: Accessors): Promise<QueueContext> {
	return { log: await sendLogOf(acc) };
}

/** Records the status for `record` unless it regresses or repeats, and queues it for the status URL. */
export function forward(ctx: QueueContext, record: SentMessage, change: StatusChange): Promise<boolean> {
	return ctx.log.forward(record, change);
}

/** Records a send and queues its first status (core/app/sendLog.ts). */
export async function recordSend(acc: Accessors, message: SentMessage, error?: unknown, context?: QueueContext): Promise<void> {
	await (context ?? (await queueContext(acc))).log.record(message, error);
}
