import { explainError } from '../../../../src/core/app/explain';
import { matchNumber, SendRefused, splitRecipients } from '../../../../src/core/app/sendTemplates';
import { SendTemplatesPorts } from '../../../../src/core/app/sendTemplatesPorts';
import { SEND_WINDOW_MS } from '../../../../src/core/bulk/budget';
import { Booking, PacerDeadlineError } from '../../../../src/core/bulk/pacer';
import { AppError, GraphApiError, NetworkError, SendNotRecorded } from '../../../../src/core/errors';
import { translator } from '../../../../src/core/i18n/translate';
import { readCache } from '../../../../src/core/templates/catalog';
import {
	BUSY_NOT_STARTED,
	graphError,
	keys,
	NUMBER,
	OTHER_NUMBER,
	READY,
	REQUEST_NOT_STARTED,
	statusCallbackLog,
	templatesWorld,
} from './fakes-templates';

const body = (extra: Record<string, unknown> = {}) => ({
	phoneNumbers: ['+55 11 98765-4321', 'not a number', '5511987654321', '+1 202 555 0100'],
	connectedWhatsAppNo: '+1 555-010-0001',
	template: {
		name: 'order_ready',
		language: { code: 'en_US' },
		components: [
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'Ana' },
					{ type: 'text', text: '42' },
				],
			},
		],
	},
	...extra,
});
const manager = ['livechat-manager'];

async function refusal(promise: Promise<unknown>): Promise<SendRefused> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(SendRefused);
	return error as SendRefused;
}

