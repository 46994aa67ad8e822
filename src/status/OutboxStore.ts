import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { OutboxItem } from '../core/status/outbox';
import { StatusPayload } from '../core/status/payload';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const PENDING = misc('outbox:pending');
const FAILED = misc('outbox:failed');
const ITEM = (id: string) => misc(`outbox-item:${id}`);
const CLOCK = misc('outbox:clock');

export type StatusItem = OutboxItem<StatusPayload>;

/**
 * Outbox items in the app's persistence: pending ones under one association, failed ones (kept for
 * inspection and redelivery) under another; delivered ones are removed.
 */
export class OutboxStore {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {}

	async pending(): Promise<StatusItem[]> {
		return (await this.read.readByAssociation(PENDING)) as StatusItem[];
	}

	async failed(): Promise<StatusItem[]> {
		return (await this.read.readByAssociation(FAILED)) as StatusItem[];
	}

	/** Adds an event unless an event with its id is already pending (a duplicate delivery). */
	async add(item: StatusItem): Promise<boolean> {
		const existing = await this.read.readByAssociations([PENDING, ITEM(item.id)]);
		if (existing.length) return false;
		await this.persistence.createWithAssociations(item, [PENDING, ITEM(item.id)]);
		return true;
	}

	async save(item: StatusItem): Promise<void> {
		if (item.state === 'pending') {
			await this.persistence.updateByAssociations([PENDING, ITEM(item.id)], item, true);
			return;
		}
		await this.persistence.removeByAssociations([PENDING, ITEM(item.id)]);
		if (item.state === 'failed') await this.persistence.createWithAssociations(item, [FAILED, ITEM(item.id)]);
	}

	/** Moves every failed event back to pending, due now; returns how many. */
	async requeueFailed(now: number): Promise<number> {
		const failed = await this.failed();
		for (const item of failed) {
			await this.persistence.removeByAssociations([FAILED, ITEM(item.id)]);
			await this.persistence.createWithAssociations({ ...item, state: 'pending', attempts: 0, createdAt: now, nextAttemptAt: now }, [PENDING, ITEM(item.id)]);
		}
		return failed.length;
	}

	/** The delivery clock (ms): advanced by each run of the delivery job. */
	async clock(): Promise<number> {
		const [record] = (await this.read.readByAssociation(CLOCK)) as Array<{ now: number }>;
		if (record) return record.now;
		const now = Date.now();
		await this.setClock(now);
		return now;
	}

	async setClock(now: number): Promise<void> {
		await this.persistence.updateByAssociation(CLOCK, { now }, true);
	}
}
