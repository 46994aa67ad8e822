/**
 * Outbound HTTP from the app's own runtime (the "Send from the app's runtime" setting): WhatsApp
 * message sends and status callbacks, not through Rocket.Chat's HTTP bridge.
 *
 * Through the bridge every call is a call from the app's Deno process to the Rocket.Chat server,
 * which performs it (apps/meteor/app/apps/server/bridges/http.ts, @rocket.chat/server-fetch) on the
 * server's one thread, beside everything else the server does: at campaign volume that thread is the
 * limit, and its delays bunch paced sends together on their way to Meta (tools/bench/README.md).
 * The engine starts an app that declares the `networking` permission with Deno's `--allow-net`
 * (apps-engine AppsEngineDenoRuntime.ts `spawnProcess`) and lets it require node's `http` and
 * `https` (deno-runtime/handlers/app/construct.ts `ALLOWED_NATIVE_MODULES`), so the app can make the
 * call itself. What it gives up, and the setting's description says:
 * - Rocket.Chat's proxy: server-fetch sends through the proxy of HTTP_PROXY / HTTPS_PROXY /
 *   NO_PROXY (proxy-from-env); the app's runtime sees none of the server's environment.
 * - Redirects: server-fetch follows them (up to Rocket.Chat 8.1 a POST answered 301/302/303 becomes
 *   a GET without the payload; from 8.2 it is sent again as it was, at most 5 times); here a 3xx is
 *   the answer (a status callback answered 3xx is retried like any non-2xx).
 * - TLS: certificates are verified against the runtime's own list of authorities; the server's
 *   NODE_EXTRA_CA_CERTS does not reach the runtime.
 * Connections are kept alive (one agent per protocol): reused on Deno 2 (engines 1.60+); Deno 1's
 * node compatibility opens one per call. The agent sets no limit of its own on connections: what
 * bounds the calls in flight is the number's pacer (core/bulk/pacer.ts, enough to keep Meta's rate
 * at its latency) and the delivery's concurrency setting, as through the bridge.
 */
import { StatusPoster } from '../core/app/delivery';
import { HttpPort, HttpRequest, HttpResponse } from '../core/graph/GraphClient';
import { concatBytes } from '../core/media/media';

/** The part of node's `http`/`https` modules used here (rc-apps resolves no node typings at packaging). */
interface NodeAgent {
	destroy(): void;
}
interface NodeResponse {
	statusCode?: number;
	headers: Record<string, string | string[] | undefined>;
	on(event: 'data', listener: (chunk: Uint8Array) => void): void;
	on(event: 'end' | 'close', listener: () => void): void;
	on(event: 'error', listener: (error: Error) => void): void;
}
interface NodeRequest {
	on(event: 'error', listener: (error: Error) => void): void;
	destroy(error?: Error): void;
	end(body?: Uint8Array): void;
}
export interface NodeHttpModule {
	Agent: new (options: { keepAlive: boolean }) => NodeAgent;
	request(
		url: URL,
		options: { method: string; headers: Record<string, string>; agent: NodeAgent },
		onResponse: (response: NodeResponse) => void,
	): NodeRequest;
}

/** No answer in time: `lastError` of a status says `timeout` (outbox.ts `errorCode`). */
class TimedOut extends Error {
	readonly code = 'timeout';
	constructor() {
		super('no answer in time');
	}
}

/** The connection closed before the answer ended. */
class ClosedEarly extends Error {
	readonly code = 'connection_closed';
	constructor() {
		super('the connection closed before the answer ended');
	}
}

class UnsupportedProtocol extends Error {
	readonly code = 'unsupported_protocol';
	constructor() {
		super('the URL is neither http nor https');
	}
}

/** A module and its agent, made at the first call: rc-apps evaluates the app's files at packaging, where `http` is not there. */
type Transport = { module: NodeHttpModule; agent: NodeAgent };

