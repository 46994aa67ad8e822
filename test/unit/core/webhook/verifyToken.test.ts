import { verifyTokenMatches } from '../../../../src/core/webhook/verifyToken';

const crypto = require('crypto') as typeof import('crypto');

const TOKEN = 'a3f1c2d4e5b60718293a4b5c6d7e8f9001122334455667788';

describe('verifyTokenMatches', () => {
	it('accepts the token, exactly', () => {
		expect(verifyTokenMatches(TOKEN, TOKEN)).toBe(true);
		expect(verifyTokenMatches('café', 'café')).toBe(true);
	});

	it.each([
		['one character changed', `${TOKEN.slice(0, -1)}0`],
		['another case', TOKEN.toUpperCase()],
		['a prefix', TOKEN.slice(0, -1)],
		['longer', `${TOKEN}0`],
		['empty', ''],
		['surrounding spaces', ` ${TOKEN} `],
	])('refuses %s', (_name, given) => {
		expect(verifyTokenMatches(given, TOKEN)).toBe(false);
	});

	it.each([[undefined], [null], [42], [[TOKEN]], [{ toString: () => TOKEN }]])('refuses a token that is not a string (%p)', (given) => {
		expect(verifyTokenMatches(given, TOKEN)).toBe(false);
	});

	it('refuses everything while no token exists', () => {
		expect(verifyTokenMatches('', undefined)).toBe(false);
		expect(verifyTokenMatches('', '')).toBe(false);
		expect(verifyTokenMatches('x', undefined)).toBe(false);
	});

	it('compares with crypto.timingSafeEqual, on equal-length buffers, whatever the length given', () => {
		const spy = jest.spyOn(crypto, 'timingSafeEqual');
		try {
			for (const given of [TOKEN, `${TOKEN.slice(0, -1)}0`, 'short', `${TOKEN}${TOKEN}`]) {
				spy.mockClear();
				verifyTokenMatches(given, TOKEN);
				expect(spy).toHaveBeenCalledTimes(1);
				const [a, b] = spy.mock.calls[0] as unknown as [Buffer, Buffer];
				expect(a.length).toBe(b.length);
				expect(a.length).toBe(Buffer.byteLength(TOKEN));
			}
		} finally {
			spy.mockRestore();
		}
	});

	it('compares bytes, not UTF-16 units: a multi-byte character of the same string length is refused without throwing', () => {
		expect(verifyTokenMatches('é'.repeat(4), 'e'.repeat(4))).toBe(false);
	});
});
