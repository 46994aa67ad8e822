/** The verification handshake's token check. Plain TypeScript. */
const crypto = require('crypto') as typeof import('crypto');

/**
 * Whether the token Meta sent is the workspace's verify token, in constant time: the bytes are
 * compared with crypto.timingSafeEqual. Tokens of another length are refused after a comparison of
 * the same cost, so neither the time nor an exception says how long the token is or how much matched.
 */
export function verifyTokenMatches(given: unknown, expected: string | undefined): boolean {
	if (!expected || typeof given !== 'string') return false;
	const a = Buffer.from(given, 'utf8');
	const b = Buffer.from(expected, 'utf8');
	if (a.length !== b.length) {
		crypto.timingSafeEqual(b, b);
		return false;
	}
	return crypto.timingSafeEqual(a, b);
}
