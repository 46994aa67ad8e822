import { DAY_MS, DEFAULT_RETENTION_MS, expiredDays, retentionMsFromDays } from '../../../../src/core/status/retention';

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