describe('templateMessage', () => {
	it('sends the template once to each valid recipient, records each send and runs the job once', async () => {
		const w = templatesWorld();
		const answer = await w.service.templateMessage({
			body: body({ clientReference: 'crm-7', targetAgent: 'ana' }),
			roles: manager,
			t: keys,
		});
		expect(answer).toEqual({
			status: 200,
			content: {
				success: true,
				invalidContacts: ['not a number'],
				results: [
					{ phoneNumber: '5511987654321', msId: 'wamid.5511987654321' },
					{ phoneNumber: '12025550100', msId: 'wamid.12025550100' },
				],
			},
		});
		// One batch key for the request's sends, in Meta's biz_opaque_callback_data and on each record.
		const batch = String(w.graph.sends[0]?.payload.biz_opaque_callback_data);
		expect(batch).toMatch(/^rcwa\.[0-9a-f]{18}$/);
		expect(w.graph.sends).toEqual(
			['5511987654321', '12025550100'].map((to) => ({
				phoneNumberId: '1001',
				payload: {
					messaging_product: 'whatsapp',
					recipient_type: 'individual',
					to,
					type: 'template',
					template: body().template,
					biz_opaque_callback_data: batch,
				},
			})),
		);
		// Each send was written before its Graph call, then linked to its wamid.
		expect(w.begun.map((b) => [b.message.mobileNo, b.message.pending, b.message.batch])).toEqual([
			['5511987654321', true, batch],
			['12025550100', true, batch],
		]);
		expect(w.begun[0].callsBefore).toBe(0);
		expect(w.recorded.map((r) => r.message.sendId)).toEqual(w.begun.map((b) => b.message.sendId));
		expect(w.recorded.map((r) => r.message)).toEqual(
			['5511987654321', '12025550100'].map((to) =>
				expect.objectContaining({
					wamid: `wamid.${to}`,
					mobileNo: to,
					phoneNumberId: '1001',
					connectedWhatsAppNo: '15550100001',
					type: 'Template-Message',
					message: 'Hello Ana, your order 42 is ready.',
					templateName: 'order_ready',
					templateLanguage: 'en_US',
					clientReference: 'crm-7',
					targetAgent: 'ana',
					sentAt: '2026-03-01T10:00:00.000Z',
				}),
			),
		);
		expect(w.jobs.runs).toBe(1);
	});

	it('refuses callers without a templateMessage role, before reading the body', async () => {
		const w = templatesWorld({ settings: { templateMessageRoles: 'admin' } });
		const error = await refusal(w.service.templateMessage({ body: 'nonsense', roles: manager, t: keys }));
		expect([error.status, error.i18nKey]).toEqual([403, 'api_error_forbidden']);
		expect((await w.service.templateMessage({ body: body(), roles: ['admin'], t: keys })).status).toBe(200);
	});

	it('names the field of a bad body, an unknown number, agent or department (400)', async () => {
		const w = templatesWorld();
		const cases: Array<[unknown, string]> = [
			[{ ...body(), phoneNumbers: [] }, 'api_error_no_phone_numbers'],
			[body({ connectedWhatsAppNo: '999' }), 'api_error_number_not_connected'],
			[body({ targetAgent: 'bob' }), 'api_error_agent_not_found'],
			[body({ targetDepartment: 'nowhere' }), 'api_error_department_not_found'],
			[body({ template: { name: 'unknown', language: { code: 'en_US' } } }), 'api_error_template_not_approved'],
			[body({ template: { name: 'order_ready', language: { code: 'en_US' } } }), 'api_error_template_params'],
		];
		for (const [request, key] of cases) {
			const error = await refusal(w.service.templateMessage({ body: request, roles: manager, t: keys }));
			expect([error.status, error.i18nKey]).toEqual([400, key]);
		}
		expect(w.graph.sends).toEqual([]);
		expect(w.recorded).toEqual([]);
	});

	it('answers a dry run without sending; with Meta out of reach, a dry run is refused (502) and a send goes anyway', async () => {
		const w = templatesWorld();
		const dry = await w.service.templateMessage({ body: body({ dryRun: true }), roles: manager, t: keys });
		expect(dry.content).toEqual({
			success: true,
			dryRun: true,
			invalidContacts: ['not a number'],
			results: [{ phoneNumber: '5511987654321' }, { phoneNumber: '12025550100' }],
		});
		expect(w.graph.sends).toEqual([]);

		const offline = templatesWorld();
		offline.graph.listError = new NetworkError({ detail: 'down', timedOut: false });
		expect((await refusal(offline.service.templateMessage({ body: body({ dryRun: true }), roles: manager, t: keys }))).status).toBe(
			502,
		);
		const sent = await offline.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(sent.status).toBe(200);
		// Without the template, the record shows the template's name and its text parameters.
		expect(offline.recorded[0].message.message).toBe('order_ready: Ana | 42');
	});

	it('replays the first answer of an idempotency key; another request with the key is a conflict (409)', async () => {
		const w = templatesWorld();
		const first = await w.service.templateMessage({ body: body({ idempotencyKey: 'k1' }), roles: manager, t: keys });
		const again = await w.service.templateMessage({ body: body({ idempotencyKey: 'k1' }), roles: manager, t: keys });
		expect(again).toEqual({ status: 200, content: { ...first.content, replayed: true } });
		expect(w.graph.sends).toHaveLength(2);
		const error = await refusal(
			w.service.templateMessage({ body: body({ idempotencyKey: 'k1', clientReference: 'other' }), roles: manager, t: keys }),
		);
		expect([error.status, error.i18nKey]).toEqual([409, 'api_error_idempotency_conflict']);
		expect(w.answers.get(':k1')).toMatchObject({ state: 'done', status: 200, at: Date.parse('2026-03-01T10:00:00.000Z') });
	});

	it("reports each recipient's failure, records it with Meta's error and drops a template Meta no longer has", async () => {
		const w = templatesWorld();
		w.graph.answer = (to) =>
			to === '12025550100' ? graphError(132001) : { messaging_product: 'whatsapp', messages: [{ id: 'wamid.ok' }] };
		const answer = await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(answer.content.results).toEqual([
			{ phoneNumber: '5511987654321', msId: 'wamid.ok' },
			{
				phoneNumber: '12025550100',
				error: { code: 132001, message: 'api_error_graph {"code":132001}', reason: 'refused', details: 'error 132001' },
			},
		]);
		expect(w.recorded[1]).toEqual({
			message: expect.objectContaining({ mobileNo: '12025550100', sendId: 'send-2' }),
			error: expect.objectContaining({ graphCode: 132001 }),
		});
		expect(w.recorded[1].message.wamid).toBeUndefined();
		expect((await readCache(w.templateCache, 'waba-1'))?.templates.map((t) => `${t.name}:${t.language}`)).toEqual([
			'order_ready:pt_BR',
		]);
	});
});

