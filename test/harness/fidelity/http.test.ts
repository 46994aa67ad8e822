/**
 * Fidelity: the harness's HttpBridge against a loopback server, for what Rocket.Chat's fetch does
 * with redirects and timeouts. Sources, in RocketChat/Rocket.Chat: apps/meteor/app/apps/server/bridges/http.ts
 * @ 014c086054cdbb455b32468cad52593b5265a230 (AppHttpBridge: serverFetch, `url: info.url`,
 * `ignoreSsrfValidation` unless the app asks) and packages/server-fetch (node-fetch 2.7.0, its
 * package.json). Redirects, by version (tools/harness/rc/http.ts `RedirectModel`):
 * - up to Rocket.Chat 8.1 (server-fetch 0.0.x, src/index.ts @ 9d827bc4): node-fetch 2.7.0's
 *   lib/index.js "HTTP-redirect fetch" steps (follow = 20; 303, or 301/302 on POST, become GET
 *   without body; credentials dropped off-host; a redirect without Location is the answer);
 * - from 8.2 (server-fetch 0.1.0, PR #38044): server-fetch's own loop with `redirect: 'manual'`
 *   (src/index.ts `serverFetch`, `followRedirect`; src/constants.ts MAX_REDIRECTS = 5): same method,
 *   body and headers each hop; "redirect-response-location-header-missing",
 *   "error-too-many-redirects"; `getFetchAgent` gives an http URL a new `http.Agent()` each time.
 * Timeouts, in both: server-fetch's AbortController timer of the call's `timeout` up to the
 * answer's headers (node-fetch's AbortError "The user aborted a request."), then node-fetch's own
 * timeout for the body ("Response timeout while trying to fetch ...").
 * Failures, in both: node-fetch's FetchError, "request to <url> failed, reason: <Node's message>",
 * or for a body cut short "Invalid response body while trying to fetch <url>: <message>" (lib/index.js).
 */
import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';
import selfsigned from 'selfsigned';

import { engineVersion } from '../../../tools/harness/engineVersion';
import {
	MAX_REDIRECTS,
	performHttp,
	redirectModelOf,
	RedirectModel,
	SERVER_FETCH_MAX_REDIRECTS,
	trustAuthority,
} from '../../../tools/harness/rc/http';
import { loopbackTls } from '../../../tools/http/tls';

interface Seen {
	method: string;
	path: string;
	headers: http.IncomingHttpHeaders;
	body: string;
	socket: unknown;
}

