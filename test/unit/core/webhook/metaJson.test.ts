import * as fs from 'fs';
import * as path from 'path';

import { serializeLikeMeta } from '../../../../src/core/webhook/metaJson';
import { signPayload, verifySignature } from '../../../../src/core/webhook/signature';
import { CONTRACTS_DIR } from '../../../support/metaSpec';
import { CAPTURE_FILE, noteVector, rawBytes, vectorOf } from './vectors';

/** A deliberately naive reference: walk the JSON.stringify output one UTF-16 code unit at a time. */
function reference(value: unknown): string {
	const json = JSON.stringify(value);
	let out = '';
	for (let i = 0; i < json.length; i++) {
		const unit = json.charCodeAt(i);
		if (json[i] === '/') out += '\\/';
		else if (unit > 0x7f) out += `\\u${unit.toString(16).padStart(4, '0')}`;
		else out += json[i];
	}
	return out;
}

describe('serializeLikeMeta', () => {
	const capture = vectorOf(CAPTURE_FILE);
	const raw = rawBytes(capture).toString('utf8');

	it('re-serializes the parsed capture byte for byte, so its real signature verifies', () => {
		const bytes = serializeLikeMeta(JSON.parse(raw));
		expect(bytes).toBe(raw);
		expect(signPayload(bytes, 'test_app_secret')).toBe(capture['X-Hub-Signature-256']);
		expect(verifySignature(bytes, capture['X-Hub-Signature-256'], ['test_app_secret'])).toEqual({ ok: true, secretIndex: 0 });
	});

	it('differs from plain JSON.stringify, whose bytes give the negative vector', () => {
		const negative = noteVector('JSON.parse + JSON.stringify');
		expect(JSON.stringify(JSON.parse(raw))).toBe(negative.body);
		expect(serializeLikeMeta(JSON.parse(raw))).not.toBe(negative.body);
		expect(verifySignature(JSON.stringify(JSON.parse(raw)), capture['X-Hub-Signature-256'], ['test_app_secret'])).toEqual({
			ok: false,
			reason: 'mismatch',
		});
	});

	it('escapes non-ASCII as lowercase \\uXXXX', () => {
		expect(serializeLikeMeta({ name: 'Hola quiero un café', city: 'São Paulo', price: '€5', jp: '日本' })).toBe(
			'{"name":"Hola quiero un caf\\u00e9","city":"S\\u00e3o Paulo","price":"\\u20ac5","jp":"\\u65e5\\u672c"}',
		);
	});

	it('escapes emoji outside the BMP as a pair of lowercase surrogates', () => {
		expect(serializeLikeMeta({ body: 'ok 😀👍🏽' })).toBe('{"body":"ok \\ud83d\\ude00\\ud83d\\udc4d\\ud83c\\udffd"}');
		expect(JSON.parse(serializeLikeMeta({ body: 'ok 😀👍🏽' }))).toEqual({ body: 'ok 😀👍🏽' });
	});

	it('escapes every slash, in URLs, mime types, base64 and keys', () => {
		expect(serializeLikeMeta({ 'a/b': ['https://example.com/x?y=/z', 'image/jpeg', 'HCaHabZ6gVq4V/SPmM='] })).toBe(
			'{"a\\/b":["https:\\/\\/example.com\\/x?y=\\/z","image\\/jpeg","HCaHabZ6gVq4V\\/SPmM="]}',
		);
	});

	it('keeps JSON escapes of control characters, quotes and backslashes, and escapes U+2028 and lone surrogates', () => {
		expect(serializeLikeMeta({ t: 'a\n\t"\\\u0001\u007f\u2028\ud800' })).toBe('{"t":"a\\n\\t\\"\\\\\\u0001\u007f\\u2028\\ud800"}');
	});

	it('writes compact JSON for numbers, booleans, null and nesting', () => {
		expect(serializeLikeMeta({ a: [1, 2.5, -3], b: true, c: null, d: { e: [] }, f: undefined })).toBe(
			'{"a":[1,2.5,-3],"b":true,"c":null,"d":{"e":[]}}',
		);
	});

	it('reproduces pretty-printed contract files once compacted the Meta way (same as the naive reference)', () => {
		for (const file of [
			'meta-docs/webhook-status-failed-131049.json',
			'derived/webhook-batched-mixed.json',
			'pywa/message_status.json',
		]) {
			const parsed = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8'));
			expect(serializeLikeMeta(parsed)).toBe(reference(parsed));
		}
	});

	// Its speed is part of what `npm run bench:status` measures, not a timed test.
	it('serializes a 1,000-status batch exactly', () => {
		const failed = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs/webhook-status-failed-131049.json'), 'utf8'));
		const value = failed.entry[0].changes[0].value;
		const status = value.statuses[0];
		value.statuses = Array.from({ length: 1000 }, (_, i) => ({
			...status,
			id: `${status.id}${i}`,
			recipient_id: `1650555${i}`,
			note: i % 10 ? 'plain' : 'café 😀 https://x/y',
		}));
		const bytes = serializeLikeMeta(failed);
		expect(bytes).toBe(reference(failed));
		expect(bytes.length).toBeGreaterThan(500000);
	});
});
