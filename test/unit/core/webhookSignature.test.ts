import * as fs from 'fs';
import * as path from 'path';

import { serializeLikeMeta } from '../../../src/core/webhook/metaJson';
import { signPayload, verifySignature } from '../../../src/core/webhook/signature';
import { CONTRACTS_DIR } from '../../support/metaSpec';

interface Vector {
	file: string | null;
	app_secret: string;
	body: string;
	'X-Hub-Signature-256': string;
	note?: string;
}

const vectors: Vector[] = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'derived', 'hmac-sha256-test-vectors.json'), 'utf8')).vectors;
const rawOf = (v: Vector) => (v.file ? fs.readFileSync(path.join(CONTRACTS_DIR, v.file)) : Buffer.from(v.body, 'utf8'));

describe('signPayload / verifySignature (shared/contracts vectors)', () => {
	it.each(vectors.map((v, i) => [i, v] as const))('vector %i: signs the exact bytes to the published signature', (_i, v) => {
		expect(signPayload(rawOf(v), v.app_secret)).toBe(v['X-Hub-Signature-256']);
		expect(verifySignature(rawOf(v), v['X-Hub-Signature-256'], [v.app_secret])).toEqual({ ok: true, secretIndex: 0 });
	});

	it('accepts an upper-case hex signature and finds the second of two secrets', () => {
		const raw = '{"a":1}';
		const header = signPayload(raw, 'second').replace(/[a-f]/g, (c) => c.toUpperCase()).replace('SHA256', 'sha256');
		expect(verifySignature(raw, header, ['first', 'second'])).toEqual({ ok: true, secretIndex: 1 });
	});

	it.each([
		[undefined, 'missing-header'],
		['', 'missing-header'],
		['sha1=abc', 'malformed-header'],
		['sha256=zz', 'malformed-header'],
		[`sha256=${'0'.repeat(64)}`, 'mismatch'],
	])('refuses header %p: %s', (header, reason) => {
		expect(verifySignature('{"a":1}', header, ['secret'])).toEqual({ ok: false, reason });
	});

	it('refuses when no secret is configured', () => {
		expect(verifySignature('x', signPayload('x', 's'), [])).toEqual({ ok: false, reason: 'no-secret-configured' });
	});
});

describe('serializeLikeMeta', () => {
	it('reproduces every contract payload byte for byte from its parsed form', () => {
		for (const v of vectors.filter((x) => x.file)) {
			const raw = rawOf(v).toString('utf8');
			if (!/^\{"/.test(raw)) continue; // pretty-printed documentation files are not wire bytes
			expect(serializeLikeMeta(JSON.parse(raw))).toBe(raw);
		}
	});

	it('reproduces the captured payload with an escaped é and escaped slashes, so its signature verifies', () => {
		const capture = vectors.find((v) => v.file === 'third-party-captures/incoming-image-escaped.raw-body.json') as Vector;
		const raw = rawOf(capture).toString('utf8').trim();
		const reserialized = serializeLikeMeta(JSON.parse(raw));
		expect(reserialized).toContain('caf\\u00e9');
		expect(reserialized).toContain('https:\\/\\/');
		expect(verifySignature(reserialized, capture['X-Hub-Signature-256'], ['test_app_secret']).ok).toBe(true);
	});

	it('differs from plain JSON.stringify exactly where Meta escapes (the negative vector)', () => {
		const negative = vectors.find((v) => v.note?.startsWith('JSON.parse + JSON.stringify')) as Vector;
		expect(verifySignature(JSON.stringify(JSON.parse(negative.body)), negative['X-Hub-Signature-256'], ['test_app_secret']).ok).toBe(true);
		expect(verifySignature(serializeLikeMeta(JSON.parse(negative.body)), negative['X-Hub-Signature-256'], ['test_app_secret']).ok).toBe(false);
	});

	it('escapes emoji outside the BMP as lowercase surrogate pairs, and keeps ASCII and control escapes', () => {
		expect(serializeLikeMeta({ t: 'ok 😀 ñ/\n\u007f' })).toBe('{"t":"ok \\ud83d\\ude00 \\u00f1\\/\\n\u007f"}');
	});
});
