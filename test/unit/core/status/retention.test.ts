import {
	DAY_MS,
	dayIn,
	daysToSweep,
	DEFAULT_RETENTION_MS,
	MAX_RETENTION_DAYS,
	MAX_SWEEP_DAYS,
	newestExpiredDay,
	RESCAN_DAYS,
	retentionMsFromDays,
} from '../../../../src/core/status/retention';

describe('retention', () => {
	const now = Date.parse('2025-07-01T12:00:00.000Z');

	it('removes the days past 30 days by default, and keeps the last day within them', () => {
		expect(DEFAULT_RETENTION_MS).toBe(30 * DAY_MS);
		expect(newestExpiredDay(DEFAULT_RETENTION_MS, now)).toBe('2025-05-31');
		expect(newestExpiredDay(retentionMsFromDays(1), now)).toBe('2025-06-29');
		expect(newestExpiredDay(retentionMsFromDays('7'), now)).toBe('2025-06-23');
	});

	it('looks back to the day after the last full clean-up, and RESCAN_DAYS more: missed runs and a lowered setting leave no day behind', () => {
		expect(RESCAN_DAYS).toBe(2);
		// The day after the mark is the new one; the mark's day and the one before are looked at again.
		expect(daysToSweep('2025-05-31', '2025-05-30')).toEqual(['2025-05-31', '2025-05-30', '2025-05-29']);
		expect(daysToSweep('2025-05-31', '2025-05-27')).toEqual([
			'2025-05-31',
			'2025-05-30',
			'2025-05-29',
			'2025-05-28',
			'2025-05-27',
			'2025-05-26',
		]);
		// The setting lowered from 30 days to 7: every day since the last clean-up, past the week.
		const lowered = daysToSweep(newestExpiredDay(retentionMsFromDays(7), now), '2025-05-31');
		expect(lowered).toHaveLength(23 + RESCAN_DAYS);
		expect([lowered[0], lowered[lowered.length - 1]]).toEqual(['2025-06-23', '2025-05-30']);
		// Raised: nothing is past the limit that was not removed already.
		expect(daysToSweep('2025-05-31', '2025-06-23')).toEqual([]);
		// None recorded (an installation's first clean-up): a year and a month back.
		const first = daysToSweep('2025-05-31');
		expect(first).toHaveLength(MAX_SWEEP_DAYS);
		expect(first[0]).toBe('2025-05-31');
		// A mark far back: the oldest MAX_SWEEP_DAYS days after it; the next clean-up goes on from there.
		const far = daysToSweep('2025-05-31', '2020-01-03');
		expect(far).toHaveLength(MAX_SWEEP_DAYS);
		expect([far[0], far[far.length - 1]]).toEqual(['2021-02-04', '2020-01-02']);
		expect(daysToSweep('2025-05-31', far[0])[MAX_SWEEP_DAYS - 1]).toBe('2021-02-03');
	});

	it('reads back a stored day only when it is a calendar day', () => {
		expect(['2026-05-31', '2026-00-10', '2026-02-30', '2026-5-31', 20260531, undefined].map(dayIn)).toEqual([
			'2026-05-31',
			undefined,
			undefined,
			undefined,
			undefined,
			undefined,
		]);
	});

	it('keeps records at most 100 years, however long the setting: the daily run still finds its day', () => {
		const now = Date.parse('2026-12-01T12:00:00.000Z');
		for (const days of [36500, 36501, 1e9, '1e12', Number.POSITIVE_INFINITY]) {
			expect(retentionMsFromDays(days)).toBe(MAX_RETENTION_DAYS * DAY_MS);
			expect(newestExpiredDay(retentionMsFromDays(days), now)).toBe('1926-12-25');
		}
	});

	it('reads the setting in whole days, falling back to 30', () => {
		expect([7, '7', 1.5, 0, -3, 'x', '', undefined, null, Number.NaN].map(retentionMsFromDays)).toEqual([
			7 * DAY_MS,
			7 * DAY_MS,
			DAY_MS,
			DEFAULT_RETENTION_MS,
			DEFAULT_RETENTION_MS,
			DEFAULT_RETENTION_MS,
			DEFAULT_RETENTION_MS,
			DEFAULT_RETENTION_MS,
			DEFAULT_RETENTION_MS,
			DEFAULT_RETENTION_MS,
		]);
	});
});
