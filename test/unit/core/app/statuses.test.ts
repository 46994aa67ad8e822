/**
 * Forwarding statuses (src/core/app/statuses.ts): Meta's statuses and revokes through the send log
 * into an in-memory outbox, the failure notice to the room, template status changes, and the
 * delivery round's exact POST to the Message Status Endpoint URL.
 */
import * as crypto from 'crypto';

import { MemoryMessageLog, MemoryNumbers } from '../../../../src/core/app/memory';
import { SentMessage } from '../../../../src/core/app/ports';
import { SendLog } from '../../../../src/core/app/sendLog';
import { settingsOf } from '../../../../src/core/app/settings';
import { DeliveryGate, deliverStatuses, redeliverFailed } from '../../../../src/core/app/delivery';
import { StatusService } from '../../../../src/core/app/statuses';
import { translator } from '../../../../src/core/i18n/translate';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { MemoryOutboxStore, newOutboxItem } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';
import { InboundMessageEvent, StatusEvent } from '../../../../src/core/status/webhook';
import { explainSendError, MemoryTemplateCache, readCache, writeCache } from '../../../../src/core/templates/catalog';

const URL = 'https://crm.example.com/whatsapp/status';
const T0 = 1_750_000_000_000;
const HOUR = 3600000;

const sent = (fields: Partial<SentMessage> = {}): SentMessage => ({
	wamid: 'wamid.A',
	phoneNumberId: 'pn-1',
	connectedWhatsAppNo: '15550783881',
	mobileNo: '5511987654321',
	message: 'Order 42 is on its way.',
	type: 'Template-Message',
	sentAt: new Date(T0).toISOString(),
	statuses: ['queued'],
	...fields,
});
const status = (fields: Partial<StatusEvent> = {}): StatusEvent => ({
	kind: 'status',
	phoneNumberId: 'pn-1',
	displayPhoneNumber: '15550783881',
	wamid: 'wamid.A',
	status: 'delivered',
	timestamp: '1750000100',
	recipientId: '5511987654321',
	...fields,
});
const number = (fields: Partial<ConnectedNumber> = {}): ConnectedNumber => ({
	phoneNumberId: 'pn-1',
	wabaId: 'waba-1',
	displayPhoneNumber: '+1 555-078-3881',
	verifiedName: 'Acme',
	accessToken: 't',
	appSecret: 's',
	connectedAt: '',
	connectedBy: 'admin',
	...fields,
});

async function fakes(options: { records?: SentMessage[]; numbers?: ConnectedNumber[]; language?: string } = {}) {
	let now = T0;
	const clock = { now: () => now };
	const outbox = new MemoryOutboxStore<StatusPayload>();
	const messages = new MemoryMessageLog();
	for (const record of options.records ?? [sent()]) await messages.record(record);
	const numbers = new MemoryNumbers();
	for (const n of options.numbers ?? [number()]) await numbers.save(n);
	const settings = settingsOf({ statusEndpointUrl: URL });
	const notices: Array<[string, string]> = [];
	const refused: Array<[string, string]> = [];
	const templates = new MemoryTemplateCache();
	const service = new StatusService({
		messages,
		sendLog: new SendLog({ messages, outbox, settings, clock }),
		notifier: { notifyRoom: async (roomId, text) => void notices.push([roomId, text]) },
		translator: async () => translator(options.language),
		numbers,
		templates,
		refusals: { refuse: (cause, text) => void refused.push([cause, text]) },
	});
	const queued = async () => (await outbox.list()).map((i) => `${i.payload.msId}:${i.payload.MessageStatus}`);
	return { service, outbox, messages, notices, refused, templates, clock, queued, advance: (ms: number) => void (now += ms) };
}

