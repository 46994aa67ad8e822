/**
 * A simulated WhatsApp Cloud API (Graph API) on loopback, speaking Meta's formats: the endpoints the
 * app calls, Meta's error envelopes, and Meta's side of webhooks (signed deliveries). Every request
 * is checked by an injected validator (tests and the sandbox pass `validateRequest` of
 * tools/sim/metaSpec.ts); in strict mode an invalid request is answered with Meta's error 100.
 * Every invalid request is recorded in `violations`. See tools/sim/README.md.
 */
import busboy from 'busboy';
import { createHash, randomInt } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { URL } from 'url';

import { serializeLikeMeta } from '../../src/core/webhook/metaJson';
import { signPayload } from '../../src/core/webhook/signature';
import { CONTRACTS_DIR } from './contracts';
import { accessTokenError, fbtraceId, invalidParameter, metaError, serverError, SimResponse, statusError, unsupportedRequest } from './metaErrors';
import { inboundMessagePayload, nowSeconds, StatusName, StatusObject, statusesPayload, wamidFor, WebhookNumber, WebhookPayload } from './webhookPayloads';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface SimNumber {
	phoneNumberId: string;
	wabaId: string;
	/** As Meta shows it, e.g. '+1 555-078-3881'. */
	displayPhoneNumber: string;
	verifiedName: string;
	accessToken: string;
	appSecret: string;
	qualityRating?: 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';
}

export interface ValidationResult {
	ok: boolean;
	errors: string[];
	operation?: string;
}

export interface ValidatedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	body?: unknown;
	/** The spec path template the simulator resolved the id to, e.g. '/{Version}/{WABA-ID}/message_templates'. */
	template?: string;
}

export type Validator = (req: ValidatedRequest) => ValidationResult;

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	/** Lower-case header names. */
	headers: Record<string, string>;
	/** Parsed JSON body (the raw text when it is not JSON). */
	body?: unknown;
	operation?: string;
	/** Result of the validator; absent when the request was refused before (token, unknown id). */
	validation?: ValidationResult;
	/** When the request arrived (ms since epoch). */
	at: number;
	status?: number;
	response?: unknown;
}

export interface SentMessage {
	phoneNumberId: string;
	wamid: string;
	/** `contacts[0].wa_id` of the answer. */
	waId: string;
	body: Any;
	at: number;
}

export interface InjectedError {
	/** A WhatsApp/Graph error code (131047, 132000, 132001, 131056, 131026, 190, 100, 130429...) or an HTTP status 500-599. */
	code: number;
	/** How many sends fail (default 1). */
	count?: number;
	/** Only sends whose body matches fail. */
	match?: (body: Any) => boolean;
	/** For an HTTP 5xx: an HTML page (default, as a failing proxy answers) or Graph's JSON error. */
	body?: 'html' | 'json';
}

export interface StatusUpdate {
	wamid: string;
	status: StatusName;
	/** Seconds (string or number); now by default. */
	timestamp?: string | number;
	/** Error codes (expanded from Meta's table) or error objects; a `failed` status defaults to [131026]. */
	errors?: Array<number | Record<string, unknown>>;
	/** Needed only for a wamid the simulator did not issue. */
	recipientId?: string;
	phoneNumberId?: string;
	conversation?: unknown;
	pricing?: unknown;
}

export interface WebhookResponse {
	status: number;
	body: string;
}

/** A media object: one a contact sent (`addMedia`) or one the app uploaded. */
export interface SimMedia {
	id: string;
	phoneNumberId: string;
	mimeType: string;
	bytes: Buffer;
	sha256: string;
	filename?: string;
	/** The form fields of the upload, for uploaded media. */
	fields?: Record<string, string>;
}

