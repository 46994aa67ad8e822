/**
 * Sends (`POST /{Phone-Number-ID}/messages`): the answer Meta gives, read receipts, the throughput
 * cap of a number (error 130429) and errors a test injects into the next sends.
 */
import { metaError, serverError, SimResponse } from './metaErrors';
import type { MediaStore } from './media';
import type { SimNumber } from './numbers';
import type { Templates } from './templates';
import { templateRefusal } from './templateSends';
import { wamidFor } from './webhookPayloads';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface SentMessage {
	phoneNumberId: string;
	wamid: string;
	/** `contacts[0].wa_id` of the answer (a send to a BSUID: the BSUID). */
	waId: string;
	/** The business-scoped user id a send went to (`recipient`), when it went to one. */
	userId?: string;
	body: Any;
	at: number;
}

export interface InjectedError {
	/** A WhatsApp/Graph error code (131047, 132000, 132001, 131056, 131026, 190, 100, 130429...) or an HTTP status 500-599. */
	code: number;
	/** How many sends fail (default 1). */
	count?: number;
	/** Only sends whose body matches fail. */
	match?: (body: Any) => boolean;
	/** For an HTTP 5xx: an HTML page (default, as a failing proxy answers) or Graph's JSON error. */
	body?: 'html' | 'json';
}

const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];

/**
 * An authentication template's code button (`OTP` as created, or the copy-code URL button Meta lists
 * it as): one-tap, zero-tap and copy-code codes go to phone numbers only.
 */
function needsPhoneNumber(template: Any): boolean {
	if (String(template?.category ?? '').toUpperCase() !== 'AUTHENTICATION') return false;
	const buttons: Any[] = (template.components ?? []).find((c: Any) => String(c?.type).toUpperCase() === 'BUTTONS')?.buttons ?? [];
	return buttons.some((b) => String(b?.type).toUpperCase() === 'OTP' || String(b?.url ?? '').startsWith('https://www.whatsapp.com/otp/'));
}

export class Messages {
	readonly sent: SentMessage[] = [];
	/** Read receipts the app sent (`status: read`), as wamids. */
	readonly readReceipts: string[] = [];
	/** What Meta answers as `contacts[].wa_id` for a recipient (default: its digits). */
	readonly waIds = new Map<string, string>();
	/** How many sends the throughput cap answered with 130429. */
	throttled = 0;
	/** Told of each accepted message before it is answered; the answer waits for what it returns (tests drive Meta's timing). */
	onAccepted?: (message: SentMessage) => void | Promise<void>;
	/** How many of the next accepted sends lose their connection before the answer (`dropAnswers`). */
	answersToDrop = 0;
	private readonly injected = new Map<string, Array<InjectedError & { count: number }>>();
	private readonly caps = new Map<string, { perSecond: number; accepted: number[] }>();

	constructor(private readonly media: MediaStore) {}

	/** Sends above `messagesPerSecond` in any one-second window get error 130429. */
	setThroughputCap(phoneNumberId: string, messagesPerSecond: number): void {
		this.caps.set(phoneNumberId, { perSecond: messagesPerSecond, accepted: [] });
	}

	/** The next `count` (default 1) sends from `phoneNumberId` (matching `match`, if given) fail with `code`. */
	injectError(phoneNumberId: string, error: InjectedError): void {
		if (error.code < 500 || error.code > 599) metaError(error.code); // throws now for a code Meta's table lacks
		const list = this.injected.get(phoneNumberId) ?? [];
		list.push({ ...error, count: error.count ?? 1 });
		this.injected.set(phoneNumberId, list);
	}

	/**
	 * A send (token and spec already checked): a read receipt, or a message refused for its media, the
	 * cap, its recipient (an authentication code to a BSUID), an injected error or its template
	 * (templateSends.ts), else accepted.
	 */
	send(number: SimNumber, body: Any, templates?: Templates): SimResponse {
		if (body?.status === 'read') {
			this.readReceipts.push(String(body.message_id));
			return { status: 200, payload: { success: true } };
		}
		// A media message by id must name a media of this number (one it uploaded or received).
		const mediaType = MEDIA_TYPES.includes(body?.type) ? body.type : undefined;
		const mediaId = mediaType ? body[mediaType]?.id : undefined;
		if (mediaId !== undefined) {
			const known = this.media.find(String(mediaId));
			if (!known || known.phoneNumberId !== number.phoneNumberId) return metaError(131053, `Media ${String(mediaId)} not found`);
		}
		if (this.overCap(number.phoneNumberId)) {
			this.throttled++;
			return metaError(130429);
		}
		// A send to a business-scoped user id (`recipient`, no `to`: the spec check refuses a BSUID in
		// `to`). Meta's "Business-scoped user IDs": BSUIDs take "any type of message except for one-tap,
		// zero-tap, and copy code authentication templates, which require user phone numbers" (131062).
		const userId = body?.to === undefined && typeof body?.recipient === 'string' ? body.recipient : undefined;
		if (
			userId &&
			body?.type === 'template' &&
			needsPhoneNumber(templates?.find(number.wabaId, body.template?.name, body.template?.language?.code))
		)
			return metaError(131062);
		const injected = (this.injected.get(number.phoneNumberId) ?? []).find((e) => e.count > 0 && (!e.match || e.match(body)));
		if (injected) {
			injected.count--;
			return injected.code >= 500 && injected.code <= 599
				? serverError(injected.code, injected.body ?? 'html')
				: metaError(injected.code);
		}
		// A template send is checked against the WABA's template of that name and language.
		if (body?.type === 'template' && templates) {
			const refused = templateRefusal(templates.find(number.wabaId, body.template?.name, body.template?.language?.code), body);
			if (refused) return refused;
		}
		// Meta answers a send to a BSUID with its `user_id` and no `wa_id`, and its statuses name
		// `recipient_user_id` (webhooks.ts), as for a user whose phone number Meta withholds.
		const to = userId ?? String(body?.to ?? '');
		const waId = userId ?? this.waIds.get(to.replace(/\D/g, '')) ?? to.replace(/\D/g, '');
		const wamid = wamidFor(waId);
		const sent: SentMessage = { phoneNumberId: number.phoneNumberId, wamid, waId, ...(userId ? { userId } : {}), body, at: Date.now() };
		this.sent.push(sent);
		const hold = this.onAccepted?.(sent);
		const message: Any = { id: wamid };
		// MessageResponsePayload.messages[].message_status (schema example: 'accepted'); Meta includes
		// it for template sends only (pacing: 'accepted' | 'held_for_quality_assessment' | 'paused').
		if (body?.type === 'template') message.message_status = 'accepted';
		const contact = userId ? { input: userId, user_id: userId } : { input: to, wa_id: waId };
		const payload = { messaging_product: 'whatsapp', contacts: [contact], messages: [message] };
		const drop = this.answersToDrop > 0;
		if (drop) this.answersToDrop--;
		return { status: 200, payload, ...(hold ? { hold: Promise.resolve(hold) } : {}), ...(drop ? { drop } : {}) };
	}

	/** Whether the number's cap refuses a send now; an accepted one is counted in its window. */
	private overCap(phoneNumberId: string): boolean {
		const cap = this.caps.get(phoneNumberId);
		if (!cap) return false;
		const now = Date.now();
		cap.accepted = cap.accepted.filter((t) => now - t < 1000);
		if (cap.accepted.length >= cap.perSecond) return true;
		cap.accepted.push(now);
		return false;
	}
}
