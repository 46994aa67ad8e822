import { DAY_MS, DEFAULT_RETENTION_MS, isExpired, retentionMsFromDays } from '../../../../src/core/status/retention';

describe('retention', () => {
	const sentAt = '2025-06-01T12:00:00.000Z';
	const sent = Date.parse(sentAt);

	it('expires a record 30 days after it was sent by default', () => {
		expect(DEFAULT_RETENTION_MS).toBe(30 * DAY_MS);
		expect(isExpired({ sentAt }, sent + 30 * DAY_MS - 1)).toBe(false);
		expect(isExpired({ sentAt }, sent + 30 * DAY_MS)).toBe(true);
	});

	it('follows the retention setting', () => {
		expect(isExpired({ sentAt }, sent + 2 * DAY_MS, retentionMsFromDays(1))).toBe(true);
		expect(isExpired({ sentAt }, sent + 2 * DAY_MS, retentionMsFromDays('7'))).toBe(false);
	});

	it('reads the setting in whole days, falling back to 30', () => {
		expect([7, '7', 1.5, 0, -3, 'x', '', undefined, null, Number.NaN].map(retentionMsFromDays)).toEqual([7 * DAY_MS, 7 * DAY_MS, DAY_MS, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_MS]);
	});

	it('a record without a valid date is expired', () => {
		expect(isExpired({ sentAt: 'not a date' }, sent)).toBe(true);
	});
});
