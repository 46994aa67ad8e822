/**
 * The contacts' phones: what each WhatsApp contact of the sandbox wrote to the number (through the
 * simulator's signed webhooks) and what the number sent them (the simulator's accepted messages), in
 * order, with the ticks each side sees. A phone that shows a message it received reports it read,
 * as WhatsApp does when the chat is open: Meta's `sent`, `delivered` and `read` statuses reach the
 * app as one status webhook, in that order (only the steps not reported yet).
 */
import { CloudApiSimulator, SimNumber, WebhookResponse } from '../sim/CloudApiSimulator';
import { wamidFor } from '../sim/webhookPayloads';

export interface Contact {
	waId: string;
	name: string;
}

/** The sandbox's contacts (the phones the console shows). Others appear once the number writes to them. */
export const CONTACTS: Contact[] = [
	{ waId: '5511987654321', name: 'Carla Souza' },
	{ waId: '5215512345678', name: 'Diego Ramírez' },
];

/** What the contact wrote: kept by the sandbox, as the contact's phone keeps it. */
interface Written {
	wamid: string;
	at: number;
	type: string;
	text?: string;
	mediaId?: string;
	mimeType?: string;
	filename?: string;
	caption?: string;
}

export interface PhoneMessage {
	direction: 'in' | 'out';
	wamid: string;
	at: number;
	/** Meta's message type: text, image, document, template... */
	type: string;
	text?: string;
	mediaId?: string;
	mediaLink?: string;
	mimeType?: string;
	filename?: string;
	caption?: string;
	/** The contact's message: `read` once the app sent its read receipt. The number's: what this phone reported. */
	status: 'sent' | 'delivered' | 'read';
	/** A template as Meta sends it (`template` of the request), for the phone to draw with the template's text. */
	template?: unknown;
	/** The template as WhatsApp draws it: its text with the send's parameters in place. */
	rendered?: RenderedTemplate;
	replyTo?: string;
}

export interface RenderedTemplate {
	header?: { format: string; text?: string; link?: string; filename?: string; mediaId?: string; productId?: string };
	body: string;
	footer?: string;
	buttons: string[];
	/** A carousel's cards (Meta's media card carousel templates), each drawn as a template of its own. */
	cards?: RenderedTemplate[];
}

const STEPS = ['sent', 'delivered', 'read'] as const;

export class Phones {
	private readonly written = new Map<string, Written[]>();
	private readonly names = new Map<string, string>(CONTACTS.map((c) => [c.waId, c.name]));
	/** The last status each phone reported for a message of the number. */
	private readonly reported = new Map<string, (typeof STEPS)[number]>();

	constructor(
		private readonly sim: CloudApiSimulator,
		private readonly number: SimNumber,
	) {}

	contacts(): Contact[] {
		const waIds = new Set([...this.names.keys(), ...this.sim.sentMessages.map((m) => m.waId)]);
		return [...waIds].map((waId) => ({ waId, name: this.names.get(waId) ?? `+${waId}` }));
	}

	/** The contact writes a text. */
	async sendText(waId: string, text: string, name?: string): Promise<{ webhook: WebhookResponse; wamid: string }> {
		if (name) this.names.set(waId, name);
		const wamid = wamidFor(waId);
		this.log(waId, { wamid, at: Date.now(), type: 'text', text });
		const answer = await this.sim.deliverRaw(
			this.sim.inboundTextPayload(this.number.phoneNumberId, { from: waId, name: this.nameOf(waId), text, wamid }),
			this.number.appSecret,
		);
		return { webhook: answer, wamid };
	}

	/** The contact sends a file: the simulator serves it from its media endpoints, the webhook names it. */
	async sendFile(
		waId: string,
		file: { bytes: Buffer; type: string; name: string; caption?: string },
		name?: string,
	): Promise<{ webhook: WebhookResponse; wamid: string; mediaId: string }> {
		if (name) this.names.set(waId, name);
		const mediaId = this.sim.addMedia({ phoneNumberId: this.number.phoneNumberId, bytes: file.bytes, mimeType: file.type });
		const kind = file.type.startsWith('image/')
			? file.type === 'image/webp'
				? 'sticker'
				: 'image'
			: file.type.startsWith('video/')
				? 'video'
				: file.type.startsWith('audio/')
					? 'audio'
					: 'document';
		const media: Record<string, unknown> = { id: mediaId, mime_type: file.type, sha256: this.sim.media.get(mediaId)?.sha256 };
		const caption = file.caption && kind !== 'audio' && kind !== 'sticker' ? file.caption : undefined;
		if (caption) media.caption = caption;
		if (kind === 'document') media.filename = file.name;
		const wamid = wamidFor(waId);
		this.log(waId, { wamid, at: Date.now(), type: kind, mediaId, mimeType: file.type, filename: file.name, caption });
		const answer = await this.sim.deliverInboundMessage({
			phoneNumberId: this.number.phoneNumberId,
			from: waId,
			name: this.nameOf(waId),
			message: { id: wamid, type: kind, [kind]: media },
		});
		return { webhook: answer, wamid, mediaId };
	}

