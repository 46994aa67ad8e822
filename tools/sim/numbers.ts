/** Phone numbers: the connected numbers of the simulated Cloud API, as Graph shows them. */
import { fbtraceId, SimResponse } from './metaErrors';
import { page, select, splitFields } from './graph';

export interface SimNumber {
	phoneNumberId: string;
	wabaId: string;
	/** As Meta shows it, e.g. '+1 555-078-3881'. */
	displayPhoneNumber: string;
	verifiedName: string;
	accessToken: string;
	/** The secret of the Meta app that signs the number's webhooks (the app subscribed to its WABA). */
	appSecret: string;
	/**
	 * The secret of the Meta app its access token was generated for, when that is another app than
	 * the webhooks' (`appSecret`, by default): Graph calls' `appsecret_proof` is checked against it.
	 */
	tokenAppSecret?: string;
	/**
	 * What Meta's `GET /debug_token` tells of the access token (router.ts `debugToken`). By default a
	 * system user's permanent token (`expires_at: 0`) of the numbers' Meta app (`SUBSCRIBED_APP`, or
	 * `TOKEN_OTHER_APP` with `tokenAppSecret`) with both WhatsApp permissions. `expiresAt` (Unix
	 * seconds) makes it a temporary user token (API Setup's lasts a day): its Graph calls are refused
	 * with 190, subcode 463, once past, as Meta refuses an expired token.
	 */
	token?: {
		expiresAt?: number;
		scopes?: string[];
		appId?: string;
		/**
		 * false: the token's user is not an owner or developer of the Meta app, and Meta refuses its
		 * question about itself (`debug_token`) with error 100 (a system user given the app without
		 * that role, say).
		 */
		debuggable?: boolean;
	};
	qualityRating?: 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';
}

/** Fields of a phone number node the simulator knows; the first four are Graph's default answer. */
const PHONE_FIELDS = [
	'id',
	'display_phone_number',
	'verified_name',
	'quality_rating',
	'code_verification_status',
	'name_status',
	'platform_type',
	'throughput',
];
const PHONE_DEFAULT_FIELDS = PHONE_FIELDS.slice(0, 4);

function phoneNumberNode(number: SimNumber): Record<string, unknown> {
	return {
		id: number.phoneNumberId,
		display_phone_number: number.displayPhoneNumber,
		verified_name: number.verifiedName,
		quality_rating: number.qualityRating ?? 'GREEN',
		code_verification_status: 'VERIFIED',
		name_status: 'APPROVED',
		platform_type: 'CLOUD_API',
		throughput: { level: 'STANDARD' },
	};
}

/** `GET /{Phone-Number-ID}`: Graph's field selection, requested fields in order, then `id`; an unknown field is error 100. */
export function phoneNumberFields(number: SimNumber, fields: string | undefined): SimResponse {
	const wanted = fields ? splitFields(fields) : PHONE_DEFAULT_FIELDS;
	const unknown = wanted.find((f) => !PHONE_FIELDS.includes(f));
	if (unknown) {
		return {
			status: 400,
			payload: {
				error: {
					message: `(#100) Tried accessing nonexisting field (${unknown}) on node type (WhatsAppBusinessPhoneNumber)`,
					type: 'OAuthException',
					code: 100,
					fbtrace_id: fbtraceId(),
				},
			},
		};
	}
	return { status: 200, payload: select(phoneNumberNode(number), wanted) };
}

/** `GET /{WABA-ID}/phone_numbers`: the WABA's numbers with the same fields, one page. */
export function listPhoneNumbers(edgePath: string, baseUrl: string, numbers: SimNumber[], query: Record<string, string>): SimResponse {
	const nodes: unknown[] = [];
	for (const n of numbers) {
		const one = phoneNumberFields(n, query.fields);
		if (one.status !== 200) return one;
		nodes.push(one.payload);
	}
	return { status: 200, payload: page(nodes, query, edgePath, baseUrl) };
}
