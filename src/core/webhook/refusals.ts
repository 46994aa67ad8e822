/**
 * Refusals logged at most once per interval (a minute) per cause, with how many were refused since
 * the cause's last line: a flood of bad requests costs one log line a minute, not one each.
 * Plain TypeScript: the caller gives the time. Causes are a fixed set named by the app, never
 * taken from a request, so the map stays small.
 */
export const REFUSAL_LOG_INTERVAL_MS = 60000;

/** The level of a refusal's log line. */
export type RefusalLevel = 'warn' | 'error';

export class RefusalLog {
	private readonly causes = new Map<string, { loggedAt: number; since: number; text?: string; level?: RefusalLevel }>();

	constructor(private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS) {}

	/**
	 * Counts one refusal. Returns how many refusals of this cause the line reports (this one
	 * included) when a line is due now, else undefined (counted for the next line, which `overdue`
	 * gives with `text` when no other refusal of the cause comes).
	 */
	note(cause: string, now: number, text?: string, level: RefusalLevel = 'warn'): number | undefined {
		const state = this.causes.get(cause);
		if (state && now - state.loggedAt < this.intervalMs && now >= state.loggedAt) {
			state.since++;
			state.text = text;
			state.level = level;
			return undefined;
		}
		const count = (state?.since ?? 0) + 1;
		this.causes.set(cause, { loggedAt: now, since: 0 });
		return count;
	}

	/**
	 * The lines due at `now` for refusals counted and not reported (a burst's last minute): the last
	 * one's text and how many there were, for each cause whose interval has passed. Counted as logged now.
	 */
	overdue(now: number): Array<{ text: string; count: number; level: RefusalLevel }> {
		const lines: Array<{ text: string; count: number; level: RefusalLevel }> = [];
		for (const state of this.causes.values())
			if (state.since > 0 && state.text !== undefined && (now - state.loggedAt >= this.intervalMs || now < state.loggedAt)) {
				lines.push({ text: state.text, count: state.since, level: state.level ?? 'warn' });
				Object.assign(state, { loggedAt: now, since: 0, text: undefined });
			}
		return lines;
	}
}

/** The line itself: the text alone for a single refusal, with the count for more. */
export function refusalLine(text: string, count: number): string {
	return count > 1 ? `${text} (${count} refused for this reason since the last such line)` : text;
}
