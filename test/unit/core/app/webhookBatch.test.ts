/**
 * Processing Meta's webhooks (src/core/app/webhookBatch.ts) over an in-memory inbox, a clock the
 * test moves and recording handlers.
 */
import { WaitingForAgent } from '../../../../src/core/app/errors';
import { Clock, InboundHandler } from '../../../../src/core/app/ports';
import { MemoryRoundClaims } from '../../../../src/core/app/roundClaims';
import { RunGate } from '../../../../src/core/app/runBudget';
import {
	acceptWebhook,
	inMetaOrder,
	messagesAtOf,
	BatchResult,
	InboxEntry,
	InboxHead,
	MemoryWebhookInbox,
	OrphanSweep,
	processWebhooks,
	STATUSES_AT_ONCE,
	INBOX_LEASE_MS,
	MESSAGE_BACKOFF_MAX_MS,
	WAITING_FULL_CHECK_MS,
	WebhookHandlers,
	WebhookInbox,
} from '../../../../src/core/app/webhookBatch';
import { InboundMessageEvent, StatusEvent, WebhookEvent } from '../../../../src/core/status/webhook';
import { WebhookScope } from '../../../../src/core/webhook/tenancy';
import { webhookInboxContract } from './contracts/webhookInbox';

webhookInboxContract('MemoryWebhookInbox', () => {
	const inbox = new MemoryWebhookInbox();
	return { inbox, interruptedAdd: (entry, options) => inbox.addEventsOnly(entry, options) };
});

const SCOPE: WebhookScope = { phoneNumberIds: ['pn-1'], wabaIds: ['waba-1'] };
const T0 = 1_750_000_000_000;

const status = (wamid: string, phoneNumberId = 'pn-1'): StatusEvent => ({
	kind: 'status',
	phoneNumberId,
	displayPhoneNumber: '1555',
	wamid,
	status: 'delivered',
	timestamp: '1750000000',
	recipientId: '5511',
});
const message = (wamid: string, from = '5511900000001', fields: Partial<InboundMessageEvent> = {}): InboundMessageEvent => ({
	kind: 'message',
	phoneNumberId: 'pn-1',
	displayPhoneNumber: '1555',
	wamid,
	from,
	waId: from,
	type: 'text',
	timestamp: '1750000000',
	raw: { id: wamid },
	...fields,
});

function fakes() {
	let now = T0;
	const clock: Clock = { now: () => now };
	const inbox = new MemoryWebhookInbox();
	const calls: string[] = [];
	const refused: Array<[string, string]> = [];
	const infos: string[] = [];
	const warns: string[] = [];
	/** Per wamid: what the handler does (throws this error) while set. */
	const failWith = new Map<string, Error>();
	const act = (label: string, wamid: string) => {
		calls.push(label);
		const error = failWith.get(wamid);
		if (error) throw error;
	};
	const inboundOf = (appId: string): InboundHandler => ({
		handle: async (event, options) => act(`inbound ${appId} ${event.wamid}${options.finalAttempt ? ' final' : ''}`, event.wamid),
		heldBack: async (event) => act(`held ${appId} ${event.wamid}`, `held ${event.wamid}`),
	});
	const handlers: WebhookHandlers = {
		status: async (event, scope) => act(`status ${event.wamid} ${scope?.phoneNumberIds.join(',') ?? 'unscoped'}`, event.wamid),
		revoke: async (event) => act(`revoke ${event.originalMessageId}`, event.wamid),
		templateStatus: async (event) => act(`template ${event.templateName} ${event.event}`, event.templateName ?? ''),
		inbound: inboundOf,
	};
	const ports = {
		inbox,
		clock,
		refusals: { refuse: (cause: string, text: string) => void refused.push([cause, text]) },
		logger: { info: (m: string) => void infos.push(m), warn: (m: string) => void warns.push(m), error: () => undefined },
		handlers,
	};
	const run = () => processWebhooks(ports);
	const store = (events: WebhookEvent[], fields: Partial<InboxEntry> = {}) =>
		inbox.add({ id: `e${Math.random()}`, appId: 'app-1', events, scope: SCOPE, receivedAt: now, ...fields });
	return { clock, inbox, calls, refused, infos, warns, failWith, ports, run, store, advance: (ms: number) => void (now += ms) };
}

