/** Errors of the status core: programming and storage errors only (a webhook never makes the core throw). Shown to people as `error_internal`. */
import { AppError } from '../errors';

export type StatusErrorCode = 'outbox_unknown_item' | 'outbox_invalid_options';

export class StatusPipelineError extends AppError {
	declare readonly code: StatusErrorCode;

	constructor(code: StatusErrorCode, message: string) {
		super({ code, message, status: 500, i18nKey: 'error_internal' });
	}
}
