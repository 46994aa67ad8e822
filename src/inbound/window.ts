/** The 24-hour customer-service window of each contact: when the contact last wrote. */
import { IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

export const WINDOW_MS = 24 * 3600 * 1000;

const windowRecord = (token: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `window:${token}`);

/** When the contact last wrote (ms), or undefined when never. */
export async function lastInbound(read: IRead, token: string): Promise<number | undefined> {
	const [record] = (await read.getPersistenceReader().readByAssociation(windowRecord(token))) as Array<{ at: number }>;
	return record?.at;
}

export async function recordInbound(persistence: IPersistence, token: string, at: number): Promise<void> {
	await persistence.updateByAssociation(windowRecord(token), { at }, true);
}
