/**
 * A free-form message to a contact (inside the 24-hour window): sent to Meta in the one envelope
 * (envelope.ts), recorded through the send log as a Regular-Message with a summary as its text, and
 * the processing job run soon for its status. Agents' replies and the automatic messages send this way.
 */
import { GraphClient } from '../graph/GraphClient';
import { ConnectedNumber, displayDigits } from '../numbers/ConnectedNumber';
import { MessageContent, whatsAppMessage } from '../outbound/envelope';
import { Clock, Jobs, SentMessage } from './ports';

/** The Graph calls of the sending services (GraphClient provides them), for a number's token. */
export type SendGraph = Pick<GraphClient, 'sendMessage' | 'uploadMedia'>;

export interface FreeFormPorts {
	graph: (accessToken: string) => SendGraph;
	/** The send log (core/app/sendLog.ts SendLog). */
	sendLog: { record(message: SentMessage, error?: unknown): Promise<void> };
	jobs: Jobs;
	clock: Clock;
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
}

export type TextMessage = Omit<FreeFormMessage, 'content' | 'summary'> & { text: string };

/** A text's content: links previewed when it has one. */
export const textContent = (text: string): MessageContent => ({
	type: 'text',
	text: { body: text, preview_url: /https?:\/\//.test(text) },
});

export class FreeFormSender {
	constructor(private readonly ports: FreeFormPorts) {}

	/** Resolves with the wamid; rejects with Meta's error after recording the failure. */
	async send(message: FreeFormMessage): Promise<string | undefined> {
		const { number, to, content, summary, roomId, agent, replyTo } = message;
		const base: SentMessage = {
			phoneNumberId: number.phoneNumberId,
			connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
			mobileNo: to,
			message: summary,
			type: 'Regular-Message',
			roomId,
			agent,
			sentAt: new Date(this.ports.clock.now()).toISOString(),
		};
		try {
			const result = await this.ports
				.graph(number.accessToken)
				.sendMessage(number.phoneNumberId, whatsAppMessage({ to, content, replyTo }));
			const wamid = result.messages?.[0]?.id;
			await this.ports.sendLog.record({ ...base, wamid });
			return wamid;
		} catch (error) {
			await this.ports.sendLog.record(base, error);
			throw error;
		} finally {
			await this.ports.jobs.processSoon();
		}
	}

	/** A free-form text (links previewed when it has one). */
	text(message: TextMessage): Promise<string | undefined> {
		const { text, ...rest } = message;
		return this.send({ ...rest, content: textContent(text), summary: text });
	}
}