describe("templateMessage, an answer that was not Meta's", () => {
	it("reports a 2xx without the message id (GraphClient) as a send that may have gone out, as a proxy's 502 page", async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		w.graph.answer = (to) =>
			to === '12025550100'
				? new GraphApiError(200, { message: 'HTTP 200 without a message id', type: 'HttpError' })
				: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.ok' }] };
		const answer = await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(answer.content.results).toEqual([
			{ phoneNumber: '5511987654321', msId: 'wamid.ok' },
			{ phoneNumber: '12025550100', error: { code: 0, message: 'api_error_send_unknown', reason: 'unknown' } },
		]);
		// Its status callback says so too (not Meta's refusal), in the words of an answer that did not come through.
		expect(await log.failures()).toEqual([
			[
				'12025550100',
				"WhatsApp's answer to this send did not come through (the connection was lost, or a server on the way answered in place of WhatsApp): it may have been sent. It was not sent again.",
			],
		]);
	});
});

describe("templateMessage, Meta's message_status", () => {
	it('passes on a message Meta holds or paused (marketing messages); an accepted one has none', async () => {
		const w = templatesWorld();
		w.graph.answer = (to) => ({
			messaging_product: 'whatsapp',
			contacts: [{ input: to, wa_id: to }],
			messages: [{ id: `wamid.${to}`, message_status: to === '12025550100' ? 'held_for_quality_assessment' : 'accepted' }],
		});
		const answer = await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(answer.content.results).toEqual([
			{ phoneNumber: '5511987654321', msId: 'wamid.5511987654321' },
			{ phoneNumber: '12025550100', msId: 'wamid.12025550100', messageStatus: 'held_for_quality_assessment' },
		]);
	});
});

describe('a template the cached list lacks, when the list cannot be fetched from Meta again', () => {
	/** Approved by Meta after the list was cached: the cache lacks it. */
	const later = { name: 'approved_later', language: { code: 'en_US' } };

	/** A world whose number's list is cached (without `later`), and whose next list from Meta fails with `listError`. */
	async function cachedThenFailing(listError: unknown, campaigns?: SendTemplatesPorts['campaigns']) {
		const w = templatesWorld(campaigns ? { campaigns } : {});
		await (await w.service.catalogOf(NUMBER)).list(NUMBER.wabaId);
		w.graph.listError = listError;
		return w;
	}

	it.each([
		['Meta out of reach', new NetworkError({ detail: 'ECONNRESET', timedOut: false })],
		['Meta refusing the list', graphError(131000)],
	])('templateMessage answers 503 naming the template, not "not approved", and sends nothing (%s)', async (_, listError) => {
		const w = await cachedThenFailing(listError);
		const error = await refusal(
			w.service.templateMessage({ body: body({ template: later, idempotencyKey: 'k-503' }), roles: manager, userId: 'u1', t: keys }),
		);
		expect([error.status, error.code, error.i18nKey, error.params]).toEqual([
			503,
			'template_list_unavailable',
			'api_error_template_list_unavailable',
			{ name: 'approved_later', language: 'en_US' },
		]);
		// What the endpoint answers (TemplateMessageEndpoint: a SendRefused's status and words).
		expect(explainError(error, translator('en'))).toEqual({
			status: 503,
			code: 'template_list_unavailable',
			text: 'The template list could not be fetched from Meta to check template "approved_later" (en_US) again; try again in a minute.',
		});
		// The list was asked for again; nothing was written, sent, or reserved (a retry is not a conflict).
		expect(w.graph.listed).toBe(2);
		expect(w.graph.sends).toEqual([]);
		expect(w.begun).toEqual([]);
		expect(w.recorded).toEqual([]);
		expect(w.answers.size).toBe(0);
	});

	it.each([190, 102])(
		'templateMessage and the outbound provider say to reconnect the number when Meta refuses its token (%i)',
		async (code) => {
			const w = await cachedThenFailing(graphError(code));
			const error = await refusal(
				w.service.templateMessage({ body: body({ template: later }), roles: manager, userId: 'u1', t: keys }),
			);
			expect(explainError(error, translator('en'))).toEqual({
				status: 503,
				code: 'template_list_unavailable',
				text: 'The template list could not be fetched from Meta to check template "approved_later" (en_US) again: Meta no longer accepts this number\'s access token. An admin must reconnect the number (/whatsapp numbers).',
			});
			await expect(
				w.service.sendOutbound({ providerNumber: '1001', to: '5511987654321', template: later, routing: {}, t: keys }),
			).rejects.toMatchObject({ code: 'template_list_unavailable', status: 503, i18nKey: 'api_error_template_list_token' });
			expect(w.graph.sends).toEqual([]);
		},
	);

	it('a dry run and a campaign (async) answer the same 503; no campaign is stored', async () => {
		const dry = await cachedThenFailing(new NetworkError({ detail: 'ECONNRESET', timedOut: false }));
		const dryError = await refusal(
			dry.service.templateMessage({ body: body({ template: later, dryRun: true }), roles: manager, t: keys }),
		);
		expect([dryError.status, dryError.i18nKey]).toEqual([503, 'api_error_template_list_unavailable']);
		expect(dry.graph.sends).toEqual([]);

		const started: unknown[] = [];
		const campaign = await cachedThenFailing(new NetworkError({ detail: 'ECONNRESET', timedOut: false }), {
			start: async (input) => (started.push(input), 'c-1'),
		});
		const campaignError = await refusal(
			campaign.service.templateMessage({ body: body({ template: later, async: true }), roles: manager, userId: 'u1', t: keys }),
		);
		expect([campaignError.status, campaignError.i18nKey]).toEqual([503, 'api_error_template_list_unavailable']);
		expect(started).toEqual([]);
		expect(campaign.graph.sends).toEqual([]);
	});

	it("Rocket.Chat's outbound provider is told so with its own code, and sends nothing", async () => {
		const w = await cachedThenFailing(new NetworkError({ detail: 'ECONNRESET', timedOut: false }));
		await expect(
			w.service.sendOutbound({ providerNumber: '1001', to: '5511987654321', template: later, routing: {}, t: keys }),
		).rejects.toMatchObject({
			code: 'template_list_unavailable',
			status: 503,
			i18nKey: 'api_error_template_list_unavailable',
			message: 'api_error_template_list_unavailable {"name":"approved_later","language":"en_US"}',
		});
		expect(w.graph.listed).toBe(2);
		expect(w.graph.sends).toEqual([]);
		expect(w.begun).toEqual([]);
	});

	it('a template the list fetched again does not hold is still refused as not approved (400)', async () => {
		const w = templatesWorld();
		await (await w.service.catalogOf(NUMBER)).list(NUMBER.wabaId);
		const error = await refusal(w.service.templateMessage({ body: body({ template: later }), roles: manager, t: keys }));
		expect([error.status, error.i18nKey]).toEqual([400, 'api_error_template_not_approved']);
		expect(w.graph.listed).toBe(2);
		expect(w.graph.sends).toEqual([]);
	});
});

