/**
 * The app runtime's own HTTP of the "Send from the app's runtime" setting (src/adapters/directHttp.ts),
 * against a real loopback server: the exact request, answers as they are (no redirect followed),
 * timeouts and network errors as codes, kept-alive connections; which Graph calls it makes.
 */
import * as http from 'http';
import * as https from 'https';
import { EventEmitter } from 'events';
import { AddressInfo, Socket } from 'net';

import { DirectHttpPort, messagesThrough, NodeHttpModule, statusPosterOver } from '../../../src/adapters/directHttp';
import { HttpPort, HttpRequest } from '../../../src/core/graph/GraphClient';

interface Seen {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	remotePort: number;
}

describe('DirectHttpPort', () => {
	let server: http.Server;
	let base: string;
	const seen: Seen[] = [];
	let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
	let port: DirectHttpPort;
	let afterTrickle = (): void => undefined;
	let poster: ReturnType<typeof statusPosterOver>;
	const sockets = new Set<Socket>();

	beforeEach(async () => {
		seen.length = 0;
		answer = (_req, res) => res.writeHead(200).end('ok');
		server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				seen.push({
					method: req.method ?? '',
					url: req.url ?? '',
					headers: req.headers,
					body: Buffer.concat(chunks),
					remotePort: req.socket.remotePort ?? 0,
				});
				answer(req, res);
			});
		});
		server.on('connection', (socket: Socket) => sockets.add(socket));
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		port = new DirectHttpPort();
		poster = statusPosterOver(port);
	});
	afterEach(async () => {
		afterTrickle();
		port.close();
		for (const socket of sockets) socket.destroy();
		sockets.clear();
		await new Promise<void>((resolve) => server.close(() => resolve()));
	});

	it('POSTs the body and headers exactly as given, with its length in bytes, and resolves with the status', async () => {
		answer = (_req, res) => res.writeHead(202).end('{"ignored":true}');
		const body = JSON.stringify({ msId: 'wamid.1', message: 'Olá, ação ✓' });
		const result = await poster.post({
			url: `${base}/hooks/status?tenant=7`,
			body,
			headers: { 'Content-Type': 'application/json', 'X-Signature-256': 'sha256=ab', 'X-Signature-Timestamp': '1750030090' },
			timeoutMs: 5000,
		});
		expect(result).toEqual({ status: 202 });
		expect(seen).toHaveLength(1);
		expect(seen[0].method).toBe('POST');
		expect(seen[0].url).toBe('/hooks/status?tenant=7');
		expect(seen[0].body.toString('utf8')).toBe(body);
		expect(seen[0].headers).toMatchObject({
			'content-type': 'application/json',
			'content-length': String(Buffer.byteLength(body)),
			'x-signature-256': 'sha256=ab',
			'x-signature-timestamp': '1750030090',
		});
	});

	it('answers a non-2xx as it is, and follows no redirect', async () => {
		answer = (req, res) => (req.url === '/moved' ? res.writeHead(301, { Location: '/receiver' }).end() : res.writeHead(200).end());
		await expect(poster.post({ url: `${base}/moved`, body: '{}', headers: {}, timeoutMs: 5000 })).resolves.toEqual({ status: 301 });
		answer = (_req, res) => res.writeHead(503).end('busy');
		await expect(poster.post({ url: `${base}/receiver`, body: '{}', headers: {}, timeoutMs: 5000 })).resolves.toEqual({ status: 503 });
		expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /moved', 'POST /receiver']);
	});

	it('reuses one connection for POSTs one after the other', async () => {
		for (let i = 0; i < 3; i++) await poster.post({ url: `${base}/r`, body: `{"n":${i}}`, headers: {}, timeoutMs: 5000 });
		expect(seen).toHaveLength(3);
		expect(new Set(seen.map((s) => s.remotePort)).size).toBe(1);
	});

	it('rejects with the code `timeout` when no answer comes in time', async () => {
		answer = () => undefined;
		await expect(poster.post({ url: `${base}/slow`, body: '{}', headers: {}, timeoutMs: 100 })).rejects.toMatchObject({
			code: 'timeout',
		});
		expect(seen).toHaveLength(1);
	});

	it('bounds the whole exchange, not the time between bytes: an answer that trickles rejects with `timeout`', async () => {
		const trickles: Array<ReturnType<typeof setInterval>> = [];
		answer = (_req, res) => {
			res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
			trickles.push(setInterval(() => res.write(' '), 20));
		};
		afterTrickle = () => trickles.forEach(clearInterval);
		await expect(
			port.send({ method: 'POST', url: `${base}/v23.0/123/messages`, headers: {}, body: '{}', timeoutMs: 100 }),
		).rejects.toMatchObject({ code: 'timeout' });
	});

	it("rejects with the network error's code when nothing listens", async () => {
		const closed = http.createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const port = (closed.address() as AddressInfo).port;
		await new Promise<void>((resolve) => closed.close(() => resolve()));
		await expect(poster.post({ url: `http://127.0.0.1:${port}/`, body: '{}', headers: {}, timeoutMs: 5000 })).rejects.toMatchObject({
			code: 'ECONNREFUSED',
		});
	});

	it('speaks TLS to an https URL, and refuses any other protocol before loading anything', async () => {
		const loaded: string[] = [];
		const trackedPort = new DirectHttpPort((name) => {
			loaded.push(name);
			return (name === 'https' ? https : http) as unknown as NodeHttpModule;
		});
		const tracked = statusPosterOver(trackedPort);
		try {
			await expect(tracked.post({ url: 'ftp://127.0.0.1/x', body: '{}', headers: {}, timeoutMs: 5000 })).rejects.toMatchObject({
				code: 'unsupported_protocol',
			});
			expect(loaded).toEqual([]);
			// A plain HTTP server cannot answer a TLS handshake: the POST fails, and nothing reached the server as a request.
			await expect(
				tracked.post({ url: base.replace('http:', 'https:'), body: '{}', headers: {}, timeoutMs: 5000 }),
			).rejects.toThrow();
			expect(loaded).toEqual(['https']);
			expect(seen).toEqual([]);
		} finally {
			trackedPort.close();
		}
	});

	it("answers a Graph call's body and headers as text, and a binary call's bytes", async () => {
		answer = (_req, res) =>
			res.writeHead(200, { 'Content-Type': 'application/json', 'X-Fb-Trace-Id': 'abc' }).end('{"messages":[{"id":"wamid.1"}]}');
		const sent: HttpRequest = {
			method: 'POST',
			url: `${base}/v23.0/123/messages`,
			headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
			body: '{"to":"5511"}',
			timeoutMs: 5000,
		};
		expect(await port.send(sent)).toEqual({
			status: 200,
			body: '{"messages":[{"id":"wamid.1"}]}',
			headers: expect.objectContaining({ 'content-type': 'application/json', 'x-fb-trace-id': 'abc' }),
		});
		expect(seen[0].headers).toMatchObject({ authorization: 'Bearer t', 'content-length': '13' });
		answer = (_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(Buffer.from([0xff, 0xd8, 0x00]));
		const media = await port.send({ method: 'GET', url: `${base}/media`, headers: {}, timeoutMs: 5000, binary: true });
		expect(media.body).toBe('');
		expect(Array.from(media.bytes ?? [])).toEqual([0xff, 0xd8, 0x00]);
		expect(seen[1]).toMatchObject({ method: 'GET', url: '/media' });
		expect(seen[1].headers['content-length']).toBeUndefined();
	});
});

