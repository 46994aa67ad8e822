/**
 * Outbound HTTP of apps, as Rocket.Chat's AppHttpBridge performs it
 * (apps/meteor/app/apps/server/bridges/http.ts @ 014c086054cdbb455b32468cad52593b5265a230), through
 * @rocket.chat/server-fetch (packages/server-fetch, node-fetch 2.7.0). How redirects are followed
 * depends on the Rocket.Chat version (`RedirectModel`): the harness follows the running engine's.
 */
import * as http from 'http';
import * as https from 'https';
import { createSecureContext, rootCertificates, SecureContext } from 'tls';
import { URL } from 'url';

import { engineAtLeast, engineVersion } from '../engineVersion';
import { Json } from '../world';
import { BridgeMethods } from './context';

/**
 * How server-fetch follows redirects, by Rocket.Chat version:
 * - `follow`, Rocket.Chat 7.x to 8.1 (server-fetch 0.0.x, packages/server-fetch/src/index.ts @
 *   9d827bc4): node-fetch 2.7.0 follows them itself (its default `redirect: 'follow'`), and the
 *   call uses Node's global agent.
 * - `manual`, Rocket.Chat 8.2 and later (server-fetch 0.1.0, PR #38044, "Adds configurable SSRF
 *   validation for HTTP calls made from server"; 0.2.x in 8.4, index.ts as stored with `allowList`):
 *   server-fetch asks node-fetch for `redirect: 'manual'` and follows them in its own loop, each hop
 *   with the same options (method, body, headers), and an `http:` URL gets a new `http.Agent()` for
 *   each hop (`getFetchAgent`), so no connection is kept for the next call. Apps' calls skip the
 *   SSRF check unless they ask for it (AppHttpBridge: `request.ssrfValidation !== true` ->
 *   `ignoreSsrfValidation: true`); this app does not ask.
 * Rocket.Chat 8.2 ships engine 1.60 (8.0 and 8.1 ship 1.59.x), so the engine's version tells.
 */
export type RedirectModel = 'follow' | 'manual';

/**
 * An `https:` URL goes out on Node's global https agent in both models (with no HTTPS_PROXY set:
 * a proxy gets a new proxy agent for each call): server-fetch's `getFetchAgent` returns no agent of
 * its own for it (no SSRF check asked), so node-fetch uses Node's, which keeps connections open for
 * the next call (Node 19 and later: Rocket.Chat 7 runs Node 20 or 22, 8 Node 22). Rocket.Chat trusts
 * the authorities of NODE_EXTRA_CA_CERTS beside the public ones: `trustAuthority` is the harness's,
 * for a loopback server of its own authority. It reaches the bridge's calls only (`once`), not the
 * process's other https clients.
 */
export function trustAuthority(pem: string): void {
	if (trusted.includes(pem)) return;
	trusted.push(pem);
	// Made once: NODE_EXTRA_CA_CERTS is read into Node's root store at start, where an agent's `ca`
	// option would parse the authorities' text again for every new connection.
	trustedContext = createSecureContext({ ca: [...rootCertificates, ...trusted] });
}
const trusted: string[] = [];
let trustedContext: SecureContext | undefined;

/** The model of the Rocket.Chat that ships the given engine (the running one by default). */
export function redirectModelOf(engine = engineVersion()): RedirectModel {
	return engineAtLeast('1.60.0', engine) ? 'manual' : 'follow';
}

const isGetOrHead = (method: string): boolean => ['GET', 'HEAD'].includes(method.toUpperCase());

/** Content types whose answer Rocket.Chat's AppHttpBridge parses into `data`. */
const JSON_TYPES = ['application/json', 'text/javascript', 'application/javascript', 'application/x-javascript'];

/**
 * Outbound HTTP from the app, performed for real (tests point it at loopback servers), with the
 * semantics of Rocket.Chat's AppHttpBridge: `content` (or else an object `data`) is the body, an
 * object that is not a Buffer sent as JSON (`fetchBody`); `params` go in the URL when there is a
 * body or for GET/HEAD, else as a form body; GET/HEAD
 * send no body; `auth` is Basic; `encoding: null` answers with the body's bytes (a Buffer) in
 * `content` and no `data`; otherwise `content` is the decoded text and `data` the parsed JSON for
 * JSON content types (null for others). `request.query` is not used by Rocket.Chat.
 */
