/**
 * WhatsApp Cloud API (Graph API) client over an injected HTTP port. Plain TypeScript: the app
 * plugs in the engine's IHttp, tests a fake or a real loopback server.
 */
import { GraphApiError, NetworkError } from '../errors';

export interface HttpRequest {
	method: 'GET' | 'POST' | 'DELETE';
	url: string;
	headers: Record<string, string>;
	body?: string;
	timeoutMs: number;
}

export interface HttpResponse {
	status: number;
	body: string;
}

/** Resolves with any HTTP answer; rejects only when no answer came (network failure, timeout). */
export interface HttpPort {
	send(req: HttpRequest): Promise<HttpResponse>;
}

export interface PhoneNumberInfo {
	id: string;
	display_phone_number?: string;
	verified_name?: string;
	quality_rating?: string;
}

export interface TemplatePage<T = Record<string, unknown>> {
	data: T[];
	paging?: { cursors?: { before?: string; after?: string }; next?: string; previous?: string };
}

export interface TemplateQuery {
	fields?: string[];
	limit?: number;
	status?: string;
	name?: string;
	language?: string;
	after?: string;
}

export interface SendResult {
	messaging_product: 'whatsapp';
	contacts?: Array<{ input: string; wa_id: string }>;
	messages: Array<{ id: string; message_status?: string }>;
}

export interface GraphClientOptions {
	http: HttpPort;
	accessToken: string;
	baseUrl?: string;
	version?: string;
	timeoutMs?: number;
}

const MAX_TEMPLATE_PAGES = 100;

export class GraphClient {
	private readonly http: HttpPort;
	private readonly accessToken: string;
	private readonly baseUrl: string;
	private readonly version: string;
	private readonly timeoutMs: number;

	constructor(options: GraphClientOptions) {
		this.http = options.http;
		this.accessToken = options.accessToken;
		this.baseUrl = (options.baseUrl ?? 'https://graph.facebook.com').replace(/\/+$/, '');
		this.version = options.version ?? 'v23.0';
		this.timeoutMs = options.timeoutMs ?? 10000;
	}

	getPhoneNumber(phoneNumberId: string): Promise<PhoneNumberInfo> {
		return this.get<PhoneNumberInfo>(`/${enc(phoneNumberId)}`, { fields: 'id,display_phone_number,verified_name,quality_rating' });
	}

	async listPhoneNumbers(wabaId: string): Promise<PhoneNumberInfo[]> {
		const page = await this.get<{ data?: PhoneNumberInfo[] }>(`/${enc(wabaId)}/phone_numbers`, { fields: 'id,display_phone_number,verified_name' });
		return page.data ?? [];
	}

	listTemplatesPage<T = Record<string, unknown>>(wabaId: string, query: TemplateQuery = {}): Promise<TemplatePage<T>> {
		const params: Record<string, string> = {};
		if (query.fields?.length) params.fields = query.fields.join(',');
		if (query.limit) params.limit = String(query.limit);
		if (query.status) params.status = query.status;
		if (query.name) params.name = query.name;
		if (query.language) params.language = query.language;
		if (query.after) params.after = query.after;
		return this.get<TemplatePage<T>>(`/${enc(wabaId)}/message_templates`, params);
	}

	/** Every page of a WABA's templates, following `paging.next` (with a page cap against loops). */
	async listAllTemplates<T = Record<string, unknown>>(wabaId: string, query: Omit<TemplateQuery, 'after'> = {}): Promise<T[]> {
		const all: T[] = [];
		const seen = new Set<string>();
		let after: string | undefined;
		for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
			const result = await this.listTemplatesPage<T>(wabaId, { ...query, after });
			all.push(...(result.data ?? []));
			const next = result.paging?.next ? result.paging.cursors?.after : undefined;
			if (!next || seen.has(next)) return all;
			seen.add(next);
			after = next;
		}
		return all;
	}

	sendMessage(phoneNumberId: string, payload: object): Promise<SendResult> {
		return this.request<SendResult>('POST', `/${enc(phoneNumberId)}/messages`, undefined, JSON.stringify(payload));
	}

	private get<T>(path: string, params?: Record<string, string>): Promise<T> {
		return this.request<T>('GET', path, params);
	}

	private async request<T>(method: HttpRequest['method'], path: string, params?: Record<string, string>, body?: string): Promise<T> {
		const query = params && Object.keys(params).length ? `?${Object.entries(params).map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')}` : '';
		const headers: Record<string, string> = { Authorization: `Bearer ${this.accessToken}` };
		if (body !== undefined) headers['Content-Type'] = 'application/json';
		let response: HttpResponse;
		try {
			response = await this.http.send({ method, url: `${this.baseUrl}/${this.version}${path}${query}`, headers, body, timeoutMs: this.timeoutMs });
		} catch (error) {
			throw new NetworkError(this.redact(error instanceof Error ? error.message : String(error)));
		}
		if (response.status < 200 || response.status >= 300) throw GraphApiError.fromResponse(response.status, response.body);
		try {
			return JSON.parse(response.body) as T;
		} catch {
			throw GraphApiError.fromResponse(response.status, '');
		}
	}

	private redact(text: string): string {
		return this.accessToken ? text.split(this.accessToken).join('[token]') : text;
	}
}

function enc(value: string): string {
	return encodeURIComponent(value);
}
