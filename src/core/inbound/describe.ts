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
	/** Why the message could not be described (its error's name, never its text): it shows as unreadable. */
	unreadable?: string;
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

/**
 * What the room shows of a contact's message. A message whose description fails (a shape no rule
 * here foresaw) is shown as one the app could not read, never an error: an error would hold the
 * contact's later messages behind it, retried for a day, failing each time.
 */
export function describeInbound(message: Obj): Described {
	try {
		return describeMessage(message);
	} catch (error) {
		return {
			pieces: [{ key: 'inbound_unreadable', params: { type: str(obj(message).type) || '-' } }],
			unreadable: error instanceof Error ? error.name : 'error',
		};
	}
}

function describeMessage(message: Obj): Described {
	const type = str(message.type);
	const context = obj(message.context);
	const product = obj(context.referred_product);
	// A product inquiry's context is the catalog message, not a message of the conversation.
	const replyTo = (!str(product.product_retailer_id) && str(context.id)) || undefined;
	const body = obj(message[type]);
	const pieces: Piece[] = [];
	// "forwarded" / "frequently_forwarded" (Meta's messages webhook reference, context object: the
	// message was forwarded, or forwarded more than 5 times), as WhatsApp marks it on the phone.
	if (context.frequently_forwarded === true) pieces.push({ key: 'inbound_frequently_forwarded' });
	else if (context.forwarded === true) pieces.push({ key: 'inbound_forwarded' });
	pieces.push(...referralPieces(obj(message.referral)));
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
		// A location may be coordinates alone (LocationMessage: `name` and `address` are optional).
		const map = lat && lng ? `https://maps.google.com/?q=${lat},${lng}` : '';
		// The place's name, then its address, then the map: each told apart.
		const place = [str(body.name), str(body.address)].filter(Boolean).join(' — ');
		pieces.push({ key: 'inbound_location', params: { place: [place, map].filter(Boolean).join(' · ') || '-' } });
		// "Location URL. Usually only included for business locations." (Meta's LocationMessage schema)
		if (str(body.url)) pieces.push({ key: 'inbound_location_url', params: { url: str(body.url) } });
	} else if (type === 'contacts') {
		for (const c of Array.isArray(message.contacts) ? message.contacts : []) pieces.push(...contactPieces(obj(c)));
	} else if (type === 'button') {
		pieces.push({ key: 'inbound_button', params: { text: str(body.text), payload: str(body.payload) } });
	} else if (type === 'interactive') {
		pieces.push(...interactivePieces(body));
	} else if (type === 'request_welcome') {
		// The contact opened the chat for the first time (Meta sends it, with no body, to a number whose
		// conversational automation has `enable_welcome_message`): nothing they wrote, but a chat begun.
		pieces.push({ key: 'inbound_request_welcome' });
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
			const named = kind && wordOf(kind) ? `${type}: ${kind}` : type;
			// Meta's words, and its error code (131051, say) for whoever looks it up.
			const details = str(obj(error.error_data).details) || str(error.title) || str(error.message);
			const code = /^\d+$/.test(String(error.code ?? '')) ? `(${String(error.code)})` : '';
			pieces.push({
				key: 'inbound_unsupported',
				params: { type: named || 'unknown', details: [details, code].filter(Boolean).join(' ') },
			});
		}
	}
	return { pieces, replyTo };
}

/** The words of a kind Meta names (a subtype, an unsupported kind), when it looks like one: else undefined. */
const wordOf = (kind: string): string | undefined => (kind.length <= 40 && /^[a-z]+(?:_[a-z]+)*$/.test(kind) ? kind : undefined);

/**
 * Where a contact came from (Meta's ReferralObject, "Text Message from Click to WhatsApp Ad"): the ad,
 * or the post (`source_type`), with its `headline` and its `body` (the ad's primary text), and the
 * greeting WhatsApp showed the contact (`welcome_message.text`).
 */
