/**
 * The one place where an error becomes words for people: an HTTP answer's status and message, a
 * modal field's error, a notice in a room. Texts come from i18n; no token, secret or stack trace.
 */
import { PacerDeadlineError } from '../bulk/pacer';
import { AppError, GraphApiError, isAppSecretRefusal, mayHaveBeenSent, NetworkError, SendNotRecorded } from '../errors';
import { Translator } from '../i18n/translate';
import { explainGraphError } from '../templates/errors';

export interface Explained {
	/** The HTTP status an endpoint answers with. */
	status: number;
	/** The error's code (Meta's code for a Graph error, else the app's). */
	code: string | number;
	/** What to tell people, in their language. */
	text: string;
}

export function explainError(error: unknown, t: Translator): Explained {
	if (error instanceof GraphApiError)
		return { status: 502, code: error.graphCode, text: t(explainGraphError(error).key, { code: error.graphCode }) };
	if (error instanceof AppError) return { status: error.status, code: error.code, text: t(error.i18nKey, error.params) };
	return { status: 500, code: 'internal', text: t('error_internal') };
}

/** Meta's error code of a failed send, else undefined (no answer from Meta, or not a send). */
export const graphCodeOf = (error: unknown): number | undefined => (error instanceof GraphApiError ? error.graphCode : undefined);

/**
 * Meta's refusals of a send that every other send of the same template from the same number would
 * get too (Meta's error codes page, ../shared/contracts/derived/error-codes.table.json): the access
 * token or its permissions (0, 3, 10, 190, 200-299), the account or number (33, 368, 131005, 131031,
 * 131042, 131045, 133010), the template (132000, 132001, 132012, 132015, 132016) or its flow (132068),
 * and the app secret (100 naming the `appsecret_proof`: `isAppSecretRefusal`). Not those that depend on the recipient (131026, 131047, 131049, 131050...), nor a parameter that may
 * (100, 131009), nor the retryable ones.
 */
const REFUSE_EVERY_RECIPIENT = new Set([
	0, 3, 10, 190, 33, 368, 131005, 131031, 131042, 131045, 133010, 132000, 132001, 132012, 132015, 132016, 132068,
]);

/**
 * Whether the error is one of Meta's refusals that every recipient of the send would get
 * (`REFUSE_EVERY_RECIPIENT`), in Meta's own error body: an answer that was not Meta's (a proxy's
 * page, code 0 with type `HttpError`) is not one.
 */
export function refusesEveryRecipient(error: unknown): boolean {
	if (!(error instanceof GraphApiError) || error.type === 'HttpError') return false;
	const code = error.graphCode;
	return REFUSE_EVERY_RECIPIENT.has(code) || (code >= 200 && code <= 299) || isAppSecretRefusal(error);
}

/**
 * The sends of one template to many recipients from one number (a request, a campaign run) stop at
 * the first refusal that every recipient would get (`refusesEveryRecipient`): the sends not yet
 * started fail with the same error, without a call to Meta, rather than each asking for the same
 * refusal (and spending the number's rate). `guard` wraps each send's Graph call.
 */
export class EveryRecipientRefusal {
	private refusal?: unknown;

	/** Until the first such refusal: ask before a send starts (the pacer's `shouldStart`). */
	readonly mayStart = (): boolean => this.refusal === undefined;

	/**
	 * Runs `call` (a send's Graph call, given whether it may start when its turn comes), unless a
	 * refusal came first: then throws it. `alsoStart`: the caller's own reason to start (a campaign
	 * run not halted); a send it stops keeps its PacerDeadlineError (not sent, not refused).
	 */
	async guard<R>(call: (shouldStart: () => boolean) => Promise<R>, alsoStart: () => boolean = () => true): Promise<R> {
		if (this.refusal !== undefined) throw this.refusal;
		try {
			return await call(() => alsoStart() && this.mayStart());
		} catch (error) {
			// Its turn came after the refusal: it fails with it, never started.
			if (error instanceof PacerDeadlineError && this.refusal !== undefined && alsoStart()) throw this.refusal;
			if (refusesEveryRecipient(error)) this.refusal ??= error;
			throw error;
		}
	}
}

