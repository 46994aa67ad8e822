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

/** The day (UTC, `YYYY-MM-DD`) of a time. */
export const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** The newest day (UTC) whose records a retention run at `now` removes: the day before the oldest the setting keeps. */
export function newestExpiredDay(retentionMs: number, now: number): string {
	return dayOf(now - (Math.floor(retentionMs / DAY_MS) + 1) * DAY_MS);
}

/** How far back a clean-up looks at most, whatever its mark says: a year and a month of days. */
export const MAX_SWEEP_DAYS = 400;

/**
 * The days (UTC) a clean-up removes, newest first: from `newest` back to the day after `sweptThrough`
 * (every day up to it was removed by an earlier clean-up), or `catchUpDays` days when none was
 * recorded; at most MAX_SWEEP_DAYS. None when `sweptThrough` is `newest` or later (the retention
 * setting was raised). So days are never left behind: not when runs were missed, nor when the
 * setting was lowered by more than a week.
 */
export function daysToSweep(newest: string, sweptThrough?: string, catchUpDays: number = CATCH_UP_DAYS): string[] {
	const start = Date.parse(`${newest}T00:00:00.000Z`);
	const days: string[] = [];
	for (let i = 0; i < (sweptThrough === undefined ? catchUpDays : MAX_SWEEP_DAYS); i++) {
		const day = dayOf(start - i * DAY_MS);
		if (sweptThrough !== undefined && day <= sweptThrough) break;
		days.push(day);
	}
	return days;
}

/**
 * The days whose records a retention run at `now` removes when no earlier run recorded how far it
 * got: the `catchUpDays` days just past the limit.
 */
export function expiredDays(retentionMs: number, now: number, catchUpDays: number = CATCH_UP_DAYS): string[] {
	return daysToSweep(newestExpiredDay(retentionMs, now), undefined, catchUpDays);
}