	/** The chat on `waId`'s phone, oldest first. */
	chat(waId: string): PhoneMessage[] {
		const receipts = new Set(this.sim.readReceipts);
		const mine: PhoneMessage[] = (this.written.get(waId) ?? []).map((w) => ({
			direction: 'in' as const,
			...w,
			status: receipts.has(w.wamid) ? ('read' as const) : ('delivered' as const),
		}));
		const theirs: PhoneMessage[] = this.sim.sentMessages
			.filter((m) => m.waId === waId)
			.map((m) => {
				const body = m.body as Record<string, Record<string, unknown> | string | undefined>;
				const type = String(body.type ?? 'text');
				const content = (body[type] ?? {}) as Record<string, unknown>;
				return {
					direction: 'out' as const,
					wamid: m.wamid,
					at: m.at,
					type,
					text: type === 'text' ? String(content.body ?? '') : undefined,
					mediaId: typeof content.id === 'string' ? content.id : undefined,
					mediaLink: typeof content.link === 'string' ? content.link : undefined,
					filename: typeof content.filename === 'string' ? content.filename : undefined,
					caption: typeof content.caption === 'string' ? content.caption : undefined,
					mimeType:
						typeof content.id === 'string' ? this.sim.uploadedMedia.find((u) => u.id === content.id)?.mimeType : undefined,
					template: type === 'template' ? content : undefined,
					rendered: type === 'template' ? this.render(content) : undefined,
					replyTo: (body.context as Record<string, unknown> | undefined)?.message_id as string | undefined,
					status: this.reported.get(m.wamid) ?? 'sent',
				};
			});
		return [...mine, ...theirs].sort((a, b) => a.at - b.at);
	}

	/** The phone shows these messages of the number: Meta reports the steps not reported yet, up to read. */
	async read(waId: string, wamids: string[]): Promise<number> {
		const updates: Array<{ wamid: string; status: (typeof STEPS)[number] }> = [];
		for (const wamid of wamids) {
			const sent = this.sim.sentMessages.find((m) => m.wamid === wamid && m.waId === waId);
			if (!sent) continue;
			const from = STEPS.indexOf(this.reported.get(wamid) ?? ('' as never)) + 1;
			for (const step of STEPS.slice(from)) updates.push({ wamid, status: step });
			this.reported.set(wamid, 'read');
		}
		if (updates.length) await this.sim.deliverStatuses(updates, { batch: true });
		return updates.length;
	}

	/** The bytes of a media: one a contact sent, or one the app uploaded. */
	media(id: string): { bytes: Buffer; mimeType: string } | undefined {
		return this.sim.media.get(id) ?? this.sim.uploadedMedia.find((m) => m.id === id);
	}

	/** A sent template drawn from the number's template (name, language) and the send's components. */
	private render(sent: Record<string, unknown>): RenderedTemplate | undefined {
		const language = (sent.language as { code?: string } | undefined)?.code;
		const template = (this.sim.templates.get(this.number.wabaId) ?? []).find((t) => t.name === sent.name && t.language === language);
		if (!template) return undefined;
		return renderTemplate(
			(template.components as Array<Record<string, unknown>>) ?? [],
			(sent.components as Array<Record<string, unknown>> | undefined) ?? [],
		);
	}

	private nameOf(waId: string): string {
		return this.names.get(waId) ?? 'WhatsApp user';
	}

	private log(waId: string, message: Written): void {
		const list = this.written.get(waId) ?? [];
		list.push(message);
		this.written.set(waId, list);
	}
}

type Json = Record<string, unknown>;

/**
 * A template's components (as Meta lists them) drawn with a send's (as Meta takes them): the header,
 * the body with its parameters in place, the footer and the buttons' labels, and a carousel's cards,
 * each the same way with the send's card of its index.
 */
function renderTemplate(components: Json[], given: Json[]): RenderedTemplate {
	const paramsOf = (type: string) => (given.find((c) => String(c.type).toLowerCase() === type)?.parameters as Json[]) ?? [];
	const fill = (text: string, params: Json[]) =>
		text.replace(/{{\s*([\w]+)\s*}}/g, (whole, key: string) => {
			const param = /^\d+$/.test(key) ? params[Number(key) - 1] : params.find((p) => p.parameter_name === key);
			return param ? String(param.text ?? whole) : whole;
		});
	const find = (type: string) => components.find((c) => c.type === type);
	const rendered: RenderedTemplate = { body: fill(String(find('BODY')?.text ?? ''), paramsOf('body')), buttons: [] };
	const header = find('HEADER');
	if (header) {
		const format = String(header.format ?? 'TEXT');
		const param = paramsOf('header')[0] ?? {};
		const media = param[format.toLowerCase()] as Json | undefined;
		rendered.header = {
			format,
			text: format === 'TEXT' ? fill(String(header.text ?? ''), paramsOf('header')) : undefined,
			link: typeof media?.link === 'string' ? media.link : undefined,
			mediaId: typeof media?.id === 'string' ? media.id : undefined,
			filename: typeof media?.filename === 'string' ? media.filename : undefined,
			productId: typeof media?.product_retailer_id === 'string' ? media.product_retailer_id : undefined,
		};
	}
	const footer = find('FOOTER');
	if (footer) rendered.footer = String(footer.text ?? '');
	for (const button of (find('BUTTONS')?.buttons as Json[] | undefined) ?? []) rendered.buttons.push(String(button.text ?? button.type));
	const cards = find('CAROUSEL')?.cards;
	if (Array.isArray(cards)) {
		const sentCards = (given.find((c) => String(c.type).toLowerCase() === 'carousel')?.cards as Json[] | undefined) ?? [];
		rendered.cards = cards.map((card: Json, index) =>
			renderTemplate(
				(card.components as Json[] | undefined) ?? [],
				(sentCards.find((c) => Number(c.card_index) === index)?.components as Json[] | undefined) ?? [],
			),
		);
	}
	return rendered;
}
