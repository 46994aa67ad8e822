/**
 * WhatsApp Cloud API (Graph API) client over an injected HTTP port. Plain TypeScript: the app
 * plugs in the engine's IHttp, tests a fake or a real loopback server.
 */
import { AppError, GraphApiError, mayHaveReached, NetworkError, withoutUrls, withShortUrls } from '../errors';
import { isMediaId, multipartBody } from '../media/media';
import { isMetaMediaUrl, urlHost } from '../media/mediaHosts';
import { isLoopbackHost } from './baseUrl';

const crypto = require('crypto') as typeof import('crypto');

export interface HttpRequest {
	method: 'GET' | 'POST' | 'DELETE';
	url: string;
	headers: Record<string, string>;
	body?: string | Uint8Array;
	timeoutMs: number;
	/** Answer with the raw bytes (`bytes`) rather than text: media downloads. */
	binary?: boolean;
}

export interface HttpResponse {
	status: number;
	body: string;
	/** The raw body, for `binary` requests. */
	bytes?: Uint8Array;
	headers?: Record<string, string>;
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

/** One page of a Graph edge (`data[]` plus cursor paging). */
export interface GraphPage<T> {
	data: T[];
	paging?: { cursors?: { before?: string; after?: string }; next?: string; previous?: string };
}

export type TemplatePage<T = Record<string, unknown>> = GraphPage<T>;

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
	/** `wa_id` for a send to a phone number; `user_id` (and no `wa_id`) for one to a business-scoped user id. */
	contacts?: Array<{ input: string; wa_id?: string; user_id?: string }>;
	messages: Array<{ id: string; message_status?: string }>;
}

/** What `debugToken` tells of a valid token: its Meta app, its expiry (Unix seconds; absent: never) and its permissions. */
export interface TokenInfo {
	appId?: string;
	expiresAt?: number;
	scopes?: string[];
}

/** `GET /{Media-ID}`: where to download a media, for 5 minutes. */
export interface MediaInfo {
	id: string;
	url: string;
	mime_type?: string;
	sha256?: string;
	file_size?: string | number;
	messaging_product?: string;
}

/**
 * What a number's Graph calls are made with: its access token, and the secret of the Meta app
 * (the one that signs its webhooks), from which every call's `appsecret_proof` is made.
 */
export interface GraphCredentials {
	accessToken: string;
	appSecret?: string;
}

export interface GraphClientOptions extends GraphCredentials {
	http: HttpPort;
	baseUrl?: string;
	version?: string;
	timeoutMs?: number;
}

/**
 * The time a file's transfer may take: the call's timeout and a second more per whole megabyte, so
 * that a link of 1 MB/s still carries a 100 MB document (a 10 s limit would cut any file above a few
 * megabytes on a slow link, and the agent would read that Meta cannot be reached).
 */
export const transferTimeoutMs = (timeoutMs: number, bytes: number): number => timeoutMs + Math.floor(bytes / 1000000) * 1000;

/** Far above any real WABA (250 templates or 100 numbers a page); reaching it means the paging is broken. */
export const MAX_PAGES = 100;

export class GraphClient {
	private readonly http: HttpPort;
	private readonly accessToken: string;
	private readonly proof?: string;
	private readonly baseUrl: string;
	private readonly version: string;
	private readonly timeoutMs: number;

	constructor(options: GraphClientOptions) {
		this.http = options.http;
		this.accessToken = options.accessToken;
		this.proof = options.appSecret ? appSecretProof(options.accessToken, options.appSecret) : undefined;
		this.baseUrl = (options.baseUrl ?? 'https://graph.facebook.com').replace(/\/+$/, '');
		this.version = options.version ?? 'v23.0';
		this.timeoutMs = options.timeoutMs ?? 10000;
	}

	getPhoneNumber(phoneNumberId: string): Promise<PhoneNumberInfo> {
		return this.get<PhoneNumberInfo>(`/${enc(phoneNumberId)}`, { fields: 'id,display_phone_number,verified_name,quality_rating' });
	}

	/** Every phone number of a WABA, all pages. */
	listPhoneNumbers(wabaId: string): Promise<PhoneNumberInfo[]> {
		return this.collectPages((after) =>
			this.get<GraphPage<PhoneNumberInfo>>(`/${enc(wabaId)}/phone_numbers`, {
				fields: 'id,display_phone_number,verified_name',
				limit: '100',
				...(after ? { after } : {}),
			}),
		);
	}

	/**
	 * The Meta apps subscribed to a WABA's webhooks (`GET /{WABA-ID}/subscribed_apps`), or undefined
	 * when Meta's answer holds no list. An empty list: Meta sends the account's messages and statuses
	 * to no app.
	 */
	async listSubscribedApps(wabaId: string): Promise<unknown[] | undefined> {
		const answer = await this.get<{ data?: unknown }>(`/${enc(wabaId)}/subscribed_apps`);
		return Array.isArray(answer?.data) ? answer.data : undefined;
	}

