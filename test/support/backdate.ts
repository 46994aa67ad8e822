/** Records moved into the past, for the retention job's end-to-end tests. */
import { HarnessWorld, PersistenceRecord } from '../../tools/harness/world';

/**
 * Moves `records` to the day `daysAgo` days back (their day association), and has the retention job
 * start as if no clean-up had run: a record is never written on a day before the job's mark of how far
 * its clean-ups got (src/adapters/persistence/SweepMarks.ts), so a test that backdates one clears the
 * mark a run at the app's start may have left.
 */
export function backdate(world: HarnessWorld, records: PersistenceRecord[], daysAgo = 33): void {
	const old = new Date(Date.now() - daysAgo * 86400000).toISOString().slice(0, 10);
	for (const record of records)
		record.associations = record.associations.map((a) => (a.id.startsWith('sent-day:') ? { ...a, id: `sent-day:${old}` } : a));
	for (const mark of world.persistence.filter((r) => r.associations.some((a) => a.id === 'retention-swept'))) mark.data = {};
}
