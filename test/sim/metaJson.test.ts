/**
 * The simulator's own Meta serializer and signature (tools/sim/metaJson.ts, tools/sim/webhooks.ts),
 * proved against Meta's captured wire bytes and the HMAC vectors of shared/contracts, and kept
 * independent of the app: no file of tools/sim imports from src/.
 */
import * as fs from 'fs';
import * as path from 'path';

import { serializeLikeMeta } from '../../src/core/webhook/metaJson';
import { CONTRACTS_DIR, readContract } from '../../tools/sim/contracts';
import { metaString, serializeMetaJson } from '../../tools/sim/metaJson';
import { signLikeMeta } from '../../tools/sim/webhooks';

interface Vector {
	file: string | null;
	app_secret: string;
	body: string;
	'X-Hub-Signature-256': string;
	note?: string;
}

const VECTORS = readContract<{ vectors: Vector[] }>('derived/hmac-sha256-test-vectors.json').vectors;
const CAPTURE_FILE = 'third-party-captures/incoming-image-escaped.raw-body.json';
const bytesOf = (v: Vector): Buffer => (v.file ? fs.readFileSync(path.join(CONTRACTS_DIR, v.file)) : Buffer.from(v.body, 'utf8'));

/** Every JSON file of shared/contracts (a variety of real payloads, pretty-printed or not). */
function contractJsonFiles(): string[] {
	const out: string[] = [];
	const walk = (dir: string): void => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (entry.name.endsWith('.json')) out.push(path.relative(CONTRACTS_DIR, full));
		}
	};
	walk(CONTRACTS_DIR);
	return out.sort();
}

describe("the simulator's Meta serializer", () => {
	const capture = VECTORS.find((v) => v.file === CAPTURE_FILE)!;
	const raw = fs.readFileSync(path.join(CONTRACTS_DIR, CAPTURE_FILE), 'utf8');

	it("re-serializes Meta's captured body byte for byte, so the capture's signature is the simulator's", () => {
		const bytes = serializeMetaJson(JSON.parse(raw));
		expect(bytes).toBe(raw);
		expect(bytes).toContain('"caption":"Hola quiero un caf\\u00e9"');
		expect(bytes).toContain('"mime_type":"image\\/jpeg"');
		expect(signLikeMeta(bytes, capture.app_secret)).toBe(capture['X-Hub-Signature-256']);
	});

	it('turns the JavaScript re-serialization of the capture (the negative vector) back into the signed bytes', () => {
		const negative = VECTORS.find((v) => !v.file && v.note?.startsWith('JSON.parse + JSON.stringify'))!;
		expect(negative.body).not.toBe(raw);
		expect(signLikeMeta(negative.body, negative.app_secret)).toBe(negative['X-Hub-Signature-256']);
		expect(signLikeMeta(negative.body, negative.app_secret)).not.toBe(capture['X-Hub-Signature-256']);
		expect(serializeMetaJson(JSON.parse(negative.body))).toBe(raw);
	});

	it.each(VECTORS.map((v) => [v.file ?? v.note?.slice(0, 40) ?? v.body, v] as const))(
		'signs the exact bytes of vector %s as Meta does',
		(_name, vector) => {
			expect(signLikeMeta(bytesOf(vector), vector.app_secret)).toBe(vector['X-Hub-Signature-256']);
			expect(signLikeMeta(bytesOf(vector).toString('utf8'), vector.app_secret)).toBe(vector['X-Hub-Signature-256']);
		},
	);

	it('escapes characters beyond the BMP (emoji) as their surrogate pair, lowercase, and a lone surrogate alone', () => {
		expect(serializeMetaJson({ body: 'ok 😀👍🏽' })).toBe('{"body":"ok \\ud83d\\ude00\\ud83d\\udc4d\\ud83c\\udffd"}');
		expect(serializeMetaJson({ flag: '🇧🇷', lone: '\ud800x\udfff' })).toBe(
			'{"flag":"\\ud83c\\udde7\\ud83c\\uddf7","lone":"\\ud800x\\udfff"}',
		);
		expect(JSON.parse(serializeMetaJson({ body: 'ok 😀👍🏽' }))).toEqual({ body: 'ok 😀👍🏽' });
	});

	it("escapes every non-ASCII character as lowercase \\uXXXX and '/' as '\\/', keys included", () => {
		expect(serializeMetaJson({ 'São/Paulo': ['É', '€5', '日本', 'https://a.b/c'] })).toBe(
			'{"S\\u00e3o\\/Paulo":["\\u00c9","\\u20ac5","\\u65e5\\u672c","https:\\/\\/a.b\\/c"]}',
		);
		expect(metaString('\u0080\u00ff\u2028\u2029\ufeff')).toBe('"\\u0080\\u00ff\\u2028\\u2029\\ufeff"');
	});

	it('writes quotes, backslashes and control characters as JSON does; ASCII, DEL included, stays as it is', () => {
		expect(metaString('a"b\\c\n\r\t\b\f\u0000\u001f')).toBe('"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f"');
		expect(metaString(" ~\u007f<>&'")).toBe('" ~\u007f<>&\'"');
	});

	it('is compact JSON: key order kept, undefined members left out (null in arrays), numbers and literals as JSON writes them', () => {
		const value = {
			b: 1,
			a: [1, 2.5, -3, 1e21, undefined, NaN],
			c: true,
			d: false,
			e: null,
			f: undefined,
			g: {},
			h: [],
			i: new Date(0),
		};
		expect(serializeMetaJson(value)).toBe(JSON.stringify(value).replace(/\//g, '\\/'));
		expect(serializeMetaJson(value)).toBe(
			'{"b":1,"a":[1,2.5,-3,1e+21,null,null],"c":true,"d":false,"e":null,"g":{},"h":[],"i":"1970-01-01T00:00:00.000Z"}',
		);
		expect(() => serializeMetaJson(undefined)).toThrow();
	});

	it.each(contractJsonFiles())('round-trips %s and writes pure ASCII without a bare "/"', (file) => {
		const parsed = readContract(file);
		const bytes = serializeMetaJson(parsed);
		expect(JSON.parse(bytes)).toEqual(parsed);
		expect(bytes).toMatch(/^[\x20-\x7f]*$/);
		expect(bytes).not.toMatch(/(^|[^\\])\//);
	});

	it.each(contractJsonFiles())("agrees with the app's serializer on %s (a difference is a bug in one of them)", (file) => {
		const parsed = readContract(file);
		expect(serializeLikeMeta(parsed)).toBe(serializeMetaJson(parsed));
	});
});

describe('tools/sim is independent of the app', () => {
	it('no file of tools/sim imports from src/', () => {
		const dir = path.resolve(__dirname, '..', '..', 'tools', 'sim');
		const offending: string[] = [];
		for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
			const text = fs.readFileSync(path.join(dir, file), 'utf8');
			for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)) {
				const target = path.resolve(dir, match[1]);
				if (match[1].startsWith('.') && target.startsWith(path.resolve(dir, '..', '..', 'src')))
					offending.push(`${file}: ${match[1]}`);
			}
		}
		expect(offending).toEqual([]);
	});
});
