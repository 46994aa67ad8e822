import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { MessageLink, MessageLog, SentMessage } from '../../core/app/ports';
import { mergeStatuses } from '../../core/app/sendLog';
import { Associations, Records } from './records';

const crypto = require('crypto') as typeof import('crypto');

const byWamid = (wamid: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `wamid:${wamid}`);
/** A send Meta refused has no wamid: its own id names it. */
const bySendId = (sendId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `send:${sendId}`);
/** A send written before the Graph call, not answered yet (its own key, so that resolving it removes only it). */
const pendingSend = (sendId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `pending-send:${sendId}`);
/** Every pending send written alone (`record`), to find those a stopped sender left (`pendingSends`). */
const PENDING_ONE = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'pending-send');
/** The sends of one batch (the key their requests carried in `biz_opaque_callback_data`): one read finds them all. */
const byBatch = (batch: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `batch:${batch}`);
const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'sent-message');
/** The sends to one contact of one number, newest last (for routing the contact's reply). */
const toContact = (phoneNumberId: string, mobileNo: string) =>
	new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `to:${phoneNumberId}:${mobileNo}`);
/**
 * The progress of some messages of one batch (`saveStatuses`): one record per save, written once and
 * never updated, under the batch's key, so that the read of a batch's records brings it along.
 */
const PROGRESS = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'sent-progress');
const progressKey = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `sent-progress:${id}`);

/** Pending sends written together (`recordPending`), under their batch's key. */
const PENDING_GROUP = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'pending-sends');
const pendingGroupKey = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `pending-sends:${id}`);

interface PendingGroupRecord {
	pendingGroup: string;
	sends: SentMessage[];
}

const isPendingGroup = (record: unknown): record is PendingGroupRecord => Array.isArray((record as PendingGroupRecord | undefined)?.sends);

/** Statuses by wamid (an array: a wamid is not a safe MongoDB field name). */
interface ProgressRecord {
	progress: string;
	batch: string;
	at: number;
	messages: Array<{ wamid: string; statuses: string[] }>;
}

const isProgress = (record: unknown): record is ProgressRecord => typeof (record as ProgressRecord | undefined)?.progress === 'string';

/** The messages with their batch's progress folded into their statuses. */
function withProgress(messages: SentMessage[], progress: ProgressRecord[]): SentMessage[] {
	if (!progress.length) return messages;
	const byWamid = new Map<string, string[][]>();
	for (const record of [...progress].sort((a, b) => a.at - b.at))
		for (const { wamid, statuses } of record.messages) byWamid.set(wamid, [...(byWamid.get(wamid) ?? []), statuses]);
	return messages.map((m) =>
		m.wamid && byWamid.has(m.wamid) ? { ...m, statuses: mergeStatuses(m.statuses, ...byWamid.get(m.wamid)!) } : m,
	);
}

/** Records are bucketed per day so that retention removes whole days. */
export const dayBucket = (isoDay: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `sent-day:${isoDay}`);

/**
 * Every association of a sent message's record, always in this order: written at creation and
 * given again, unchanged, to update it (Rocket.Chat's update matches the exact list).
 */
function associationsOf(message: SentMessage): RocketChatAssociationRecord[] {
	// The contact answers from its WhatsApp id, which may differ from the number the send named
	// (Brazilian mobiles with or without the ninth digit, say): the reply must find the send.
	const alias = message.waId && message.waId !== message.mobileNo ? [toContact(message.phoneNumberId, message.waId)] : [];
	const batch = message.batch ? [byBatch(message.batch)] : [];
	return [
		ALL,
		dayBucket(message.sentAt.slice(0, 10)),
		toContact(message.phoneNumberId, message.mobileNo),
		...alias,
		ownKey(message),
		...batch,
		...(message.pending ? [PENDING_ONE] : []),
	];
}

/** The association that names one record alone: its wamid, else its send id (pending or failed). */
function ownKey(message: SentMessage): RocketChatAssociationRecord {
	if (message.wamid) return byWamid(message.wamid);
	return message.pending ? pendingSend(message.sendId ?? '') : bySendId(message.sendId ?? '');
}

const LINKS = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'message-link');
/** The contacts' messages already in a room (Meta retries webhooks): kept as long as message records. */
const SEEN = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'inbound-seen');
const seenWamid = (wamid: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `inbound:${wamid}`);
/** Steps of an inbound message already done (its file posted, a welcome due), for retries. */
const MARKS = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'inbound-mark');
const markOf = (kind: string, key: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `mark:${kind}:${key}`);
const linkByWamid = (wamid: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `link-wamid:${wamid}`);
const linkByRc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `link-rc:${id}`);
const linkByUpload = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `link-upload:${id}`);

