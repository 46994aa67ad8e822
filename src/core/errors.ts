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

/**
 * Meta refused the call's `appsecret_proof` (GraphClient `appSecretProof`; error 100 naming it): the
 * app secret is not that of the Meta app the access token was generated for. Every call with the
 * same credentials gets the same refusal, until an admin corrects the number's app secret.
 */
export function isAppSecretRefusal(error: unknown): boolean {
	return error instanceof GraphApiError && refusesAppSecret(error.graphCode, error.graphMessage);
}

/** `isAppSecretRefusal` by Meta's code and words (a send's result keeps only those). */
export const refusesAppSecret = (code: number, metaWords: string | undefined): boolean =>
	code === 100 && /appsecret_proof/i.test(metaWords ?? '');

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

/**
 * A network failure that comes before any byte of a request can reach the server, in the words of
 * Node (its error codes), node-fetch and undici (Rocket.Chat's HTTP), Deno's fetch and rustls (the
 * app's runtime), and the Apps-Engine's permission check: the name not resolved, the connection
 * refused, unroutable or given up on while it was made (Node's "connect E...", Deno's "error trying
 * to connect" and "client error (Connect)"; node-fetch's "reason: " with nothing after it, Node 20's
 * AggregateError of every address refused, whose code the engine's bridge does not pass on), the
 * TLS handshake refused (a certificate, a server that speaks no TLS), a URL or a permission
 * refused. Any other network failure (a connection reset or closed while the request or its answer
 * was on the way: ECONNRESET, EPIPE, "socket hang up", "other side closed", "Premature close", a
 * connection that closed before the answer ended, an unreachable host on a connection made) may
 * come after the request reached the server.
 */
const BEFORE_CONNECTION = new RegExp(
	[
		'ECONNREFUSED|Connection refused|tcp connect error|error trying to connect|client error \\(Connect\\)',
		'connect (?:EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN|EADDRNOTAVAIL|ETIMEDOUT)',
		'ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|getaddrinfo|dns error|failed to lookup address|Name or service not known|name resolution',
		'UND_ERR_CONNECT_TIMEOUT|Connect Timeout Error|ERR_SOCKET_CONNECTION_TIMEOUT|Socket connection timeout',
		'certificate|CERT_|self[- ]signed|UNABLE_TO_VERIFY|DEPTH_ZERO|before secure TLS connection|altnames|UnknownIssuer|wrong version number',
		'alert handshake failure|alert protocol version|tlsv1 alert|unknown protocol',
		'unsupported_protocol|Unsupported protocol|Invalid URL|ERR_INVALID_URL|Only absolute URLs',
		'Requires net access|PermissionDenied|NotCapable|lacks the following permission',
		'reason:\\s*$',
	].join('|'),
	'i',
);

/**
 * A network failure's words without the URLs they quote (node-fetch's "request to <url> failed",
 * Deno's "for url (<url>)"): an address's own words ("…/concert/…") say nothing of the failure.
 */
export const withoutUrls = (said: string): string => said.replace(/for url \([^)]*\)/gi, '').replace(/https?:\/\/\S+/gi, '');

/**
 * A failure's words with each URL cut to its scheme and host (`https://host/…`): a URL's path and
 * query (a media link's signature) and its user and password stay out of logs.
 */
export const withShortUrls = (said: string): string =>
	said.replace(
		/(https?:\/\/)([^\s/?#)]*)[^\s)]*/gi,
		(_url, scheme: string, authority: string) => `${scheme}${authority.slice(authority.lastIndexOf('@') + 1)}/…`,
	);

/**
 * A TLS handshake that refused the server's certificate, in the words of Node (its error codes and
 * messages: "unable to verify the first certificate", "self-signed certificate in certificate chain",
 * "certificate has expired", "Hostname/IP does not match certificate's altnames") and of Deno's
 * rustls ("invalid peer certificate: UnknownIssuer", "NotValidForName"): a proxy that inspects TLS,
 * or an authority the server (or the app's runtime) does not trust. Nothing was sent.
 */
const CERTIFICATE_REFUSED = /certificate|CERT_|self[- ]signed|UNABLE_TO_VERIFY|DEPTH_ZERO|altnames|UnknownIssuer|NotValidForName/i;
/**
 * Not the server's certificate refused: a TLS alert (the server refusing this side, as a server
 * that asks for a client certificate does: "alert certificate required", rustls' "received fatal
 * alert"), or a name not found or a connection refused (whose host name may hold such a word).
 */
const NOT_CERTIFICATE_REFUSED = /alert|ENOTFOUND|EAI_|getaddrinfo|dns error|failed to lookup|ECONNREFUSED|Connection refused/i;

/** Whether a network failure, by its message and code, may have come after the request reached the server. */
export const mayHaveReached = (said: string): boolean => !BEFORE_CONNECTION.test(withoutUrls(said));

/** No HTTP answer at all: connection failure or timeout. */
export class NetworkError extends AppError {
	readonly timedOut: boolean;
	/**
	 * The request may have reached Meta: it timed out, or its connection was lost once made
	 * (`mayHaveReached`); else it failed before (Meta out of reach: nothing was sent).
	 */
	readonly reached: boolean;

	constructor(options: { detail: string; timedOut: boolean; reached?: boolean }) {
		const reached = options.timedOut || (options.reached ?? mayHaveReached(options.detail));
		const lost = reached && !options.timedOut;
		// Out of reach for the certificate Meta's side showed (said so: "check the network" would mislead).
		const said = withoutUrls(options.detail);
		const certificate = !reached && CERTIFICATE_REFUSED.test(said) && !NOT_CERTIFICATE_REFUSED.test(said);
		super({
			code: options.timedOut ? 'network_timeout' : 'network_error',
			message: `Graph API ${options.timedOut ? 'timed out' : lost ? 'connection lost' : 'unreachable'}: ${options.detail}`,
			status: 502,
			i18nKey: options.timedOut
				? 'error_graph_timed_out'
				: lost
					? 'error_graph_connection_lost'
					: certificate
						? 'error_graph_certificate'
						: 'error_graph_unreachable',
		});
		this.timedOut = options.timedOut;
		this.reached = reached;
	}
}

/**
 * A send whose record could not be written before its Graph call (the app's storage failed): nothing
 * went to Meta, so it is safe to send again, and no status of it will follow.
 */
export class SendNotRecorded extends AppError {
	constructor(cause: unknown) {
		super({
			code: 'send_not_recorded',
			message: `send not recorded, so not sent: ${cause instanceof Error ? cause.message : String(cause)}`,
			status: 503,
			i18nKey: 'error_send_not_recorded',
		});
	}
}

/**
 * Whether a send that failed with `error` may still have reached WhatsApp: no answer in time (a
 * timeout), a connection lost after it was made (`NetworkError.reached`), or an answer that was not
 * Meta's own (`GraphApiError.fromResponse`'s HttpError) with a server error (a proxy's 502 or 504
 * page) or a success (a 2xx whose body is not Meta's, a send's without the message's id), which
 * says nothing of what Meta did with the request.
 */
export const mayHaveBeenSent = (error: unknown): boolean =>
	(error instanceof NetworkError && error.reached) ||
	(error instanceof GraphApiError &&
		error.type === 'HttpError' &&
		(error.httpStatus >= 500 || (error.httpStatus >= 200 && error.httpStatus < 300)));
