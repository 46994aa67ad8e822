import {
	InboundMessageEvent,
	StatusEvent,
	TemplateStatusEvent,
	ValueErrorEvent,
	walkWebhook,
	WebhookEvent,
} from '../../../../src/core/status/webhook';
import { readContract } from './contracts';

const kinds = (events: WebhookEvent[]) => {
	const counts: Record<string, number> = {};
	for (const e of events) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
	return counts;
};
const statuses = (events: WebhookEvent[]) => events.filter((e): e is StatusEvent => e.kind === 'status');

describe('walkWebhook over every contract fixture', () => {
	it.each([
		['meta-docs/webhook-status-sent-marketing.json', { status: 1 }],
		['meta-docs/webhook-status-v24-minimal.json', { status: 1 }],
		['meta-docs/webhook-status-failed-131049.json', { status: 1 }],
		['meta-docs/webhook-value-errors-130429.json', { 'value-error': 1 }],
		['meta-docs/webhook-incoming-text.json', { message: 1 }],
		['meta-docs/webhook-incoming-button-reply.json', { message: 1 }],
		['third-party-captures/incoming-image-escaped.raw-body.json', { message: 1 }],
		['derived/webhook-batched-mixed.json', { status: 6, message: 1, 'value-error': 1 }],
	])('%s', (file, expected) => {
		const result = walkWebhook(readContract(file));
		expect(kinds(result.events)).toEqual(expected);
		expect(result.skipped).toEqual([]);
		expect(result.ignored).toBe(0);
	});

	it('pywa message_status: sent, delivered, read, played, failed, with_tracker, group', () => {
		const fixtures = readContract<Record<string, unknown>>('pywa/message_status.json');
		expect(Object.keys(fixtures)).toEqual(['sent', 'delivered', 'read', 'played', 'failed', 'with_tracker', 'group']);
		for (const [name, payload] of Object.entries(fixtures)) {
			const result = walkWebhook(payload);
			expect({ name, kinds: kinds(result.events), skipped: result.skipped }).toEqual({ name, kinds: { status: 1 }, skipped: [] });
		}
		const walked = Object.values(fixtures).map((p) => statuses(walkWebhook(p).events)[0]);
		expect(walked.map((s) => s.status)).toEqual(['sent', 'delivered', 'read', 'played', 'failed', 'sent', 'read']);
	});

	it('pywa template_status_update: approved and rejected', () => {
		const fixtures = readContract<Record<string, unknown>>('pywa/template_status_update.json');
		const events = Object.values(fixtures).map((p) => walkWebhook(p).events);
		expect(events.map((e) => e.length)).toEqual([1, 1]);
		expect(events[0][0]).toEqual<TemplateStatusEvent>({
			kind: 'template-status',
			wabaId: '102290129340398',
			event: 'APPROVED',
			templateId: '1689556908129832',
			templateName: 'order_confirmation',
			language: 'en_US',
			reason: 'NONE',
			category: 'UTILITY',
		});
		expect(events[1][0]).toMatchObject({ event: 'REJECTED', templateName: 'abandoned_cart', language: 'en', reason: 'INVALID_FORMAT' });
	});

	it("Meta's OpenAPI inbound examples: 13 messages, 3 group changes of other field kinds ignored", () => {
		const examples = readContract<Record<string, unknown>>('meta-openapi/webhook-inbound.examples.json');
		let messages = 0;
		let ignored = 0;
		for (const payload of Object.values(examples)) {
			const result = walkWebhook(payload);
			expect(result.skipped).toEqual([]);
			messages += kinds(result.events).message ?? 0;
			ignored += result.ignored;
		}
		expect(Object.keys(examples)).toHaveLength(16);
		expect({ messages, ignored }).toEqual({ messages: 13, ignored: 3 });
	});
});

