/** The send log (core/app/sendLog.ts) over the app's persistence, for one handler run. */
import { IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { SendLog } from '../../core/app/sendLog';
import { appSettings } from '../factory';
import { MessageStore } from '../persistence/MessageStore';
import { PersistenceOutboxStore } from '../persistence/OutboxStore';
import { clockOf } from './clock';

export async function sendLogOf(acc: { read: IRead; persistence: IPersistence }): Promise<SendLog> {
	const outbox = new PersistenceOutboxStore(acc.read.getPersistenceReader(), acc.persistence);
	const messages = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	return new SendLog({ messages, outbox, settings: appSettings(acc.read), clock: await clockOf(acc.read) });
}