function referralPieces(referral: Obj): Piece[] {
	const headline = str(referral.headline);
	const text = str(referral.body);
	if (!str(referral.source_url) && !headline && !text) return [];
	const post = str(referral.source_type) === 'post';
	const pieces: Piece[] = [
		{
			key: post ? 'inbound_referral_post' : 'inbound_referral',
			params: { headline: headline || text || '-', url: str(referral.source_url) || '-' },
		},
	];
	if (headline && text) pieces.push({ key: post ? 'inbound_referral_post_body' : 'inbound_referral_body', params: { body: text } });
	// The image or video the contact saw (`media_type`, with `image_url` or `video_url`): a link Meta gives.
	const media = str(referral.media_type);
	const url = media === 'image' ? str(referral.image_url) : media === 'video' ? str(referral.video_url) : '';
	if (/^https:\/\/\S+$/.test(url))
		pieces.push({ key: media === 'image' ? 'inbound_referral_image' : 'inbound_referral_video', params: { url } });
	const welcome = str(obj(referral.welcome_message).text);
	if (welcome) pieces.push({ key: 'inbound_referral_welcome', params: { text: welcome } });
	return pieces;
}

const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

/**
 * A shared contact card (Meta's ContactObject): its name (`formatted_name`, else the name's parts),
 * phones and emails; then where it works (`org`), its `addresses` (Meta sends no formatted address:
 * the parts joined, with the address's `type`), `urls` and `birthday`, when the card has them.
 */
function contactPieces(contact: Obj): Piece[] {
	const name = obj(contact.name);
	const shown =
		str(name.formatted_name) ||
		[str(name.prefix), str(name.first_name), str(name.middle_name), str(name.last_name), str(name.suffix)].filter(Boolean).join(' ');
	// A phone as the card has it, else its WhatsApp id; with its kind (MOBILE, WORK...) when given.
	const phones = list(contact.phones)
		.map((p) => [str(p.phone) || (/^\d+$/.test(str(p.wa_id)) ? `+${str(p.wa_id)}` : ''), str(p.type)] as const)
		.filter(([phone]) => phone)
		.map(([phone, kind]) => (kind ? `${phone} (${kind})` : phone));
	const emails = list(contact.emails)
		.map((e) => str(e.email))
		.filter(Boolean);
	const pieces: Piece[] = [
		{ key: 'inbound_contact', params: { name: shown || '-', phones: phones.join(', ') || '-', emails: emails.join(', ') || '-' } },
	];
	// Where the contact works: `org.company`, `org.department`, `org.title` (Meta's contacts schema).
	const org = obj(contact.org);
	const works = [str(org.company), str(org.department), str(org.title)].filter(Boolean);
	if (works.length) pieces.push({ key: 'inbound_contact_org', params: { org: works.join(' · ') } });
	for (const a of list(contact.addresses)) {
		const parts = [str(a.street), str(a.city), str(a.state), str(a.zip), str(a.country) || str(a.country_code)].filter(Boolean);
		if (parts.length)
			pieces.push({
				key: 'inbound_contact_address',
				params: { address: parts.join(', ') + (str(a.type) ? ` (${str(a.type)})` : '') },
			});
	}
	const urls = list(contact.urls)
		.map((u) => str(u.url))
		.filter(Boolean);
	if (urls.length) pieces.push({ key: 'inbound_contact_urls', params: { urls: urls.join(', ') } });
	if (str(contact.birthday)) pieces.push({ key: 'inbound_contact_birthday', params: { birthday: str(contact.birthday) } });
	return pieces;
}

/**
 * A contact's answer to an interactive message (Meta's InteractiveMessageReply): a button or a list
 * row (`button_reply`, `list_reply`), a WhatsApp Flow's form (`nfm_reply`), a call permission
 * request's answer (`call_permission_reply`); any other kind is named, never shown empty.
 */
function interactivePieces(body: Obj): Piece[] {
	const reply = body.button_reply ?? body.list_reply;
	if (typeof reply === 'object' && reply !== null) {
		const r = obj(reply);
		const pieces: Piece[] = [{ key: 'inbound_button', params: { text: str(r.title), payload: str(r.id) } }];
		// A list row's description (InteractiveListReplyContent), the words under its title the contact saw.
		if (body.list_reply !== undefined && str(r.description))
			pieces.push({ key: 'inbound_list_reply_description', params: { description: str(r.description) } });
		return pieces;
	}
	if (typeof body.nfm_reply === 'object' && body.nfm_reply !== null) return flowPieces(obj(body.nfm_reply));
	if (typeof body.call_permission_reply === 'object' && body.call_permission_reply !== null) {
		const pieces = callPermissionPieces(obj(body.call_permission_reply));
		if (pieces.length) return pieces;
	}
	return [{ key: 'inbound_interactive_other', params: { type: wordOf(str(body.type)) ?? 'unknown' } }];
}

