/**
 * The Graph router: resolves `/{version}/{id}[/{edge}]` to a number, a WABA or a media, checks the
 * access token, validates the request against Meta's spec (the injected validator), then hands it
 * to the concern that answers it. See the endpoint table in tools/sim/README.md.
 */
import { createHmac, timingSafeEqual } from 'crypto';

import { accessTokenError, appSecretProofError, fbtraceId, invalidParameter, SimResponse, unsupportedRequest } from './metaErrors';
import { MEDIA_DOWNLOAD_PATH, MediaStore } from './media';
import type { Messages } from './messages';
import type { ValidationResult } from './metaSpec';
import { listPhoneNumbers, phoneNumberFields, SimNumber } from './numbers';
import { bearerToken, Form, RecordedRequest } from './server';
import type { Templates } from './templates';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export type { ValidationResult };

/** What the validator is given: the request, and the spec path template the router resolved its id to. */
export interface ValidatedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	body?: unknown;
	/** The spec path template, e.g. '/{Version}/{WABA-ID}/message_templates'. */
	template?: string;
}

export type Validator = (req: ValidatedRequest) => ValidationResult;

export interface RouterOptions {
	/** Request validator, e.g. `validateRequest` of tools/sim/metaSpec.ts. */
	validate?: Validator;
	/** Answer invalid requests with Meta's error 100 (default true); false only records them. */
	strict?: boolean;
}

export interface RouterParts {
	numbers: Map<string, SimNumber>;
	templates: Templates;
	media: MediaStore;
	messages: Messages;
	/** The simulator's base URL, for paging links and media URLs. */
	baseUrl: () => string;
}

/** The Meta app the simulator's numbers are of, subscribed to their WABAs unless `subscribedApps` says otherwise. */
export const SUBSCRIBED_APP = { id: '1234567890123456', name: 'Business Messaging App' };
/** The Meta app of a number's token when that is another app than its webhooks' (SimNumber `tokenAppSecret`). */
export const TOKEN_OTHER_APP = { id: '6543210987654321', name: 'Other Meta App' };
/** The WhatsApp permissions a system user's token is given (README, "Setting up the Meta side", step 2). */
const WHATSAPP_SCOPES = ['whatsapp_business_management', 'whatsapp_business_messaging'];

/** Meta's refusal of a debug_token question from a token that is not an owner's or developer's of the app. */
function notDeveloper(): SimResponse {
	return {
		status: 400,
		payload: {
			error: {
				message: '(#100) You must provide an app access token, or a user access token that is an owner or developer of the app',
				type: 'OAuthException',
				code: 100,
				fbtrace_id: fbtraceId(),
			},
		},
	};
}

/** The Meta app a number's token is of (`token.appId`, else the app of its `tokenAppSecret`, else the numbers' app). */
function tokenApp(number: SimNumber): { id: string; name: string } {
	const appId = number.token?.appId;
	if (appId) return { id: appId, name: appId === SUBSCRIBED_APP.id ? SUBSCRIBED_APP.name : TOKEN_OTHER_APP.name };
	return number.tokenAppSecret ? TOKEN_OTHER_APP : SUBSCRIBED_APP;
}

export class Router {
	/** Requests the validator rejected, with its errors (strict or not). */
	readonly violations: Array<{ request: RecordedRequest; errors: string[] }> = [];
	/**
	 * The Meta app's "Require App Secret" (App settings > Advanced > Security): off by default, as
	 * Meta's is. On, a Graph call without `appsecret_proof` is refused (`appSecretProofError`).
	 */
	requireAppSecretProof = false;
	/**
	 * The Meta apps subscribed to each WABA's webhooks (`GET /{WABA-ID}/subscribed_apps`). A WABA not
	 * in it has one, the numbers' app (`SUBSCRIBED_APP`), as the test account of Meta's API Setup is
	 * from the start; an empty list is a WABA no app was subscribed to (README, setting up, step 7).
	 */
	readonly subscribedApps = new Map<string, Array<{ id: string; name: string }>>();

	constructor(
		private readonly parts: RouterParts,
		private readonly options: RouterOptions = {},
	) {}

	route(r: RecordedRequest, form: Form | undefined): SimResponse {
		const { numbers, templates, media, messages } = this.parts;
		if (r.path === MEDIA_DOWNLOAD_PATH) return media.download(r);
		const [version, id, edge, ...rest] = r.path.replace(/^\/+|\/+$/g, '').split('/');
		if (!/^v\d+\.\d+$/.test(version ?? '') || !id || rest.length) {
			return {
				status: 400,
				payload: {
					error: { message: `Unknown path components: ${r.path}`, type: 'OAuthException', code: 2500, fbtrace_id: fbtraceId() },
				},
			};
		}
		const token = bearerToken(r);
		if (!token) return accessTokenError('missing');
		const all = [...numbers.values()];
		const tokenOwner = all.find((n) => n.accessToken === token);
		if (!tokenOwner) return accessTokenError('invalid');
		const expiresAt = tokenOwner.token?.expiresAt;
		if (expiresAt && expiresAt * 1000 <= Date.now()) return accessTokenError('expired');
		const proofRefused = this.proofRefusal(r.query.appsecret_proof, token);
		if (proofRefused) return proofRefused;
		// Not in Meta's WhatsApp spec (a Graph API node of its own): not given to the validator.
		if (id === 'debug_token' && !edge)
			return r.method === 'GET' ? this.debugToken(r.query.input_token, tokenOwner) : unsupportedRequest(r.method, id);

		const medium = !edge ? media.find(id) : undefined;
		if (medium) {
			if (!media.ownedBy(medium, token)) return accessTokenError('invalid');
			return this.refused(r, '/{Version}/{Media-ID}') ?? media.info(r, medium, this.parts.baseUrl());
		}

		const number = numbers.get(id);
		const wabaNumbers = all.filter((n) => n.wabaId === id);
		const owners = number ? [number] : wabaNumbers;
		if (!owners.length) return unsupportedRequest(r.method, id);
		if (!owners.some((n) => n.accessToken === token)) return accessTokenError('invalid');

		const refused = this.refused(r, `/{Version}/${number ? '{Phone-Number-ID}' : '{WABA-ID}'}${edge ? `/${edge}` : ''}`);
		if (refused) return refused;

		const edgePath = `/${version}/${id}/${edge}`;
		if (r.method === 'GET' && number && !edge) return phoneNumberFields(number, r.query.fields);
		if (r.method === 'POST' && number && edge === 'messages') return messages.send(number, r.body as Any, templates);
		if (r.method === 'POST' && number && edge === 'media') return media.upload(number, form);
		if (r.method === 'GET' && !number && edge === 'phone_numbers')
			return listPhoneNumbers(edgePath, this.parts.baseUrl(), wabaNumbers, r.query);
		if (r.method === 'GET' && !number && edge === 'message_templates')
			return templates.list(id, r.query, edgePath, this.parts.baseUrl());
		if (r.method === 'GET' && !number && edge === 'subscribed_apps') return this.subscriptions(id);
		return unsupportedRequest(r.method, id);
	}

