/** The simulated Cloud API speaks Meta's formats over real HTTP and enforces Meta's spec. */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

import { signPayload, verifySignature } from '../../src/core/webhook/signature';
import { HttpRequest, request } from '../../tools/http/client';
import { CloudApiSimulator, SimNumber } from '../../tools/sim/CloudApiSimulator';
import { CONTRACTS_DIR } from '../../tools/sim/contracts';
import { validateRequest, validateSchema } from '../../tools/sim/metaSpec';
import { bsuidFor } from '../../tools/sim/webhookPayloads';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const read = (file: string): Any => JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8'));
const TABLE: Array<{ code: number; title: string; meaning: string; http_status_per_meta_table: number | null }> =
	read('derived/error-codes.table.json').codes;
const row = (code: number) => TABLE.find((r) => r.code === code)!;

const NUMBER: SimNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-078-3881',
	verifiedName: 'Acme',
	accessToken: 'EAAGOOD',
	appSecret: '0123456789abcdef0123456789abcdef',
};
const SAME_WABA: SimNumber = {
	...NUMBER,
	phoneNumberId: '106540352242923',
	displayPhoneNumber: '+1 555-078-3882',
	verifiedName: 'Acme Sales',
};
const OTHER: SimNumber = {
	phoneNumberId: '207650000000001',
	wabaId: '207650000000999',
	displayPhoneNumber: '+55 11 3000-0000',
	verifiedName: 'Loja',
	accessToken: 'EAAOTHER',
	appSecret: 'ffffffffffffffffffffffffffffffff',
};

interface Reply {
	status: number;
	contentType: string;
	text: string;
	body: Any;
}

/** A Graph call through the tools' HTTP client: the answer's status, content type, text, and JSON body (when it is JSON). */
async function call(
	url: string,
	options: { method?: HttpRequest['method']; token?: string | null; body?: unknown; contentType?: string } = {},
): Promise<Reply> {
	const headers: Record<string, string> = {};
	if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? NUMBER.accessToken}`;
	const raw = options.body === undefined ? undefined : JSON.stringify(options.body);
	if (raw) headers['Content-Type'] = options.contentType ?? 'application/json';
	const answer = await request(url, { method: options.method ?? 'GET', headers, raw });
	const contentType = answer.headers['content-type'] ?? '';
	return {
		status: answer.status,
		contentType,
		text: answer.text,
		body: contentType.startsWith('application/json') ? JSON.parse(answer.text) : undefined,
	};
}

/** A webhook receiver on loopback that keeps the exact bytes and headers it was sent. */
async function receiver(answer: { status: number; body: string } = { status: 200, body: '{"success":true}' }) {
	const received: Array<{ raw: Buffer; signature: string; contentType: string }> = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			received.push({
				raw: Buffer.concat(chunks),
				signature: String(req.headers['x-hub-signature-256']),
				contentType: String(req.headers['content-type']),
			});
			res.writeHead(answer.status, { 'Content-Type': 'application/json' });
			res.end(answer.body);
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${(server.address() as { port: number }).port}/webhook`,
		received,
		close: () => new Promise((r) => server.close(r)),
	};
}

const template = (i: number, status = 'APPROVED') => ({
	id: String(1000 + i),
	name: `t_${String(i).padStart(3, '0')}`,
	language: i % 2 ? 'en_US' : 'pt_BR',
	status,
	category: 'UTILITY',
	parameter_format: 'POSITIONAL',
	components: [{ type: 'BODY', text: 'Hi {{1}}' }],
});
const send = (to = '5511987654321') => ({
	messaging_product: 'whatsapp',
	recipient_type: 'individual',
	to,
	type: 'template',
	template: { name: 'hello_world', language: { code: 'en_US' } },
});
const FBTRACE = expect.stringMatching(/^A[A-Za-z0-9_-]{22}$/);

