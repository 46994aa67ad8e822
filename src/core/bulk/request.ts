/**
 * The body of `POST /api/apps/public/{appId}/templateMessage`, Rocket.Chat's published contract
 * (shared/contracts/rocketchat) plus this app's extensions: `clientReference`, `idempotencyKey`,
 * `dryRun`, and `async` (campaign mode: up to 10,000 numbers, sent from a persisted queue; see
 * core/bulk/campaign.ts). Parsing never throws: a bad body yields the i18n key of an error naming the field.
 */

import { Params, phrase } from '../i18n/translate';

/** Node's crypto, which the app's runtime provides (a node built-in the runtime allows). */
const crypto = require('crypto') as typeof import('crypto');

export const MAX_RECIPIENTS = 250;
/** Campaign mode (`async: true`): beyond Rocket.Chat's published contract, documented in docs/templateMessage.openapi.yaml. */
export const MAX_CAMPAIGN_RECIPIENTS = 10000;
const MAX_TEXT = 512;
const MAX_COMPONENTS = 20;
/** `connectedWhatsAppNo`: a phone number id or a number, far shorter. */
const MAX_NUMBER = 64;
/**
 * Each of `phoneNumbers`: a number, or a business-scoped user id (core/phone.ts: a country code, `.`,
 * `ENT.` for a parent one, and up to 128 alphanumerics: 135 characters at most).
 */
const MAX_RECIPIENT = 140;
/** Meta's template names: lower-case letters, digits and underscores. */
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
/** Meta's template language codes: "en", "en_US", "pt_BR", "zh_HK"... */
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$/;

export interface TemplateRef {
	name: string;
	language: { code: string; policy?: string };
	components?: Array<Record<string, unknown>>;
	namespace?: string;
}

export interface TemplateMessageRequest {
	phoneNumbers: string[];
	connectedWhatsAppNo: string;
	template: TemplateRef;
	targetAgent?: string;
	targetDepartment?: string;
	clientReference?: string;
	idempotencyKey?: string;
	dryRun: boolean;
	/** Campaign mode: answer 202 at once and send from a persisted queue. */
	async: boolean;
}

export type ParseResult = { ok: true; request: TemplateMessageRequest } | { ok: false; key: string; params?: Params };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (key: string, params?: Params): ParseResult => ({ ok: false, key, params });
/** A value over a size limit is refused naming the limit, not as a value of the wrong type. */
const tooLong = (field: string, max: number, given: number) => fail('api_error_field_too_long', { field, max, given });

/**
 * An optional text field; `blankIsAbsent`: "" (what many clients send for a field they do not use)
 * means absent. False when it is not a text; `tooLong` its length when it is over MAX_TEXT.
 */
function optionalText(
	body: Record<string, unknown>,
	field: string,
	blankIsAbsent: boolean,
): string | undefined | false | { tooLong: number } {
	const value = body[field];
	if (value === undefined || value === null) return undefined;
	if (blankIsAbsent && typeof value === 'string' && !value.trim()) return undefined;
	if (typeof value !== 'string' || !value.trim()) return false;
	if (value.length > MAX_TEXT) return { tooLong: value.length };
	return value.trim();
}

