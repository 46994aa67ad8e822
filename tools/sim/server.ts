/**
 * The simulator's HTTP server on 127.0.0.1: reads each request (JSON, text or multipart/form-data),
 * records it, asks a handler for the answer, waits the scripted latency and writes the answer in
 * Graph's manner (JSON with `x-fb-trace-id`, an HTML page, or raw media bytes).
 */
import busboy from 'busboy';
import * as http from 'http';
import * as https from 'https';
import { URL } from 'url';

import { fbtraceId, serverError, SimResponse } from './metaErrors';
import type { ValidationResult } from './metaSpec';

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	/** Lower-case header names. */
	headers: Record<string, string>;
	/** Parsed JSON body (the raw text when it is not JSON; a form's fields, its files as '<binary>'). */
	body?: unknown;
	operation?: string;
	/** Result of the validator; absent when the request was refused before (token, unknown id). */
	validation?: ValidationResult;
	/** When the request arrived (ms since epoch). */
	at: number;
	/** The connection it came on, numbered from 1 as the server accepted them: a client that keeps its connection sends its next request on the same one. */
	connection: number;
	status?: number;
	response?: unknown;
}

/** A multipart/form-data body. */
export interface Form {
	fields: Record<string, string>;
	files: Record<string, { filename: string; mimeType: string; bytes: Buffer }>;
}

/** Answers a recorded request; `form` is its parsed multipart body, if it had one. */
export type Handler = (request: RecordedRequest, form: Form | undefined) => SimResponse;

/** The token of `Authorization: Bearer <token>`. */
export function bearerToken(r: RecordedRequest): string | undefined {
	return /^Bearer\s+(\S+)$/i.exec(r.headers.authorization ?? '')?.[1];
}

export class SimServer {
	/** Every request received, in order. */
	readonly requests: RecordedRequest[] = [];
	/** Delay before every answer. */
	latencyMs = 0;
	private server?: http.Server | https.Server;
	private url = '';
	private readonly connections = new WeakMap<object, number>();
	private connectionCount = 0;

	constructor(private readonly handler: Handler) {}

	/** `http://127.0.0.1:<port>` (`https:` with `tls`) once started. */
	get baseUrl(): string {
		return this.url;
	}

	/** `tls`: the server's key and certificate, to answer over https as Meta does (tools/http/tls.ts). */
	async start(port = 0, tls?: { key: string; cert: string }): Promise<string> {
		const listener = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
		const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(port, '127.0.0.1', resolve);
		});
		this.server = server;
		this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
		return this.url;
	}

	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const { record, form } = await this.read(req);
		this.requests.push(record);
		let answer: SimResponse;
		try {
			answer = this.handler(record, form);
		} catch (error) {
			answer = serverError(500, 'json');
			console.error('CloudApiSimulator:', error);
		}
		if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
		if (answer.hold) await answer.hold.catch((error) => console.error('CloudApiSimulator: onAccepted hook failed:', error));
		if (answer.drop) {
			// Accepted, and the connection lost before the answer: the status stays unset.
			record.response = '<connection closed before the answer>';
			req.socket.destroy();
			return;
		}
		record.status = answer.status;
		record.response = answer.bytes ? `<${answer.bytes.length} bytes>` : answer.payload;
		if (answer.bytes) {
			res.writeHead(answer.status, {
				'Content-Type': answer.contentType ?? 'application/octet-stream',
				'Content-Length': answer.bytes.length,
			});
			res.end(answer.bytes);
			return;
		}
		const html = typeof answer.payload === 'string';
		res.writeHead(answer.status, {
			'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json; charset=UTF-8',
			'x-fb-trace-id': fbtraceId(),
		});
		res.end(html ? (answer.payload as string) : JSON.stringify(answer.payload));
	}

	/** The number of the connection a request came on, given at its first request. */
	private connectionOf(socket: object): number {
		let id = this.connections.get(socket);
		if (id === undefined) this.connections.set(socket, (id = ++this.connectionCount));
		return id;
	}

	/** The request as recorded: lower-case headers, the query, the body parsed (JSON, else text; a form as its fields). */
	private async read(req: http.IncomingMessage): Promise<{ record: RecordedRequest; form?: Form }> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const bytes = Buffer.concat(chunks);
		const raw = bytes.toString('utf8');
		const url = new URL(req.url ?? '/', this.url);
		const headers: Record<string, string> = {};
		for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
		let body: unknown;
		let form: Form | undefined;
		if ((headers['content-type'] ?? '').startsWith('multipart/form-data')) {
			form = await parseMultipart(headers, bytes).catch(() => undefined);
			// Recorded (and validated) as its fields; the file part as a marker, its bytes in uploadedMedia.
			body = form ? { ...form.fields, ...Object.fromEntries(Object.keys(form.files).map((name) => [name, '<binary>'])) } : raw;
		} else if (raw) {
			try {
				body = JSON.parse(raw);
			} catch {
				body = raw;
			}
		}
		const record: RecordedRequest = {
			at: Date.now(),
			connection: this.connectionOf(req.socket),
			method: req.method ?? 'GET',
			path: url.pathname,
			query: Object.fromEntries(url.searchParams.entries()),
			headers,
			body,
		};
		return { record, form };
	}
}

/** A multipart/form-data body, parsed with busboy. */
function parseMultipart(headers: Record<string, string>, body: Buffer): Promise<Form> {
	return new Promise((resolve, reject) => {
		const form: Form = { fields: {}, files: {} };
		const parser = busboy({ headers });
		parser.on('field', (name, value) => (form.fields[name] = value));
		parser.on('file', (name, stream, info) => {
			const chunks: Buffer[] = [];
			stream.on('data', (c: Buffer) => chunks.push(c));
			stream.on(
				'end',
				() => (form.files[name] = { filename: info.filename ?? '', mimeType: info.mimeType, bytes: Buffer.concat(chunks) }),
			);
		});
		parser.on('close', () => resolve(form));
		parser.on('error', reject);
		parser.end(body);
	});
}