describe('acceptWebhook', () => {
	const webhook = (value: object, wabaId = 'waba-1') => ({
		object: 'whatsapp_business_account',
		entry: [{ id: wabaId, changes: [{ field: 'messages', value }] }],
	});
	const metadata = (phoneNumberId: string) => ({ display_phone_number: '1555', phone_number_id: phoneNumberId });
	/** A webhook of one `sent` status per [phone number id, wamid, WABA id]. */
	const sentStatuses = (...statuses: Array<[string, string, string?]>) => ({
		object: 'whatsapp_business_account',
		entry: statuses.flatMap(
			([phoneNumberId, wamid, wabaId]) =>
				webhook(
					{
						messaging_product: 'whatsapp',
						metadata: metadata(phoneNumberId),
						statuses: [{ id: wamid, status: 'sent', timestamp: '1', recipient_id: '5511' }],
					},
					wabaId,
				).entry,
		),
	});

	it('stores the events the signature vouches for, drops and logs the others, and asks for a run', async () => {
		const f = fakes();
		let runs = 0;
		const payload = sentStatuses(['pn-1', 'wamid.A'], ['pn-9', 'wamid.B', 'waba-9']);
		const add = jest.spyOn(f.inbox as WebhookInbox, 'add');
		expect(
			await acceptWebhook({ ...f.ports, jobs: { processSoon: async () => void runs++ } }, { payload, scope: SCOPE, appId: 'app-1' }),
		).toBe(1);
		expect(add.mock.calls[0][1]).toEqual({ now: T0 });
		const [stored] = await f.inbox.all();
		expect(stored).toMatchObject({
			appId: 'app-1',
			scope: SCOPE,
			receivedAt: T0,
			events: [{ kind: 'status', wamid: 'wamid.A', phoneNumberId: 'pn-1' }],
		});
		expect(stored.events).toHaveLength(1);
		expect(runs).toBe(1);
		expect(f.refused).toEqual([
			[
				'foreign-events',
				'webhook: 1 status event(s) for number pn-9, not connected in the app with the app secret that signed the webhook, dropped',
			],
		]);
	});

	describe('a scope from numbers read earlier (rescope)', () => {
		const twoNumbers = sentStatuses(['pn-1', 'wamid.A'], ['pn-2', 'wamid.B']);
		const jobs = { processSoon: async () => undefined };

		it('asks for the scope as stored now when events fall outside, and stores them with it', async () => {
			const f = fakes();
			const wider: WebhookScope = { phoneNumberIds: ['pn-1', 'pn-2'], wabaIds: ['waba-1'] };
			let asked = 0;
			const rescope = async () => (asked++, wider);
			expect(await acceptWebhook({ ...f.ports, jobs }, { payload: twoNumbers, scope: SCOPE, rescope })).toBe(2);
			expect(asked).toBe(1);
			const [stored] = await f.inbox.all();
			expect(stored.scope).toEqual(wider);
			expect(stored.events.map((e) => (e as StatusEvent).wamid)).toEqual(['wamid.A', 'wamid.B']);
			expect(f.refused).toEqual([]);
		});

		it('stores nothing when the numbers as stored verify the webhook no more (it is refused), and never asks when every event is in scope', async () => {
			const f = fakes();
			let asked = 0;
			const rescope = async () => (asked++, undefined);
			expect(await acceptWebhook({ ...f.ports, jobs }, { payload: twoNumbers, scope: SCOPE, rescope })).toBe('unverified');
			expect(asked).toBe(1);
			expect(await f.inbox.all()).toEqual([]);
			expect(f.refused).toEqual([]);
			const inScopeOnly = sentStatuses(['pn-1', 'wamid.C']);
			expect(await acceptWebhook({ ...f.ports, jobs }, { payload: inScopeOnly, scope: SCOPE, rescope })).toBe(1);
			expect(asked).toBe(1);
			expect((await f.inbox.all())[0]).toMatchObject({ scope: SCOPE, events: [{ wamid: 'wamid.C' }] });
		});
	});

	it('joins the processing run under way rather than asking for one; asks when none is under way', async () => {
		const f = fakes();
		let runs = 0;
		const jobs = { processSoon: async () => void runs++ };
		const gate = new RunGate<BatchResult>();
		const payload = (wamid: string) =>
			webhook({
				messaging_product: 'whatsapp',
				metadata: metadata('pn-1'),
				statuses: [{ id: wamid, status: 'sent', timestamp: '1', recipient_id: '5511' }],
			});
		expect(await acceptWebhook({ ...f.ports, jobs, processing: gate }, { payload: payload('wamid.A'), scope: SCOPE })).toBe(1);
		expect(runs).toBe(1);
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const underWay = gate.run(async () => (await held, { problems: [], more: false }));
		expect(await acceptWebhook({ ...f.ports, jobs, processing: gate }, { payload: payload('wamid.B'), scope: SCOPE })).toBe(1);
		expect(runs).toBe(1);
		release();
		// The run under way answers `more`: its job runs again and takes wamid.B.
		expect(await underWay).toEqual({ problems: [], more: true });
		expect((await f.inbox.all()).map((e) => e.events[0])).toMatchObject([{ wamid: 'wamid.A' }, { wamid: 'wamid.B' }]);
	});

	it('stores nothing and asks for no run when nothing is left (value errors are not events to handle)', async () => {
		const f = fakes();
		let runs = 0;
		const payload = webhook({
			messaging_product: 'whatsapp',
			metadata: metadata('pn-1'),
			errors: [{ code: 131000, title: 'Something went wrong' }],
		});
		expect(await acceptWebhook({ ...f.ports, jobs: { processSoon: async () => void runs++ } }, { payload, scope: SCOPE })).toBe(0);
		expect(await f.inbox.all()).toEqual([]);
		expect(runs).toBe(0);
		// The admin's log tells of it (rate-limited by cause); another tenant's is not told.
		const other = webhook({
			messaging_product: 'whatsapp',
			metadata: metadata('pn-9'),
			errors: [{ code: 130429, title: 'Rate limit hit' }],
		});
		await acceptWebhook({ ...f.ports, jobs: { processSoon: async () => void runs++ } }, { payload: other, scope: SCOPE });
		expect(f.refused).toEqual([['value-error', 'webhook: WhatsApp reports for number pn-1: error 131000, Something went wrong']]);
	});

	it("logs once what the walker left out (a message without `from`): its number, wamid, type and why, never its text or the contact's name", async () => {
		const f = fakes();
		let runs = 0;
		const jobs = { processSoon: async () => void runs++ };
		// Named by a `from_user_id` that is no business-scoped user id (a BSUID has its country's code:
		// PE.967744529547245): the message has no contact the app can answer.
		const bsuidOnly = {
			from_user_id: '967744529547245',
			id: 'wamid.NOFROM',
			timestamp: '1778766865',
			type: 'text',
			text: { body: 'Hola quiero un café' },
		};
		const payload = webhook({
			messaging_product: 'whatsapp',
			metadata: metadata('pn-1'),
			contacts: [{ profile: { name: 'Carlos Polanco' }, user_id: 'PE.967744529547245' }],
			messages: [bsuidOnly, { from: '5511900000001', id: 'wamid.OK', timestamp: '1778766866', type: 'text', text: { body: 'hi' } }],
		});
		expect(await acceptWebhook({ ...f.ports, jobs }, { payload, scope: SCOPE, appId: 'app-1' })).toBe(1);
		expect((await f.inbox.all())[0].events).toMatchObject([{ kind: 'message', wamid: 'wamid.OK' }]);
		expect(runs).toBe(1);
		expect(f.refused).toEqual([
			[
				'skipped-parts',
				'webhook: 1 part(s) left out, never handled: number pn-1, wamid wamid.NOFROM, type text (entry[0].changes[0].value.messages[0]): ' +
					'message without from, and its from_user_id is not a business-scoped user id',
			],
		]);
		expect(JSON.stringify(f.refused)).not.toMatch(/Hola|Carlos|Polanco/);

		// Alone in its webhook: nothing stored, no run, still logged. Another tenant's number is not told.
		f.refused.length = 0;
		const alone = webhook({
			messaging_product: 'whatsapp',
			metadata: metadata('pn-1'),
			messages: [{ id: 'wamid.NOFROM2', type: 'image' }],
		});
		expect(await acceptWebhook({ ...f.ports, jobs }, { payload: alone, scope: SCOPE })).toBe(0);
		const foreign = webhook({
			messaging_product: 'whatsapp',
			metadata: metadata('pn-9'),
			messages: [{ id: 'wamid.THEIRS', type: 'text' }],
		});
		expect(await acceptWebhook({ ...f.ports, jobs }, { payload: foreign, scope: SCOPE })).toBe(0);
		expect(runs).toBe(1);
		expect(f.refused).toEqual([
			[
				'skipped-parts',
				'webhook: 1 part(s) left out, never handled: number pn-1, wamid wamid.NOFROM2, type image (entry[0].changes[0].value.messages[0]): message without from',
			],
		]);
	});
});

describe('acceptWebhook: fields the app does not handle', () => {
	it('acknowledges a change of another webhook field and names the field in the log, once per field', async () => {
		const f = fakes();
		let runs = 0;
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: 'waba-1',
					changes: [
						{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } },
						{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } },
						{ field: 'smb_message_echoes\n', value: {} },
					],
				},
			],
		};
		expect(await acceptWebhook({ ...f.ports, jobs: { processSoon: async () => void runs++ } }, { payload, scope: SCOPE })).toBe(0);
		expect(runs).toBe(0);
		expect(f.refused).toEqual([
			[
				'ignored-fields',
				'webhook: changes of field "account_update", "smb_message_echoes?" left out: the app handles "messages" and "message_template_status_update"',
			],
		]);
		// Named up to ten, the others counted.
		f.refused.length = 0;
		const many = { entry: [{ id: 'waba-1', changes: Array.from({ length: 13 }, (_, i) => ({ field: `f${i}`, value: {} })) }] };
		expect(await acceptWebhook({ ...f.ports, jobs: { processSoon: async () => void runs++ } }, { payload: many, scope: SCOPE })).toBe(
			0,
		);
		expect(f.refused).toEqual([
			[
				'ignored-fields',
				'webhook: changes of field "f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", 3 more left out: the app handles "messages" and "message_template_status_update"',
			],
		]);
	});
});

