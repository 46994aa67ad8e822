/**
 * The 24-hour customer-service window of each contact: when the contact last wrote, which message
 * that was (for read receipts), and the one pending notice job that warns the agents before the
 * window closes.
 */
import { IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Records } from './records';

export const WINDOW_MS = 24 * 3600 * 1000;

export interface WindowRecord {
	/** When the contact last wrote (ms). */
	at: number;
	/** The wamid of that message. */
	wamid?: string;
	/** The `at` the pending notice job was scheduled for; absent when none is pending. */
	noticeFor?: number;
}

const windowRecord = (token: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `window:${token}`);

export async function readWindow(read: IRead, token: string): Promise<WindowRecord | undefined> {
	const [record] = (await read.getPersistenceReader().readByAssociation(windowRecord(token))) as WindowRecord[];
	return record;
}

/** When the contact last wrote (ms), or undefined when never. */
export async function lastInbound(read: IRead, token: string): Promise<number | undefined> {
	return (await readWindow(read, token))?.at;
}

export async function writeWindow(read: IRead, persistence: IPersistence, token: string, record: WindowRecord): Promise<void> {
	await new Records(read.getPersistenceReader(), persistence).put([windowRecord(token)], record);
}

/** The contact wrote at `at`: the window (re)opens; a pending notice job is kept (it reschedules itself). */
export async function recordInbound(read: IRead, persistence: IPersistence, token: string, at: number, wamid?: string): Promise<WindowRecord> {
	const previous = await readWindow(read, token);
	// Meta may deliver an older message late: the window runs from the latest one.
	const record: WindowRecord = previous && previous.at > at ? { ...previous } : { ...previous, at, wamid };
	await writeWindow(read, persistence, token, record);
	return record;
}
