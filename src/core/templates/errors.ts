/**
 * Errors of the template model, and the Cloud API error codes of a failed template send explained
 * for people (i18n keys) with what the app should do next. Codes and retry classification follow
 * Meta's error table (shared/contracts/derived/error-codes.table.json); 102, which that table lacks,
 * follows Meta's general Graph API error codes (core/errors.ts `isRefusedToken`).
 */
import { AppError, GraphApiError, isRefusedToken, refusesAppSecret } from '../errors';
import { FieldError } from './template';

/** The template (or the language asked for) is not among the approved ones. */
export class TemplateError extends AppError {
	constructor(code: 'template_language_missing' | 'template_not_found', params: Record<string, string>) {
		super({ code, message: `${code}: ${Object.values(params).join(' ')}`, status: 404, i18nKey: 'graph_error_132001', params });
	}
}

/**
 * The cached list lacks the template, and fetching the list from Meta again to look for it failed
 * (Meta out of reach, Meta refused the list, or the cache could not be read or written), now or in
 * the last MISS_REFETCH_MS (catalog.ts), within which the list is not fetched again: whether Meta
 * approved the template is not known, so it is not refused as unapproved. Carries the
 * template's name and language, and Meta's error code when Meta refused the list (`graphCode`):
 * nothing else of the failure (a token, Meta's words) goes with it. When Meta no longer accepts the
 * number's token (190 or 102, `isRefusedToken`) or its app secret (`appSecretRefused`: its proof
 * refused), trying again in a minute does not help: the words say an admin must mend the number. Reconnecting or editing the number clears the WABA's mark of the
 * failed fetch (NumberService.connect), so the next miss fetches the list again at once, with the
 * new token, rather than waiting out the minute.
 */
export class TemplateListUnavailable extends AppError {
	constructor(
		params: { name: string; language: string },
		readonly graphCode?: number,
		appSecretRefused = false,
	) {
		super({
			code: 'template_list_unavailable',
			message: `template list not fetched again for ${params.name} (${params.language})${graphCode ? ` (Meta error ${graphCode})` : ''}`,
			status: 503,
			i18nKey: isRefusedToken(graphCode)
				? 'api_error_template_list_token'
				: appSecretRefused
					? 'api_error_template_list_app_secret'
					: 'api_error_template_list_unavailable',
			params,
		});
	}
}

/**
 * The WABA's template list was still loading (fetched from Meta, then stored) when the caller
 * stopped waiting (the modal waits a few seconds only: Rocket.Chat's client takes its answer within
 * 5 s), and no list was stored before. The load goes on and stores its list.
 */
export class TemplateListSlow extends AppError {
	constructor() {
		super({ code: 'template_list_slow', message: 'the template list is still loading', status: 503, i18nKey: 'send_list_slow' });
	}
}

/** Values that Meta would refuse; `fields` has an error per input id. */
export class TemplateValuesError extends AppError {
	readonly fields: Record<string, FieldError>;

	constructor(fields: Record<string, FieldError>) {
		super({
			code: 'template_values_invalid',
			message: `invalid template values: ${Object.keys(fields).join(', ')}`,
			status: 400,
			i18nKey: 'template_error_values',
		});
		this.fields = fields;
	}
}

export interface SendErrorExplanation {
	/** i18n key; every key takes a `code` parameter. */
	key: string;
	/** Sending the same message again later may succeed (rate limits, temporary outages). */
	retryable: boolean;
	/** The template (in that language) cannot be sent any more: drop it from the catalog. */
	removesTemplate: boolean;
	/**
	 * Meta's template differs from the catalog's (edited at Meta since the list was read): the next
	 * look at the list fetches it from Meta.
	 */
	staleTemplate: boolean;
}

const explain = (key: string, retryable = false, removesTemplate = false, staleTemplate = false): SendErrorExplanation => ({
	key,
	retryable,
	removesTemplate,
	staleTemplate,
});

const EXPLANATIONS: Record<number, SendErrorExplanation> = {
	// Outside the 24-hour customer service window only a template can be sent.
	131047: explain('graph_error_131047'),
	// The parameters' count (132000) or format (132012, a header's media type) is not the
	// template's: sent as the catalog's copy, the template was edited at Meta since.
	132000: explain('graph_error_132000', false, false, true),
	132012: explain('graph_error_132012', false, false, true),
	// "Param text cannot have new-line/tab characters or more than 4 consecutive spaces" (rules.ts
	// FORBIDDEN_WHITESPACE): the value's fault, not the template's.
	132018: explain('graph_error_132018'),
	// "Template name does not exist in the translation": gone, or not approved, in that language.
	132001: explain('graph_error_132001', false, true),
	132015: explain('graph_error_132015', false, true),
	132016: explain('graph_error_132016', false, true),
	131026: explain('graph_error_131026'),
	// "Business-scoped User ID (BSUID) recipients are not supported for this message" (Meta's
	// "Business-scoped user IDs": one-tap, zero-tap and copy-code authentication templates "require
	// user phone numbers").
	131062: explain('graph_error_131062'),
	130429: explain('graph_error_130429', true),
	131056: explain('graph_error_131056', true),
	// Meta no longer accepts the token (`isRefusedToken`: 190 expired or invalidated, 102 API Session
	// expired, revoked or invalid): an admin must reconnect the number. (Not code 0, AuthException:
	// callers pass 0 for "no code known".)
	190: explain('graph_error_190'),
	102: explain('graph_error_190'),
	// "Phone number Not Registered": the number was never registered with the Cloud API (README,
	// Setting up the Meta side); only an admin's registration helps.
	133010: explain('graph_error_133010'),
	// Temporary on Meta's side: API Service, API Too Many Calls, WABA rate limit, unknown, unavailable,
	// account in maintenance mode (a throughput upgrade, about a minute), server temporarily unavailable.
	2: explain('graph_error_temporary', true),
	4: explain('graph_error_temporary', true),
	80007: explain('graph_error_temporary', true),
	131000: explain('graph_error_temporary', true),
	131016: explain('graph_error_temporary', true),
	131057: explain('graph_error_temporary', true),
	133004: explain('graph_error_temporary', true),
	// What an agent meets besides (shared/contracts/derived/error-codes.table.json): a media Meta could
	// not take (an OGG that is not Opus, a video that is not H.264/AAC), the spam rate limit, the
	// account locked, its payment, a policy block, the number itself as recipient, and a marketing
	// message Meta did not deliver (the per-user limit; the contact's opt-out).
	131053: explain('graph_error_131053'),
	131048: explain('graph_error_131048'),
	131031: explain('graph_error_131031'),
	131042: explain('graph_error_131042'),
	368: explain('graph_error_368'),
	131021: explain('graph_error_131021'),
	131049: explain('graph_error_131049'),
	131050: explain('graph_error_131050'),
};

/**
 * What a Cloud API error code means for the person sending, and for the app. `metaWords`: Meta's
 * words with it, for error 100 when it names the `appsecret_proof` (`refusesAppSecret`): the number's
 * app secret is not that of its token's Meta app, which only an admin's edit of the number mends.
 */
export function explainSendError(code: number, metaWords?: string): SendErrorExplanation {
	if (refusesAppSecret(code, metaWords)) return explain('graph_error_app_secret');
	return { ...(EXPLANATIONS[code] ?? explain('graph_error_other')) };
}

/** `explainSendError` of Meta's refusal. */
export const explainGraphError = (error: GraphApiError): SendErrorExplanation => explainSendError(error.graphCode, error.graphMessage);
