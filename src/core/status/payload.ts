/**
 * The payload POSTed to the admin's Message Status Endpoint URL: exactly the fields of Rocket.Chat's
 * published contract (shared/contracts/rocketchat/message-status-endpoint.payload-contract.json),
 * plus documented additions that never replace them.
 */
import { MetaError } from './webhook';

export type MessageType = 'Template-Message' | 'Regular-Message';

/** Statuses as the contract names them; Meta's `played` is passed on, a contact's `revoke` is `deleted`. */
export type ForwardedStatus = 'queued' | 'failed' | 'sent' | 'delivered' | 'read' | 'played' | 'deleted';

export interface SentRecord {
	wamid?: string;
	phoneNumberId: string;
	connectedWhatsAppNo: string;
	mobileNo: string;
	message: string;
	type: MessageType;
	templateName?: string;
	templateLanguage?: string;
	clientReference?: string;
	roomId?: string;
}

export interface StatusPayload {
	msId?: string;
	message: string;
	mobileNo: string;
	connectedWhatsAppNo: string;
	MessageStatus: ForwardedStatus;
	ErrorDetails?: MetaError | string;
	type: MessageType;
	timestamp: string;
	/** Additions (documented in the README). */
	eventId: string;
	clientReference?: string;
	roomId?: string;
	templateName?: string;
	templateLanguage?: string;
	pricingCategory?: string;
}

export function buildStatusPayload(
	record: SentRecord,
	status: ForwardedStatus,
	details: { timestamp: string; eventId: string; error?: MetaError | string; pricingCategory?: string },
): StatusPayload {
	// `msId` is left out (undefined) when Meta refused the send synchronously: there is no wamid.
	const payload: StatusPayload = {
		...(record.wamid ? { msId: record.wamid } : {}),
		message: record.message,
		mobileNo: record.mobileNo,
		connectedWhatsAppNo: record.connectedWhatsAppNo,
		MessageStatus: status,
		type: record.type,
		timestamp: details.timestamp,
		eventId: details.eventId,
	};
	if (details.error !== undefined) payload.ErrorDetails = details.error;
	if (record.clientReference) payload.clientReference = record.clientReference;
	if (record.roomId) payload.roomId = record.roomId;
	if (record.templateName) payload.templateName = record.templateName;
	if (record.templateLanguage) payload.templateLanguage = record.templateLanguage;
	if (details.pricingCategory) payload.pricingCategory = details.pricingCategory;
	return payload;
}

/** Meta's status word -> the contract's. Unknown words are not forwarded. */
export function forwardedStatus(metaStatus: string): ForwardedStatus | undefined {
	switch (metaStatus) {
		case 'sent':
		case 'delivered':
		case 'read':
		case 'played':
		case 'failed':
			return metaStatus;
		case 'deleted':
		case 'revoke':
			return 'deleted';
		default:
			return undefined;
	}
}

/** Setting "Filter Message Status": all, regular, template. */
export function passesFilter(filter: string, type: MessageType): boolean {
	if (filter === 'regular') return type === 'Regular-Message';
	if (filter === 'template') return type === 'Template-Message';
	return true;
}
