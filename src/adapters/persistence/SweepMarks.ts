/**
 * How far the retention job's clean-ups got: for each kind of day bucket (`days`, the message records
 * and failed status events; `keys`, templateMessage's idempotency keys; `drafts`, the send-template
 * modals' drafts never closed, by the day they opened), the newest day up to which
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
	drafts?: string;
}

/** The kinds of day buckets, each with its own mark. */
const SWEPT_KINDS = ['days', 'keys', 'drafts'] as const;

/** `stored`'s marks that are days (a value that is not a day is taken as none), those `keep` accepts. */
export function sweptThrough(stored: Record<string, unknown> | undefined, keep: (day: string) => boolean = () => true): SweptThrough {
	const marks: SweptThrough = {};
	for (const kind of SWEPT_KINDS) {
		const value = day(stored?.[kind]);
		if (value && keep(value)) marks[kind] = value;
	}
	return marks;
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
		return sweptThrough(stored);
	}

	/**
	 * Moves the marks on to `swept`'s days; a mark never moves back, unless it is past `saneUpTo` (the
	 * newest day a clean-up can reach now: a mark past it was written on a clock that ran ahead).
	 */
	async advance(swept: SweptThrough, saneUpTo: string): Promise<void> {
		const stored = await this.get();
		const current = sweptThrough(stored as Record<string, unknown>, (day) => day <= saneUpTo);
		const later = (a?: string, b?: string) => (a && b ? (a > b ? a : b) : (a ?? b));
		const next: SweptThrough = {};
		for (const kind of SWEPT_KINDS) {
			const value = later(current[kind], swept[kind]);
			if (value) next[kind] = value;
		}
		if (SWEPT_KINDS.every((kind) => next[kind] === stored[kind])) return;
		await this.records.put(MARKS, next);
	}
}