export function performHttp(info: { method: string; url: string; request: Json }, model: RedirectModel = redirectModelOf()): Promise<Json> {
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
	const headers: Record<string, string | string[]> = { ...(request.headers ?? {}) };
	// AppHttpBridge: `content`, or else an object `data`. Values cross the Deno boundary as msgpack:
	// an undefined field arrives as null, a Buffer as a Buffer (the engine's extension 1), other
	// bytes as a plain Uint8Array.
	let content: unknown = request.content;
	if (!content && typeof request.data === 'object') content = request.data;
	if (request.auth) {
		if (!request.auth.includes(':')) return Promise.reject(new Error('auth option should be of the form "username:password"'));
		headers.Authorization = `Basic ${Buffer.from(request.auth, 'ascii').toString('base64')}`;
	}
	if (content || isGetOrHead(method)) {
		for (const [key, value] of Object.entries(request.params ?? {})) if (value) url.searchParams.append(key, String(value));
	} else if (request.params) {
		// The engine's runtime always sends `params` (an empty object at least): a call without a body gets an empty form.
		const form = new URLSearchParams();
		for (const [key, value] of Object.entries(request.params)) form.append(key, String(value));
		content = form.toString();
		headers['Content-Type'] = 'application/x-www-form-urlencoded';
	}
	if (isGetOrHead(method)) content = undefined;
	const body = fetchBody(content, headers);
	if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
	const timeout = request.timeout || 180000;
	// One timer for the whole exchange, redirects included (server-fetch aborts its controller).
	const deadline = Date.now() + timeout;
	const exchange = model === 'manual' ? followManually : follow;
	return exchange({ method, url, headers, body }, 0, deadline, timeout).then(({ res, raw }) => {
		const responseHeaders: Record<string, string> = {};
		for (const [k, v] of Object.entries(res.headers)) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
		// `url` is the URL the app asked for, not the one that answered (AppHttpBridge: `url: info.url`).
		const result: Json = { url: info.url, method: info.method, statusCode: res.statusCode ?? 0, headers: responseHeaders };
		if (request.encoding === null) {
			result.content = raw;
			return result;
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
		return result;
	});
}

/**
 * The body server-fetch hands node-fetch (packages/server-fetch/src/parsers.ts `parseRequestOptions`):
 * unless the Content-Type is `application/x-www-form-urlencoded`, any object that is not a Buffer
 * (bytes that are a plain Uint8Array included) is sent as JSON (if it can be: else as it is), its
 * Content-Type forced to `application/json` (`{ ...headers, 'Content-Type': ... }`: another casing
 * stays beside it, and node-fetch sends both lines, the app's first). node-fetch 2.7.0 then sends a
 * string, a Buffer or other bytes (an ArrayBuffer or a view of one) as they are, anything else as
 * `String(body)`.
 */
function fetchBody(content: unknown, headers: Record<string, string | string[]>): string | Buffer | undefined {
	const type = String(headers['Content-Type'] || headers['content-type'] || '');
	if (type.toLowerCase() !== 'application/x-www-form-urlencoded' && typeof content === 'object' && !Buffer.isBuffer(content)) {
		try {
			content = JSON.stringify(content);
			const others = Object.keys(headers).filter((h) => h !== 'Content-Type' && h.toLowerCase() === 'content-type');
			headers['Content-Type'] = others.length ? [...others.flatMap((h) => headers[h]), 'application/json'] : 'application/json';
			for (const h of others) delete headers[h];
		} catch {
			// parsers.ts: "Body is not JSON, do nothing".
		}
	}
	if (content === undefined || content === null) return undefined;
	if (typeof content === 'string' || Buffer.isBuffer(content)) return content;
	// node-fetch's Body: bytes (an ArrayBuffer or a view of one) as they are, anything else as its text.
	if (ArrayBuffer.isView(content)) return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
	if (content instanceof ArrayBuffer) return Buffer.from(content);
	return String(content);
}

interface Hop {
	method: string;
	url: URL;
	headers: Record<string, string | string[]>;
	body?: string | Buffer;
}

/** node-fetch's default `follow`: at most 20 redirects (`follow` model). */
export const MAX_REDIRECTS = 20;
/** server-fetch's own loop: at most 5 redirects (packages/server-fetch/src/constants.ts `MAX_REDIRECTS`, `manual` model). */
export const SERVER_FETCH_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
/** Headers node-fetch drops when a redirect leaves the host (or its subdomains) or changes protocol. */
const CREDENTIAL_HEADERS = ['authorization', 'www-authenticate', 'cookie', 'cookie2'];

/** node-fetch's isDomainOrSubdomain(current, location): the location's host is the current host or one of its subdomains. */
function sameDomainOrSubdomain(current: URL, location: URL): boolean {
	const orig = location.hostname;
	const dest = current.hostname;
	return orig === dest || (orig[orig.length - dest.length - 1] === '.' && orig.endsWith(dest));
}

/**
 * One request, then the redirects, as node-fetch 2.7.0 follows them for Rocket.Chat up to 8.1
 * (lib/index.js, "HTTP-redirect fetch"): a 301/302/303/307/308 with a Location is followed, up to 20 times (then "maximum redirect
 * reached at: <url>"); a 303, or a 301/302 answering a POST, becomes a GET without body (and
 * without Content-Length; other headers stay); a 307/308 keeps method and body; credentials
 * (Authorization, Cookie...) are dropped when the target is another host or protocol. A redirect
 * without Location is the answer.
 */
function follow(hop: Hop, counter: number, deadline: number, timeout: number): Promise<{ res: http.IncomingMessage; raw: Buffer }> {
	const followed = (res: http.IncomingMessage) => REDIRECT_STATUSES.includes(res.statusCode ?? 0) && !!res.headers.location;
	return once(hop, deadline, timeout, followed).then(({ res, raw }) => {
		const location = res.headers.location;
		if (!REDIRECT_STATUSES.includes(res.statusCode ?? 0) || !location) return { res, raw };
		let next: URL;
		try {
			next = new URL(location, hop.url);
		} catch {
			throw new Error(`uri requested responds with an invalid redirect URL: ${location}`);
		}
		if (counter >= MAX_REDIRECTS) throw new Error(`maximum redirect reached at: ${hop.url.href}`);
		const headers = { ...hop.headers };
		if (!sameDomainOrSubdomain(hop.url, next) || hop.url.protocol !== next.protocol) {
			for (const name of Object.keys(headers)) if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete headers[name];
		}
		let { method, body } = hop;
		if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
			method = 'GET';
			body = undefined;
			for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-length') delete headers[name];
		}
		return follow({ method, url: next, headers, body }, counter + 1, deadline, timeout);
	});
}

