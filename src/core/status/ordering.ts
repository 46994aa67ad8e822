/**
 * The status vocabulary and its order. Statuses never regress:
 *
 *   queued < sent < delivered < read < played      then the terminal ones: failed, deleted
 *
 * - A status at or below the highest one forwarded is dropped (`drop-regression`): a late
 *   `delivered` after `read`, a `read` after `played`, `queued` after anything.
 * - A status already forwarded for the message is dropped as `drop-duplicate` (Meta redelivers
 *   webhooks), so each (msId, status) is forwarded once.
 * - Skipped steps are not invented: `read` may arrive without `delivered` (and `delivered` may never
 *   come for a message read on a linked device); it is forwarded as it is, once the status pipeline
 *   has waited a little for the missing step (`stepAwaited`, core/app/statuses.ts ORDER_WAIT_MS).
 * - `failed` and `deleted` are terminal: after either, nothing is forwarded.
 * - A `failed` after `delivered`/`read`/`played` IS forwarded. Meta's status reference describes
 *   `failed` as "failure to send or deliver" and promises no order between webhooks (they are
 *   retried independently, and a group message gets statuses per participant under one wamid), so a
 *   failure may arrive after a success. Dropping it would hide Meta's error from the receiver; the
 *   receiver sees the highest success it already got, then the failure with its `ErrorDetails`.
 * - `deleted` (a contact's `revoke`) is likewise forwarded after any success, but not after `failed`.
 */

/** Statuses as the Message Status Endpoint contract names them; `queued` is the app's own (Meta accepted the send). */
export type Status = 'queued' | 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'deleted';

export type Decision = 'forward' | 'drop-duplicate' | 'drop-regression';

/** Rank of the progress statuses; the terminal ones rank above all of them. */
export const STATUS_RANK: Readonly<Record<Status, number>> = {
	queued: 0,
	sent: 1,
	delivered: 2,
	read: 3,
	played: 4,
	failed: 5,
	deleted: 5,
};

export function isTerminal(status: Status): boolean {
	return status === 'failed' || status === 'deleted';
}

/** Meta's status word (or an inbound `revoke`) as the contract's status; words Meta may add later give `undefined` (not forwarded). */
export function fromMetaStatus(metaStatus: string): Status | undefined {
	switch (metaStatus) {
		case 'sent':
		case 'delivered':
		case 'read':
		case 'played':
		case 'failed':
			return metaStatus;
		case 'deleted':
		case 'revoke':
			return 'deleted';
		default:
			return undefined;
	}
}

/** The highest of the statuses forwarded so far (a terminal one wins), or `undefined` for none. */
export function highestOf(seen: Iterable<Status>): Status | undefined {
	let highest: Status | undefined;
	for (const status of seen)
		if (highest === undefined || STATUS_RANK[status] > STATUS_RANK[highest] || isTerminal(status)) highest = status;
	return highest;
}

/**
 * Whether `incoming` is forwarded, given the highest status forwarded for the message and the set
 * of every status forwarded for it (duplicates are detected on the set, regressions on the rank).
 */
export function decide(previousHighest: Status | undefined, seen: ReadonlySet<Status>, incoming: Status): Decision {
	if (seen.has(incoming)) return 'drop-duplicate';
	if (previousHighest === undefined) return 'forward';
	if (isTerminal(previousHighest)) return 'drop-regression';
	// A terminal status outranks every progress status, so `failed` after `read` is forwarded.
	return STATUS_RANK[incoming] > STATUS_RANK[previousHighest] ? 'forward' : 'drop-regression';
}

/** Each progress status Meta sends, and the one Meta sends before it. */
const STEP_BEFORE: Partial<Record<Status, Status>> = { delivered: 'sent', read: 'delivered', played: 'read' };

/**
 * The status Meta normally sends just before `incoming` when it has not been forwarded yet and may
 * still come (nothing at or above it was forwarded): `sent` for a `delivered`, `delivered` for a
 * `read`, `read` for a `played`. Meta promises no order between webhooks, so such a status may be
 * on its way in another one; the status pipeline waits for it a little (core/app/statuses.ts) before
 * it forwards `incoming` without it. Undefined when nothing is missing or `incoming` is not forwarded.
 */
export function stepAwaited(seen: ReadonlySet<Status>, incoming: Status): Status | undefined {
	const before = STEP_BEFORE[incoming];
	if (!before || seen.has(before) || decide(highestOf(seen), seen, incoming) !== 'forward') return undefined;
	const highest = highestOf(seen);
	return highest !== undefined && STATUS_RANK[highest] < STATUS_RANK[before] ? before : undefined;
}
