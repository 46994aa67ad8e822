/**
 * Meta's webhook endpoint: `GET` answers the subscription handshake, `POST` receives events.
 * The engine gives the app the parsed body only; the signature is checked over the bytes Meta sent,
 * re-serialized the way Meta serializes (core/webhook/metaJson.ts).
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { serializeLikeMeta } from '../core/webhook/metaJson';
import { verifySignature } from '../core/webhook/signature';
import { NumberStore } from '../numbers/NumberStore';
import { acceptWebhook } from '../status/StatusPipeline';
import { readVerifyToken, WEBHOOK_PATH } from './verifyToken';

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };

/** Why a signature failed, for the app log (never the secret or the expected signature). */
const LIKELY_CAUSE: Record<string, string> = {
	'missing-header': 'no X-Hub-Signature-256 header: the request did not come from Meta, or a proxy dropped the header',
	'malformed-header': 'X-Hub-Signature-256 is not "sha256=<hex>"',
	'no-secret-configured': 'no WhatsApp number is connected, so there is no app secret to check against',
	mismatch: "the signature matches no connected number's app secret: check the app secret of the Meta app that sends this webhook",
};

export class WebhookEndpoint extends ApiEndpoint {
	public path = WEBHOOK_PATH;

	public async get(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead): Promise<IApiResponse> {
		const mode = request.query['hub.mode'];
		const token = request.query['hub.verify_token'];
		const challenge = request.query['hub.challenge'];
		const expected = await readVerifyToken(read.getPersistenceReader());
		if (mode === 'subscribe' && typeof challenge === 'string' && expected && token === expected) {
			return { status: 200, headers: TEXT, content: challenge };
		}
		this.app.getLogger().warn(`webhook verification refused: ${mode !== 'subscribe' ? 'hub.mode is not "subscribe"' : !expected ? 'no verify token yet: run /whatsapp numbers to create one' : 'hub.verify_token does not match the one shown in /whatsapp numbers'}`);
		return { status: 403, headers: TEXT, content: 'Forbidden' };
	}

	public async post(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, modify: IModify, _http: IHttp, persistence: IPersistence): Promise<IApiResponse> {
		const numbers = await new NumberStore(read.getPersistenceReader()).list();
		const secrets = numbers.map((n) => n.appSecret);
		const raw = serializeLikeMeta(request.content ?? {});
		const check = verifySignature(raw, request.headers['x-hub-signature-256'], secrets);
		if (!check.ok) {
			this.app.getLogger().warn(`webhook refused: ${LIKELY_CAUSE[check.reason] ?? check.reason}`);
			const status = check.reason === 'missing-header' || check.reason === 'malformed-header' ? 401 : 403;
			return { status, content: { success: false, error: status === 401 ? 'Missing or malformed X-Hub-Signature-256' : 'Invalid signature' } };
		}
		// Verified: stored for the processing job and acknowledged at once, as Meta requires.
		await acceptWebhook({ persistence, modify }, request.content, this.app.getID());
		return { status: 200, content: { success: true } };
	}
}
