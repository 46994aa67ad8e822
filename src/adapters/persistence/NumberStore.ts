import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { ConnectedNumber } from '../../core/numbers/ConnectedNumber';
import { NumberRepository } from '../../core/numbers/NumberService';
import { Records } from './records';
import { PersistenceSightingStore } from './SightingStore';

const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'whatsapp-number');
const one = (phoneNumberId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `whatsapp-number:${phoneNumberId}`);

/** How long the numbers read for one webhook serve the next ones in the same runtime (RecentNumbers). */
export const RECENT_NUMBERS_MS = 10000;

/**
 * The connected numbers as this runtime last read them, for Meta's webhook: its acknowledgement,
 * which Meta waits for, then needs no read before the webhook is stored. A list read less than
 * `RECENT_NUMBERS_MS` ago is used again (`cached`); the endpoint reads again when it does not verify
 * a signature or vouches for fewer numbers than the webhook speaks of (a number connected since, on
 * another instance). A save or removal in this runtime forgets it at once (and a read under way then
 * is not kept); one on another instance of the server shows here within `RECENT_NUMBERS_MS`: until
 * then a number disconnected there, or a secret changed there, still verifies here.
 */
export class RecentNumbers {
	private recent?: { numbers: ConnectedNumber[]; at: number };
	private generation = 0;

	constructor(private readonly now: () => number = Date.now) {}

	/** The list read within `RECENT_NUMBERS_MS`, or `undefined`. */
	get(): ConnectedNumber[] | undefined {
		const age = this.recent ? this.now() - this.recent.at : Infinity;
		return age >= 0 && age < RECENT_NUMBERS_MS ? this.recent?.numbers : undefined;
	}

	/** Reads the list with `read` and keeps it, unless a save or removal came meanwhile. */
	async read(read: () => Promise<ConnectedNumber[]>): Promise<ConnectedNumber[]> {
		const generation = this.generation;
		const at = this.now();
		const numbers = await read();
		if (generation === this.generation) this.recent = { numbers, at };
		return numbers;
	}

	forget(): void {
		this.generation++;
		this.recent = undefined;
	}
}

/** This runtime's recent list (one app, one runtime: module state lives as long as the runtime). */
export const recentNumbers = new RecentNumbers();

/** Connected numbers in the app's persistence (secrets stay server-side, never in views or logs). */
export class NumberStore implements NumberRepository {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async list(): Promise<ConnectedNumber[]> {
		return recentNumbers.read(async () => {
			const records = (await this.read.readByAssociation(ALL)) as ConnectedNumber[];
			return records.sort((a, b) => a.connectedAt.localeCompare(b.connectedAt));
		});
	}

	/** The list read recently in this runtime (`cached`), or read now (RecentNumbers). */
	async listRecent(): Promise<{ numbers: ConnectedNumber[]; cached: boolean }> {
		const numbers = recentNumbers.get();
		return numbers ? { numbers, cached: true } : { numbers: await this.list(), cached: false };
	}

	async get(phoneNumberId: string): Promise<ConnectedNumber | undefined> {
		const [record] = (await this.read.readByAssociations([ALL, one(phoneNumberId)])) as ConnectedNumber[];
		return record;
	}

	async save(number: ConnectedNumber): Promise<void> {
		recentNumbers.forget();
		try {
			await new Records(this.read, this.writer()).put([ALL, one(number.phoneNumberId)], number);
		} finally {
			recentNumbers.forget();
		}
	}

	async replace(number: ConnectedNumber): Promise<boolean> {
		recentNumbers.forget();
		try {
			return await new Records(this.read, this.writer()).replace([ALL, one(number.phoneNumberId)], number);
		} finally {
			recentNumbers.forget();
		}
	}

	/** Removes the number, and (best effort: a record left only counts for the same ID saved again) what webhooks showed of it. */
	async remove(phoneNumberId: string): Promise<boolean> {
		recentNumbers.forget();
		try {
			const removed = (await new Records(this.read, this.writer()).removeAll([ALL, one(phoneNumberId)])) > 0;
			await new PersistenceSightingStore(this.read, this.writer()).forgetNumber(phoneNumberId).catch(() => undefined);
			return removed;
		} finally {
			recentNumbers.forget();
		}
	}

	private writer(): IPersistence {
		if (!this.persistence) throw new Error('NumberStore opened read-only');
		return this.persistence;
	}
}
