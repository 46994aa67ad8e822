/**
 * Outbound HTTP of apps, as Rocket.Chat's AppHttpBridge performs it
 * (apps/meteor/app/apps/server/bridges/http.ts).
 */
import * as http from 'http';
import * as https from 'https';
import { URL } from 'url';

import { Json } from '../world';
import { BridgeMethods } from './context';

const isGetOrHead = (method: string): boolean => ['GET', 'HEAD'].includes(method.toUpperCase());

/** Content types whose answer Rocket.Chat's AppHttpBridge parses into `data`. */
const JSON_TYPES = ['application/json', 'text/javascript', 'application/javascript', 'application/x-javascript'];

/**
 * Outbound HTTP from the app, performed for real (tests point it at loopback servers), with the
 * semantics of Rocket.Chat's AppHttpBridge: `content` (or else an object `data`, as JSON) is the
 * body; `params` go in the URL when there is a body or for GET/HEAD, else as a form body; GET/HEAD
 * send no body; `auth` is Basic; `encoding: null` answers with the body's bytes (a Buffer) in
 * `content` and no `data`; otherwise `content` is the decoded text and `data` the parsed JSON for
 * JSON content types (null for others). `request.query` is not used by Rocket.Chat.
 */
export function performHttp(info: { method: string; url: string; request: Json }): Promise<Json> {
	const request = (info.request ?? {}) as {
		content?: string | Uint8Array | null;
		encoding?: string | null;
		data?: unknown;
		params?: Record<string, string> | null;
		headers?: Record<string, string> | null;
		auth?: string | null;
		timeout?: number | null;
	};
	const method = info.method.toUpperCase();
	const url = new URL(info.url);
	const headers: Record<string, string> = { ...(request.headers ?? {}) };
	// Values cross the Deno boundary as msgpack, where an undefined field arrives as null. Bytes (a
	// multipart upload) arrive as a Buffer (msgpack extension 1) or a plain Uint8Array: sent as they are.
	let body: string | Buffer | undefined = request.content instanceof Uint8Array ? Buffer.from(request.content.buffer, request.content.byteOffset, request.content.byteLength) : (request.content ?? undefined) || undefined;
	if (body === undefined && typeof request.data === 'object' && request.data !== null) {
		// Rocket.Chat hands the object to its fetch, which sends it as JSON.
		body = JSON.stringify(request.data);
		if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
	}
	if (request.auth) {
		if (!request.auth.includes(':')) return Promise.reject(new Error('auth option should be of the form "username:password"'));
		headers.Authorization = `Basic ${Buffer.from(request.auth, 'ascii').toString('base64')}`;
	}
	if (request.params) {
		if (body !== undefined || isGetOrHead(method)) {
			for (const [key, value] of Object.entries(request.params)) if (value) url.searchParams.append(key, String(value));
		} else {
			const form = new URLSearchParams();
			for (const [key, value] of Object.entries(request.params)) form.append(key, String(value));
			body = form.toString();
			headers['Content-Type'] = 'application/x-www-form-urlencoded';
		}
	}
	if (isGetOrHead(method)) body = undefined;
	if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
	const timeout = request.timeout || 180000;
	const transport = url.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const req = transport.request(url, { method, headers, timeout }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const raw = Buffer.concat(chunks);
				const responseHeaders: Record<string, string> = {};
				for (const [k, v] of Object.entries(res.headers)) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
				const result: Json = { url: info.url, method: info.method, statusCode: res.statusCode ?? 0, headers: responseHeaders };
				if (request.encoding === null) {
					result.content = raw;
					resolve(result);
					return;
				}
				result.content = raw.toString((request.encoding as BufferEncoding | undefined) ?? 'utf8');
				result.data = null;
				if (JSON_TYPES.includes((responseHeaders['content-type'] ?? '').split(';')[0].trim())) {
					try {
						result.data = JSON.parse(result.content as string);
					} catch {
						result.data = null;
					}
				}
				resolve(result);
			});
		});
		req.on('timeout', () => req.destroy(new Error(`timeout of ${timeout}ms exceeded`)));
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

export function httpBridge(): BridgeMethods {
	return { call: (info: Json) => performHttp(info as { method: string; url: string; request: Json }) };
}