describe('StatusService', () => {
	it("forwards a status of the app's message once, never regressing, and records what was forwarded", async () => {
		const f = await fakes();
		await f.service.handleStatus(status({ status: 'read', timestamp: '1750000200' }), undefined);
		await f.service.handleStatus(status({ status: 'read' }), undefined);
		await f.service.handleStatus(status({ status: 'delivered' }), undefined);
		expect(await f.queued()).toEqual(['wamid.A:read']);
		const [item] = await f.outbox.list();
		expect(item).toMatchObject({
			id: 'wamid.A:read',
			messageKey: 'wamid.A',
			seq: 2,
			createdAt: T0,
			nextAttemptAt: T0,
			payload: { MessageStatus: 'read', timestamp: '1750000200', eventId: 'wamid.A:read' },
		});
		expect((await f.messages.findByWamid('wamid.A'))?.statuses).toEqual(['queued', 'read']);
	});

	it('gives a status Meta sent without its time the time it was taken, in Unix seconds: never an empty timestamp', async () => {
		const f = await fakes();
		f.advance(5500);
		await f.service.handleStatus(status({ status: 'sent', timestamp: '' }), undefined);
		await f.service.handleStatus(status({ status: 'delivered', timestamp: ' ' }), undefined);
		await f.service.handleStatus(status({ status: 'read', timestamp: '2025-06-15T10:00:00Z' }), undefined);
		const taken = String(Math.floor((T0 + 5500) / 1000));
		expect((await f.outbox.list()).map((item) => [item.payload.MessageStatus, item.payload.timestamp])).toEqual([
			['sent', taken],
			['delivered', taken],
			['read', taken],
		]);
	});
	it("ignores statuses of messages it did not send, and Meta's words it does not know (those said in the log)", async () => {
		const f = await fakes();
		await f.service.handleStatus(status({ wamid: 'wamid.UNKNOWN' }), undefined);
		await f.service.handleStatus(status({ status: 'warning' }), undefined);
		await f.service.handleStatuses([status({ status: 'warning' }), status({ status: 'sent' })], { scope: undefined, receivedAt: T0 });
		expect(await f.queued()).toEqual(['wamid.A:sent']);
		expect(f.refused).toEqual([
			[
				'unlisted-status',
				'webhook: a status event of a kind the status callbacks have no name for, not forwarded ("warning" of wamid.A)',
			],
			[
				'unlisted-status',
				'webhook: 1 status event(s) of a kind the status callbacks have no name for, not forwarded (first: "warning" of wamid.A)',
			],
		]);
	});

	it('drops and logs a status about a message sent from another number, or from a number the signature does not cover', async () => {
		const f = await fakes();
		await f.service.handleStatus(status({ phoneNumberId: 'pn-2' }), undefined);
		await f.service.handleStatus(status(), { phoneNumberIds: ['pn-2'], wabaIds: ['waba-1'] });
		expect(await f.queued()).toEqual([]);
		expect(f.refused).toEqual([
			['foreign-message', 'webhook: a status event of number pn-2 about a message sent from another number, dropped'],
			['foreign-message', 'webhook: a status event of number pn-1 about a message sent from another number, dropped'],
		]);
	});

	it("forwards a failure with Meta's error and tells the room it was sent from why, in the workspace's language", async () => {
		const f = await fakes({ records: [sent({ roomId: 'room-1', message: 'x'.repeat(100) })], language: 'pt-BR' });
		const error = { code: 131049, title: 'This message was not delivered to maintain healthy ecosystem engagement.' };
		await f.service.handleStatus(status({ status: 'failed', errors: [error] }), undefined);
		expect((await f.outbox.list())[0].payload).toMatchObject({ MessageStatus: 'failed', ErrorDetails: error });
		const t = translator('pt-BR');
		const reason = t(explainSendError(131049).key, { code: 131049 });
		expect(reason).not.toContain(explainSendError(131049).key);
		expect(f.notices).toEqual([['room-1', t('status_failed_notice', { recipient: '5511987654321', message: 'x'.repeat(80), reason })]]);
		expect(f.notices[0][1]).not.toEqual(
			translator('en')('status_failed_notice', {
				recipient: '5511987654321',
				message: 'x'.repeat(80),
				reason: translator('en')(explainSendError(131049).key, { code: 131049 }),
			}),
		);
		// A repeated failure is not forwarded again, nor told again.
		await f.service.handleStatus(status({ status: 'failed', errors: [error] }), undefined);
		expect(f.notices).toHaveLength(1);
	});

	it('tells no room of a failed message that was not sent from a room', async () => {
		const f = await fakes();
		await f.service.handleStatus(status({ status: 'failed', errors: [{ code: 131026 }] }), undefined);
		expect(await f.queued()).toEqual(['wamid.A:failed']);
		expect(f.notices).toEqual([]);
	});

	it("forwards a contact's revoke of the app's message as deleted", async () => {
		const f = await fakes();
		const revoke: InboundMessageEvent = {
			kind: 'message',
			phoneNumberId: 'pn-1',
			displayPhoneNumber: '15550783881',
			wamid: 'wamid.R',
			from: '5511987654321',
			waId: '5511987654321',
			type: 'revoke',
			timestamp: '1697043223',
			originalMessageId: 'wamid.A',
			raw: {},
		};
		await f.service.handleRevoke(revoke, undefined);
		await f.service.handleRevoke({ ...revoke, originalMessageId: 'wamid.NOT-OURS' }, undefined);
		expect(await f.queued()).toEqual(['wamid.A:deleted']);
		expect((await f.outbox.list())[0].payload.timestamp).toBe('1697043223');
	});

	it("drops a paused template from the cache of a connected account, and leaves other accounts' caches alone", async () => {
		const f = await fakes();
		const template = (name: string) => ({ id: name, name, language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [] });
		await writeCache(f.templates, 'waba-1', { fetchedAt: T0, templates: [template('promo'), template('order_update')] });
		await writeCache(f.templates, 'waba-9', { fetchedAt: T0, templates: [template('promo')] });
		await f.service.templateStatusChanged({
			kind: 'template-status',
			wabaId: 'waba-1',
			event: 'PAUSED',
			templateName: 'promo',
			language: 'en_US',
		});
		await f.service.templateStatusChanged({
			kind: 'template-status',
			wabaId: 'waba-9',
			event: 'PAUSED',
			templateName: 'promo',
			language: 'en_US',
		});
		expect((await readCache(f.templates, 'waba-1'))?.templates.map((t) => t.name)).toEqual(['order_update']);
		expect((await readCache(f.templates, 'waba-9'))?.templates.map((t) => t.name)).toEqual(['promo']);
	});
});

