/** Errors of the core: real Error subclasses with a code; never a token or secret in a message. */

import type { Params } from './i18n/translate';

export interface AppErrorOptions {
	code: string;
	message: string;
	/** The HTTP status an endpoint answers with for this error (default 500). */
	status?: number;
	/** i18n key of the explanation shown to people (default `error_<code>`). */
	i18nKey?: string;
	params?: Params;
}

export class AppError extends Error {
	readonly code: string;
	readonly status: number;
	readonly i18nKey: string;
	readonly params?: Params;

	constructor(options: AppErrorOptions) {
		super(options.message);
		this.name = new.target.name;
		this.code = options.code;
		this.status = options.status ?? 500;
		this.i18nKey = options.i18nKey ?? `error_${options.code}`;
		this.params = options.params;
	}
}

/** The `error` object of Meta's Graph error envelope `{ error: { message, type, code, error_subcode, ... } }`. */
export interface GraphErrorBody {
	message?: string;
	type?: string;
	code?: number | string;
	error_subcode?: number;
	error_user_title?: string;
	error_user_msg?: string;
	error_data?: unknown;
	fbtrace_id?: string;
	is_transient?: boolean;
}

/**
 * Whether Meta's error code says it no longer accepts the access token itself, so that only a new
 * token (an admin reconnecting the number) helps, per Meta's Graph API error codes:
 * - 190, access token expired (OAuthException): expired, invalidated, or its session ended;
 * - 102, API Session: with no subcode, the access token has expired, been revoked or is otherwise
 *   invalid (a subcode names the reason: the session expired, the password changed, the app was
 *   removed...; a new token is needed all the same).
 * Not 0 (AuthException): callers pass 0 for "no code known".
 */
export function isRefusedToken(code?: number): boolean {
	return code === 190 || code === 102;
}

/** Meta answered with a non-2xx status. `graphCode` is 0 when the body was not Meta's envelope (an HTML 502, say). */
export class GraphApiError extends AppError {
	readonly graphCode: number;
	readonly subcode?: number;
	readonly type?: string;
	/** Meta's own `message`, e.g. "(#130429) Rate limit hit". */
	readonly graphMessage?: string;
	/** `error_user_title` / `error_user_msg`, when Meta sends them. */
	readonly title?: string;
	readonly userMessage?: string;
	readonly errorData?: unknown;
	readonly fbtraceId?: string;
	readonly isTransient?: boolean;
	readonly httpStatus: number;

	constructor(httpStatus: number, body: GraphErrorBody) {
		const code = Number(body.code);
		const graphCode = Number.isInteger(code) ? code : 0;
		super({
			code: 'graph_error',
			message: `Graph API error ${graphCode || httpStatus}: ${body.message ?? 'no message'}`,
			status: 502,
			i18nKey: 'error_graph_unavailable',
			params: { code: graphCode },
		});
		this.graphCode = graphCode;
		this.subcode = body.error_subcode;
		this.type = body.type;
		this.graphMessage = body.message;
		this.title = body.error_user_title;
		this.userMessage = body.error_user_msg;
		this.errorData = body.error_data;
		this.fbtraceId = body.fbtrace_id;
		this.isTransient = body.is_transient;
		this.httpStatus = httpStatus;
	}

	/** Builds the error from a non-2xx response body, Meta's envelope or anything else. */
	static fromResponse(httpStatus: number, rawBody: string): GraphApiError {
		let parsed: unknown;
		try {
			parsed = JSON.parse(rawBody);
		} catch {
			parsed = undefined;
		}
		const error = parsed && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined;
		if (error && typeof error === 'object') return new GraphApiError(httpStatus, error as GraphErrorBody);
		return new GraphApiError(httpStatus, { message: `HTTP ${httpStatus} without a Graph error body`, type: 'HttpError' });
	}
}

/** No HTTP answer at all: connection failure or timeout. */
export class NetworkError extends AppError {
	readonly timedOut: boolean;

	constructor(options: { detail: string; timedOut: boolean }) {
		super({
			code: options.timedOut ? 'network_timeout' : 'network_error',
			message: `Graph API ${options.timedOut ? 'timed out' : 'unreachable'}: ${options.detail}`,
			status: 502,
			i18nKey: 'error_graph_unreachable',
		});
		this.timedOut = options.timedOut;
	}
}

/**
 * Whether a send that failed with `error` may still have reached WhatsApp: no answer in time (a
 * timeout), or an answer that was not Meta's own with a server error (a proxy's 502 or 504 page:
 * `GraphApiError.fromResponse`'s HttpError), which says nothing of what Meta did with the request.
 */
export const mayHaveBeenSent = (error: unknown): boolean =>
	(error instanceof NetworkError && error.timedOut) ||
	(error instanceof GraphApiError && error.type === 'HttpError' && error.httpStatus >= 500);