describe('status events', () => {
	it('v24 minimal status (no conversation, no pricing) has exactly the base fields', () => {
		const [event] = walkWebhook(readContract('meta-docs/webhook-status-v24-minimal.json')).events;
		expect(event).toEqual<StatusEvent>({
			kind: 'status',
			phoneNumberId: '106540352242922',
			displayPhoneNumber: '15550783881',
			wamid: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
			status: 'sent',
			timestamp: '1750030073',
			recipientId: '16505551234',
		});
	});

	it('pre-v24 status keeps pricing category and conversation id', () => {
		const [event] = walkWebhook(readContract('meta-docs/webhook-status-sent-marketing.json')).events;
		expect(event).toMatchObject({ pricingCategory: 'marketing', conversationId: '72b14d6bd5407799e66f64d1b338e567' });
	});

	it("failed status carries Meta's error object", () => {
		const [event] = statuses(walkWebhook(readContract('meta-docs/webhook-status-failed-131049.json')).events);
		expect(event.status).toBe('failed');
		expect(event.errors).toEqual([
			{
				code: 131049,
				title: 'This message was not delivered to maintain healthy ecosystem engagement.',
				message: 'This message was not delivered to maintain healthy ecosystem engagement.',
				error_data: { details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
				href: '/documentation/business-messaging/whatsapp/support/error-codes',
			},
		]);
	});

	it('played, tracker and group recipient (pywa)', () => {
		const fixtures = readContract<Record<string, unknown>>('pywa/message_status.json');
		expect(statuses(walkWebhook(fixtures.played).events)[0]).toMatchObject({
			status: 'played',
			wamid: 'wamid.xyzxyz',
			timestamp: '1689380458',
		});
		expect(statuses(walkWebhook(fixtures.with_tracker).events)[0].bizOpaqueCallbackData).toBe('some data');
		expect(statuses(walkWebhook(fixtures.group).events)[0]).toEqual<StatusEvent>({
			kind: 'status',
			phoneNumberId: '<BUSINESS_PHONE_NUMBER_ID>',
			displayPhoneNumber: '<BUSINESS_DISPLAY_PHONE_NUMBER>',
			wamid: '<WHATSAPP_MESSAGE_ID>',
			status: 'read',
			timestamp: '1698266945',
			recipientId: 'fowefinoewcnw',
			recipientType: 'group',
			recipientParticipantId: '<GROUP_PARTICIPANT_USER_PHONE_NUMBER>',
		});
	});

	it('a status of a send to a business-scoped user id names it (`recipient_user_id`), with or without the phone number', () => {
		// Meta's example ("Business-scoped user IDs", status webhooks): a send to a BSUID whose phone number is withheld.
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: '102290129340398',
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
								contacts: [
									{
										profile: { name: 'Pablo M.', username: 'pablomorales' },
										user_id: 'US.13491208655302741918',
										parent_user_id: 'US.ENT.11815799212886844830',
									},
								],
								statuses: [
									{
										id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=',
										status: 'delivered',
										timestamp: '1750030073',
										recipient_user_id: 'US.13491208655302741918',
										recipient_parent_user_id: 'US.ENT.11815799212886844830',
										pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' },
									},
								],
							},
						},
					],
				},
			],
		};
		const status = payload.entry[0].changes[0].value.statuses[0] as Record<string, unknown>;
		expect(statuses(walkWebhook(payload).events)[0]).toMatchObject({
			wamid: status.id,
			status: 'delivered',
			recipientId: 'US.13491208655302741918',
			recipientUserId: 'US.13491208655302741918',
		});
		status.recipient_id = '16505551234';
		expect(statuses(walkWebhook(payload).events)[0]).toMatchObject({
			recipientId: '16505551234',
			recipientUserId: 'US.13491208655302741918',
		});
	});

	it('batched-mixed: counts per number, in payload order', () => {
		const { events } = walkWebhook(readContract('derived/webhook-batched-mixed.json'));
		const perNumber: Record<string, Record<string, number>> = {};
		for (const e of events) {
			if (e.kind === 'template-status') continue;
			const n = (perNumber[e.phoneNumberId] ??= {});
			n[e.kind] = (n[e.kind] ?? 0) + 1;
		}
		expect(perNumber).toEqual({ '106540352242922': { status: 2, message: 1, 'value-error': 1 }, '1122334455667': { status: 4 } });
		expect(statuses(events).map((s) => `${s.wamid.slice(0, 16)} ${s.status}`)).toEqual([
			'wamid.HBgLMTY1MD sent',
			'wamid.HBgLMTY1MD failed',
			'wamid.xyzxyz delivered',
			'wamid.xyzxyz read',
			'wamid.xyzxyz played',
			'wamid.DERIVED_13 failed',
		]);
		const valueError = events.find((e): e is ValueErrorEvent => e.kind === 'value-error');
		expect(valueError?.error).toMatchObject({ code: 130429, title: 'Rate limit hit' });
	});
});

