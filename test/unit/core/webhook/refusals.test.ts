import { RefusalLog, refusalLine } from '../../../../src/core/webhook/refusals';

describe('RefusalLog', () => {
	it('logs a cause at most once a minute, counting the refusals since its last line', () => {
		const log = new RefusalLog();
		const t0 = 1_000_000;
		expect(log.note('missing-header', t0)).toBe(1);
		expect(log.note('missing-header', t0 + 1)).toBeUndefined();
		expect(log.note('missing-header', t0 + 59_999)).toBeUndefined();
		// A minute later: this one and the two kept quiet.
		expect(log.note('missing-header', t0 + 60_000)).toBe(3);
		expect(log.note('missing-header', t0 + 60_001)).toBeUndefined();
		expect(log.note('missing-header', t0 + 500_000)).toBe(2);
		expect(log.note('missing-header', t0 + 900_000)).toBe(1);
	});

	it('keeps each cause apart', () => {
		const log = new RefusalLog();
		expect(log.note('missing-header', 0)).toBe(1);
		expect(log.note('mismatch', 10)).toBe(1);
		expect(log.note('missing-header', 20)).toBeUndefined();
		expect(log.note('mismatch', 30)).toBeUndefined();
		expect(log.note('mismatch', 60_010)).toBe(2);
		expect(log.note('missing-header', 60_010)).toBe(2);
	});

	it('logs again when the clock went back rather than staying quiet', () => {
		const log = new RefusalLog();
		expect(log.note('x', 100_000)).toBe(1);
		expect(log.note('x', 50_000)).toBe(1);
	});

	it("gives a burst's refusals not reported by a later one once their minute has passed: the last text, how many, once", () => {
		const log = new RefusalLog();
		expect(log.note('x', 0, 'first')).toBe(1);
		expect(log.note('x', 10, 'second')).toBeUndefined();
		expect(log.note('x', 20, 'third')).toBeUndefined();
		expect(log.note('y', 30, 'other')).toBe(1);
		expect(log.overdue(59_999)).toEqual([]);
		expect(log.overdue(60_000)).toEqual([{ text: 'third', count: 2, level: 'warn' }]);
		expect(log.overdue(200_000)).toEqual([]);
		// Reported: the next refusal of the cause counts from that line.
		expect(log.note('x', 100_000, 'fourth')).toBeUndefined();
		expect(log.note('x', 120_000, 'fifth')).toBe(2);
	});

	it('gives each line at the level of its cause', () => {
		const log = new RefusalLog();
		expect(log.note('failed', 0, 'answered 500', 'error')).toBe(1);
		expect(log.note('failed', 10, 'answered 500', 'error')).toBeUndefined();
		expect(log.note('signature', 20, 'refused')).toBe(1);
		expect(log.note('signature', 30, 'refused')).toBeUndefined();
		expect(log.overdue(60_030)).toEqual([
			{ text: 'answered 500', count: 1, level: 'error' },
			{ text: 'refused', count: 1, level: 'warn' },
		]);
	});

	it('takes another interval', () => {
		const log = new RefusalLog(10);
		expect(log.note('x', 0)).toBe(1);
		expect(log.note('x', 9)).toBeUndefined();
		expect(log.note('x', 10)).toBe(2);
	});
});

describe('refusalLine', () => {
	it('says how many were refused since the last line when more than one', () => {
		expect(refusalLine('webhook refused: why', 1)).toBe('webhook refused: why');
		expect(refusalLine('webhook refused: why', 12)).toBe('webhook refused: why (12 refused for this reason since the last such line)');
	});
});