/**
 * Why a send got no answer from Meta, for machines (a templateMessage result's `error.reason`, whose
 * `code` is 0 then): `not_started` (it never started, its send window closed or its record not
 * written: nothing reached WhatsApp, safe to send again),
 * `timeout` (no answer in time: WhatsApp may have accepted it), `unknown` (the connection lost once
 * made, or an answer that was not Meta's, a proxy's 502 or 504 page: WhatsApp may have accepted it)
 * or `unreachable` (WhatsApp could not be reached: the connection failed before it was made, nothing
 * was sent). The cases of `unansweredKey`'s words, in the same order, but for the app's own reasons
 * nothing was sent (its record not written: `not_started`; a refused base URL: `unreachable`), each in words of its own.
 */
export type UnansweredReason = 'not_started' | 'timeout' | 'unknown' | 'unreachable';

export function unansweredReason(error: unknown): UnansweredReason {
	if (error instanceof PacerDeadlineError || error instanceof SendNotRecorded) return 'not_started';
	if (error instanceof NetworkError && error.timedOut) return 'timeout';
	if (mayHaveBeenSent(error)) return 'unknown';
	return 'unreachable';
}

/** At most this many characters of Meta's explanation are passed on (Meta's are a sentence or two). */
const META_DETAILS_MAX = 1000;

/**
 * Meta's own explanation of a refused request, for an integrator: `error_data.details` (Meta's
 * "Error response syntax", shared/contracts/meta-docs/graph-error.syntax.json, e.g. "Parameter of
 * type text is missing text value" for a 131008), else `error_user_msg`, else Meta's `message`
 * (its title, "(#131008) Required parameter is missing"), else `error_user_title`. Never a token:
 * the Graph client builds every GraphApiError from Meta's answer with the number's access token
 * already cut out (GraphClient `redact`, "[redacted]" in its place). Undefined when Meta said
 * nothing (an answer that was not Meta's envelope, an HTML 503, has only the app's own words).
 */
export function metaDetails(error: GraphApiError): string | undefined {
	const data = error.errorData;
	const details = data && typeof data === 'object' ? (data as { details?: unknown }).details : undefined;
	const envelope = error.type !== 'HttpError';
	const words = [details, error.userMessage, envelope ? error.graphMessage : undefined, error.title].find(
		(v): v is string => typeof v === 'string' && v.trim() !== '',
	);
	return words === undefined ? undefined : words.trim().slice(0, META_DETAILS_MAX);
}

/**
 * The words of a send whose connection was lost once made, or answered by a server's error page
 * that was not Meta's, by who reads them (`unansweredKey`): a status callback's does not point to
 * the status events it is one of.
 */
const UNKNOWN = {
	integrator: 'api_error_send_unknown',
	agent: 'error_send_unknown',
	callback: 'callback_error_send_unknown',
} as const;

/** The words of a send that never started, by who reads them (`unansweredKey`). */
const NOT_STARTED = {
	integrator: 'api_error_send_not_started',
	agent: 'error_send_not_started',
	callback: 'callback_error_send_not_started',
} as const;

/**
 * The i18n key for a send that got no answer from Meta: never started (nothing reached Meta, safe to
 * send again), timed out, its connection lost once made, or answered by a server on the way with an
 * error page (Meta may have accepted it in each case: `mayHaveBeenSent`), or Meta out of reach. Worded for an integrator
 * (an API result, the status callback of a templateMessage request's send), for an agent, or for the
 * status callback of any other send (`callback`: the modal, agents' replies, the outbound provider,
 * automatic messages), whose "never started" tells of a busy number, not of a request that ran out
 * of time. (A campaign's send that never started is not reported: a later run sends it.)
 */
export function unansweredKey(error: unknown, audience: 'integrator' | 'agent' | 'callback'): string {
	if (error instanceof PacerDeadlineError) return NOT_STARTED[audience];
	if (error instanceof NetworkError && error.timedOut) return audience === 'agent' ? 'error_send_timed_out' : 'api_error_send_timed_out';
	if (mayHaveBeenSent(error)) return UNKNOWN[audience];
	// The app's own reason nothing was sent (a refused Graph API base URL, a send it could not record first).
	if (error instanceof AppError && !(error instanceof NetworkError) && !(error instanceof GraphApiError)) return error.i18nKey;
	// Out of reach: its own words (a certificate refused says so).
	return error instanceof NetworkError ? error.i18nKey : 'error_graph_unreachable';
}
