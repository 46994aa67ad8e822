/**
 * Fuzzing POST templateMessage through the engine over HTTP: thousands of malformed bodies, each
 * answered with a 4xx and a clear error; never a 500, a crash, an app error, or a message sent.
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp } from '../support/appUnderTest';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number) {
	return () => {
		seed |= 0;
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const VALID = { phoneNumbers: ['15550000001'], connectedWhatsAppNo: NUMBER.phoneNumberId, template: { name: 'hello_world', language: { code: 'en_US' } } };

function nested(depth: number): unknown {
	let v: unknown = 'x';
	for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
	return v;
}

/** One malformed body: a valid request with one part broken, or something that is not a request at all. */
function malformed(rand: () => number): { raw?: string; body?: unknown } {
	const junk = [null, true, 0, -1, 1.5, '', ' ', 'x'.repeat(100000), [], {}, [[[]]], { $gt: '' }, nested(1 + Math.floor(rand() * 60)), '\u0000', '😀'.repeat(1000)];
	const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
	const body = JSON.parse(JSON.stringify(VALID)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
	switch (Math.floor(rand() * 12)) {
		case 0:
			return { raw: pick(['', '{', '[1,2', 'null', '"text"', '{"a":}', '\u0000', '{"phoneNumbers": [1,2,}', 'undefined']) };
		case 1:
			return { body: pick(junk) };
		case 2:
			delete body[pick(['phoneNumbers', 'connectedWhatsAppNo', 'template'])];
			return { body };
		case 3:
			body.phoneNumbers = pick([junk, ...junk.map((j) => [j]), Array.from({ length: 251 + Math.floor(rand() * 500) }, () => '15550000001')].flat());
			if (Array.isArray(body.phoneNumbers) && body.phoneNumbers.every((p: unknown) => typeof p === 'string' && /^\d{8,15}$/.test(p)) && body.phoneNumbers.length <= 250) body.phoneNumbers = 7;
			return { body };
		case 4:
			body.connectedWhatsAppNo = pick([...junk.filter((j) => typeof j !== 'string' || j === '' || j.length > 64), '999999999', '+0 000']);
			return { body };
		case 5:
			body.template = pick(junk);
			return { body };
		case 6:
			body.template.name = pick(junk.filter((j) => typeof j !== 'string' || !j.trim() || j.length > 512));
			return { body };
		case 7:
			body.template.language = pick([...junk, { code: pick(junk) }, { code: 'en', policy: pick(junk) }]);
			return { body };
		case 8:
			body.template.components = pick(junk.filter((j) => !Array.isArray(j) || j.length > 0).concat([Array.from({ length: 21 }, () => ({}))] as never[]));
			if (Array.isArray(body.template.components) && body.template.components.every((c: unknown) => typeof c === 'object' && c !== null && !Array.isArray(c)) && body.template.components.length <= 20) body.template.components = 'x';
			return { body };
		case 9:
			body[pick(['targetAgent', 'targetDepartment', 'clientReference', 'idempotencyKey'])] = pick(junk.filter((j) => j !== null && (typeof j !== 'string' || !j.trim() || j.length > 512)));
			return { body };
		case 10:
			body.dryRun = pick(junk.filter((j) => typeof j !== 'boolean' && j !== null));
			return { body };
		default:
			body.targetAgent = `nobody-${Math.floor(rand() * 1e6)}`;
			return { body };
	}
}

describe('templateMessage fuzz', () => {
	let app: AppUnderTest;
	beforeAll(async () => {
		app = await startApp();
		await connectNumber(app);
	});
	afterAll(async () => {
		if (app) await app.stop();
	});

	it('answers 5,000 malformed bodies with a 4xx and an error message, sending nothing', async () => {
		const rand = prng(20261125);
		const statuses = new Map<number, number>();
		for (let i = 0; i < 5000; i++) {
			const input = malformed(rand);
			const res = await callApi(app, 'templateMessage', { ...(input.raw !== undefined ? { raw: input.raw } : { body: input.body }), headers: ADMIN_AUTH });
			statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
			if (res.status < 400 || res.status >= 500 || typeof res.body?.error !== 'string' || !res.body.error) {
				throw new Error(`body #${i} ${JSON.stringify(input).slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
			}
		}
		expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
		expect(app.sim.requestsTo('/messages')).toEqual([]);
		app.harness.assertNoAppErrors();
	}, 300000);
});