describe('HTTP, as Rocket.Chat’s fetch follows redirects and times out', () => {
	let server: http.Server;
	let port = 0;
	const seen: Seen[] = [];
	const endless: http.ServerResponse[] = [];
	const base = () => `http://127.0.0.1:${port}`;

	beforeAll(async () => {
		server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const url = new URL(req.url ?? '/', 'http://x');
				seen.push({
					method: req.method ?? '',
					path: url.pathname + url.search,
					headers: req.headers,
					body: Buffer.concat(chunks).toString('utf8'),
					socket: req.socket,
				});
				const redirect = /^\/r(\d{3})$/.exec(url.pathname);
				if (redirect) {
					const to = url.searchParams.get('to');
					res.writeHead(Number(redirect[1]), to === null ? {} : { Location: to });
					res.end();
					return;
				}
				if (url.pathname === '/hangup') {
					req.socket.destroy();
					return;
				}
				if (url.pathname === '/cut') {
					res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '10' });
					res.write('part', () => req.socket.destroy());
					return;
				}
				if (url.pathname === '/cut-chunked') {
					res.writeHead(200, { 'Content-Type': 'text/plain' });
					res.write('part', () => req.socket.destroy());
					return;
				}
				if (url.pathname === '/slower') {
					setTimeout(() => res.end('late'), 4000).unref();
					endless.push(res);
					return;
				}
				if (url.pathname === '/slow') {
					setTimeout(() => res.end('late'), 1000).unref();
					return;
				}
				if (url.pathname === '/trickle') {
					res.writeHead(200, { 'Content-Type': 'text/plain' });
					res.write('part');
					setTimeout(() => res.end('rest'), 4000).unref();
					endless.push(res);
					return;
				}
				if (url.pathname === '/endless-redirect') {
					// A redirect whose body never ends: followed on its headers.
					res.writeHead(307, { Location: '/final' });
					res.write('moving');
					endless.push(res);
					return;
				}
				const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
				if (chain) {
					const left = Number(chain[1]);
					res.writeHead(302, { Location: left > 0 ? `/chain/${left - 1}` : '/final' });
					res.end();
					return;
				}
				res.writeHead(200, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ at: url.pathname, method: req.method }));
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		port = (server.address() as AddressInfo).port;
	});
	afterAll(
		() =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const res of endless) res.destroy();
			}),
	);
	beforeEach(() => {
		seen.length = 0;
	});

	const post = (url: string, model: RedirectModel, headers: Record<string, string> = {}) =>
		performHttp(
			{ method: 'post', url, request: { content: '{"a":1}', headers: { 'Content-Type': 'application/json', ...headers } } },
			model,
		);

	it('follows the redirects of the Rocket.Chat that ships the running engine: its own loop from 8.2 (engine 1.60), node-fetch’s before', () => {
		expect(redirectModelOf('1.53.1')).toBe('follow');
		expect(redirectModelOf('1.59.0')).toBe('follow');
		expect(redirectModelOf('1.60.1')).toBe('manual');
		expect(redirectModelOf('1.62.0')).toBe('manual');
		expect(redirectModelOf(engineVersion())).toBe(redirectModelOf());
	});

	describe('up to Rocket.Chat 8.1: node-fetch follows them', () => {
		const follow = 'follow';

		it('follows a redirect and answers with the final response; `url` stays the one asked for (AppHttpBridge: url: info.url)', async () => {
			const asked = `${base()}/r302?to=/final`;
			const result = await performHttp({ method: 'get', url: asked, request: {} }, follow);
			expect(result).toMatchObject({ url: asked, statusCode: 200, data: { at: '/final', method: 'GET' } });
			expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['GET /r302?to=/final', 'GET /final']);
		});

		it.each([301, 302, 303])(
			'turns a POST answered %i into a GET without body or Content-Length (other headers stay)',
			async (status) => {
				const result = await post(`${base()}/r${status}?to=/final`, follow);
				expect(result).toMatchObject({ statusCode: 200, data: { at: '/final', method: 'GET' } });
				const [first, second] = seen;
				expect(first).toMatchObject({ method: 'POST', body: '{"a":1}' });
				expect(second).toMatchObject({ method: 'GET', body: '' });
				expect(second.headers['content-length']).toBeUndefined();
				expect(second.headers['content-type']).toBe('application/json');
			},
		);

		it('turns any method answered 303 into a GET (a PUT too)', async () => {
			await performHttp({ method: 'put', url: `${base()}/r303?to=/final`, request: { content: 'x' } }, follow);
			expect(seen.map((s) => s.method)).toEqual(['PUT', 'GET']);
		});

		it.each([307, 308])('keeps the method and body of a POST answered %i', async (status) => {
			const result = await post(`${base()}/r${status}?to=/final`, follow);
			expect(result).toMatchObject({ statusCode: 200, data: { at: '/final', method: 'POST' } });
			expect(seen[1]).toMatchObject({ method: 'POST', body: '{"a":1}' });
		});

		it(`follows up to ${MAX_REDIRECTS} redirects, and fails with "maximum redirect reached" past them`, async () => {
			await expect(
				performHttp({ method: 'get', url: `${base()}/chain/${MAX_REDIRECTS - 1}`, request: {} }, follow),
			).resolves.toMatchObject({
				statusCode: 200,
				data: { at: '/final' },
			});
			expect(seen).toHaveLength(MAX_REDIRECTS + 1);
			await expect(performHttp({ method: 'get', url: `${base()}/chain/${MAX_REDIRECTS}`, request: {} }, follow)).rejects.toThrow(
				`maximum redirect reached at: ${base()}/chain/0`,
			);
		});

		it('drops Authorization and Cookie when the redirect leaves the host, keeps them on the same host', async () => {
			await post(`${base()}/r307?to=${encodeURIComponent(`http://localhost:${port}/final`)}`, follow, {
				Authorization: 'Bearer T',
				Cookie: 'c=1',
			});
			expect(seen[1].headers.authorization).toBeUndefined();
			expect(seen[1].headers.cookie).toBeUndefined();
			seen.length = 0;
			await post(`${base()}/r307?to=/final`, follow, { Authorization: 'Bearer T' });
			expect(seen[1].headers.authorization).toBe('Bearer T');
		});

		it('fails a Location that is no URL with "uri requested responds with an invalid redirect URL"', async () => {
			await expect(
				performHttp({ method: 'get', url: `${base()}/r302?to=${encodeURIComponent('http://[bad')}`, request: {} }, follow),
			).rejects.toThrow('uri requested responds with an invalid redirect URL: http://[bad');
		});

		it('answers a redirect without Location as it is', async () => {
			await expect(performHttp({ method: 'get', url: `${base()}/r302`, request: {} }, follow)).resolves.toMatchObject({
				statusCode: 302,
			});
			expect(seen).toHaveLength(1);
		});

		it('keeps the connection for the next call (Node’s global agent)', async () => {
			await performHttp({ method: 'get', url: `${base()}/final`, request: {} }, follow);
			await performHttp({ method: 'get', url: `${base()}/final`, request: {} }, follow);
			expect(seen.map((s) => s.headers.connection)).toEqual(['keep-alive', 'keep-alive']);
			expect(seen[1].socket).toBe(seen[0].socket);
		});
	});

	describe('from Rocket.Chat 8.2: server-fetch follows them in its own loop', () => {
		const manual = 'manual';

		it.each([301, 302, 303, 307, 308])('sends a POST answered %i again as it was: method, body and headers', async (status) => {
			const result = await post(`${base()}/r${status}?to=/final`, manual, { 'X-Signature-256': 'sha256=ab' });
			expect(result).toMatchObject({
				url: `${base()}/r${status}?to=/final`,
				statusCode: 200,
				data: { at: '/final', method: 'POST' },
			});
			const [first, second] = seen;
			expect(first).toMatchObject({ method: 'POST', path: `/r${status}?to=/final`, body: '{"a":1}' });
			expect(second).toMatchObject({ method: 'POST', path: '/final', body: '{"a":1}' });
			expect(second.headers).toMatchObject({
				'content-length': '7',
				'content-type': 'application/json',
				'x-signature-256': 'sha256=ab',
			});
		});

		it('keeps a PUT answered 303 a PUT', async () => {
			await performHttp({ method: 'put', url: `${base()}/r303?to=/final`, request: { content: 'x' } }, manual);
			expect(seen.map((s) => `${s.method} ${s.body}`)).toEqual(['PUT x', 'PUT x']);
		});

		it(`follows up to ${SERVER_FETCH_MAX_REDIRECTS} redirects, and fails with "error-too-many-redirects" at the next`, async () => {
			await expect(
				performHttp({ method: 'get', url: `${base()}/chain/${SERVER_FETCH_MAX_REDIRECTS - 1}`, request: {} }, manual),
			).resolves.toMatchObject({ statusCode: 200, data: { at: '/final' } });
			expect(seen).toHaveLength(SERVER_FETCH_MAX_REDIRECTS + 1);
			seen.length = 0;
			await expect(
				performHttp({ method: 'get', url: `${base()}/chain/${SERVER_FETCH_MAX_REDIRECTS}`, request: {} }, manual),
			).rejects.toThrow(/^error-too-many-redirects$/);
			expect(seen).toHaveLength(SERVER_FETCH_MAX_REDIRECTS + 1);
		});

		it('keeps Authorization and Cookie when the redirect leaves the host', async () => {
			await post(`${base()}/r302?to=${encodeURIComponent(`http://localhost:${port}/final`)}`, manual, {
				Authorization: 'Bearer T',
				Cookie: 'c=1',
			});
			expect(seen[1].headers).toMatchObject({ host: `localhost:${port}`, authorization: 'Bearer T', cookie: 'c=1' });
		});

		it('fails a redirect without Location with "redirect-response-location-header-missing"', async () => {
			await expect(performHttp({ method: 'get', url: `${base()}/r302`, request: {} }, manual)).rejects.toThrow(
				/^redirect-response-location-header-missing$/,
			);
			expect(seen).toHaveLength(1);
		});

		it('fails a Location that is no URL with "Invalid URL" (`new URL(location, currentUrl)`)', async () => {
			await expect(
				performHttp({ method: 'get', url: `${base()}/r302?to=${encodeURIComponent('http://[bad')}`, request: {} }, manual),
			).rejects.toThrow(/^Invalid URL$/);
			expect(seen).toHaveLength(1);
		});

		it('opens a connection of its own for each call to an http URL (a new http.Agent, no keep-alive)', async () => {
			await performHttp({ method: 'get', url: `${base()}/final`, request: {} }, manual);
			await performHttp({ method: 'get', url: `${base()}/final`, request: {} }, manual);
			expect(seen.map((s) => s.headers.connection)).toEqual(['close', 'close']);
			expect(seen[1].socket).not.toBe(seen[0].socket);
		});
	});

	describe('bodies (AppHttpBridge, then server-fetch’s parsers.ts `parseRequestOptions`)', () => {
		const sent = () => seen.map((s) => ({ method: s.method, type: s.headers['content-type'], body: s.body }));

		it('sends a Buffer as its bytes, with the type the app gave', async () => {
			await performHttp({
				method: 'post',
				url: `${base()}/final`,
				request: { content: Buffer.from('hi'), headers: { 'Content-Type': 'text/plain' } },
			});
			expect(sent()).toEqual([{ method: 'POST', type: 'text/plain', body: 'hi' }]);
		});

		it('sends bytes that are not a Buffer (a plain Uint8Array) as JSON, its type forced to application/json', async () => {
			await performHttp({
				method: 'post',
				url: `${base()}/final`,
				request: { content: new Uint8Array([104, 105]), headers: { 'Content-Type': 'multipart/form-data; boundary=x' } },
			});
			expect(sent()).toEqual([{ method: 'POST', type: 'application/json', body: '{"0":104,"1":105}' }]);
		});

		it('sends an object `data` as JSON, its type forced; a form type keeps it as node-fetch sends an object', async () => {
			await performHttp({
				method: 'put',
				url: `${base()}/final`,
				request: { data: { a: 1 }, headers: { 'Content-Type': 'text/plain' } },
			});
			await performHttp({
				method: 'post',
				url: `${base()}/final`,
				request: { data: { a: 1 }, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } },
			});
			expect(sent()).toEqual([
				{ method: 'PUT', type: 'application/json', body: '{"a":1}' },
				{ method: 'POST', type: 'application/x-www-form-urlencoded', body: '[object Object]' },
			]);
		});

		it('sends a call without a body as an empty form (the engine’s runtime always passes `params`), a GET with none', async () => {
			await performHttp({ method: 'delete', url: `${base()}/final`, request: { params: {}, headers: {} } });
			await performHttp({ method: 'get', url: `${base()}/final`, request: { params: { q: 'a b', empty: '' }, content: 'ignored' } });
			expect(sent()).toEqual([
				{ method: 'DELETE', type: 'application/x-www-form-urlencoded', body: '' },
				{ method: 'GET', type: undefined, body: '' },
			]);
			expect(seen[1].path).toBe('/final?q=a+b');
		});
	});

	describe.each<RedirectModel>(['follow', 'manual'])('failures (%s): in node-fetch’s words, which the bridge passes on', (model) => {
		it('a connection refused, a connection closed before the answer, a body cut short (chunked: "Premature close"; of a Content-Length: its timeout)', async () => {
			const closed = http.createServer();
			await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
			const closedPort = (closed.address() as AddressInfo).port;
			await new Promise<void>((resolve) => closed.close(() => resolve()));
			const get = (url: string) => performHttp({ method: 'get', url, request: { timeout: 10000 } }, model);
			await expect(get(`http://127.0.0.1:${closedPort}/x`)).rejects.toMatchObject({
				name: 'FetchError',
				message: `request to http://127.0.0.1:${closedPort}/x failed, reason: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
				code: 'ECONNREFUSED',
			});
			await expect(get(`${base()}/hangup`)).rejects.toMatchObject({
				message: `request to ${base()}/hangup failed, reason: socket hang up`,
				code: 'ECONNRESET',
			});
			await expect(get(`${base()}/cut-chunked`)).rejects.toMatchObject({
				message: `Invalid response body while trying to fetch ${base()}/cut-chunked: Premature close`,
				code: 'ERR_STREAM_PREMATURE_CLOSE',
			});
			await expect(performHttp({ method: 'get', url: `${base()}/cut`, request: { timeout: 1000 } }, model)).rejects.toMatchObject({
				message: `Response timeout while trying to fetch ${base()}/cut (over 1000ms)`,
			});
		});
	});

	describe.each<RedirectModel>(['follow', 'manual'])('timeouts (%s)', (model) => {
		it("fails a call whose answer is late past its timeout with node-fetch's AbortError (server-fetch aborts its controller)", async () => {
			await expect(
				performHttp({ method: 'post', url: `${base()}/slow`, request: { content: 'x', timeout: 100 } }, model),
			).rejects.toMatchObject({
				message: 'The user aborted a request.',
			});
			await expect(performHttp({ method: 'get', url: `${base()}/slow`, request: { timeout: 10000 } }, model)).resolves.toMatchObject({
				statusCode: 200,
				content: 'late',
			});
		});

		it('follows a redirect on its headers, its body unread', async () => {
			await expect(
				performHttp({ method: 'get', url: `${base()}/endless-redirect`, request: { timeout: 10000 } }, model),
			).resolves.toMatchObject({
				statusCode: 200,
				data: { at: '/final' },
			});
		});

		it('aborts a call whose redirect’s target is late the same way', async () => {
			await expect(
				performHttp({ method: 'get', url: `${base()}/r307?to=/slower`, request: { timeout: 1500 } }, model),
			).rejects.toMatchObject({ message: 'The user aborted a request.' });
			expect(seen.map((s) => s.path)).toEqual(['/r307?to=/slower', '/slower']);
		});

		it("gives the body, once the headers came, node-fetch's own timeout afresh (server-fetch cleared its timer)", async () => {
			await expect(performHttp({ method: 'get', url: `${base()}/trickle`, request: { timeout: 1500 } }, model)).rejects.toMatchObject(
				{
					message: `Response timeout while trying to fetch ${base()}/trickle (over 1500ms)`,
				},
			);
			await expect(
				performHttp({ method: 'get', url: `${base()}/trickle`, request: { timeout: 10000 } }, model),
			).resolves.toMatchObject({
				content: 'partrest',
			});
		});
	});
});

describe('HTTPS, as Rocket.Chat’s fetch makes it: Node’s global agent, which keeps the connection', () => {
	/** A loopback https server; `sockets` gets each request's socket. */
	async function httpsServer(tls: { key: string; cert: string }) {
		const sockets: unknown[] = [];
		const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
			sockets.push(req.socket);
			res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		return { sockets, server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/x` };
	}
	const servers: https.Server[] = [];
	afterAll(async () => {
		for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
	});

	it('fails a server whose authority is not trusted, in node-fetch’s words, in both models', async () => {
		// A certificate of no authority the bridge trusts (the harness's own is another).
		const own = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
		const { server, url, sockets } = await httpsServer({ key: own.private, cert: own.cert });
		servers.push(server);
		trustAuthority((await loopbackTls()).ca);
		for (const model of ['follow', 'manual'] as RedirectModel[])
			await expect(performHttp({ method: 'get', url, request: {} }, model)).rejects.toMatchObject({
				name: 'FetchError',
				message: `request to ${url} failed, reason: self-signed certificate`,
			});
		expect(sockets).toEqual([]);
	});

	it.each<RedirectModel>(['follow', 'manual'])(
		'keeps the connection for the next call (%s), the harness’s authority trusted',
		async (model) => {
			const tls = await loopbackTls();
			trustAuthority(tls.ca);
			const { server, url, sockets } = await httpsServer(tls);
			servers.push(server);
			await expect(performHttp({ method: 'get', url, request: {} }, model)).resolves.toMatchObject({
				statusCode: 200,
				data: { ok: true },
			});
			await performHttp({ method: 'get', url, request: {} }, model);
			expect(sockets).toHaveLength(2);
			expect(sockets[1]).toBe(sockets[0]);
		},
	);
});