describe('processWebhooks', () => {
	it('hands each event to its handler, oldest webhook first, with the scope stored with it, and empties the inbox', async () => {
		const f = fakes();
		await f.store([message('wamid.M2')], { receivedAt: T0 + 5 });
		await f.store(
			[
				status('wamid.S'),
				message('wamid.R', '5511', { type: 'revoke', originalMessageId: 'wamid.MINE' }),
				{ kind: 'template-status', wabaId: 'waba-1', event: 'PAUSED', templateName: 'promo' },
				message('wamid.M1'),
			],
			{ receivedAt: T0 },
		);
		expect(await f.run()).toEqual({ problems: [], more: false });
		expect(f.calls).toEqual([
			'status wamid.S pn-1',
			'revoke wamid.MINE',
			'template promo PAUSED',
			'inbound app-1 wamid.M1',
			'inbound app-1 wamid.M2',
		]);
		expect(await f.inbox.all()).toEqual([]);
	});

	it('drops and logs events a stored scope does not cover; an entry stored before scopes were recorded is handled as it was', async () => {
		const f = fakes();
		await f.store([status('wamid.OTHER', 'pn-9'), status('wamid.OWN')]);
		await f.store([status('wamid.OLD', 'pn-9')], { scope: undefined });
		await f.run();
		expect(f.calls).toEqual(['status wamid.OWN pn-1', 'status wamid.OLD unscoped']);
		expect(f.refused).toEqual([
			[
				'foreign-events',
				'webhook: 1 status event(s) for number pn-9, not connected in the app with the app secret that signed the webhook, dropped',
			],
		]);
	});

	it('retries only the failed events, after 30 s, 1, 2 and 4 minutes, and drops them after the fifth attempt', async () => {
		const f = fakes();
		f.failWith.set('wamid.BAD', new Error('database briefly unavailable'));
		await f.store([status('wamid.BAD'), message('wamid.OK')]);
		const attempts: string[][] = [(await f.run()).problems];
		expect(f.calls).toEqual(['status wamid.BAD pn-1', 'inbound app-1 wamid.OK']);
		for (const wait of [30000, 60000, 120000, 240000]) {
			f.advance(wait - 1);
			f.calls.length = 0;
			expect((await f.run()).problems).toEqual([]);
			expect(f.calls).toEqual([]);
			f.advance(1);
			attempts.push((await f.run()).problems);
		}
		expect(attempts).toEqual(
			[1, 2, 3, 4, 5].map((n) => [`webhook event status not processed (attempt ${n} of 5): database briefly unavailable`]),
		);
		expect(f.calls).toEqual(['status wamid.BAD pn-1']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("retries a contact's message past five attempts, every 10 minutes at most, for a day; then drops it and says so", async () => {
		const f = fakes();
		f.failWith.set('wamid.BAD', new Error('omnichannel unavailable'));
		await f.store([message('wamid.BAD'), status('wamid.OK')]);
		const waits: number[] = [];
		const problems: string[] = [];
		let kept = (await f.run()).problems;
		expect(f.calls).toEqual(['inbound app-1 wamid.BAD', 'status wamid.OK pn-1']);
		while (kept.length && !kept[0].includes('dropped')) {
			problems.push(...kept);
			const [entry] = await f.inbox.all();
			const wait = (entry.nextAttemptAt as number) - f.clock.now();
			waits.push(wait);
			f.advance(wait - 1);
			f.calls.length = 0;
			expect((await f.run()).problems).toEqual([]);
			expect(f.calls).toEqual([]);
			f.advance(1);
			kept = (await f.run()).problems;
		}
		// 30 s, 1, 2, 4, 8 min, then every 10 min until a day after the first failure.
		expect(waits.slice(0, 7)).toEqual([30000, 60000, 120000, 240000, 480000, 600000, 600000]);
		expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3600000);
		expect(waits.reduce((a, b) => a + b, 0)).toBeLessThan(24 * 3600000 + 600000);
		expect(problems[0]).toBe(
			"webhook event message not processed (attempt 1, tried again in 30 s; the contact's later messages wait behind it): omnichannel unavailable",
		);
		expect(problems).toHaveLength(waits.length);
		expect(kept).toEqual([
			`WhatsApp message wamid.BAD dropped: not posted in 24 hours of attempts (attempt ${waits.length + 1}): omnichannel unavailable`,
		]);
		// From the fifth attempt on, the handler is told to post what it can (the text without its media, say).
		expect(f.calls).toEqual(['inbound app-1 wamid.BAD final']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("handles a contact's messages in the order Meta wrote them (its timestamps) when their webhooks came out of order", async () => {
		const f = fakes();
		const CARLA = '5511900000001';
		/** A webhook of Carla's messages, each [wamid, Meta's timestamp in seconds]. */
		const inbound = (...messages: Array<[string, number]>) => ({
			object: 'whatsapp_business_account',
			entry: [
				{
					id: 'waba-1',
					changes: [
						{
							field: 'messages',
							value: {
								messaging_product: 'whatsapp',
								metadata: { display_phone_number: '1555', phone_number_id: 'pn-1' },
								contacts: [{ profile: { name: 'Carla' }, wa_id: CARLA }],
								messages: messages.map(([id, at]) => ({
									from: CARLA,
									id,
									timestamp: String(at),
									type: 'text',
									text: { body: id },
								})),
							},
						},
					],
				},
			],
		});
		const accept = (payload: object) =>
			acceptWebhook({ ...f.ports, jobs: { processSoon: async () => undefined } }, { payload, scope: SCOPE, appId: 'app-1' });
		const t = T0 / 1000;
		// Meta's retry of the first webhook comes after the second one; it lists its messages out of Meta's order.
		await accept(inbound(['wamid.4', t + 9], ['wamid.3', t + 7]));
		f.advance(1000);
		await accept(inbound(['wamid.1', t + 2], ['wamid.2', t + 5]));
		f.advance(1000);
		await accept(inbound(['wamid.5', t + 9]));
		expect((await f.inbox.all()).map((e) => e.messagesAt)).toEqual([T0 + 7000, T0 + 2000, T0 + 9000]);
		await f.run();
		// By each webhook's first message, and within a webhook by Meta's time; one second's, as they came.
		expect(f.calls).toEqual([
			'inbound app-1 wamid.1',
			'inbound app-1 wamid.2',
			'inbound app-1 wamid.3',
			'inbound app-1 wamid.4',
			'inbound app-1 wamid.5',
		]);
		// A webhook's other events keep their places; messages of one second, or one without a valid time, keep Meta's order.
		const [s1, s2] = [status('wamid.S1'), status('wamid.S2')];
		const at = (id: string, timestamp: string) => message(id, CARLA, { timestamp });
		const ids = (events: WebhookEvent[]) => events.map((e) => (e as { wamid: string }).wamid);
		expect(ids(inMetaOrder([s1, at('wamid.B', '12'), s2, at('wamid.A', '11'), at('wamid.C', '11')]))).toEqual([
			'wamid.S1',
			'wamid.A',
			'wamid.S2',
			'wamid.C',
			'wamid.B',
		]);
		expect(ids(inMetaOrder([at('wamid.B', '12'), at('wamid.A', 'soon')]))).toEqual(['wamid.B', 'wamid.A']);
		expect(messagesAtOf([status('wamid.S')])).toBeUndefined();
		expect(messagesAtOf([message('wamid.X', CARLA, { timestamp: 'soon' }), message('wamid.Y', CARLA, { timestamp: '12' })])).toBe(
			12000,
		);
	});

	it("holds what a contact's later webhooks bring behind their message that failed, then posts them all by Meta's time", async () => {
		const f = fakes();
		const CARLA = '5511900000001';
		const t = T0 / 1000;
		f.failWith.set('wamid.5', new Error('room not opened'));
		await f.store([message('wamid.5', CARLA, { timestamp: String(t + 5) })], { messagesAt: T0 + 5000 });
		await f.run();
		f.failWith.clear();
		f.calls.length = 0;
		// Not due yet: what Carla's later webhooks bring waits behind it, Diego's goes on. (By arrival: a
		// webhook's time is its first message's, of any contact, and says nothing of Carla's in it.)
		f.advance(1000);
		const DIEGO = '5511900000002';
		await f.store([message('wamid.D', DIEGO, { timestamp: String(t + 1) }), message('wamid.7', CARLA, { timestamp: String(t + 7) })], {
			messagesAt: T0 + 1000,
		});
		await f.store([message('wamid.3', CARLA, { timestamp: String(t + 3) })], { messagesAt: T0 + 3000 });
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.D']);
		f.advance(30000);
		f.calls.length = 0;
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.3', 'inbound app-1 wamid.5', 'inbound app-1 wamid.7']);
	});

	it("holds a contact's later messages behind one that failed, in order, without attempts of their own; other contacts go on", async () => {
		const f = fakes();
		const CARLA = '5511900000001';
		const DIEGO = '5511900000002';
		f.failWith.set('wamid.1', new Error('room not opened'));
		await f.store([message('wamid.1', CARLA), message('wamid.2', CARLA), message('wamid.D1', DIEGO)]);
		expect((await f.run()).problems).toHaveLength(1);
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.D1']);
		// Webhooks after: Carla's message waits (the failed one is not due), Diego's is posted.
		f.advance(10000);
		await f.store([message('wamid.3', CARLA), message('wamid.D2', DIEGO)]);
		f.calls.length = 0;
		expect((await f.run()).problems).toEqual([]);
		expect(f.calls).toEqual(['inbound app-1 wamid.D2']);
		const kept = (await f.inbox.all()).sort(
			(a, b) => a.receivedAt - b.receivedAt || Number(!!b.failingSince) - Number(!!a.failingSince),
		);
		expect(
			kept.map((e) => [
				e.receivedAt,
				e.events.map((ev) => (ev as InboundMessageEvent).wamid),
				e.attempts,
				e.nextAttemptAt,
				e.contacts,
			]),
		).toEqual([
			[T0, ['wamid.1'], 1, T0 + 30000, [`pn-1:${CARLA}`]],
			[T0, ['wamid.2'], undefined, T0 + 30000, [`pn-1:${CARLA}`]],
			[T0 + 10000, ['wamid.3'], undefined, T0 + 30000, [`pn-1:${CARLA}`]],
		]);
		// It fails again: the others wait on, left where they are (neither claimed nor rewritten).
		const behindIds = kept.slice(1).map((e) => e.id);
		f.advance(20000);
		f.calls.length = 0;
		const claim = jest.spyOn(f.inbox as WebhookInbox, 'claim');
		const add = jest.spyOn(f.inbox as WebhookInbox, 'add');
		expect((await f.run()).problems).toHaveLength(1);
		expect(f.calls).toEqual(['inbound app-1 wamid.1']);
		expect(claim.mock.calls.map(([id]) => id)).toEqual([kept[0].id]);
		expect(add.mock.calls.map(([entry]) => [entry.events.length, entry.attempts, entry.nextAttemptAt])).toEqual([[1, 2, T0 + 90000]]);
		expect((await f.inbox.all()).filter((e) => behindIds.includes(e.id))).toEqual(kept.slice(1));
		// Another run before it is due: nothing is claimed.
		claim.mockClear();
		await f.run();
		expect(claim).not.toHaveBeenCalled();
		// Omnichannel is back: all three in order, none of them degraded.
		f.failWith.clear();
		f.advance(60000);
		f.calls.length = 0;
		expect(await f.run()).toEqual({ problems: [], more: false });
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2', 'inbound app-1 wamid.3']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it('a message behind one that failed fails on its own count, and what is behind it waits on', async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new Error('first'));
		await f.store([message('wamid.1'), message('wamid.2'), message('wamid.3')]);
		await f.run();
		f.failWith.clear();
		f.failWith.set('wamid.2', new Error('second'));
		f.advance(30000);
		f.calls.length = 0;
		expect((await f.run()).problems).toEqual([
			"webhook event message not processed (attempt 1, tried again in 30 s; the contact's later messages wait behind it): second",
		]);
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2']);
		f.failWith.clear();
		f.advance(30000);
		f.calls.length = 0;
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.2', 'inbound app-1 wamid.3']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("holds a revoke of a contact's message behind the contact's failed one: the revoked message is posted first", async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new Error('room not opened'));
		await f.store([message('wamid.1'), message('wamid.2')]);
		await f.run();
		f.advance(1000);
		await f.store([message('wamid.R', '5511900000001', { type: 'revoke', originalMessageId: 'wamid.2' })]);
		f.calls.length = 0;
		await f.run();
		expect(f.calls).toEqual([]);
		f.failWith.clear();
		f.advance(29000);
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2', 'revoke wamid.2']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it('gives the messages behind a failed one the day of the first failure, not one more each', async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new Error('down'));
		await f.store([message('wamid.1')]);
		await f.run();
		f.advance(60000);
		await f.store([message('wamid.2')]);
		await f.run();
		// A day of attempts: wamid.1 is dropped; wamid.2, behind it since, fails once and is dropped too.
		f.failWith.set('wamid.2', new Error('down'));
		const dropped: string[] = [];
		for (let i = 0; i < 200 && (await f.inbox.all()).length; i++) {
			f.advance(600000);
			dropped.push(...(await f.run()).problems.filter((p) => p.includes('dropped')));
		}
		expect(dropped).toEqual([
			expect.stringMatching(/^WhatsApp message wamid\.1 dropped: not posted in 24 hours of attempts/),
			expect.stringMatching(/^WhatsApp message wamid\.2 dropped: not posted in 24 hours of attempts \(attempt 1\)/),
		]);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("keeps a contact's message behind an earlier one Meta delivered late (in a webhook received after it) while that one fails, run after run", async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new Error('down'));
		await f.store([message('wamid.2', '5511900000001', { timestamp: '1750000020' })], { receivedAt: T0, messagesAt: 1750000020000 });
		f.advance(10);
		// Meta's retry of an older webhook: the contact's first message, received after their second.
		await f.store([message('wamid.1', '5511900000001', { timestamp: '1750000010' })], {
			receivedAt: T0 + 10,
			messagesAt: 1750000010000,
		});
		const handled = () => f.calls.filter((c) => c.startsWith('inbound'));
		await f.run();
		expect(handled()).toEqual(['inbound app-1 wamid.1']);
		// Its retry fails again; runs in between (other webhooks) and after leave the second where it is.
		for (let i = 0; i < 6; i++) {
			f.advance(20000);
			await f.run();
		}
		expect(handled().every((c) => c === 'inbound app-1 wamid.1')).toBe(true);
		f.failWith.clear();
		f.advance(MESSAGE_BACKOFF_MAX_MS);
		await f.run();
		expect(handled().slice(-2)).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("a run's budget that cuts an entry sends the contact's messages left with the one that waits, in order", async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new WaitingForAgent());
		await f.store([message('wamid.1'), message('wamid.2'), message('wamid.D', '5511900000002')]);
		let ticks = 0;
		// The budget runs out after the first event: wamid.2 goes with wamid.1; Diego's message stays.
		expect((await processWebhooks({ ...f.ports, timer: () => (ticks++ < 2 ? 0 : 100), budgetMs: 50 })).more).toBe(true);
		const entries = await f.inbox.all();
		expect(entries.map((e) => [e.events.map((ev) => (ev as InboundMessageEvent).wamid), e.waitingSince !== undefined]).sort()).toEqual([
			[['wamid.1', 'wamid.2'], true],
			[['wamid.D'], false],
		]);
		f.failWith.clear();
		f.calls.length = 0;
		await f.run();
		expect(f.calls.filter((c) => !c.includes('wamid.D'))).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2']);
	});

	it("a run's budget that cuts an entry records at once a number change it sends with the contact's message that waits", async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new WaitingForAgent());
		await f.store([message('wamid.1'), message('wamid.SYS', '5511900000001', { type: 'system' })]);
		let ticks = 0;
		expect((await processWebhooks({ ...f.ports, timer: () => (ticks++ < 2 ? 0 : 100), budgetMs: 50 })).more).toBe(true);
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'held app-1 wamid.SYS']);
		expect((await f.inbox.all()).map((e) => e.events.map((ev) => (ev as InboundMessageEvent).wamid))).toEqual([
			['wamid.1', 'wamid.SYS'],
		]);
	});

	it('of one webhook, handles the entry of a message that waits before one of the later messages, whatever the listing order', async () => {
		const f = fakes();
		await f.store([message('wamid.2')], { id: 'later', receivedAt: T0 });
		await f.store([message('wamid.1')], { id: 'waiting', receivedAt: T0, waitingSince: T0 });
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2']);
	});

	it('keeps the failed events with their attempts and when they are due', async () => {
		const f = fakes();
		f.failWith.set('wamid.BAD', new Error('boom'));
		await f.store([message('wamid.BAD'), status('wamid.OK')]);
		await f.run();
		const [kept] = await f.inbox.all();
		expect(kept).toMatchObject({ attempts: 1, nextAttemptAt: T0 + 30000, receivedAt: T0, events: [{ wamid: 'wamid.BAD' }] });
		expect(kept.events).toHaveLength(1);
		expect(kept.claimedUntil).toBeUndefined();
	});

	it('leaves an entry another run holds until its lease ends', async () => {
		const f = fakes();
		await f.store([status('wamid.S')], { id: 'held', claimedUntil: T0 + 1000 } as Partial<InboxEntry>);
		await f.run();
		expect(f.calls).toEqual([]);
		f.advance(1000);
		await f.run();
		expect(f.calls).toEqual(['status wamid.S pn-1']);
	});

	it("records a contact's system message (a number change) held behind their messages that wait or failed at once, and handles it in its turn", async () => {
		const f = fakes();
		const system = (wamid: string) => message(wamid, '5511900000001', { type: 'system' });
		f.failWith.set('wamid.1', new WaitingForAgent());
		f.failWith.set('wamid.D1', new Error('boom'));
		// Diego's change is held behind his failed message; its recording ahead fails: it is kept all the same.
		f.failWith.set('held wamid.DSYS', new Error('store down'));
		await f.store([
			message('wamid.1'),
			message('wamid.2'),
			system('wamid.SYS'),
			message('wamid.D1', '5511900000002'),
			message('wamid.DSYS', '5511900000002', { type: 'system' }),
		]);
		const { problems } = await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'held app-1 wamid.SYS', 'inbound app-1 wamid.D1', 'held app-1 wamid.DSYS']);
		expect(problems).toContain(
			"webhook event message wamid.DSYS: not recorded ahead of the contact's earlier messages (it is in its turn): store down",
		);
		const kept = (await f.inbox.all()).map((e) => e.events.map((ev) => (ev as InboundMessageEvent).wamid)).sort();
		expect(kept).toEqual([['wamid.1', 'wamid.2', 'wamid.SYS'], ['wamid.D1'], ['wamid.DSYS']]);
		// In their turn, each contact's in order; the change goes through `handle` as any message.
		f.failWith.clear();
		f.calls.length = 0;
		f.advance(30000);
		await f.run();
		expect(f.calls.filter((c) => c.startsWith('inbound') && !c.includes('wamid.D'))).toEqual([
			'inbound app-1 wamid.1',
			'inbound app-1 wamid.2',
			'inbound app-1 wamid.SYS',
		]);
		expect(f.calls.filter((c) => c.startsWith('inbound') && c.includes('wamid.D'))).toEqual([
			'inbound app-1 wamid.D1',
			'inbound app-1 wamid.DSYS',
		]);
		expect(f.calls.filter((c) => c.startsWith('held'))).toEqual([]);
	});

	it("keeps a contact's messages waiting for an agent, in order, without counting attempts, and posts them when a room can open", async () => {
		const f = fakes();
		f.failWith.set('wamid.1', new WaitingForAgent());
		await f.store([message('wamid.1'), message('wamid.OTHER', '5511900000002'), status('wamid.S')], { receivedAt: T0 });
		f.advance(10);
		await f.store([message('wamid.2')], { receivedAt: T0 + 10 });
		expect(await f.run()).toEqual({ problems: [], more: false });
		// The contact's later message is not tried while the first waits; other work goes on.
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.OTHER', 'status wamid.S pn-1']);
		const waiting = (await f.inbox.all()).sort((a, b) => a.receivedAt - b.receivedAt);
		expect(
			waiting.map((e) => [e.receivedAt, e.events.map((ev) => (ev as InboundMessageEvent).wamid), e.attempts, e.waitingSince]),
		).toEqual([
			[T0, ['wamid.1'], undefined, T0 + 10],
			[T0 + 10, ['wamid.2'], undefined, T0 + 10],
		]);
		expect(f.infos).toEqual([
			'1 WhatsApp message(s) wait for an agent to be online; they are posted as soon as a room can be opened',
			'1 WhatsApp message(s) wait for an agent to be online; they are posted as soon as a room can be opened',
		]);
		// Kept entries are stored at the run's time, not at their webhook's (the sweep of orphaned events counts from it).
		const add = jest.spyOn(f.inbox as WebhookInbox, 'add');
		f.advance(60000);
		await f.run();
		// (The contact's later message is not even rewritten: it would only wait behind the first.)
		expect(add.mock.calls.map(([entry, options]) => [entry.receivedAt, options])).toEqual([[T0, { now: T0 + 60010 }]]);
		// Many runs later: still waiting, never dropped, told once.
		for (let i = 0; i < 8; i++) await f.run();
		expect(await f.inbox.all()).toHaveLength(2);
		expect(f.infos).toHaveLength(2);
		f.failWith.delete('wamid.1');
		f.calls.length = 0;
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2']);
		expect(await f.inbox.all()).toEqual([]);
	});
	it('while nobody is online for a room, tries one of the contacts waiting for it per run: the others stay (not claimed), their later messages behind them', async () => {
		const f = fakes();
		const claim = jest.spyOn(f.inbox as WebhookInbox, 'claim');
		const sales = 'pn-1:dept-sales:';
		// Three contacts of the number write while nobody of its department is online; a fourth's room is another department's.
		for (const wamid of ['wamid.A', 'wamid.B', 'wamid.C']) f.failWith.set(wamid, new WaitingForAgent(sales));
		f.failWith.set('wamid.D', new WaitingForAgent('pn-1:dept-care:'));
		await f.store([message('wamid.A', '5511900000001')], { receivedAt: T0 });
		await f.store([message('wamid.B', '5511900000002')], { receivedAt: T0 + 1 });
		await f.store([message('wamid.C', '5511900000003')], { receivedAt: T0 + 2 });
		await f.store([message('wamid.D', '5511900000004')], { receivedAt: T0 + 3 });
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.A', 'inbound app-1 wamid.B', 'inbound app-1 wamid.C', 'inbound app-1 wamid.D']);
		expect((await f.inbox.all()).map((e) => [e.waitingContacts, e.waitingRoutes, e.waitingTriedAt]).sort()).toEqual([
			[['pn-1:5511900000001'], { 'pn-1:5511900000001': sales }, T0],
			[['pn-1:5511900000002'], { 'pn-1:5511900000002': sales }, T0],
			[['pn-1:5511900000003'], { 'pn-1:5511900000003': sales }, T0],
			[['pn-1:5511900000004'], { 'pn-1:5511900000004': 'pn-1:dept-care:' }, T0],
		]);

		// B writes again. The next run tries A (still refused); B and C wait without a try, and B's new message behind B's first.
		f.advance(10);
		await f.store([message('wamid.B2', '5511900000002'), status('wamid.S')], { receivedAt: T0 + 10 });
		f.calls.length = 0;
		claim.mockClear();
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.A', 'inbound app-1 wamid.D', 'status wamid.S pn-1']);
		expect(claim).toHaveBeenCalledTimes(3);
		const kept = (await f.inbox.all()).sort((a, b) => a.receivedAt - b.receivedAt);
		expect(kept.map((e) => [e.receivedAt, e.events.map((ev) => (ev as InboundMessageEvent).wamid), e.waitingTriedAt])).toEqual([
			[T0, ['wamid.A'], T0 + 10],
			[T0 + 1, ['wamid.B'], T0],
			[T0 + 2, ['wamid.C'], T0],
			[T0 + 3, ['wamid.D'], T0 + 10],
			[T0 + 10, ['wamid.B2'], T0 + 10],
		]);

		// Each waiting message is tried in full at least every WAITING_FULL_CHECK_MS: B's and C's now (tried at T0).
		f.advance(WAITING_FULL_CHECK_MS - 10);
		f.calls.length = 0;
		await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.A', 'inbound app-1 wamid.B', 'inbound app-1 wamid.C', 'inbound app-1 wamid.D']);

		// An agent of the department comes online: every contact's messages go, each in order.
		f.failWith.clear();
		f.calls.length = 0;
		await f.run();
		expect(f.calls).toEqual([
			'inbound app-1 wamid.A',
			'inbound app-1 wamid.B',
			'inbound app-1 wamid.C',
			'inbound app-1 wamid.D',
			'inbound app-1 wamid.B2',
		]);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("keeps a contact's later message waiting while another run holds their waiting one: posted after it, and never dropped for the wait", async () => {
		const f = fakes();
		const DAY = 86400000;
		// The contact's first message has waited for days; a run that died holds its entry for a while.
		await f.store([message('wamid.1')], {
			receivedAt: T0 - 3 * DAY,
			waitingSince: T0 - 3 * DAY,
			waitingContacts: ['pn-1:5511900000001'],
			claimedUntil: T0 + INBOX_LEASE_MS,
		});
		await f.store([message('wamid.2')], { receivedAt: T0 });
		await f.run();
		expect(f.calls).toEqual([]);
		const [kept] = (await f.inbox.all()).filter((e) => e.events.some((ev) => (ev as InboundMessageEvent).wamid === 'wamid.2'));
		expect([kept.waitingSince, kept.blockedSince, kept.failingSince]).toEqual([T0, undefined, undefined]);
		// The lease ends: the first is posted, then the second, whose first failure is retried (a day of attempts from now).
		f.advance(INBOX_LEASE_MS);
		f.failWith.set('wamid.2', new Error('Rocket.Chat busy'));
		const { problems } = await f.run();
		expect(f.calls).toEqual(['inbound app-1 wamid.1', 'inbound app-1 wamid.2']);
		expect(problems.filter((p) => p.includes('dropped'))).toEqual([]);
		expect((await f.inbox.all()).map((e) => [e.events.map((ev) => (ev as InboundMessageEvent).wamid), e.failingSince])).toEqual([
			[['wamid.2'], T0 + INBOX_LEASE_MS],
		]);
	});

	it("tries a waiting entry unless every one of its contacts' rooms was refused again: two contacts of two departments, one of them staffed now", async () => {
		const f = fakes();
		const [sales, care] = ['pn-1:dept-sales:', 'pn-1:dept-care:'];
		f.failWith.set('wamid.OLD', new WaitingForAgent(sales));
		f.failWith.set('wamid.A', new WaitingForAgent(sales));
		f.failWith.set('wamid.C', new WaitingForAgent(care));
		await f.store([message('wamid.OLD', '5511900000009')], { receivedAt: T0 });
		await f.store([message('wamid.A', '5511900000001'), message('wamid.C', '5511900000003')], { receivedAt: T0 + 1 });
		await f.run();
		expect((await f.inbox.all()).find((e) => e.events.length === 2)?.waitingRoutes).toEqual({
			'pn-1:5511900000001': sales,
			'pn-1:5511900000003': care,
		});
		// Someone of care is online now; sales still has nobody. C writes again.
		f.failWith.delete('wamid.C');
		f.advance(10);
		await f.store([message('wamid.C2', '5511900000003')], { receivedAt: T0 + 10 });
		f.calls.length = 0;
		await f.run();
		// The shared entry is tried (care was not refused in this run): C's messages go, in order; A's waits.
		expect(f.calls).toEqual(['inbound app-1 wamid.OLD', 'inbound app-1 wamid.A', 'inbound app-1 wamid.C', 'inbound app-1 wamid.C2']);
		expect((await f.inbox.all()).map((e) => e.events.map((ev) => (ev as InboundMessageEvent).wamid)).sort()).toEqual([
			['wamid.A'],
			['wamid.OLD'],
		]);
	});

	it('tries every message waiting without a known room (stored by a version before, or whose room the handler did not say), and what a budget cut left of one', async () => {
		const f = fakes();
		f.failWith.set('wamid.A', new WaitingForAgent('pn-1:dept-sales:'));
		f.failWith.set('wamid.B', new WaitingForAgent());
		await f.store([message('wamid.A', '5511900000001')], { receivedAt: T0 });
		await f.store([message('wamid.B', '5511900000002')], { receivedAt: T0 + 1 });
		await f.store([message('wamid.C', '5511900000003')], { receivedAt: T0 + 2, waitingSince: T0 });
		f.failWith.set('wamid.C', new WaitingForAgent('pn-1:dept-sales:'));
		await f.run();
		f.calls.length = 0;
		await f.run();
		// C's entry now knows its room: refused again after A's, it is not tried.
		expect(f.calls).toEqual(['inbound app-1 wamid.A', 'inbound app-1 wamid.B']);

		// A waiting entry a run's budget cut keeps what is left without what said it waits: tried in full next time.
		const cut = fakes();
		const sales = 'pn-1:dept-sales:';
		await cut.store([message('wamid.X1', '5511900000001'), message('wamid.Y1', '5511900000002')], {
			receivedAt: T0,
			waitingSince: T0,
			waitingContacts: ['pn-1:5511900000001', 'pn-1:5511900000002'],
			waitingRoutes: { 'pn-1:5511900000001': sales, 'pn-1:5511900000002': sales },
			waitingTriedAt: T0,
		});
		let ticks = 0;
		expect((await processWebhooks({ ...cut.ports, timer: () => (ticks++ < 2 ? 0 : 100), budgetMs: 50 })).more).toBe(true);
		expect(cut.calls).toEqual(['inbound app-1 wamid.X1']);
		const [left] = await cut.inbox.all();
		expect(left.events.map((ev) => (ev as InboundMessageEvent).wamid)).toEqual(['wamid.Y1']);
		expect([left.waitingContacts, left.waitingRoutes, left.waitingTriedAt]).toEqual([undefined, undefined, undefined]);
	});
});

describe('processWebhooks: the sweep of events interrupted stores left', () => {
	const HOUR = 3600000;
	const removedLine = (n: number) =>
		`webhook inbox: removed ${n} record(s) left by webhooks whose storing was interrupted (Meta sends such webhooks again)`;

	it('a run that finds the inbox empty sweeps it, at most once an hour in the runtime, and logs what it removed', async () => {
		const f = fakes();
		const sweep = new OrphanSweep();
		const run = () => processWebhooks({ ...f.ports, sweep });
		await f.inbox.addEventsOnly({ id: 'x', events: [], receivedAt: T0 - HOUR }, { now: T0 - HOUR });
		await run();
		expect(f.infos).toEqual([removedLine(1)]);
		await f.inbox.addEventsOnly({ id: 'y', events: [], receivedAt: T0 - HOUR }, { now: T0 - HOUR });
		f.advance(HOUR - 1);
		await run();
		expect(f.infos).toEqual([removedLine(1)]);
		f.advance(1);
		await run();
		expect(f.infos).toEqual([removedLine(1), removedLine(1)]);
	});

	it('a run that finds stored webhooks does not sweep, and leaves the sweep due', async () => {
		const f = fakes();
		const sweep = new OrphanSweep();
		const sweepOrphans = jest.spyOn(f.inbox, 'sweepOrphans');
		await f.inbox.addEventsOnly({ id: 'x', events: [], receivedAt: T0 - HOUR }, { now: T0 - HOUR });
		await f.store([status('wamid.S')], { nextAttemptAt: T0 + 1000 });
		await processWebhooks({ ...f.ports, sweep });
		expect(sweepOrphans).not.toHaveBeenCalled();
		f.advance(1000);
		await processWebhooks({ ...f.ports, sweep });
		expect(f.calls).toEqual(['status wamid.S pn-1']);
		// The run after the inbox emptied sweeps.
		await processWebhooks({ ...f.ports, sweep });
		expect(sweepOrphans).toHaveBeenCalledTimes(1);
		expect(f.infos).toEqual([removedLine(1)]);
	});

	it('a sweep that fails is logged and the run goes on', async () => {
		const f = fakes();
		jest.spyOn(f.inbox, 'sweepOrphans').mockRejectedValue(new Error('read refused'));
		expect(await processWebhooks({ ...f.ports, sweep: new OrphanSweep() })).toEqual({ problems: [], more: false });
		expect(f.warns).toEqual(["webhook inbox: interrupted webhooks' records not swept: read refused"]);
	});
});

describe('processWebhooks: a run bounded by its budget', () => {
	/** A timer that moves 1 s each time a handler runs: the budget is counted in handled events. */
	function timed() {
		const f = fakes();
		let wall = 0;
		const handlers = {
			...f.ports.handlers,
			status: async (event: StatusEvent) => void (f.calls.push(`status ${event.wamid}`), (wall += 1000)),
		};
		const run = () => processWebhooks({ ...f.ports, handlers, timer: () => wall, budgetMs: 2500 });
		return { ...f, run };
	}

	it('starts no event after the budget; the rest stays stored, without a failed attempt, for the next run', async () => {
		const f = timed();
		await f.store([status('wamid.1'), status('wamid.2'), status('wamid.3'), status('wamid.4')]);
		await f.store([status('wamid.5')], { receivedAt: T0 + 1 });
		expect(await f.run()).toEqual({ problems: [], more: true });
		expect(f.calls).toEqual(['status wamid.1', 'status wamid.2', 'status wamid.3']);
		const left = (await f.inbox.all()).sort((a, b) => a.receivedAt - b.receivedAt);
		expect(left.map((e) => [e.events.map((ev) => (ev as StatusEvent).wamid), e.attempts, e.claimedUntil, e.nextAttemptAt])).toEqual([
			[['wamid.4'], undefined, undefined, undefined],
			[['wamid.5'], undefined, undefined, undefined],
		]);
		expect(await f.run()).toEqual({ problems: [], more: false });
		expect(f.calls.slice(3)).toEqual(['status wamid.4', 'status wamid.5']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it("counts the run's own work before the webhooks (`first`) in its budget: the webhooks get what it left", async () => {
		const f = fakes();
		let wall = 0;
		const handlers = {
			...f.ports.handlers,
			status: async (event: StatusEvent) => void (f.calls.push(`status ${event.wamid}`), (wall += 1000)),
		};
		/** What `first`'s stop said before and after its work: it says stop at half the budget. */
		const stops: boolean[][] = [];
		const run = (firstMs: number) =>
			processWebhooks({
				...f.ports,
				handlers,
				timer: () => wall,
				budgetMs: 2500,
				first: async (stop) => {
					const before = stop();
					wall += firstMs;
					stops.push([before, stop()]);
				},
			});
		await f.store([status('wamid.1'), status('wamid.2'), status('wamid.3')]);
		// 2 s of the 2.5 s went to `first`: one event, the rest for the next run.
		expect(await run(2000)).toEqual({ problems: [], more: true });
		expect(f.calls).toEqual(['status wamid.1']);
		// `first` took the whole budget: no webhook is started, and the run asks for the next.
		expect(await run(3000)).toEqual({ problems: [], more: true });
		expect(f.calls).toEqual(['status wamid.1']);
		expect(await run(0)).toEqual({ problems: [], more: false });
		expect(f.calls).toEqual(['status wamid.1', 'status wamid.2', 'status wamid.3']);
		expect(stops).toEqual([
			[false, true],
			[false, true],
			[false, false],
		]);
		// 1.2 s of 2.5 s is under half: `first` may go on.
		await run(1200);
		expect(stops[3]).toEqual([false, false]);
	});

	it('a failed event of an entry cut by the budget retries apart, with its back-off', async () => {
		const f = fakes();
		let wall = 0;
		const handlers = {
			...f.ports.handlers,
			status: async (event: StatusEvent) => {
				wall += 1000;
				if (event.wamid === 'wamid.1') throw new Error('boom');
			},
		};
		await f.store([status('wamid.1'), status('wamid.2'), status('wamid.3')]);
		const result = await processWebhooks({ ...f.ports, handlers, timer: () => wall, budgetMs: 1500 });
		expect(result).toEqual({ more: true, problems: [expect.stringContaining('boom')] });
		const entries = (await f.inbox.all()).map((e) => [
			e.events.map((ev) => (ev as StatusEvent).wamid),
			e.attempts ?? 0,
			e.nextAttemptAt ?? 0,
		]);
		expect(entries.sort()).toEqual([
			[['wamid.1'], 1, T0 + 30000],
			[['wamid.3'], 0, 0],
		]);
	});
});

describe('processWebhooks: statuses side by side', () => {
	it('handles statuses of different messages at once, at most STATUSES_AT_ONCE, each message in order', async () => {
		const f = fakes();
		let inFlight = 0;
		let most = 0;
		const order: string[] = [];
		const handlers = {
			...f.ports.handlers,
			status: async (event: StatusEvent) => {
				most = Math.max(most, ++inFlight);
				await new Promise((r) => setImmediate(r));
				order.push(`${event.wamid}:${event.status}`);
				inFlight--;
			},
		};
		const events: StatusEvent[] = [];
		for (const kind of ['sent', 'delivered', 'read'] as const)
			for (let m = 0; m < 30; m++) events.push({ ...status(`wamid.${m}`), status: kind });
		await f.store(events);
		expect(await processWebhooks({ ...f.ports, handlers })).toEqual({ problems: [], more: false });
		expect(most).toBe(STATUSES_AT_ONCE);
		for (let m = 0; m < 30; m++)
			expect(order.filter((o) => o.startsWith(`wamid.${m}:`))).toEqual([
				`wamid.${m}:sent`,
				`wamid.${m}:delivered`,
				`wamid.${m}:read`,
			]);
		expect(order).toHaveLength(90);
	});
});

describe('processWebhooks: one run at a time (a run the engine stopped waiting for goes on)', () => {
	/** `wamid.A`'s `delivered` is stored, then its `read`; handling the `delivered` waits for `release`. */
	function heldDelivered() {
		const f = fakes();
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const order: string[] = [];
		const handlers: WebhookHandlers = {
			...f.ports.handlers,
			status: async (event) => {
				if (event.status === 'delivered') await held;
				order.push(`${event.wamid}:${event.status}`);
			},
		};
		const storeDelivered = async () => {
			await f.store([{ ...status('wamid.A'), status: 'delivered' }]);
			f.advance(1);
		};
		// The first run holds the older webhook; a newer one arrives (and a second run starts beside it).
		const storeReadMeanwhile = async () => {
			await new Promise((r) => setImmediate(r));
			await f.store([{ ...status('wamid.A'), status: 'read' }]);
		};
		return { f, handlers, order, release: () => release(), storeDelivered, storeReadMeanwhile };
	}

	it('a run that finds another under way leaves at once; the older webhook is handled before the newer one', async () => {
		const { f, handlers, order, release, storeDelivered, storeReadMeanwhile } = heldDelivered();
		const gate = new RunGate<BatchResult>();
		await storeDelivered();
		const first = processWebhooks({ ...f.ports, handlers, gate });
		await storeReadMeanwhile();
		expect(await processWebhooks({ ...f.ports, handlers, gate })).toEqual({ problems: [], more: false });
		expect(order).toEqual([]);
		release();
		// The run under way says there is more: its job runs again and takes the newer webhook, after.
		expect(await first).toEqual({ problems: [], more: true });
		expect(await processWebhooks({ ...f.ports, handlers, gate })).toEqual({ problems: [], more: false });
		expect(order).toEqual(['wamid.A:delivered', 'wamid.A:read']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it('a run that fails after a webhook joined it answers `more` with the failure, so that the webhook gets its run', async () => {
		const f = fakes();
		const gate = new RunGate<BatchResult>();
		const listing = (list: () => Promise<InboxHead[]>): WebhookInbox => Object.assign(Object.create(f.inbox) as WebhookInbox, { list });
		// Nobody joined: the failure is the run's own.
		await expect(
			processWebhooks({ ...f.ports, gate, inbox: listing(() => Promise.reject(new Error('persistence unavailable'))) }),
		).rejects.toThrow('persistence unavailable');
		let fail: () => void = () => undefined;
		const failing = processWebhooks({
			...f.ports,
			gate,
			inbox: listing(() => new Promise((_, reject) => (fail = () => reject(new Error('persistence unavailable'))))),
		});
		expect(gate.join()).toBe(true);
		fail();
		expect(await failing).toEqual({ problems: ['the processing run failed: persistence unavailable'], more: true });
		expect(gate.takeOwed()).toBe(false);
	});

	it("on a cluster, a run that finds another instance's under way does nothing (`elsewhere`); the older webhook is handled first", async () => {
		const { f, handlers, order, release, storeDelivered, storeReadMeanwhile } = heldDelivered();
		const claims = new MemoryRoundClaims();
		// Two instances: a gate each, the storage shared.
		const instance = (name: string) => {
			const gate = new RunGate<BatchResult>();
			return () => processWebhooks({ ...f.ports, handlers, gate, claims, newToken: () => name });
		};
		const [a, b] = [instance('a'), instance('b')];
		await storeDelivered();
		const first = a();
		await storeReadMeanwhile();
		expect(await b()).toEqual({ problems: [], more: false, elsewhere: true });
		expect(order).toEqual([]);
		release();
		expect(await first).toEqual({ problems: [], more: false });
		expect(await claims.claims()).toEqual([]);
		// B's run asked for a second later takes the newer webhook, after.
		expect(await b()).toEqual({ problems: [], more: false });
		expect(order).toEqual(['wamid.A:delivered', 'wamid.A:read']);
		expect(await f.inbox.all()).toEqual([]);
	});

	it('without the gate (the mistake it prevents), the second run takes the newer webhook first', async () => {
		const { f, handlers, order, release, storeDelivered, storeReadMeanwhile } = heldDelivered();
		await storeDelivered();
		const first = processWebhooks({ ...f.ports, handlers });
		await storeReadMeanwhile();
		await processWebhooks({ ...f.ports, handlers });
		release();
		await first;
		expect(order).toEqual(['wamid.A:read', 'wamid.A:delivered']);
	});
});
