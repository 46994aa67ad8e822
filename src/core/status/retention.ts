/** Retention of the records of sent and received messages: kept in whole days, 30 by default. */

export const DAY_MS = 86400000;
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RETENTION_MS = DEFAULT_RETENTION_DAYS * DAY_MS;

/** The retention setting (whole days, at least 1) in ms; unset or invalid gives the default. */
export function retentionMsFromDays(days: unknown): number {
	const n = typeof days === 'string' && days.trim() !== '' ? Number(days) : days;
	return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) * DAY_MS : DEFAULT_RETENTION_MS;
}

/** Days before the retention limit that each run looks at, so that missed runs are caught up. */
export const CATCH_UP_DAYS = 7;

/**
 * The days (UTC, `YYYY-MM-DD`) whose records a retention run at `now` removes: records are kept in
 * whole-day buckets, and the `catchUpDays` days just past the limit go.
 */
export function expiredDays(retentionMs: number, now: number, catchUpDays: number = CATCH_UP_DAYS): string[] {
	const days = Math.floor(retentionMs / DAY_MS);
	const expired: string[] = [];
	for (let d = days + 1; d <= days + catchUpDays; d++) expired.push(new Date(now - d * DAY_MS).toISOString().slice(0, 10));
	return expired;
}
