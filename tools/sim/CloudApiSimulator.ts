/**
 * A simulated WhatsApp Cloud API (Graph API) on loopback, speaking Meta's formats: the endpoints the
 * app calls, Meta's error envelopes, and Meta's side of webhooks (signed deliveries). Every request
 * is checked by an injected validator (tests and the sandbox pass the OpenAPI validator of
 * test/support/metaSpec.ts); an invalid request is answered with Meta's error 100 and recorded in
 * `violations`.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { URL } from 'url';

import { serializeLikeMeta } from '../../src/core/webhook/metaJson';
import { signPayload } from '../../src/core/webhook/signature';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface SimNumber {
	phoneNumberId: string;
	wabaId: string;
	displayPhoneNumber: string;
	verifiedName: string;
	accessToken: string;
	appSecret: string;
}

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	body?: unknown;
	operation?: string;
	/** When the request arrived (ms since epoch). */
	at?: number;
	status?: number;
	response?: unknown;
}

export type Validator = (req: { method: string; path: string; query: Record<string, string>; headers: Record<string, string>; body?: unknown; template?: string }) => { ok: boolean; errors: string[]; operation?: string };

interface InjectedError {
	code: number;
	count: number;
	match?: (body: Any) => boolean;
}

/** Meta's error envelopes for the codes the simulator can inject (titles from Meta's error-code table). */
const ERRORS: Record<number, { status: number; type: string; message: string; title?: string }> = {
	100: { status: 400, type: 'OAuthException', message: '(#100) Invalid parameter' },
	190: { status: 401, type: 'OAuthException', message: 'Error validating access token: Session has expired.' },
	130429: { status: 400, type: 'OAuthException', message: '(#130429) Rate limit hit', title: 'Rate limit hit' },
	131026: { status: 400, type: 'OAuthException', message: '(#131026) Message undeliverable', title: 'Message undeliverable' },
	131047: { status: 400, type: 'OAuthException', message: '(#131047) Re-engagement message', title: 'Re-engagement message' },
	131056: { status: 400, type: 'OAuthException', message: '(#131056) (Business Account, Consumer Account) pair rate limit hit', title: '(Business Account, Consumer Account) pair rate limit hit' },
	132000: { status: 400, type: 'OAuthException', message: '(#132000) Number of parameters does not match the expected number of params', title: 'Number of parameters does not match the expected number of params' },
	132001: { status: 404, type: 'OAuthException', message: '(#132001) Template name does not exist in the translation', title: 'Template name does not exist in the translation' },
};

export class CloudApiSimulator {
	readonly numbers = new Map<string, SimNumber>();
	readonly templates = new Map<string, Any[]>();
	readonly requests: RecordedRequest[] = [];
	readonly violations: Array<{ request: RecordedRequest; errors: string[] }> = [];
	readonly sentMessages: Array<{ phoneNumberId: string; wamid: string; body: Any }> = [];
	webhookTarget?: { url: string };
	/** How many sends the throughput cap answered with 130429. */
	throttled = 0;
	private server?: http.Server;
	private baseUrl = '';
	private latencyMs = 0;
	private readonly injected = new Map<string, InjectedError[]>();
	private readonly caps = new Map<string, { perSecond: number; accepted: number[] }>();

	constructor(private readonly options: { validate?: Validator; port?: number } = {}) {}

