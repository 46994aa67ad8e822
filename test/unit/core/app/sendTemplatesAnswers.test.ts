/**
 * What templateMessage tells machines (docs/templateMessage.openapi.yaml): every error answer's stable
 * `code` (`errorAnswer`), each failed recipient's `reason` and Meta's own explanation (`details`);
 * and what it tells people: an authentication template's one-time code masked wherever the app
 * shows or forwards the text (the room, the send's record, its status callbacks), never in the send.
 */
import { errorAnswer, MASKED_CODE, recipientError, SendRefused, shownValues } from '../../../../src/core/app/sendTemplates';
import { PacerDeadlineError } from '../../../../src/core/bulk/pacer';
import { AppError, GraphApiError, NetworkError, SendNotRecorded } from '../../../../src/core/errors';
import { GraphClient, HttpResponse } from '../../../../src/core/graph/GraphClient';
import { translator } from '../../../../src/core/i18n/translate';
import { MetaTemplate } from '../../../../src/core/templates/template';
import { keys, NUMBER, orderReadyBody, READY, statusCallbackLog, templatesWorld } from './fakes-templates';

const body = (extra: Record<string, unknown> = {}) => orderReadyBody(['5511987654321', '12025550100'], extra);
const manager = ['livechat-manager'];
const en = translator('en');

/** The answer the endpoints give for what `templateMessage` threw (or its answer when it did not). */
async function answerOf(promise: Promise<{ status: number; content: Record<string, unknown> }>) {
	try {
		return await promise;
	} catch (error) {
		return errorAnswer(error, en);
	}
}

describe('error answers carry a stable code besides the contract’s success and error', () => {
	it('a request too slow for the number’s rate: 400, code request_too_slow', async () => {
		const w = templatesWorld({ settings: { sendRatePerSecond: 5 } });
		w.graph.admission = () => false;
		expect(await answerOf(w.service.templateMessage({ body: body(), roles: manager, t: en }))).toEqual({
			status: 400,
			content: {
				success: false,
				code: 'request_too_slow',
				error: '2 recipients cannot all be sent within one request at 5 messages per second from this number (the server ends a request after 30 seconds). Nothing was sent. Send fewer recipients per request, or use campaign mode ("async": true).',
			},
		});
		expect(w.graph.sends).toEqual([]);
	});

	it("a request whose every number is invalid: the contract's 200 with invalidContacts, even while the number's queue is full", async () => {
		const w = templatesWorld({ settings: { sendRatePerSecond: 5 } });
		w.graph.admission = () => false;
		expect(await answerOf(w.service.templateMessage({ body: body({ phoneNumbers: ['12', 'abc'] }), roles: manager, t: en }))).toEqual({
			status: 200,
			content: { success: true, invalidContacts: ['12', 'abc'], results: [] },
		});
		expect(w.graph.sends).toEqual([]);
	});

	it.each<[string, (w: ReturnType<typeof templatesWorld>) => Promise<unknown>, number, string]>([
		['a caller without the role', (w) => w.service.templateMessage({ body: body(), roles: ['user'], t: en }), 403, 'forbidden'],
		[
			'a field of the wrong type',
			(w) => w.service.templateMessage({ body: body({ dryRun: 1 }), roles: manager, t: en }),
			400,
			'field_type',
		],
		[
			'a field over its limit',
			(w) => w.service.templateMessage({ body: body({ connectedWhatsAppNo: '1'.repeat(65) }), roles: manager, t: en }),
			400,
			'field_too_long',
		],
		[
			'a number not connected',
			(w) => w.service.templateMessage({ body: body({ connectedWhatsAppNo: '999' }), roles: manager, t: en }),
			400,
			'number_not_connected',
		],
		[
			'parameters the template does not take',
			(w) =>
				w.service.templateMessage({
					body: body({ template: { name: 'order_ready', language: { code: 'en_US' } } }),
					roles: manager,
					t: en,
				}),
			400,
			'template_params',
		],
		[
			'a dry run without Meta’s template list',
			(w) => {
				w.graph.listError = new NetworkError({ detail: 'down', timedOut: false });
				return w.service.templateMessage({ body: body({ dryRun: true }), roles: manager, t: en });
			},
			502,
			'templates_unavailable',
		],
		[
			'a key used with another body',
			async (w) => {
				await w.service.templateMessage({ body: body({ idempotencyKey: 'k' }), roles: manager, t: en });
				return w.service.templateMessage({ body: body({ idempotencyKey: 'k', clientReference: 'x' }), roles: manager, t: en });
			},
			409,
			'idempotency_conflict',
		],
	])('%s: the status and code of the refusal', async (_what, run, status, code) => {
		const w = templatesWorld();
		const answer = await answerOf(run(w) as Promise<never>);
		expect(answer).toEqual({ status, content: { success: false, error: expect.any(String), code } });
	});

	it('a template the cached list lacks, the list not fetched again: 503, code template_list_unavailable', async () => {
		const w = templatesWorld();
		await (await w.service.catalogOf(NUMBER)).list(NUMBER.wabaId);
		w.graph.listError = new NetworkError({ detail: 'down', timedOut: false });
		const later = { name: 'approved_later', language: { code: 'en_US' } };
		const answer = await answerOf(w.service.templateMessage({ body: body({ template: later }), roles: manager, t: en }));
		expect(answer).toMatchObject({ status: 503, content: { success: false, code: 'template_list_unavailable' } });
	});

	it('anything unexpected: a generic 500, code internal, telling nothing of the error', () => {
		expect(errorAnswer(new TypeError('token EAAsecret in a stack'), en)).toEqual({
			status: 500,
			content: { success: false, error: 'Error occurred while processing request.', code: 'internal' },
		});
		expect(errorAnswer(new SendRefused('api_error_campaign_not_found', { status: 404, params: { id: 'x' } }), en).content.code).toBe(
			'campaign_not_found',
		);
	});
});

