import { parseStatusFilter, passesFilter } from '../../../../src/core/status/filter';

describe('Filter Message Status', () => {
	it.each([
		['all', 'Template-Message', true],
		['all', 'Regular-Message', true],
		['regular', 'Template-Message', false],
		['regular', 'Regular-Message', true],
		['template', 'Template-Message', true],
		['template', 'Regular-Message', false],
	] as const)('%s lets %s through: %s', (filter, type, expected) => {
		expect(passesFilter(filter, type)).toBe(expected);
	});

	it('an unset or unknown value is the default, all', () => {
		expect([undefined, '', 'Template', 3, null].map(parseStatusFilter)).toEqual(['all', 'all', 'all', 'all', 'all']);
		expect(passesFilter('nonsense', 'Regular-Message')).toBe(true);
	});
});
