import { headerProblem, signersOf, signPayload, verifySignature } from '../../../../src/core/webhook/signature';
import { noteVector, rawBytes, VECTORS, vectorOf } from './vectors';

const crypto = require('crypto') as typeof import('crypto');

describe('signPayload', () => {
	it('has all seven vectors of shared/contracts to check', () => {
		expect(VECTORS).toHaveLength(7);
	});

	it.each(VECTORS.map((v) => [v.file ?? v.note?.slice(0, 50), v] as const))(
		'signs %s to its published X-Hub-Signature-256',
		(_name, v) => {
			expect(signPayload(rawBytes(v), v.app_secret)).toBe(v['X-Hub-Signature-256']);
		},
	);

	it('signs a string as its UTF-8 bytes (unicode regression)', () => {
		const body = '{"t":"café 😀"}';
		expect(signPayload(body, 'test_app_secret')).toBe(signPayload(Buffer.from(body, 'utf8'), 'test_app_secret'));
		expect(signPayload(body, 'test_app_secret')).not.toBe(signPayload(Buffer.from(body, 'latin1'), 'test_app_secret'));
	});
});

describe('verifySignature', () => {
	it.each(VECTORS.map((v) => [v.file ?? v.note?.slice(0, 50), v] as const))('accepts %s with its published header', (_name, v) => {
		expect(verifySignature(rawBytes(v), v['X-Hub-Signature-256'], [v.app_secret])).toEqual({ ok: true, secretIndex: 0 });
	});

	it('refuses the same JSON re-serialized differently (negative vector): the raw bytes are what is signed', () => {
		const file = vectorOf('meta-docs/webhook-status-failed-131049.json');
		const compact = noteVector('same JSON as webhook-status-failed-131049.json');
		expect(JSON.parse(compact.body)).toEqual(JSON.parse(rawBytes(file).toString('utf8')));
		expect(compact['X-Hub-Signature-256']).not.toBe(file['X-Hub-Signature-256']);
		expect(verifySignature(compact.body, file['X-Hub-Signature-256'], ['test_app_secret'])).toEqual({ ok: false, reason: 'mismatch' });
		expect(verifySignature(rawBytes(file), compact['X-Hub-Signature-256'], ['test_app_secret'])).toEqual({
			ok: false,
			reason: 'mismatch',
		});
	});

	it('refuses a body signed with another secret', () => {
		const body = '{"object":"whatsapp_business_account"}';
		expect(verifySignature(body, signPayload(body, 'attacker'), ['test_app_secret'])).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('refuses a body changed by one byte', () => {
		const body = '{"a":1}';
		expect(verifySignature('{"a":2}', signPayload(body, 'secret'), ['secret'])).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('accepts upper-case hex and an upper-case prefix, with surrounding whitespace', () => {
		const body = '{"a":1}';
		const hex = signPayload(body, 'secret').slice('sha256='.length);
		expect(verifySignature(body, `SHA256=${hex.toUpperCase()}`, ['secret'])).toEqual({ ok: true, secretIndex: 0 });
		expect(verifySignature(body, ` sha256=${hex} `, ['secret'])).toEqual({ ok: true, secretIndex: 0 });
	});

	it('tries every secret (rotation, several numbers) and says which one matched', () => {
		const body = '{"a":1}';
		expect(verifySignature(body, signPayload(body, 'new'), ['old', 'new'])).toEqual({ ok: true, secretIndex: 1 });
		expect(verifySignature(body, signPayload(body, 'old'), ['old', 'new'])).toEqual({ ok: true, secretIndex: 0 });
		expect(verifySignature(body, signPayload(body, 'new'), ['', 'old', 'new'])).toEqual({ ok: true, secretIndex: 2 });
		expect(verifySignature(body, signPayload(body, 'other'), ['old', 'new'])).toEqual({ ok: false, reason: 'mismatch' });
	});

	it.each([
		[undefined, 'missing-header'],
		['', 'missing-header'],
		['sha1=3a4b', 'malformed-header'],
		['sha256=', 'malformed-header'],
		['sha256=zz', 'malformed-header'],
		[`sha256=${'a'.repeat(63)}`, 'malformed-header'],
		[`sha256=${'a'.repeat(65)}`, 'malformed-header'],
		[`sha256=${'g'.repeat(64)}`, 'malformed-header'],
		['a'.repeat(64), 'malformed-header'],
		[`sha256 = ${'a'.repeat(64)}`, 'malformed-header'],
		[`sha256=${'0'.repeat(64)}`, 'mismatch'],
	] as const)('header %p -> %s', (header, reason) => {
		expect(verifySignature('{"a":1}', header, ['secret'])).toEqual({ ok: false, reason });
	});

	it.each([[[]], [['']]])('refuses when no secret is configured (%p)', (secrets) => {
		expect(verifySignature('x', signPayload('x', ''), secrets)).toEqual({ ok: false, reason: 'no-secret-configured' });
	});

	it('compares digests with crypto.timingSafeEqual', () => {
		const spy = jest.spyOn(crypto, 'timingSafeEqual');
		try {
			expect(verifySignature('x', `sha256=${'0'.repeat(64)}`, ['a', 'b'])).toEqual({ ok: false, reason: 'mismatch' });
			expect(spy).toHaveBeenCalledTimes(2);
		} finally {
			spy.mockRestore();
		}
	});
});

describe('headerProblem', () => {
	it.each([
		[undefined, 'missing-header'],
		['', 'missing-header'],
		['sha1=3a4b', 'malformed-header'],
		[`sha256=${'a'.repeat(63)}`, 'malformed-header'],
		[`sha256=${'a'.repeat(64)}`, undefined],
		[` SHA256=${'A'.repeat(64)} `, undefined],
		// Two headers of that name, or anything but a string: never read as a signature.
		[[`sha256=${'a'.repeat(64)}`, `sha256=${'b'.repeat(64)}`], 'malformed-header'],
		[42, 'malformed-header'],
	] as const)('header %p -> %p', (header, problem) => {
		expect(headerProblem(header)).toBe(problem);
	});
});

describe('signersOf', () => {
	it('names every secret that signed the body (numbers of one Meta app share one)', () => {
		const body = '{"a":1}';
		expect(signersOf(body, signPayload(body, 'a'), ['a', 'b', 'a', ''])).toEqual({ ok: true, secretIndexes: [0, 2] });
		expect(signersOf(body, signPayload(body, 'b'), ['a', 'b', 'a'])).toEqual({ ok: true, secretIndexes: [1] });
		expect(signersOf(body, signPayload(body, 'c'), ['a', 'b'])).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('tries every secret, so the time does not tell which one matched', () => {
		const spy = jest.spyOn(crypto, 'timingSafeEqual');
		try {
			signersOf('x', signPayload('x', 'a'), ['a', 'b', 'c']);
			expect(spy).toHaveBeenCalledTimes(3);
		} finally {
			spy.mockRestore();
		}
	});
});
