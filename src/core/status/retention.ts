/** Retention of sent-message records: they expire `retentionMs` after they were sent (30 days by default). */

export const DAY_MS = 86400000;
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_RETENTION_MS = DEFAULT_RETENTION_DAYS * DAY_MS;

/** The retention setting (whole days, at least 1) in ms; unset or invalid gives the default. */
export function retentionMsFromDays(days: unknown): number {
	const n = typeof days === 'string' && days.trim() !== '' ? Number(days) : days;
	return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) * DAY_MS : DEFAULT_RETENTION_MS;
}

/**
 * True once `now` is at or past `sentAt + retentionMs`. A record whose `sentAt` is not a date can
 * never be matched to a status by age, so it counts as expired rather than being kept forever.
 */
export function isExpired(record: { sentAt: string }, now: number, retentionMs: number = DEFAULT_RETENTION_MS): boolean {
	const sent = Date.parse(record.sentAt);
	if (!Number.isFinite(sent)) return true;
	return now - sent >= retentionMs;
}