/** Meta's upload limits per media type ("Supported media types"). */
const MB = 1024 * 1024;
const UPLOAD_LIMITS: Array<[RegExp, number]> = [
	[/^image\/webp$/, 500 * 1024],
	[/^image\//, 5 * MB],
	[/^(video|audio)\//, 16 * MB],
	[/./, 100 * MB],
];
const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];
/** The file types Meta's upload takes, in the order of its error message ("Param file must be a file with one of the following types: ..."). */
const UPLOAD_TYPES = [
	'audio/aac',
	'audio/mp4',
	'audio/mpeg',
	'audio/amr',
	'audio/ogg',
	'audio/opus',
	'application/vnd.ms-powerpoint',
	'application/msword',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	'application/pdf',
	'text/plain',
	'application/vnd.ms-excel',
	'image/jpeg',
	'image/png',
	'image/webp',
	'video/mp4',
	'video/3gpp',
];

export interface SimulatorOptions {
	/** Request validator, e.g. `validateRequest` from tools/sim/metaSpec.ts. */
	validate?: Validator;
	/** Answer invalid requests with Meta's error 100 (default true); false only records them. */
	strict?: boolean;
	/** Port on 127.0.0.1; 0 (any free port) by default. */
	port?: number;
}

/** Meta's page size when `limit` is absent. */
const DEFAULT_LIMIT = 25;
/** The largest `limit` the spec documents for a WABA edge (`phone_numbers.limit.maximum`). */
const MAX_LIMIT = 100;

/** Fields of a phone number node the simulator knows; the first four are Graph's default answer. */
const PHONE_FIELDS = ['id', 'display_phone_number', 'verified_name', 'quality_rating', 'code_verification_status', 'name_status', 'platform_type', 'throughput'];
const PHONE_DEFAULT_FIELDS = PHONE_FIELDS.slice(0, 4);

export class CloudApiSimulator {
	readonly numbers = new Map<string, SimNumber>();
	readonly templates = new Map<string, Any[]>();
	readonly requests: RecordedRequest[] = [];
	readonly violations: Array<{ request: RecordedRequest; errors: string[] }> = [];
	readonly sentMessages: SentMessage[] = [];
	/** The app's webhook. `appSecret` signs deliveries; without it the addressed number's secret is used. */
	webhookTarget?: { url: string; appSecret?: string };
	/** How many sends the throughput cap answered with 130429. */
	throttled = 0;
	private readonly forms = new Map<RecordedRequest, Form | undefined>();
	private readonly mediaFailures = new Map<string, number>();
	/** Media contacts sent (addMedia), by id. */
	readonly media = new Map<string, SimMedia>();
	/** Media the app uploaded (`POST /{Phone-Number-ID}/media`), in order. */
	readonly uploadedMedia: SimMedia[] = [];
	/** Media downloads served (`GET <url>` answered with the bytes), as media ids in order. */
	readonly mediaDownloads: string[] = [];
	/** Read receipts the app sent (`status: read`), as wamids. */
	readonly readReceipts: string[] = [];
	/** What Meta answers as `contacts[].wa_id` for a recipient (default: its digits). */
	readonly waIds = new Map<string, string>();
	private server?: http.Server;
	private baseUrl = '';
	private latencyMs = 0;
	private readonly injected = new Map<string, Array<InjectedError & { count: number }>>();
	private readonly caps = new Map<string, { perSecond: number; accepted: number[] }>();

	constructor(private readonly options: SimulatorOptions = {}) {}

	async start(): Promise<{ baseUrl: string }> {
		const server = http.createServer((req, res) => void this.handle(req, res));
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(this.options.port ?? 0, '127.0.0.1', resolve);
		});
		this.server = server;
		this.baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
		return { baseUrl: this.baseUrl };
	}

	async stop(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	// ---- configuration ---------------------------------------------------------------------------

	addNumber(number: SimNumber): void {
		this.numbers.set(number.phoneNumberId, number);
		if (!this.templates.has(number.wabaId)) this.templates.set(number.wabaId, []);
	}

	/** Templates as Meta returns them (name, language, status, category, id, components, parameter_format). */
	setTemplates(wabaId: string, templates: Any[]): void {
		this.templates.set(wabaId, templates);
	}

	/** Loads the template lists of Meta's docs and spec (shared/contracts) as the WABA's templates. */
	loadTemplateFixtures(wabaId: string, contractsDir: string = CONTRACTS_DIR): void {
		const files = [
			'meta-docs/templates-list-default-fields.response.json',
			'meta-docs/templates-list-graph-reference-v16.response.json',
			'meta-openapi/message-templates-list-response.example.json',
		];
		const all: Any[] = [];
		for (const file of files) {
			const data = JSON.parse(fs.readFileSync(path.join(contractsDir, file), 'utf8'));
			for (const t of data.data ?? []) if (!all.some((x) => x.name === t.name && x.language === t.language)) all.push(t);
		}
		this.setTemplates(wabaId, all);
	}

	/** The next `count` requests for media `id` (where it is) fail with an HTTP 503 and Meta's JSON error. */
	failMedia(id: string, count = 1): void {
		this.mediaFailures.set(id, count);
	}

	/**
	 * A media a contact sent: the app finds it by id (`GET /{Media-ID}`) and downloads it with the
	 * number's token. Returns its id (a numeric string, like Meta's, unless `id` is given); `sha256`
	 * defaults to the bytes' real hash (base64, as Meta's webhooks and media node show it).
	 */
	addMedia(media: { phoneNumberId: string; bytes: Buffer; mimeType: string; id?: string; sha256?: string }): string {
		const id = media.id ?? String(randomInt(10 ** 12, 10 ** 14));
		this.media.set(id, { id, phoneNumberId: media.phoneNumberId, mimeType: media.mimeType, bytes: media.bytes, sha256: media.sha256 ?? createHash('sha256').update(media.bytes).digest('base64') });
		return id;
	}

	/** Delay before every answer. */
	setLatency(ms: number): void {
		this.latencyMs = ms;
	}

	/** Meta's throughput limit of one number: sends above `messagesPerSecond` in any one-second window get error 130429. */
	setThroughputCap(phoneNumberId: string, messagesPerSecond: number): void {
		this.caps.set(phoneNumberId, { perSecond: messagesPerSecond, accepted: [] });
	}

	/** The next `count` (default 1) sends from `phoneNumberId` (matching `match`, if given) fail with `code`. */
	injectError(phoneNumberId: string, error: InjectedError): void {
		if (error.code < 500 || error.code > 599) metaError(error.code); // throws now for a code Meta's table lacks
		const list = this.injected.get(phoneNumberId) ?? [];
		list.push({ ...error, count: error.count ?? 1 });
		this.injected.set(phoneNumberId, list);
	}

	/** Requests whose path ends with `suffix` (e.g. '/messages'). */
	requestsTo(suffix: string): RecordedRequest[] {
		return this.requests.filter((r) => r.path.endsWith(suffix));
	}

	// ---- HTTP ------------------------------------------------------------------------------------

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const bytes = Buffer.concat(chunks);
		const raw = bytes.toString('utf8');
		const url = new URL(req.url ?? '/', this.baseUrl);
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
		const record: RecordedRequest = { at: Date.now(), method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams.entries()), headers, body };
		this.forms.set(record, form);
		this.requests.push(record);
		let answer: SimResponse;
		try {
			answer = this.route(record);
		} catch (error) {
			answer = serverError(500, 'json');
			console.error('CloudApiSimulator:', error);
		}
		if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
		record.status = answer.status;
		record.response = answer.bytes ? `<${answer.bytes.length} bytes>` : answer.payload;
		this.forms.delete(record);
		if (answer.bytes) {
			res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'application/octet-stream', 'Content-Length': answer.bytes.length });
			res.end(answer.bytes);
			return;
		}
		const html = typeof answer.payload === 'string';
		res.writeHead(answer.status, { 'Content-Type': html ? 'text/html; charset=utf-8' : 'application/json; charset=UTF-8', 'x-fb-trace-id': fbtraceId() });
		res.end(html ? (answer.payload as string) : JSON.stringify(answer.payload));
	}

	private route(r: RecordedRequest): SimResponse {
		if (r.path === MEDIA_DOWNLOAD_PATH) return this.download(r);
		const [version, id, edge, ...rest] = r.path.replace(/^\/+|\/+$/g, '').split('/');
		if (!/^v\d+\.\d+$/.test(version ?? '') || !id || rest.length) {
			return { status: 400, payload: { error: { message: `Unknown path components: ${r.path}`, type: 'OAuthException', code: 2500, fbtrace_id: fbtraceId() } } };
		}
		const token = /^Bearer\s+(\S+)$/i.exec(r.headers.authorization ?? '')?.[1];
		if (!token) return accessTokenError('missing');
		const all = [...this.numbers.values()];
		if (!all.some((n) => n.accessToken === token)) return accessTokenError('invalid');

		const media = !edge ? this.media.get(id) ?? this.uploadedMedia.find((m) => m.id === id) : undefined;
		if (media) return this.mediaInfo(r, media, token);

		const number = this.numbers.get(id);
		const wabaNumbers = all.filter((n) => n.wabaId === id);
		const owners = number ? [number] : wabaNumbers;
		if (!owners.length) return unsupportedRequest(r.method, id);
		if (!owners.some((n) => n.accessToken === token)) return accessTokenError('invalid');

		if (this.options.validate) {
			const template = `/{Version}/${number ? '{Phone-Number-ID}' : '{WABA-ID}'}${edge ? `/${edge}` : ''}`;
			const check = this.options.validate({ method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.body, template });
			r.validation = check;
			r.operation = check.operation;
			if (!check.ok) {
				this.violations.push({ request: r, errors: check.errors });
				if (this.options.strict !== false) return invalidParameter(check.errors.join('; '));
			}
		}

		if (r.method === 'GET' && number && !edge) return this.selectPhoneFields(number, r.query.fields);
		if (r.method === 'POST' && number && edge === 'messages') return this.send(number, r.body as Any);
		if (r.method === 'POST' && number && edge === 'media') return this.upload(number, r);
		if (r.method === 'GET' && !number && edge === 'phone_numbers') return this.phoneNumbers(version, id, wabaNumbers, r.query);
		if (r.method === 'GET' && !number && edge === 'message_templates') return this.listTemplates(version, id, r.query);
		return unsupportedRequest(r.method, id);
	}

	private phoneNumberNode(number: SimNumber): Record<string, unknown> {
		return {
			id: number.phoneNumberId,
			display_phone_number: number.displayPhoneNumber,
			verified_name: number.verifiedName,
			quality_rating: number.qualityRating ?? 'GREEN',
			code_verification_status: 'VERIFIED',
			name_status: 'APPROVED',
			platform_type: 'CLOUD_API',
			throughput: { level: 'STANDARD' },
		};
	}

	/** Graph's field selection on a phone number: requested fields in order, then `id`; unknown fields are error 100. */
	private selectPhoneFields(number: SimNumber, fields: string | undefined): SimResponse {
		const wanted = fields ? splitFields(fields) : PHONE_DEFAULT_FIELDS;
		const unknown = wanted.find((f) => !PHONE_FIELDS.includes(f));
		if (unknown) {
			return { status: 400, payload: { error: { message: `(#100) Tried accessing nonexisting field (${unknown}) on node type (WhatsAppBusinessPhoneNumber)`, type: 'OAuthException', code: 100, fbtrace_id: fbtraceId() } } };
		}
		return { status: 200, payload: select(this.phoneNumberNode(number), wanted) };
	}

	private phoneNumbers(version: string, wabaId: string, numbers: SimNumber[], query: Record<string, string>): SimResponse {
		const nodes: unknown[] = [];
		for (const n of numbers) {
			const one = this.selectPhoneFields(n, query.fields);
			if (one.status !== 200) return one;
			nodes.push(one.payload);
		}
		return { status: 200, payload: this.page(nodes, query, `/${version}/${wabaId}/phone_numbers`) };
	}

	private listTemplates(version: string, wabaId: string, query: Record<string, string>): SimResponse {
		let list = this.templates.get(wabaId) ?? [];
		if (query.status) {
			const statuses = query.status.toUpperCase().split(',');
			list = list.filter((t) => statuses.includes(String(t.status).toUpperCase()));
		}
		if (query.category) list = list.filter((t) => String(t.category).toUpperCase() === query.category.toUpperCase());
		if (query.name) list = list.filter((t) => String(t.name).includes(query.name));
		if (query.language) list = list.filter((t) => t.language === query.language);
		const fields = query.fields ? splitFields(query.fields) : undefined;
		const items = list.map((t) => (fields ? select(t, fields) : t));
		return { status: 200, payload: this.page(items, query, `/${version}/${wabaId}/message_templates`) };
	}

	/**
	 * Graph cursor pagination: `paging.cursors.before/after` name the first and last item of the page;
	 * `next`/`previous` are absolute URLs on this simulator, present only when there is such a page.
	 */
	private page(items: unknown[], query: Record<string, string>, edgePath: string): { data: unknown[]; paging?: Any } {
		const limit = Math.min(Number(query.limit) > 0 ? Math.floor(Number(query.limit)) : DEFAULT_LIMIT, MAX_LIMIT);
		let start = 0;
		if (query.after) start = decodeCursor(query.after) + 1;
		else if (query.before) start = Math.max(0, decodeCursor(query.before) - limit);
		const end = query.before && !query.after ? Math.min(decodeCursor(query.before), start + limit) : start + limit;
		const data = items.slice(start, end);
		if (!data.length) return { data };
		const cursors = { before: encodeCursor(start), after: encodeCursor(start + data.length - 1) };
		const link = (key: 'after' | 'before', cursor: string): string => {
			const url = new URL(edgePath, this.baseUrl);
			for (const [k, v] of Object.entries(query)) if (k !== 'after' && k !== 'before') url.searchParams.set(k, v);
			url.searchParams.set('limit', String(limit));
			url.searchParams.set(key, cursor);
			return url.toString();
		};
		const paging: Any = { cursors };
		if (start + data.length < items.length) paging.next = link('after', cursors.after);
		if (start > 0) paging.previous = link('before', cursors.before);
		return { data, paging };
	}

	/** `GET /{Media-ID}`: where to download it, for the token of the number that owns it. */
	private mediaInfo(r: RecordedRequest, media: SimMedia, token: string): SimResponse {
		const owner = this.numbers.get(media.phoneNumberId);
		if (!owner || owner.accessToken !== token) return accessTokenError('invalid');
		if (this.options.validate) {
			const check = this.options.validate({ method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.body, template: '/{Version}/{Media-ID}' });
			r.validation = check;
			r.operation = check.operation;
			if (!check.ok) {
				this.violations.push({ request: r, errors: check.errors });
				if (this.options.strict !== false) return invalidParameter(check.errors.join('; '));
			}
		}
		if (r.method !== 'GET') return unsupportedRequest(r.method, media.id);
		const failures = this.mediaFailures.get(media.id) ?? 0;
		if (failures > 0) {
			this.mediaFailures.set(media.id, failures - 1);
			return serverError(503, 'json');
		}
		// `phone_number_id` makes Meta check the media belongs to that number.
		if (r.query.phone_number_id && r.query.phone_number_id !== media.phoneNumberId) return unsupportedRequest(r.method, media.id);
		return {
			status: 200,
			payload: { messaging_product: 'whatsapp', url: `${this.baseUrl}${MEDIA_DOWNLOAD_PATH}?mid=${media.id}&ext=${Math.floor(Date.now() / 1000)}`, mime_type: media.mimeType, sha256: media.sha256, file_size: String(media.bytes.length), id: media.id },
		};
	}

	/** The media URL: the bytes, with the owner number's token only (like Meta's lookaside URL). */
	private download(r: RecordedRequest): SimResponse {
		const media = this.media.get(r.query.mid ?? '') ?? this.uploadedMedia.find((m) => m.id === r.query.mid);
		const token = /^Bearer\s+(\S+)$/i.exec(r.headers.authorization ?? '')?.[1];
		if (!token) return accessTokenError('missing');
		if (!media) return { status: 404, payload: { error: { message: 'Media not found', type: 'OAuthException', code: 100, fbtrace_id: fbtraceId() } } };
		if (this.numbers.get(media.phoneNumberId)?.accessToken !== token) return accessTokenError('invalid');
		this.mediaDownloads.push(media.id);
		return { status: 200, payload: undefined, bytes: media.bytes, contentType: media.mimeType };
	}

	/** `POST /{Phone-Number-ID}/media` (multipart/form-data: messaging_product, type, file). */
	private upload(number: SimNumber, r: RecordedRequest): SimResponse {
		const form = this.forms.get(r);
		if (!form) return invalidParameter('the upload must be multipart/form-data');
		const file = form.files.file;
		if (form.fields.messaging_product !== 'whatsapp') return invalidParameter('(#100) The parameter messaging_product is required.');
		if (!file) return invalidParameter('(#100) The parameter file is required.');
		const type = form.fields.type;
		if (!type) return invalidParameter('(#100) Param type is required.');
		// Meta judges the file part's own Content-Type (a part sent as application/octet-stream is
		// refused even with a right `type`): error 100 with this message, as reported from Graph.
		const fileType = file.mimeType.split(';')[0].trim().toLowerCase();
		if (!UPLOAD_TYPES.includes(fileType)) {
			const message = `(#100) Param file must be a file with one of the following types: ${UPLOAD_TYPES.join(', ')}. Received file of type '${fileType}'.`;
			return { status: 400, payload: { error: { message, type: 'OAuthException', code: 100, fbtrace_id: fbtraceId() } } };
		}
		const limit = UPLOAD_LIMITS.find(([pattern]) => pattern.test(fileType))![1];
		if (file.bytes.length > limit) return metaError(131053, `Media file size ${file.bytes.length} exceeds the ${limit} bytes allowed for ${fileType}`);
		const id = String(randomInt(10 ** 12, 10 ** 14));
		this.uploadedMedia.push({ id, phoneNumberId: number.phoneNumberId, mimeType: type, filename: file.filename, bytes: file.bytes, sha256: createHash('sha256').update(file.bytes).digest('base64'), fields: form.fields });
		return { status: 200, payload: { id } };
	}

	private send(number: SimNumber, body: Any): SimResponse {
		if (body?.status === 'read') {
			this.readReceipts.push(String(body.message_id));
			return { status: 200, payload: { success: true } };
		}
		// A media message by id must name a media of this number (one it uploaded or received).
		const mediaType = MEDIA_TYPES.includes(body?.type) ? body.type : undefined;
		const mediaId = mediaType ? body[mediaType]?.id : undefined;
		if (mediaId !== undefined) {
			const known = this.uploadedMedia.find((m) => m.id === String(mediaId)) ?? this.media.get(String(mediaId));
			if (!known || known.phoneNumberId !== number.phoneNumberId) return metaError(131053, `Media ${String(mediaId)} not found`);
		}
		const cap = this.caps.get(number.phoneNumberId);
		if (cap) {
			const now = Date.now();
			cap.accepted = cap.accepted.filter((t) => now - t < 1000);
			if (cap.accepted.length >= cap.perSecond) {
				this.throttled++;
				return metaError(130429);
			}
			cap.accepted.push(now);
		}
		const injected = (this.injected.get(number.phoneNumberId) ?? []).find((e) => e.count > 0 && (!e.match || e.match(body)));
		if (injected) {
			injected.count--;
			return injected.code >= 500 && injected.code <= 599 ? serverError(injected.code, injected.body ?? 'html') : metaError(injected.code);
		}
		const to = String(body?.to ?? '');
		const waId = this.waIds.get(to.replace(/\D/g, '')) ?? to.replace(/\D/g, '');
		const wamid = wamidFor(waId);
		this.sentMessages.push({ phoneNumberId: number.phoneNumberId, wamid, waId, body, at: Date.now() });
		const message: Any = { id: wamid };
		// MessageResponsePayload.messages[].message_status (schema example: 'accepted'); Meta includes
		// it for template sends only (pacing: 'accepted' | 'held_for_quality_assessment' | 'paused').
		if (body?.type === 'template') message.message_status = 'accepted';
		return { status: 200, payload: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: waId }], messages: [message] } };
	}

	// ---- Meta's side of webhooks -----------------------------------------------------------------

	/**
	 * POSTs `payload` to `webhookTarget` as Meta does: Meta's serialization, `X-Hub-Signature-256`
	 * over those exact bytes with `appSecret` (default: webhookTarget.appSecret, else the app secret of
	 * the first number the payload names). `options.signature` replaces the header (forgery tests).
	 */
	async deliverRaw(payload: unknown, appSecret?: string, options: { signature?: string } = {}): Promise<WebhookResponse> {
		if (!this.webhookTarget) throw new Error('CloudApiSimulator: set webhookTarget first');
		const secret = appSecret ?? this.webhookTarget.appSecret ?? this.secretOf(payload);
		const raw = serializeLikeMeta(payload);
		const signature = options.signature ?? signPayload(raw, secret);
		return postRaw(this.webhookTarget.url, raw, { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature });
	}

	/**
	 * Status webhooks for sent messages. `batch: true` sends one POST (statuses of one number in one
	 * change, one change per number, one entry per WABA); otherwise one POST per status, in order.
	 */
	async deliverStatuses(list: StatusUpdate[], options: { batch?: boolean } = {}): Promise<WebhookResponse[]> {
		const items = list.map((s) => this.statusItem(s));
		const payloads = options.batch ? [statusesPayload(items)] : items.map((item) => statusesPayload([item]));
		const results: WebhookResponse[] = [];
		for (const payload of payloads) results.push(await this.deliverRaw(payload));
		return results;
	}

	/** An inbound message from a WhatsApp user: `message` is a Meta message object (`{ type: 'text', text: { body } }`) or a text. */
	async deliverInboundMessage(input: { phoneNumberId: string; from: string; name: string; message: string | Record<string, unknown> }): Promise<WebhookResponse> {
		const message = typeof input.message === 'string' ? { type: 'text', text: { body: input.message } } : input.message;
		return this.deliverRaw(inboundMessagePayload(this.webhookNumber(input.phoneNumberId), input.from, input.name, message));
	}

	/** The payload of an inbound text message (shape of meta-docs/webhook-incoming-text.json). */
	inboundTextPayload(phoneNumberId: string, message: { from: string; name: string; text: string; wamid?: string; timestamp?: string }): WebhookPayload {
		const body: Record<string, unknown> = { type: 'text', text: { body: message.text } };
		if (message.wamid) body.id = message.wamid;
		if (message.timestamp) body.timestamp = message.timestamp;
		return inboundMessagePayload(this.webhookNumber(phoneNumberId), message.from, message.name, body);
	}

	/** The payload of statuses of one number, batched in one change. */
	statusPayload(phoneNumberId: string, statuses: Array<{ wamid: string; status: string; recipient: string; timestamp?: string; errors?: unknown[] }>): WebhookPayload {
		return statusesPayload(
			statuses.map((s) => this.statusItem({ wamid: s.wamid, status: s.status as StatusName, recipientId: s.recipient, phoneNumberId, timestamp: s.timestamp, errors: s.errors as StatusUpdate['errors'] })),
		);
	}

	private statusItem(s: StatusUpdate): { number: WebhookNumber; status: StatusObject } {
		const sent = this.sentMessages.find((m) => m.wamid === s.wamid);
		const phoneNumberId = s.phoneNumberId ?? sent?.phoneNumberId ?? (this.numbers.size === 1 ? [...this.numbers.keys()][0] : undefined);
		const recipientId = s.recipientId ?? sent?.waId;
		if (!phoneNumberId || !recipientId) throw new Error(`CloudApiSimulator: ${s.wamid} was not sent by the simulator; give phoneNumberId and recipientId`);
		const status: StatusObject = { id: s.wamid, status: s.status, timestamp: s.timestamp === undefined ? nowSeconds() : String(s.timestamp), recipient_id: recipientId };
		if (s.conversation) status.conversation = s.conversation;
		if (s.pricing) status.pricing = s.pricing;
		const errors = s.errors ?? (s.status === 'failed' ? [131026] : undefined);
		if (errors) status.errors = errors.map((e) => (typeof e === 'number' ? statusError(e) : e));
		return { number: this.webhookNumber(phoneNumberId), status };
	}

	private webhookNumber(phoneNumberId: string): WebhookNumber {
		const number = this.numbers.get(phoneNumberId);
		if (!number) throw new Error(`CloudApiSimulator: unknown number ${phoneNumberId}`);
		return number;
	}

	private secretOf(payload: unknown): string {
		const id = (payload as Any)?.entry?.[0]?.changes?.[0]?.value?.metadata?.phone_number_id;
		const number = this.numbers.get(String(id));
		if (!number) throw new Error('CloudApiSimulator: no app secret (set webhookTarget.appSecret or pass one)');
		return number.appSecret;
	}
}

