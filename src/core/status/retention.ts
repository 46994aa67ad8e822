/** Retention of the records of sent and received messages: kept in whole days, 30 by default. */

export const DAY_MS = 86400000;
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RETENTION_MS = DEFAULT_RETENTION_DAYS * DAY_MS;

/**
 * The longest retention: 100 years. A longer setting keeps records as long as this (the job's
 * dates stay within what a Date can hold: 1e8 days from 1970, so about 270,000 years before it).
 */
export const MAX_RETENTION_DAYS = 36500;

/** The retention setting (whole days, 1 to MAX_RETENTION_DAYS) in ms; unset or invalid gives the default. */
export function retentionMsFromDays(days: unknown): number {
	const n = typeof days === 'string' && days.trim() !== '' ? Number(days) : days;
	if (typeof n !== 'number' || Number.isNaN(n) || n < 1) return DEFAULT_RETENTION_MS;
	return Math.min(Math.floor(n), MAX_RETENTION_DAYS) * DAY_MS;
}

/** The day (UTC, `YYYY-MM-DD`) of a time. */
export const dayOf = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** `value` when it is a calendar day (`YYYY-MM-DD`, UTC) as `dayOf` writes it, else undefined (a mark or cursor read back). */
export function dayIn(value: unknown): string | undefined {
	if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
	const at = Date.parse(`${value}T00:00:00.000Z`);
	return Number.isNaN(at) || dayOf(at) !== value ? undefined : value;
}

/** The newest day (UTC) whose records a retention run at `now` removes: the day before the oldest the setting keeps. */
export function newestExpiredDay(retentionMs: number, now: number): string {
	return dayOf(now - (Math.floor(retentionMs / DAY_MS) + 1) * DAY_MS);
}

/** How far back a clean-up looks at most: a year and a month of days. */
export const MAX_SWEEP_DAYS = 400;
/** Days at and before the mark a clean-up looks at again: records written into a day while it was removed. */
export const RESCAN_DAYS = 2;
/** Days of a clean-up's list removed directly; older ones are looked at first (a read) and removed only when something is there. */
export const DIRECT_DAYS = 7;

/**
 * The days (UTC) a clean-up removes, newest first: from `newest` back to the day after `sweptThrough`
 * (every day up to it was removed by an earlier clean-up), and RESCAN_DAYS more; at most
 * MAX_SWEEP_DAYS, the oldest of them (later clean-ups go on from there). MAX_SWEEP_DAYS back from
 * `newest` when none was recorded (the first clean-up of an installation, or of a version before the
 * marks, looks for all it may have left). None when `sweptThrough` is well past `newest` (the
 * retention setting was raised). So no day is left behind, when runs were missed or the setting was
 * lowered.
 */
export function daysToSweep(newest: string, sweptThrough?: string): string[] {
	const start = Date.parse(`${newest}T00:00:00.000Z`);
	if (sweptThrough === undefined) return Array.from({ length: MAX_SWEEP_DAYS }, (_, i) => dayOf(start - i * DAY_MS));
	const stop = Date.parse(`${sweptThrough}T00:00:00.000Z`) - RESCAN_DAYS * DAY_MS;
	const count = Math.max(0, Math.round((start - stop) / DAY_MS));
	// More days than a clean-up takes on: the oldest of them, so that the mark moves on from where it
	// is, and the next clean-ups go on from there (none is passed over).
	const from = stop + Math.min(count, MAX_SWEEP_DAYS) * DAY_MS;
	return Array.from({ length: Math.min(count, MAX_SWEEP_DAYS) }, (_, i) => dayOf(from - i * DAY_MS));
}