	async start(): Promise<{ baseUrl: string }> {
		this.server = http.createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve) => this.server!.listen(this.options.port ?? 0, '127.0.0.1', resolve));
		const address = this.server.address() as { port: number };
		this.baseUrl = `http://127.0.0.1:${address.port}`;
		return { baseUrl: this.baseUrl };
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
		this.server = undefined;
	}

	addNumber(number: SimNumber): void {
		this.numbers.set(number.phoneNumberId, number);
		if (!this.templates.has(number.wabaId)) this.templates.set(number.wabaId, []);
	}

	setTemplates(wabaId: string, templates: Any[]): void {
		this.templates.set(wabaId, templates);
	}

	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	/** Meta's throughput limit for one number: sends above `perSecond` in any one-second window get error 130429. */
	setThroughputCap(phoneNumberId: string, perSecond: number): void {
		this.caps.set(phoneNumberId, { perSecond, accepted: [] });
	}

	/** Loads Meta's documented template list responses (shared/contracts) as the WABA's templates. */
	loadTemplateFixtures(wabaId: string, contractsDir: string): void {
		const files = ['meta-docs/templates-list-default-fields.response.json', 'meta-docs/templates-list-graph-reference-v16.response.json', 'meta-openapi/message-templates-list-response.example.json'];
		const all: Any[] = [];
		for (const file of files) {
			const data = JSON.parse(fs.readFileSync(`${contractsDir}/${file}`, 'utf8'));
			for (const t of data.data ?? []) if (!all.some((x) => x.name === t.name && x.language === t.language)) all.push(t);
		}
		this.setTemplates(wabaId, all);
	}

	/** The next `count` (default 1) sends from `phoneNumberId` (matching `match`, if given) fail with Meta's error `code`. */
	injectError(phoneNumberId: string, error: { code: number; count?: number; match?: (body: Any) => boolean }): void {
		const list = this.injected.get(phoneNumberId) ?? [];
		list.push({ code: error.code, count: error.count ?? 1, match: error.match });
		this.injected.set(phoneNumberId, list);
	}

	/** Requests whose path ends with `suffix` (e.g. '/messages'). */
	requestsTo(suffix: string): RecordedRequest[] {
		return this.requests.filter((r) => r.path.endsWith(suffix));
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		const url = new URL(req.url ?? '/', this.baseUrl);
		const headers: Record<string, string> = {};
		for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
		let body: unknown;
		if (raw) {
			try {
				body = JSON.parse(raw);
			} catch {
				body = raw;
			}
		}
		const record: RecordedRequest = { at: Date.now(), method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams.entries()), headers, body };
		this.requests.push(record);
		if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
		const { status, payload } = this.route(record);
		record.status = status;
		record.response = payload;
		res.writeHead(status, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(payload));
	}

	private route(r: RecordedRequest): { status: number; payload: unknown } {
		const [version, id, edge, ...rest] = r.path.replace(/^\/+/, '').split('/');
		if (!/^v\d+\.\d+$/.test(version ?? '') || !id || rest.length) return this.error(100, 'Unknown path components');
		const number = this.numbers.get(id);
		const wabaNumbers = [...this.numbers.values()].filter((n) => n.wabaId === id);
		const template = number ? (edge ? `/{Version}/{Phone-Number-ID}/${edge}` : '/{Version}/{Phone-Number-ID}') : wabaNumbers.length ? (edge ? `/{Version}/{WABA-ID}/${edge}` : '/{Version}/{WABA-ID}') : undefined;
		if (!template) return this.error(100, `Unsupported ${r.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, 'GraphMethodException', 33);

		const token = /^Bearer\s+(.+)$/.exec(r.headers.authorization ?? '')?.[1];
		const owners = number ? [number] : wabaNumbers;
		if (!token || !owners.some((n) => n.accessToken === token)) return this.error(190);

		if (this.options.validate) {
			const check = this.options.validate({ method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.body, template });
			r.operation = check.operation;
			if (!check.ok) {
				this.violations.push({ request: r, errors: check.errors });
				return this.error(100, `(#100) Invalid parameter: ${check.errors.join('; ')}`);
			}
		}

		if (r.method === 'GET' && number && !edge) return { status: 200, payload: pick({ id: number.phoneNumberId, display_phone_number: number.displayPhoneNumber, verified_name: number.verifiedName, quality_rating: 'GREEN' }, r.query.fields) };
		if (r.method === 'GET' && edge === 'phone_numbers' && !number) {
			return { status: 200, payload: { data: wabaNumbers.map((n) => pick({ id: n.phoneNumberId, display_phone_number: n.displayPhoneNumber, verified_name: n.verifiedName, quality_rating: 'GREEN' }, r.query.fields)) } };
		}
		if (r.method === 'GET' && edge === 'message_templates' && !number) return this.listTemplates(version, id, r.query);
		if (r.method === 'POST' && edge === 'messages' && number) return this.send(number, r.body as Any);
		return this.error(100, `Unsupported ${r.method.toLowerCase()} request.`, 'GraphMethodException', 33);
	}

	private listTemplates(version: string, wabaId: string, query: Record<string, string>): { status: number; payload: unknown } {
		let list = this.templates.get(wabaId) ?? [];
		if (query.status) list = list.filter((t) => String(t.status).toUpperCase() === query.status.toUpperCase());
		if (query.name) list = list.filter((t) => String(t.name).includes(query.name));
		if (query.language) list = list.filter((t) => t.language === query.language);
		const limit = Math.min(Number(query.limit) || 25, 1000);
		const start = query.after ? Number(Buffer.from(query.after, 'base64').toString('utf8')) || 0 : 0;
		const data = list.slice(start, start + limit).map((t) => pick(t, query.fields));
		const cursor = (n: number) => Buffer.from(String(n)).toString('base64');
		const paging: Any = { cursors: { before: cursor(start), after: cursor(start + data.length) } };
		if (start + limit < list.length) {
			const next = new URL(`/${version}/${wabaId}/message_templates`, this.baseUrl);
			for (const [k, v] of Object.entries(query)) if (k !== 'after') next.searchParams.set(k, v);
			next.searchParams.set('after', paging.cursors.after);
			paging.next = next.toString();
		}
		return { status: 200, payload: { data, paging } };
	}

	private send(number: SimNumber, body: Any): { status: number; payload: unknown } {
		const cap = this.caps.get(number.phoneNumberId);
		if (cap) {
			const now = Date.now();
			cap.accepted = cap.accepted.filter((t) => now - t < 1000);
			if (cap.accepted.length >= cap.perSecond) {
				this.throttled++;
				return this.error(130429);
			}
			cap.accepted.push(now);
		}
		const queue = this.injected.get(number.phoneNumberId) ?? [];
		const injected = queue.find((e) => e.count > 0 && (!e.match || e.match(body)));
		if (injected) {
			injected.count--;
			return this.error(injected.code);
		}
		const wamid = `wamid.${Buffer.from(`${number.phoneNumberId}_${randomBytes(12).toString('hex')}`).toString('base64')}`;
		this.sentMessages.push({ phoneNumberId: number.phoneNumberId, wamid, body });
		const to = String(body?.to ?? '');
		const payload: Any = { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to.replace(/\D/g, '') }], messages: [{ id: wamid }] };
		if (body?.type === 'template') payload.messages[0].message_status = 'accepted';
		return { status: 200, payload };
	}

	private error(code: number, message?: string, type?: string, httpStatusOverride?: number): { status: number; payload: unknown } {
		const known = ERRORS[code] ?? ERRORS[100];
		const error: Any = { message: message ?? known.message, type: type ?? known.type, code: httpStatusOverride === 33 ? 100 : code, fbtrace_id: `A${randomBytes(10).toString('hex')}` };
		if (httpStatusOverride === 33) error.error_subcode = 33;
		if (known.title) error.error_data = { messaging_product: 'whatsapp', details: known.title };
		return { status: known.status, payload: { error } };
	}

	// ---- Meta's side of webhooks ----------------------------------------------------------------

	/** POSTs `payload` to the app's webhook as Meta does: Meta's serialization, signed with the number's app secret. */
	async deliverRaw(payload: unknown, appSecret: string, options: { signature?: string } = {}): Promise<{ status: number; body: string }> {
		if (!this.webhookTarget) throw new Error('CloudApiSimulator: set webhookTarget first');
		const raw = serializeLikeMeta(payload);
		const signature = options.signature ?? signPayload(raw, appSecret);
		return postRaw(this.webhookTarget.url, raw, { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature });
	}

	/** An inbound text message from a WhatsApp user, shaped like Meta's (shared/contracts/meta-docs/webhook-incoming-text.json). */
	inboundTextPayload(phoneNumberId: string, message: { from: string; name: string; text: string; wamid?: string; timestamp?: string }): Any {
		return this.envelope(phoneNumberId, {
			contacts: [{ profile: { name: message.name }, wa_id: message.from }],
			messages: [
				{
					from: message.from,
					id: message.wamid ?? `wamid.${randomBytes(16).toString('hex')}`,
					timestamp: message.timestamp ?? String(Math.floor(Date.now() / 1000)),
					text: { body: message.text },
					type: 'text',
				},
			],
		});
	}

	/** A status webhook for messages sent from one number, batched in one change as Meta batches them. */
	statusPayload(phoneNumberId: string, statuses: Array<{ wamid: string; status: string; recipient: string; timestamp?: string; errors?: unknown[] }>): Any {
		return this.envelope(phoneNumberId, {
			statuses: statuses.map((s) => ({
				id: s.wamid,
				status: s.status,
				timestamp: s.timestamp ?? String(Math.floor(Date.now() / 1000)),
				recipient_id: s.recipient,
				...(s.errors ? { errors: s.errors } : {}),
			})),
		});
	}

	/** Meta's webhook envelope around one `messages` change of one number. */
	private envelope(phoneNumberId: string, value: Record<string, unknown>): Any {
		const number = this.numbers.get(phoneNumberId);
		if (!number) throw new Error(`unknown number ${phoneNumberId}`);
		const metadata = { display_phone_number: number.displayPhoneNumber.replace(/\D/g, ''), phone_number_id: number.phoneNumberId };
		return {
			object: 'whatsapp_business_account',
			entry: [{ id: number.wabaId, changes: [{ value: { messaging_product: 'whatsapp', metadata, ...value }, field: 'messages' }] }],
		};
	}
}

function pick(object: Any, fields?: string): Any {
	if (!fields) return object;
	const wanted = fields.split(',').map((f) => f.trim());
	return Object.fromEntries(Object.entries(object).filter(([k]) => wanted.includes(k) || k === 'id'));
}

export function postRaw(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
		});
		req.on('error', reject);
		req.end(body);
	});
}