/** Meta's answer to a send, through the real Graph client with the number's token (which cuts the token out of it). */
async function graphRefusal(response: HttpResponse): Promise<unknown> {
	const client = new GraphClient({ http: { send: async () => response }, accessToken: NUMBER.accessToken });
	return client.sendMessage(NUMBER.phoneNumberId, { to: '1' }).then(
		() => undefined,
		(e: unknown) => e,
	);
}

describe("a failed recipient's reason and Meta's explanation", () => {
	it('tells apart a send that never started, one without an answer in time, WhatsApp out of reach and a refusal (code 0 for the first three)', async () => {
		const w = templatesWorld();
		const errors: Record<string, Error> = {
			'5511987654321': new PacerDeadlineError(),
			'12025550100': new NetworkError({ detail: 'socket timed out', timedOut: true }),
			'12025550101': new NetworkError({ detail: 'ECONNREFUSED', timedOut: false }),
			'12025550102': GraphApiError.fromResponse(503, '<html>Service Unavailable</html>'),
			'12025550103': GraphApiError.fromResponse(404, '<html>Not Found</html>'),
			// The app's own reasons nothing went out: its record not written first; the base URL setting refused.
			'12025550104': new SendNotRecorded(new Error('MongoNetworkError')),
			'12025550105': new AppError({ code: 'graph_base_url_refused', message: 'refused', i18nKey: 'error_graph_base_url_refused' }),
		};
		w.graph.answer = (to) => errors[to];
		const answer = await w.service.templateMessage({ body: body({ phoneNumbers: Object.keys(errors) }), roles: manager, t: keys });
		expect(answer.content.results).toEqual([
			{ phoneNumber: '5511987654321', error: { code: 0, message: 'api_error_send_not_started', reason: 'not_started' } },
			{ phoneNumber: '12025550100', error: { code: 0, message: 'api_error_send_timed_out', reason: 'timeout' } },
			{ phoneNumber: '12025550101', error: { code: 0, message: 'error_graph_unreachable', reason: 'unreachable' } },
			// Not Meta's envelope, and no words of Meta's to pass on: a server error page (a proxy's) does
			// not say the message was refused (unknown: it may have been sent); a client error page does.
			{ phoneNumber: '12025550102', error: { code: 0, message: 'api_error_send_unknown', reason: 'unknown' } },
			{ phoneNumber: '12025550103', error: { code: 0, message: 'api_error_graph {"code":0}', reason: 'refused' } },
			{ phoneNumber: '12025550104', error: { code: 0, message: 'error_send_not_recorded', reason: 'not_started' } },
			{ phoneNumber: '12025550105', error: { code: 0, message: 'error_graph_base_url_refused', reason: 'unreachable' } },
		]);
	});

	it("passes on Meta's error_data.details of a 131008 (Meta's error response syntax), beside the contract's code and message", async () => {
		const error = await graphRefusal({
			status: 400,
			body: JSON.stringify({
				error: {
					message: '(#131008) Required parameter is missing',
					type: 'OAuthException',
					code: 131008,
					error_data: { messaging_product: 'whatsapp', details: 'Parameter of type text is missing text value' },
					fbtrace_id: 'AbCdEf123',
				},
			}),
		});
		const w = templatesWorld();
		w.graph.answer = () => error as Error;
		const answer = await w.service.templateMessage({ body: body({ phoneNumbers: ['5511987654321'] }), roles: manager, t: en });
		expect(answer.content.results).toEqual([
			{
				phoneNumber: '5511987654321',
				error: {
					code: 131008,
					message: 'WhatsApp refused this message (error 131008).',
					reason: 'refused',
					details: 'Parameter of type text is missing text value',
				},
			},
		]);
	});

	it("without details, Meta's user message, else its message, else its title; never the number's token", async () => {
		const refused = (over: Record<string, unknown>) => new GraphApiError(400, { code: 100, type: 'OAuthException', ...over });
		expect(recipientError(refused({ message: 'Invalid parameter', error_user_msg: 'Use a valid number' }), keys).details).toBe(
			'Use a valid number',
		);
		expect(recipientError(refused({ message: 'Invalid parameter', error_user_title: 'Bad' }), keys).details).toBe('Invalid parameter');
		expect(recipientError(refused({ error_user_title: 'Bad' }), keys).details).toBe('Bad');
		expect(recipientError(refused({}), keys)).toEqual({ code: 100, message: 'api_error_graph {"code":100}', reason: 'refused' });
		// Meta refused the number's app secret: the integrator reads that an admin must correct it, and Meta's words.
		const proof = 'Invalid appsecret_proof provided in the API argument';
		expect(recipientError(refused({ type: 'GraphMethodException', message: proof }), keys)).toEqual({
			code: 100,
			message: 'graph_error_app_secret {"code":100}',
			reason: 'refused',
			details: proof,
		});

		const echoed = await graphRefusal({
			status: 400,
			body: JSON.stringify({
				error: {
					message: `Malformed access token ${NUMBER.accessToken}`,
					type: 'OAuthException',
					code: 190,
					error_data: { details: `token ${NUMBER.accessToken} is not valid` },
				},
			}),
		});
		const error = recipientError(echoed, keys);
		expect(error.details).toBe('token [redacted] is not valid');
		expect(JSON.stringify(error)).not.toContain(NUMBER.accessToken);
	});
});

