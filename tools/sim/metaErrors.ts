/**
 * Meta's Graph error envelopes, as the Cloud API answers them:
 * `{ error: { message, type, code, error_data: { messaging_product, details }, error_subcode?, fbtrace_id } }`
 * (shared/contracts/meta-docs/graph-error.syntax.json). Titles and meanings come from the error-code
 * table in shared/contracts/derived; the documented 130429 example is used verbatim.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { CONTRACTS_DIR } from './contracts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface SimResponse {
	status: number;
	/** A JSON value, or a string sent as text/html. */
	payload: unknown;
	/** Raw bytes sent as `contentType` instead of the payload (media downloads). */
	bytes?: Buffer;
	contentType?: string;
	/** The answer waits for it (a test's `onAccepted` hook), after the latency. */
	hold?: Promise<void>;
	/** No answer: the connection is closed instead, after the latency and the hold (the message was accepted). */
	drop?: boolean;
}

interface TableRow {
	code: number | string;
	title: string;
	meaning: string;
	http_status_per_meta_table: number | null;
}

/**
 * Codes Meta documented after the table (shared/contracts is of v23.0), or that the table lacks, with
 * where:
 * - 131062, on Meta's "Business-scoped user IDs" page ("Error code — 131062; Details — Business-scoped
 *   User ID (BSUID) recipients are not supported for this message."), which gives no title: its
 *   details stand for one;
 * - 132018, Meta's answer to a template parameter with a line break, a tab or more than 4
 *   consecutive spaces, as a production log quotes it (schemalabz/opencouncil#780: "(#132018)
 *   There's an issue with the parameters in your template, details: Param text cannot have
 *   new-line/tab characters or more than 4 consecutive spaces"; the same details in
 *   netflie/whatsapp-cloud-api#201), a code that support pages date from v23.0.
 */
const LATER: TableRow[] = [
	{
		code: 131062,
		title: 'Business-scoped User ID (BSUID) recipients are not supported for this message',
		meaning: 'Business-scoped User ID (BSUID) recipients are not supported for this message.',
		http_status_per_meta_table: 400,
	},
	{
		code: 132018,
		title: "There's an issue with the parameters in your template",
		meaning: 'Param text cannot have new-line/tab characters or more than 4 consecutive spaces',
		http_status_per_meta_table: 400,
	},
];

let table: Map<number, TableRow> | undefined;
function row(code: number): TableRow | undefined {
	if (!table) {
		const rows: TableRow[] = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'derived', 'error-codes.table.json'), 'utf8')).codes;
		table = new Map([...rows, ...LATER].filter((r) => typeof r.code === 'number').map((r) => [r.code as number, r]));
	}
	return table.get(code);
}

/** Meta's trace ids look like `Az8or2yhqkZfEZ-_4Qn_Bam`: 23 base64url characters. */
export function fbtraceId(): string {
	return `A${randomBytes(17).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').slice(0, 22)}`;
}

/**
 * The envelope of a WhatsApp error `code` (130429, 131047, 132001, 190, 100...), HTTP status from
 * Meta's table (400 where the table has none). `details` overrides the table's meaning.
 */
export function metaError(code: number, details?: string): SimResponse {
	if (code === 130429) {
		// Verbatim from Meta's error-codes page (meta-docs/graph-error-130429.error-codes-page.json).
		const documented = JSON.parse(
			fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs', 'graph-error-130429.error-codes-page.json'), 'utf8'),
		);
		return { status: 400, payload: { error: { ...documented.error, fbtrace_id: fbtraceId() } } };
	}
	if (code === 190) return accessTokenError('expired');
	const known = row(code);
	if (!known) throw new Error(`CloudApiSimulator: error code ${code} is not in Meta's error-code table`);
	// Where the table quotes Meta's wording (132001: 'Template name does not exist in the translation'), use it.
	const title = /message: '([^']+)'/.exec(known.meaning)?.[1] ?? known.title;
	const error: Any = {
		message: `(#${code}) ${title}`,
		type: 'OAuthException',
		code,
		error_data: { messaging_product: 'whatsapp', details: details ?? known.meaning },
		fbtrace_id: fbtraceId(),
	};
	return { status: known.http_status_per_meta_table ?? 400, payload: { error } };
}

