/**
 * Statuses never regress. queued < sent < delivered < read < played; `failed` and `deleted` end
 * the message (nothing is forwarded after them). A status at or below the highest seen is dropped:
 * a late `delivered` after `read`, or a duplicate. Skipped steps are not invented (`read` may come
 * without `delivered`).
 */
import { ForwardedStatus } from './payload';

const RANK: Record<ForwardedStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, played: 4, failed: 5, deleted: 5 };
const FINAL: ForwardedStatus[] = ['failed', 'deleted'];

export type Decision = 'forward' | 'drop-duplicate' | 'drop-regression';

export function decide(seen: ForwardedStatus[], incoming: ForwardedStatus): Decision {
	if (seen.includes(incoming)) return 'drop-duplicate';
	if (seen.some((s) => FINAL.includes(s))) return 'drop-regression';
	const highest = seen.reduce((max, s) => Math.max(max, RANK[s]), -1);
	return RANK[incoming] > highest ? 'forward' : 'drop-regression';
}
