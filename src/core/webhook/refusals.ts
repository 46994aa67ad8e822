/**
 * Refusals logged at most once per interval (a minute) per cause, with how many were refused since
 * the cause's last line: a flood of bad requests costs one log line a minute, not one each.
 * Plain TypeScript: the caller gives the time. Causes are a fixed set named by the app, never
 * taken from a request, so the map stays small.
 */
export const REFUSAL_LOG_INTERVAL_MS = 60000;

export class RefusalLog {
	private readonly causes = new Map<string, { loggedAt: number; since: number }>();

	constructor(private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS) {}

	/**
	 * Counts one refusal. Returns how many refusals of this cause the line reports (this one
	 * included) when a line is due now, else undefined (counted for the next line).
	 */
	note(cause: string, now: number): number | undefined {
		const state = this.causes.get(cause);
		if (state && now - state.loggedAt < this.intervalMs && now >= state.loggedAt) {
			state.since++;
			return undefined;
		}
		const count = (state?.since ?? 0) + 1;
		this.causes.set(cause, { loggedAt: now, since: 0 });
		return count;
	}
}

/** The line itself: the text alone for a single refusal, with the count for more. */
export function refusalLine(text: string, count: number): string {
	return count > 1 ? `${text} (${count} refused for this reason since the last such line)` : text;
}
