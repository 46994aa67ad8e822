import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { ConnectedNumber, displayDigits } from '../core/numbers/ConnectedNumber';
import { graphFactory } from '../lib/services';
import { PROCESS_WEBHOOKS_JOB, recordSend } from '../status/queue';

export interface SendAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
}

/**
 * A free-form text to a contact (inside the 24-hour window), recorded for the status pipeline as a
 * Regular-Message. Resolves with the wamid; rejects with Meta's error after recording the failure.
 */
export async function sendText(acc: SendAccessors, number: ConnectedNumber, waId: string, text: string, meta: { roomId?: string; agent?: string }): Promise<string | undefined> {
	const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
	const base = {
		phoneNumberId: number.phoneNumberId,
		connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
		mobileNo: waId,
		message: text,
		type: 'Regular-Message' as const,
		roomId: meta.roomId,
		agent: meta.agent,
		sentAt: new Date().toISOString(),
	};
	try {
		const result = await graph.sendMessage(number.phoneNumberId, { messaging_product: 'whatsapp', recipient_type: 'individual', to: waId, type: 'text', text: { body: text, preview_url: /https?:\/\//.test(text) } });
		const wamid = result.messages?.[0]?.id;
		await recordSend(acc, { ...base, wamid });
		return wamid;
	} catch (error) {
		await recordSend(acc, base, error);
		throw error;
	} finally {
		await acc.modify.getScheduler().scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date() });
	}
}
