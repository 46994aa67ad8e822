/** The send log (core/app/sendLog.ts) over the app's persistence, for one handler run. */
import { IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { SendLog } from '../../core/app/sendLog';
import { appSettings } from '../factory';
import { MessageStore } from '../persistence/MessageStore';
import { PersistenceOutboxStore } from '../persistence/OutboxStore';
import { clockOf } from '../persistence/clock';
import { checkUnansweredAt } from './jobs';

/**
 * With `modify`, a send that may have reached Meta without its answer (timed out, or a proxy's 5xx
 * page: core/errors.ts `mayHaveBeenSent`) waits for Meta's statuses (core/app/unanswered.ts); else it
 * is failed at once.
 */
export async function sendLogOf(acc: { read: IRead; persistence: IPersistence; modify?: IModify }): Promise<SendLog> {
	const outbox = new PersistenceOutboxStore(acc.read.getPersistenceReader(), acc.persistence);
	const messages = new MessageStore(acc.read.getPersistenceReader(), acc.persistence);
	const modify = acc.modify;
	return new SendLog({
		messages,
		outbox,
		settings: appSettings(acc.read),
		clock: await clockOf(acc.read),
		...(modify ? { later: (check, at) => checkUnansweredAt(modify, check, at) } : {}),
	});
}
