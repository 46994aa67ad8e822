/** The batch key every send carries in `biz_opaque_callback_data` (Meta echoes it on the send's statuses). */
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