describe("templateMessage, the request's deadline", () => {
	it('gives every send the deadline of the request: SEND_WINDOW_MS after its sends began, on the real clock the pacer keeps', async () => {
		const w = templatesWorld();
		const before = Date.now();
		await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		const after = Date.now();
		expect(w.graph.options).toHaveLength(2);
		const [first, second] = w.graph.options.map((o) => o?.deadline ?? 0);
		expect(first).toBe(second);
		expect(first).toBeGreaterThanOrEqual(before + SEND_WINDOW_MS);
		expect(first).toBeLessThanOrEqual(after + SEND_WINDOW_MS);
	});

	it("gives every send the request's booking on the number's pacer (each takes its slot from it when queued), and releases it at the end", async () => {
		const w = templatesWorld();
		const bookings: Array<{ booking: Booking; released: boolean }> = [];
		const admit = w.graph.admit.bind(w.graph);
		w.graph.admit = (...args) => {
			const entry = { booking: admit(...args) as Booking, released: false };
			const release = entry.booking.release.bind(entry.booking);
			entry.booking.release = () => {
				entry.released = true;
				release();
			};
			bookings.push(entry);
			return entry.booking;
		};
		await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(bookings).toHaveLength(1);
		const given = w.graph.options.map((o) => (o as { booking?: Booking } | undefined)?.booking);
		expect(given).toHaveLength(2);
		expect(given.every((b) => b === bookings[0].booking)).toBe(true);
		expect(bookings[0].released).toBe(true);
	});
});

