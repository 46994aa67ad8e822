/**
 * The one place where an error becomes words for people: an HTTP answer's status and message, a
 * modal field's error, a notice in a room. Texts come from i18n; no token, secret or stack trace.
 */
import { AppError, GraphApiError } from '../errors';
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
