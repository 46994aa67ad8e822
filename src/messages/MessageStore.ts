import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

/** What the app remembers of each message it sent, for the status pipeline and routing of replies. */
export interface SentMessage {
	wamid?: string;
	phoneNumberId: string;
	connectedWhatsAppNo: string;
	mobileNo: string;
	message: string;
	type: 'Template-Message' | 'Regular-Message';
	templateName?: string;
	templateLanguage?: string;
	clientReference?: string;
	roomId?: string;
	agent?: string;
	targetAgent?: string;
	targetDepartment?: string;
	sentAt: string;
	/** Statuses already forwarded for this message (the status pipeline never regresses). */
	statuses?: string[];
	/** Id of this record when it has no wamid (a send Meta refused). */
	sendId?: string;
}

const byWamid = (wamid: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `wamid:${wamid}`);
const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'sent-message');
/** Records are bucketed per day so that retention removes whole days. */
export const dayBucket = (isoDay: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `sent-day:${isoDay}`);

export class MessageStore {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async record(message: SentMessage): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const day = dayBucket(message.sentAt.slice(0, 10));
		const associations = message.wamid ? [ALL, day, byWamid(message.wamid)] : [ALL, day];
		await this.persistence.createWithAssociations(message, associations);
	}

	async update(message: SentMessage): Promise<void> {
		if (!this.persistence || !message.wamid) throw new Error('MessageStore: only recorded messages with a wamid are updated');
		await this.persistence.updateByAssociations([ALL, byWamid(message.wamid)], message, false);
	}

	/** Removes the records of one day; returns how many. */
	async removeDay(isoDay: string): Promise<number> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const removed = await this.persistence.removeByAssociations([ALL, dayBucket(isoDay)]);
		return removed ? removed.length : 0;
	}

	async findByWamid(wamid: string): Promise<SentMessage | undefined> {
		const [found] = (await this.read.readByAssociations([ALL, byWamid(wamid)])) as SentMessage[];
		return found;
	}
}