	/**
	 * What Meta says of the client's own access token (`GET /debug_token?input_token=`, Graph API
	 * reference "Debug-Token"; not in the WhatsApp spec): the Meta app it was generated for, when it
	 * expires (`expiresAt`, Unix seconds; 0 or absent: never, as a system user's permanent token) and
	 * the permissions granted. Undefined when the answer holds no `data` or says the token is not
	 * valid, and without a call when the base URL is neither Meta's own nor a loopback simulator:
	 * the question carries the token in its address, which a proxy there may log (every other call
	 * carries it in a header only).
	 */
	async debugToken(): Promise<TokenInfo | undefined> {
		if (!tokenMayGoInAddress(this.baseUrl)) return undefined;
		const answer = await this.get<{ data?: Record<string, unknown> }>('/debug_token', { input_token: this.accessToken });
		const data = answer?.data;
		if (!data || typeof data !== 'object' || data.is_valid !== true) return undefined;
		// Unix seconds before the year 10000 (a larger value is no expiry Meta would give, nor one an ISO date writes plainly).
		const expiresAt =
			typeof data.expires_at === 'number' &&
			Number.isSafeInteger(data.expires_at) &&
			data.expires_at > 0 &&
			data.expires_at < 253402300800
				? data.expires_at
				: undefined;
		return {
			...(typeof data.app_id === 'string' || typeof data.app_id === 'number' ? { appId: String(data.app_id) } : {}),
			...(expiresAt !== undefined ? { expiresAt } : {}),
			...(Array.isArray(data.scopes) ? { scopes: data.scopes.filter((s): s is string => typeof s === 'string') } : {}),
		};
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

	/** Every template of a WABA, following `paging.next` page after page. */
	listAllTemplates<T = Record<string, unknown>>(wabaId: string, query: Omit<TemplateQuery, 'after'> = {}): Promise<T[]> {
		return this.collectPages((after) => this.listTemplatesPage<T>(wabaId, { ...query, after }));
	}

	/**
	 * Meta's success answer names the message it accepted (`messages[0].id`, in every example of its
	 * spec's MessageResponsePayload). One without it is not Meta's (a proxy's): an error that says the
	 * message may have been sent.
	 */
	async sendMessage(phoneNumberId: string, payload: object): Promise<SendResult> {
		const result = await this.request<SendResult | null>('POST', `/${enc(phoneNumberId)}/messages`, { body: JSON.stringify(payload) });
		const id = result?.messages?.[0]?.id;
		if (typeof id !== 'string' || !id) throw new GraphApiError(200, { message: 'HTTP 200 without a message id', type: 'HttpError' });
		return result as SendResult;
	}

	/** Marks a contact's message (and the earlier ones) as read: blue ticks on the contact's phone. */
	async markRead(phoneNumberId: string, wamid: string): Promise<void> {
		await this.request<unknown>('POST', `/${enc(phoneNumberId)}/messages`, {
			body: JSON.stringify({ messaging_product: 'whatsapp', status: 'read', message_id: wamid }),
		});
	}

	/**
	 * Where to download a media a contact sent. Without `phone_number_id`: Meta processes it only for
	 * a media uploaded on that business number, and refuses a contact's media with it (error 100,
	 * "Param phone_number_id is not a valid whatsapp business phone number id ID": chatwoot/chatwoot#13317).
	 */
	getMedia(mediaId: string): Promise<MediaInfo> {
		// Another Graph path must not receive the number's token.
		if (!isMediaId(mediaId)) {
			return Promise.reject(
				new AppError({
					code: 'media_id_invalid',
					status: 400,
					message: 'the media id is not a Graph node id',
					i18nKey: 'inbound_media_id_invalid',
				}),
			);
		}
		return this.get<MediaInfo>(`/${enc(mediaId)}`);
	}

	/**
	 * The bytes of a media URL returned by `getMedia` (it needs the access token too), from Meta's
	 * media hosts only (mediaHosts.ts): the token goes nowhere else. Fails on a non-2xx answer, and
	 * when the answer is over `maxBytes`: by its Content-Length, before the body is looked at, then by
	 * the bytes received (Meta sent more than announced).
	 *
	 * The engine's IHttp reads the whole body before the app sees the answer, and has no HEAD. The
	 * size is known before the download from Meta's `file_size` (checked by the caller); a Range or a
	 * second request to learn it again is not made: Meta does not document Range on media URLs, which
	 * expire in 5 minutes, and a probe that Meta answered otherwise than expected would break every
	 * download. The timeout bounds the transfer.
	 */
	async downloadMedia(url: string, maxBytes?: number, expectedBytes?: number): Promise<Uint8Array> {
		if (!isMetaMediaUrl(url, this.baseUrl)) {
			throw new AppError({
				code: 'media_url',
				message: `media URL on ${urlHost(url)}, not one of Meta's media hosts: not downloaded`,
				status: 502,
				i18nKey: 'error_media_host',
			});
		}
		let response: HttpResponse;
		try {
			response = await this.http.send({
				method: 'GET',
				url,
				headers: { Authorization: `Bearer ${this.accessToken}` },
				// Its time from the size Meta announced (`file_size`), else from the most it may be.
				timeoutMs: transferTimeoutMs(this.timeoutMs, expectedBytes ?? maxBytes ?? 0),
				binary: true,
			});
		} catch (error) {
			// The app's own refusal (a port that sent nothing: a refused Graph API base URL) keeps its words.
			if (error instanceof AppError) throw error;
			throw this.networkError(error);
		}
		if (response.status < 200 || response.status >= 300)
			throw GraphApiError.fromResponse(response.status, this.redact(response.body ?? ''));
		const tooLarge = (size: number) =>
			new AppError({
				code: 'media_too_large',
				message: `media of ${size} bytes exceeds ${maxBytes}`,
				status: 413,
				params: { size, max: maxBytes as number },
			});
		const announced = contentLength(response.headers);
		if (maxBytes !== undefined && announced !== undefined && announced > maxBytes) throw tooLarge(announced);
		const bytes = response.bytes ?? new TextEncoder().encode(response.body ?? '');
		if (maxBytes !== undefined && bytes.length > maxBytes) throw tooLarge(bytes.length);
		return bytes;
	}

	/** Uploads a file to the number's media store (multipart/form-data); resolves with the media id to send. */
	async uploadMedia(phoneNumberId: string, file: { bytes: Uint8Array; mimeType: string; filename: string }): Promise<string> {
		const boundary = `----whatsapp-business-${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
		const body = multipartBody(boundary, { messaging_product: 'whatsapp', type: file.mimeType }, { field: 'file', ...file });
		const result = await this.request<{ id?: string }>('POST', `/${enc(phoneNumberId)}/media`, {
			body,
			contentType: `multipart/form-data; boundary=${boundary}`,
			timeoutMs: transferTimeoutMs(this.timeoutMs, body.length),
		});
		if (!result.id) throw GraphApiError.fromResponse(200, '');
		return String(result.id);
	}

	/** Follows `paging.next` (its `after` cursor); fails rather than loop or return a silently truncated list. */
	private async collectPages<T>(fetchPage: (after: string | undefined) => Promise<GraphPage<T>>): Promise<T[]> {
		const all: T[] = [];
		const seen = new Set<string>();
		let after: string | undefined;
		for (let page = 0; page < MAX_PAGES; page++) {
			const result = await fetchPage(after);
			all.push(...(result.data ?? []));
			if (!result.paging?.next) return all;
			after = result.paging.cursors?.after ?? afterParam(result.paging.next);
			if (!after || seen.has(after)) throw pagingError('Graph API paging.next without a new cursor');
			seen.add(after);
		}
		throw pagingError(`Graph API paging went past ${MAX_PAGES} pages`);
	}

	private get<T>(path: string, params?: Record<string, string>): Promise<T> {
		return this.request<T>('GET', path, { params });
	}

	private async request<T>(
		method: HttpRequest['method'],
		path: string,
		{
			params,
			body,
			contentType = 'application/json',
			timeoutMs = this.timeoutMs,
		}: { params?: Record<string, string>; body?: string | Uint8Array; contentType?: string; timeoutMs?: number } = {},
	): Promise<T> {
		// Every Graph call carries the proof, as Meta asks of calls from a server: an app with "Require
		// App Secret" on refuses those without it (`appSecretProof`).
		const all = this.proof ? { ...params, appsecret_proof: this.proof } : (params ?? {});
		const query = Object.keys(all).length
			? `?${Object.entries(all)
					.map(([k, v]) => `${enc(k)}=${enc(v)}`)
					.join('&')}`
			: '';
		const headers: Record<string, string> = { Authorization: `Bearer ${this.accessToken}` };
		if (body !== undefined) headers['Content-Type'] = contentType;
		let response: HttpResponse;
		try {
			response = await this.http.send({
				method,
				url: `${this.baseUrl}/${this.version}${path}${query}`,
				headers,
				body,
				timeoutMs,
			});
		} catch (error) {
			// The app's own refusal (a port that sent nothing: a refused Graph API base URL) keeps its words.
			if (error instanceof AppError) throw error;
			throw this.networkError(error);
		}
		// Meta may echo a malformed token back in an error message: it must not reach our errors.
		const text = this.redact(response.body ?? '');
		if (response.status < 200 || response.status >= 300) throw GraphApiError.fromResponse(response.status, text);
		try {
			return JSON.parse(text) as T;
		} catch {
			throw GraphApiError.fromResponse(response.status, '');
		}
	}

	private networkError(error: unknown): NetworkError {
		const detail = error instanceof Error ? error.message : String(error);
		const code = (error as { code?: unknown } | null)?.code;
		const said = withoutUrls(`${detail} ${String(code ?? '')}`);
		return new NetworkError({
			detail: this.redact(withShortUrls(detail)),
			timedOut: TIMEOUT.test(said) && !CONNECT_TIMEOUT.test(said),
			reached: mayHaveReached(said),
		});
	}

	/**
	 * The token (and the proof made of it) cut out of Meta's words: Meta may echo a malformed token
	 * back; and out of a failure's words, which may quote an address that carried it (`debugToken`), as
	 * written or percent-encoded.
	 */
	private redact(text: string): string {
		let redacted = this.accessToken ? text.split(this.accessToken).join('[redacted]') : text;
		if (this.accessToken && enc(this.accessToken) !== this.accessToken)
			redacted = redacted.split(enc(this.accessToken)).join('[redacted]');
		if (this.proof) redacted = redacted.split(this.proof).join('[redacted]');
		return redacted;
	}
}

/**
 * Meta's `appsecret_proof` (Graph API, "Secure Graph API Calls"): the SHA-256 HMAC of the access
 * token, keyed with the app secret, in hex. Meta checks it whenever a call carries it (a secret not
 * of the token's Meta app: error 100, "Invalid appsecret_proof provided in the API argument"), and
 * an app whose "Require App Secret" setting is on refuses every call without it (error 100, "API
 * calls from the server require an appsecret_proof argument"). Not sent to Meta's media hosts
 * (`downloadMedia`): their URL is not a Graph call.
 */
export function appSecretProof(accessToken: string, appSecret: string): string {
	return crypto.createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

/**
 * No answer in time, so the request may have reached Meta: "timeout", "timed out", ETIMEDOUT,
 * ESOCKETTIMEDOUT..., and Rocket.Chat's HTTP bridge's "The user aborted a request." (its fetch,
 * packages/server-fetch, aborts the call when the call's `timeout` runs out: node-fetch 2.7.0's
 * AbortError, the only abort there is). Not a connection that timed out before it was made (node's
 * "connect ETIMEDOUT <address>" and, trying each address in turn, "Socket connection timeout";
 * undici's UND_ERR_CONNECT_TIMEOUT): no byte of the request left, Meta was not reached. Tested on
 * the failure's words without the URLs they quote (`withoutUrls`).
 */
const TIMEOUT = /timed?\s?out|aborted a request|AbortError/i;
const CONNECT_TIMEOUT =
	/connect ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|Connect Timeout Error|ERR_SOCKET_CONNECTION_TIMEOUT|Socket connection timeout/i;

/** The Content-Length of an answer (header names in any case), when it is a plain number. */
function contentLength(headers: Record<string, string> | undefined): number | undefined {
	const key = Object.keys(headers ?? {}).find((name) => name.toLowerCase() === 'content-length');
	const value = key === undefined ? undefined : String(headers?.[key]).trim();
	return value && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Whether a call to `baseUrl` may carry the access token in its address: Meta's own host (the
 * address travels inside TLS; an HTTPS proxy of the server's sees only the host, and one that
 * inspects TLS sees every call's token in its header as well: README, setting up, step 2), or a
 * loopback simulator (the sandbox, the tests). Not a proxy named as the base URL, whose logs may keep
 * the addresses it is asked for.
 */
function tokenMayGoInAddress(baseUrl: string): boolean {
	try {
		const url = new URL(baseUrl);
		return (url.protocol === 'https:' && url.hostname === 'graph.facebook.com') || isLoopbackHost(url.hostname);
	} catch {
		return false;
	}
}

/** Query values keep commas readable (`fields=id,name`); everything else is percent-encoded. */
function enc(value: string): string {
	return encodeURIComponent(value).replace(/%2C/g, ',');
}

function afterParam(nextUrl: string): string | undefined {
	const match = /[?&]after=([^&#]+)/.exec(nextUrl);
	try {
		return match ? decodeURIComponent(match[1]) : undefined;
	} catch {
		return undefined;
	}
}

function pagingError(message: string): AppError {
	return new AppError({ code: 'graph_paging', message, status: 502, i18nKey: 'error_graph_unavailable' });
}
