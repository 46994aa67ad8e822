/**
 * The status poster of the "Send status callbacks from the app's runtime" setting
 * (src/adapters/directHttp.ts), against a real loopback server: the exact request, answers as they
 * are (no redirect followed), timeouts and network errors as codes, kept-alive connections.
 */
import * as http from 'http';
import * as https from 'https';
import { AddressInfo, Socket } from 'net';

import { DirectStatusPoster } from '../../../src/adapters/directHttp';

interface Seen {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	remotePort: number;
}

describe('DirectStatusPoster', () => {
	let server: http.Server;
	let base: string;
	const seen: Seen[] = [];
	let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
	let poster: DirectStatusPoster;
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
		poster = new DirectStatusPoster();
	});
	afterEach(async () => {
		poster.close();
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
		const tracked = new DirectStatusPoster((name) => {
			loaded.push(name);
			return (name === 'https' ? https : http) as never;
		});
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
			tracked.close();
		}
	});
});
