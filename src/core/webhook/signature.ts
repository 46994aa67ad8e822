/** `X-Hub-Signature-256: sha256=<hex>` over the raw body, HMAC-SHA256 with the Meta app secret. */
const crypto = require('crypto') as typeof import('crypto');

export type VerifyResult = { ok: true; secretIndex: number } | { ok: false; reason: 'missing-header' | 'malformed-header' | 'no-secret-configured' | 'mismatch' };

export function signPayload(rawBody: string | Buffer, secret: string): string {
	return `sha256=${crypto.createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Checks the header against each secret (several numbers, or a secret being rotated) in constant time. */
export function verifySignature(rawBody: string | Buffer, header: string | undefined, secrets: string[]): VerifyResult {
	if (!header) return { ok: false, reason: 'missing-header' };
	const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
	if (!match) return { ok: false, reason: 'malformed-header' };
	const usable = secrets.filter(Boolean);
	if (!usable.length) return { ok: false, reason: 'no-secret-configured' };
	const received = Buffer.from(match[1].toLowerCase(), 'hex');
	for (let i = 0; i < usable.length; i++) {
		const expected = crypto.createHmac('sha256', usable[i]).update(rawBody).digest();
		if (expected.length === received.length && crypto.timingSafeEqual(expected, received)) return { ok: true, secretIndex: secrets.indexOf(usable[i]) };
	}
	return { ok: false, reason: 'mismatch' };
}
