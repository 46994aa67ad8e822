/**
 * The one builder of a WhatsApp message's envelope (POST /{Phone-Number-ID}/messages): who it goes
 * to, what it quotes, then its content (`{ type: 'text', text: {...} }`, `{ type: 'image', image:
 * {...} }`, `{ type: 'template', template: {...} }`...). Every send of the app goes through it.
 */
import { isBusinessScopedUserId } from '../phone';

/** A message's content: its type and the object of that type. */
export type MessageContent = { type: string } & Record<string, unknown>;

/**
 * Who a message goes to: a phone number in `to`, or a business-scoped user id in `recipient`
 * (Meta's "Business-scoped user IDs": "set `recipient` to the user's BSUID or parent BSUID; omit the
 * `to` property"; `to` takes phone numbers only).
 */
export type Addressee = { to: string; recipient?: never } | { recipient: string; to?: never };

export type WhatsAppMessage<C extends MessageContent = MessageContent> = {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	/** The contact's message this one replies to (WhatsApp shows it quoted). */
	context?: { message_id: string };
} & Addressee &
	C;

/** Where a message to the contact id `to` (core/phone.ts contactIdOf) goes. */
export const addressee = (to: string): Addressee => (isBusinessScopedUserId(to) ? { recipient: to } : { to });

/** The Cloud API body of a message to `to` (a number, or a BSUID), replying to the wamid `replyTo` when given. */
export function whatsAppMessage<C extends MessageContent>(message: { to: string; content: C; replyTo?: string }): WhatsAppMessage<C> {
	const { to, content, replyTo } = message;
	return {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...addressee(to),
		...(replyTo ? { context: { message_id: replyTo } } : {}),
		...content,
	} as WhatsAppMessage<C>;
}
