import { fromMetaStatus, Status } from '../../../../src/core/status/ordering';
import {
	ADDITIONAL_FIELDS,
	buildStatusPayload,
	CONTRACT_FIELDS,
	SentMessageRecord,
	StatusPayload,
} from '../../../../src/core/status/payload';
import { StatusEvent, walkWebhook } from '../../../../src/core/status/webhook';
import { readContract } from './contracts';

const contract = readContract<{ fields: Record<string, { type: string }> }>('rocketchat/message-status-endpoint.payload-contract.json');

const record: SentMessageRecord = {
	wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA',
	phoneNumberId: '106540352242922',
	connectedWhatsAppNo: '15550783881',
	mobileNo: '16505551234',
	message: 'Your order 123 has shipped',
	type: 'Template-Message',
	templateName: 'order_shipped',
	templateLanguage: 'en_US',
	clientReference: 'crm-42',
	roomId: 'room1',
	campaignId: 'c-7',
	sentAt: '2025-06-28T20:34:00.000Z',
};

const firstStatus = (file: string, key?: string): StatusEvent => {
	const fixture = readContract<Record<string, unknown>>(file);
	return walkWebhook(key ? fixture[key] : fixture).events[0] as StatusEvent;
};

describe('status payload vs the seed contract', () => {
	it("CONTRACT_FIELDS are the contract's fields, same names, casing and order", () => {
		expect([...CONTRACT_FIELDS]).toEqual(Object.keys(contract.fields));
	});

	it('a failed template message has every contract field, in order, then only documented additions', () => {
		const failed = firstStatus('meta-docs/webhook-status-failed-131049.json');
		const payload = buildStatusPayload(record, 'failed', {
			timestamp: failed.timestamp,
			error: failed.errors,
			pricingCategory: 'marketing',
		});
		const keys = Object.keys(payload);
		expect(keys.slice(0, CONTRACT_FIELDS.length)).toEqual(Object.keys(contract.fields));
		expect(keys.slice(CONTRACT_FIELDS.length)).toEqual([...ADDITIONAL_FIELDS]);
		expect(payload).toEqual<StatusPayload>({
			msId: record.wamid,
			message: 'Your order 123 has shipped',
			mobileNo: '16505551234',
			connectedWhatsAppNo: '15550783881',
			MessageStatus: 'failed',
			ErrorDetails: {
				code: 131049,
				title: 'This message was not delivered to maintain healthy ecosystem engagement.',
				message: 'This message was not delivered to maintain healthy ecosystem engagement.',
				error_data: { details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
				href: '/documentation/business-messaging/whatsapp/support/error-codes',
			},
			type: 'Template-Message',
			timestamp: '1751142888',
			eventId: `${record.wamid}:failed`,
			clientReference: 'crm-42',
			roomId: 'room1',
			templateName: 'order_shipped',
			templateLanguage: 'en_US',
			pricingCategory: 'marketing',
			campaignId: 'c-7',
		});
	});

	it('field types follow the contract: strings, ErrorDetails object or string', () => {
		const payload = buildStatusPayload(record, 'sent', { timestamp: '1750030073' });
		for (const field of ['msId', 'message', 'mobileNo', 'connectedWhatsAppNo', 'MessageStatus', 'type', 'timestamp'] as const)
			expect(typeof payload[field]).toBe('string');
		expect(payload).not.toHaveProperty('ErrorDetails');
		expect(['Template-Message', 'Regular-Message']).toContain(payload.type);
	});

	it('a send Meta refused synchronously: no msId at all, ErrorDetails as given, timestamp of the send', () => {
		const refused = {
			...record,
			wamid: undefined,
			sendId: 'send-1',
			type: 'Regular-Message' as const,
			templateName: undefined,
			templateLanguage: undefined,
		};
		const payload = buildStatusPayload(refused, 'failed', { error: 'The WhatsApp Cloud API could not be reached' });
		expect(payload).not.toHaveProperty('msId');
		expect(JSON.parse(JSON.stringify(payload))).not.toHaveProperty('msId');
		expect(payload).toMatchObject({
			MessageStatus: 'failed',
			ErrorDetails: 'The WhatsApp Cloud API could not be reached',
			type: 'Regular-Message',
			timestamp: '1751142840',
			eventId: 'send-1:failed',
		});
	});

	it('queued uses the send time in unix seconds, as Meta writes timestamps', () => {
		expect(buildStatusPayload(record, 'queued')).toMatchObject({
			MessageStatus: 'queued',
			timestamp: '1751142840',
			eventId: `${record.wamid}:queued`,
		});
	});

	it("keeps only the documented fields of Meta's error object", () => {
		const payload = buildStatusPayload(record, 'failed', {
			error: [{ code: 131026, title: 'Message undeliverable', fbtrace_id: 'x', extra: { secret: 1 } } as never],
		});
		expect(payload.ErrorDetails).toEqual({ code: 131026, title: 'Message undeliverable' });
	});

	it("passes Meta's played on and reports a contact's revoke as deleted", () => {
		const played = firstStatus('pywa/message_status.json', 'played');
		expect(buildStatusPayload(record, fromMetaStatus(played.status) as Status, { timestamp: played.timestamp }).MessageStatus).toBe(
			'played',
		);
		const { revoke } = readContract<{ revoke: unknown }>('pywa/deleted_message.json');
		const [event] = walkWebhook(revoke).events;
		expect(event.kind === 'message' && fromMetaStatus(event.type)).toBe('deleted');
	});

	it('every status of the pywa fixture makes a payload with the status and timestamp as Meta gave them', () => {
		const fixture = readContract<Record<string, unknown>>('pywa/message_status.json');
		for (const payload of Object.values(fixture)) {
			const event = walkWebhook(payload).events[0] as StatusEvent;
			const built = buildStatusPayload({ ...record, wamid: event.wamid }, fromMetaStatus(event.status) as Status, {
				timestamp: event.timestamp,
				error: event.errors,
				pricingCategory: event.pricingCategory,
			});
			expect(built).toMatchObject({ msId: event.wamid, MessageStatus: event.status, timestamp: event.timestamp });
			expect(built.ErrorDetails === undefined).toBe(event.status !== 'failed');
		}
	});
});
