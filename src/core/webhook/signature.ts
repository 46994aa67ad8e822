/** `X-Hub-Signature-256: sha256=<hex>` over the raw body, HMAC-SHA256 with the Meta app secret. */
const crypto = require('crypto') as typeof import('crypto');

export type SignatureFailure = 'missing-header' | 'malformed-header' | 'no-secret-configured' | 'mismatch';
export type VerifyResult = { ok: true; secretIndex: number } | { ok: false; reason: SignatureFailure };
/** Every secret that signed the body (several numbers of one Meta app share a secret). */
export type SignersResult = { ok: true; secretIndexes: number[] } | { ok: false; reason: SignatureFailure };

const HEADER = /^sha256=([0-9a-f]{64})$/i;

export function signPayload(rawBody: string | Buffer, secret: string): string {
	return `sha256=${crypto.createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * What can be said of the header alone, before anything is read: missing, malformed, or
 * undefined when it has the right shape. The endpoint refuses on this before any persistence read.
 */
export function headerProblem(header: unknown): 'missing-header' | 'malformed-header' | undefined {
	if (header === undefined || header === null || header === '') return 'missing-header';
	return typeof header === 'string' && HEADER.test(header.trim()) ? undefined : 'malformed-header';
}

/**
 * Checks the header against every secret, each in constant time, and says which ones signed the
 * body (indexes into `secrets`). Every secret is tried, so the time does not say which one matched.
 */
export function signersOf(rawBody: string | Buffer, header: string | undefined, secrets: string[]): SignersResult {
	const problem = headerProblem(header);
	if (problem) return { ok: false, reason: problem };
	if (!secrets.some(Boolean)) return { ok: false, reason: 'no-secret-configured' };
	const received = Buffer.from((HEADER.exec((header as string).trim()) as RegExpExecArray)[1].toLowerCase(), 'hex');
	const secretIndexes: number[] = [];
	secrets.forEach((secret, i) => {
		if (!secret) return;
		const expected = crypto.createHmac('sha256', secret).update(rawBody).digest();
		if (expected.length === received.length && crypto.timingSafeEqual(expected, received)) secretIndexes.push(i);
	});
	return secretIndexes.length ? { ok: true, secretIndexes } : { ok: false, reason: 'mismatch' };
}

/** Checks the header against each secret (several numbers, or a secret being rotated) in constant time. */
export function verifySignature(rawBody: string | Buffer, header: string | undefined, secrets: string[]): VerifyResult {
	const result = signersOf(rawBody, header, secrets);
	return result.ok ? { ok: true, secretIndex: result.secretIndexes[0] } : result;
}
