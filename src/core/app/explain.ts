/**
 * The one place where an error becomes words for people: an HTTP answer's status and message, a
 * modal field's error, a notice in a room. Texts come from i18n; no token, secret or stack trace.
 */
import { PacerDeadlineError } from '../bulk/pacer';
import { AppError, GraphApiError, NetworkError } from '../errors';
import { Translator } from '../i18n/translate';
import { explainSendError } from '../templates/errors';

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
		return { status: 502, code: error.graphCode, text: t(explainSendError(error.graphCode).key, { code: error.graphCode }) };
	if (error instanceof AppError) return { status: error.status, code: error.code, text: t(error.i18nKey, error.params) };
	return { status: 500, code: 'internal', text: t('error_internal') };
}

/** Meta's error code of a failed send, else undefined (no answer from Meta, or not a send). */
export const graphCodeOf = (error: unknown): number | undefined => (error instanceof GraphApiError ? error.graphCode : undefined);

/** The words of a send that never started, by who reads them (`unansweredKey`). */
const NOT_STARTED = {
	integrator: 'api_error_send_not_started',
	agent: 'error_send_not_started',
	callback: 'callback_error_send_not_started',
} as const;

/**
 * The i18n key for a send that got no answer from Meta: never started (nothing reached Meta, safe to
 * send again), timed out (Meta may have accepted it), or Meta out of reach. Worded for an integrator
 * (an API result, the status callback of a templateMessage request's send), for an agent, or for the
 * status callback of any other send (`callback`: the modal, agents' replies, the outbound provider,
 * automatic messages), whose "never started" tells of a busy number, not of a request that ran out
 * of time. (A campaign's send that never started is not reported: a later run sends it.)
 */
export function unansweredKey(error: unknown, audience: 'integrator' | 'agent' | 'callback'): string {
	if (error instanceof PacerDeadlineError) return NOT_STARTED[audience];
	if (error instanceof NetworkError && error.timedOut) return audience === 'agent' ? 'error_send_timed_out' : 'api_error_send_timed_out';
	return 'error_graph_unreachable';
}