describe('inbound messages', () => {
	it("a contact's revoke is an inbound event naming the deleted message", () => {
		const { revoke } = readContract<{ revoke: unknown }>('pywa/deleted_message.json');
		const [event] = walkWebhook(revoke).events as InboundMessageEvent[];
		expect(event).toMatchObject({
			kind: 'message',
			type: 'revoke',
			wamid: '<WHATSAPP_MESSAGE_ID>',
			from: '<WHATSAPP_USER_PHONE_NUMBER>',
			timestamp: '1697043223',
			originalMessageId: '<ORIGINAL_WHATSAPP_MESSAGE_ID>',
		});
	});

	it('text message with the contact name and the raw object', () => {
		const [event] = walkWebhook(readContract('meta-docs/webhook-incoming-text.json')).events as InboundMessageEvent[];
		expect(event).toMatchObject({
			phoneNumberId: '106540352242922',
			from: '16505551234',
			type: 'text',
			timestamp: '1749416383',
			contactName: 'Sheena Nelson',
		});
		expect(event.raw).toMatchObject({ text: { body: 'Does it come in another color?' } });
		expect(event.waId).toBe('16505551234');
	});

	it("the contact's identity is its wa_id, whatever the format of `from`", () => {
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		const payload = readContract<Record<string, any>>('meta-docs/webhook-incoming-text.json');
		const value = payload.entry[0].changes[0].value;
		value.messages[0].from = '+1 (650) 555-1234';
		expect((walkWebhook(payload).events[0] as InboundMessageEvent).waId).toBe('16505551234');
		// Meta's wa_id differs from the number the contact is known by (Brazil's ninth digit): wa_id wins.
		value.messages[0].from = '5511987654321';
		value.contacts[0].wa_id = '551187654321';
		expect((walkWebhook(payload).events[0] as InboundMessageEvent).waId).toBe('551187654321');
		// No contacts in the change: the digits of `from`.
		delete value.contacts;
		value.messages[0].from = '+55 11 98765-4321';
		expect((walkWebhook(payload).events[0] as InboundMessageEvent).waId).toBe('5511987654321');
	});

	it('a contact Meta names only by their business-scoped user id is known by it (Meta\'s "Business-scoped user IDs" example)', () => {
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		const payload = readContract<Record<string, any>>('meta-docs/webhook-incoming-text.json');
		const value = payload.entry[0].changes[0].value;
		value.contacts = [
			{
				profile: { name: 'Sheena Nelson', username: 'realsheenanelson' },
				user_id: 'US.13491208655302741918',
				parent_user_id: 'US.ENT.11815799212886844830',
			},
		];
		const message = value.messages[0];
		delete message.from;
		Object.assign(message, { from_user_id: 'US.13491208655302741918', from_parent_user_id: 'US.ENT.11815799212886844830' });
		const walked = walkWebhook(payload);
		expect(walked.skipped).toEqual([]);
		expect(walked.events[0]).toMatchObject({
			kind: 'message',
			from: 'US.13491208655302741918',
			waId: 'US.13491208655302741918',
			contactName: 'Sheena Nelson',
		});
		// A username and no name: the username names them.
		delete value.contacts[0].profile.name;
		expect((walkWebhook(payload).events[0] as InboundMessageEvent).contactName).toBe('realsheenanelson');
		// Their phone number given too (`from`, `wa_id`): they are known by it, as before usernames.
		Object.assign(message, { from: '16505551234' });
		Object.assign(value.contacts[0], { wa_id: '16505551234', profile: { name: 'Sheena Nelson' } });
		expect(walkWebhook(payload).events[0]).toMatchObject({ from: '16505551234', waId: '16505551234', contactName: 'Sheena Nelson' });
	});

	it('a message sent in a WhatsApp group names its group (`group_id`, Meta\'s "Group messages webhook reference")', () => {
		// eslint-disable-next-line @typescript-eslint/no-explicit-any
		const payload = readContract<Record<string, any>>('meta-docs/webhook-incoming-text.json');
		expect((walkWebhook(payload).events[0] as InboundMessageEvent).groupId).toBeUndefined();
		const message = payload.entry[0].changes[0].value.messages[0];
		message.from = '+16505551234';
		message.group_id = 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD';
		const walked = walkWebhook(payload);
		expect(walked.skipped).toEqual([]);
		expect(walked.events[0]).toMatchObject({
			kind: 'message',
			type: 'text',
			waId: '16505551234',
			groupId: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD',
		});
	});
});

