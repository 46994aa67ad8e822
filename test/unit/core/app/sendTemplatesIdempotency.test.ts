/** templateMessage's idempotency (reserve before the first send, scoped per user, replay after a failure) and its admission by the number's pacer. */
import { LEASE_MS, replayOf } from '../../../../src/core/app/idempotentRequest';
import { SendRefused } from '../../../../src/core/app/sendTemplates';
import { ADMISSION_WINDOW_MS, SEND_WINDOW_MS } from '../../../../src/core/bulk/budget';
import { canonicalRequest, parseTemplateMessageRequest, requestFingerprint } from '../../../../src/core/bulk/request';
import { keys, orderReadyBody, templatesWorld } from './fakes-templates';

const body = (extra: Record<string, unknown> = {}) =>
	orderReadyBody(['5511987654321', '12025550100', '12025550101'], { idempotencyKey: 'order-42', ...extra });
const manager = ['livechat-manager'];

async function refusal(promise: Promise<unknown>): Promise<SendRefused> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(SendRefused);
	return error as SendRefused;
}

describe('templateMessage idempotency', () => {
	it('reserves the key before the first send', async () => {
		const w = templatesWorld();
		const seen: unknown[] = [];
		w.graph.answer = (to) => (
			seen.push(w.answers.get('u1:order-42')?.state),
			{ messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] }
		);
		await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		expect(seen).toEqual(['pending', 'pending', 'pending']);
		expect(w.answers.get('u1:order-42')).toMatchObject({ state: 'done', status: 200 });
	});

	it('answers 409 "in progress" to a parallel request with the same key, which sends nothing', async () => {
		const w = templatesWorld();
		const first = w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		const second = w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys }).catch((e: unknown) => e);
		const [answer, refused] = await Promise.all([first, second]);
		expect(answer.status).toBe(200);
		expect(refused).toBeInstanceOf(SendRefused);
		expect([(refused as SendRefused).status, (refused as SendRefused).i18nKey]).toEqual([409, 'api_error_idempotency_in_progress']);
		expect(w.graph.sends).toHaveLength(3);
		const replay = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		expect(replay).toEqual({ status: 200, content: { ...answer.content, replayed: true } });
		expect(w.graph.sends).toHaveLength(3);
	});

	it("scopes keys per user: another user's equal key sends", async () => {
		const w = templatesWorld();
		await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		const other = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u2', t: keys });
		expect(other.content.replayed).toBeUndefined();
		expect(w.graph.sends).toHaveLength(6);
		const conflict = await refusal(
			w.service.templateMessage({ body: body({ phoneNumbers: ['5511987654321'] }), roles: manager, userId: 'u2', t: keys }),
		);
		expect([conflict.status, conflict.i18nKey]).toEqual([409, 'api_error_idempotency_conflict']);
	});

	it("answers every msId when the steps after the sends fail (the delivery job, the key's answer): logged, and a retry replays what was sent without sending again", async () => {
		const w = templatesWorld();
		w.jobs.processSoon = async () => {
			throw new Error('scheduler down');
		};
		const save = w.idempotency.save.bind(w.idempotency);
		w.idempotency.save = async (entry) => {
			if (entry.state === 'done') throw new Error('MongoNetworkError');
			return save(entry);
		};
		const sent = ['5511987654321', '12025550100', '12025550101'].map((phoneNumber) => ({
			phoneNumber,
			msId: `wamid.${phoneNumber}`,
		}));
		const answer = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		expect(answer).toEqual({ status: 200, content: { success: true, results: sent } });
		expect(w.logged).toEqual([
			'templates sent, but the delivery job not started: scheduler down',
			"templates sent, but the idempotency key's answer not kept: MongoNetworkError",
		]);
		// What was sent is kept instead of the answer.
		expect(w.answers.get('u1:order-42')).toMatchObject({ state: 'interrupted', sent });
		const retry = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		expect(retry).toEqual({ status: 200, content: { success: true, replayed: true, interrupted: true, results: sent } });
		expect(w.graph.sends).toHaveLength(3);
	});

	it('after a crash (the lease ran out), replays the msIds written so far and reports the others as unknown, never resending', async () => {
		const w = templatesWorld();
		const at = w.clock.at;
		const parsed = parseTemplateMessageRequest(body());
		if (!parsed.ok) throw new Error('bad body');
		// What a process that died after its first send leaves: a pending reservation with one msId.
		await w.idempotency.save({
			key: 'u1:order-42',
			fingerprint: requestFingerprint(parsed.request),
			at,
			state: 'pending',
			leaseUntil: at + LEASE_MS,
			sent: [{ phoneNumber: '5511987654321', msId: 'wamid.5511987654321' }],
		});
		const during = await refusal(w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys }));
		expect(during.i18nKey).toBe('api_error_idempotency_in_progress');
		w.clock.at = at + LEASE_MS + 1;
		const retry = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		const unknown = { code: 0, message: 'api_error_idempotency_interrupted', reason: 'interrupted' };
		expect(retry.content).toEqual({
			success: true,
			replayed: true,
			interrupted: true,
			results: [
				{ phoneNumber: '5511987654321', msId: 'wamid.5511987654321' },
				{ phoneNumber: '12025550100', error: unknown },
				{ phoneNumber: '12025550101', error: unknown },
			],
		});
		expect(w.graph.sends).toEqual([]);
	});

	it("keeps a hash of the body with the key, and replays an answer stored with the body's JSON by the versions before", async () => {
		const w = templatesWorld();
		const first = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		const stored = await w.idempotency.find('u1:order-42', w.clock.at);
		expect(stored?.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
		expect(JSON.stringify(stored)).not.toMatch(/order_ready|Ana/);
		const parsed = parseTemplateMessageRequest(body());
		if (!parsed.ok) throw new Error('bad body');
		await w.idempotency.save({ ...stored!, fingerprint: canonicalRequest(parsed.request) });
		const retry = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		expect(retry.content).toEqual({ ...first.content, replayed: true });
		const other = await refusal(
			w.service.templateMessage({ body: { ...body(), phoneNumbers: ['5511987654321'] }, roles: manager, userId: 'u1', t: keys }),
		);
		expect(other.i18nKey).toBe('api_error_idempotency_conflict');
		expect(w.graph.sends).toHaveLength(3);
	});

	it('keeps the batch key its sends carry with the reservation, and replays a done answer without reading the send log', async () => {
		const w = templatesWorld();
		let reads = 0;
		const findByBatch = w.messages.findByBatch;
		w.messages.findByBatch = async (batch) => (reads++, findByBatch(batch));
		const answer = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		const batches = new Set(w.graph.sends.map((s) => s.payload.biz_opaque_callback_data));
		expect(batches.size).toBe(1);
		expect(w.answers.get('u1:order-42')).toMatchObject({ state: 'done', batch: [...batches][0] });
		expect(await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys })).toEqual({
			status: 200,
			content: { ...answer.content, replayed: true },
		});
		expect(reads).toBe(0);
	});

	it("after a crash, replays also the sends the send log linked since the reservation's last write (the entry knew none of them)", async () => {
		const w = templatesWorld();
		// A process that dies once its sends are linked: no progress and no answer reach the store.
		const save = w.idempotency.save.bind(w.idempotency);
		w.idempotency.save = async (entry) => {
			if ((entry.sent ?? []).length || entry.state !== 'pending') throw new Error('process gone');
			return save(entry);
		};
		// Meta accepted the first two; the third Graph call's outcome the dead process never saw (its record stays pending).
		w.graph.answer = (to) =>
			to === '12025550101' ? new Error('socket hang up') : { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		w.recorded.splice(
			w.recorded.findIndex((r) => r.message.mobileNo === '12025550101'),
			1,
		);
		w.idempotency.save = save;
		expect(w.answers.get('u1:order-42')).toMatchObject({ state: 'pending', sent: [] });
		w.clock.at += LEASE_MS + 1;
		const unknown = { code: 0, message: 'api_error_idempotency_interrupted', reason: 'interrupted' };
		expect((await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys })).content).toEqual({
			success: true,
			replayed: true,
			interrupted: true,
			results: [
				{ phoneNumber: '5511987654321', msId: 'wamid.5511987654321' },
				{ phoneNumber: '12025550100', msId: 'wamid.12025550100' },
				{ phoneNumber: '12025550101', error: unknown },
			],
		});
		expect(w.graph.sends).toHaveLength(3);
	});

	it("replays an interrupted request with the msIds of its batch's linked records only: a refused send, another batch's, and a pending one stay unknown", async () => {
		const w = templatesWorld();
		const at = w.clock.at;
		const parsed = parseTemplateMessageRequest(body());
		if (!parsed.ok) throw new Error('bad body');
		await w.idempotency.save({
			key: 'u1:order-42',
			fingerprint: requestFingerprint(parsed.request),
			at,
			state: 'interrupted',
			batch: 'rcwa.aaaaaaaaaaaaaaaaaa',
			sent: [{ phoneNumber: '5511987654321', msId: 'wamid.first' }],
		});
		const record = (mobileNo: string, extra: object) => ({
			phoneNumberId: '1001',
			mobileNo,
			sentAt: new Date(at).toISOString(),
			type: 'template',
			batch: 'rcwa.aaaaaaaaaaaaaaaaaa',
			...extra,
		});
		w.recorded.push(
			{ message: record('5511987654321', { wamid: 'wamid.first' }) as never },
			// Linked by the status pipeline after the crash (core/app/statuses.ts).
			{ message: record('12025550100', { wamid: 'wamid.adopted' }) as never },
			// Refused by Meta: no wamid.
			{ message: record('12025550101', { sendId: 's3', statuses: ['failed'] }) as never },
			{ message: record('12025550101', { wamid: 'wamid.other', batch: 'rcwa.bbbbbbbbbbbbbbbbbb' }) as never },
		);
		w.begun.push({ message: record('12025550101', { sendId: 's4', pending: true, wamid: 'wamid.never' }) as never, callsBefore: 0 });
		const unknown = { code: 0, message: 'api_error_idempotency_interrupted', reason: 'interrupted' };
		expect((await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys })).content).toEqual({
			success: true,
			replayed: true,
			interrupted: true,
			results: [
				{ phoneNumber: '5511987654321', msId: 'wamid.first' },
				{ phoneNumber: '12025550100', msId: 'wamid.adopted' },
				{ phoneNumber: '12025550101', error: unknown },
			],
		});
		expect(w.graph.sends).toEqual([]);
	});

	it('replays an interrupted request from its entry alone, with a warning, when the send log cannot be read', async () => {
		const w = templatesWorld();
		const parsed = parseTemplateMessageRequest(body());
		if (!parsed.ok) throw new Error('bad body');
		await w.idempotency.save({
			key: 'u1:order-42',
			fingerprint: requestFingerprint(parsed.request),
			at: w.clock.at,
			state: 'interrupted',
			batch: 'rcwa.aaaaaaaaaaaaaaaaaa',
			sent: [{ phoneNumber: '5511987654321', msId: 'wamid.first' }],
		});
		w.messages.findByBatch = async () => {
			throw new Error('MongoNetworkError');
		};
		const unknown = { code: 0, message: 'api_error_idempotency_interrupted', reason: 'interrupted' };
		expect((await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys })).content).toEqual({
			success: true,
			replayed: true,
			interrupted: true,
			results: [
				{ phoneNumber: '5511987654321', msId: 'wamid.first' },
				{ phoneNumber: '12025550100', error: unknown },
				{ phoneNumber: '12025550101', error: unknown },
			],
		});
		expect(w.logged).toEqual([
			'idempotency replay: the sends of an interrupted request not read (MongoNetworkError); replayed without them',
		]);
	});

	it('writes the msIds as they come, in batches, before the answer', async () => {
		const w = templatesWorld();
		const phoneNumbers = Array.from({ length: 25 }, (_, i) => `1202555${String(1000 + i)}`);
		await w.service.templateMessage({ body: body({ phoneNumbers }), roles: manager, userId: 'u1', t: keys });
		const saves = w.idempotency.saves.filter((s) => s.key === 'u1:order-42');
		expect(saves[0]).toMatchObject({ state: 'pending', sent: [] });
		expect(saves.slice(1, -1).map((s) => s.sent?.length)).toEqual([10, 25]);
		expect(saves[saves.length - 1]).toMatchObject({ state: 'done', status: 200 });
	});

	it('frees the key of a request refused before any send', async () => {
		const w = templatesWorld();
		w.graph.admission = () => false;
		await refusal(w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys }));
		expect(w.answers.has('u1:order-42')).toBe(false);
		w.graph.admission = undefined;
		expect((await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys })).status).toBe(200);
	});

	it('answers a refusal before any send with its 400, though the store cannot free the key: the key then answers as interrupted, nothing sent', async () => {
		const w = templatesWorld();
		w.graph.admission = () => false;
		w.idempotency.release = async () => {
			throw new Error('MongoNetworkError');
		};
		const refused = await refusal(w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys }));
		expect(refused.status).toBe(400);
		expect(w.answers.get('u1:order-42')).toMatchObject({ state: 'pending', sent: [] });
		w.graph.admission = undefined;
		w.clock.at += LEASE_MS;
		const unknown = { code: 0, message: 'api_error_idempotency_interrupted', reason: 'interrupted' };
		expect(await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys })).toEqual({
			status: 200,
			content: {
				success: true,
				replayed: true,
				interrupted: true,
				results: body().phoneNumbers.map((phoneNumber) => ({ phoneNumber, error: unknown })),
			},
		});
		expect(w.graph.sends).toHaveLength(0);
	});

	it("replays an answer stored before failed recipients had a reason with the cautious one: Meta's code refused, code 0 timeout", () => {
		const content = {
			success: true,
			results: [
				{ phoneNumber: '5511987654321', msId: 'wamid.A' },
				{ phoneNumber: '12025550100', error: { code: 131026, message: 'refused' } },
				{ phoneNumber: '12025550101', error: { code: 0, message: 'no answer in time' } },
			],
		};
		const entry = { key: 'u-ana:order-42', fingerprint: 'sha256:f', at: 0, state: 'done' as const, status: 200, content };
		expect(replayOf(entry, { fingerprint: 'sha256:f', recipients: [], invalidContacts: [], now: 1, t: keys })).toEqual({
			status: 200,
			content: {
				success: true,
				replayed: true,
				results: [
					{ phoneNumber: '5511987654321', msId: 'wamid.A' },
					{ phoneNumber: '12025550100', error: { code: 131026, message: 'refused', reason: 'refused' } },
					{ phoneNumber: '12025550101', error: { code: 0, message: 'no answer in time', reason: 'timeout' } },
				],
			},
		});
	});

	it('ignores a key past its 24 hours, and sends again', async () => {
		const w = templatesWorld();
		await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		w.clock.at += 24 * 60 * 60 * 1000;
		const again = await w.service.templateMessage({ body: body(), roles: manager, userId: 'u1', t: keys });
		expect(again.content.replayed).toBeUndefined();
		expect(w.graph.sends).toHaveLength(6);
	});
});

