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

/**
 * The i18n key for a send that got no answer from Meta, for an integrator (an API result, a status
 * callback's ErrorDetails) or for an agent: never started (nothing reached Meta, safe to send again),
 * timed out (Meta may have accepted it), or Meta out of reach.
 */
export function unansweredKey(error: unknown, audience: 'integrator' | 'agent'): string {
	const prefix = audience === 'integrator' ? 'api_' : '';
	if (error instanceof PacerDeadlineError) return `${prefix}error_send_not_started`;
	if (error instanceof NetworkError && error.timedOut) return `${prefix}error_send_timed_out`;
	return 'error_graph_unreachable';
}