describe('DirectHttpPort under a runtime whose requests raise nothing when destroyed (Deno)', () => {
	/** A `http` module whose requests never answer unless told to, and whose `destroy` emits nothing. */
	function silentModule() {
		const requests: Array<{ destroyed: boolean; respond: (events: string[]) => void }> = [];
		const module = {
			Agent: class {
				destroy(): void {}
			},
			request: (_url: URL, _options: unknown, onResponse: (response: EventEmitter) => void) => {
				const request = Object.assign(new EventEmitter(), {
					destroyed: false,
					destroy: () => void (request.destroyed = true),
					end: () => undefined,
					respond: (events: string[]) => {
						const response = Object.assign(new EventEmitter(), { statusCode: 200, headers: {} });
						onResponse(response);
						for (const event of events) response.emit(event);
					},
				});
				requests.push(request);
				return request;
			},
		};
		return { module: module as unknown as NodeHttpModule, requests };
	}

	it('rejects with `timeout` by its own timer, and destroys the request', async () => {
		const { module, requests } = silentModule();
		const port = new DirectHttpPort(() => module);
		await expect(
			port.send({ method: 'POST', url: 'https://graph.example/v23.0/1/messages', headers: {}, body: '{}', timeoutMs: 50 }),
		).rejects.toMatchObject({
			code: 'timeout',
		});
		expect(requests.map((r) => r.destroyed)).toEqual([true]);
	});

	it('rejects when the connection closes before the answer ended, and takes no later event for an answer', async () => {
		const { module, requests } = silentModule();
		const port = new DirectHttpPort(() => module);
		const sent = port.send({ method: 'POST', url: 'https://graph.example/v23.0/1/messages', headers: {}, body: '{}', timeoutMs: 5000 });
		requests[0].respond(['close', 'end']);
		await expect(sent).rejects.toMatchObject({ code: 'connection_closed' });
	});
});

describe('messagesThrough', () => {
	it('sends message POSTs through the direct port and every other Graph call through the bridged one', async () => {
		const calls: string[] = [];
		const fake = (name: string): HttpPort => ({
			send: async (req) => (calls.push(`${name} ${req.method} ${req.url}`), { status: 200, body: '{}' }),
		});
		const routed = messagesThrough(fake('direct'), fake('bridged'));
		const at = (method: HttpRequest['method'], url: string, body?: string | Uint8Array) =>
			routed.send({ method, url, headers: {}, timeoutMs: 1000, ...(body === undefined ? {} : { body }) });
		await at('POST', 'https://graph.facebook.com/v23.0/123/messages', '{"to":"5511"}');
		await at('GET', 'https://graph.facebook.com/v23.0/waba/message_templates?limit=100');
		await at('POST', 'https://graph.facebook.com/v23.0/123/media', new Uint8Array([1, 2]));
		await at('GET', 'https://graph.facebook.com/v23.0/123/messages');
		expect(calls).toEqual([
			'direct POST https://graph.facebook.com/v23.0/123/messages',
			'bridged GET https://graph.facebook.com/v23.0/waba/message_templates?limit=100',
			'bridged POST https://graph.facebook.com/v23.0/123/media',
			'bridged GET https://graph.facebook.com/v23.0/123/messages',
		]);
	});
});

describe('DirectHttpPort when the runtime cannot make the request', () => {
	it('rejects with the error `request` threw (a header value Node refuses: nothing was sent), and leaves no timer', async () => {
		const port = new DirectHttpPort();
		jest.useFakeTimers();
		try {
			const sent = port.send({
				method: 'POST',
				url: 'http://127.0.0.1:9/status',
				headers: { 'X-Signature': 'a\nb' },
				body: '{}',
				timeoutMs: 50,
			});
			await expect(sent).rejects.toMatchObject({ code: 'ERR_INVALID_CHAR' });
			expect(jest.getTimerCount()).toBe(0);
		} finally {
			jest.useRealTimers();
			port.close();
		}
	});
});
