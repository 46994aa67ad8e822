import { formatE164, normalizePhoneNumber } from '../../../src/core/phone';

describe('normalizePhoneNumber', () => {
	it.each([
		['+55 (11) 98765-4321', '5511987654321'],
		['0055 11 987654321', '5511987654321'],
		['5511987654321', '5511987654321'],
		['+1 650.555.1234', '16505551234'],
		['  +44 20 7946 0958 ', '442079460958'],
		['12345678', '12345678'],
		// Niue: 683 and a 4-digit number.
		['+683 4001', '6834001'],
		['123456789012345', '123456789012345'],
		['+33 1.23.45.67.00', '33123456700'],
	])('%p -> %p', (input, expected) => {
		expect(normalizePhoneNumber(input)).toBe(expected);
	});

	it.each([
		['', 'empty'],
		['+1 555 CALL NOW', 'letters'],
		['123456', '6 digits'],
		['1234567890123456', '16 digits'],
		['0612345678', 'national number with a trunk 0'],
		['+0612345678', 'leading 0 after +'],
		['000612345678', 'leading 0 after 00'],
		['++5511987654321', 'two plus signs'],
		['55+11987654321', 'plus in the middle'],
		['5511987654321#1', 'extension'],
		['5511987654321.0', 'a number a spreadsheet wrote as a decimal: 55119876543210 is someone else'],
		['+5511987654321.00', 'the same with two decimals'],
	])('refuses %p (%s)', (input) => {
		expect(normalizePhoneNumber(input)).toBeUndefined();
	});
});

describe('formatE164', () => {
	it('adds the plus sign', () => {
		expect(formatE164('5511987654321')).toBe('+5511987654321');
	});
});
