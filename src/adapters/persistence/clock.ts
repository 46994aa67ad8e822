/**
 * The services' clock (core/app/ports.ts Clock): real time, `Date.now()`, read in the app's runtime.
 *
 * Test-only: the engine harness (tools/harness) moves time forward for the scheduler's jobs, but it
 * cannot move `Date.now()` inside the engine's Deno process. So that the app sees the same time as
 * the jobs it runs, the harness writes how far it has moved ahead (`{ offsetMs }`) in one record under
 * TEST_CLOCK_OFFSET, and this clock adds it. No code of the app writes that record: on a Rocket.Chat
 * server it does not exist and the clock is real time.
 *
 * The harness writes the record before the app starts (at offset 0). So a runtime that does not find
 * it at its first look is on a server (or a harness started with the real clock), and never reads
 * it again: on a Rocket.Chat server, the test-only record costs one read per runtime, not one per
 * handler run (the webhook's acknowledgement, each job run).
 */
import { IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Clock, systemClock } from '../../core/app/ports';

/** The association of the harness's record (test-only). */
export const TEST_CLOCK_OFFSET = 'test-clock-offset';

/** Whether this runtime found no harness record at its first look: real time from then on. */
let realTime = false;

/** The clock of one handler run (the test offset, if any, is read once). */
export async function clockOf(read: IRead): Promise<Clock> {
	if (realTime) return systemClock;
	const [record] = (await read
		.getPersistenceReader()
		.readByAssociation(new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, TEST_CLOCK_OFFSET))) as Array<{
		offsetMs?: unknown;
	}>;
	if (!record) {
		realTime = true;
		return systemClock;
	}
	const offset = Number(record.offsetMs);
	return Number.isFinite(offset) && offset > 0 ? { now: () => Date.now() + offset } : systemClock;
}
