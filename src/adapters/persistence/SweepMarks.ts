/**
 * How far the retention job's clean-ups got: for each kind of day bucket (`days`, the message records
 * and failed status events; `keys`, templateMessage's idempotency keys), the newest day up to which
 * every day was removed. The next clean-up starts after it (core/status/retention.ts `daysToSweep`).
 * One small record in Rocket.Chat's persistence.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { dayIn as day } from '../../core/status/retention';
import { Records } from './records';

export interface SweptThrough {
	days?: string;
	keys?: string;
}

const MARKS = [new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'retention-swept')];

export class SweepMarks {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	/** The marks stored (a value that is not a day is taken as none). */
	async get(): Promise<SweptThrough> {
		const [stored] = (await this.read.readByAssociations(MARKS)) as Array<Record<string, unknown>>;
		const days = day(stored?.days);
		const keys = day(stored?.keys);
		return { ...(days ? { days } : {}), ...(keys ? { keys } : {}) };
	}

	/**
	 * Moves the marks on to `swept`'s days; a mark never moves back, unless it is past `saneUpTo` (the
	 * newest day a clean-up can reach now: a mark past it was written on a clock that ran ahead).
	 */
	async advance(swept: SweptThrough, saneUpTo: string): Promise<void> {
		const stored = await this.get();
		const sane = (day?: string) => (day && day <= saneUpTo ? day : undefined);
		const current = { days: sane(stored.days), keys: sane(stored.keys) };
		const later = (a?: string, b?: string) => (a && b ? (a > b ? a : b) : (a ?? b));
		const next = { days: later(current.days, swept.days), keys: later(current.keys, swept.keys) };
		if (next.days === stored.days && next.keys === stored.keys) return;
		await this.records.put(MARKS, { ...(next.days ? { days: next.days } : {}), ...(next.keys ? { keys: next.keys } : {}) });
	}
}
