/** The status core as the app uses it (payload, ordering, the outbox delivery round); the walker is covered in status/. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { backoffMs, deliverDue, OutboxItem, signDelivery } from '../../../src/core/status/outbox';
import { decide } from '../../../src/core/status/ordering';
import { buildStatusPayload, forwardedStatus, SentRecord } from '../../../src/core/status/payload';
import { CONTRACTS_DIR } from '../../support/metaSpec';

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8'));

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