describe('deliverStatuses', () => {
	const payload = (status: string): StatusPayload => ({
		msId: 'wamid.A',
		message: 'Hi',
		mobileNo: '5511987654321',
		connectedWhatsAppNo: '15550783881',
		MessageStatus: status as StatusPayload['MessageStatus'],
		type: 'Regular-Message',
		timestamp: '1750000000',
		eventId: `wamid.A:${status}`,
	});

	function setup(settings: Record<string, unknown>, answer: () => Promise<{ status: number }> = async () => ({ status: 200 })) {
		let now = T0;
		const outbox = new MemoryOutboxStore<StatusPayload>();
		const posts: Array<{ url: string; body: string; headers: Record<string, string>; timeoutMs: number }> = [];
		const ports = {
			outbox,
			settings: settingsOf(settings),
			clock: { now: () => now },
			poster: { post: async (request: (typeof posts)[number]) => (posts.push(request), answer()) },
			gate: new DeliveryGate(),
		};
		return {
			outbox,
			posts,
			run: () => deliverStatuses(ports),
			redeliver: () => redeliverFailed(ports),
			advance: (ms: number) => void (now += ms),
		};
	}

	it('POSTs each due event, in order per message, signed with the time of sending', async () => {
		const d = setup({ statusEndpointUrl: URL, statusSigningSecret: 's3cret' });
		await d.outbox.put(newOutboxItem({ id: 'wamid.A:sent', messageKey: 'wamid.A', seq: 2, payload: payload('sent'), now: T0 }));
		await d.outbox.put(newOutboxItem({ id: 'wamid.A:queued', messageKey: 'wamid.A', seq: 1, payload: payload('queued'), now: T0 }));
		expect(await d.run()).toEqual({ delivered: 2, retried: 0, failed: 0, dropped: 0, more: false });
		const body = JSON.stringify(payload('queued'));
		const ts = String(Math.floor(T0 / 1000));
		expect(d.posts[0]).toEqual({
			url: URL,
			body,
			headers: {
				'Content-Type': 'application/json',
				'X-Signature-Timestamp': ts,
				'X-Signature-256': `sha256=${crypto.createHmac('sha256', 's3cret').update(`${ts}.${body}`).digest('hex')}`,
			},
			timeoutMs: 10000,
		});
		expect(d.posts.map((p) => JSON.parse(p.body).MessageStatus)).toEqual(['queued', 'sent']);
	});

	it('does nothing without a URL', async () => {
		const d = setup({});
		await d.outbox.put(newOutboxItem({ id: 'wamid.A:queued', messageKey: 'wamid.A', seq: 1, payload: payload('queued'), now: T0 }));
		expect(await d.run()).toBeUndefined();
		expect(d.posts).toEqual([]);
		expect(await d.outbox.list({ state: 'pending' })).toHaveLength(1);
	});

	it('retries with back-off for the retry window in real hours since the event was queued, then keeps it failed for a redeliver', async () => {
		let answer = 503;
		const d = setup({ statusEndpointUrl: URL, statusRetryHours: 2 }, async () => ({ status: answer }));
		await d.outbox.put(newOutboxItem({ id: 'wamid.A:queued', messageKey: 'wamid.A', seq: 1, payload: payload('queued'), now: T0 }));
		await d.run();
		d.advance(29999);
		await d.run();
		expect(d.posts).toHaveLength(1);
		d.advance(1);
		await d.run();
		expect(d.posts).toHaveLength(2);
		// Just inside the window: tried again (its third attempt, due again 2 minutes later).
		d.advance(2 * HOUR - 30000 - 1);
		await d.run();
		expect(d.posts).toHaveLength(3);
		expect(await d.outbox.list({ state: 'failed' })).toEqual([]);
		// Due again, past the window: failed without another POST.
		d.advance(2 * 60000);
		await d.run();
		expect(d.posts).toHaveLength(3);
		const [failed] = await d.outbox.list({ state: 'failed' });
		expect(failed).toMatchObject({ id: 'wamid.A:queued', attempts: 3, lastError: 'HTTP 503' });
		const posts = d.posts.length;
		d.advance(HOUR);
		expect(await d.redeliver()).toBe(1);
		answer = 200;
		await d.run();
		expect(d.posts).toHaveLength(posts + 1);
		// Delivered: it left the outbox.
		expect(await d.outbox.list()).toEqual([]);
	});
});
