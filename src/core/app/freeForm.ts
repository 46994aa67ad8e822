/**
 * A free-form message to a contact (inside the 24-hour window): sent to Meta in the one envelope
 * (envelope.ts), recorded through the send log as a Regular-Message with a summary as its text
 * (written before the Graph call, linked to its wamid when Meta answers), and the processing job run
 * soon for its status. Agents' replies and the automatic messages send this way.
 */
import { GraphClient } from '../graph/GraphClient';
import { ConnectedNumber, displayDigits, NumberCredentials } from '../numbers/ConnectedNumber';
import { MessageContent, whatsAppMessage } from '../outbound/envelope';
import { Clock, Jobs, Logger } from './ports';
import { newBatchKey, SendLog, withBatchKey } from './sendLog';

/** The Graph calls of the sending services (GraphClient provides them), for a number's token. */
export type SendGraph = Pick<GraphClient, 'sendMessage' | 'uploadMedia'>;

export interface FreeFormPorts {
	graph: (number: NumberCredentials) => SendGraph;
	/** The send log (core/app/sendLog.ts SendLog): the send is written before the Graph call, settled after. */
	sendLog: Pick<SendLog, 'begin' | 'settle'>;
	jobs: Jobs;
	clock: Clock;
	logger?: Logger;
}

export interface FreeFormMessage {
	number: ConnectedNumber;
	/** The contact's WhatsApp id. */
	to: string;
	/** The type and its object: `{ type: 'text', text: {...} }`, `{ type: 'image', image: { id } }`... */
	content: MessageContent;
	/** What the send log records as its text. */
	summary: string;
	roomId?: string;
	agent?: string;
	/** The wamid this message replies to (WhatsApp shows it quoted). */
	replyTo?: string;
	/** The batch key of the sends it belongs to (an agent's reply with several files); a new one by default. */
	batch?: string;
	/** The Rocket.Chat message it relays, whose delivery state it shows (core/app/roomDelivery.ts). */
	rcMessageId?: string;
}

export type TextMessage = Omit<FreeFormMessage, 'content' | 'summary'> & { text: string };

/** A text's content: links previewed when it has one. */
export const textContent = (text: string): MessageContent => ({
	type: 'text',
	text: { body: text, preview_url: /https?:\/\//.test(text) },
});

export class FreeFormSender {
	constructor(private readonly ports: FreeFormPorts) {}

	/**
	 * Resolves with the wamid; rejects with Meta's error after recording the failure. Once Meta took
	 * the message, a failure to link its record is logged, never thrown: the caller must not think it
	 * unsent and send it again (its record stays pending, and Meta's statuses link it: sendLog.ts).
	 */
	async send(message: FreeFormMessage): Promise<string | undefined> {
		const { number, to, content, summary, roomId, agent, replyTo, rcMessageId } = message;
		const batch = message.batch ?? newBatchKey();
		const pending = await this.ports.sendLog.begin({
			phoneNumberId: number.phoneNumberId,
			connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
			mobileNo: to,
			message: summary,
			type: 'Regular-Message',
			roomId,
			agent,
			batch,
			...(rcMessageId ? { rcMessageId } : {}),
			sentAt: new Date(this.ports.clock.now()).toISOString(),
		});
		const body = withBatchKey(whatsAppMessage({ to, content, replyTo }), batch);
		let wamid: string | undefined;
		try {
			wamid = (await this.ports.graph(number).sendMessage(number.phoneNumberId, body)).messages?.[0]?.id;
		} catch (error) {
			// The caller learns Meta's error (or that Meta did not answer), even when it cannot be recorded.
			await this.settled(this.ports.sendLog.settle(pending, error), "a failed send's record could not be written");
			throw error;
		}
		await this.settled(
			this.ports.sendLog.settle({ ...pending, wamid }),
			`message ${wamid ?? '(no wamid)'} sent, but its record could not be linked`,
		);
		return wamid;
	}

	/**
	 * The record's settling, then the processing job started (its statuses and callbacks): a failure
	 * of either is logged, never thrown (the send's outcome is the caller's answer).
	 */
	private async settled(settling: Promise<unknown>, whenRecordFails: string): Promise<void> {
		const log = (what: string) => (failure: unknown) =>
			this.ports.logger?.error(`${what}: ${failure instanceof Error ? failure.message : String(failure)}`);
		await settling.catch(log(whenRecordFails));
		await this.ports.jobs.processSoon().catch(log('the processing job could not be started'));
	}

	/** A free-form text (links previewed when it has one). */
	text(message: TextMessage): Promise<string | undefined> {
		const { text, ...rest } = message;
		return this.send({ ...rest, content: textContent(text), summary: text });
	}
}