describe('templateMessage, after Meta accepted sends', () => {
	it("answers every msId though a refusal's record, the catalog's update and the delivery job fail: each is logged", async () => {
		const settle = jest.fn(async (_message: unknown, error?: unknown) => {
			if (error) throw new Error('MongoNetworkError');
		});
		const w = templatesWorld({
			sendLog: {
				record: async () => undefined,
				begin: async (message) => ({ ...message, sendId: 's', pending: true }),
				beginMany: async (messages) => messages.map((message, i) => ({ ...message, sendId: `s${i}`, pending: true })),
				settle,
			},
		});
		w.graph.answer = (to) =>
			to === '12025550100' ? graphError(132001) : { messaging_product: 'whatsapp', messages: [{ id: 'wamid.ok' }] };
		// The catalog's store fails once the sends went out.
		const setIndex = w.templateCache.setIndex.bind(w.templateCache);
		w.templateCache.setIndex = async (...args) => {
			if (w.graph.sends.length) throw new Error('MongoNetworkError');
			return setIndex(...args);
		};
		w.jobs.processSoon = async () => {
			throw new Error('scheduler down');
		};
		const answer = await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(answer).toEqual({
			status: 200,
			content: {
				success: true,
				invalidContacts: ['not a number'],
				results: [
					{ phoneNumber: '5511987654321', msId: 'wamid.ok' },
					{
						phoneNumber: '12025550100',
						error: { code: 132001, message: 'api_error_graph {"code":132001}', reason: 'refused', details: 'error 132001' },
					},
				],
			},
		});
		expect(settle).toHaveBeenCalledTimes(2);
		expect(w.logged).toEqual([
			'templates sent, but the refusal of a send not recorded: MongoNetworkError',
			'templates sent, but the template catalog not updated after error 132001: MongoNetworkError',
			'templates sent, but the delivery job not started: scheduler down',
		]);
	});
});

describe('templateMessage, a send without an answer', () => {
	it('is reported as not sent (safe to send again); a timed-out one as maybe sent; neither as Meta out of reach', async () => {
		const w = templatesWorld();
		w.graph.answer = (to) => (to === '12025550100' ? new PacerDeadlineError() : new NetworkError({ detail: 'slow', timedOut: true }));
		const answer = await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(answer.content.results).toEqual([
			{ phoneNumber: '5511987654321', error: { code: 0, message: 'api_error_send_timed_out', reason: 'timeout' } },
			{ phoneNumber: '12025550100', error: { code: 0, message: 'api_error_send_not_started', reason: 'not_started' } },
		]);
	});
});

describe('the status callback of a send that never started', () => {
	it("tells a templateMessage request's integrator that the request ran out of time", async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		w.graph.answer = () => new PacerDeadlineError();
		await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(await log.failures()).toEqual([
			['5511987654321', REQUEST_NOT_STARTED],
			['12025550100', REQUEST_NOT_STARTED],
		]);
	});

	it('tells of a busy number, naming no request nor campaign mode, for the modal and the outbound provider', async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		w.graph.answer = () => new PacerDeadlineError();
		const modal = await w.service.sendFromModal(
			{ number: NUMBER, template: READY, values: { 'body.1': 'Ana', 'body.2': '42' }, to: '5511987654321', agent: 'ana', t: keys },
			() => undefined,
		);
		expect(modal).toEqual({ ok: false, error: 'error_send_not_started' });
		const template = { name: 'order_ready', language: { code: 'en_US' }, components: body().template.components };
		await expect(
			w.service.sendOutbound({ providerNumber: '1001', to: '12025550100', template, routing: {}, t: keys }),
		).rejects.toMatchObject({ code: 'send_failed', message: 'error_send_not_started' });
		expect(await log.failures()).toEqual([
			['5511987654321', BUSY_NOT_STARTED],
			['12025550100', BUSY_NOT_STARTED],
		]);
	});
});

describe('the status callback of a send Meta refused', () => {
	it("carries Meta's code, title and message, and no code when the answer was not Meta's (0 is Meta's AuthException)", async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		w.graph.answer = (to) =>
			to === '12025550100'
				? GraphApiError.fromResponse(404, '<html>Not Found</html>')
				: new GraphApiError(400, {
						code: 131026,
						message: 'Message undeliverable',
						error_user_title: 'Message Undeliverable',
						error_data: { details: 'Unable to deliver message.' },
					});
		await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		expect(await log.failures()).toEqual([
			[
				'5511987654321',
				{
					code: 131026,
					title: 'Message Undeliverable',
					message: 'Message undeliverable',
					error_data: { details: 'Unable to deliver message.' },
				},
			],
			['12025550100', { message: 'HTTP 404 without a Graph error body' }],
		]);
	});
});

describe('the status callback of a send answered by a server on the way', () => {
	it("says a 5xx page that was not Meta's may have gone out (not a Meta error object), when it is failed at once", async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		w.graph.answer = () => GraphApiError.fromResponse(502, '<html>Bad Gateway</html>');
		await w.service.templateMessage({ body: body(), roles: manager, t: keys });
		const words =
			"WhatsApp's answer to this send did not come through (the connection was lost, or a server on the way answered in place of WhatsApp): it may have been sent. It was not sent again.";
		expect(await log.failures()).toEqual([
			['5511987654321', words],
			['12025550100', words],
		]);
	});
});

