import * as fs from 'fs';
import * as path from 'path';

import { AppError, GraphApiError, isAppSecretRefusal, mayHaveBeenSent, NetworkError } from '../../../../src/core/errors';
import { GraphClient, HttpPort, HttpRequest, HttpResponse, MAX_PAGES } from '../../../../src/core/graph/GraphClient';
import { CONTRACTS_DIR, validateRequest } from '../../../support/metaSpec';

const TOKEN = 'EAAGm0PX4ZCpsBAtoken-secret-123';
const PHONE_NUMBER_ID = '106540352242922';
const WABA_ID = '102290129340398';
const GET_HEADERS = { Authorization: `Bearer ${TOKEN}` };

const fixtureText = (file: string): string => fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8');
const fixture = (file: string) => JSON.parse(fixtureText(file));

/** Answers each request with the next scripted response (an Error rejects, like a failed transport). */
function fakePort(responses: Array<HttpResponse | Error>): HttpPort & { sent: HttpRequest[] } {
	const sent: HttpRequest[] = [];
	return {
		sent,
		async send(req) {
			sent.push(req);
			const next = responses.shift();
			if (!next) throw new Error('test: no response scripted');
			if (next instanceof Error) throw next;
			return next;
		},
	};
}

const ok = (payload: unknown): HttpResponse => ({ status: 200, body: JSON.stringify(payload) });
const client = (port: HttpPort) => new GraphClient({ http: port, accessToken: TOKEN });

/** The request checked against Meta's OpenAPI spec (path, query and header parameters, JSON body). */
function specErrors(req: HttpRequest, template?: string): string[] {
	const url = new URL(req.url);
	return validateRequest({
		method: req.method,
		path: url.pathname,
		query: Object.fromEntries(url.searchParams),
		headers: req.headers,
		body: req.body === undefined ? undefined : JSON.parse(req.body as string),
		template,
	}).errors;
}

describe('GraphClient.sendMessage', () => {
	it('POSTs the payload as JSON with the token and returns Meta’s answer', async () => {
		const answer = fixture('meta-openapi/send-message-response.examples.json')['Example response'];
		const payload = fixture('meta-docs/send-template-named-params.request.json');
		const port = fakePort([ok(answer)]);
		const graph = new GraphClient({
			http: port,
			accessToken: TOKEN,
			baseUrl: 'http://127.0.0.1:9/',
			version: 'v22.0',
			timeoutMs: 5000,
		});
		await expect(graph.sendMessage(PHONE_NUMBER_ID, payload)).resolves.toEqual(answer);
		expect(port.sent).toEqual([
			{
				method: 'POST',
				url: `http://127.0.0.1:9/v22.0/${PHONE_NUMBER_ID}/messages`,
				headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
				body: JSON.stringify(payload),
				timeoutMs: 5000,
			},
		]);
		expect(specErrors(port.sent[0])).toEqual([]);
	});

	it('uses graph.facebook.com, v23.0 and a 10 s timeout by default', async () => {
		const port = fakePort([
			ok({
				messaging_product: 'whatsapp',
				contacts: [{ input: '16505551234', wa_id: '16505551234' }],
				messages: [{ id: 'wamid.X' }],
			}),
		]);
		const payload = {
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '16505551234',
			type: 'text',
			text: { body: 'café 😀 https://x/y' },
		};
		await client(port).sendMessage(PHONE_NUMBER_ID, payload);
		expect(port.sent).toEqual([
			{
				method: 'POST',
				url: `https://graph.facebook.com/v23.0/${PHONE_NUMBER_ID}/messages`,
				headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
				body: '{"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"text","text":{"body":"café 😀 https://x/y"}}',
				timeoutMs: 10000,
			},
		]);
	});
});

describe('GraphClient.getPhoneNumber', () => {
	it('GETs the number with its fields and returns it typed', async () => {
		const port = fakePort([
			ok({
				id: '106853218861309',
				display_phone_number: '+1 555-555-5555',
				verified_name: 'Jaspers Market',
				quality_rating: 'GREEN',
			}),
		]);
		const info = await client(port).getPhoneNumber(PHONE_NUMBER_ID);
		expect(info).toEqual({
			id: '106853218861309',
			display_phone_number: '+1 555-555-5555',
			verified_name: 'Jaspers Market',
			quality_rating: 'GREEN',
		});
		expect(port.sent).toEqual([
			{
				method: 'GET',
				url: `https://graph.facebook.com/v23.0/${PHONE_NUMBER_ID}?fields=id,display_phone_number,verified_name,quality_rating`,
				headers: GET_HEADERS,
				body: undefined,
				timeoutMs: 10000,
			},
		]);
		expect(specErrors(port.sent[0], '/{Version}/{Phone-Number-ID}')).toEqual([]);
	});

	it('percent-encodes an id so it cannot change the path', async () => {
		const port = fakePort([ok({ id: '1' })]);
		await client(port).getPhoneNumber('1/messages?x=1');
		expect(port.sent[0].url).toBe(
			'https://graph.facebook.com/v23.0/1%2Fmessages%3Fx%3D1?fields=id,display_phone_number,verified_name,quality_rating',
		);
	});
});

