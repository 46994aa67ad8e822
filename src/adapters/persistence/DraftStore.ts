/** The send-template modals' drafts in the app's persistence, one record per view id. */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Draft, Drafts } from '../../core/app/sendTemplateModal';
import { Records } from './records';

const record = (viewId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `send-draft:${viewId}`);

export class DraftStore implements Drafts {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {}

	async load(viewId: string): Promise<Draft | undefined> {
		const [draft] = (await this.read.readByAssociation(record(viewId))) as Draft[];
		return draft;
	}

	async save(draft: Draft): Promise<void> {
		await new Records(this.read, this.persistence).put([record(draft.viewId)], draft);
	}

	async remove(viewId: string): Promise<void> {
		await new Records(this.read, this.persistence).removeAll([record(viewId)]);
	}
}