describe('templateMessage admission', () => {
	it("refuses with 400 a request whose sends would not start within the window at the number's pace, sending nothing", async () => {
		const w = templatesWorld({ settings: { sendRatePerSecond: 5 } });
		const asked: unknown[] = [];
		w.graph.admission = (...args) => (asked.push(args), false);
		const error = await refusal(w.service.templateMessage({ body: body({ idempotencyKey: undefined }), roles: manager, t: keys }));
		expect([error.status, error.i18nKey, error.params]).toEqual([400, 'api_error_request_too_slow', { count: 3, rate: 5 }]);
		expect(asked).toEqual([['1001', 3, ADMISSION_WINDOW_MS]]);
		expect(w.graph.sends).toEqual([]);
		expect(w.recorded).toEqual([]);
	});

	it('gives a dry run the same answer, booking nothing', async () => {
		const w = templatesWorld({ settings: { sendRatePerSecond: 5 } });
		const asked: unknown[] = [];
		w.graph.admission = (...args) => (asked.push(args), asked.length > 1);
		const dry = body({ dryRun: true, idempotencyKey: undefined });
		const error = await refusal(w.service.templateMessage({ body: dry, roles: manager, t: keys }));
		expect([error.status, error.i18nKey]).toEqual([400, 'api_error_request_too_slow']);
		expect((await w.service.templateMessage({ body: dry, roles: manager, t: keys })).status).toBe(200);
		expect(asked).toEqual([
			['1001', 3, ADMISSION_WINDOW_MS, { book: false }],
			['1001', 3, ADMISSION_WINDOW_MS, { book: false }],
		]);
		expect(w.graph.sends).toEqual([]);
	});

	it("counts the windows from the call's start: the time spent before the sends (a slow template list) is not granted again", async () => {
		const w = templatesWorld();
		const asked: unknown[] = [];
		w.graph.admission = (...args) => (asked.push(args), true);
		const list = w.graph.listAllTemplates.bind(w.graph);
		w.graph.listAllTemplates = async <T>(wabaId?: string) => {
			w.clock.at += 9000;
			return list<T>(wabaId);
		};
		const before = Date.now();
		const answer = await w.service.templateMessage({ body: body({ idempotencyKey: undefined }), roles: manager, t: keys });
		expect(answer.status).toBe(200);
		expect(asked).toEqual([['1001', 3, ADMISSION_WINDOW_MS - 9000]]);
		// The pacer's deadline (real time): the send window less the 9 s already spent.
		const deadlines = w.graph.options.map((o) => o?.deadline ?? NaN);
		for (const deadline of deadlines) {
			expect(deadline).toBeGreaterThanOrEqual(before + SEND_WINDOW_MS - 9000);
			expect(deadline).toBeLessThanOrEqual(Date.now() + SEND_WINDOW_MS - 9000);
		}
		expect(deadlines).toHaveLength(3);
	});

	it('refuses a request whose call already spent the admission window, sending nothing', async () => {
		const w = templatesWorld();
		w.graph.admission = () => true;
		const list = w.graph.listAllTemplates.bind(w.graph);
		w.graph.listAllTemplates = async <T>(wabaId?: string) => {
			w.clock.at += ADMISSION_WINDOW_MS;
			return list<T>(wabaId);
		};
		const error = await refusal(w.service.templateMessage({ body: body({ idempotencyKey: undefined }), roles: manager, t: keys }));
		expect([error.status, error.i18nKey]).toEqual([400, 'api_error_request_out_of_time']);
		expect(w.graph.sends).toEqual([]);
	});
});