describe('CloudApiSimulator', () => {
	let sim: CloudApiSimulator;
	let base: string;
	let messagesUrl: string;
	beforeEach(async () => {
		sim = new CloudApiSimulator({ validate: validateRequest });
		base = (await sim.start()).baseUrl;
		messagesUrl = `${base}/v23.0/${NUMBER.phoneNumberId}/messages`;
		sim.addNumber(NUMBER);
		sim.loadTemplateFixtures(NUMBER.wabaId); // hello_world (en_US), which `send()` sends
	});
	afterEach(() => sim.stop());

	describe('message templates', () => {
		const list = (query: string) => call(`${base}/v23.0/${NUMBER.wabaId}/message_templates${query}`);

		it('pages through every template with paging.next on its own base URL, next only while there is a next page', async () => {
			sim.setTemplates(NUMBER.wabaId, [...Array.from({ length: 60 }, (_, i) => template(i)), template(60, 'PAUSED')]);
			const names: string[] = [];
			const nexts: Array<string | undefined> = [];
			let url: string | undefined = `${base}/v23.0/${NUMBER.wabaId}/message_templates?status=APPROVED`;
			while (url) {
				const res = await call(url);
				expect(res.status).toBe(200);
				expect(res.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
				names.push(...res.body.data.map((t: { name: string }) => t.name));
				url = res.body.paging.next;
				nexts.push(url);
			}
			expect(nexts).toEqual([
				expect.stringMatching(new RegExp(`^${base}/v23.0/${NUMBER.wabaId}/message_templates\\?`)),
				expect.any(String),
				undefined,
			]);
			expect(names).toEqual(Array.from({ length: 60 }, (_, i) => `t_${String(i).padStart(3, '0')}`));
			// The next link keeps the filters and the page size.
			expect(new URL(nexts[0]!).searchParams.get('status')).toBe('APPROVED');
			expect(new URL(nexts[0]!).searchParams.get('limit')).toBe('25');
			// And `previous` leads back to the first page.
			const second = await call(nexts[0]!);
			const back = await call(second.body.paging.previous);
			expect(back.body.data.map((t: { name: string }) => t.name)).toEqual(names.slice(0, 25));
			expect(back.body.paging.previous).toBeUndefined();
		});

		it('applies limit, capped at the documented maximum of 100', async () => {
			sim.setTemplates(
				NUMBER.wabaId,
				Array.from({ length: 150 }, (_, i) => template(i)),
			);
			expect((await list('?limit=7')).body.data).toHaveLength(7);
			expect((await list('?limit=500')).body.data).toHaveLength(100);
			expect((await list('')).body.data).toHaveLength(25);
		});

		it('filters by status, name, language and fields', async () => {
			sim.setTemplates(NUMBER.wabaId, [...Array.from({ length: 60 }, (_, i) => template(i)), template(60, 'PAUSED')]);
			const byName = await list('?name=t_05&fields=name,status');
			expect(byName.body.data).toEqual(
				Array.from({ length: 10 }, (_, i) => ({ name: `t_05${i}`, status: 'APPROVED', id: String(1050 + i) })),
			);
			expect(byName.body.paging.next).toBeUndefined();
			expect((await list('?status=paused')).body.data.map((t: Any) => t.name)).toEqual(['t_060']);
			const english = (await list('?language=en_US&limit=100')).body.data;
			expect(english).toHaveLength(30);
			expect(english.every((t: Any) => t.language === 'en_US')).toBe(true);
			expect((await list('?name=nope')).body).toEqual({ data: [] });
		});

		it("serves Meta's documented template lists as fixtures, valid TemplateObjects in Meta's shape", async () => {
			sim.loadTemplateFixtures(NUMBER.wabaId);
			const res = await list('');
			expect(res.body.data.map((t: { name: string }) => t.name)).toEqual(
				expect.arrayContaining(['hello_world', 'reservation_confirmation', 'order_delivery_update']),
			);
			expect(res.body.data[0]).toEqual(read('meta-docs/templates-list-default-fields.response.json').data[0]);
		});
	});

	describe('phone numbers', () => {
		it("answers Graph's default fields, requested fields, and 100 for a field that does not exist", async () => {
			expect((await call(`${base}/v23.0/${NUMBER.phoneNumberId}`)).body).toEqual({
				id: NUMBER.phoneNumberId,
				display_phone_number: '+1 555-078-3881',
				verified_name: 'Acme',
				quality_rating: 'GREEN',
			});
			expect((await call(`${base}/v23.0/${NUMBER.phoneNumberId}?fields=verified_name,code_verification_status`)).body).toEqual({
				verified_name: 'Acme',
				code_verification_status: 'VERIFIED',
				id: NUMBER.phoneNumberId,
			});
			const bad = await call(`${base}/v23.0/${NUMBER.phoneNumberId}?fields=colour`);
			expect(bad.status).toBe(400);
			expect(bad.body.error).toEqual({
				message: '(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)',
				type: 'OAuthException',
				code: 100,
				fbtrace_id: FBTRACE,
			});
		});

		it('lists the numbers of a WABA only', async () => {
			sim.addNumber(SAME_WABA);
			sim.addNumber(OTHER);
			const res = await call(`${base}/v23.0/${NUMBER.wabaId}/phone_numbers?fields=id,display_phone_number`);
			expect(res.body.data).toEqual([
				{ id: NUMBER.phoneNumberId, display_phone_number: NUMBER.displayPhoneNumber },
				{ id: SAME_WABA.phoneNumberId, display_phone_number: SAME_WABA.displayPhoneNumber },
			]);
			expect(res.body.paging.next).toBeUndefined();
		});
	});

	describe('access tokens and ids', () => {
		it("answers a wrong token with Meta's 401 OAuthException 190", async () => {
			const res = await call(`${base}/v23.0/${NUMBER.phoneNumberId}`, { token: 'EAABAD' });
			expect(res.status).toBe(401);
			expect(res.body).toEqual({
				error: {
					message: 'Invalid OAuth access token - Cannot parse access token',
					type: 'OAuthException',
					code: 190,
					fbtrace_id: FBTRACE,
				},
			});
		});

		it("answers the token of another number's WABA with 190, and no token with 104", async () => {
			sim.addNumber(OTHER);
			expect((await call(`${base}/v23.0/${NUMBER.wabaId}/message_templates`, { token: OTHER.accessToken })).body.error.code).toBe(
				190,
			);
			const none = await call(`${base}/v23.0/${NUMBER.phoneNumberId}`, { token: null });
			expect(none.status).toBe(401);
			expect(none.body.error).toMatchObject({ code: 104, type: 'OAuthException' });
			expect(sim.requests.map((r) => r.status)).toEqual([401, 401]);
		});

		it("checks an appsecret_proof as Meta does: the token's HMAC with its app's secret, required only when the app requires it", async () => {
			// `printf %s EAAGOOD | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef`
			const proof = 'cd1f9bd099f8bf04fa0c7691dd1d8a67f18c14d417937ca9fa605c60f7e082a9';
			const number = (query: string) => call(`${base}/v23.0/${NUMBER.phoneNumberId}${query}`);
			expect((await number(`?appsecret_proof=${proof}`)).status).toBe(200);
			expect((await number('')).status).toBe(200);
			const wrong = await number(`?appsecret_proof=${proof.replace(/^c/, 'd')}`);
			expect([wrong.status, wrong.body]).toEqual([
				400,
				{
					error: {
						message: 'Invalid appsecret_proof provided in the API argument',
						type: 'GraphMethodException',
						code: 100,
						fbtrace_id: FBTRACE,
					},
				},
			]);
			// Another app's secret (another number's) is no proof of this token: `-hmac ffff…` (OTHER's secret).
			sim.addNumber(OTHER);
			expect(
				(await number('?appsecret_proof=4c73313c35a910a5cac43a3d338d79eec134feef46b2c875635bf01564fcc491')).body.error.message,
			).toBe('Invalid appsecret_proof provided in the API argument');
			sim.requireAppSecretProof = true;
			const none = await number('');
			expect([none.status, none.body.error.message, none.body.error.code]).toEqual([
				400,
				'API calls from the server require an appsecret_proof argument',
				100,
			]);
			expect((await number(`?appsecret_proof=${proof}`)).status).toBe(200);
		});

		it("answers debug_token of a token as Meta's reference shows it, and refuses a token past its expiry with 190/463", async () => {
			const debug = (input?: string, token?: string) =>
				call(`${base}/v23.0/debug_token${input === undefined ? '' : `?input_token=${input}`}`, token ? { token } : {});
			const permanent = await debug(NUMBER.accessToken);
			expect([permanent.status, permanent.body]).toEqual([
				200,
				{
					data: {
						app_id: '1234567890123456',
						type: 'SYSTEM_USER',
						application: 'Business Messaging App',
						expires_at: 0,
						is_valid: true,
						scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'],
						granular_scopes: [
							{ scope: 'whatsapp_business_management', target_ids: [NUMBER.wabaId] },
							{ scope: 'whatsapp_business_messaging', target_ids: [NUMBER.wabaId] },
						],
						user_id: '122100000000000001',
					},
				},
			]);
			// Not in Meta's WhatsApp spec: not given to the validator.
			expect(sim.requests[0].validation).toBeUndefined();
			// A token of another app than the webhooks' (tokenAppSecret) is that app's.
			sim.addNumber({ ...OTHER, tokenAppSecret: 'abcdefabcdefabcdefabcdefabcdefab' });
			expect((await debug(OTHER.accessToken, OTHER.accessToken)).body.data).toMatchObject({
				app_id: '6543210987654321',
				application: 'Other Meta App',
			});
			// A token of one app cannot ask about a token of another: Meta refuses it as a non-developer's.
			const crossed = await debug(OTHER.accessToken);
			expect([crossed.status, crossed.body.error?.code, crossed.body.error?.message]).toEqual([
				400,
				100,
				'(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
			]);
			const unknown = await debug('EAAUNKNOWN');
			expect([unknown.status, unknown.body]).toEqual([
				200,
				{ data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] } },
			]);
			const missing = await debug();
			expect([missing.status, missing.body.error]).toEqual([
				400,
				{ message: '(#100) The parameter input_token is required', type: 'OAuthException', code: 100, fbtrace_id: FBTRACE },
			]);
			// A token whose user is not an owner or developer of the app: Meta refuses its question about itself.
			sim.addNumber({ ...NUMBER, token: { debuggable: false } });
			const refused = await debug(NUMBER.accessToken);
			expect([refused.status, refused.body.error]).toEqual([
				400,
				{
					message: '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
					type: 'OAuthException',
					code: 100,
					fbtrace_id: FBTRACE,
				},
			]);
			// A temporary token: a user token with its expiry; past it, every call is refused.
			const expiresAt = Math.floor(Date.now() / 1000) + 3600;
			sim.addNumber({ ...NUMBER, token: { expiresAt, scopes: ['whatsapp_business_messaging'] } });
			expect((await debug(NUMBER.accessToken)).body.data).toMatchObject({
				type: 'USER',
				expires_at: expiresAt,
				scopes: ['whatsapp_business_messaging'],
			});
			sim.addNumber({ ...NUMBER, token: { expiresAt: Math.floor(Date.now() / 1000) - 1 } });
			const expired = await call(`${base}/v23.0/${NUMBER.phoneNumberId}`);
			expect([expired.status, expired.body.error]).toEqual([
				401,
				{
					message: 'Error validating access token: Session has expired.',
					type: 'OAuthException',
					code: 190,
					error_subcode: 463,
					fbtrace_id: FBTRACE,
				},
			]);
		});

		it('answers an unknown id with GraphMethodException 100/33', async () => {
			const res = await call(`${base}/v23.0/999999`);
			expect(res.status).toBe(400);
			expect(res.body.error).toEqual({
				message:
					"Unsupported get request. Object with ID '999999' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
				type: 'GraphMethodException',
				code: 100,
				error_subcode: 33,
				fbtrace_id: FBTRACE,
			});
		});
	});

	describe('sends', () => {
		it('accepts a valid send with a unique wamid and records it', async () => {
			const first = await call(messagesUrl, { method: 'POST', body: send('+55 11 98765-4321') });
			const second = await call(messagesUrl, { method: 'POST', body: send() });
			expect(first.status).toBe(200);
			expect(first.body).toEqual({
				messaging_product: 'whatsapp',
				contacts: [{ input: '+55 11 98765-4321', wa_id: '5511987654321' }],
				messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/), message_status: 'accepted' }],
			});
			expect(first.body.messages[0].id).not.toBe(second.body.messages[0].id);
			expect(sim.sentMessages.map((m) => m.wamid)).toEqual([first.body.messages[0].id, second.body.messages[0].id]);
			expect(sim.requests[0]).toMatchObject({
				method: 'POST',
				path: `/v23.0/${NUMBER.phoneNumberId}/messages`,
				body: send('+55 11 98765-4321'),
				validation: { ok: true, operation: 'POST /{Version}/{Phone-Number-ID}/messages' },
				status: 200,
				response: first.body,
			});
			expect(sim.violations).toEqual([]);
		});

		it.each([
			['a template without name', { ...send(), template: { language: { code: 'en_US' } } }, "must have required property 'name'"],
			['no `to`', (({ to: _to, ...rest }) => rest)(send()), "must have required property 'to'"],
			[
				'a boolean text parameter',
				{
					...send(),
					template: {
						name: 'x',
						language: { code: 'en' },
						components: [{ type: 'body', parameters: [{ type: 'text', text: true }] }],
					},
				},
				'text must be string',
			],
		])('refuses %s with error 100 in strict mode and records the violation', async (_label, body, expected) => {
			const res = await call(messagesUrl, { method: 'POST', body });
			expect(res.status).toBe(400);
			expect(res.body.error).toMatchObject({
				message: '(#100) Invalid parameter',
				type: 'OAuthException',
				code: 100,
				error_data: { messaging_product: 'whatsapp', details: expect.stringContaining(expected) },
			});
			expect(sim.violations).toHaveLength(1);
			expect(sim.violations[0].errors).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
			expect(sim.sentMessages).toEqual([]);
		});

		it("refuses a template the WABA does not hold in that language with Meta's 132001, sending nothing", async () => {
			const res = await call(messagesUrl, {
				method: 'POST',
				body: { ...send(), template: { name: 'hello_world', language: { code: 'pt_BR' } } },
			});
			expect(res.status).toBe(404);
			expect(res.body).toEqual({
				error: {
					message: '(#132001) Template name does not exist in the translation',
					type: 'OAuthException',
					code: 132001,
					error_data: { messaging_product: 'whatsapp', details: 'template name (hello_world) does not exist in pt_BR' },
					fbtrace_id: FBTRACE,
				},
			});
			expect(sim.sentMessages).toEqual([]);
			expect(sim.violations).toEqual([]);
		});

		it('only records an invalid request when not strict', async () => {
			const lax = new CloudApiSimulator({ validate: validateRequest, strict: false });
			const url = `${(await lax.start()).baseUrl}/v23.0/${NUMBER.phoneNumberId}/messages`;
			lax.addNumber(NUMBER);
			lax.loadTemplateFixtures(NUMBER.wabaId);
			try {
				// No `to`: the spec requires it.
				const { to: _to, ...noTo } = send();
				void _to;
				expect((await call(url, { method: 'POST', body: noTo })).status).toBe(200);
				expect(lax.violations).toHaveLength(1);
				expect(lax.violations[0].errors).toEqual(
					expect.arrayContaining([expect.stringContaining("must have required property 'to'")]),
				);
			} finally {
				await lax.stop();
			}
		});
	});

	describe('injected errors', () => {
		it.each([131047, 132000, 132001, 131056, 131026, 100])(
			"answers %i in Meta's envelope with the table's title and HTTP status",
			async (code) => {
				sim.injectError(NUMBER.phoneNumberId, { code });
				const res = await call(messagesUrl, { method: 'POST', body: send() });
				const expectedTitle = code === 132001 ? 'Template name does not exist in the translation' : row(code).title;
				expect(res.status).toBe(row(code).http_status_per_meta_table ?? 400);
				expect(res.body).toEqual({
					error: {
						message: `(#${code}) ${expectedTitle}`,
						type: 'OAuthException',
						code,
						error_data: { messaging_product: 'whatsapp', details: row(code).meaning },
						fbtrace_id: FBTRACE,
					},
				});
				expect(sim.sentMessages).toEqual([]);
				expect((await call(messagesUrl, { method: 'POST', body: send() })).status).toBe(200);
			},
		);

		it('answers an injected 190 as an expired session (subcode 463) and 130429 as documented on the error-codes page', async () => {
			sim.injectError(NUMBER.phoneNumberId, { code: 190 });
			sim.injectError(NUMBER.phoneNumberId, { code: 130429 });
			const expired = await call(messagesUrl, { method: 'POST', body: send() });
			expect(expired.status).toBe(401);
			expect(expired.body.error).toEqual({
				message: 'Error validating access token: Session has expired.',
				type: 'OAuthException',
				code: 190,
				error_subcode: 463,
				fbtrace_id: FBTRACE,
			});
			const limited = await call(messagesUrl, { method: 'POST', body: send() });
			expect(limited.status).toBe(400);
			expect(limited.body).toEqual({
				error: { ...read('meta-docs/graph-error-130429.error-codes-page.json').error, fbtrace_id: FBTRACE },
			});
		});

		it('honours count and match', async () => {
			sim.injectError(NUMBER.phoneNumberId, { code: 131026, count: 2, match: (b) => b.to === '15550000002' });
			const statuses = [];
			for (const to of ['15550000001', '15550000002', '15550000002', '15550000002'])
				statuses.push((await call(messagesUrl, { method: 'POST', body: send(to) })).status);
			expect(statuses).toEqual([200, 400, 400, 200]);
		});

		it('answers an injected 5xx with an HTML page or a JSON transient error', async () => {
			sim.injectError(NUMBER.phoneNumberId, { code: 502 });
			sim.injectError(NUMBER.phoneNumberId, { code: 503, body: 'json' });
			const html = await call(messagesUrl, { method: 'POST', body: send() });
			expect(html).toMatchObject({ status: 502, contentType: 'text/html; charset=utf-8', text: expect.stringContaining('<html') });
			const json = await call(messagesUrl, { method: 'POST', body: send() });
			expect(json.status).toBe(503);
			expect(json.body.error).toEqual({
				message: 'An unexpected error occurred. Please retry your request',
				type: 'GraphMethodException',
				code: 2,
				is_transient: true,
				fbtrace_id: FBTRACE,
			});
		});

		it("takes a business-scoped user id in `recipient` only, answers its user_id, and refuses it an authentication template's code (131062)", async () => {
			const bsuid = 'US.13491208655302741918';
			const { to: _to, ...toUser } = { ...send(), recipient: bsuid };
			void _to;
			expect(await call(messagesUrl, { method: 'POST', body: toUser })).toMatchObject({
				status: 200,
				body: { contacts: [{ input: bsuid, user_id: bsuid }] },
			});
			expect((await call(messagesUrl, { method: 'POST', body: toUser })).body.contacts[0]).not.toHaveProperty('wa_id');
			// A BSUID in `to`, or a number in `recipient`: Meta's spec (as patched from its BSUIDs page) refuses both.
			expect((await call(messagesUrl, { method: 'POST', body: send(bsuid) })).status).toBe(400);
			expect((await call(messagesUrl, { method: 'POST', body: { ...toUser, recipient: '5511987654321' } })).status).toBe(400);
			sim.setTemplates(NUMBER.wabaId, [
				{
					name: 'verification_code',
					language: 'en_US',
					status: 'APPROVED',
					category: 'AUTHENTICATION',
					components: [
						{ type: 'BODY', text: '{{1}} is your verification code.' },
						{
							type: 'BUTTONS',
							buttons: [
								{
									type: 'URL',
									text: 'Copy code',
									url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}',
								},
							],
						},
					],
				},
			]);
			const code = {
				...toUser,
				template: {
					name: 'verification_code',
					language: { code: 'en_US' },
					components: [
						{ type: 'body', parameters: [{ type: 'text', text: '123456' }] },
						{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] },
					],
				},
			};
			expect(await call(messagesUrl, { method: 'POST', body: code })).toMatchObject({
				status: 400,
				body: {
					error: {
						code: 131062,
						message: '(#131062) Business-scoped User ID (BSUID) recipients are not supported for this message',
						error_data: { details: 'Business-scoped User ID (BSUID) recipients are not supported for this message.' },
					},
				},
			});
			const { recipient: _r, ...toPhone } = { ...code, to: '5511987654321' };
			void _r;
			expect((await call(messagesUrl, { method: 'POST', body: toPhone })).status).toBe(200);
		});

		it("refuses to inject a code that is not in Meta's table", () => {
			expect(() => sim.injectError(NUMBER.phoneNumberId, { code: 424242 })).toThrow(/424242/);
		});
	});

	it('answers 130429 above the throughput cap, and accepts again in the next second', async () => {
		sim.setThroughputCap(NUMBER.phoneNumberId, 3);
		const replies: Reply[] = [];
		for (let i = 0; i < 5; i++) replies.push(await call(messagesUrl, { method: 'POST', body: send(`551198765432${i}`) }));
		expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 400, 400]);
		expect(replies[3].body.error).toMatchObject({
			code: 130429,
			message: '(#130429) Rate limit hit',
			error_data: { details: 'Cloud API message throughput has been reached.' },
		});
		expect(sim.throttled).toBe(2);
		expect(sim.sentMessages).toHaveLength(3);
		await new Promise((r) => setTimeout(r, 1050));
		expect((await call(messagesUrl, { method: 'POST', body: send() })).status).toBe(200);
	});

	describe('webhooks', () => {
		let hook: Awaited<ReturnType<typeof receiver>>;
		const SECRET = 'test_app_secret';
		beforeEach(async () => {
			hook = await receiver();
			sim.webhookTarget = { url: hook.url, appSecret: SECRET };
		});
		afterEach(() => hook.close());

		async function sentTo(number: SimNumber, to: string): Promise<string> {
			const res = await call(`${base}/v23.0/${number.phoneNumberId}/messages`, {
				method: 'POST',
				token: number.accessToken,
				body: send(to),
			});
			return res.body.messages[0].id;
		}

		it('batches statuses as Meta does: one change per number, one entry per WABA, signed over the bytes sent', async () => {
			sim.addNumber(SAME_WABA);
			sim.addNumber(OTHER);
			sim.loadTemplateFixtures(OTHER.wabaId);
			const a = await sentTo(NUMBER, '5511900000001');
			const b = await sentTo(NUMBER, '5511900000002');
			const c = await sentTo(SAME_WABA, '5511900000003');
			const d = await sentTo(OTHER, '5511900000004');
			const results = await sim.deliverStatuses(
				[
					{ wamid: a, status: 'sent', timestamp: 1750030073 },
					{ wamid: d, status: 'delivered', timestamp: '1750030074' },
					{ wamid: b, status: 'read', timestamp: '1750030075' },
					{ wamid: c, status: 'played', timestamp: '1750030076' },
				],
				{ batch: true },
			);
			expect(results).toEqual([{ status: 200, body: '{"success":true}' }]);
			expect(hook.received).toHaveLength(1);
			const { raw, signature } = hook.received[0];
			expect(signature).toBe(signPayload(raw, SECRET));
			expect(verifySignature(raw, signature, [SECRET])).toEqual({ ok: true, secretIndex: 0 });
			const payload = JSON.parse(raw.toString('utf8'));
			expect(validateSchema('WebhookPayload', payload)).toEqual({ ok: true, errors: [] });
			// Each names the user's BSUID too, as Meta's statuses do since April 2026.
			const status = (id: string, s: string, ts: string, recipient: string) => ({
				id,
				status: s,
				timestamp: ts,
				recipient_id: recipient,
				recipient_user_id: bsuidFor(recipient),
			});
			expect(payload).toEqual({
				object: 'whatsapp_business_account',
				entry: [
					{
						id: NUMBER.wabaId,
						changes: [
							{
								value: {
									messaging_product: 'whatsapp',
									metadata: { display_phone_number: '15550783881', phone_number_id: NUMBER.phoneNumberId },
									statuses: [
										status(a, 'sent', '1750030073', '5511900000001'),
										status(b, 'read', '1750030075', '5511900000002'),
									],
								},
								field: 'messages',
							},
							{
								value: {
									messaging_product: 'whatsapp',
									metadata: { display_phone_number: '15550783882', phone_number_id: SAME_WABA.phoneNumberId },
									statuses: [status(c, 'played', '1750030076', '5511900000003')],
								},
								field: 'messages',
							},
						],
					},
					{
						id: OTHER.wabaId,
						changes: [
							{
								value: {
									messaging_product: 'whatsapp',
									metadata: { display_phone_number: '551130000000', phone_number_id: OTHER.phoneNumberId },
									statuses: [status(d, 'delivered', '1750030074', '5511900000004')],
								},
								field: 'messages',
							},
						],
					},
				],
			});
		});

		it("sends one POST per status by default, a failed one with Meta's error objects, and returns the receiver's answers", async () => {
			const a = await sentTo(NUMBER, '5511900000001');
			const results = await sim.deliverStatuses([
				{ wamid: a, status: 'sent' },
				{ wamid: a, status: 'failed', errors: [131049] },
			]);
			expect(results).toHaveLength(2);
			expect(hook.received).toHaveLength(2);
			const statuses = hook.received.map((r) => JSON.parse(r.raw.toString('utf8')).entry[0].changes[0].value.statuses);
			expect(statuses[0]).toEqual([
				{
					id: a,
					status: 'sent',
					timestamp: expect.stringMatching(/^\d{10}$/),
					recipient_id: '5511900000001',
					recipient_user_id: bsuidFor('5511900000001'),
				},
			]);
			// A failed status of a send to a number has no BSUID (Meta: "For `failed` status messages, will be omitted if the message was sent to the user's phone number").
			expect(statuses[1][0]).toMatchObject({ recipient_id: '5511900000001' });
			expect(statuses[1][0]).not.toHaveProperty('recipient_user_id');
			const documented = read('meta-docs/webhook-status-failed-131049.json').entry[0].changes[0].value.statuses[0].errors[0];
			expect(Object.keys(statuses[1][0].errors[0])).toEqual(Object.keys(documented));
			expect(statuses[1][0].errors[0]).toMatchObject({
				code: 131049,
				title: row(131049).title,
				message: row(131049).title,
				error_data: { details: row(131049).meaning },
			});
		});

		it('refuses to build a status for a wamid it never issued without number and recipient', async () => {
			await expect(sim.deliverStatuses([{ wamid: 'wamid.UNKNOWN', status: 'read' }])).rejects.toThrow(/wamid.UNKNOWN/);
			expect(hook.received).toEqual([]);
		});

		it("delivers an inbound message serialized as Meta does (escaped non-ASCII and '/'), signed over those bytes", async () => {
			const res = await sim.deliverInboundMessage({
				phoneNumberId: NUMBER.phoneNumberId,
				from: '5511987654321',
				name: 'José',
				message: 'café 😀 https://x.y/z',
			});
			expect(res).toEqual({ status: 200, body: '{"success":true}' });
			const { raw, signature } = hook.received[0];
			expect(raw.toString('utf8')).toContain('"text":{"body":"caf\\u00e9 \\ud83d\\ude00 https:\\/\\/x.y\\/z"}');
			expect(verifySignature(raw, signature, [SECRET]).ok).toBe(true);
			// The same object re-serialized the JavaScript way is other bytes: the signature would not verify.
			expect(verifySignature(JSON.stringify(JSON.parse(raw.toString('utf8'))), signature, [SECRET]).ok).toBe(false);
			const value = JSON.parse(raw.toString('utf8')).entry[0].changes[0].value;
			// The user's BSUID with their number, as Meta sends every message since April 2026.
			expect(bsuidFor('5511987654321')).toMatch(/^US\.\d{20}$/);
			expect(value.contacts).toEqual([{ profile: { name: 'José' }, wa_id: '5511987654321', user_id: bsuidFor('5511987654321') }]);
			expect(value.messages).toEqual([
				{
					from: '5511987654321',
					from_user_id: bsuidFor('5511987654321'),
					id: expect.stringMatching(/^wamid\./),
					timestamp: expect.stringMatching(/^\d+$/),
					type: 'text',
					text: { body: 'café 😀 https://x.y/z' },
				},
			]);
			// Not checked against the spec's WebhookPayload: its inbound `messages` branch reuses the send
			// schemas (requires `to`, forbids `from`) and rejects Meta's own meta-docs/webhook-incoming-text.json.
			expect(value).toEqual({
				...read('meta-docs/webhook-incoming-text.json').entry[0].changes[0].value,
				metadata: value.metadata,
				contacts: value.contacts,
				messages: value.messages,
			});
		});

		it("delivers a raw payload with the number's secret when the target has none, or a forged signature", async () => {
			sim.webhookTarget = { url: hook.url };
			const payload = read('meta-docs/webhook-status-sent-marketing.json');
			await sim.deliverRaw(payload);
			await sim.deliverRaw(payload, undefined, { signature: 'sha256=00' });
			expect(hook.received[0].signature).toBe(signPayload(hook.received[0].raw, NUMBER.appSecret));
			expect(hook.received[1].signature).toBe('sha256=00');
			expect(hook.received[0].contentType).toBe('application/json');
		});
	});

	describe('media', () => {
		// Node's own fetch, FormData and Blob (the compiler's lib here has no DOM types).
		const { fetch, FormData, Blob } = globalThis as Any;
		const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x80, 0xfe]);
		/** A real multipart/form-data upload (Node's fetch builds the body). */
		function upload(
			fields: Record<string, string>,
			file?: { bytes: Buffer; name: string; type: string },
			token = NUMBER.accessToken,
		): Promise<Any> {
			const form = new FormData();
			for (const [k, v] of Object.entries(fields)) form.append(k, v);
			if (file) form.append('file', new Blob([file.bytes], { type: file.type }), file.name);
			return fetch(`${base}/v23.0/${NUMBER.phoneNumberId}/media`, {
				method: 'POST',
				headers: { Authorization: `Bearer ${token}` },
				body: form,
			});
		}

		it('serves a contact’s media: where it is (owner’s token only), then its bytes', async () => {
			sim.addNumber(OTHER);
			const id = sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes, mimeType: 'image/jpeg' });
			const info = await call(`${base}/v23.0/${id}`);
			expect(info.body).toEqual({
				messaging_product: 'whatsapp',
				url: expect.stringMatching(new RegExp(`^${base}/whatsapp_business/attachments/\\?mid=${id}&ext=\\d+$`)),
				mime_type: 'image/jpeg',
				sha256: expect.any(String),
				file_size: '7',
				id,
			});
			expect((await call(`${base}/v23.0/${id}`, { token: OTHER.accessToken })).body.error.code).toBe(190);
			// A contact's media is not one a business number uploaded: Meta refuses `phone_number_id` for it, its own number's too.
			for (const number of [NUMBER, OTHER]) {
				const refused = await call(`${base}/v23.0/${id}?phone_number_id=${number.phoneNumberId}`);
				expect([refused.status, refused.body.error]).toEqual([
					400,
					{
						message: 'Param phone_number_id is not a valid whatsapp business phone number id ID',
						type: 'OAuthException',
						code: 100,
						fbtrace_id: expect.any(String),
					},
				]);
			}
			const download = await fetch(info.body.url, { headers: { Authorization: `Bearer ${NUMBER.accessToken}` } });
			expect(download.status).toBe(200);
			expect(download.headers.get('content-type')).toBe('image/jpeg');
			expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
			expect((await fetch(info.body.url)).status).toBe(401);
			expect((await fetch(info.body.url, { headers: { Authorization: `Bearer ${OTHER.accessToken}` } })).status).toBe(401);
			expect(sim.violations).toEqual([]);
		});

		it('keeps the sha256 a test gives, and counts only downloads it served', async () => {
			const id = sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes,
				mimeType: 'audio/ogg',
				id: '1003383421387256',
				sha256: 'given+sha=',
			});
			expect(id).toBe('1003383421387256');
			expect(sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes, mimeType: 'image/jpeg' })).toMatch(/^\d{13,14}$/);
			const info = await call(`${base}/v23.0/${id}`);
			expect(info.body).toMatchObject({ sha256: 'given+sha=', mime_type: 'audio/ogg' });
			expect(sim.requests[0].operation).toBe('GET /{Version}/{Media-ID}');
			await fetch(info.body.url);
			expect(sim.mediaDownloads).toEqual([]);
			await fetch(info.body.url, { headers: { Authorization: `Bearer ${NUMBER.accessToken}` } });
			expect(sim.mediaDownloads).toEqual([id]);
			const unknown = await fetch(`${base}/whatsapp_business/attachments/?mid=1`, {
				headers: { Authorization: `Bearer ${NUMBER.accessToken}` },
			});
			expect(unknown.status).toBe(404);
		});

		it('answers an unknown media id with Meta’s nonexistent-object error', async () => {
			const res = await call(`${base}/v23.0/424242424242`);
			expect(res.status).toBe(400);
			expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
		});

		it('takes a multipart upload, validated against the spec, and keeps its bytes', async () => {
			const res = await upload(
				{ messaging_product: 'whatsapp', type: 'application/pdf' },
				{ bytes, name: 'a.pdf', type: 'application/pdf' },
			);
			expect(res.status).toBe(200);
			const { id } = (await res.json()) as { id: string };
			expect(sim.uploadedMedia).toEqual([
				expect.objectContaining({ id, phoneNumberId: NUMBER.phoneNumberId, mimeType: 'application/pdf', filename: 'a.pdf', bytes }),
			]);
			expect(sim.requestsTo('/media')[0]).toMatchObject({
				body: { messaging_product: 'whatsapp', type: 'application/pdf', file: '<binary>' },
				operation: 'POST /{Version}/{Phone-Number-ID}/media',
			});
			// Sent by id: accepted; an id the number never uploaded nor received: error 131053.
			const document = (mediaId: string) => ({
				messaging_product: 'whatsapp',
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'document',
				document: { id: mediaId, filename: 'a.pdf' },
			});
			expect((await call(messagesUrl, { method: 'POST', body: document(id) })).status).toBe(200);
			const unknown = await call(messagesUrl, { method: 'POST', body: document('123') });
			expect(unknown.body.error.code).toBe(131053);
			expect(sim.violations).toEqual([]);
		});

		it('refuses an upload without type or file, and over Meta’s size limit for the type', async () => {
			const noType = await upload({ messaging_product: 'whatsapp' }, { bytes, name: 'a.jpg', type: 'image/jpeg' });
			expect(noType.status).toBe(400);
			expect(((await noType.json()) as Any).error.code).toBe(100);
			expect(sim.violations.map((v) => v.errors)).toEqual([[expect.stringContaining("must have required property 'type'")]]);
			const noFile = await upload({ messaging_product: 'whatsapp', type: 'image/jpeg' });
			expect(((await noFile.json()) as Any).error.code).toBe(100);
			const big = await upload(
				{ messaging_product: 'whatsapp', type: 'image/png' },
				{ bytes: Buffer.alloc(5 * 1024 * 1024 + 1), name: 'b.png', type: 'image/png' },
			);
			expect(((await big.json()) as Any).error.code).toBe(131053);
			// A sticker (WebP) is limited to 500 KB.
			const sticker = await upload(
				{ messaging_product: 'whatsapp', type: 'image/webp' },
				{ bytes: Buffer.alloc(500 * 1024 + 1), name: 's.webp', type: 'image/webp' },
			);
			expect(((await sticker.json()) as Any).error.code).toBe(131053);
			expect(sim.uploadedMedia).toEqual([]);
		});

		it('refuses a file part of a type Meta does not take, whatever the `type` field says', async () => {
			const octets = await upload(
				{ messaging_product: 'whatsapp', type: 'image/png' },
				{ bytes, name: 'a.png', type: 'application/octet-stream' },
			);
			expect(octets.status).toBe(400);
			const { error } = (await octets.json()) as Any;
			expect(error).toMatchObject({
				code: 100,
				type: 'OAuthException',
				message: expect.stringMatching(
					/^\(#100\) Param file must be a file with one of the following types: audio\/aac, .* Received file of type 'application\/octet-stream'\.$/,
				),
			});
			const zip = await upload(
				{ messaging_product: 'whatsapp', type: 'application/zip' },
				{ bytes, name: 'a.zip', type: 'application/zip' },
			);
			expect(((await zip.json()) as Any).error.code).toBe(100);
			// A parameter of the part's type (a voice note's codec) does not matter.
			const voice = await upload(
				{ messaging_product: 'whatsapp', type: 'audio/ogg' },
				{ bytes, name: 'v.ogg', type: 'audio/ogg; codecs=opus' },
			);
			expect(voice.status).toBe(200);
			expect(sim.uploadedMedia.map((m) => m.mimeType)).toEqual(['audio/ogg']);
		});

		it('sends a media message by id only for a media of the sending number; by link always', async () => {
			sim.addNumber(OTHER);
			const theirs = sim.addMedia({ phoneNumberId: OTHER.phoneNumberId, bytes, mimeType: 'image/jpeg' });
			const mine = sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes, mimeType: 'image/jpeg' });
			const image = (media: Record<string, string>) => ({
				messaging_product: 'whatsapp',
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'image',
				image: media,
			});
			expect((await call(messagesUrl, { method: 'POST', body: image({ id: theirs }) })).body.error.code).toBe(131053);
			expect((await call(messagesUrl, { method: 'POST', body: image({ id: mine }) })).status).toBe(200);
			expect((await call(messagesUrl, { method: 'POST', body: image({ link: 'https://example.com/a.jpg' }) })).status).toBe(200);
			expect(sim.sentMessages.map((m) => m.body.image)).toEqual([{ id: mine }, { link: 'https://example.com/a.jpg' }]);
			expect(sim.violations).toEqual([]);
		});

		it('takes a read receipt without counting it as a sent message', async () => {
			const res = await call(messagesUrl, {
				method: 'POST',
				body: { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X' },
			});
			expect(res.body).toEqual({ success: true });
			expect(sim.readReceipts).toEqual(['wamid.X']);
			expect(sim.sentMessages).toEqual([]);
			expect(sim.violations).toEqual([]);
		});
	});
});

