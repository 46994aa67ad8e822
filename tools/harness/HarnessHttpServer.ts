/**
 * Serves the app's REST endpoints over real HTTP in Rocket.Chat's URL shape,
 * `/api/apps/public/<appId>/<path>`, with Rocket.Chat's authentication (X-User-Id / X-Auth-Token)
 * for endpoints that require it and its body parsing.
 *
 * The body is parsed as Rocket.Chat 7.6 and later (8.x included) parse it for apps, with the same
 * library: `apiServer.use('/api/apps/public/:appId', bodyParser.urlencoded({ extended: true }),
 * bodyParser.json())` (apps/meteor/app/apps/server/bridges/router.ts). So: JSON bodies of
 * `application/json` and form bodies are parsed, anything else (no Content-Type, text/plain) reaches
 * the app as `{}`; a body over body-parser's default limit, 100 kB, and malformed JSON are answered
 * 413 and 400 before the app runs, by Express's final handler (an HTML page, `NODE_ENV=production`).
 * Rocket.Chat 7.0–7.5 parsed bodies of up to 50 MB (`express.json({ limit: '50mb' })` in
 * apps/meteor/app/api/server/api.ts): `bodyLimit` models them.
 */
import * as http from 'http';
import { URL } from 'url';

import bodyParser = require('body-parser');

import { AppHarness } from './AppHarness';

export interface HarnessHttpOptions {
	/** body-parser's `limit`: Rocket.Chat 7.6+ keep its default (100 kB); 7.0–7.5 had '50mb'. */
	bodyLimit?: string;
}

/** Express's final handler's page for an error status in production (finalhandler: the status's message). */
function errorPage(status: number): string {
	const message = (http.STATUS_CODES[status] ?? 'Error').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
	return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${message}</pre>\n</body>\n</html>\n`;
}

export class HarnessHttpServer {
	private server?: http.Server;
	baseUrl = '';
	/** Routes served before the app's (the sandbox's control API); returns true when it answered. */
	extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>;

	/** Every answer it gave (status and body), for tests to search: what the app answered over HTTP. */
	readonly answers: Array<{ status: number; body: string }> = [];

	private readonly parsers: Array<(req: http.IncomingMessage, res: http.ServerResponse, next: (error?: unknown) => void) => void>;

	constructor(
		private readonly harness: AppHarness,
		options: HarnessHttpOptions = {},
	) {
		const limit = options.bodyLimit;
		this.parsers = [bodyParser.urlencoded({ extended: true, ...(limit ? { limit } : {}) }), bodyParser.json(limit ? { limit } : {})];
	}

	/** Runs Rocket.Chat's body parsers: the body, or the status an error of theirs answers with. */
	private async parse(req: http.IncomingMessage, res: http.ServerResponse): Promise<{ body: unknown } | { status: number }> {
		try {
			for (const parser of this.parsers)
				await new Promise<void>((resolve, reject) => parser(req, res, (error) => (error ? reject(error) : resolve())));
		} catch (error) {
			const status = Number((error as { status?: number }).status);
			return { status: status >= 400 && status < 600 ? status : 500 };
		}
		// body-parser 1.x leaves `{}` for a body it does not parse.
		return { body: (req as { body?: unknown }).body ?? {} };
	}

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
			const parsed = await this.parse(req, res);
			if ('status' in parsed) {
				const page = errorPage(parsed.status);
				res.writeHead(parsed.status, {
					'Content-Type': 'text/html; charset=utf-8',
					'Content-Security-Policy': "default-src 'none'",
				});
				this.answers.push({ status: parsed.status, body: page });
				return void res.end(page);
			}
			const content = parsed.body;
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
		} catch (error) {
			// As Rocket.Chat does when the engine's call fails (an endpoint that throws, a runtime timeout):
			// the error's message itself, as the body of a 500 (bridges/api.ts `_appApiExecutor`:
			// `res.status(500).send(reason.message)`, express's text/html).
			const message = String((error as { message?: unknown })?.message ?? '');
			res.writeHead(500, { 'Content-Type': 'text/html; charset=utf-8' });
			this.answers.push({ status: 500, body: message });
			res.end(message);
		}
	}
}
