/**
 * The webhook inbox (core/app/webhookBatch.ts `WebhookInbox`) over the app's persistence: one record
 * per stored webhook under `webhook-inbox`, with its own key `webhook-inbox:<id>`. It passes the same
 * contract suite as the in-memory inbox (test/unit/status/webhookInboxStore.test.ts).
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { InboxEntry, WebhookInbox } from '../../core/app/webhookBatch';
import { Records } from './records';

const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);
const INBOX = misc('webhook-inbox');
const keyOf = (id: string) => [INBOX, misc(`webhook-inbox:${id}`)];

export class PersistenceWebhookInbox implements WebhookInbox {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	async add(entry: InboxEntry): Promise<void> {
		await this.persistence.createWithAssociations(entry, keyOf(entry.id));
	}

	async list(): Promise<InboxEntry[]> {
		return (await this.read.readByAssociation(INBOX)) as InboxEntry[];
	}

	/**
	 * Every webhook starts a run and the recurring job runs too. Persistence has no atomic update: the
	 * claim is a read and a write, and a run that finds the entry held, or gone, leaves it.
	 */
	async claim(id: string, options: { now: number; leaseMs: number }): Promise<InboxEntry | undefined> {
		const [current] = (await this.read.readByAssociations(keyOf(id))) as InboxEntry[];
		if (!current || (current.claimedUntil ?? 0) > options.now) return undefined;
		const claimed = { ...current, claimedUntil: options.now + options.leaseMs };
		return (await this.records.replace(keyOf(id), claimed)) ? claimed : undefined;
	}

	async save(entry: InboxEntry): Promise<void> {
		await this.records.replace(keyOf(entry.id), entry);
	}

	async remove(id: string): Promise<void> {
		await this.records.removeAll(keyOf(id));
	}
}
