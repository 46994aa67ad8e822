/**
 * Meta's side of webhooks: builds the payloads (statuses of sent messages, inbound messages),
 * serializes them as Meta does with the simulator's own serializer (metaJson.ts), signs those exact
 * bytes (`X-Hub-Signature-256`, HMAC-SHA256 with the app secret) and POSTs them to the app.
 */
import { createHmac } from 'crypto';

import { request } from '../http/client';
import type { SentMessage } from './messages';
import { statusError } from './metaErrors';
import { serializeMetaJson } from './metaJson';
import type { SimNumber } from './numbers';
import {
	bsuidFor,
	inboundMessagePayload,
	isBsuid,
	nowSeconds,
	StatusName,
	StatusObject,
	statusesPayload,
	WebhookNumber,
	WebhookPayload,
} from './webhookPayloads';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface StatusUpdate {
	wamid: string;
	status: StatusName;
	/** Seconds (string or number); now by default. */
	timestamp?: string | number;
	/** Error codes (expanded from Meta's table) or error objects; a `failed` status defaults to [131026]. */
	errors?: Array<number | Record<string, unknown>>;
	/** Needed only for a wamid the simulator did not issue. */
	recipientId?: string;
	phoneNumberId?: string;
	conversation?: unknown;
	pricing?: unknown;
}

/** The receiver's answer. */
export interface WebhookResponse {
	status: number;
	body: string;
}

export interface WebhookTarget {
	url: string;
	/** Signs deliveries; without it the addressed number's app secret is used. */
	appSecret?: string;
}

