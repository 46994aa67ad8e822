/**
 * The one builder of a WhatsApp message's envelope (POST /{Phone-Number-ID}/messages): who it goes
 * to, what it quotes, then its content (`{ type: 'text', text: {...} }`, `{ type: 'image', image:
 * {...} }`, `{ type: 'template', template: {...} }`...). Every send of the app goes through it.
 */

/** A message's content: its type and the object of that type. */
export type MessageContent = { type: string } & Record<string, unknown>;

export type WhatsAppMessage<C extends MessageContent = MessageContent> = {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	to: string;
	/** The contact's message this one replies to (WhatsApp shows it quoted). */
	context?: { message_id: string };
} & C;

/** The Cloud API body of a message to `to`, replying to the wamid `replyTo` when given. */
export function whatsAppMessage<C extends MessageContent>(message: { to: string; content: C; replyTo?: string }): WhatsAppMessage<C> {
	const { to, content, replyTo } = message;
	return {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to,
		...(replyTo ? { context: { message_id: replyTo } } : {}),
		...content,
	} as WhatsAppMessage<C>;
}