/**
 * One request, then the redirects, as server-fetch 0.1+ follows them (`serverFetch`'s loop): a
 * 301/302/303/307/308 is followed with the same method, body and headers (a POST stays a POST with
 * its payload, Authorization and Cookie go along to any host), at most 5 times: the next redirect
 * fails with "error-too-many-redirects"; one without Location fails with
 * "redirect-response-location-header-missing" (`followRedirect`). The Location is resolved against
 * the URL asked (node-fetch's manual mode, then `new URL(location, currentUrl)`, which throws on
 * one that cannot be). An `http:` hop goes out on a new agent of its own (no keep-alive: a new
 * connection for every call); an `https:` hop on Node's global agent (`trustAuthority`).
 */
function followManually(hop: Hop, counter: number, deadline: number, timeout: number): Promise<{ res: http.IncomingMessage; raw: Buffer }> {
	const agent = hop.url.protocol === 'http:' ? new http.Agent() : undefined;
	const followed = (res: http.IncomingMessage) => REDIRECT_STATUSES.includes(res.statusCode ?? 0);
	return once(hop, deadline, timeout, followed, agent).then(({ res, raw }) => {
		if (!REDIRECT_STATUSES.includes(res.statusCode ?? 0)) return { res, raw };
		const location = res.headers.location;
		if (!location) throw new Error('redirect-response-location-header-missing');
		if (counter === SERVER_FETCH_MAX_REDIRECTS) throw new Error('error-too-many-redirects');
		return followManually({ ...hop, url: new URL(location, hop.url) }, counter + 1, deadline, timeout);
	});
}

