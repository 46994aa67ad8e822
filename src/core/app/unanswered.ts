/**
 * Sends whose Graph call timed out: Meta may have accepted them (the request reached it, its answer
 * did not come back in time). Reporting such a send `failed` at once, as the app did, was wrong
 * whenever Meta had accepted it, and its later statuses could then never be forwarded (a `failed`
 * already POSTed cannot be taken back).
 *
 * Now the send log leaves such a send pending (SendLog.settle) and asks for a check of its batch
 * UNANSWERED_CHECK_MS later (`SendLogPorts.later`: a run of the processing job, which no other
 * processing run overlaps). Meanwhile a status of Meta's about it links it like any send a sender
 * left pending (core/app/statuses.ts, `adoptOrphans`, 5 minutes on), and its `queued` and statuses
 * are forwarded. The check (`checkUnanswered`) then takes that send if it is still pending: linked
 * by a stored status of Meta's that names it (`acceptedByMeta`), else settled `failed`, "outcome
 * unknown". The check runs in one runtime's processing gate: on a cluster, another instance's
 * processing run may link the send at the same moment (as for any pending send). A campaign's sends are left to its own recovery (campaignSends.ts).
 */
import { translate } from '../i18n/translate';
import { acceptedByMeta, onlyWamid } from '../status/accepted';
import { StatusEvent } from '../status/webhook';
import { isBatchKey } from './batchKey';
import type { SendLog } from './sendLog';
import { Logger, MessageLog, SentMessage } from './ports';

/**
 * How long after a send's Graph call timed out its batch is checked: twice the wait after which a
 * status links a pending send (statuses.ts ORPHAN_AFTER_MS, 5 minutes), so that Meta's first status
 * (seconds after it accepts a message) has long been stored, and linked, by then.
 */
export const UNANSWERED_CHECK_MS = 10 * 60000;
/** A check that could not run (its reads failed) is tried again this often, this many times at most. */
export const UNANSWERED_RETRY_MS = 60000;
export const UNANSWERED_ATTEMPTS = 5;

/** The check of one batch: its key and the number its sends went from. */
export interface UnansweredCheck {
	batch: string;
	phoneNumberId: string;
	/**
	 * The timed-out sends it settles, by `sendId` (absent in none the app asks for): only those, never
	 * another pending send of the batch (one whose link could not be written after Meta accepted it
	 * was already reported `queued`).
	 */
	sendIds?: string[];
	/** How many times it was tried before (a failed read). */
	attempt?: number;
}

export function isUnansweredCheck(value: unknown): value is UnansweredCheck {
	const check = value as UnansweredCheck | undefined;
	const ids = check?.sendIds;
	const idsOk = ids === undefined || (Array.isArray(ids) && ids.every((id) => typeof id === 'string'));
	return isBatchKey(check?.batch) && typeof check?.phoneNumberId === 'string' && check.phoneNumberId !== '' && idsOk;
}

/**
 * The sends of a batch's records still pending (not linked, not settled), one per send: a send
 * whose own pending record was written beside its group's (SendLog.settle) is taken by its own.
 * A campaign's are left to the campaign.
 */
export function leftPending(records: SentMessage[]): SentMessage[] {
	const resolved = new Set(records.filter((record) => !record.pending).map((record) => record.sendId));
	const bySend = new Map<string, SentMessage>();
	for (const record of records) {
		if (!record.pending || record.wamid || record.campaignId || !record.sendId || resolved.has(record.sendId)) continue;
		const seen = bySend.get(record.sendId);
		if (!seen || (seen.pendingGroup && !record.pendingGroup)) bySend.set(record.sendId, record);
	}
	return [...bySend.values()];
}

export interface UnansweredPorts {
	messages: Pick<MessageLog, 'findByBatch' | 'findByWamid'>;
	sendLog: Pick<SendLog, 'settle'>;
	/** Meta's statuses in the stored webhooks (read only when some send is still pending). */
	statuses(): Promise<StatusEvent[]>;
	logger?: Pick<Logger, 'info'>;
}

/**
 * Settles every send of `check.batch` still pending: linked to the wamid a stored status of Meta's
 * names for its recipient (one send to that recipient pending, one wamid), and reported `queued`;
 * else `failed`, "outcome unknown". A read that fails throws (the caller tries again later).
 */
export async function checkUnanswered(ports: UnansweredPorts, check: UnansweredCheck): Promise<{ linked: number; failed: number }> {
	const records = await ports.messages.findByBatch(check.batch);
	const only = check.sendIds && new Set(check.sendIds);
	const waiting = leftPending(records).filter(
		(record) => record.phoneNumberId === check.phoneNumberId && (!only || only.has(record.sendId as string)),
	);
	const outcome = { linked: 0, failed: 0 };
	if (!waiting.length) return outcome;
	const accepted = acceptedByMeta(check.batch, check.phoneNumberId, await ports.statuses(), records);
	const toOne = new Map<string, number>();
	for (const record of waiting) toOne.set(record.mobileNo, (toOne.get(record.mobileNo) ?? 0) + 1);
	for (const record of waiting) {
		const wamid = toOne.get(record.mobileNo) === 1 ? onlyWamid(accepted, record.mobileNo) : undefined;
		if (wamid && !(await ports.messages.findByWamid(wamid))) {
			await ports.sendLog.settle({ ...record, wamid });
			outcome.linked++;
		} else {
			await ports.sendLog.settle(record, translate(undefined, 'callback_error_outcome_unknown'));
			outcome.failed++;
		}
	}
	ports.logger?.info(
		`sends without Meta's answer (batch ${check.batch}): ${outcome.linked} linked by Meta's statuses (queued), ${outcome.failed} reported failed, outcome unknown`,
	);
	return outcome;
}
