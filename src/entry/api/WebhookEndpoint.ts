/**
 * Meta's webhook endpoint: `GET` answers the subscription handshake, `POST` receives events.
 * The engine gives the app the parsed body only; the signature is checked over the bytes Meta sent,
 * re-serialized the way Meta serializes (core/webhook/metaJson.ts).
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { serializeLikeMeta } from '../../core/webhook/metaJson';
import { headerProblem } from '../../core/webhook/signature';
import { scopeOfNumbers, verifyForNumbers } from '../../core/webhook/tenancy';
import { verifyTokenMatches } from '../../core/webhook/verifyToken';
import { clockOf } from '../../adapters/persistence/clock';
import { acceptWebhookOf } from '../../adapters/build/webhooks';
import { NumberStore } from '../../adapters/persistence/NumberStore';
import { logRefusal } from '../../adapters/refusals';
import { readVerifyToken, WEBHOOK_PATH } from '../../adapters/persistence/verifyToken';

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

	public async get(request: IApiRequest, endpoint: IApiEndpointInfo, read: IRead): Promise<IApiResponse> {
		return this.answering('handshake', () => this.handshake(request, endpoint, read));
	}

	/**
	 * A webhook stored (or refused) is answered at once. Anything that fails meanwhile (the store or the
	 * scheduler out of reach) is a 500 with no word of it: Rocket.Chat would send a thrown error's own
	 * message to whoever called (bridges/api.ts: `res.status(500).send(reason.message)`), and the
	 * message may name a database host. Meta retries a webhook that got no 200, so nothing is lost.
	 */
	public async post(
		request: IApiRequest,
		endpoint: IApiEndpointInfo,
		read: IRead,
		modify: IModify,
		http: IHttp,
		persistence: IPersistence,
	): Promise<IApiResponse> {
		return this.answering('webhook', () => this.receive(request, endpoint, read, modify, http, persistence));
	}

	private async answering(what: string, handle: () => Promise<IApiResponse>): Promise<IApiResponse> {
		try {
			return await handle();
		} catch (error) {
			// Anyone may call (the handshake needs nothing, a POST is read before its signature is checked):
			// during an outage, one line a minute per cause, as refusals are.
			const name = error instanceof Error ? error.name : 'error';
			const logger = this.app.getLogger();
			logRefusal(logger, `failed:${what}:${name}`, `${what} not handled, answered 500: ${name}`, 'error');
			return { status: 500, content: { success: false, error: 'Internal error: the app could not take the request now' } };
		}
	}

	private async handshake(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead): Promise<IApiResponse> {
		const mode = request.query['hub.mode'];
		const token = request.query['hub.verify_token'];
		const challenge = request.query['hub.challenge'];
		if (mode !== 'subscribe') return this.refuseHandshake('mode', 'hub.mode is not "subscribe"');
		if (typeof challenge !== 'string') return this.refuseHandshake('challenge', 'no hub.challenge to answer');
		const expected = await readVerifyToken(read.getPersistenceReader());
		if (!expected) return this.refuseHandshake('no-token', 'no verify token yet: run /whatsapp numbers to create one');
		if (!verifyTokenMatches(token, expected))
			return this.refuseHandshake('token', 'hub.verify_token does not match the one shown in /whatsapp numbers');
		return { status: 200, headers: TEXT, content: challenge };
	}

	private async receive(
		request: IApiRequest,
		_endpoint: IApiEndpointInfo,
		read: IRead,
		modify: IModify,
		_http: IHttp,
		persistence: IPersistence,
	): Promise<IApiResponse> {
		const header = request.headers['x-hub-signature-256'];
		// A request without a well-formed signature costs nothing: refused before anything is read.
		const problem = headerProblem(header);
		if (problem) return this.refuse(problem);
		// Meta waits for the acknowledgement: the numbers this runtime read recently serve (RecentNumbers),
		// and what reads there are go together.
		const store = new NumberStore(read.getPersistenceReader());
		const [recent, clock] = await Promise.all([store.listRecent(), clockOf(read)]);
		const body = serializeLikeMeta(request.content ?? {});
		const verifyNow = async () => verifyForNumbers(body, header, await store.list());
		let check = verifyForNumbers(body, header, recent.numbers);
		let fromCache = recent.cached;
		// A number connected, or a secret changed, on another instance since: the numbers as stored decide.
		if (!check.ok && fromCache) [check, fromCache] = [await verifyNow(), false];
		if (!check.ok) return this.refuse(check.reason);
		const rescope = async () => {
			const fresher = await verifyNow();
			return fresher.ok ? fresher.scope : undefined;
		};
		// Verified: stored with what its signature vouches for, for the processing job, and
		// acknowledged at once, as Meta requires.
		const stored = await acceptWebhookOf(
			{ read, persistence, modify, logger: this.app.getLogger() },
			{
				payload: request.content,
				scope: check.scope,
				appId: this.app.getID(),
				...(fromCache ? { rescope } : {}),
				// The numbers the signature was checked against (no read more before Meta's acknowledgement).
				connected: async () => scopeOfNumbers(recent.numbers),
			},
			clock,
		);
		// The numbers as stored verify it no more (a secret changed on another instance): Meta sends it again.
		if (stored === 'unverified') return this.refuse('mismatch');
		return { status: 200, content: { success: true } };
	}

	private refuseHandshake(cause: string, text: string): IApiResponse {
		logRefusal(this.app.getLogger(), `verify:${cause}`, `webhook verification refused: ${text}`);
		return { status: 403, headers: TEXT, content: 'Forbidden' };
	}

	private refuse(reason: string): IApiResponse {
		logRefusal(this.app.getLogger(), `signature:${reason}`, `webhook refused: ${LIKELY_CAUSE[reason] ?? reason}`);
		const status = reason === 'missing-header' || reason === 'malformed-header' ? 401 : 403;
		return {
			status,
			content: { success: false, error: status === 401 ? 'Missing or malformed X-Hub-Signature-256' : 'Invalid signature' },
		};
	}
}