describe('sendOutbound (Rocket.Chat outbound messages)', () => {
	const template = { name: 'order_ready', language: { code: 'en_US' }, components: body().template.components };

	it('sends to one contact from the provider number, with the routing of the reply', async () => {
		const w = templatesWorld({ numbers: [OTHER_NUMBER, NUMBER] });
		await w.service.sendOutbound({
			providerNumber: '+15550100001',
			to: '+55 11 98765-4321',
			template,
			routing: { targetAgent: 'ana', targetDepartment: 'dep' },
			t: keys,
		});
		expect(w.graph.sends).toEqual([{ phoneNumberId: '1001', payload: expect.objectContaining({ to: '5511987654321', template }) }]);
		// Recorded before its Graph call (a status Meta sends at once finds it).
		expect(w.begun.map((b) => [b.message.mobileNo, b.callsBefore])).toEqual([['5511987654321', 0]]);
		expect(w.recorded[0].message).toMatchObject({
			targetAgent: 'ana',
			targetDepartment: 'dep',
			message: 'Hello Ana, your order 42 is ready.',
		});
	});

	it('reads the number, the template name and its language code trimmed, as templateMessage does', async () => {
		const w = templatesWorld();
		const padded = { ...template, name: ' order_ready ', language: { code: 'en_US ' } };
		await w.service.sendOutbound({ providerNumber: ' 1001 ', to: '5511987654321', template: padded, routing: {}, t: keys });
		expect(w.graph.sends).toEqual([{ phoneNumberId: '1001', payload: expect.objectContaining({ to: '5511987654321', template }) }]);
	});

	it("lists every number's templates, leaving out (and logging) a number whose list Meta refuses", async () => {
		const w = templatesWorld({ numbers: [NUMBER, OTHER_NUMBER] });
		w.graph.listErrors.set('waba-1', graphError(190));
		const listed = await w.service.templatesOfNumbers();
		expect(listed.map((l) => [l.number.phoneNumberId, l.templates.map((t) => `${t.name}:${t.language}`)])).toEqual([
			['1002', ['order_ready:en_US', 'order_ready:pt_BR']],
		]);
		expect(w.logged).toEqual(['templates of number 1001 not listed: Graph API error 190']);
	});

	it("accepts the contract's template namespace and sends Meta the Cloud API's template, without it", async () => {
		const w = templatesWorld();
		const request = body();
		const answer = await w.service.templateMessage({
			body: { ...request, phoneNumbers: ['5511987654321'], template: { ...request.template, namespace: 'b0ce3d9c_6d8b_4a3e' } },
			roles: manager,
			t: keys,
		});
		expect(answer.status).toBe(200);
		expect(w.graph.sends.map((send) => send.payload.template)).toEqual([request.template]);
	});

	it("sends when Meta's template list is out of reach (Meta checks the template), and refuses a template the list does not hold", async () => {
		const w = templatesWorld();
		w.graph.listError = new Error('socket hang up');
		await w.service.sendOutbound({ providerNumber: '1001', to: '5511987654321', template, routing: {}, t: keys });
		expect(w.graph.sends).toEqual([{ phoneNumberId: '1001', payload: expect.objectContaining({ to: '5511987654321', template }) }]);
		w.graph.listError = undefined;
		const unknown = { ...template, name: 'not_there' };
		await expect(
			w.service.sendOutbound({ providerNumber: '1001', to: '5511987654321', template: unknown, routing: {}, t: keys }),
		).rejects.toMatchObject({
			code: 'template_not_approved',
			status: 400,
			message: 'api_error_template_not_approved {"name":"not_there","language":"en_US"}',
		});
		expect(w.graph.sends).toHaveLength(1);
	});

	it('throws with words for an unknown number, a bad recipient and a refused send', async () => {
		const w = templatesWorld();
		const attempt = (input: { providerNumber?: string; to?: string }) =>
			w.service
				.sendOutbound({
					providerNumber: input.providerNumber ?? '1001',
					to: input.to ?? '5511987654321',
					template,
					routing: {},
					t: keys,
				})
				.then(
					() => undefined,
					(e: AppError) => [e.code, e.message],
				);
		expect(await attempt({ providerNumber: '42' })).toEqual(['number_not_connected', 'api_error_number_not_connected {"number":"42"}']);
		expect(await attempt({ to: 'abc' })).toEqual(['invalid_recipient', 'send_error_recipient']);
		// Meta's refusal in the agent's words, as the modal says it.
		w.graph.answer = () => graphError(131026);
		expect(await attempt({})).toEqual(['send_failed', 'graph_error_131026 {"code":131026}']);
		w.graph.answer = () => graphError(131031);
		expect(await attempt({})).toEqual(['send_failed', 'graph_error_131031 {"code":131031}']);
		// The number's app secret refused: the agent reads that an admin must correct it.
		w.graph.answer = () =>
			new GraphApiError(400, {
				message: 'Invalid appsecret_proof provided in the API argument',
				type: 'GraphMethodException',
				code: 100,
			});
		expect(await attempt({})).toEqual(['send_failed', 'graph_error_app_secret {"code":100}']);
		// Meta may have taken it: the agent is told so, in the agent's words.
		w.graph.answer = () => new NetworkError({ detail: 'slow', timedOut: true });
		expect(await attempt({})).toEqual(['send_outcome_unknown', 'error_send_timed_out']);
		w.graph.answer = () => GraphApiError.fromResponse(504, '<html>Gateway Timeout</html>');
		expect(await attempt({})).toEqual(['send_outcome_unknown', 'error_send_unknown']);
		// Never started because its record could not be written: the storage's words, not a busy number's.
		w.graph.answer = () => new SendNotRecorded(new Error('MongoNetworkError'));
		expect(await attempt({})).toEqual(['send_failed', 'error_send_not_recorded']);
	});
});

