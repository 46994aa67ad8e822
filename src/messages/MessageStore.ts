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
}

const byWamid = (wamid: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `wamid:${wamid}`);
const ALL = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'sent-message');

export class MessageStore {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence?: IPersistence,
	) {}

	async record(message: SentMessage): Promise<void> {
		if (!this.persistence) throw new Error('MessageStore opened read-only');
		const associations = message.wamid ? [ALL, byWamid(message.wamid)] : [ALL];
		await this.persistence.createWithAssociations(message, associations);
	}

	async findByWamid(wamid: string): Promise<SentMessage | undefined> {
		const [found] = (await this.read.readByAssociations([ALL, byWamid(wamid)])) as SentMessage[];
		return found;
	}
}