/**
 * Meta's access-token errors: a token that is not the one of the addressed number/WABA ('invalid',
 * components.responses.Unauthorized.InvalidAccessToken), an expired session ('expired', subcode 463
 * per Meta's table) and no token at all ('missing', code 104 in Meta's spec).
 */
export function accessTokenError(kind: 'invalid' | 'expired' | 'missing'): SimResponse {
	const error: Any =
		kind === 'missing'
			? { message: 'An access token is required to request this resource.', type: 'OAuthException', code: 104 }
			: kind === 'invalid'
				? { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 }
				: { message: 'Error validating access token: Session has expired.', type: 'OAuthException', code: 190, error_subcode: 463 };
	return { status: 401, payload: { error: { ...error, fbtrace_id: fbtraceId() } } };
}

/**
 * Graph's refusals of a call's `appsecret_proof`, in Meta's words (GraphMethodException, code 100,
 * as Graph answers them; Meta's "Secure Graph API Calls"): one that is not the token's app secret's
 * HMAC, and none at all when the Meta app's "Require App Secret" is on.
 */
export function appSecretProofError(kind: 'invalid' | 'missing'): SimResponse {
	const message =
		kind === 'invalid'
			? 'Invalid appsecret_proof provided in the API argument'
			: 'API calls from the server require an appsecret_proof argument';
	return { status: 400, payload: { error: { message, type: 'GraphMethodException', code: 100, fbtrace_id: fbtraceId() } } };
}

/**
 * An error inside a `failed` status of a webhook, shaped as in
 * meta-docs/webhook-status-failed-131049.json (title and message alike, details, href).
 */
export function statusError(code: number): { code: number; title: string; message: string; error_data: { details: string }; href: string } {
	const known = row(code);
	if (!known) throw new Error(`CloudApiSimulator: error code ${code} is not in Meta's error-code table`);
	return {
		code,
		title: known.title,
		message: known.title,
		error_data: { details: known.meaning },
		href: '/documentation/business-messaging/whatsapp/support/error-codes',
	};
}

/** Graph's answer for an id that does not exist or does not have the requested edge. */
export function unsupportedRequest(method: string, id: string): SimResponse {
	const message = `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`;
	return {
		status: 400,
		payload: { error: { message, type: 'GraphMethodException', code: 100, error_subcode: 33, fbtrace_id: fbtraceId() } },
	};
}

/**
 * `GET /{media-id}?phone_number_id=…` for a media a contact sent: Meta processes the parameter only
 * for a media "uploaded on" that business number (Meta's "Retrieve media URL": "If included, the
 * request will only be processed if the business phone number ID included in the query matches the
 * ID of the business phone number that the media was uploaded on"), and answers a contact's media
 * with this error, as production logs quote it (chatwoot/chatwoot#13317, fixed by #13319 which
 * removed the parameter: "Param phone_number_id is not a valid whatsapp business phone number id ID").
 */
export function mediaNotUploadedOnNumber(): SimResponse {
	return {
		status: 400,
		payload: {
			error: {
				message: 'Param phone_number_id is not a valid whatsapp business phone number id ID',
				type: 'OAuthException',
				code: 100,
				fbtrace_id: fbtraceId(),
			},
		},
	};
}

/** A request the spec does not accept: Meta's generic 100 "Invalid parameter". */
export function invalidParameter(details: string): SimResponse {
	return {
		status: 400,
		payload: {
			error: {
				message: '(#100) Invalid parameter',
				type: 'OAuthException',
				code: 100,
				error_data: { messaging_product: 'whatsapp', details },
				fbtrace_id: fbtraceId(),
			},
		},
	};
}

/**
 * A server-side failure. JSON: Graph's transient error (spec example for 500: code 2,
 * GraphMethodException, is_transient). HTML: what a failing edge proxy answers instead of JSON.
 */
export function serverError(status: number, body: 'json' | 'html'): SimResponse {
	if (body === 'html') {
		return {
			status,
			payload: `<!DOCTYPE html>\n<html lang="en"><head><title>Error</title></head><body><h1>Sorry, something went wrong.</h1><p>We're working on getting this fixed as soon as we can.</p></body></html>\n`,
		};
	}
	return {
		status,
		payload: {
			error: {
				message: 'An unexpected error occurred. Please retry your request',
				type: 'GraphMethodException',
				code: 2,
				is_transient: true,
				fbtrace_id: fbtraceId(),
			},
		},
	};
}