/**
 * What the app gets when the call's time runs out before the answer's headers: server-fetch
 * (packages/server-fetch/src/index.ts) starts an AbortController's timer of `timeout` ms before the
 * request and passes its signal to node-fetch, whose own "network timeout" timer starts only once
 * it has a socket, so the abort comes first, whether the connection or the answer was slow:
 * node-fetch 2.7.0 rejects with its AbortError "The user aborted a request." (lib/index.js), and the
 * bridge passes its message on. server-fetch clears that timer once the headers came; reading the
 * body (AppHttpBridge's `response.arrayBuffer()`) then has node-fetch's own `timeout`, afresh:
 * "Response timeout while trying to fetch <url> (over <timeout>ms)" (lib/index.js, consumeBody).
 */
const abortError = (): Error => Object.assign(new Error('The user aborted a request.'), { name: 'AbortError', type: 'aborted' });
const bodyTimeout = (url: URL, timeout: number): Error =>
	Object.assign(new Error(`Response timeout while trying to fetch ${url.href} (over ${timeout}ms)`), {
		name: 'FetchError',
		type: 'body-timeout',
	});

/**
 * node-fetch 2.7.0's words for a failure (lib/index.js), which the bridge passes on: a request that
 * failed, `request to <url> failed, reason: <Node's message>` (its FetchError, 'system', with the
 * error's code); an answer whose body failed, `Invalid response body while trying to fetch <url>:
 * <message>` (consumeBody).
 */
const fetchError = (message: string, cause?: Error): Error =>
	Object.assign(new Error(message), {
		name: 'FetchError',
		type: 'system',
		...(cause && (cause as { code?: unknown }).code !== undefined
			? { code: (cause as { code?: unknown }).code, errno: (cause as { code?: unknown }).code }
			: {}),
	});

function once(
	hop: Hop,
	deadline: number,
	timeout: number,
	followsOn: (res: http.IncomingMessage) => boolean,
	agent?: http.Agent,
): Promise<{ res: http.IncomingMessage; raw: Buffer }> {
	const transport = hop.url.protocol === 'https:' ? https : http;
	const left = Math.max(1, deadline - Date.now());
	return new Promise((resolve, reject) => {
		// The abort's wall clock up to the headers (across redirects: `deadline`), then the body's own.
		let expired: (() => Error) | undefined;
		let timer = setTimeout(() => {
			expired = abortError;
			req.destroy(abortError());
		}, left);
		const fail = (error: Error) => {
			clearTimeout(timer);
			reject(expired ? expired() : error);
		};
		const options = {
			method: hop.method,
			headers: hop.headers,
			...(agent ? { agent } : {}),
			// Node's global agent pools connections by host and TLS options, this context not among them.
			...(hop.url.protocol === 'https:' && trustedContext ? { secureContext: trustedContext } : {}),
		};
		const req = transport.request(hop.url, options, (res) => {
			clearTimeout(timer);
			if (followsOn(res)) {
				// A redirect is followed once its headers came, its body left unread (node-fetch's
				// follow mode finalizes the answer; server-fetch's loop calls `response.body.resume()`).
				res.resume();
				resolve({ res, raw: Buffer.alloc(0) });
				return;
			}
			timer = setTimeout(() => {
				expired = () => bodyTimeout(hop.url, timeout);
				res.destroy();
				fail(expired());
			}, timeout);
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				clearTimeout(timer);
				resolve({ res, raw: Buffer.concat(chunks) });
			});
			// A body cut short: node-fetch pipes the answer and hears no error of it. A chunked one fails
			// with "Premature close" (fixResponseChunkedTransferBadEnding); one of a Content-Length
			// waits for the body's timeout ("Response timeout ...", the timer above).
			const chunked = /chunked/i.test(String(res.headers['transfer-encoding'] ?? ''));
			const cut = () => {
				if (!chunked) return;
				const closed = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
				fail(fetchError(`Invalid response body while trying to fetch ${hop.url.href}: ${closed.message}`, closed));
			};
			res.on('error', cut);
			res.on('aborted', cut);
		});
		req.on('error', (error) => fail(fetchError(`request to ${hop.url.href} failed, reason: ${error.message}`, error)));
		if (hop.body !== undefined) req.write(hop.body);
		req.end();
	});
}

/** The bridge, following redirects as the running engine's Rocket.Chat does; `calls` gets the method and URL of each call. */
export function httpBridge(calls: Array<{ method: string; url: string }>): BridgeMethods {
	return {
		call: (info: Json) => {
			const request = info as { method: string; url: string; request: Json };
			calls.push({ method: request.method, url: request.url });
			return performHttp(request);
		},
	};
}
