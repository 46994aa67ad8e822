/**
 * Meta's webhook payload, walked into typed events: every `entry[] x changes[]`, and in each
 * `value` its `statuses[]`, `messages[]` and `errors[]`. Tolerant by design: unknown fields are
 * ignored, unknown `field` kinds and malformed parts are counted and skipped, nothing throws.
 */

export interface MetaError {
	code?: number;
	title?: string;
	message?: string;
	error_data?: unknown;
	href?: string;
}

export interface StatusEvent {
	kind: 'status';
	phoneNumberId: string;
	displayPhoneNumber: string;
	wamid: string;
	status: string;
	timestamp: string;
	recipientId: string;
	recipientType?: string;
	errors?: MetaError[];
	pricingCategory?: string;
	conversationId?: string;
	bizOpaqueCallbackData?: string;
}

export interface InboundMessageEvent {
	kind: 'message';
	phoneNumberId: string;
	displayPhoneNumber: string;
	wamid: string;
	from: string;
	type: string;
	timestamp: string;
	contactName?: string;
	raw: Record<string, unknown>;
}

export interface ValueErrorEvent {
	kind: 'value-error';
	phoneNumberId: string;
	error: MetaError;
}

export interface TemplateStatusEvent {
	kind: 'template-status';
	wabaId: string;
	event: string;
	templateId?: string;
	templateName?: string;
	language?: string;
	reason?: string;
}

export type WebhookEvent = StatusEvent | InboundMessageEvent | ValueErrorEvent | TemplateStatusEvent;

export interface WalkResult {
	events: WebhookEvent[];
	/** Parts skipped: unknown `field` kinds, or entries without what an event needs. */
	ignored: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

export function walkWebhook(payload: unknown): WalkResult {
	const events: WebhookEvent[] = [];
	let ignored = 0;
	if (!isObj(payload)) return { events, ignored: 1 };
	for (const entry of list(payload.entry)) {
		if (!isObj(entry)) {
			ignored++;
			continue;
		}
		for (const change of list(entry.changes)) {
			if (!isObj(change) || !isObj(change.value)) {
				ignored++;
				continue;
			}
			const value = change.value;
			if (change.field === 'message_template_status_update') {
				events.push({
					kind: 'template-status',
					wabaId: str(entry.id) ?? '',
					event: str(value.event) ?? '',
					templateId: str(value.message_template_id),
					templateName: str(value.message_template_name),
					language: str(value.message_template_language),
					reason: str(value.reason),
				});
				continue;
			}
			if (change.field !== 'messages') {
				ignored++;
				continue;
			}
			const metadata = isObj(value.metadata) ? value.metadata : {};
			const phoneNumberId = str(metadata.phone_number_id) ?? '';
			const displayPhoneNumber = str(metadata.display_phone_number) ?? '';
			for (const s of list(value.statuses)) {
				const status = isObj(s) ? toStatus(s, phoneNumberId, displayPhoneNumber) : undefined;
				if (status) events.push(status);
				else ignored++;
			}
			const contacts = list(value.contacts).filter(isObj);
			for (const m of list(value.messages)) {
				if (!isObj(m) || !str(m.id) || !str(m.from)) {
					ignored++;
					continue;
				}
				const contact = contacts.find((c) => c.wa_id === m.from);
				events.push({
					kind: 'message',
					phoneNumberId,
					displayPhoneNumber,
					wamid: str(m.id) as string,
					from: str(m.from) as string,
					type: str(m.type) ?? 'unknown',
					timestamp: str(m.timestamp) ?? '',
					contactName: isObj(contact?.profile) ? str((contact?.profile as Obj).name) : undefined,
					raw: m,
				});
			}
			for (const e of list(value.errors)) {
				if (isObj(e)) events.push({ kind: 'value-error', phoneNumberId, error: e as MetaError });
				else ignored++;
			}
		}
	}
	return { events, ignored };
}

function toStatus(s: Obj, phoneNumberId: string, displayPhoneNumber: string): StatusEvent | undefined {
	const wamid = str(s.id);
	const status = str(s.status);
	if (!wamid || !status) return undefined;
	const conversation = isObj(s.conversation) ? s.conversation : undefined;
	const pricing = isObj(s.pricing) ? s.pricing : undefined;
	const errors = list(s.errors).filter(isObj) as MetaError[];
	return {
		kind: 'status',
		phoneNumberId,
		displayPhoneNumber,
		wamid,
		status,
		timestamp: str(s.timestamp) ?? '',
		recipientId: str(s.recipient_id) ?? '',
		...(str(s.recipient_type) ? { recipientType: str(s.recipient_type) } : {}),
		...(errors.length ? { errors } : {}),
		...(pricing && str(pricing.category) ? { pricingCategory: str(pricing.category) } : {}),
		...(conversation && str(conversation.id) ? { conversationId: str(conversation.id) } : {}),
		...(str(s.biz_opaque_callback_data) ? { bizOpaqueCallbackData: str(s.biz_opaque_callback_data) } : {}),
	};
}