describe('GraphClient.listPhoneNumbers', () => {
	it('GETs the WABA phone numbers, following the paging', async () => {
		const port = fakePort([
			ok({
				data: [{ id: '1906385232743451' }],
				paging: {
					cursors: { before: 'MA==', after: 'MQ==' },
					next: `https://graph.facebook.com/v23.0/${WABA_ID}/phone_numbers?limit=100&after=MQ%3D%3D`,
				},
			}),
			ok({ data: [{ id: '1913623884432103' }], paging: { cursors: { before: 'Mg==', after: 'Mg==' } } }),
		]);
		await expect(client(port).listPhoneNumbers(WABA_ID)).resolves.toEqual([{ id: '1906385232743451' }, { id: '1913623884432103' }]);
		const base = `https://graph.facebook.com/v23.0/${WABA_ID}/phone_numbers?fields=id,display_phone_number,verified_name&limit=100`;
		expect(port.sent).toEqual([
			{ method: 'GET', url: base, headers: GET_HEADERS, body: undefined, timeoutMs: 10000 },
			{ method: 'GET', url: `${base}&after=MQ%3D%3D`, headers: GET_HEADERS, body: undefined, timeoutMs: 10000 },
		]);
		for (const req of port.sent) expect(specErrors(req)).toEqual([]);
	});

	it('returns an empty list for a WABA without numbers', async () => {
		await expect(client(fakePort([ok({ data: [] })])).listPhoneNumbers(WABA_ID)).resolves.toEqual([]);
	});
});

describe('GraphClient.listSubscribedApps', () => {
	it("GETs the apps subscribed to the WABA's webhooks, as Meta's reference shows them", async () => {
		const app = {
			whatsapp_business_api_data: { id: '67084...', name: 'Jaspers Market', link: 'https://www.facebook.com/games/?app_id=67084...' },
		};
		const port = fakePort([ok({ data: [app] })]);
		await expect(client(port).listSubscribedApps(WABA_ID)).resolves.toEqual([app]);
		expect(port.sent).toEqual([
			{
				method: 'GET',
				url: `https://graph.facebook.com/v23.0/${WABA_ID}/subscribed_apps`,
				headers: GET_HEADERS,
				body: undefined,
				timeoutMs: 10000,
			},
		]);
		expect(specErrors(port.sent[0], '/{Version}/{WABA-ID}/subscribed_apps')).toEqual([]);
	});

	it('answers an empty list as it is, and no list as undefined (Meta could not say)', async () => {
		await expect(client(fakePort([ok({ data: [] })])).listSubscribedApps(WABA_ID)).resolves.toEqual([]);
		await expect(client(fakePort([ok({ success: true })])).listSubscribedApps(WABA_ID)).resolves.toBeUndefined();
	});
});

describe('GraphClient.debugToken', () => {
	it("GETs Meta's word on its own token, and reads its app, expiry and permissions", async () => {
		// Fields as the Graph API reference ("Debug-Token") lists them.
		const port = fakePort([
			ok({
				data: {
					app_id: '1234567890123456',
					type: 'USER',
					application: 'Business Messaging App',
					expires_at: 1765224000,
					is_valid: true,
					issued_at: 1765137600,
					scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'],
					granular_scopes: [{ scope: 'whatsapp_business_messaging', target_ids: [WABA_ID] }],
					user_id: '122100000000000001',
				},
			}),
		]);
		await expect(client(port).debugToken()).resolves.toEqual({
			appId: '1234567890123456',
			expiresAt: 1765224000,
			scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'],
		});
		expect(port.sent).toEqual([
			{
				method: 'GET',
				url: `https://graph.facebook.com/v23.0/debug_token?input_token=${TOKEN}`,
				headers: GET_HEADERS,
				body: undefined,
				timeoutMs: 10000,
			},
		]);
	});

	it("reads a system user's permanent token (expires_at 0) as never expiring, and a token Meta does not call valid as no answer", async () => {
		await expect(client(fakePort([ok({ data: { app_id: 42, expires_at: 0, is_valid: true } })])).debugToken()).resolves.toEqual({
			appId: '42',
		});
		for (const answer of [
			{ data: { is_valid: false, error: { code: 190, message: 'Invalid OAuth access token.' }, scopes: [] } },
			{ data: { app_id: '1', expires_at: 0 } },
			{ success: true },
		])
			await expect(client(fakePort([ok(answer)])).debugToken()).resolves.toBeUndefined();
	});

	it('does not ask through a proxy named as the base URL (the token would be in the address it may log); asks Meta and a loopback simulator', async () => {
		for (const baseUrl of ['https://graph-proxy.example.com', 'https://graph.facebook.com.example.com', 'http://graph.facebook.com']) {
			const port = fakePort([ok({ data: { app_id: '1', is_valid: true } })]);
			await expect(new GraphClient({ http: port, accessToken: TOKEN, baseUrl }).debugToken()).resolves.toBeUndefined();
			expect(port.sent).toEqual([]);
		}
		for (const baseUrl of ['https://graph.facebook.com', 'http://127.0.0.1:8080', 'http://localhost:9']) {
			const port = fakePort([ok({ data: { app_id: '1', is_valid: true } })]);
			await expect(new GraphClient({ http: port, accessToken: TOKEN, baseUrl }).debugToken()).resolves.toEqual({ appId: '1' });
			expect(port.sent.map((r) => r.url)).toEqual([`${baseUrl}/v23.0/debug_token?input_token=${TOKEN}`]);
		}
	});

	it('takes no expiry past the year 9999, nor one that is no whole number of seconds', async () => {
		for (const expires_at of [253402300800, 8.64e12, 1e300, 1.5, -5])
			await expect(client(fakePort([ok({ data: { app_id: '1', expires_at, is_valid: true } })])).debugToken()).resolves.toEqual({
				appId: '1',
			});
	});

	it('keeps the token out of the error of a call that got no answer, as written and percent-encoded', async () => {
		const odd = 'EAA|odd)token%';
		const failed = await new GraphClient({
			http: fakePort([new Error(`failed: /v23.0/debug_token?input_token=${encodeURIComponent(odd)} and ${odd}`)]),
			accessToken: odd,
		})
			.debugToken()
			.catch((e: unknown) => e);
		expect(String((failed as Error).message)).not.toContain(encodeURIComponent(odd));
		expect(String((failed as Error).message)).not.toContain(odd);
	});

	it('keeps the token out of the error of a call that got no answer', async () => {
		const error = await client(fakePort([new Error(`connect ECONNREFUSED for /debug_token?input_token=${TOKEN}`)]))
			.debugToken()
			.catch((e: unknown) => e);
		expect(JSON.stringify(error)).not.toContain(TOKEN);
		expect(String((error as Error).message)).not.toContain(TOKEN);
	});
});