	/**
	 * Meta's answer to `GET /debug_token?input_token=` (Graph API reference, "Debug-Token": `app_id`,
	 * `type`, `application`, `expires_at`, `is_valid`, `scopes`, `granular_scopes`, `user_id`), of
	 * the token the call names (the caller's own, as the app asks it; its `issued_at` and
	 * `data_access_expires_at` are left out). A system user's permanent token says `expires_at: 0`,
	 * as the Access Token Debugger's "Expires: Never"; a token of no number is not valid. Without
	 * `input_token`: error 100, as Graph answers a missing parameter. Meta answers only an app access
	 * token or a user token of an owner or developer of the input token's app: a caller whose user is
	 * not one (`debuggable: false`), or whose token is of another app than the input token, gets error
	 * 100 too, in Meta's words (as nyaruka/rapidpro#3734 quotes them).
	 */
	private debugToken(inputToken: string | undefined, caller: SimNumber): SimResponse {
		if (!inputToken)
			return {
				status: 400,
				payload: {
					error: {
						message: '(#100) The parameter input_token is required',
						type: 'OAuthException',
						code: 100,
						fbtrace_id: fbtraceId(),
					},
				},
			};
		if (caller.token?.debuggable === false) return notDeveloper();
		const numbers = [...this.parts.numbers.values()].filter((n) => n.accessToken === inputToken);
		if (!numbers.length)
			return {
				status: 200,
				payload: { data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] } },
			};
		const info = numbers[0].token ?? {};
		const app = tokenApp(numbers[0]);
		if (tokenApp(caller).id !== app.id) return notDeveloper();
		const scopes = info.scopes ?? WHATSAPP_SCOPES;
		const wabaIds = [...new Set(numbers.map((n) => n.wabaId))];
		return {
			status: 200,
			payload: {
				data: {
					app_id: app.id,
					type: info.expiresAt ? 'USER' : 'SYSTEM_USER',
					application: app.name,
					expires_at: info.expiresAt ?? 0,
					is_valid: true,
					scopes,
					granular_scopes: scopes
						.filter((scope) => scope.startsWith('whatsapp_'))
						.map((scope) => ({ scope, target_ids: wabaIds })),
					user_id: '122100000000000001',
				},
			},
		};
	}

	/** Meta's answer to `GET /{WABA-ID}/subscribed_apps`: each app in `whatsapp_business_api_data`, as Meta's reference shows it. */
	private subscriptions(wabaId: string): SimResponse {
		const apps = this.subscribedApps.get(wabaId) ?? [SUBSCRIBED_APP];
		return {
			status: 200,
			payload: {
				data: apps.map((app) => ({
					whatsapp_business_api_data: { id: app.id, name: app.name, link: `https://www.facebook.com/games/?app_id=${app.id}` },
				})),
			},
		};
	}

	/**
	 * Meta's check of `appsecret_proof` (Graph API, "Secure Graph API Calls"), after the token's: the
	 * SHA-256 HMAC of the token keyed with the secret of the one Meta app the token was generated for,
	 * in hex. That app is the first number's added with the token: its `tokenAppSecret`, else its
	 * `appSecret`. Checked whenever a call carries it; required only when `requireAppSecretProof` is on.
	 */
	private proofRefusal(proof: string | undefined, token: string): SimResponse | undefined {
		if (proof === undefined) return this.requireAppSecretProof ? appSecretProofError('missing') : undefined;
		const owner = [...this.parts.numbers.values()].find((n) => n.accessToken === token) as SimNumber;
		const expected = Buffer.from(
			createHmac('sha256', owner.tokenAppSecret ?? owner.appSecret)
				.update(token)
				.digest('hex'),
			'utf8',
		);
		const given = Buffer.from(proof, 'utf8');
		return expected.length === given.length && timingSafeEqual(expected, given) ? undefined : appSecretProofError('invalid');
	}

	/**
	 * Validates the request as the spec operation `template`, recording the result on it. An invalid
	 * one is a violation, and in strict mode is answered with Meta's error 100.
	 */
	private refused(r: RecordedRequest, template: string): SimResponse | undefined {
		if (!this.options.validate) return undefined;
		const check = this.options.validate({ method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.body, template });
		r.validation = check;
		r.operation = check.operation;
		if (check.ok) return undefined;
		this.violations.push({ request: r, errors: check.errors });
		return this.options.strict !== false ? invalidParameter(check.errors.join('; ')) : undefined;
	}
}
