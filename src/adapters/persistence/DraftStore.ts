/** The send-template modals' drafts in the app's persistence, one record per view id. */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Draft, Drafts } from '../../core/app/sendTemplateModal';
import { Removal } from '../../core/app/runBudget';
import { Records } from './records';

const record = (viewId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `send-draft:${viewId}`);
/** The drafts of the modals opened on `day`: the one association they share, which the retention run removes. */
const dayRecord = (day: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `send-drafts-of:${day}`);
/** A draft's associations: its view's, and its day's when it has one (always the same for one draft, so each save finds it). */
const associations = (draft: Draft) => [record(draft.viewId), ...(draft.openedOn ? [dayRecord(draft.openedOn)] : [])];

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
		await new Records(this.read, this.persistence).put(associations(draft), draft);
	}

	async remove(viewId: string): Promise<void> {
		await new Records(this.read, this.persistence).removeAll([record(viewId)]);
	}

	/** Whether a draft of a modal opened on `day` is left (the retention run looks before it removes, past its first days). */
	async hasDay(day: string): Promise<boolean> {
		return ((await this.read.readByAssociation(dayRecord(day))) as unknown[]).length > 0;
	}

	/** Removes the drafts of the modals opened on `day` (the retention run). */
	dayRemoval(day: string): Removal {
		return (stop) => new Records(this.read, this.persistence).drain([dayRecord(day)], (data) => [record((data as Draft).viewId)], stop);
	}
}
