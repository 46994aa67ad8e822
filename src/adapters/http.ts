import { IHttp, IHttpRequest } from '@rocket.chat/apps-engine/definition/accessors';

import { HttpPort, HttpRequest, HttpResponse } from '../core/graph/GraphClient';

/** Node's Buffer, which the engine carries across the Deno boundary as bytes (a node built-in the runtime allows). */
const { Buffer: NodeBuffer } = require('buffer') as typeof import('buffer');

/** The core's HTTP port over the engine's IHttp accessor (Rocket.Chat performs the call). */
export class AppsEngineHttpPort implements HttpPort {
	constructor(private readonly http: IHttp) {}

	async send(req: HttpRequest): Promise<HttpResponse> {
		const options: IHttpRequest = { headers: req.headers, timeout: req.timeoutMs };
		// Rocket.Chat passes `content` to fetch as the body: bytes go as a Buffer over the same memory (multipart uploads).
		if (req.body !== undefined)
			options.content = (
				typeof req.body === 'string' ? req.body : NodeBuffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength)
			) as string;
		// `encoding: null` makes Rocket.Chat answer with the body's bytes (a Buffer) in `content`.
		if (req.binary) options.encoding = null;
		const call =
			req.method === 'GET'
				? this.http.get(req.url, options)
				: req.method === 'POST'
					? this.http.post(req.url, options)
					: this.http.del(req.url, options);
		const response = await call;
		const content: unknown = response.content;
		const headers = (response.headers ?? {}) as Record<string, string>;
		if (req.binary && content !== undefined && content !== null && typeof content !== 'string') {
			const bytes = content instanceof Uint8Array ? content : new Uint8Array(content as ArrayBuffer);
			return { status: response.statusCode, body: response.statusCode >= 300 ? new TextDecoder().decode(bytes) : '', bytes, headers };
		}
		return { status: response.statusCode, body: typeof content === 'string' ? content : '', headers };
	}
}
