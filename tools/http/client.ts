/**
 * The one HTTP client of the tools and tests (axios): raw bodies sent byte for byte (a signed
 * webhook must not be re-serialized), every status answered rather than thrown, the body parsed
 * when it is JSON. The app itself never uses it: it calls out through the engine's IHttp, which
 * carries Rocket.Chat's permissions and proxy settings.
 */
import axios from 'axios';

export interface HttpAnswer {
	status: number;
	headers: Record<string, string>;
	/** The body parsed as JSON when it is JSON, else its text. */
	body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
	/** The body's text, as received. */
	text: string;
}

export interface HttpRequest {
	method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
	headers?: Record<string, string>;
	/** Sent as JSON. */
	json?: unknown;
	/** Sent exactly as given (a signed webhook's bytes). */
	raw?: string | Buffer;
	timeoutMs?: number;
}

/** Sends a request and answers its status, headers and body, whatever the status. */
export async function request(url: string, options: HttpRequest = {}): Promise<HttpAnswer> {
	const headers: Record<string, string> = { ...(options.headers ?? {}) };
	let data: string | Buffer | undefined = options.raw;
	if (options.json !== undefined) {
		data = JSON.stringify(options.json);
		if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
	}
	const response = await axios.request<string>({
		url,
		method: options.method ?? (data === undefined ? 'GET' : 'POST'),
		headers,
		data,
		timeout: options.timeoutMs ?? 30000,
		responseType: 'text',
		// The raw bytes go as they are, and the body comes back as text to be parsed here.
		transformRequest: [(body: unknown) => body],
		transformResponse: [(body: unknown) => body],
		validateStatus: () => true,
		maxRedirects: 0,
	});
	const text = typeof response.data === 'string' ? response.data : String(response.data ?? '');
	let body: unknown = text;
	try {
		body = text ? JSON.parse(text) : text;
	} catch {
		// not JSON: the text
	}
	const answerHeaders: Record<string, string> = {};
	for (const [key, value] of Object.entries(response.headers ?? {}))
		if (value !== undefined) answerHeaders[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	return { status: response.status, headers: answerHeaders, body, text };
}
