/**
 * The app's refusal log: one line a minute per cause at most, with a count (core/webhook/refusals.ts).
 * Module state: it lives as long as the app's runtime process, on the real clock.
 */
import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';

import { Refusals } from '../core/app/statuses';
import { RefusalLevel, RefusalLog, refusalLine } from '../core/webhook/refusals';

const refusals = new RefusalLog();

/**
 * Logs `text` (a warning) unless a line for `cause` was logged within the last minute; and the
 * lines of other causes whose refusals since their last line are not reported yet (`flushRefusals`).
 */
export function logRefusal(logger: Logger | undefined, cause: string, text: string, level: RefusalLevel = 'warn'): void {
	const now = Date.now();
	const count = refusals.note(cause, now, text, level);
	if (count !== undefined) logger?.[level](refusalLine(text, count));
	flushRefusals(logger, now);
}

/**
 * Logs the refusals counted and not yet reported whose minute has passed, each at its own level
 * (the recurring delivery job asks every 30 s). Counted in this runtime: on a cluster, each
 * instance's are told by its own refusals, or by the recurring job when it runs there.
 */
export function flushRefusals(logger: Logger | undefined, now = Date.now()): void {
	for (const { text, count, level } of refusals.overdue(now)) logger?.[level](refusalLine(text, count));
}

type Logger = Pick<ILogger, 'warn' | 'error'>;

/** The refusal log as the services see it (core/app/statuses.ts Refusals), writing to `logger`. */
export function refusalsOf(logger: Logger | undefined): Refusals {
	return { refuse: (cause, text) => logRefusal(logger, cause, text) };
}
