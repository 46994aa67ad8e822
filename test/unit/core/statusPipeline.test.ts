import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { backoffMs, deliverDue, OutboxItem, signDelivery } from '../../../src/core/status/outbox';
import { decide } from '../../../src/core/status/ordering';
import { buildStatusPayload, forwardedStatus, passesFilter, SentRecord } from '../../../src/core/status/payload';
import { StatusEvent, walkWebhook } from '../../../src/core/status/webhook';
import { CONTRACTS_DIR, validateSchema } from '../../support/metaSpec';

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8'));

describe('walkWebhook over the contract payloads', () => {
	it.each([
		['meta-docs/webhook-status-sent-marketing.json', { status: 1 }],
		['meta-docs/webhook-status-v24-minimal.json', { status: 1 }],
		['meta-docs/webhook-status-failed-131049.json', { status: 1 }],
		['meta-docs/webhook-value-errors-130429.json', { 'value-error': 1 }],
		['meta-docs/webhook-incoming-text.json', { message: 1 }],
		['meta-docs/webhook-incoming-button-reply.json', { message: 1 }],
		['third-party-captures/incoming-image-escaped.raw-body.json', { message: 1 }],
	])('%s', (file, counts) => {
		const { events } = walkWebhook(read(file));
		const got: Record<string, number> = {};
		for (const e of events) got[e.kind] = (got[e.kind] ?? 0) + 1;
		expect(got).toEqual(counts);
	});

	it('walks every pywa status (sent, delivered, read, played, failed, tracker, group) and Meta spec examples without throwing', () => {
		const pywa = read('pywa/message_status.json');
		const statuses = Object.values(pywa).flatMap((p) => walkWebhook(p).events) as StatusEvent[];
		expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read', 'played', 'failed', 'sent', 'read']);
		expect(statuses.find((s) => s.status === 'failed')?.errors?.[0]).toMatchObject({ code: 130472 });
		expect(statuses.find((s) => s.bizOpaqueCallbackData)).toBeDefined();
		expect(statuses.find((s) => s.recipientType === 'group')).toBeDefined();
		const examples = read('meta-openapi/webhook-inbound.examples.json');
		for (const example of Object.values(examples) as Array<{ value?: unknown }>) expect(() => walkWebhook(example.value ?? example)).not.toThrow();
	});

	it('tolerates a v24 status without conversation and pricing, and validates against Meta\'s schema', () => {
		const payload = read('meta-docs/webhook-status-v24-minimal.json');
		expect(validateSchema('WebhookPayload', payload).ok).toBe(true);
		const [event] = walkWebhook(payload).events as StatusEvent[];
		expect(event).toEqual({ kind: 'status', phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881', wamid: expect.stringMatching(/^wamid\./), status: 'sent', timestamp: '1750030073', recipientId: '16505551234' });
	});

	it('counts batches per number and ignores unknown fields and kinds', () => {
		const { events } = walkWebhook(read('derived/webhook-batched-mixed.json'));
		expect(events.length).toBeGreaterThan(3);
		const odd = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'account_update', value: {} }, { field: 'messages', value: { statuses: [{ nope: 1 }, 'x'] } }, 7] }, null] };
		expect(walkWebhook(odd)).toEqual({ events: [], ignored: 5 });
		expect(walkWebhook('junk')).toEqual({ events: [], ignored: 1 });
	});

	it('reads template status updates', () => {
		const [event] = walkWebhook(read('pywa/template_status_update.json').approved).events;
		expect(event).toMatchObject({ kind: 'template-status', wabaId: '102290129340398', event: 'APPROVED', templateName: 'order_confirmation', language: 'en_US' });
	});

	it('walks a 1,000-status batch', () => {
		const statuses = Array.from({ length: 1000 }, (_, i) => ({ id: `wamid.${i}`, status: 'delivered', timestamp: '1750030073', recipient_id: '5511' }));
		const payload = { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: '2', display_phone_number: '3' }, statuses } }] }] };
		expect(walkWebhook(payload).events).toHaveLength(1000);
	});
});

