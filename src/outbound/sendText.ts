import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { whatsAppMessage } from '../core/app/envelope';
import { ConnectedNumber, displayDigits } from '../core/numbers/ConnectedNumber';
import { graphFactory } from '../adapters/factory';
import { PROCESS_WEBHOOKS_JOB, recordSend } from '../status/queue';

export interface SendAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: ILogger;
}

export interface SendMeta {
	roomId?: string;
	agent?: string;
	/** The wamid this message replies to (WhatsApp shows it quoted). */
	replyTo?: string;
}

/**
 * A free-form message to a contact (inside the 24-hour window): `content` is the type and its object
 * (`{ type: 'text', text: {...} }`, `{ type: 'image', image: { id } }`...). Recorded for the status
 * pipeline as a Regular-Message with `summary` as its text. Resolves with the wamid; rejects with
 * Meta's error after recording the failure.
 */
export async function sendFreeForm(acc: SendAccessors, number: ConnectedNumber, waId: string, content: { type: string } & Record<string, unknown>, summary: string, meta: SendMeta): Promise<string | undefined> {
	const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
	const base = {
		phoneNumberId: number.phoneNumberId,
		connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
		mobileNo: waId,
		message: summary,
		type: 'Regular-Message' as const,
		roomId: meta.roomId,
		agent: meta.agent,
		sentAt: new Date().toISOString(),
	};
	try {
		const result = await graph.sendMessage(number.phoneNumberId, whatsAppMessage({ to: waId, content, replyTo: meta.replyTo }));
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

/** A free-form text (links previewed when it has one). */
export function sendText(acc: SendAccessors, number: ConnectedNumber, waId: string, text: string, meta: SendMeta): Promise<string | undefined> {
	return sendFreeForm(acc, number, waId, { type: 'text', text: { body: text, preview_url: /https?:\/\//.test(text) } }, text, meta);
}