describe('metaSpec validator', () => {
	const HEADERS = { authorization: 'Bearer EAAGOOD', 'content-type': 'application/json' };
	const validateSend = (body: unknown) =>
		validateRequest({ method: 'POST', path: '/v23.0/106540352242922/messages', headers: HEADERS, body });
	const examples: Record<string, Any> = read('meta-openapi/send-template-request.examples.json');
	// Documented defects of two spec examples, not of the schema: "Send Sample Issue Resolution
	// Template" puts booleans in `text` (contracts README), and the media examples use the
	// placeholder `http(s)://the-image-url`, which is no URL. Both are repaired before validating.
	const repaired = (body: Any): Any =>
		JSON.parse(
			JSON.stringify(body)
				.replace(/"text":(true|false)/g, '"text":"$1"')
				.replace(/http\(s\):\/\/the-image-url/g, 'https://example.com/image.jpg'),
		);

	it.each(Object.keys(examples))('accepts the spec example "%s"', (name) => {
		expect(validateSend(repaired(examples[name]))).toEqual({
			ok: true,
			operation: 'POST /{Version}/{Phone-Number-ID}/messages',
			errors: [],
		});
	});

	it('rejects the defective examples as they stand, for their documented defects only', () => {
		const resolution = validateSend(examples['Send Sample Issue Resolution Template']).errors;
		expect(resolution.length).toBeGreaterThan(0);
		expect(resolution.filter((e) => !/components\/[12]( |\/parameters\/0( |\/text ))/.test(e))).toEqual([]);
		const media = validateSend(examples['Send Message Template Media']).errors;
		expect(media.length).toBeGreaterThan(0);
		expect(media.filter((e) => !/components\/0( |\/parameters\/0( |\/image))/.test(e))).toEqual([]);
	});

	const docs = fs.readdirSync(path.join(CONTRACTS_DIR, 'meta-docs')).filter((f) => /^send-template-.*\.request\.json$/.test(f));
	it.each(docs)('accepts the Meta docs send %s', (file) => {
		expect(validateSend(read(`meta-docs/${file}`)).errors).toEqual([]);
	});

	it("accepts the docs' location header component in a send", () => {
		const body = {
			...send(),
			template: {
				name: 'store_location',
				language: { code: 'en_US' },
				components: [read('meta-docs/send-template-location-header.component.json')],
			},
		};
		expect(validateSend(body).errors).toEqual([]);
	});

	it('rejects a send without Authorization, with a wrong content type, or to an operation Meta does not have', () => {
		expect(
			validateRequest({ method: 'POST', path: '/v23.0/1/messages', headers: { 'content-type': 'application/json' }, body: send() })
				.errors,
		).toEqual(['missing header parameter Authorization']);
		expect(
			validateRequest({
				method: 'POST',
				path: '/v23.0/1/messages',
				headers: { ...HEADERS, 'content-type': 'text/plain' },
				body: send(),
			}).ok,
		).toBe(false);
		expect(
			validateRequest({
				method: 'POST',
				path: '/v23.0/1/messages',
				headers: { ...HEADERS, 'content-type': 'application/json; charset=utf-8' },
				body: send(),
			}).ok,
		).toBe(true);
		expect(validateRequest({ method: 'PUT', path: '/v23.0/1/messages', headers: HEADERS }).ok).toBe(false);
	});

	it('prefers literal segments and checks typed query parameters', () => {
		const get = (p: string, query?: Record<string, string>) => validateRequest({ method: 'GET', path: p, query, headers: HEADERS });
		expect(get('/v23.0/102290129340398/message_templates').operation).toBe('GET /{Version}/{WABA-ID}/message_templates');
		expect(get('/v23.0/102290129340398/phone_numbers', { limit: '100' }).ok).toBe(true);
		expect(get('/v23.0/102290129340398/phone_numbers', { limit: '101' }).errors).toEqual([
			expect.stringContaining('limit must be <= 100'),
		]);
		expect(
			validateRequest({ method: 'GET', path: '/v23.0/106540352242922', headers: HEADERS, template: '/{Version}/{Phone-Number-ID}' })
				.operation,
		).toBe('GET /{Version}/{Phone-Number-ID}');
	});

	it('validates a multipart upload as its form fields against the operation’s multipart/form-data schema (with `type` patched in)', () => {
		const upload = (body: unknown, contentType = 'multipart/form-data; boundary=x') =>
			validateRequest({
				method: 'POST',
				path: '/v23.0/106540352242922/media',
				headers: { ...HEADERS, 'content-type': contentType },
				body,
				template: '/{Version}/{Phone-Number-ID}/media',
			});
		expect(upload({ messaging_product: 'whatsapp', type: 'image/jpeg', file: '<binary>' })).toEqual({
			ok: true,
			operation: 'POST /{Version}/{Phone-Number-ID}/media',
			errors: [],
		});
		expect(upload({ messaging_product: 'whatsapp', file: '<binary>' }).errors).toEqual([
			expect.stringContaining("must have required property 'type'"),
		]);
		expect(upload({ messaging_product: 'whatsapp', type: 'image/jpeg' }).errors).toEqual([
			expect.stringContaining("must have required property 'file'"),
		]);
		expect(upload({ messaging_product: 'whatsapp', type: 'not a mime', file: '<binary>' }).ok).toBe(false);
		// The operation takes only a form: a JSON body is refused.
		expect(upload({ messaging_product: 'whatsapp', type: 'image/jpeg', file: 'x' }, 'application/json').ok).toBe(false);
	});

	it("validates webhook payloads, with the spec's missing `played` status patched in", () => {
		expect(validateSchema('WebhookPayload', read('pywa/message_status.json').played).ok).toBe(true);
		const bogus = JSON.parse(JSON.stringify(read('pywa/message_status.json').played));
		bogus.entry[0].changes[0].value.statuses[0].status = 'teleported';
		expect(validateSchema('WebhookPayload', bogus).ok).toBe(false);
		expect(validateSchema('NoSuchSchema', {}).ok).toBe(false);
	});
});