describe('status payload', () => {
	const record: SentRecord = { wamid: 'wamid.A', phoneNumberId: '1', connectedWhatsAppNo: '15550783881', mobileNo: '5511', message: 'Hi', type: 'Template-Message' };
	it("has exactly the seed contract's fields, plus documented additions", () => {
		const contract = Object.keys(read('rocketchat/message-status-endpoint.payload-contract.json').fields).sort();
		const payload = buildStatusPayload(record, 'failed', { timestamp: '1', eventId: 'e', error: { code: 131026 } });
		expect(Object.keys(payload).filter((k) => contract.includes(k)).sort()).toEqual(contract);
		expect(Object.keys(payload).filter((k) => !contract.includes(k))).toEqual(['eventId']);
		expect(buildStatusPayload({ ...record, wamid: undefined }, 'failed', { timestamp: '1', eventId: 'e' })).not.toHaveProperty('msId');
		expect(buildStatusPayload(record, 'sent', { timestamp: '1', eventId: 'e' })).not.toHaveProperty('ErrorDetails');
	});

	it('maps Meta statuses: played passes, revoke is deleted, unknown is dropped', () => {
		expect(['sent', 'delivered', 'read', 'played', 'failed', 'revoke', 'deleted', 'warning'].map(forwardedStatus)).toEqual(['sent', 'delivered', 'read', 'played', 'failed', 'deleted', 'deleted', undefined]);
	});

	it('filters by message type', () => {
		expect([passesFilter('all', 'Template-Message'), passesFilter('regular', 'Template-Message'), passesFilter('template', 'Template-Message'), passesFilter('regular', 'Regular-Message')]).toEqual([true, false, true, true]);
	});
});

describe('ordering', () => {
	it.each([
		[[], 'queued', 'forward'],
		[['queued'], 'read', 'forward'],
		[['queued', 'read'], 'delivered', 'drop-regression'],
		[['queued', 'sent'], 'sent', 'drop-duplicate'],
		[['queued', 'read'], 'played', 'forward'],
		[['queued', 'sent'], 'failed', 'forward'],
		[['queued', 'failed'], 'delivered', 'drop-regression'],
	] as const)('%j then %s: %s', (seen, incoming, decision) => {
		expect(decide([...seen], incoming)).toBe(decision);
	});
});

describe('outbox', () => {
	const item = (id: string, messageKey: string, seq: number, createdAt = 0): OutboxItem<{ id: string }> => ({ id, messageKey, seq, payload: { id }, state: 'pending', attempts: 0, createdAt, nextAttemptAt: createdAt });

	it('backs off 30 s, 1, 2, 4 min ... capped at an hour', () => {
		expect([1, 2, 3, 4, 8, 20].map(backoffMs)).toEqual([30000, 60000, 120000, 240000, 3600000, 3600000]);
	});

	it('delivers in order per message and holds later events of a message whose head failed', async () => {
		const items = [item('a2', 'A', 2), item('b1', 'B', 1), item('a1', 'A', 1)];
		const posted: string[] = [];
		const changed = await deliverDue({ items, now: 0, maxAgeMs: 1e9, unixSeconds: 0, post: async (body) => (posted.push(JSON.parse(body).id), { status: JSON.parse(body).id === 'a1' ? 500 : 200 }) });
		expect(posted).toEqual(['a1', 'b1']);
		expect(items.find((i) => i.id === 'a1')).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: 30000, lastError: 'HTTP 500' });
		expect(items.find((i) => i.id === 'a2')).toMatchObject({ state: 'pending', attempts: 0 });
		expect(changed.map((i) => i.id).sort()).toEqual(['a1', 'b1']);
		posted.length = 0;
		await deliverDue({ items, now: 30000, maxAgeMs: 1e9, unixSeconds: 0, post: async (body) => (posted.push(JSON.parse(body).id), { status: 204 }) });
		expect(posted).toEqual(['a1', 'a2']);
	});

	it('treats a network error like a failure and marks events failed after the retry window', async () => {
		const items = [item('x', 'X', 1)];
		await deliverDue({ items, now: 0, maxAgeMs: 60000, unixSeconds: 0, post: () => Promise.reject(new Error('ECONNREFUSED')) });
		expect(items[0]).toMatchObject({ state: 'pending', lastError: 'ECONNREFUSED' });
		await deliverDue({ items, now: 60001, maxAgeMs: 60000, unixSeconds: 0, post: async () => ({ status: 200 }) });
		expect(items[0].state).toBe('failed');
	});

	it('signs "<timestamp>.<body>"', () => {
		expect(signDelivery('{"a":1}', 'k', 1700000000)).toEqual({
			'X-Signature-Timestamp': '1700000000',
			'X-Signature-256': `sha256=${crypto.createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex')}`,
		});
	});
});