export type { MessageLink, SentMessage };

/** The message log in the app's persistence (core/app/ports.ts). */
export class MessageStore implements MessageLog {
	private readonly records: Records;

	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {
		this.records = new Records(read, persistence);
	}

	async record(message: SentMessage): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		await this.persistence.createWithAssociations(message, associationsOf(message));
	}

	/**
	 * Rocket.Chat's persistence cannot change a record's associations (an update matches the exact list
	 * and replaces the data only), and has no atomic update: the answered send is written as a new
	 * record under its final associations (its wamid), then the pending one is removed by its own key.
	 */
	async resolve(message: SentMessage): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const { pending: _pending, pendingGroup, ...answered } = message;
		await this.persistence.createWithAssociations(answered, associationsOf(answered));
		if (message.sendId && !pendingGroup) await this.persistence.removeByAssociations([ALL, pendingSend(message.sendId)]);
	}

	/** One record for all of them (under their batch's key and the day of the first). */
	async recordPending(messages: SentMessage[]): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const [first] = messages;
		if (!first?.pendingGroup) throw new Error('MessageStore: pending sends written together need their group');
		const batch = first.batch ? [byBatch(first.batch)] : [];
		await this.persistence.createWithAssociations({ pendingGroup: first.pendingGroup, sends: messages }, [
			PENDING_GROUP,
			pendingGroupKey(first.pendingGroup),
			dayBucket(first.sentAt.slice(0, 10)),
			...batch,
		]);
	}

	async removePending(group: string): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		await this.persistence.removeByAssociations([PENDING_GROUP, pendingGroupKey(group)]);
	}

	/** The batch's records (pending ones written together among them) and its progress, in one read. */
	async findByBatch(batch: string): Promise<SentMessage[]> {
		const found = (await this.read.readByAssociations([byBatch(batch)])) as Array<SentMessage | ProgressRecord | PendingGroupRecord>;
		const messages = found.flatMap((r) => (isProgress(r) ? [] : isPendingGroup(r) ? r.sends : [r]));
		return withProgress(messages, found.filter(isProgress));
	}

	/** Pending sends written alone, and those written together (their groups' records), in two reads. */
	async pendingSends(): Promise<SentMessage[]> {
		const [alone, groups] = await Promise.all([
			this.read.readByAssociations([ALL, PENDING_ONE]) as Promise<SentMessage[]>,
			this.read.readByAssociation(PENDING_GROUP) as Promise<PendingGroupRecord[]>,
		]);
		return [...alone, ...groups.flatMap((group) => group.sends)];
	}

	/**
	 * Two messages of one batch or more cost one write, a new progress record (on the day of the
	 * earliest send, so that retention removes it with them); any other message one update.
	 */
	async saveStatuses(messages: SentMessage[]): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const batches = new Map<string, SentMessage[]>();
		const alone: SentMessage[] = [];
		for (const message of messages) {
			if (!message.wamid) continue;
			if (!message.batch) alone.push(message);
			else if (batches.has(message.batch)) batches.get(message.batch)!.push(message);
			else batches.set(message.batch, [message]);
		}
		// A batch's lone message costs one write either way: its own record stays the whole story.
		const together = [...batches].filter(([, sends]) => sends.length > 1);
		for (const [, sends] of batches) if (sends.length === 1) alone.push(sends[0]);
		await Promise.all(alone.map((message) => this.update(message)));
		await Promise.all(together.map(([batch, sends]) => this.saveProgress(batch, sends)));
	}

	/** One progress record for these messages of one batch. */
	private async saveProgress(batch: string, sends: SentMessage[]): Promise<void> {
		const id = crypto.randomBytes(12).toString('hex');
		const day = sends.map((m) => m.sentAt.slice(0, 10)).sort()[0];
		const record: ProgressRecord = {
			progress: id,
			batch,
			at: Date.now(),
			messages: sends.map((m) => ({ wamid: m.wamid as string, statuses: m.statuses ?? [] })),
		};
		await this.persistence!.createWithAssociations(record, [PROGRESS, byBatch(batch), dayBucket(day), progressKey(id)]);
	}

	/** The latest send to a contact that asked for a routing of the reply (templateMessage targetAgent/Department). */
	async latestRouting(phoneNumberId: string, mobileNo: string): Promise<SentMessage | undefined> {
		const sends = (await this.read.readByAssociations([ALL, toContact(phoneNumberId, mobileNo)])) as SentMessage[];
		return sends
			.filter((m) => m.targetAgent || m.targetDepartment)
			.sort((a, b) => a.sentAt.localeCompare(b.sentAt))
			.pop();
	}

	/**
	 * Saves a recorded message's progress. Rocket.Chat updates only the record whose associations are
	 * exactly the ones given, so the record is addressed with the very list it was created with.
	 */
	async update(message: SentMessage): Promise<void> {
		if (!message.wamid) throw new Error('MessageStore: only recorded messages with a wamid are updated');
		await this.records.replace(associationsOf(message), message);
	}

	/** Removes the records of one day; returns how many. */
	async removeDay(isoDay: string): Promise<number> {
		let removed = 0;
		for (const step of this.dayRemovals(isoDay)) removed += (await step()).removed;
		return removed;
	}

	/** Whether any record of the day is left (one read). */
	async hasDay(isoDay: string): Promise<boolean> {
		return ((await this.read.readByAssociations([dayBucket(isoDay)])) as object[]).length > 0;
	}

	/** A day's records as one removal per kind, each of which a caller's `stop` may end early (the retention job's steps). */
	dayRemovals(isoDay: string): Array<(stop?: () => boolean) => Promise<{ removed: number; done: boolean }>> {
		const day = dayBucket(isoDay);
		const kinds: Array<[Associations, (data: object) => Associations]> = [
			[[ALL, day], (m) => [ownKey(m as SentMessage)]],
			[[LINKS, day], (l) => [linkByWamid((l as MessageLink).wamid)]],
			[[SEEN, day], (r) => [seenWamid((r as { wamid: string }).wamid)]],
			[[MARKS, day], (r) => [markOf((r as { kind: string }).kind, (r as { key: string }).key)]],
			[[PROGRESS, day], (r) => [progressKey((r as ProgressRecord).progress)]],
			[[PENDING_GROUP, day], (r) => [pendingGroupKey((r as PendingGroupRecord).pendingGroup)]],
		];
		return kinds.map(
			([associations, keyOf]) =>
				(stop) =>
					this.records.drain(associations, keyOf, stop),
		);
	}

	async hasMark(kind: string, key: string): Promise<boolean> {
		return (await this.read.readByAssociation(markOf(kind, key))).length > 0;
	}

	async mark(kind: string, key: string, at = new Date()): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		await this.persistence.createWithAssociations({ kind, key, at: at.getTime() }, [
			MARKS,
			dayBucket(at.toISOString().slice(0, 10)),
			markOf(kind, key),
		]);
	}

	async unmark(kind: string, key: string): Promise<void> {
		await this.records.removeAll([markOf(kind, key)]);
	}

	/** Whether a contact's message (by wamid) is already in a room. */
	async isSeen(wamid: string): Promise<boolean> {
		return (await this.read.readByAssociation(seenWamid(wamid))).length > 0;
	}

	async markSeen(wamid: string, at = new Date()): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		await this.persistence.createWithAssociations({ wamid, at: at.getTime() }, [
			SEEN,
			dayBucket(at.toISOString().slice(0, 10)),
			seenWamid(wamid),
		]);
	}

	async link(link: MessageLink): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const by = [...(link.rcMessageId ? [linkByRc(link.rcMessageId)] : []), ...(link.uploadId ? [linkByUpload(link.uploadId)] : [])];
		await this.persistence.createWithAssociations(link, [LINKS, dayBucket(link.at.slice(0, 10)), linkByWamid(link.wamid), ...by]);
	}

	async linkOfWamid(wamid: string): Promise<MessageLink | undefined> {
		const [found] = (await this.read.readByAssociations([LINKS, linkByWamid(wamid)])) as MessageLink[];
		return found;
	}

	async linkOfUpload(uploadId: string): Promise<MessageLink | undefined> {
		const [found] = (await this.read.readByAssociations([LINKS, linkByUpload(uploadId)])) as MessageLink[];
		return found;
	}

	async linkOfMessage(rcMessageId: string): Promise<MessageLink | undefined> {
		const [found] = (await this.read.readByAssociations([LINKS, linkByRc(rcMessageId)])) as MessageLink[];
		return found;
	}

	/** The record and, for a send of a batch, its batch's progress (a second read). */
	async findByWamid(wamid: string): Promise<SentMessage | undefined> {
		const [found] = (await this.read.readByAssociations([ALL, byWamid(wamid)])) as SentMessage[];
		if (!found?.batch) return found;
		const progress = (await this.read.readByAssociations([PROGRESS, byBatch(found.batch)])) as ProgressRecord[];
		return withProgress([found], progress)[0];
	}
}
