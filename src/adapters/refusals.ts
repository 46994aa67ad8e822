/**
 * The app's refusal log: one line a minute per cause at most, with a count (core/webhook/refusals.ts).
 * Module state: it lives as long as the app's runtime process, on the real clock.
 */
import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';

import { Refusals } from '../core/app/statuses';
import { RefusalLog, refusalLine } from '../core/webhook/refusals';

const refusals = new RefusalLog();

/**
 * Logs `text` (a warning) unless a line for `cause` was logged within the last minute; and the
 * lines of other causes whose refusals since their last line are not reported yet (`flushRefusals`).
 */
export function logRefusal(logger: Pick<ILogger, 'warn'> | undefined, cause: string, text: string): void {
	const now = Date.now();
	const count = refusals.note(cause, now, text);
	if (count !== undefined) logger?.warn(refusalLine(text, count));
	flushRefusals(logger, now);
}

/** Logs the refusals counted and not yet reported whose minute has passed (the recurring delivery job asks every 30 s). */
export function flushRefusals(logger: Pick<ILogger, 'warn'> | undefined, now = Date.now()): void {
	for (const { text, count } of refusals.overdue(now)) logger?.warn(refusalLine(text, count));
}

/** The refusal log as the services see it (core/app/statuses.ts Refusals), writing to `logger`. */
export function refusalsOf(logger: Pick<ILogger, 'warn'> | undefined): Refusals {
	return { refuse: (cause, text) => logRefusal(logger, cause, text) };
}