export function parseTemplateMessageRequest(body: unknown): ParseResult {
	if (!isObject(body)) return fail('api_error_body_not_object');
	if (body.connectedWhatsAppNo === undefined || body.connectedWhatsAppNo === null || body.connectedWhatsAppNo === '')
		return fail('api_error_missing_connected_number');
	if (typeof body.connectedWhatsAppNo !== 'string')
		return fail('api_error_field_type', { field: 'connectedWhatsAppNo', type: phrase('expected_string') });
	if (body.connectedWhatsAppNo.length > MAX_NUMBER) return tooLong('connectedWhatsAppNo', MAX_NUMBER, body.connectedWhatsAppNo.length);

	const phones = body.phoneNumbers;
	if (!Array.isArray(phones)) return fail('api_error_field_type', { field: 'phoneNumbers', type: phrase('expected_strings') });
	if (phones.length === 0) return fail('api_error_no_phone_numbers');
	if (body.async !== undefined && typeof body.async !== 'boolean')
		return fail('api_error_field_type', { field: 'async', type: phrase('expected_boolean') });
	if (body.async === true && phones.length > MAX_CAMPAIGN_RECIPIENTS) return fail('api_error_too_many_phone_numbers_campaign');
	if (body.async !== true && phones.length > MAX_RECIPIENTS) return fail('api_error_too_many_phone_numbers');
	if (phones.some((p) => typeof p !== 'string'))
		return fail('api_error_field_type', { field: 'phoneNumbers', type: phrase('expected_strings') });
	const long = (phones as string[]).findIndex((p) => p.length > MAX_RECIPIENT);
	if (long >= 0) return tooLong(`phoneNumbers[${long}]`, MAX_RECIPIENT, (phones[long] as string).length);

	const template = body.template;
	if (!isObject(template)) return fail('api_error_field_type', { field: 'template', type: phrase('expected_object') });
	if (typeof template.name !== 'string' || !template.name.trim())
		return fail('api_error_field_type', { field: 'template.name', type: phrase('expected_text') });
	if (template.name.length > MAX_TEXT) return tooLong('template.name', MAX_TEXT, template.name.length);
	if (!TEMPLATE_NAME.test(template.name.trim()))
		return fail('api_error_field_type', {
			field: 'template.name',
			type: phrase('expected_template_name'),
		});
	const language = template.language;
	if (!isObject(language) || typeof language.code !== 'string' || !LANGUAGE_CODE.test(language.code.trim())) {
		return fail('api_error_field_type', { field: 'template.language.code', type: phrase('expected_language_code') });
	}
	if (language.policy !== undefined && language.policy !== 'deterministic')
		return fail('api_error_field_type', { field: 'template.language.policy', type: '"deterministic"' });
	if (template.components !== undefined) {
		if (!Array.isArray(template.components) || !template.components.every(isObject))
			return fail('api_error_field_type', { field: 'template.components', type: phrase('expected_objects') });
		if (template.components.length > MAX_COMPONENTS)
			return fail('api_error_field_too_many', {
				field: 'template.components',
				max: MAX_COMPONENTS,
				given: template.components.length,
			});
	}
	if (template.namespace !== undefined && typeof template.namespace !== 'string')
		return fail('api_error_field_type', { field: 'template.namespace', type: phrase('expected_string') });

	const texts: Record<string, string | undefined> = {};
	// A blank idempotencyKey stays an error: a caller who names a key expects its protection.
	for (const field of ['targetAgent', 'targetDepartment', 'clientReference', 'idempotencyKey']) {
		const value = optionalText(body, field, field !== 'idempotencyKey');
		if (value === false) return fail('api_error_field_type', { field, type: phrase('expected_text_max', { max: MAX_TEXT }) });
		if (typeof value === 'object') return tooLong(field, MAX_TEXT, value.tooLong);
		texts[field] = value;
	}
	if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean')
		return fail('api_error_field_type', { field: 'dryRun', type: phrase('expected_boolean') });

	return {
		ok: true,
		request: {
			phoneNumbers: phones as string[],
			connectedWhatsAppNo: body.connectedWhatsAppNo.trim(),
			template: {
				name: template.name.trim(),
				language: { code: language.code.trim(), ...(language.policy ? { policy: language.policy as string } : {}) },
				...(template.components ? { components: template.components as Array<Record<string, unknown>> } : {}),
				...(template.namespace ? { namespace: template.namespace as string } : {}),
			},
			targetAgent: texts.targetAgent,
			targetDepartment: texts.targetDepartment,
			clientReference: texts.clientReference,
			idempotencyKey: texts.idempotencyKey,
			dryRun: body.dryRun === true,
			async: body.async === true,
		},
	};
}

/** A value with every object's keys in sorted order, each object built once (`fromEntries` keeps a `__proto__` key an own one). */
function canonical(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(canonical);
	if (isObject(value))
		return Object.fromEntries(
			Object.keys(value)
				.sort()
				.map((k) => [k, canonical(value[k])]),
		);
	return value;
}

/**
 * A request's JSON with sorted keys, without the key: what its fingerprint is taken of. Its value for
 * a given body must never change (test/unit/core/bulk/request.test.ts pins one): the versions before
 * stored it as the fingerprint itself (`sameFingerprint`).
 */
export function canonicalRequest(request: TemplateMessageRequest): string {
	return JSON.stringify(canonical({ ...request, idempotencyKey: undefined }));
}

const FINGERPRINT_PREFIX = 'sha256:';
const sha256 = (text: string) => `${FINGERPRINT_PREFIX}${crypto.createHash('sha256').update(text, 'utf8').digest('hex')}`;

/**
 * A stable fingerprint of a request for idempotent replays (same key + same body = same request):
 * the SHA-256 of its canonical JSON. Stored with the key's entry for 24 hours: a hash, so the entry
 * keeps no copy of the body (its parameters, an authentication template's one-time code).
 */
export function requestFingerprint(request: TemplateMessageRequest): string {
	return sha256(canonicalRequest(request));
}

/**
 * Whether a stored entry's fingerprint is the request's (`requestFingerprint`). An entry stored by
 * the versions before holds the canonical JSON itself: its hash is compared.
 */
export function sameFingerprint(stored: string, fingerprint: string): boolean {
	return (stored.startsWith(FINGERPRINT_PREFIX) ? stored : sha256(stored)) === fingerprint;
}
