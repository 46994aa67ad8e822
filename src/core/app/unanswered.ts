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
 *
 * A send still pending an hour on (its sender stopped before Meta's answer, or its check was lost)
 * is settled the same way by each runtime's hourly look (`settleStalePending`).
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

/** What a check settled; `more` when it stopped for time with sends left. */
export interface Outcome {
	linked: number;
	failed: number;
	more?: boolean;
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
export async function checkUnanswered(
	ports: UnansweredPorts,
	check: UnansweredCheck,
	why: 'callback_error_outcome_unknown' | 'callback_error_outcome_unknown_stopped' = 'callback_error_outcome_unknown',
	stop?: () => boolean,
): Promise<Outcome> {
	const records = await ports.messages.findByBatch(check.batch);
	const only = check.sendIds && new Set(check.sendIds);
	const waiting = leftPending(records).filter(
		(record) => record.phoneNumberId === check.phoneNumberId && (!only || only.has(record.sendId as string)),
	);
	const outcome: Outcome = { linked: 0, failed: 0 };
	if (!waiting.length) return outcome;
	const accepted = acceptedByMeta(check.batch, check.phoneNumberId, await ports.statuses(), records);
	const toOne = new Map<string, number>();
	for (const record of waiting) toOne.set(record.mobileNo, (toOne.get(record.mobileNo) ?? 0) + 1);
	for (const [index, record] of waiting.entries()) {
		// Out of time (after one send at least): the rest stays pending for the next look.
		if (index > 0 && stop?.()) {
			outcome.more = true;
			break;
		}
		const wamid = toOne.get(record.mobileNo) === 1 ? onlyWamid(accepted, record.mobileNo) : undefined;
		if (wamid && !(await ports.messages.findByWamid(wamid))) {
			await ports.sendLog.settle({ ...record, wamid });
			outcome.linked++;
		} else {
			await ports.sendLog.settle(record, translate(undefined, why));
			outcome.failed++;
		}
	}
	ports.logger?.info(
		`sends without Meta's answer (batch ${check.batch}): ${outcome.linked} linked by Meta's statuses (queued), ${outcome.failed} reported failed, outcome unknown`,
	);
	return outcome;
}

/**
 * A pending send this old was left by a sender that stopped (a crash, a restart: no sender waits for
 * Meta's answer past a minute) or by a timed-out send whose check was lost (the app disabled before
 * it ran, or its five tries failed). Meta's statuses of an accepted one link it within
 * ORPHAN_AFTER_MS of their coming (statuses.ts `adoptOrphans`); one still pending an hour on is
 * settled by `settleStalePending`.
 */
export const STALE_PENDING_MS = 60 * 60000;
/** How often a runtime looks for such sends. */
export const STALE_SWEEP_EVERY_MS = 60 * 60000;

/**
 * When a look for stale pending sends is due in this runtime (module state of the adapter): every
 * `everyMs`, the first one `everyMs` after the runtime's first run, never at its start: after an
 * outage Meta sends the statuses it could not deliver again, and they link their sends first.
 */
export class StaleSweep {
	private since?: number;
	private owed = false;

	constructor(private readonly everyMs = STALE_SWEEP_EVERY_MS) {}

	/** Whether one is due at `now`; a due one counts as done from `now` (a failed one waits as long). */
	due(now: number): boolean {
		if (this.owed) {
			this.owed = false;
			this.since = now;
			return true;
		}
		if (this.since === undefined) this.since = now;
		if (now - this.since < this.everyMs) return false;
		this.since = now;
		return true;
	}

	/** A look stopped for time: the next run goes on with it. */
	again(): void {
		this.owed = true;
	}
}

export interface StalePorts extends UnansweredPorts {
	messages: Pick<MessageLog, 'findByBatch' | 'findByWamid' | 'pendingSends' | 'removePending'>;
	logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Every send pending for STALE_PENDING_MS or more (not a campaign's: its recovery settles them),
 * checked as a timed-out send's batch is (`checkUnanswered`, one per batch and number, Meta's stored
 * statuses read once): linked by a stored status of Meta's that names it, else reported `failed`,
 * "outcome unknown" (`callback_error_outcome_unknown_stopped`). A batch whose check fails is logged
 * and left to the next sweep. The record of sends written together whose sends are all settled
 * then goes (a sender that stopped left it). `stop` ends the look early (the run's budget, checked
 * between sends): `more` says sends are left for the next run.
 */
export async function settleStalePending(ports: StalePorts, now: number, stop?: () => boolean): Promise<Outcome> {
	const checks = new Map<string, Required<Pick<UnansweredCheck, 'batch' | 'phoneNumberId'>> & { sendIds: string[] }>();
	/** The records of sends written together, per batch: each group's sends. */
	const groups = new Map<string, Map<string, Set<string>>>();
	for (const record of await ports.messages.pendingSends()) {
		if (!record.pending || record.wamid || record.campaignId || !record.sendId || !isBatchKey(record.batch)) continue;
		if (record.pendingGroup) {
			const ofBatch = groups.get(record.batch) ?? new Map<string, Set<string>>();
			ofBatch.set(record.pendingGroup, (ofBatch.get(record.pendingGroup) ?? new Set()).add(record.sendId));
			groups.set(record.batch, ofBatch);
		}
		if (!(now - Date.parse(record.sentAt) >= STALE_PENDING_MS)) continue;
		const key = `${record.batch} ${record.phoneNumberId}`;
		const check = checks.get(key) ?? { batch: record.batch, phoneNumberId: record.phoneNumberId, sendIds: [] };
		if (!check.sendIds.includes(record.sendId)) check.sendIds.push(record.sendId);
		checks.set(key, check);
	}
	const outcome: Outcome = { linked: 0, failed: 0 };
	let statuses: Promise<StatusEvent[]> | undefined;
	const once: StalePorts = { ...ports, statuses: () => (statuses ??= ports.statuses()) };
	// Whether the look got anywhere: one that only failed leaves the rest to the next hourly look.
	let progressed = false;
	for (const [index, check] of [...checks.values()].entries()) {
		// Out of time (after one batch at least): the rest for the next run.
		if (index > 0 && stop?.()) {
			if (progressed) outcome.more = true;
			break;
		}
		try {
			const settled = await checkUnanswered(once, check, 'callback_error_outcome_unknown_stopped', stop);
			outcome.linked += settled.linked;
			outcome.failed += settled.failed;
			progressed ||= settled.linked + settled.failed > 0;
			if (settled.more) {
				outcome.more = true;
				break;
			}
		} catch (error) {
			ports.logger?.warn(
				`pending sends of batch ${check.batch} not settled (${error instanceof Error ? error.message : 'error'}): looked at again in an hour`,
			);
			continue;
		}
		try {
			progressed = (await removeSettledGroups(ports, check.batch, groups.get(check.batch))) > 0 || progressed;
		} catch (error) {
			ports.logger?.warn(
				`pending sends of batch ${check.batch}: a settled group's record not removed (${error instanceof Error ? error.message : 'error'}): retention removes it`,
			);
		}
	}
	return outcome;
}

/** The batch's group records whose every send is settled now (one read): removed; answers how many. */
async function removeSettledGroups(ports: StalePorts, batch: string, groups: Map<string, Set<string>> | undefined): Promise<number> {
	if (!groups?.size) return 0;
	let removed = 0;
	const records = await ports.messages.findByBatch(batch);
	const settled = new Set(records.filter((record) => !record.pending).map((record) => record.sendId));
	for (const [group, sendIds] of groups) {
		if (![...sendIds].every((id) => settled.has(id))) continue;
		await ports.messages.removePending(group);
		groups.delete(group);
		removed++;
	}
	return removed;
}
