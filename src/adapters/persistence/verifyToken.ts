import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Records } from './records';

const crypto = require('crypto') as typeof import('crypto');

const RECORD = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'webhook-verify-token');

/** The token an admin pastes into Meta's webhook settings; made once per workspace. */
export async function readVerifyToken(read: IPersistenceRead): Promise<string | undefined> {
	const [record] = (await read.readByAssociation(RECORD)) as Array<{ token: string }>;
	return record?.token;
}

export async function ensureVerifyToken(read: IPersistenceRead, persistence: IPersistence): Promise<string> {
	const existing = await readVerifyToken(read);
	if (existing) return existing;
	const token = crypto.randomBytes(24).toString('hex');
	await new Records(read, persistence).put([RECORD], { token });
	return token;
}

export const WEBHOOK_PATH = 'webhook';

export function callbackUrl(siteUrl: string, appId: string): string {
	return `${siteUrl.replace(/\/+$/, '')}/api/apps/public/${appId}/${WEBHOOK_PATH}`;
}
