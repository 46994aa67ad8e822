/**
 * The payload POSTed to the admin's Message Status Endpoint URL: exactly the fields of Rocket.Chat's
 * published contract (shared/contracts/rocketchat/message-status-endpoint.payload-contract.json),
 * with their names and casing, plus documented additions that never replace them.
 *
 *   msId                 wamid; absent when Meta refused the send synchronously (there is none)
 *   message              the rendered text that was sent
 *   mobileNo             the recipient
 *   connectedWhatsAppNo  the sending number
 *   MessageStatus        queued | sent | delivered | read | failed | deleted (a contact's revoke), and Meta's `played`
 *   ErrorDetails         Meta's error object {code, title, message, error_data, href} or a string; absent when none
 *   type                 Template-Message | Regular-Message
 *   timestamp            string; Meta's unix seconds as Meta gave them (the send time for `queued`)
 * Additions: eventId, clientReference, roomId, templateName, templateLanguage, pricingCategory, campaignId
 * (the campaign a send belongs to: templateMessage with `async: true`, core/bulk/campaign.ts).
 */
import { Status } from './ordering';
import { MetaError, toMetaError } from './webhook';

export type MessageType = 'Template-Message' | 'Regular-Message';
export type ErrorDetails = MetaError | string;

/** What the app keeps of a message it sent (and which the status payload is built from). */
export interface SentMessageRecord {
	wamid?: string;
	/** The record's id when there is no wamid (a send Meta refused). */
	sendId?: string;
	phoneNumberId: string;
	connectedWhatsAppNo: string;
	mobileNo: string;
	message: string;
	type: MessageType;
	roomId?: string;
	clientReference?: string;
	templateName?: string;
	templateLanguage?: string;
	/** The campaign of the send (templateMessage with `async: true`). */
	campaignId?: string;
	/** ISO 8601. */
	sentAt: string;
}

export interface StatusPayload {
	msId?: string;
	message: string;
	mobileNo: string;
	connectedWhatsAppNo: string;
	MessageStatus: Status;
	ErrorDetails?: ErrorDetails;
	type: MessageType;
	timestamp: string;
	eventId?: string;
	clientReference?: string;
	roomId?: string;
	templateName?: string;
	templateLanguage?: string;
	pricingCategory?: string;
	campaignId?: string;
}

/** The contract's fields, in its order. */
export const CONTRACT_FIELDS = [
	'msId',
	'message',
	'mobileNo',
	'connectedWhatsAppNo',
	'MessageStatus',
	'ErrorDetails',
	'type',
	'timestamp',
] as const;
/** The documented additions. */
export const ADDITIONAL_FIELDS = [
	'eventId',
	'clientReference',
	'roomId',
	'templateName',
	'templateLanguage',
	'pricingCategory',
	'campaignId',
] as const;

export interface StatusExtra {
	/** Meta's timestamp, verbatim; defaults to the record's `sentAt` in unix seconds (for `queued` and a refused send). */
	timestamp?: string;
	/** Defaults to `statusEventId(messageKey(record), status)`. */
	eventId?: string;
	/** Meta's error (the first of a status's `errors[]` is used), or a string for a failure without one. */
	error?: ErrorDetails | MetaError[];
	pricingCategory?: string;
}

/** The key that orders a message's events: its wamid, or its send id when Meta refused it. */
export function messageKey(record: Pick<SentMessageRecord, 'wamid' | 'sendId'>): string | undefined {
	return record.wamid || record.sendId || undefined;
}

/** A status event's id, the same for every redelivery of it: `<wamid or send id>:<status>`. */
export function statusEventId(key: string, status: Status): string {
	return `${key}:${status}`;
}

/** `sentAt` (ISO) as Meta writes timestamps: unix seconds in a string. */
export function unixSecondsString(iso: string): string {
	const ms = Date.parse(iso);
	return Number.isFinite(ms) ? String(Math.floor(ms / 1000)) : iso;
}

export function buildStatusPayload(
	record: Omit<SentMessageRecord, 'sentAt'> & { sentAt?: string },
	status: Status,
	extra: StatusExtra = {},
): StatusPayload {
	// Keys in the contract's order; optional ones are left out (never set to undefined).
	const payload = {} as StatusPayload;
	if (record.wamid) payload.msId = record.wamid;
	payload.message = record.message;
	payload.mobileNo = record.mobileNo;
	payload.connectedWhatsAppNo = record.connectedWhatsAppNo;
	payload.MessageStatus = status;
	const details = toErrorDetails(extra.error);
	if (details !== undefined) payload.ErrorDetails = details;
	payload.type = record.type;
	payload.timestamp = extra.timestamp ?? (record.sentAt ? unixSecondsString(record.sentAt) : '');
	const key = messageKey(record);
	const eventId = extra.eventId ?? (key ? statusEventId(key, status) : undefined);
	if (eventId) payload.eventId = eventId;
	if (record.clientReference) payload.clientReference = record.clientReference;
	if (record.roomId) payload.roomId = record.roomId;
	if (record.templateName) payload.templateName = record.templateName;
	if (record.templateLanguage) payload.templateLanguage = record.templateLanguage;
	if (extra.pricingCategory) payload.pricingCategory = extra.pricingCategory;
	if (record.campaignId) payload.campaignId = record.campaignId;
	return payload;
}

/** Meta's error object (documented fields only), a non-empty string as it is, else `undefined`. */
export function toErrorDetails(error: ErrorDetails | MetaError[] | undefined): ErrorDetails | undefined {
	if (typeof error === 'string') return error || undefined;
	if (Array.isArray(error)) return error.length ? toMetaError(error[0] as Record<string, unknown>) : undefined;
	if (error && typeof error === 'object') return toMetaError(error as Record<string, unknown>);
	return undefined;
}
