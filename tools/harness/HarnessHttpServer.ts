/**
 * Serves the app's REST endpoints over real HTTP in Rocket.Chat's URL shape,
 * `/api/apps/public/<appId>/<path>`, with Rocket.Chat's authentication (X-User-Id / X-Auth-Token)
 * for endpoints that require it and its JSON body parsing.
 */
import * as http from 'http';
import { URL } from 'url';

import { AppHarness } from './AppHarness';

export class HarnessHttpServer {
	private server?: http.Server;
	baseUrl = '';
	/** Routes served before the app's (the sandbox's control API); returns true when it answered. */
	extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>;

	/** Every answer it gave (status and body), for tests to search: what the app answered over HTTP. */
	readonly answers: Array<{ status: number; body: string }> = [];

	constructor(private readonly harness: AppHarness) {}

	async start(port = 0, host = '127.0.0.1'): Promise<string> {
		this.server = http.createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
		this.baseUrl = `http://${host}:${(this.server.address() as { port: number }).port}`;
		return this.baseUrl;
	}

	/** The public URL of one of the app's endpoints. */
	endpointUrl(path: string): string {
		return `${this.baseUrl}/api/apps/public/${this.harness.appId}/${path.replace(/^\/+/, '')}`;
	}

	async stop(): Promise<void> {
		if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const send = (status: number, content: unknown, headers: Record<string, string> = {}) => {
			const isText = typeof content === 'string';
			res.writeHead(status, { 'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
			const body = isText ? content : JSON.stringify(content ?? {});
			this.answers.push({ status, body });
			res.end(body);
		};
		try {
			const url = new URL(req.url ?? '/', this.baseUrl);
			if (this.extraRoutes && (await this.extraRoutes(req, res, url))) return;
			const prefix = `/api/apps/public/${this.harness.appId}/`;
			if (!url.pathname.startsWith(prefix)) return send(404, { success: false, error: 'Not found' });
			const chunks: Buffer[] = [];
			for await (const chunk of req) chunks.push(chunk as Buffer);
			const raw = Buffer.concat(chunks).toString('utf8');
			let content: unknown = undefined;
			if (raw) {
				if ((req.headers['content-type'] ?? '').includes('json')) {
					try {
						content = JSON.parse(raw);
					} catch {
						// Rocket.Chat's JSON body parser answers malformed JSON before any app code runs.
						return send(400, { success: false, error: 'Invalid JSON body' });
					}
				} else {
					content = raw;
				}
			}
			const headers: Record<string, string> = {};
			for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
			const user = this.harness.world.authenticate(headers['x-user-id'], headers['x-auth-token']);
			const result = await this.harness.api(
				{
					method: (req.method ?? 'GET').toLowerCase() as 'get',
					path: url.pathname.slice(prefix.length),
					headers,
					query: Object.fromEntries(url.searchParams.entries()),
					content,
				},
				user,
			);
			send(result.status, result.content, result.headers ?? {});
		} catch {
			// As Rocket.Chat does for an engine failure: a generic 500, no internals.
			send(500, { success: false, error: 'Internal server error' });
		}
	}
}