describe('GraphClient templates', () => {
	it('GETs one page with every filter', async () => {
		const page = fixture('meta-docs/templates-list-fields-limit5.response.json');
		const port = fakePort([ok(page)]);
		const result = await client(port).listTemplatesPage(WABA_ID, {
			fields: ['name', 'category', 'status'],
			limit: 5,
			status: 'APPROVED',
			name: 'order confirmation',
			language: 'en_US',
			after: 'QVFI=',
		});
		expect(result).toEqual(page);
		expect(port.sent).toEqual([
			{
				method: 'GET',
				url: `https://graph.facebook.com/v23.0/${WABA_ID}/message_templates?fields=name,category,status&limit=5&status=APPROVED&name=order%20confirmation&language=en_US&after=QVFI%3D`,
				headers: GET_HEADERS,
				body: undefined,
				timeoutMs: 10000,
			},
		]);
		expect(specErrors(port.sent[0])).toEqual([]);
	});

	it('GETs a page without a query string when no filter is given', async () => {
		const port = fakePort([ok(fixture('meta-openapi/message-templates-list-response.example.json'))]);
		await client(port).listTemplatesPage(WABA_ID);
		expect(port.sent[0].url).toBe(`https://graph.facebook.com/v23.0/${WABA_ID}/message_templates`);
	});

	it('follows paging.next across 3 pages (cursor, then the next URL when cursors are missing)', async () => {
		const [p1, p2, p3] = [
			'meta-docs/templates-list-fields-limit5.response.json',
			'meta-docs/templates-list-status-approved.response.json',
			'meta-openapi/message-templates-list-response.example.json',
		].map(fixture);
		p1.paging = {
			cursors: { before: 'B1', after: 'A1' },
			next: `https://graph.facebook.com/v23.0/${WABA_ID}/message_templates?limit=5&after=A1`,
		};
		p2.paging = { next: `https://graph.facebook.com/v23.0/${WABA_ID}/message_templates?limit=5&after=A%2F2&status=APPROVED` };
		delete p3.paging.next;
		const port = fakePort([ok(p1), ok(p2), ok(p3)]);
		const all = await client(port).listAllTemplates<{ name: string }>(WABA_ID, { limit: 5, status: 'APPROVED' });
		expect(all.map((t) => t.name)).toEqual([...p1.data, ...p2.data, ...p3.data].map((t: { name: string }) => t.name));
		expect(all).toHaveLength(13);
		const base = `https://graph.facebook.com/v23.0/${WABA_ID}/message_templates?limit=5&status=APPROVED`;
		expect(port.sent).toEqual(
			[base, `${base}&after=A1`, `${base}&after=A%2F2`].map((url) => ({
				method: 'GET',
				url,
				headers: GET_HEADERS,
				body: undefined,
				timeoutMs: 10000,
			})),
		);
	});

	it('stops at a page without paging.next even if it has cursors', async () => {
		const only = fixture('meta-openapi/message-templates-list-response.example.json');
		const port = fakePort([ok(only)]);
		await expect(client(port).listAllTemplates(WABA_ID)).resolves.toEqual(only.data);
		expect(port.sent).toHaveLength(1);
	});

	it('fails instead of looping when Meta repeats a cursor', async () => {
		const page = { data: [{ name: 'a' }], paging: { cursors: { after: 'SAME' }, next: 'https://graph.facebook.com/next' } };
		const port = fakePort([ok(page), ok(page), ok(page)]);
		const promise = client(port).listAllTemplates(WABA_ID);
		await expect(promise).rejects.toBeInstanceOf(AppError);
		await expect(promise).rejects.toMatchObject({ code: 'graph_paging', i18nKey: 'error_graph_unavailable' });
		expect(port.sent).toHaveLength(2);
	});

	it('fails when paging.next gives no cursor at all', async () => {
		const port = fakePort([ok({ data: [], paging: { next: 'https://graph.facebook.com/next' } })]);
		await expect(client(port).listAllTemplates(WABA_ID)).rejects.toMatchObject({ code: 'graph_paging' });
	});

	it(`fails after ${MAX_PAGES} pages rather than return a truncated list`, async () => {
		const port = fakePort(
			Array.from({ length: MAX_PAGES + 5 }, (_, i) =>
				ok({ data: [{ name: `t${i}` }], paging: { cursors: { after: `C${i}` }, next: 'https://graph.facebook.com/next' } }),
			),
		);
		await expect(client(port).listAllTemplates(WABA_ID)).rejects.toThrow(`Graph API paging went past ${MAX_PAGES} pages`);
		expect(port.sent).toHaveLength(MAX_PAGES);
	});
});

