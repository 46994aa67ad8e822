/** Errors of the core: real Error subclasses with a code; never a token or secret in a message. */

export class AppError extends Error {
	readonly code: string;
	/** The HTTP status an endpoint answers with for this error. */
	readonly status: number;
	/** i18n key of the explanation shown to people. */
	readonly i18nKey: string;
	readonly params?: Record<string, string | number>;

	constructor(options: { code: string; message: string; status?: number; i18nKey?: string; params?: Record<string, string | number> }) {
		super(options.message);
		this.name = new.target.name;
		this.code = options.code;
		this.status = options.status ?? 500;
		this.i18nKey = options.i18nKey ?? `error_${options.code}`;
		this.params = options.params;
	}
}

/** Meta's Graph error envelope: `{ error: { message, type, code, error_subcode, error_data, fbtrace_id } }`. */
export interface GraphErrorBody {
	message?: string;
	type?: string;
	code?: number;
	error_subcode?: number;
	error_user_title?: string;
	error_user_msg?: string;
	error_data?: unknown;
	fbtrace_id?: string;
}

export class GraphApiError extends AppError {
	readonly graphCode: number;
	readonly subcode?: number;
	readonly type?: string;
	readonly errorData?: unknown;
	readonly fbtraceId?: string;
	readonly httpStatus: number;

	constructor(httpStatus: number, body: GraphErrorBody) {
		const graphCode = typeof body.code === 'number' ? body.code : 0;
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
		this.errorData = body.error_data;
		this.fbtraceId = body.fbtrace_id;
		this.httpStatus = httpStatus;
	}

	/** Parses a non-2xx Graph response; a body that is not Meta's envelope (an HTML 502, say) keeps the HTTP status. */
	static fromResponse(httpStatus: number, rawBody: string): GraphApiError {
		try {
			const parsed = JSON.parse(rawBody) as { error?: GraphErrorBody };
			if (parsed && typeof parsed.error === 'object' && parsed.error) return new GraphApiError(httpStatus, parsed.error);
		} catch {
			// not JSON
		}
		return new GraphApiError(httpStatus, { message: `HTTP ${httpStatus} without a Graph error body`, type: 'HttpError' });
	}
}

export class NetworkError extends AppError {
	constructor(reason: string) {
		super({ code: 'network_error', message: `Graph API unreachable: ${reason}`, status: 502, i18nKey: 'error_graph_unreachable' });
	}
}
