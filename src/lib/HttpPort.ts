import { IHttp } from '@rocket.chat/apps-engine/definition/accessors';

import { HttpPort, HttpRequest, HttpResponse } from '../core/graph/GraphClient';

/** The core's HTTP port over the engine's IHttp accessor (Rocket.Chat performs the call). */
export class AppsEngineHttpPort implements HttpPort {
	constructor(private readonly http: IHttp) {}

	async send(req: HttpRequest): Promise<HttpResponse> {
		const options = { headers: req.headers, timeout: req.timeoutMs, ...(req.body !== undefined ? { content: req.body } : {}) };
		const call = req.method === 'GET' ? this.http.get(req.url, options) : req.method === 'POST' ? this.http.post(req.url, options) : this.http.del(req.url, options);
		const response = await call;
		return { status: response.statusCode, body: response.content ?? '' };
	}
}