describe('malformed and unknown parts', () => {
	it('skips malformed parts with where and why, counts unknown field kinds, never throws', () => {
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: '1',
					changes: [
						{ field: 'account_update', value: { event: 'X' } },
						{
							field: 'messages',
							value: {
								metadata: { phone_number_id: '2' },
								statuses: [
									{ nope: 1 },
									'x',
									{ id: 'wamid.ok', status: 'sent', timestamp: '1', recipient_id: '5', brand_new_field: { a: 1 } },
								],
								messages: [{ id: 'wamid.in' }],
								errors: [3],
							},
						},
						7,
						{ field: 'message_template_status_update', value: {} },
					],
				},
				null,
				{ id: '3' },
			],
		};
		const result = walkWebhook(payload);
		expect(result.events).toEqual([
			{
				kind: 'status',
				phoneNumberId: '2',
				displayPhoneNumber: '',
				wamid: 'wamid.ok',
				status: 'sent',
				timestamp: '1',
				recipientId: '5',
			},
		]);
		expect(result.ignored).toBe(1);
		expect(result.ignoredFields).toEqual(['account_update']);
		expect(result.skipped.map((s) => s.at)).toEqual([
			'entry[0].changes[1].value.statuses[0]',
			'entry[0].changes[1].value.statuses[1]',
			'entry[0].changes[1].value.messages[0]',
			'entry[0].changes[1].value.errors[0]',
			'entry[0].changes[2]',
			'entry[0].changes[3].value',
			'entry[1]',
			'entry[2]',
		]);
		expect(result.skipped.every((s) => s.reason.length > 0)).toBe(true);
	});

	it("names a skipped message's number, account, wamid and type (never its text), and why: no `from`, and no business-scoped user id", () => {
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: '952399544271620',
					changes: [
						{
							field: 'messages',
							value: {
								metadata: { display_phone_number: '15556393799', phone_number_id: '1025723653965602' },
								contacts: [{ profile: { name: 'Carlos Polanco' }, user_id: 'PE.967744529547245' }],
								messages: [
									{
										from_user_id: 'PE-967744529547245',
										id: 'wamid.A',
										timestamp: '1',
										type: 'text',
										text: { body: 'Hola' },
									},
									{ from: '51920155032', timestamp: '1', type: 'text', text: { body: 'sin id' } },
									{ id: 'wamid.C', type: 'reaction' },
									'x',
								],
								statuses: [{ id: 'wamid.S' }],
							},
						},
					],
				},
			],
		};
		const { events, skipped } = walkWebhook(payload);
		expect(events).toEqual([]);
		const ids = { phoneNumberId: '1025723653965602', wabaId: '952399544271620' };
		expect(skipped).toEqual([
			{ at: 'entry[0].changes[0].value.statuses[0]', reason: 'status without a string id and status', ...ids, wamid: 'wamid.S' },
			{
				at: 'entry[0].changes[0].value.messages[0]',
				reason: 'message without from, and its from_user_id is not a business-scoped user id',
				...ids,
				wamid: 'wamid.A',
				type: 'text',
			},
			{ at: 'entry[0].changes[0].value.messages[1]', reason: 'message without a string id', ...ids, type: 'text' },
			{ at: 'entry[0].changes[0].value.messages[2]', reason: 'message without from', ...ids, wamid: 'wamid.C', type: 'reaction' },
			{ at: 'entry[0].changes[0].value.messages[3]', reason: 'message is not an object', ...ids },
		]);
		expect(JSON.stringify(skipped)).not.toMatch(/Hola|sin id|Carlos/);
	});

	it('names a list of another shape, and a messages value with none of the three lists; names each ignored field once', () => {
		const value = (extra: Record<string, unknown>) => ({ field: 'messages', value: { metadata: { phone_number_id: '2' }, ...extra } });
		const result = walkWebhook({
			entry: [
				{
					id: '1',
					changes: [
						value({ statuses: { id: 'wamid.X', status: 'read' } }),
						value({ messages: 'hi', errors: [] }),
						value({ contacts: [] }),
						{ field: 'smb_message_echoes', value: {} },
						{ field: 'smb_message_echoes', value: {} },
						{ field: 'Messages', value: {} },
						{ value: {} },
					],
				},
			],
		});
		expect(result.events).toEqual([]);
		expect(result.skipped).toEqual([
			{ at: 'entry[0].changes[0].value.statuses', reason: 'statuses is not an array', phoneNumberId: '2', wabaId: '1' },
			{ at: 'entry[0].changes[1].value.messages', reason: 'messages is not an array', phoneNumberId: '2', wabaId: '1' },
			{
				at: 'entry[0].changes[2].value',
				reason: 'messages value without statuses[], messages[] or errors[]',
				phoneNumberId: '2',
				wabaId: '1',
			},
		]);
		expect(result).toMatchObject({ ignored: 4, ignoredFields: ['smb_message_echoes', 'Messages', '(none)'] });
	});

	it.each([
		[undefined],
		[null],
		['junk'],
		[42],
		[[]],
		[{}],
		[{ entry: 'no' }],
		[{ entry: [{ changes: [{ field: 'messages', value: { statuses: 'no' } }] }] }],
	])('%j does not throw', (payload) => {
		expect(() => walkWebhook(payload)).not.toThrow();
		expect(walkWebhook(payload).events).toEqual([]);
	});

	// Its speed is measured by `npm run bench:status` (the core's figure), not by a timed test.
	it('normalizes a 1,000-status webhook into 1,000 events, in order', () => {
		const many = Array.from({ length: 1000 }, (_, i) => ({
			id: `wamid.${i}`,
			status: 'delivered',
			timestamp: '1750030073',
			recipient_id: '16505551234',
			pricing: { category: 'utility' },
		}));
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: '1',
					changes: [
						{ field: 'messages', value: { metadata: { phone_number_id: '2', display_phone_number: '3' }, statuses: many } },
					],
				},
			],
		};
		const { events } = walkWebhook(payload);
		expect(events).toHaveLength(1000);
		expect(events.map((e) => (e.kind === 'status' ? e.wamid : ''))).toEqual(many.map((m) => m.id));
	});
});
