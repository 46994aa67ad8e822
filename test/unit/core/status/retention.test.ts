import {
	DAY_MS,
	daysToSweep,
	DEFAULT_RETENTION_MS,
	expiredDays,
	MAX_SWEEP_DAYS,
	newestExpiredDay,
	retentionMsFromDays,
} from '../../../../src/core/status/retention';

describe('retention', () => {
	const now = Date.parse('2025-07-01T12:00:00.000Z');

	it('removes the week of days just past 30 days by default', () => {
		expect(DEFAULT_RETENTION_MS).toBe(30 * DAY_MS);
		expect(expiredDays(DEFAULT_RETENTION_MS, now)).toEqual([
			'2025-05-31',
			'2025-05-30',
			'2025-05-29',
			'2025-05-28',
			'2025-05-27',
			'2025-05-26',
			'2025-05-25',
		]);
	});

	it('follows the retention setting, and keeps the last day within it', () => {
		expect(expiredDays(retentionMsFromDays(1), now, 2)).toEqual(['2025-06-29', '2025-06-28']);
		expect(expiredDays(retentionMsFromDays('7'), now, 1)).toEqual(['2025-06-23']);
	});

	it('looks back to the day after the last clean-up that removed everything, however far: missed runs and a lowered setting leave no day behind', () => {
		expect(newestExpiredDay(DEFAULT_RETENTION_MS, now)).toBe('2025-05-31');
		expect(daysToSweep('2025-05-31', '2025-05-28')).toEqual(['2025-05-31', '2025-05-30', '2025-05-29']);
		// The setting lowered from 30 days to 7: every day since the last clean-up, past the week.
		const lowered = daysToSweep(newestExpiredDay(retentionMsFromDays(7), now), '2025-05-31');
		expect(lowered).toHaveLength(23);
		expect([lowered[0], lowered[22]]).toEqual(['2025-06-23', '2025-06-01']);
		// Raised: nothing is past the limit that was not removed already.
		expect(daysToSweep('2025-05-31', '2025-06-23')).toEqual([]);
		expect(daysToSweep('2025-05-31', '2025-05-31')).toEqual([]);
		// A mark far back: a year and a month at most.
		expect(daysToSweep('2025-05-31', '2020-01-01')).toHaveLength(MAX_SWEEP_DAYS);
		// None recorded: the week just past the limit.
		expect(daysToSweep('2025-05-31')).toEqual(expiredDays(DEFAULT_RETENTION_MS, now));
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
