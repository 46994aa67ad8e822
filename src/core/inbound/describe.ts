/**
 * An inbound WhatsApp message as the text an agent reads in the room. Every type Meta delivers gets
 * a faithful representation; words are i18n keys (the caller translates), values are the contact's.
 * Media is described here; downloading it is the adapter's job.
 */
import { displayName } from '../media/media';

export interface Piece {
	/** i18n key of a label, or undefined for the contact's own text. */
	key?: string;
	params?: Record<string, string | number>;
	text?: string;
	/** The label of a media (shown when the file itself is not in the room). */
	media?: boolean;
}

export interface Described {
	pieces: Piece[];
	/** A media attachment to fetch through the Graph media endpoint. */
	media?: { kind: string; id: string; mimeType?: string; filename?: string; caption?: string };
	/** The wamid this message replies to (a quote, a button of a template...). */
	replyTo?: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

const MEDIA = ['image', 'video', 'audio', 'document', 'sticker'];

/**
 * What a contact did that WhatsApp does not pass on (`unsupported.type` of an `unsupported`
 * message, as Meta's unsupported messages webhook reference lists them, and `edit`), and the i18n
 * key of its text in the room. A kind not listed here gets the generic text, naming the kind.
 */
const UNSUPPORTED_KINDS: Record<string, string> = {
	edit: 'inbound_unsupported_edit',
	pin: 'inbound_unsupported_pin',
	keep_in_chat: 'inbound_unsupported_keep_in_chat',
	reaction: 'inbound_unsupported_reaction',
	poll_creation: 'inbound_unsupported_poll_creation',
	poll_update: 'inbound_unsupported_poll_update',
	gif: 'inbound_unsupported_gif',
	group_invite: 'inbound_unsupported_group_invite',
	link_preview: 'inbound_unsupported_link_preview',
	image: 'inbound_unsupported_image',
	location: 'inbound_unsupported_location',
	media_placeholder: 'inbound_unsupported_media_placeholder',
	product: 'inbound_unsupported_order',
	order: 'inbound_unsupported_order',
	interactive: 'inbound_unsupported_interactive',
	list: 'inbound_unsupported_interactive',
};

/** The kind of an `unsupported` message (Meta's `unsupported.type`), when Meta names one. */
export function unsupportedKind(message: Obj): string | undefined {
	if (str(message.type) !== 'unsupported') return undefined;
	return str(obj(message.unsupported).type) || undefined;
}

export function describeInbound(message: Obj): Described {
	const type = str(message.type);
	const context = obj(message.context);
	const product = obj(context.referred_product);
	// A product inquiry's context is the catalog message, not a message of the conversation.
	const replyTo = (!str(product.product_retailer_id) && str(context.id)) || undefined;
	const body = obj(message[type]);
	const pieces: Piece[] = [];
	const referral = obj(message.referral);
	if (str(referral.source_url) || str(referral.headline)) {
		pieces.push({
			key: 'inbound_referral',
			params: { headline: str(referral.headline) || str(referral.body) || '-', url: str(referral.source_url) || '-' },
		});
	}
	if (str(product.product_retailer_id))
		pieces.push({ key: 'inbound_product_inquiry', params: { product: str(product.product_retailer_id) } });
	if (type === 'text') {
		pieces.push({ text: str(body.body) });
	} else if (MEDIA.includes(type)) {
		const voice = type === 'audio' && body.voice === true;
		pieces.push({ key: `inbound_${voice ? 'voice' : type}`, params: { name: displayName(str(body.filename)) }, media: true });
		if (str(body.caption)) pieces.push({ text: str(body.caption) });
		return {
			pieces,
			replyTo,
			media: {
				kind: type,
				id: str(body.id),
				mimeType: str(body.mime_type) || undefined,
				filename: str(body.filename) || undefined,
				caption: str(body.caption) || undefined,
			},
		};
	} else if (type === 'location') {
		const lat = str(body.latitude);
		const lng = str(body.longitude);
		pieces.push({
			key: 'inbound_location',
			params: { name: str(body.name), address: str(body.address), map: `https://maps.google.com/?q=${lat},${lng}` },
		});
		// "Location URL. Usually only included for business locations." (Meta's LocationMessage schema)
		if (str(body.url)) pieces.push({ key: 'inbound_location_url', params: { url: str(body.url) } });
	} else if (type === 'contacts') {
		for (const c of Array.isArray(message.contacts) ? message.contacts : []) {
			const contact = obj(c);
			const phones = (Array.isArray(contact.phones) ? contact.phones : []).map((p) => str(obj(p).phone)).filter(Boolean);
			const emails = (Array.isArray(contact.emails) ? contact.emails : []).map((e) => str(obj(e).email)).filter(Boolean);
			pieces.push({
				key: 'inbound_contact',
				params: { name: str(obj(contact.name).formatted_name), phones: phones.join(', ') || '-', emails: emails.join(', ') || '-' },
			});
			// Where the contact works: `org.company`, `org.department`, `org.title` (Meta's contacts schema).
			const org = obj(contact.org);
			const works = [str(org.company), str(org.department), str(org.title)].filter(Boolean);
			if (works.length) pieces.push({ key: 'inbound_contact_org', params: { org: works.join(' · ') } });
		}
	} else if (type === 'button') {
		pieces.push({ key: 'inbound_button', params: { text: str(body.text), payload: str(body.payload) } });
	} else if (type === 'interactive') {
		const reply = obj(body.button_reply ?? body.list_reply ?? body.nfm_reply);
		pieces.push({
			key: 'inbound_button',
			params: { text: str(reply.title ?? reply.body), payload: str(reply.id ?? reply.response_json) },
		});
		// A list row's description (InteractiveListReplyContent), the words under its title the contact saw.
		if (body.list_reply !== undefined && str(reply.description))
			pieces.push({ key: 'inbound_list_reply_description', params: { description: str(reply.description) } });
	} else if (type === 'reaction') {
		const emoji = str(body.emoji);
		pieces.push(emoji ? { key: 'inbound_reaction', params: { emoji } } : { key: 'inbound_reaction_removed' });
		return { pieces, replyTo: str(body.message_id) || replyTo };
	} else if (type === 'order') {
		pieces.push(...orderPieces(body));
	} else if (type === 'system') {
		pieces.push({ key: 'inbound_system', params: { text: str(body.body) } });
	} else {
		// unsupported, unknown, or a type added after this app: a notice, never silence.
		const kind = unsupportedKind(message);
		const known =
			kind !== undefined && Object.prototype.hasOwnProperty.call(UNSUPPORTED_KINDS, kind) ? UNSUPPORTED_KINDS[kind] : undefined;
		if (known) pieces.push({ key: known });
		else {
			const error = obj(Array.isArray(message.errors) ? message.errors[0] : undefined);
			// A kind this app has no words for is named as Meta wrote it, when it looks like one.
			const named = kind && kind.length <= 40 && /^[a-z]+(?:_[a-z]+)*$/.test(kind) ? `${type}: ${kind}` : type;
			pieces.push({
				key: 'inbound_unsupported',
				params: { type: named || 'unknown', details: str(obj(error.error_data).details) || str(error.title) },
			});
		}
	}
	return { pieces, replyTo };
}

/** A price as Meta gives it (`item_price`, a float): at most two decimals, none when whole. */
const price = (value: number): string => String(Math.round(value * 100) / 100);

/**
 * An order (Meta's OrderMessage, "Order Message" in webhook-inbound.examples.json): a line per item
 * with its quantity, product and price (`item_price`, "Individual product price", in `currency`),
 * the total when every item has a price in one currency, then the contact's text if any.
 */
function orderPieces(order: Obj): Piece[] {
	const items = (Array.isArray(order.product_items) ? order.product_items : []).map(obj);
	const priced = (i: Obj) => str(i.item_price) !== '' && Number.isFinite(Number(i.item_price)) && str(i.currency) !== '';
	const pieces: Piece[] = [{ key: 'inbound_order' }];
	for (const i of items) {
		const params = { quantity: str(i.quantity), product: str(i.product_retailer_id) };
		pieces.push(
			priced(i)
				? { key: 'inbound_order_item', params: { ...params, price: price(Number(i.item_price)), currency: str(i.currency) } }
				: { key: 'inbound_order_item_unpriced', params },
		);
	}
	const currencies = new Set(items.map((i) => str(i.currency)));
	if (
		items.length &&
		currencies.size === 1 &&
		items.every((i) => priced(i) && str(i.quantity) !== '' && Number.isFinite(Number(i.quantity)))
	) {
		const total = items.reduce((sum, i) => sum + Number(i.quantity) * Number(i.item_price), 0);
		pieces.push({ key: 'inbound_order_total', params: { total: price(total), currency: [...currencies][0] } });
	}
	if (str(order.text)) pieces.push({ text: str(order.text) });
	return pieces;
}

/** The pieces as one text, with a translator for the labels. */
export function describedText(described: Described, t: (key: string, params?: Record<string, string | number>) => string): string {
	return described.pieces
		.map((p) => (p.key ? t(p.key, p.params) : (p.text ?? '')))
		.filter(Boolean)
		.join('\n');
}