/** The core's HTTP port, performed by the app's runtime. `timeoutMs` bounds the whole exchange. */
export class DirectHttpPort implements HttpPort {
	private readonly transports = new Map<string, Transport>();

	constructor(private readonly load: (name: 'http' | 'https') => NodeHttpModule = (name) => require(name) as NodeHttpModule) {}

	send(req: HttpRequest): Promise<HttpResponse> {
		return new Promise((resolve, reject) => {
			const target = new URL(req.url);
			const transport = this.transport(target.protocol);
			if (!transport) return reject(new UnsupportedProtocol());
			const body =
				req.body === undefined || req.method === 'GET'
					? undefined
					: typeof req.body === 'string'
						? new TextEncoder().encode(req.body)
						: req.body;
			const headers = body ? { ...req.headers, 'Content-Length': String(body.byteLength) } : req.headers;
			// Settled once: by the answer's end, an error, the connection closing first, or the timer. The
			// timer rejects by itself: Deno's `destroy` of a request does not always raise its 'error'.
			let settled = false;
			const settle = (outcome: () => void): void => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				outcome();
			};
			const fail = (error: Error): void => settle(() => reject(error));
			// Set once there is a request (below): one that could not be made leaves no timer behind.
			let timer: ReturnType<typeof setTimeout> | undefined = undefined;
			const onResponse = (response: NodeResponse): void => {
				const chunks: Uint8Array[] = [];
				response.on('data', (chunk) => chunks.push(chunk));
				response.on('error', fail);
				response.on('close', () => fail(new ClosedEarly()));
				response.on('end', () => {
					const status = response.statusCode ?? 0;
					const bytes = concatBytes(chunks);
					const answer: Record<string, string> = {};
					for (const [name, value] of Object.entries(response.headers))
						if (value !== undefined) answer[name] = Array.isArray(value) ? value.join(', ') : value;
					const text = !req.binary || status >= 300 ? new TextDecoder().decode(bytes) : '';
					settle(() => resolve({ status, body: text, headers: answer, ...(req.binary ? { bytes } : {}) }));
				});
			};
			let request: NodeRequest;
			try {
				// Node's and Deno's `request` throw at once on some requests (a header value they refuse):
				// nothing was sent, and no timer may later reach for a request that does not exist.
				request = transport.module.request(target, { method: req.method, headers, agent: transport.agent }, onResponse);
			} catch (error) {
				return fail(error as Error);
			}
			timer = setTimeout(() => {
				fail(new TimedOut());
				request.destroy();
			}, req.timeoutMs);
			request.on('error', fail);
			request.end(body);
		});
	}

	/** Closes the kept-alive connections. */
	close(): void {
		for (const { agent } of this.transports.values()) agent.destroy();
		this.transports.clear();
	}

	private transport(protocol: string): Transport | undefined {
		if (protocol !== 'http:' && protocol !== 'https:') return undefined;
		let transport = this.transports.get(protocol);
		if (!transport) {
			const module = this.load(protocol === 'https:' ? 'https' : 'http');
			transport = { module, agent: new module.Agent({ keepAlive: true }) };
			this.transports.set(protocol, transport);
		}
		return transport;
	}
}

/** Status callbacks over a port: the answer's status is what counts. */
export const statusPosterOver = (port: HttpPort): StatusPoster => ({
	post: async ({ url, body, headers, timeoutMs }) => ({
		status: (await port.send({ method: 'POST', url, body, headers, timeoutMs })).status,
	}),
});

/**
 * Message sends (`POST /{phone-number-id}/messages`: the volume, paced per number) through `direct`;
 * every other Graph call (templates, numbers, media) through `bridged`, Rocket.Chat's.
 */
export const messagesThrough = (direct: HttpPort, bridged: HttpPort): HttpPort => ({
	send: async (req) =>
		(req.method === 'POST' && typeof req.body === 'string' && new URL(req.url).pathname.endsWith('/messages') ? direct : bridged).send(
			req,
		),
});
