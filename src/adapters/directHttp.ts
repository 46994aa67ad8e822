/**
 * Status callbacks POSTed from the app's own runtime (the "Send status callbacks from the app's
 * runtime" setting), not through Rocket.Chat's HTTP bridge.
 *
 * Through the bridge every POST is a call from the app's Deno process to the Rocket.Chat server,
 * which performs it (apps/meteor/app/apps/server/bridges/http.ts, @rocket.chat/server-fetch) on the
 * server's one thread, beside everything else the server does: at campaign volume that thread is the
 * limit (tools/bench/README.md). The engine starts an app that declares the `networking` permission
 * with Deno's `--allow-net` (apps-engine AppsEngineDenoRuntime.ts `spawnProcess`) and lets it
 * require node's `http` and `https` (deno-runtime/handlers/app/construct.ts `ALLOWED_NATIVE_MODULES`),
 * so the app can POST itself. What it gives up, and the setting's description says:
 * - Rocket.Chat's proxy: server-fetch sends through the proxy of HTTP_PROXY / HTTPS_PROXY /
 *   NO_PROXY (proxy-from-env); the app's runtime sees none of the server's environment.
 * - Redirects: server-fetch follows them (and turns a POST answered 301/302/303 into a GET without
 *   the payload); here a 3xx is the answer, a failed attempt retried like any non-2xx.
 * Connections are kept alive and reused (one agent per protocol), TLS certificates are verified.
 */
import { StatusPoster } from '../core/app/delivery';

/** The part of node's `http`/`https` modules used here (rc-apps resolves no node typings at packaging). */
interface NodeAgent {
	destroy(): void;
}
interface NodeResponse {
	statusCode?: number;
	resume(): void;
	on(event: 'end', listener: () => void): void;
	on(event: 'error', listener: (error: Error) => void): void;
}
interface NodeRequest {
	on(event: 'timeout', listener: () => void): void;
	on(event: 'error', listener: (error: Error) => void): void;
	destroy(error?: Error): void;
	end(body: Uint8Array): void;
}
interface NodeHttpModule {
	Agent: new (options: { keepAlive: boolean; maxSockets: number }) => NodeAgent;
	request(
		url: URL,
		options: { method: string; headers: Record<string, string>; agent: NodeAgent; timeout: number },
		onResponse: (response: NodeResponse) => void,
	): NodeRequest;
}

/** At most this many connections per host and protocol (the delivery's concurrency is at most 64). */
const MAX_SOCKETS = 64;

/** A POST that got no answer in time: `lastError` says `timeout` (outbox.ts `errorCode`). */
class TimedOut extends Error {
	readonly code = 'timeout';
	constructor() {
		super('the status endpoint did not answer in time');
	}
}

class UnsupportedProtocol extends Error {
	readonly code = 'unsupported_protocol';
	constructor() {
		super('the Message Status Endpoint URL is neither http nor https');
	}
}

/** A module and its agent, made at the first POST: rc-apps evaluates the app's files at packaging, where `http` is not there. */
type Transport = { module: NodeHttpModule; agent: NodeAgent };

export class DirectStatusPoster implements StatusPoster {
	private readonly transports = new Map<string, Transport>();

	constructor(private readonly load: (name: 'http' | 'https') => NodeHttpModule = (name) => require(name) as NodeHttpModule) {}

	post({ url, body, headers, timeoutMs }: Parameters<StatusPoster['post']>[0]): Promise<{ status: number }> {
		return new Promise((resolve, reject) => {
			const target = new URL(url);
			const transport = this.transport(target.protocol);
			if (!transport) return reject(new UnsupportedProtocol());
			const bytes = new TextEncoder().encode(body);
			const request = transport.module.request(
				target,
				{
					method: 'POST',
					headers: { ...headers, 'Content-Length': String(bytes.byteLength) },
					agent: transport.agent,
					timeout: timeoutMs,
				},
				(response) => {
					// The body is not needed: read to its end so the connection can serve the next POST.
					response.on('error', reject);
					response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
					response.resume();
				},
			);
			request.on('timeout', () => request.destroy(new TimedOut()));
			request.on('error', reject);
			request.end(bytes);
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
			transport = { module, agent: new module.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }) };
			this.transports.set(protocol, transport);
		}
		return transport;
	}
}