/** `X-Hub-Signature-256` of `raw` as Meta computes it: `sha256=` + hex HMAC-SHA256 keyed with the app secret. */
export function signLikeMeta(raw: string | Buffer, appSecret: string): string {
	return `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
}

/** POSTs `body` byte for byte (no re-serialization) and answers the receiver's status and body text. */
export async function postRaw(url: string, body: string, headers: Record<string, string>): Promise<WebhookResponse> {
	const answer = await request(url, { method: 'POST', raw: body, headers });
	return { status: answer.status, body: answer.text };
}

export class Webhooks {
	/** The app's webhook. */
	target?: WebhookTarget;

	constructor(
		private readonly numbers: Map<string, SimNumber>,
		private readonly sent: SentMessage[],
		/** Whether the numbers' Meta app (router.ts SUBSCRIBED_APP) is subscribed to the WABA's webhooks. */
		private readonly subscribed: (wabaId: string) => boolean = () => true,
	) {}

	/**
	 * Meta sends a WABA's webhooks to the apps subscribed to it ("Webhooks": POST
	 * /{WABA-ID}/subscribed_apps), each to its own callback URL: none reaches the app's when the
	 * numbers' app is not among them. `deliverRaw` stays free for forged and hand-made payloads.
	 */
	private checkSubscribed({ wabaId }: WebhookNumber): void {
		if (!this.subscribed(wabaId))
			throw new Error(`CloudApiSimulator: the numbers' Meta app is not subscribed to WABA ${wabaId}: Meta sends it no webhook`);
	}

	/**
	 * POSTs `payload` as Meta does: Meta's serialization, `X-Hub-Signature-256` over those exact
	 * bytes with `appSecret` (default: the target's, else the app secret of the first number the
	 * payload names). `options.signature` replaces the header (forgery tests).
	 */
	async deliverRaw(payload: unknown, appSecret?: string, options: { signature?: string } = {}): Promise<WebhookResponse> {
		if (!this.target) throw new Error('CloudApiSimulator: set webhookTarget first');
		const secret = appSecret ?? this.target.appSecret ?? this.secretOf(payload);
		const raw = serializeMetaJson(payload);
		const signature = options.signature ?? signLikeMeta(raw, secret);
		return postRaw(this.target.url, raw, { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature });
	}

	/** One POST (`batch`: statuses of a number in one change, one entry per WABA) or one POST per status, in order. */
	async deliverStatuses(list: StatusUpdate[], options: { batch?: boolean } = {}): Promise<WebhookResponse[]> {
		const items = list.map((s) => this.statusItem(s));
		for (const item of items) this.checkSubscribed(item.number);
		const payloads = options.batch ? [statusesPayload(items)] : items.map((item) => statusesPayload([item]));
		const results: WebhookResponse[] = [];
		for (const payload of payloads) results.push(await this.deliverRaw(payload));
		return results;
	}

	/** An inbound message from a WhatsApp user: `message` is a Meta message object or a text. */
	async deliverInboundMessage(input: {
		phoneNumberId: string;
		/** The user's phone number, or their business-scoped user id (webhookPayloads.ts inboundMessagePayload). */
		from: string;
		name: string;
		message: string | Record<string, unknown>;
		/** The user's WhatsApp username (`profile.username`). */
		username?: string;
	}): Promise<WebhookResponse> {
		const message = typeof input.message === 'string' ? { type: 'text', text: { body: input.message } } : input.message;
		this.checkSubscribed(this.webhookNumber(input.phoneNumberId));
		return this.deliverRaw(
			inboundMessagePayload(this.webhookNumber(input.phoneNumberId), input.from, input.name, message, input.username),
		);
	}

	/** The payload of an inbound text message (shape of meta-docs/webhook-incoming-text.json). */
	inboundTextPayload(
		phoneNumberId: string,
		message: { from: string; name: string; text: string; wamid?: string; timestamp?: string },
	): WebhookPayload {
		const body: Record<string, unknown> = { type: 'text', text: { body: message.text } };
		if (message.wamid) body.id = message.wamid;
		if (message.timestamp) body.timestamp = message.timestamp;
		return inboundMessagePayload(this.webhookNumber(phoneNumberId), message.from, message.name, body);
	}

	/** The payload of statuses of one number, batched in one change. */
	statusPayload(
		phoneNumberId: string,
		statuses: Array<{ wamid: string; status: string; recipient: string; timestamp?: string; errors?: unknown[] }>,
	): WebhookPayload {
		return statusesPayload(
			statuses.map((s) =>
				this.statusItem({
					wamid: s.wamid,
					status: s.status as StatusName,
					recipientId: s.recipient,
					phoneNumberId,
					timestamp: s.timestamp,
					errors: s.errors as StatusUpdate['errors'],
				}),
			),
		);
	}

	private statusItem(s: StatusUpdate): { number: WebhookNumber; status: StatusObject } {
		const sent = this.sent.find((m) => m.wamid === s.wamid);
		const phoneNumberId = s.phoneNumberId ?? sent?.phoneNumberId ?? (this.numbers.size === 1 ? [...this.numbers.keys()][0] : undefined);
		const recipientId = s.recipientId ?? sent?.waId;
		if (!phoneNumberId || !recipientId)
			throw new Error(`CloudApiSimulator: ${s.wamid} was not sent by the simulator; give phoneNumberId and recipientId`);
		// Meta's "Business-scoped user IDs": `recipient_user_id` is "always set to the user's BSUID,
		// regardless of whether the message was sent to the user's phone number or BSUID. For `failed`
		// status messages, will be omitted if the message was sent to the user's phone number";
		// `recipient_id` is left out for a send to a BSUID (as for a user whose phone Meta withholds).
		const toUser = isBsuid(recipientId);
		const userId = toUser ? recipientId : s.status === 'failed' ? undefined : bsuidFor(recipientId);
		const status: StatusObject = {
			id: s.wamid,
			status: s.status,
			timestamp: s.timestamp === undefined ? nowSeconds() : String(s.timestamp),
			...(toUser ? {} : { recipient_id: recipientId }),
			...(userId ? { recipient_user_id: userId } : {}),
		};
		// Meta echoes the send's biz_opaque_callback_data on its statuses (pywa/message_status.json `with_tracker`).
		const tracker = sent?.body?.biz_opaque_callback_data;
		if (typeof tracker === 'string') status.biz_opaque_callback_data = tracker;
		if (s.conversation) status.conversation = s.conversation;
		if (s.pricing) status.pricing = s.pricing;
		const errors = s.errors ?? (s.status === 'failed' ? [131026] : undefined);
		if (errors) status.errors = errors.map((e) => (typeof e === 'number' ? statusError(e) : e));
		return { number: this.webhookNumber(phoneNumberId), status };
	}

	private webhookNumber(phoneNumberId: string): WebhookNumber {
		const number = this.numbers.get(phoneNumberId);
		if (!number) throw new Error(`CloudApiSimulator: unknown number ${phoneNumberId}`);
		return number;
	}

	private secretOf(payload: unknown): string {
		const id = (payload as Any)?.entry?.[0]?.changes?.[0]?.value?.metadata?.phone_number_id;
		const number = this.numbers.get(String(id));
		if (!number) throw new Error('CloudApiSimulator: no app secret (set webhookTarget.appSecret or pass one)');
		return number.appSecret;
	}
}