describe('sendFromModal', () => {
	const send = {
		number: NUMBER,
		template: READY,
		values: { 'body.1': 'Ana', 'body.2': '42' },
		to: '5511987654321',
		agent: 'ana',
		t: keys,
	};

	it('sends the bound template, opens the contact room, records, posts as the agent and links the post', async () => {
		const w = templatesWorld();
		const result = await w.service.sendFromModal({ ...send, departmentId: 'dep-sales' }, () => undefined);
		expect(result).toEqual({ ok: true, complete: true });
		// Written before the Graph call (no room yet), under the batch key the send carries.
		expect(w.begun).toEqual([
			{
				message: expect.objectContaining({ pending: true, sendId: 'send-1', mobileNo: '5511987654321', agent: 'ana' }),
				callsBefore: 0,
			},
		]);
		expect(w.begun[0].message.roomId).toBeUndefined();
		const batch = w.begun[0].message.batch;
		expect(batch).toMatch(/^rcwa\./);
		expect(w.graph.sends).toEqual([
			{
				phoneNumberId: '1001',
				payload: {
					biz_opaque_callback_data: batch,
					messaging_product: 'whatsapp',
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'template',
					template: {
						name: 'order_ready',
						language: { code: 'en_US' },
						components: [
							{
								type: 'body',
								parameters: [
									{ type: 'text', text: 'Ana' },
									{ type: 'text', text: '42' },
								],
							},
						],
					},
				},
			},
		]);
		expect(w.rooms.opened).toEqual([{ phoneNumberId: '1001', waId: '5511987654321', departmentId: 'dep-sales' }]);
		expect(w.recorded).toEqual([
			{
				message: expect.objectContaining({
					sendId: 'send-1',
					wamid: 'wamid.5511987654321',
					roomId: 'room-5511987654321',
					agent: 'ana',
					message: 'Hello Ana, your order 42 is ready.',
				}),
				error: undefined,
			},
		]);
		expect(w.rooms.posts).toEqual([{ roomId: 'room-5511987654321', text: 'Hello Ana, your order 42 is ready.', asBot: false }]);
		expect(w.links).toEqual([
			{ wamid: 'wamid.5511987654321', rcMessageId: 'msg-1', roomId: 'room-5511987654321', at: '2026-03-01T10:00:00.000Z' },
		]);
		expect(w.jobs.runs).toBe(1);
	});

	it('posts as the bot in the room it was opened in when the setting says so', async () => {
		const w = templatesWorld({ settings: { templateSentBy: 'bot' } });
		await w.service.sendFromModal({ ...send, roomId: 'room-7' }, () => undefined);
		expect(w.rooms.opened).toEqual([]);
		expect(w.rooms.posts).toEqual([expect.objectContaining({ roomId: 'room-7', asBot: true })]);
	});

	it('a refused send is recorded failed and explained; the catalog drops a template Meta paused', async () => {
		const w = templatesWorld();
		await w.service.catalogOf(NUMBER).then((c) => c.list('waba-1'));
		w.graph.answer = () => graphError(132015);
		const result = await w.service.sendFromModal(send, () => undefined);
		expect(result).toEqual({ ok: false, error: expect.stringMatching(/^error_template_paused|132015/) });
		expect(w.recorded).toEqual([
			{
				message: expect.objectContaining({ agent: 'ana', mobileNo: '5511987654321' }),
				error: expect.objectContaining({ graphCode: 132015 }),
			},
		]);
		expect(w.recorded[0].message.wamid).toBeUndefined();
		expect(w.rooms.posts).toEqual([]);
		expect((await readCache(w.templateCache, 'waba-1'))?.templates.map((t) => t.language)).toEqual(['pt_BR']);

		w.graph.answer = () => new NetworkError({ detail: 'getaddrinfo ENOTFOUND graph.facebook.com', timedOut: false });
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: 'error_graph_unreachable' });
		w.graph.answer = () => new NetworkError({ detail: 'slow', timedOut: true });
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: 'error_send_timed_out' });
		w.graph.answer = () => new PacerDeadlineError();
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: 'error_send_not_started' });
		// A proxy's 502 page is not Meta refusing: the message may have gone out.
		w.graph.answer = () => GraphApiError.fromResponse(502, '<html>Bad Gateway</html>');
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: 'error_send_unknown' });
		w.graph.answer = () => GraphApiError.fromResponse(404, '<html>Not Found</html>');
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: expect.stringMatching(/^graph_error/) });
	});

	it("tells Meta's refusal, or that the send may have gone out, even when its record cannot be settled (logged)", async () => {
		const settled: unknown[] = [];
		const w = templatesWorld({
			sendLog: {
				record: async () => undefined,
				begin: async (message) => ({ ...message, sendId: 'send-1', pending: true }),
				beginMany: async () => [],
				settle: async (_message, error) => {
					settled.push(error);
					throw new Error('MongoNetworkError');
				},
			},
		});
		w.graph.answer = () => new NetworkError({ detail: 'slow', timedOut: true });
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: 'error_send_timed_out' });
		w.graph.answer = () => graphError(132015);
		expect(await w.service.sendFromModal(send, () => undefined)).toEqual({ ok: false, error: expect.stringMatching(/132015/) });
		expect(settled).toHaveLength(2);
		expect(w.logged).toEqual([
			'a template send failed, but its outcome not recorded: MongoNetworkError',
			'a template send failed, but its outcome not recorded: MongoNetworkError',
		]);
		// Not settled, the send stays pending: no delivery round is asked for it.
		expect(w.jobs.runs).toBe(0);
	});

	it('once sent, a failure in the room is reported to the caller and the send stays done', async () => {
		const w = templatesWorld();
		w.rooms.post = async () => {
			throw new Error('room closed');
		};
		const late: Array<[string, string | undefined]> = [];
		const result = await w.service.sendFromModal(send, (error, wamid) => late.push([(error as Error).message, wamid]));
		expect(result).toEqual({ ok: true, complete: false });
		expect(late).toEqual([['room closed', 'wamid.5511987654321']]);
	});
});

describe('recipients and numbers', () => {
	it('normalizes and de-duplicates recipients, keeping the invalid ones as sent', () => {
		expect(splitRecipients(['+55 (11) 98765-4321', '5511987654321', 'x', ''])).toEqual({
			recipients: ['5511987654321'],
			invalidContacts: ['x', ''],
		});
	});

	it('takes a business-scoped user id as it is (trimmed), and nothing that only looks like one', () => {
		expect(
			splitRecipients([
				' US.13491208655302741918',
				'US.13491208655302741918',
				'US.ENT.118',
				'us.1349',
				'US.',
				'USA.1349',
				'US.13-49',
			]),
		).toEqual({
			recipients: ['US.13491208655302741918', 'US.ENT.118'],
			invalidContacts: ['us.1349', 'US.', 'USA.1349', 'US.13-49'],
		});
	});

	it('finds a number by its id or its digits', () => {
		expect(matchNumber([NUMBER, OTHER_NUMBER], '1002')).toBe(OTHER_NUMBER);
		expect(matchNumber([NUMBER, OTHER_NUMBER], '+1 (555) 010-0001')).toBe(NUMBER);
		expect(matchNumber([NUMBER], '')).toBeUndefined();
	});
});
