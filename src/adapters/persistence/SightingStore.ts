/**
 * The webhooks' sightings of the accounts' subscriptions (core/numbers/sightings.ts): one small
 * record per key (an account or a number), written by the processing job only when it makes a note
 * of the numbers list go, read by the numbers list.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { numberKey, SightingStore, Sightings } from '../../core/numbers/sightings';
import { Records } from './records';

const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'whatsapp-webhook-sighting');
const one = (key: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `whatsapp-webhook-sighting:${key}`);

export class PersistenceSightingStore implements SightingStore {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		persistence?: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	async list(): Promise<Sightings> {
		const sightings: Sightings = new Map();
		for (const record of (await this.read.readByAssociation(ALL)) as Array<{ key?: unknown; at?: unknown }>)
			if (typeof record?.key === 'string' && typeof record.at === 'number' && Number.isFinite(record.at))
				sightings.set(record.key, Math.max(record.at, sightings.get(record.key) ?? -Infinity));
		return sightings;
	}

	/**
	 * Keeps the later of `at` and the time stored: two runtimes that saw the same account write in
	 * either order (a read before the write: such writes are few, one per note that goes).
	 */
	async save(key: string, at: number): Promise<void> {
		const [stored] = (await this.read.readByAssociations([ALL, one(key)])) as Array<{ at?: unknown }>;
		if (typeof stored?.at === 'number' && stored.at >= at) return;
		await this.records.put([ALL, one(key)], { key, at });
	}

	/** Forgets what was seen of a number (disconnected: its ID may be connected again later, afresh). */
	async forgetNumber(phoneNumberId: string): Promise<void> {
		await this.records.removeAll([ALL, one(numberKey(phoneNumberId))]);
	}
}

/**
 * The sightings the numbers list needs: read only when a number has a note of its account's
 * webhooks. A read that fails shows the notes as saved.
 */
export async function sightingsFor(
	read: IPersistenceRead,
	numbers: Array<{ webhooksUnsubscribed?: boolean; webhooksToOtherApps?: string[] }>,
): Promise<Sightings> {
	if (!numbers.some((n) => n.webhooksUnsubscribed || n.webhooksToOtherApps?.length)) return new Map();
	return new PersistenceSightingStore(read).list().catch(() => new Map());
}