/** HTTP status of an example in graph-error-responses.examples.json, from its key. */
function statusOf(key: string): number {
	const explicit = /-> (\d{3})$/.exec(key);
	if (explicit) return Number(explicit[1]);
	const byCategory: Record<string, number> = {
		BadRequest: 400,
		Unauthorized: 401,
		Forbidden: 403,
		NotFound: 404,
		TooManyRequests: 429,
		InternalServerError: 500,
	};
	return byCategory[key.split('.')[2]];
}

describe('GraphClient errors', () => {
	const examples = Object.entries<{ error: Record<string, unknown> }>(fixture('meta-openapi/graph-error-responses.examples.json'));

	it.each(examples)('maps %s to a GraphApiError with Meta’s fields', async (key, envelope) => {
		const status = statusOf(key);
		expect(status).toBeGreaterThanOrEqual(400);
		const port = fakePort([{ status, body: JSON.stringify(envelope) }]);
		const promise = client(port).sendMessage(PHONE_NUMBER_ID, { to: '1' });
		await expect(promise).rejects.toBeInstanceOf(GraphApiError);
		await expect(promise).rejects.toMatchObject({
			httpStatus: status,
			graphCode: envelope.error.code,
			subcode: envelope.error.error_subcode,
			type: envelope.error.type,
			graphMessage: envelope.error.message,
			fbtraceId: envelope.error.fbtrace_id,
			message: `Graph API error ${envelope.error.code}: ${envelope.error.message}`,
		});
	});

	it('maps the error-codes page envelope (130429, error_data)', async () => {
		const port = fakePort([{ status: 400, body: fixtureText('meta-docs/graph-error-130429.error-codes-page.json') }]);
		await expect(client(port).sendMessage(PHONE_NUMBER_ID, {})).rejects.toMatchObject({
			graphCode: 130429,
			subcode: 2494055,
			errorData: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
			fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
		});
	});

	it.each([
		[502, '<html><head><title>502 Bad Gateway</title></head></html>'],
		[503, ''],
		[500, 'upstream connect error'],
	])('maps a non-JSON %i body to a GraphApiError with graphCode 0 and the HTTP status', async (status, body) => {
		const promise = client(fakePort([{ status, body }])).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toBeInstanceOf(GraphApiError);
		await expect(promise).rejects.toMatchObject({
			graphCode: 0,
			httpStatus: status,
			type: 'HttpError',
			i18nKey: 'error_graph_unavailable',
		});
	});

	it.each([
		['an empty object', '{}'],
		['no message', '{"messaging_product":"whatsapp","messages":[]}'],
		['a message without its id', '{"messaging_product":"whatsapp","messages":[{"message_status":"accepted"}]}'],
		['null', 'null'],
	])("refuses a send's 2xx answer without the message's id (%s): not Meta's, so the message may have been sent", async (_what, body) => {
		const error = await client(fakePort([{ status: 200, body }]))
			.sendMessage(PHONE_NUMBER_ID, { to: '1' })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(GraphApiError);
		expect(error).toMatchObject({
			graphCode: 0,
			httpStatus: 200,
			type: 'HttpError',
			message: 'Graph API error 200: HTTP 200 without a message id',
		});
		expect(mayHaveBeenSent(error)).toBe(true);
	});

	it('refuses a 2xx answer that is not JSON', async () => {
		await expect(client(fakePort([{ status: 200, body: '<html>' }])).getPhoneNumber(PHONE_NUMBER_ID)).rejects.toMatchObject({
			graphCode: 0,
			httpStatus: 200,
		});
	});

	it('maps a transport timeout to a NetworkError that says so', async () => {
		const promise = client(
			fakePort([Object.assign(new Error('Request timed out after 10000ms'), { code: 'ETIMEDOUT' })]),
		).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toBeInstanceOf(NetworkError);
		await expect(promise).rejects.toMatchObject({ timedOut: true, code: 'network_timeout', i18nKey: 'error_graph_timed_out' });
	});

	it("maps Rocket.Chat's HTTP bridge running out of time (its fetch aborts: node-fetch's AbortError) to a timeout", async () => {
		const promise = client(fakePort([new Error('The user aborted a request.')])).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toMatchObject({ timedOut: true, code: 'network_timeout' });
	});

	it('maps a connection that timed out before it was made to an unreachable Meta (nothing was sent), not a timeout', async () => {
		for (const error of [
			Object.assign(new Error('connect ETIMEDOUT 157.240.0.35:443'), { code: 'ETIMEDOUT' }),
			Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
		]) {
			const promise = client(fakePort([error])).getPhoneNumber(PHONE_NUMBER_ID);
			await expect(promise).rejects.toMatchObject({ timedOut: false, reached: false, code: 'network_error' });
		}
	});

	/**
	 * A failure as it reaches the app through Rocket.Chat's HTTP bridge: node-fetch's FetchError
	 * ("request to <url> failed, reason: ..."), its message alone (the engine passes on no code).
	 */
	const viaBridge = (reason: string, url = `https://graph.facebook.com/v23.0/${PHONE_NUMBER_ID}/messages`) =>
		new Error(`request to ${url} failed, reason: ${reason}`);

	it.each([
		['the connection refused (the bridge)', viaBridge('connect ECONNREFUSED 157.240.0.35:443')],
		// Node 20 tries each address of the name: all refused, an AggregateError without a message.
		['every address refused (the bridge, on Node 20)', viaBridge('')],
		[
			'no address answered in time (Node 20)',
			Object.assign(new Error('Socket connection timeout'), { code: 'ERR_SOCKET_CONNECTION_TIMEOUT' }),
		],
		[
			"the connection refused (Deno 1's fetch)",
			new Error('error trying to connect: tcp connect error: Connection refused (os error 111)'),
		],
		["the TLS handshake refused (Deno 2's fetch)", new Error('client error (Connect): received fatal alert: HandshakeFailure')],
		['the name not resolved (the bridge)', viaBridge('getaddrinfo ENOTFOUND graph.facebook.com')],
		['the name not resolved for now', viaBridge('getaddrinfo EAI_AGAIN graph.facebook.com')],
		['no route to the host', viaBridge('connect EHOSTUNREACH 157.240.0.35:443')],
		['a certificate refused', viaBridge('unable to verify the first certificate')],
		[
			'the TLS handshake refused (OpenSSL)',
			viaBridge('write EPROTO 0080B1F2:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure'),
		],
		['a self-signed certificate on the way', viaBridge('self-signed certificate in certificate chain')],
		['the TLS handshake cut', viaBridge('Client network socket disconnected before secure TLS connection was established')],
		[
			"the connection refused (Deno's fetch)",
			new Error(
				'error sending request for url (https://graph.facebook.com/v23.0/1/messages): client error (Connect): tcp connect error: Connection refused (os error 111)',
			),
		],
		[
			"the name not resolved (Deno's fetch)",
			new Error(
				'error sending request for url (https://graph.facebook.com/): client error (Connect): dns error: failed to lookup address information: Name or service not known',
			),
		],
	])('says a send failed before its connection was made did not reach Meta: %s', async (_, error) => {
		const promise = client(fakePort([error])).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toMatchObject({ timedOut: false, reached: false, code: 'network_error' });
		expect(mayHaveBeenSent(await promise.catch((e: unknown) => e))).toBe(false);
	});

	it("keeps a URL's path, query and credentials out of the error's words (a media link's signature)", async () => {
		const url = 'https://user:pw@lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2&hash=SIGNED';
		const promise = client(fakePort([viaBridge('socket hang up', url)])).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toMatchObject({
			message: 'Graph API connection lost: request to https://lookaside.fbsbx.com/… failed, reason: socket hang up',
		});
	});

	it.each([
		['the connection reset (the bridge)', viaBridge('read ECONNRESET')],
		['a host unreachable on a connection made', viaBridge('read EHOSTUNREACH')],
		// The URL's own words are not the failure's.
		[
			'the socket hung up, at an address with words of a refusal in it',
			viaBridge('socket hang up', 'https://egress.example.com/concert_proxy/ECONNREFUSED/v23.0/1/messages'),
		],
		['the socket hung up (the bridge)', viaBridge('socket hang up')],
		['a write on a closed connection', viaBridge('write EPIPE')],
		['the answer cut short (node-fetch)', new Error('Premature close')],
		['the other side closed (undici)', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })],
		[
			"the connection reset (Deno's fetch)",
			new Error(
				'error sending request for url (https://graph.facebook.com/v23.0/1/messages): connection error: Connection reset by peer (os error 104)',
			),
		],
		[
			"the answer cut short (the app's runtime)",
			Object.assign(new Error('the connection closed before the answer ended'), { code: 'connection_closed' }),
		],
	])('says a send whose connection was lost once made may have reached Meta: %s', async (_, error) => {
		const promise = client(fakePort([error])).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toMatchObject({ timedOut: false, reached: true, code: 'network_error' });
		expect(mayHaveBeenSent(await promise.catch((e: unknown) => e))).toBe(true);
	});

	it("keeps the app's own refusal by its port (nothing sent: a refused base URL) as it is, never a send that may have reached Meta", async () => {
		const refusal = new AppError({ code: 'graph_base_url_refused', message: 'refused', i18nKey: 'error_graph_base_url_refused' });
		for (const call of [
			(c: GraphClient) => c.getPhoneNumber(PHONE_NUMBER_ID),
			(c: GraphClient) => c.downloadMedia('https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1'),
		]) {
			const error = await call(client(fakePort([refusal]))).catch((e: unknown) => e);
			expect(error).toBe(refusal);
			expect(mayHaveBeenSent(error)).toBe(false);
		}
	});

	it('maps a connection failure to a NetworkError', async () => {
		const promise = client(fakePort([new Error('connect ECONNREFUSED 157.240.0.35:443')])).getPhoneNumber(PHONE_NUMBER_ID);
		await expect(promise).rejects.toBeInstanceOf(NetworkError);
		await expect(promise).rejects.toMatchObject({
			timedOut: false,
			code: 'network_error',
			message: 'Graph API unreachable: connect ECONNREFUSED 157.240.0.35:443',
		});
	});

	describe('never shows the access token', () => {
		/** Every string an error exposes: message, stack and each own property (JSON of the whole error). */
		const exposed = (error: unknown): string => {
			const e = error as Error;
			return `${e.message}\n${e.stack}\n${JSON.stringify(e)}\n${String(e)}`;
		};

		it.each([
			['a transport error that quotes the header', new Error(`socket hang up (Authorization: Bearer ${TOKEN})`)],
			['a rejection with a bare string', `failed ${TOKEN}`],
		])('in a NetworkError from %s', async (_name, failure) => {
			const port: HttpPort = { send: () => Promise.reject(failure) };
			const error = await client(port)
				.getPhoneNumber(PHONE_NUMBER_ID)
				.then(
					() => undefined,
					(e: unknown) => e,
				);
			expect(error).toBeInstanceOf(NetworkError);
			expect(exposed(error)).toContain('[redacted]');
			expect(exposed(error)).not.toContain(TOKEN);
		});

		it('in a GraphApiError whose body echoes the token', async () => {
			const body = JSON.stringify({
				error: {
					message: `Malformed access token ${TOKEN}`,
					type: 'OAuthException',
					code: 190,
					error_data: { token: TOKEN },
					fbtrace_id: 'A1',
				},
			});
			const error = await client(fakePort([{ status: 400, body }]))
				.getPhoneNumber(PHONE_NUMBER_ID)
				.then(
					() => undefined,
					(e: unknown) => e,
				);
			expect(error).toBeInstanceOf(GraphApiError);
			expect(error).toMatchObject({
				graphCode: 190,
				graphMessage: 'Malformed access token [redacted]',
				errorData: { token: '[redacted]' },
			});
			expect(exposed(error)).not.toContain(TOKEN);
		});
	});
});