/** At most this many characters of a form's answer: its `response_json` when it does not parse, or one field's value. */
const FLOW_TEXT_MAX = 1000;
/** At most this many fields of a form's answer are listed; the others are counted. */
const FLOW_FIELDS_MAX = 50;

const bounded = (text: string, max = FLOW_TEXT_MAX): string => {
	if (text.length <= max) return text;
	// Not half of a surrogate pair.
	const cut = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
	return `${text.slice(0, cut)}…`;
};

/** A value of a form's answer as a line shows it: a list of words joined, a nested object by its dotted keys. */
function flowFields(value: unknown, key: string, out: Array<[string, string]>, depth = 0): void {
	if (typeof value === 'object' && value !== null && !Array.isArray(value) && depth < 4) {
		for (const [k, v] of Object.entries(value)) flowFields(v, key ? `${key}.${k}` : k, out, depth + 1);
		return;
	}
	const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
	const text =
		typeof value === 'string'
			? value
			: Array.isArray(value) && value.every(scalar)
				? value.map(String).join(', ')
				: scalar(value)
					? String(value)
					: jsonText(value);
	out.push([key, bounded(text) || '-']);
}

/** A value as JSON; one nested too deep to write (thousands of levels) as an ellipsis. */
function jsonText(value: unknown): string {
	try {
		return JSON.stringify(value) ?? '';
	} catch {
		return '…';
	}
}

/**
 * A WhatsApp Flow's answer (`nfm_reply`; Meta's "Receiving Flow Response",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/flows/guides/receiveflowresponse):
 * that a form was answered (its `name`, "flow" or "address_message", and `body`, "Sent"), then the
 * fields of `response_json`, a JSON string, as `key: value` lines, without the `flow_token` (the
 * business's own id for the flow it sent). One that does not parse into an object is shown as it
 * came, up to FLOW_TEXT_MAX characters.
 */
function flowPieces(reply: Obj): Piece[] {
	const form = [str(reply.name), str(reply.body)].filter(Boolean).join(' · ');
	const pieces: Piece[] = [{ key: 'inbound_flow_reply', params: { form: form || '-' } }];
	const raw = str(reply.response_json);
	if (!raw) return pieces;
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		parsed = undefined;
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return [...pieces, { text: bounded(raw) }];
	const fields: Array<[string, string]> = [];
	for (const [key, value] of Object.entries(parsed)) if (key !== 'flow_token') flowFields(value, key, fields);
	for (const [key, value] of fields.slice(0, FLOW_FIELDS_MAX)) pieces.push({ text: `${key}: ${value}` });
	if (fields.length > FLOW_FIELDS_MAX) pieces.push({ text: `… (+${fields.length - FLOW_FIELDS_MAX})` });
	return pieces;
}

/**
 * The contact's answer to a call permission request (`call_permission_reply`; Meta's "Obtain user
 * call permissions", business-initiated calling): `response` accept or reject; an accepted one is
 * permanent (`is_permanent`) or lasts until `expiration_timestamp` (unix seconds), shown in UTC.
 * An answer of neither word gives no pieces (the caller names the kind instead).
 */
function callPermissionPieces(reply: Obj): Piece[] {
	const response = str(reply.response);
	if (response === 'reject') return [{ key: 'inbound_call_permission_rejected' }];
	if (response !== 'accept') return [];
	if (reply.is_permanent === true) return [{ key: 'inbound_call_permission_accepted_permanent' }];
	const seconds = str(reply.expiration_timestamp) === '' ? NaN : Number(str(reply.expiration_timestamp));
	const until = Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
	if (until && !Number.isNaN(until.getTime()))
		return [
			{
				key: 'inbound_call_permission_accepted_until',
				params: { date: `${until.toISOString().slice(0, 16).replace('T', ' ')} UTC` },
			},
		];
	return [{ key: 'inbound_call_permission_accepted' }];
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