function splitFields(fields: string): string[] {
	return fields
		.split(',')
		.map((f) => f.trim())
		.filter(Boolean);
}

/** Graph field selection: the requested fields present on the object, in request order, and always `id`. */
function select(object: Record<string, unknown>, fields: string[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const f of fields) if (object[f] !== undefined) out[f] = object[f];
	if (object.id !== undefined) out.id = object.id;
	return out;
}

/** Opaque cursors, like Graph's base64 ones. */
function encodeCursor(index: number): string {
	return Buffer.from(`sim-cursor:${index}`).toString('base64');
}

function decodeCursor(cursor: string): number {
	const match = /^sim-cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
	return match ? Number(match[1]) : 0;
}

/** POSTs `body` as is (no re-serialization) and returns the receiver's status and body. */
export function postRaw(url: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
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

/** The path of media URLs (Meta's are `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=...`). */
const MEDIA_DOWNLOAD_PATH = '/whatsapp_business/attachments/';

interface Form {
	fields: Record<string, string>;
	files: Record<string, { filename: string; mimeType: string; bytes: Buffer }>;
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
			stream.on('end', () => (form.files[name] = { filename: info.filename ?? '', mimeType: info.mimeType, bytes: Buffer.concat(chunks) }));
		});
		parser.on('close', () => resolve(form));
		parser.on('error', reject);
		parser.end(body);
	});
}