describe('GraphClient media', () => {
	const MEDIA_ID = '1003383421387256';
	const info = {
		messaging_product: 'whatsapp',
		url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1003383421387256',
		mime_type: 'image/jpeg',
		sha256: 'abc',
		file_size: '303833',
		id: MEDIA_ID,
	};

	it('asks Meta where a media is, without `phone_number_id` (Meta refuses it for a media a contact sent)', async () => {
		const port = fakePort([ok(info)]);
		await expect(client(port).getMedia(MEDIA_ID)).resolves.toEqual(info);
		expect(port.sent[0]).toMatchObject({
			method: 'GET',
			url: `https://graph.facebook.com/v23.0/${MEDIA_ID}`,
			headers: GET_HEADERS,
		});
		expect(specErrors(port.sent[0], '/{Version}/{Media-ID}')).toEqual([]);
	});

	it('never sends the token to another Graph path than a media id (an empty id, `.`, `..`, a slash)', async () => {
		for (const id of ['', '.', '..', 'a/b', '../me']) {
			const port = fakePort([ok(info)]);
			await expect(client(port).getMedia(id)).rejects.toMatchObject({
				code: 'media_id_invalid',
				i18nKey: 'inbound_media_id_invalid',
			});
			expect(port.sent).toEqual([]);
		}
	});

	it('downloads the bytes with the token, as binary', async () => {
		const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0x00, 0x80]);
		const port = fakePort([{ status: 200, body: '', bytes }]);
		await expect(client(port).downloadMedia(info.url, 10)).resolves.toEqual(bytes);
		expect(port.sent[0]).toEqual({ method: 'GET', url: info.url, headers: GET_HEADERS, timeoutMs: 10000, binary: true });
	});

	it('refuses a download over the limit, and a URL that is not http(s)', async () => {
		const port = fakePort([{ status: 200, body: '', bytes: new Uint8Array(11) }]);
		await expect(client(port).downloadMedia(info.url, 10)).rejects.toMatchObject({
			code: 'media_too_large',
			params: { size: 11, max: 10 },
		});
		await expect(client(fakePort([])).downloadMedia('file:///etc/passwd')).rejects.toBeInstanceOf(AppError);
		// The token never goes over plain http, unless the Graph API itself is on loopback (a local simulator).
		await expect(client(fakePort([])).downloadMedia('http://lookaside.fbsbx.com/x')).rejects.toMatchObject({ code: 'media_url' });
		const local = new GraphClient({
			http: fakePort([{ status: 200, body: '', bytes: new Uint8Array(1) }]),
			accessToken: TOKEN,
			baseUrl: 'http://127.0.0.1:9',
		});
		await expect(local.downloadMedia('http://127.0.0.1:9/whatsapp_business/attachments/?mid=1')).resolves.toHaveLength(1);
	});

	it('sends the token only to Meta’s media hosts: any other URL is refused without a request', async () => {
		for (const url of [
			'https://evil.example/whatsapp_business/attachments/?mid=1',
			'https://lookaside.fbsbx.com.evil.example/x',
			'https://lookaside.fbsbx.com@evil.example/x',
			'http://127.0.0.1:9/x',
		]) {
			const port = fakePort([{ status: 200, body: '', bytes: new Uint8Array(1) }]);
			const error = await client(port)
				.downloadMedia(url)
				.catch((e: unknown) => e);
			expect(error).toMatchObject({ code: 'media_url', i18nKey: 'error_media_host' });
			expect(port.sent).toEqual([]);
			expect(String((error as Error).message)).not.toContain(TOKEN);
		}
		// A loopback Graph API (tests, sandbox) allows its own host, no other.
		const port = fakePort([]);
		const local = new GraphClient({ http: port, accessToken: TOKEN, baseUrl: 'http://127.0.0.1:9' });
		await expect(local.downloadMedia('http://192.168.1.10:9/whatsapp_business/attachments/?mid=1')).rejects.toMatchObject({
			code: 'media_url',
		});
		expect(port.sent).toEqual([]);
		// The media host of a real webhook capture passes.
		const meta = fakePort([{ status: 200, body: '', bytes: new Uint8Array(2) }]);
		await expect(
			client(meta).downloadMedia(
				'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=27251809591111687&source=webhook&ext=1778767167&hash=ARkm',
			),
		).resolves.toHaveLength(2);
	});

	it('refuses an answer whose Content-Length is over the limit before looking at its body', async () => {
		const body = { status: 200, body: '', bytes: new Uint8Array(4), headers: { 'content-length': '5000000' } };
		await expect(client(fakePort([body])).downloadMedia(info.url, 1000)).rejects.toMatchObject({
			code: 'media_too_large',
			params: { size: 5000000, max: 1000 },
		});
		const upper = { status: 200, body: '', bytes: new Uint8Array(4), headers: { 'Content-Length': '1001' } };
		await expect(client(fakePort([upper])).downloadMedia(info.url, 1000)).rejects.toMatchObject({
			code: 'media_too_large',
			params: { size: 1001 },
		});
		const within = { status: 200, body: '', bytes: new Uint8Array(4), headers: { 'content-length': '4' } };
		await expect(client(fakePort([within])).downloadMedia(info.url, 1000)).resolves.toHaveLength(4);
	});

	it('turns a refused download into Meta’s error, without the token', async () => {
		const body = JSON.stringify({ error: { message: `bad ${TOKEN}`, type: 'OAuthException', code: 190, fbtrace_id: 'A' } });
		const error = await client(fakePort([{ status: 401, body }]))
			.downloadMedia(info.url)
			.catch((e: unknown) => e);
		expect(error).toMatchObject({ graphCode: 190, graphMessage: 'bad [redacted]' });
	});

	it('uploads a file as multipart/form-data and returns the media id', async () => {
		const port = fakePort([ok({ id: '4490709327384033' })]);
		const bytes = new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
		await expect(
			client(port).uploadMedia(PHONE_NUMBER_ID, { bytes, mimeType: 'application/pdf', filename: 'invoice "May".pdf' }),
		).resolves.toBe('4490709327384033');
		const req = port.sent[0];
		expect(req).toMatchObject({ method: 'POST', url: `https://graph.facebook.com/v23.0/${PHONE_NUMBER_ID}/media` });
		const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(req.headers['Content-Type'])?.[1] as string;
		expect(boundary).toBeTruthy();
		const body = Buffer.from(req.body as Uint8Array);
		const text = body.toString('latin1');
		expect(text).toContain(`--${boundary}\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp\r\n`);
		expect(text).toContain(`--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\napplication/pdf\r\n`);
		expect(text).toContain(
			`Content-Disposition: form-data; name="file"; filename="invoice _May_.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
		);
		// The file's bytes, exactly, then the closing boundary.
		const start = body.indexOf('Content-Type: application/pdf\r\n\r\n') + 'Content-Type: application/pdf\r\n\r\n'.length;
		expect([...body.subarray(start, start + bytes.length)]).toEqual([...bytes]);
		expect(text.endsWith(`\r\n--${boundary}--\r\n`)).toBe(true);
	});

	it('gives a file transfer a second more per megabyte: a 3.5 MB upload 13 s, a download of up to 16 MB 26 s, of 50 KB 10 s', async () => {
		const up = fakePort([ok({ id: '1' })]);
		await client(up).uploadMedia(PHONE_NUMBER_ID, { bytes: new Uint8Array(3500000), mimeType: 'video/mp4', filename: 'a.mp4' });
		expect(up.sent[0].timeoutMs).toBe(13000);
		const down = fakePort([{ status: 200, body: '', bytes: new Uint8Array(4) }]);
		await client(down).downloadMedia(info.url, 16 * 1000 * 1000);
		expect(down.sent[0].timeoutMs).toBe(26000);
		// The size Meta announced, when known: a 50 KB image keeps the call's 10 s.
		const small = fakePort([{ status: 200, body: '', bytes: new Uint8Array(4) }]);
		await client(small).downloadMedia(info.url, 16 * 1000 * 1000, 50000);
		expect(small.sent[0].timeoutMs).toBe(10000);
	});

	it('marks a message read with the body Meta documents', async () => {
		const port = fakePort([ok({ success: true })]);
		await client(port).markRead(PHONE_NUMBER_ID, 'wamid.X');
		expect(JSON.parse(port.sent[0].body as string)).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X' });
		expect(specErrors(port.sent[0])).toEqual([]);
	});
});

describe('GraphClient appsecret_proof', () => {
	const SECRET = '0123456789abcdef0123456789abcdef';
	// `printf %s EAAGm0PX4ZCpsBAtoken-secret-123 | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef`
	const PROOF = 'd974f85954e53cd750eb8e8b0441df73138eb1b291b53031002f06d86aa8ed30';
	const signed = (port: HttpPort) => new GraphClient({ http: port, accessToken: TOKEN, appSecret: SECRET });
	const sent = { messaging_product: 'whatsapp', contacts: [{ input: '1', wa_id: '1' }], messages: [{ id: 'wamid.X' }] };

	it('adds the proof of the token, keyed with the app secret, to every Graph call, after its own parameters', async () => {
		const port = fakePort([
			ok(sent),
			ok({ success: true }),
			ok({ id: PHONE_NUMBER_ID }),
			ok({ data: [] }),
			ok({ data: [] }),
			ok({ id: '9' }),
			ok({ id: '1003383421387256', url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1' }),
		]);
		const graph = signed(port);
		await graph.sendMessage(PHONE_NUMBER_ID, { messaging_product: 'whatsapp', to: '1', type: 'text', text: { body: 'hi' } });
		await graph.markRead(PHONE_NUMBER_ID, 'wamid.X');
		await graph.getPhoneNumber(PHONE_NUMBER_ID);
		await graph.listPhoneNumbers(WABA_ID);
		await graph.listTemplatesPage(WABA_ID);
		await graph.uploadMedia(PHONE_NUMBER_ID, { bytes: new Uint8Array([1]), mimeType: 'image/jpeg', filename: 'a.jpg' });
		await graph.getMedia('1003383421387256');
		const base = 'https://graph.facebook.com/v23.0';
		expect(port.sent.map((r) => r.url)).toEqual([
			`${base}/${PHONE_NUMBER_ID}/messages?appsecret_proof=${PROOF}`,
			`${base}/${PHONE_NUMBER_ID}/messages?appsecret_proof=${PROOF}`,
			`${base}/${PHONE_NUMBER_ID}?fields=id,display_phone_number,verified_name,quality_rating&appsecret_proof=${PROOF}`,
			`${base}/${WABA_ID}/phone_numbers?fields=id,display_phone_number,verified_name&limit=100&appsecret_proof=${PROOF}`,
			`${base}/${WABA_ID}/message_templates?appsecret_proof=${PROOF}`,
			`${base}/${PHONE_NUMBER_ID}/media?appsecret_proof=${PROOF}`,
			`${base}/1003383421387256?appsecret_proof=${PROOF}`,
		]);
		// The token still goes in its header only, and the spec takes the parameter where it names none.
		for (const req of port.sent) expect(req.headers.Authorization).toBe(`Bearer ${TOKEN}`);
		expect(specErrors(port.sent[0])).toEqual([]);
	});

	it("does not add it to a media download (Meta's media host, not a Graph call), nor without an app secret", async () => {
		const bytes = new Uint8Array([1, 2]);
		const port = fakePort([{ status: 200, body: '', bytes }, ok(sent)]);
		const url = 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1';
		await signed(port).downloadMedia(url, 10);
		await client(port).sendMessage(PHONE_NUMBER_ID, { messaging_product: 'whatsapp', to: '1', type: 'text', text: { body: 'hi' } });
		expect(port.sent.map((r) => r.url)).toEqual([url, `https://graph.facebook.com/v23.0/${PHONE_NUMBER_ID}/messages`]);
	});

	it("keeps Meta's refusal of the proof as a GraphApiError that says so (isAppSecretRefusal), and no other code 100", async () => {
		const refusal = { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 };
		const port = fakePort([{ status: 400, body: JSON.stringify({ error: refusal }) }]);
		const error = await signed(port)
			.getPhoneNumber(PHONE_NUMBER_ID)
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(GraphApiError);
		expect(isAppSecretRefusal(error)).toBe(true);
		expect(isAppSecretRefusal(new GraphApiError(400, { code: 100, message: '(#100) Invalid parameter' }))).toBe(false);
		expect(isAppSecretRefusal(new GraphApiError(400, { code: 190, message: 'appsecret_proof' }))).toBe(false);
	});
});