/** Meta's authentication template (copy code), as Meta's template list gives it. */
const CODE: MetaTemplate = {
	name: 'verification_code',
	language: 'en_US',
	status: 'APPROVED',
	category: 'AUTHENTICATION',
	components: [
		{ type: 'BODY', text: '{{1}} is your verification code.' },
		{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
	],
};
/** Its send (shared/contracts/meta-docs/send-template-authentication-otp.request.json). */
const CODE_SEND = {
	name: 'verification_code',
	language: { code: 'en_US' },
	components: [
		{ type: 'body', parameters: [{ type: 'text', text: '482913' }] },
		{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
	],
};
const MASKED_TEXT = `${MASKED_CODE} is your verification code.\n[Copy code]`;

describe("an authentication template's one-time code", () => {
	it('is masked in the values shown, only for an authentication template', () => {
		expect(shownValues(CODE, { 'body.1': '482913', 'button.0.url': '482913', 'body.2': '' })).toEqual({
			'body.1': MASKED_CODE,
			'button.0.url': MASKED_CODE,
			'body.2': '',
		});
		expect(shownValues(READY, { 'body.1': 'Ana' })).toEqual({ 'body.1': 'Ana' });
	});

	it('sent from the modal: the room, the record and the status callback show it masked; Meta gets it', async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		const result = await w.service.sendFromModal(
			{ number: NUMBER, template: CODE, values: { 'body.1': '482913' }, to: '5511987654321', agent: 'ana', t: keys },
			() => undefined,
		);
		expect(result).toEqual({ ok: true, complete: true });
		expect(w.rooms.posts.map((p) => p.text)).toEqual([MASKED_TEXT]);
		expect(JSON.stringify(w.graph.sends[0].payload)).toContain('482913');
		const outbox = await log.outbox.list();
		expect(outbox.map((i) => i.payload.message)).toEqual([MASKED_TEXT]);
		expect(JSON.stringify(outbox)).not.toContain('482913');
	});

	it('sent by templateMessage: the record and the status callback show it masked, the template known or not; Meta gets it', async () => {
		const log = statusCallbackLog();
		const w = templatesWorld({ sendLog: log.sendLog });
		w.graph.templates = [READY, CODE];
		const request = body({ phoneNumbers: ['5511987654321'], template: CODE_SEND });
		expect((await w.service.templateMessage({ body: request, roles: manager, t: keys })).status).toBe(200);
		// Meta's list out of reach: the category is not known, but the value the button carries again is masked.
		const offline = templatesWorld({ sendLog: log.sendLog });
		offline.graph.listError = new NetworkError({ detail: 'down', timedOut: false });
		const another = { ...request, phoneNumbers: ['12025550100'] };
		expect((await offline.service.templateMessage({ body: another, roles: manager, t: keys })).status).toBe(200);
		expect((await log.outbox.list()).map((i) => i.payload.message)).toEqual([
			MASKED_TEXT,
			`verification_code: ${MASKED_CODE} | ${MASKED_CODE}`,
		]);
		expect(JSON.stringify(await log.outbox.list())).not.toContain('482913');
		expect([...w.graph.sends, ...offline.graph.sends].map((s) => JSON.stringify(s.payload).includes('482913'))).toEqual([true, true]);
	});

	it("Meta's list out of reach: an order id that is also a link's suffix is not a code, and shows as sent", async () => {
		const log = statusCallbackLog();
		const offline = templatesWorld({ sendLog: log.sendLog });
		offline.graph.listError = new NetworkError({ detail: 'down', timedOut: false });
		const tracking = {
			name: 'order_tracking',
			language: { code: 'en_US' },
			components: [
				{
					type: 'body',
					parameters: [
						{ type: 'text', text: 'Ana' },
						{ type: 'text', text: 'A-42' },
					],
				},
				{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-42' }] },
			],
		};
		const request = body({ phoneNumbers: ['5511987654321'], template: tracking });
		expect((await offline.service.templateMessage({ body: request, roles: manager, t: keys })).status).toBe(200);
		expect((await log.outbox.list()).map((i) => i.payload.message)).toEqual(['order_tracking: Ana | A-42 | A-42']);
	});

	it("stored for a campaign: the campaign's text masked", async () => {
		const started: Array<{ text: string }> = [];
		const w = templatesWorld({ campaigns: { start: async (input) => (started.push(input), 'c-1') } });
		w.graph.templates = [READY, CODE];
		const request = body({ phoneNumbers: ['5511987654321'], template: CODE_SEND, async: true });
		expect((await w.service.templateMessage({ body: request, roles: manager, userId: 'u1', t: keys })).status).toBe(202);
		expect(started.map((c) => c.text)).toEqual([MASKED_TEXT]);
	});
});
