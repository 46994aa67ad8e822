/** The campaign service (core/app/campaigns.ts, campaignSends.ts) over memory ports and the real send log, on a clock the fake sleep moves. */
import { Campaigns, CampaignStart, RUN_CLAIM_LIVES_MS, RUN_LEASE_MS } from '../../../../src/core/app/campaigns';
import { CANCEL_CHECK_MS, CancelWatch } from '../../../../src/core/app/cancelWatch';
import { CampaignMayRun, MemoryCampaignStore } from '../../../../src/core/app/campaignsPorts';
import { graphCodeOf } from '../../../../src/core/app/explain';
import { MemoryMessageLog } from '../../../../src/core/app/memory';
import { SentMessage } from '../../../../src/core/app/ports';
import { SendLog } from '../../../../src/core/app/sendLog';
import { settingsOf, SettingKey } from '../../../../src/core/app/settings';
import { TemplateGraph } from '../../../../src/core/app/sendTemplatesPorts';
import { MemoryWebhookInbox } from '../../../../src/core/app/webhookBatch';
import { ADMISSION_WINDOW_MS } from '../../../../src/core/bulk/budget';
import { CHUNK_SIZE } from '../../../../src/core/bulk/campaign';
import { NumberPacer } from '../../../../src/core/bulk/pacer';
import { translate } from '../../../../src/core/i18n/translate';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { MemoryOutboxStore } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';
import { StatusEvent } from '../../../../src/core/status/webhook';
import { FakeGraph, graphError, keys, NUMBER, templatesWorld } from './fakes-templates';

const TEMPLATE = { name: 'order_ready', language: { code: 'en_US' } };
const ADMIN = { id: 'u-admin', roles: ['admin'] };
const OWNER = { id: 'u-owner', roles: ['livechat-manager'] };
const phones = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `1555${String(from + i).padStart(7, '0')}`);
const UNKNOWN = translate(undefined, 'campaign_error_outcome_unknown');

/** A message log that counts its batch reads, and keeps the sizes of the pending sends written together. */
class CountingLog extends MemoryMessageLog {
	batchReads = 0;
	readonly groups: number[] = [];
	async recordPending(messages: SentMessage[]): Promise<void> {
		this.groups.push(messages.length);
		return super.recordPending(messages);
	}
	async findByBatch(batch: string): Promise<SentMessage[]> {
		this.batchReads++;
		return super.findByBatch(batch);
	}
}

let campaignIds = 0;

function world(options: { settings?: Partial<Record<SettingKey, unknown>>; numbers?: ConnectedNumber[] } = {}) {
	const clock = { t: Date.parse('2026-03-01T10:00:00.000Z'), now: () => clock.t };
	const store = new MemoryCampaignStore();
	const graph = new FakeGraph();
	const messages = new CountingLog();
	// The stored webhooks, counting the runs' looks at their events (after a run that died).
	const inbox = Object.assign(new MemoryWebhookInbox(), { reads: 0 });
	const readEvents = inbox.events.bind(inbox);
	inbox.events = () => (inbox.reads++, readEvents());
	const outbox = new MemoryOutboxStore<StatusPayload>();
	/** The settings' values, which a test may change between runs. */
	const settingValues: Partial<Record<SettingKey, unknown>> = {
		sendRatePerSecond: 100,
		statusEndpointUrl: 'https://crm.example/status',
		...options.settings,
	};
	const settings = settingsOf(settingValues);
	const sendLog = new SendLog({ messages, outbox, settings, clock });
	// The number's pacer, as the app's Graph port has it (core/bulk/pacedGraph.ts), on the test's clock.
	const pacer = new NumberPacer({
		ratePerSecond: Number(options.settings?.sendRatePerSecond ?? 100),
		metaCode: graphCodeOf,
		clock: { now: () => clock.t, sleep: async (ms) => void (clock.t += ms) },
	});
	/** What the send log held for each Graph call as it was made: the recipient's records under the call's batch key. */
	const atCall: Array<{ to: string; batch: string; records: SentMessage[] }> = [];
	const hooks: { onCall?: (to: string) => Promise<void>; runSoon?: () => Promise<void> } = {};
	const logged: string[] = [];
	const paced: TemplateGraph = {
		sendMessage: (id, payload, pacing = {}) =>
			pacer.run(async () => {
				const { to, biz_opaque_callback_data: batch } = payload as { to: string; biz_opaque_callback_data: string };
				atCall.push({ to, batch, records: (await messages.findByBatch(batch)).filter((m) => m.mobileNo === to) });
				await hooks.onCall?.(to);
				return graph.sendMessage(id, payload);
			}, pacing),
		listAllTemplates: <T>() => graph.listAllTemplates<T>(),
	};
	const jobs = { campaign: 0, status: 0 };
	const service = new Campaigns({
		store,
		numbers: { list: async () => options.numbers ?? [NUMBER] },
		graphOf: () => paced,
		sendLog,
		messages,
		inbox,
		settings,
		clock,
		campaignJobs: {
			runSoon: async () => {
				jobs.campaign++;
				await hooks.runSoon?.();
			},
		},
		logger: { info: (line) => logged.push(line), warn: (line) => logged.push(line), error: (line) => logged.push(line) },
		statusJobs: { processSoon: async () => void jobs.status++ },
		// Ids differ across worlds too: a cancel is known to the whole runtime (campaigns.ts), as in the app.
		newId: () => `c${++campaignIds}`,
		sleep: async (ms) => void (clock.t += ms),
		// The clock above is the test's: a run reads a cancel as its sends ask (cancelWatch.test.ts has the real-time reads).
		every: () => () => undefined,
	});
	const start = (recipients: string[], routing = {}) =>
		service.start({ createdBy: OWNER.id, number: NUMBER, template: TEMPLATE, recipients, text: 'Hello', routing });
	const sentTo = () => graph.sends.map((s) => (s.payload as { to: string }).to);
	const run = (budgetMs = 10000, stopped = () => false, handOff?: () => Promise<void>) => service.run({ budgetMs, stopped, handOff });
	/** The first statuses queued for the Message Status Endpoint URL, in order. */
	const events = async () => (await outbox.list()).map((item) => item.payload);
	/** Every record of the campaign's sends, by chunk batch. */
	const records = async (id: string) => (await Promise.all((await store.chunks(id)).map((c) => messages.findByBatch(c.batch!)))).flat();
	return {
		clock,
		store,
		graph,
		messages,
		inbox,
		sendLog,
		atCall,
		hooks,
		jobs,
		logged,
		service,
		start,
		sentTo,
		run,
		events,
		records,
		settingValues,
	};
}

/** Writes what a send of the campaign's `to` in `chunk` left in the send log, as a run would have: begun, and settled or not. */
async function leftBy(w: ReturnType<typeof world>, id: string, batch: string, to: string, answer?: { wamid?: string; error?: unknown }) {
	const pending = await w.sendLog.begin({
		phoneNumberId: NUMBER.phoneNumberId,
		connectedWhatsAppNo: '15550100001',
		mobileNo: to,
		message: 'Hello',
		type: 'Template-Message',
		sentAt: new Date(w.clock.t).toISOString(),
		campaignId: id,
		batch,
	});
	if (answer) await w.sendLog.settle({ ...pending, wamid: answer.wamid }, answer.error);
}

/** A campaign of `n` recipients whose run died with all of them marked sending (their records are the test's to write: `leftBy`). */
async function diedSending(w: ReturnType<typeof world>, n: number) {
	const id = await w.start(phones(n));
	const [chunk] = await w.store.chunks(id);
	for (const recipient of chunk.recipients) recipient.state = 'sending';
	await w.store.saveChunk(chunk);
	return { id, chunk, to: phones(n) };
}

describe('campaigns', () => {
	it("writes each send before its Graph call under its chunk's batch key, links it, reports each queued with the campaign and the reference, and counts", async () => {
		const w = world();
		const id = await w.start(phones(250), { clientReference: 'crm-1' });
		expect(w.jobs.campaign).toBe(1);
		const chunks = await w.store.chunks(id);
		expect(chunks.map((c) => c.recipients.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 50]);
		expect(new Set(chunks.map((c) => c.batch)).size).toBe(3);
		for (const chunk of chunks) expect(chunk.batch).toMatch(/^rcwa\.[0-9a-f]{18}$/);

		expect(await w.run()).toEqual({ more: false, sent: 250 });
		expect(w.sentTo()).toEqual(phones(250));
		expect(w.graph.sends[0].payload).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: phones(1)[0],
			type: 'template',
			template: TEMPLATE,
			biz_opaque_callback_data: chunks[0].batch,
		});
		expect(w.graph.sends.map((s) => s.payload.biz_opaque_callback_data)).toEqual(
			phones(250).map((_, i) => chunks[Math.floor(i / CHUNK_SIZE)].batch),
		);
		// Record before send: at each call the recipient's record was there, pending, under the call's batch key.
		expect(w.atCall).toHaveLength(250);
		for (const call of w.atCall)
			expect(call.records.map((r) => [r.mobileNo, r.pending, r.batch])).toEqual([[call.to, true, call.batch]]);
		// Linked when Meta answered: one record per recipient, none pending.
		const records = await w.records(id);
		expect(records).toHaveLength(250);
		expect(records.filter((r) => r.pending)).toEqual([]);
		expect(await w.messages.findByWamid(`wamid.${phones(1)[0]}`)).toMatchObject({
			campaignId: id,
			clientReference: 'crm-1',
			batch: chunks[0].batch,
			statuses: ['queued'],
		});
		const events = await w.events();
		expect(events.map((e) => e.MessageStatus)).toEqual(Array(250).fill('queued'));
		expect(events[0]).toMatchObject({
			msId: `wamid.${phones(1)[0]}`,
			campaignId: id,
			clientReference: 'crm-1',
			connectedWhatsAppNo: '15550100001',
			message: 'Hello',
			type: 'Template-Message',
			templateName: 'order_ready',
		});
		expect(w.jobs.status).toBe(1);
		expect(await w.service.status(id, OWNER)).toMatchObject({
			id,
			state: 'done',
			total: 250,
			counts: { pending: 0, sending: 0, queued: 250, failed: 0, cancelled: 0 },
		});
	});

	it('writes the chunks at the end of a run two at a time, not all at once', async () => {
		const w = world();
		const id = await w.start(phones(600));
		let writing = 0;
		let most = 0;
		const saveChunk = w.store.saveChunk.bind(w.store);
		w.store.saveChunk = async (chunk) => {
			most = Math.max(most, ++writing);
			await new Promise((resolve) => setImmediate(resolve));
			await saveChunk(chunk).finally(() => writing--);
		};
		const saves = jest.spyOn(w.store, 'saveChunk');
		await w.run();
		expect(w.sentTo()).toEqual(phones(600));
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 600 });
		// Six chunks: each marked before its first send, and each written with its outcomes at the end.
		expect(saves.mock.calls.length).toBe(12);
		expect(most).toBe(2);
	});

	it('answers the id of a campaign it stored though its run could not be asked for (logged): the recurring run sends it', async () => {
		const w = world();
		w.hooks.runSoon = async () => {
			throw new Error('scheduler down');
		};
		const id = await w.start(phones(3));
		expect(w.logged).toEqual([`campaign ${id} stored, its run left to the recurring job: scheduler down`]);
		expect(await w.run()).toEqual({ more: false, sent: 3 });
		expect(w.sentTo()).toEqual(phones(3));
	});

	it("reports Meta's refusal as failed with Meta's error, and goes on", async () => {
		const w = world();
		w.graph.answer = (to) =>
			to === phones(2)[1] ? graphError(131026) : { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		const id = await w.start(phones(3));
		await w.run();
		const events = await w.events();
		expect(events.map((e) => [e.mobileNo, e.MessageStatus])).toEqual([
			[phones(3)[0], 'queued'],
			[phones(3)[2], 'queued'],
			[phones(3)[1], 'failed'],
		]);
		expect(events[2]).toMatchObject({ campaignId: id, ErrorDetails: expect.objectContaining({ code: 131026 }) });
		expect(events[2].msId).toBeUndefined();
		expect((await w.records(id)).filter((r) => r.pending)).toEqual([]);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 2, failed: 1 });
	});

	it('counts a run under way from the send log: the sends Meta accepted so far are queued, the rest of the run sending', async () => {
		const w = world();
		const id = await w.start(phones(150));
		let release = () => undefined as void;
		const held = new Promise<void>((resolve) => (release = resolve));
		w.hooks.onCall = (to) => (phones(150).indexOf(to) >= 120 ? held : Promise.resolve());
		const running = w.run();
		const linked = async () => (await w.records(id)).filter((r) => !r.pending).length;
		for (let turns = 0; turns < 10000 && (await linked()) < 120; turns++) await new Promise((resolve) => setImmediate(resolve));
		expect((await w.service.status(id, OWNER)).counts).toEqual({ pending: 0, sending: 30, queued: 120, failed: 0, cancelled: 0 });
		release();
		await running;
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 150, sending: 0 });
	});

	it('bounds a run by its budget at the rate setting and goes on in the next runs, nobody twice, nobody missed', async () => {
		const w = world({ settings: { sendRatePerSecond: 10 } });
		const id = await w.start(phones(60));
		const first = await w.run(3000);
		expect(first.more).toBe(true);
		expect(first.sent).toBeGreaterThan(0);
		expect(first.sent).toBeLessThanOrEqual(15);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ pending: 60 - first.sent, queued: first.sent, sending: 0 });
		for (let runs = 0; runs < 20 && (await w.run(3000)).more; runs++);
		expect(w.sentTo().sort()).toEqual(phones(60));
		expect((await w.service.status(id, OWNER)).state).toBe('done');
		expect((await w.records(id)).map((r) => r.mobileNo).sort()).toEqual(phones(60));
	});

	it('hands over once its last sends wait at the pacer: the next run sends the chunks after while the first still waits for an answer, nobody twice, nobody missed', async () => {
		const w = world({ settings: { sendRatePerSecond: 100 } });
		const to = phones(250);
		const id = await w.start(to);
		// 3 s budget at 100/s: 147 sends fit, cut to the whole chunk 0 (CHUNK_SIZE 100), so the run leaves no chunk part-sent.
		expect(CHUNK_SIZE).toBe(100);
		const steps: string[] = [];
		let nextCalled: () => void = () => undefined;
		const nextSent = new Promise<void>((resolve) => (nextCalled = resolve));
		w.hooks.onCall = async (phone) => {
			if (phone === to[100]) nextCalled();
			// The first run's last answer is late: it comes once the next run sent (or after 2 s, and the test fails).
			if (phone === to[99])
				await Promise.race([
					nextSent.then(() => steps.push('answer after the next run sent')),
					new Promise((resolve) => setTimeout(resolve, 2000)),
				]);
		};
		let next: Promise<{ more: boolean; sent: number }> | undefined;
		let atHandOff: { calls: number; held: boolean } | undefined;
		const first = w.run(
			3000,
			() => false,
			async () => {
				steps.push('handed over');
				// Before its last sends started, and with its chunk held in storage.
				const [own] = await w.store.chunks(id);
				atHandOff = { calls: w.graph.sends.length, held: (own.heldUntil ?? 0) > w.clock.t };
				// Its budget counts the first run's window of sends still ahead at the pacer (68 at 100/s):
				// 215 fit in 2.2 s, 147 after them, one whole chunk as in the first run.
				next = w.run(
					3700,
					() => false,
					async () => void steps.push('handed over again'),
				);
			},
		);
		const firstResult = await first;
		steps.push('first ended');
		expect(steps.filter((step) => step !== 'handed over again')).toEqual([
			'handed over',
			'answer after the next run sent',
			'first ended',
		]);
		expect(firstResult).toEqual({ more: true, sent: 100 });
		expect(atHandOff!.held).toBe(true);
		expect(atHandOff!.calls).toBeLessThan(100);
		// The next run sends chunk 1 and hands chunk 2 over in its turn.
		expect(await next).toEqual({ more: true, sent: 100 });
		expect(steps).toContain('handed over again');
		expect([...w.sentTo()].sort()).toEqual(to.slice(0, 200));
		expect((await w.store.get(id))!.leaseUntil).toBe(0);
		expect((await w.store.chunks(id)).map((c) => c.heldUntil)).toEqual([undefined, undefined, undefined]);
		expect(await w.run()).toEqual({ more: false, sent: 50 });
		expect(w.sentTo().sort()).toEqual(to);
		expect((await w.service.status(id, OWNER)).state).toBe('done');
		const records = await w.records(id);
		expect(records.map((r) => r.mobileNo).sort()).toEqual(to);
		expect(records.filter((r) => r.pending)).toEqual([]);
		expect((await w.events()).map((e) => e.MessageStatus)).toEqual(Array(250).fill('queued'));
	});

	it('leaves a chunk another run holds alone, and takes what that run left in it once the run ended', async () => {
		const w = world({ settings: { sendRatePerSecond: 100 } });
		const to = phones(250);
		const id = await w.start(to);
		let finishFirst: () => void = () => undefined;
		const firstMayEnd = new Promise<void>((resolve) => (finishFirst = resolve));
		let stop = false;
		w.hooks.onCall = async (phone) => {
			// The first run stops after 40 sends of chunk 0 (the app is being disabled): 60 are left in the chunk it holds.
			if (w.graph.sends.length === 39) stop = true;
			if (phone === to[39]) await firstMayEnd;
		};
		const first = w.run(3000, () => stop);
		await new Promise((resolve) => setImmediate(resolve));
		while (!stop) await new Promise((resolve) => setImmediate(resolve));
		stop = false;
		// Meanwhile a second run (the lease is not the first's any more, say: it died, as far as the store knows).
		await w.store.save({ ...(await w.store.get(id))!, leaseUntil: 0 });
		const before = w.sentTo().length;
		// Chunk 0 is held: the budget counts the first run's window ahead at the pacer (see above).
		const second = await w.run(3700);
		expect(second).toEqual({ more: true, sent: 100 });
		// It sent chunk 1, nothing of chunk 0.
		expect(w.sentTo().slice(before).sort()).toEqual(to.slice(100, 200));
		finishFirst();
		expect(await first).toMatchObject({ more: true });
		const left = to.length - w.sentTo().length;
		expect(left).toBeGreaterThan(50);
		expect(await w.run(3000)).toEqual({ more: false, sent: left });
		expect(w.sentTo().sort()).toEqual(to);
		expect(new Set(w.sentTo()).size).toBe(250);
		expect((await w.service.status(id, OWNER)).state).toBe('done');
	});

	it('the run handed over to ends the campaign when the chunks held at its start were finished meanwhile', async () => {
		const w = world({ settings: { sendRatePerSecond: 100 } });
		const to = phones(200);
		const id = await w.start(to);
		let nextCalled: () => void = () => undefined;
		const nextSent = new Promise<void>((resolve) => (nextCalled = resolve));
		let firstEnded: () => void = () => undefined;
		const firstOver = new Promise<void>((resolve) => (firstEnded = resolve));
		const guard = () => new Promise((resolve) => setTimeout(resolve, 2000));
		w.hooks.onCall = async (phone) => {
			if (phone === to[100]) nextCalled();
			// The first run's last answer waits for the next run's first send; the next run's last, for the first run's end.
			if (phone === to[99]) await Promise.race([nextSent, guard()]);
			if (phone === to[199]) await Promise.race([firstOver, guard()]);
		};
		let next: Promise<{ more: boolean; sent: number }> | undefined;
		const first = await w.run(
			3000,
			() => false,
			async () => void (next = w.run(3700)), // its budget counts the first run's window ahead (see above)
		);
		firstEnded();
		expect(first).toEqual({ more: true, sent: 100 });
		// Chunk 0 was held when the next run started; it reads it again at its end.
		expect(await next).toEqual({ more: false, sent: 100 });
		expect((await w.service.status(id, OWNER)).state).toBe('done');
		expect(w.sentTo().sort()).toEqual(to);
	});

	it('hands over when a chunk was held by another run at its start: what that run could not start goes to the next run, not after a pause', async () => {
		const w = world({ settings: { sendRatePerSecond: 100 } });
		const to = phones(150);
		const id = await w.start(to);
		// A run under way holds chunk 0: 60 sent, 40 it will not start (its budget ended).
		const [chunk0] = await w.store.chunks(id);
		const held = {
			...chunk0,
			heldUntil: w.clock.t + 60000,
			recipients: chunk0.recipients.map((r, i) => ({ ...r, state: i < 60 ? ('sending' as const) : ('pending' as const) })),
		};
		await w.store.saveChunk(held);
		const handOffs: Array<{ calls: number; ownHeld: boolean }> = [];
		const result = await w.run(
			3000,
			() => false,
			async () => {
				const own = (await w.store.chunks(id))[1];
				const ownHeld = (own.heldUntil ?? 0) > w.clock.t && own.recipients.every((r) => r.state === 'sending');
				handOffs.push({ calls: w.graph.sends.length, ownHeld });
			},
		);
		// It handed over once its own 50 (chunk 1, marked held in storage) all waited for their turn,
		// before its first call: the next run lines up behind them at the pacer.
		expect(handOffs).toEqual([{ calls: 0, ownHeld: true }]);
		expect(result).toEqual({ more: true, sent: 50 });
		expect([...w.sentTo()].sort()).toEqual(to.slice(100));
		// The run under way ends: the next run takes the 40 it left.
		await w.store.saveChunk({
			...held,
			heldUntil: undefined,
			recipients: held.recipients.map((r, i) => (i < 60 ? { to: r.to, state: 'queued' as const } : r)),
		});
		expect(await w.run(3000)).toEqual({ more: false, sent: 40 });
		expect((await w.service.status(id, OWNER)).state).toBe('done');
	});

	it('does not hand over when the marks of a chunk could not be stored: the run keeps the campaign', async () => {
		const w = world({ settings: { sendRatePerSecond: 100 } });
		const id = await w.start(phones(250));
		const saveChunk = w.store.saveChunk.bind(w.store);
		let failures = 1;
		w.store.saveChunk = async (chunk) => (failures-- > 0 ? Promise.reject(new Error('storage unavailable')) : saveChunk(chunk));
		const handOffs: string[] = [];
		const result = await w.run(
			3000,
			() => false,
			async () => void handOffs.push('handed over'),
		);
		expect(handOffs).toEqual([]);
		expect(w.sentTo()).toEqual([]);
		expect(result.more).toBe(true);
		expect((await w.store.get(id))!.leaseUntil).toBe(0);
		expect((await w.store.chunks(id)).map((c) => c.heldUntil)).toEqual([undefined, undefined, undefined]);
	});

	it('does not hand over when nothing is left beyond its own chunks, or when the app is being disabled; a run leaves chunks another run holds alone', async () => {
		const w = world({ settings: { sendRatePerSecond: 100 } });
		const to = phones(120);
		const id = await w.start(to);
		const handOffs: string[] = [];
		// 147 fit in the run, all 120 are its own.
		expect(
			await w.run(
				3000,
				() => false,
				async () => void handOffs.push('all own'),
			),
		).toEqual({ more: false, sent: 120 });
		const other = phones(250, 1000);
		const second = await w.start(other);
		let stop = false;
		w.hooks.onCall = async () => {
			if (w.graph.sends.length === 130) stop = true;
		};
		const stopped = await w.run(
			3000,
			() => stop,
			async () => void handOffs.push('stopped'),
		);
		expect(stopped.more).toBe(true);
		expect(handOffs).toEqual([]);
		// A chunk held by a run under way (its lease not over) is neither sent nor recovered by another run.
		stop = false;
		w.hooks.onCall = undefined;
		const [chunk0] = await w.store.chunks(second);
		const held = {
			...chunk0,
			heldUntil: w.clock.t + 60000,
			recipients: chunk0.recipients.map((r) => ({ ...r, state: 'sending' as const })),
		};
		await w.store.saveChunk(held);
		const sentBefore = w.graph.sends.length;
		const result = await w.run();
		expect(
			w
				.sentTo()
				.slice(sentBefore)
				.every((phone) => !held.recipients.some((r) => r.to === phone)),
		).toBe(true);
		expect(result.more).toBe(false);
		expect((await w.store.chunks(second))[0]).toEqual(held);
		expect((await w.service.status(second, OWNER)).state).toBe('active');
		void id;
	});

	it('writes the sends of a chunk together, as many per record as the number keeps in flight, never one record per send', async () => {
		// 10/s: the pacer keeps 4 in flight, 8 reach it at a time; a record holds at most 4 sends.
		const w = world({ settings: { sendRatePerSecond: 10 } });
		const id = await w.start(phones(30));
		// Records written for sends whose calls have not started yet.
		const ahead: number[] = [];
		w.hooks.onCall = async () => {
			const records = await w.records(id);
			const called = new Set(w.atCall.map((call) => call.to));
			ahead.push(records.filter((r) => r.pending && !called.has(r.mobileNo)).length);
		};
		await w.run(10000);
		expect(w.messages.groups).toEqual([4, 4, 4, 4, 4, 4, 4, 2]);
		expect(Math.max(...ahead)).toBeLessThanOrEqual(12);
		const records = await w.records(id);
		expect(records.map((r) => r.mobileNo).sort()).toEqual(phones(30));
		expect(records.filter((r) => r.pending)).toEqual([]);
	});

	it('keeps sending while the links of answered sends are slow: a send leaves the window when Meta answers', async () => {
		// 10/s: a window of 8. No record is linked until 20 calls were made (or 2 s passed, and the test fails).
		const w = world({ settings: { sendRatePerSecond: 10 } });
		const id = await w.start(phones(30));
		let openedBy = '';
		let open: () => void = () => undefined;
		const gate = new Promise<void>((resolve) => (open = resolve));
		const guard = setTimeout(() => ((openedBy ||= 'timeout'), open()), 2000);
		const link = w.messages.resolve.bind(w.messages);
		w.messages.resolve = async (message) => {
			await gate;
			return link(message);
		};
		w.hooks.onCall = async () => {
			if (w.atCall.length !== 20) return;
			openedBy ||= 'calls';
			open();
		};
		const result = await w.run(10000);
		clearTimeout(guard);
		expect(openedBy).toBe('calls');
		expect(result).toEqual({ more: false, sent: 30 });
		const records = await w.records(id);
		expect(records.filter((r) => r.pending)).toEqual([]);
		expect(records.map((r) => r.wamid).every(Boolean)).toBe(true);
	});

	it('a record that could not be written, or a group record that could not be removed, fails nobody and sends nobody twice', async () => {
		const w = world({ settings: { sendRatePerSecond: 10 } });
		const id = await w.start(phones(30));
		const recordPending = w.messages.recordPending.bind(w.messages);
		const removePending = w.messages.removePending.bind(w.messages);
		let writeFailures = 1;
		let removeFailures = 2;
		w.messages.recordPending = async (messages) =>
			writeFailures-- > 0 ? Promise.reject(new Error('storage unavailable')) : recordPending(messages);
		w.messages.removePending = async (group) =>
			removeFailures-- > 0 ? Promise.reject(new Error('storage unavailable')) : removePending(group);
		for (let runs = 0; runs < 5 && (await w.run(10000)).more; runs++);
		expect(w.sentTo().sort()).toEqual(phones(30));
		expect(new Set(w.sentTo()).size).toBe(30);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 30, failed: 0, pending: 0, sending: 0 });
		const linked = (await w.records(id)).filter((r) => !r.pending);
		expect(linked.map((r) => r.mobileNo).sort()).toEqual(phones(30));
		expect((await w.events()).map((e) => e.MessageStatus)).toEqual(Array(30).fill('queued'));
	});

	it('after a run that died: a linked or failed record is its outcome, no record is sent now, a pending record is failed "outcome unknown" and never resent', async () => {
		const w = world();
		const id = await w.start(phones(6));
		// What a dead run leaves: its lease, recipients 0-4 marked sending, and their records in the send log.
		const [chunk] = await w.store.chunks(id);
		for (const recipient of chunk.recipients.slice(0, 5)) recipient.state = 'sending';
		await w.store.saveChunk(chunk);
		const to = phones(6);
		await leftBy(w, id, chunk.batch!, to[0], { wamid: 'wamid.dead-run' });
		await leftBy(w, id, chunk.batch!, to[1]);
		// to[2]: marked, never begun.
		await leftBy(w, id, chunk.batch!, to[3], { error: graphError(131026) });
		await leftBy(w, id, chunk.batch!, to[4]);
		await w.store.save({ ...(await w.store.get(id))!, leaseUntil: w.clock.t + RUN_LEASE_MS });
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 1, failed: 1, sending: 3, pending: 1 });
		const before = (await w.events()).length;

		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect(w.graph.sends).toEqual([]);

		w.clock.t += RUN_LEASE_MS;
		await w.run();
		expect(w.sentTo()).toEqual([to[2], to[5]]);
		const events = (await w.events()).slice(before);
		expect(events.filter((e) => e.MessageStatus === 'failed').map((e) => [e.mobileNo, e.ErrorDetails])).toEqual([
			[to[1], UNKNOWN],
			[to[4], UNKNOWN],
		]);
		expect(events.filter((e) => e.MessageStatus === 'queued').map((e) => e.mobileNo)).toEqual([to[2], to[5]]);
		expect((await w.records(id)).filter((r) => r.pending)).toEqual([]);
		expect((await w.records(id)).map((r) => r.mobileNo).sort()).toEqual(to);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 3, failed: 3, sending: 0, pending: 0 });
	});

	it('after a run that died: a pending record of a send Meta\'s stored status names (its batch key, its recipient) is linked to that wamid and queued; the others stay "outcome unknown"', async () => {
		const w = world();
		const { id, chunk, to } = await diedSending(w, 6);
		await leftBy(w, id, chunk.batch!, to[0], { wamid: 'wamid.linked' });
		for (const recipient of to.slice(1)) await leftBy(w, id, chunk.batch!, recipient);
		const status = (wamid: string, recipientId: string, fields: Partial<StatusEvent> = {}): StatusEvent => ({
			kind: 'status',
			phoneNumberId: NUMBER.phoneNumberId,
			displayPhoneNumber: '15550100001',
			wamid,
			status: 'sent',
			timestamp: '1772359200',
			recipientId,
			bizOpaqueCallbackData: chunk.batch,
			...fields,
		});
		// Meta's statuses, as the webhook job keeps those of messages not known yet: sent and delivered of to[1]'s send, in two webhooks.
		await w.inbox.add({ id: 'w1', events: [status('wamid.one', to[1]), status('wamid.linked', to[2])], receivedAt: w.clock.t });
		await w.inbox.add({
			id: 'w2',
			events: [
				status('wamid.one', to[1], { status: 'delivered' }),
				// Not of this chunk's sends: another batch key, none, another number, a group.
				status('wamid.other-batch', to[3], { bizOpaqueCallbackData: 'rcwa.000000000000000000' }),
				status('wamid.no-key', to[3], { bizOpaqueCallbackData: undefined }),
				status('wamid.other-number', to[3], { phoneNumberId: 'pn-other' }),
				status('wamid.group', to[3], { recipientType: 'group' }),
				// Accepted, then failed at Meta: queued, and the failed status follows from the webhook job.
				status('wamid.four', to[4], { status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] }),
				// Two messages to one recipient: no run sends twice, so neither is taken.
				status('wamid.five-a', to[5]),
				status('wamid.five-b', to[5]),
			],
			receivedAt: w.clock.t,
		});
		const before = (await w.events()).length;

		w.clock.t += RUN_LEASE_MS;
		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect(w.graph.sends).toEqual([]);
		expect(w.inbox.reads).toBe(1);
		const events = (await w.events()).slice(before);
		expect(events.map((e) => [e.MessageStatus, e.mobileNo, e.msId ?? null, e.ErrorDetails ?? null])).toEqual([
			['queued', to[1], 'wamid.one', null],
			// wamid.linked is to[0]'s: not another send's.
			['failed', to[2], null, UNKNOWN],
			['failed', to[3], null, UNKNOWN],
			['queued', to[4], 'wamid.four', null],
			['failed', to[5], null, UNKNOWN],
		]);
		const records = await w.records(id);
		expect(records.filter((r) => r.pending)).toEqual([]);
		expect(records.filter((r) => r.wamid).map((r) => [r.mobileNo, r.wamid, r.statuses])).toEqual([
			[to[0], 'wamid.linked', ['queued']],
			[to[1], 'wamid.one', ['queued']],
			[to[4], 'wamid.four', ['queued']],
		]);
		expect((await w.store.chunks(id))[0].recipients).toEqual([
			{ to: to[0], state: 'queued', wamid: 'wamid.linked' },
			{ to: to[1], state: 'queued', wamid: 'wamid.one' },
			{ to: to[2], state: 'failed' },
			{ to: to[3], state: 'failed' },
			{ to: to[4], state: 'queued', wamid: 'wamid.four' },
			{ to: to[5], state: 'failed' },
		]);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 3, failed: 3, sending: 0, pending: 0 });
	});

	it('after a run that died: when the stored webhooks cannot be read, its pending sends are "outcome unknown", as without a status', async () => {
		const w = world();
		const { id, chunk, to } = await diedSending(w, 2);
		for (const recipient of to) await leftBy(w, id, chunk.batch!, recipient);
		w.inbox.events = () => Promise.reject(new Error('persistence down'));
		w.clock.t += RUN_LEASE_MS;
		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect((await w.events()).map((e) => [e.MessageStatus, e.ErrorDetails])).toEqual([
			['failed', UNKNOWN],
			['failed', UNKNOWN],
		]);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 0, failed: 2 });
		expect(w.logged).toEqual([expect.stringContaining('the stored webhooks could not be read (persistence down)')]);
	});

	it('reads the stored webhooks once per job run, for every campaign a run that died left pending sends in, and not when none did', async () => {
		const w = world();
		const first = await diedSending(w, 2);
		const second = await diedSending(w, 2);
		for (const died of [first, second]) for (const to of died.to) await leftBy(w, died.id, died.chunk.batch!, to);
		// Only a linked record: its outcome is known.
		const linkedOnly = async (v: ReturnType<typeof world>) => {
			const died = await diedSending(v, 1);
			await leftBy(v, died.id, died.chunk.batch!, died.to[0], { wamid: 'wamid.known' });
			v.clock.t += RUN_LEASE_MS;
			await v.run();
			expect((await v.service.status(died.id, OWNER)).counts).toMatchObject({ queued: 1, sending: 0 });
		};
		await linkedOnly(w);
		expect(w.inbox.reads).toBe(1);
		const other = world();
		await linkedOnly(other);
		expect(other.inbox.reads).toBe(0);
	});

	it('stops when the app is disabled: a send written but not started leaves no pending record, and the next run resumes without a duplicate', async () => {
		const w = world();
		const id = await w.start(phones(30));
		let stop = false;
		w.graph.answer = (to) => {
			if (w.graph.sends.length === 10) stop = true;
			return { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		};
		const first = await w.run(10000, () => stop);
		expect(first.more).toBe(true);
		expect(w.graph.sends.length).toBeGreaterThanOrEqual(10);
		const sentFirst = w.graph.sends.length;
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: sentFirst, pending: 30 - sentFirst, sending: 0 });
		// The chunk's sends were written together; those never started went with the group's record.
		expect((await w.records(id)).filter((r) => r.pending)).toEqual([]);
		expect((await w.records(id)).map((r) => r.mobileNo).sort()).toEqual([...w.sentTo()].sort());
		expect((await w.store.chunks(id))[0].recipients.filter((r) => r.sendId)).toEqual([]);
		stop = false;
		await w.run();
		expect(w.sentTo().sort()).toEqual(phones(30));
		const records = await w.records(id);
		expect(records.map((r) => r.mobileNo).sort()).toEqual(phones(30));
		expect(records.filter((r) => r.pending)).toEqual([]);
		expect((await w.events()).map((e) => e.MessageStatus)).toEqual(Array(30).fill('queued'));
	});

	it('uses the pending record a chunk written by an earlier version names for a send not started, and writes no second one', async () => {
		const w = world();
		const to = phones(3);
		const id = await w.start(to);
		const [chunk] = await w.store.chunks(id);
		await leftBy(w, id, chunk.batch!, to[1]);
		const [pending] = (await w.records(id)).filter((r) => r.pending);
		chunk.recipients[1] = { to: to[1], state: 'pending', sendId: pending.sendId, sentAt: pending.sentAt };
		await w.store.saveChunk(chunk);
		expect(await w.run()).toEqual({ more: false, sent: 3 });
		const records = await w.records(id);
		expect(records.map((r) => r.mobileNo).sort()).toEqual(to);
		expect(records.filter((r) => r.pending)).toEqual([]);
		expect(records.find((r) => r.mobileNo === to[1])!.sendId).toBe(pending.sendId);
	});

	it('waits, sending nothing and failing no one, while the Graph API base URL setting is refused; runs once it is corrected', async () => {
		const w = world({ settings: { graphApiBaseUrl: 'http://graph.example.com' } });
		const id = await w.start(phones(3));
		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect(w.graph.sends).toEqual([]);
		expect(w.logged).toEqual([
			'1 campaign(s) waiting: the Graph API base URL setting is neither https nor a loopback address, so nothing is sent',
		]);
		expect((await w.store.chunks(id)).flatMap((c) => c.recipients.map((r) => r.state))).toEqual(['pending', 'pending', 'pending']);
		expect(await w.events()).toEqual([]);
		// A cancelled one is closed meanwhile (that sends nothing).
		const cancelled = await w.start(phones(2));
		await w.service.cancel(cancelled, OWNER);
		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect((await w.store.get(cancelled))!.state).toBe('cancelled');
		expect((await w.store.open()).map((c) => c.id)).toEqual([id]);
		w.settingValues.graphApiBaseUrl = 'https://graph.facebook.com';
		expect(await w.run()).toEqual({ more: false, sent: 3 });
		expect(w.sentTo()).toEqual(phones(3));
	});

	it('cancel: nothing more is sent, the rest counts as cancelled; a finished campaign stays finished', async () => {
		const w = world();
		const id = await w.start(phones(40));
		w.graph.answer = (to) => {
			if (w.graph.sends.length === 5) void w.service.cancel(id, OWNER);
			return { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		};
		expect((await w.run()).more).toBe(false);
		const sent = w.graph.sends.length;
		expect(sent).toBeLessThan(40);
		expect(await w.service.status(id, OWNER)).toMatchObject({
			state: 'cancelled',
			counts: { queued: sent, cancelled: 40 - sent, pending: 0 },
		});
		await w.run();
		expect(w.graph.sends).toHaveLength(sent);

		const done = await w.start(phones(2, 100));
		await w.run();
		expect((await w.service.cancel(done, ADMIN)).state).toBe('done');
	});

	it('a cancel that could not be stored fails, and does not stop the runs of this runtime: the campaign goes on as everywhere', async () => {
		const w = world();
		const id = await w.start(phones(20));
		const cancel = w.store.cancel.bind(w.store);
		w.store.cancel = async () => {
			throw new Error('MongoNetworkError');
		};
		await expect(w.service.cancel(id, OWNER)).rejects.toThrow('MongoNetworkError');
		w.store.cancel = cancel;
		await w.run();
		expect(w.graph.sends).toHaveLength(20);
		expect(await w.service.status(id, OWNER)).toMatchObject({ state: 'done', counts: { queued: 20 } });
	});

	it("two cancels at once, the second not stored: the first's stands, and this runtime's runs still stop at once", async () => {
		const w = world();
		const id = await w.start(phones(20));
		const cancel = w.store.cancel.bind(w.store);
		let calls = 0;
		w.store.cancel = async (...args) => {
			if (++calls === 2) throw new Error('MongoNetworkError');
			return cancel(...args);
		};
		const [first, second] = await Promise.allSettled([w.service.cancel(id, OWNER), w.service.cancel(id, OWNER)]);
		expect([first.status, second.status]).toEqual(['fulfilled', 'rejected']);
		// Known in this runtime without a read: a store that never answers is not asked.
		const silent = { ...w.store, cancelled: () => new Promise<boolean>(() => undefined) } as unknown as MemoryCampaignStore;
		expect(new CancelWatch(id, { store: silent, clock: { now: () => 0 } }).cancelled).toBe(true);
		await w.run();
		expect(w.graph.sends).toHaveLength(0);
	});

	it('a cancel stored by another instance stops a run within CANCEL_CHECK_MS, and the run leaves it cancelled', async () => {
		const w = world();
		const id = await w.start(phones(300));
		let cancelledAt = 0;
		w.graph.answer = (to) => {
			// Another instance's Campaigns.cancel: its store write, without this runtime knowing.
			if (w.graph.sends.length === 20) void w.store.cancel(id, (cancelledAt = w.clock.t));
			return { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		};
		expect((await w.run()).more).toBe(false);
		const sent = w.graph.sends.length;
		// At 100/s, the run's first read of the cancel is CANCEL_CHECK_MS after its start (sends 20 to 100 go on, and the
		// few the pacer lets start while the read is answered).
		expect(sent).toBeGreaterThan(20);
		expect(sent).toBeLessThanOrEqual(20 + (CANCEL_CHECK_MS / 1000) * 100 + 3);
		expect(await w.service.status(id, OWNER)).toMatchObject({
			state: 'cancelled',
			counts: { queued: sent, cancelled: 300 - sent, pending: 0 },
			finishedAt: new Date(cancelledAt).toISOString(),
		});
		expect(await w.store.open()).toEqual([]);
		await w.run();
		expect(w.graph.sends).toHaveLength(sent);
	});

	it("a cancel stored between a run's read and rewrite of the campaign is not undone", async () => {
		const w = world();
		const id = await w.start(phones(300));
		const get = w.store.get.bind(w.store);
		// The run reads the head to take its lease; the cancel lands before the run writes the head back.
		w.store.get = async (campaignId) => {
			const head = await get(campaignId);
			if (w.graph.sends.length === 0) await w.store.cancel(id, w.clock.t);
			return head;
		};
		await w.run();
		const sent = w.graph.sends.length;
		expect(sent).toBeLessThanOrEqual((CANCEL_CHECK_MS / 1000) * 100 + 3);
		expect((await w.service.status(id, OWNER)).state).toBe('cancelled');
		await w.run();
		expect(w.graph.sends).toHaveLength(sent);
	});

	it('a campaign whose last recipient was sent as a cancel came is done, not cancelled', async () => {
		const w = world();
		const id = await w.start(phones(5));
		w.graph.answer = (to) => {
			if (w.graph.sends.length === 5) void w.store.cancel(id, w.clock.t);
			return { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		};
		await w.run();
		expect(w.graph.sends).toHaveLength(5);
		expect(await w.service.status(id, OWNER)).toMatchObject({ state: 'done', counts: { queued: 5, cancelled: 0 } });
		expect((await w.service.cancel(id, ADMIN)).state).toBe('done');
	});

	it('a cancelled campaign whose run died: the recipients it left sending take their outcomes, nobody is sent, then the campaign is closed', async () => {
		const w = world();
		const id = await w.start(phones(4));
		// What a run that handed over and then died leaves: recipients 0-2 marked sending, their chunk held (the campaign's lease released); and their records.
		const [chunk] = await w.store.chunks(id);
		for (const recipient of chunk.recipients.slice(0, 3)) recipient.state = 'sending';
		chunk.heldUntil = w.clock.t + RUN_LEASE_MS;
		await w.store.saveChunk(chunk);
		const to = phones(4);
		await leftBy(w, id, chunk.batch!, to[0], { wamid: 'wamid.dead-run' });
		await leftBy(w, id, chunk.batch!, to[1]);
		// to[2]: marked, never begun.
		// Another instance cancels.
		await w.store.cancel(id, w.clock.t);
		const before = (await w.events()).length;

		// While the chunk is held, nothing is taken from a run that may be alive.
		await w.run();
		w.clock.t += RUN_LEASE_MS / 2;
		await w.run();
		expect(w.graph.sends).toEqual([]);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 1, sending: 2, cancelled: 1 });
		expect((await w.store.open()).map((c) => c.id)).toEqual([id]);

		w.clock.t += RUN_LEASE_MS;
		await w.run();
		expect(w.graph.sends).toEqual([]);
		const events = (await w.events()).slice(before);
		expect(events.map((e) => [e.mobileNo, e.MessageStatus, e.ErrorDetails])).toEqual([[to[1], 'failed', UNKNOWN]]);
		expect((await w.records(id)).filter((r) => r.pending)).toEqual([]);
		expect(await w.service.status(id, OWNER)).toMatchObject({
			state: 'cancelled',
			counts: { queued: 1, failed: 1, sending: 0, pending: 0, cancelled: 2 },
		});
		expect(await w.store.open()).toEqual([]);
	});

	it('a cancel during a run, while a chunk a run that died holds is still sending: the campaign stays open until a later run took their outcomes', async () => {
		const w = world();
		const id = await w.start(phones(300));
		// A run that handed over (the lease released) and then died holding chunk 0, its recipients marked sending, one record pending.
		const [first] = await w.store.chunks(id);
		for (const recipient of first.recipients) recipient.state = 'sending';
		first.heldUntil = w.clock.t + RUN_LEASE_MS;
		await w.store.saveChunk(first);
		await leftBy(w, id, first.batch!, phones(1)[0]);
		w.graph.answer = (to) => {
			if (w.graph.sends.length === 10) void w.service.cancel(id, OWNER);
			return { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		};
		await w.run();
		const sent = w.graph.sends.length;
		expect(w.sentTo()).toEqual(phones(sent, CHUNK_SIZE));
		expect((await w.store.open()).map((c) => c.id)).toEqual([id]);
		expect((await w.service.status(id, OWNER)).state).toBe('cancelled');

		w.clock.t += RUN_LEASE_MS;
		await w.run();
		expect(w.graph.sends).toHaveLength(sent);
		expect(await w.store.open()).toEqual([]);
		expect(await w.service.status(id, OWNER)).toMatchObject({
			state: 'cancelled',
			counts: { queued: sent, failed: 1, sending: 0, pending: 0, cancelled: 300 - sent - 1 },
		});
	});

	it('a campaign an earlier version cancelled in its head, left on the open list, is closed and not sent', async () => {
		const w = world();
		const id = await w.start(phones(3));
		await w.store.save({ ...(await w.store.get(id))!, state: 'cancelled', finishedAt: w.clock.t });
		// Its marker's removal failed.
		w.store.unclosed.add(id);
		await w.run();
		await w.run();
		expect(w.graph.sends).toEqual([]);
		expect(await w.store.open()).toEqual([]);
		expect(await w.service.status(id, OWNER)).toMatchObject({ state: 'cancelled', counts: { cancelled: 3 } });
	});

	it('shows a campaign to its creator and admins only: 404 unknown, 403 someone else', async () => {
		const w = world();
		const id = await w.start(phones(1));
		expect((await w.service.status(id, ADMIN)).total).toBe(1);
		await expect(w.service.status('nope', OWNER)).rejects.toMatchObject({ status: 404, i18nKey: 'api_error_campaign_not_found' });
		await expect(w.service.status(id, { id: 'u-other', roles: ['livechat-manager'] })).rejects.toMatchObject({
			status: 403,
			i18nKey: 'api_error_campaign_forbidden',
		});
		await expect(w.service.cancel(id, { id: 'u-other' })).rejects.toMatchObject({ status: 403 });
		expect((await w.service.status(id, OWNER)).state).toBe('active');
	});

	it('fails every recipient with words when the number is no longer connected', async () => {
		const w = world({ numbers: [] });
		const id = await w.start(phones(3));
		await w.run();
		expect(w.graph.sends).toEqual([]);
		expect((await w.events()).map((e) => [e.MessageStatus, e.ErrorDetails])).toEqual(
			Array(3).fill(['failed', translate(undefined, 'campaign_error_number_gone')]),
		);
		expect(w.jobs.status).toBe(1);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ failed: 3 });
	});
});

describe('campaign runs on a cluster', () => {
	/** Holds the first `n` calls of `fn` until all `n` came: runs that read at the same moment. */
	const together = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, n: number) => {
		let waiting: Array<() => void> = [];
		let calls = 0;
		return async (...args: A): Promise<R> => {
			const result = await fn(...args);
			if (++calls <= n) {
				await new Promise<void>((resolve) => {
					waiting.push(resolve);
					if (waiting.length === n) for (const go of waiting.splice(0)) go();
				});
				if (calls >= n) waiting = [];
			}
			return result;
		};
	};

	it('two runs that read the free campaign at once (two instances): never both send it; a later run sends each recipient once', async () => {
		const w = world();
		const id = await w.start(phones(5));
		const get = w.store.get.bind(w.store);
		w.store.get = together(get, 2);
		const runs = await Promise.all([w.run(), w.run()]);
		expect(runs.map((r) => r.sent).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5);
		w.store.get = get;
		// Whatever the two left (both may have stepped back), the next run finishes; nobody twice.
		while ((await w.store.get(id))!.state === 'active') {
			w.clock.t += RUN_LEASE_MS;
			await w.run();
		}
		expect(w.sentTo().sort()).toEqual(phones(5).sort());
		expect(w.store.claims.get(id)).toEqual([]);
	});

	it('a run leaves a campaign whose claim another run holds, and takes it once that claim is withdrawn or has lived RUN_CLAIM_LIVES_MS', async () => {
		const w = world();
		const id = await w.start(phones(2));
		await w.store.claimRun(id, { token: 'other-instance', at: w.clock.t });
		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect(w.graph.sends).toEqual([]);
		w.clock.t += RUN_CLAIM_LIVES_MS;
		expect(await w.run()).toMatchObject({ sent: 2 });
		expect(w.sentTo()).toEqual(phones(2));
	});

	it('leaves a campaign that another run took after this run listed it (the lease as stored decides)', async () => {
		const w = world();
		const id = await w.start(phones(3));
		const open = w.store.open.bind(w.store);
		// This run lists the campaigns; another instance's run takes the campaign before this one reaches it.
		w.store.open = async () => {
			const listed = await open();
			await w.store.save({ ...(await w.store.get(id))!, leaseUntil: w.clock.t + RUN_LEASE_MS });
			return listed;
		};
		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect(w.graph.sends).toEqual([]);
		w.store.open = open;
		w.clock.t += RUN_LEASE_MS;
		await w.run();
		expect(w.sentTo()).toEqual(phones(3));
	});
});

describe('templateMessage with async: true', () => {
	const body = (extra: Record<string, unknown> = {}) => ({
		phoneNumbers: ['+55 11 98765-4321', 'not a number', '5511987654321', '+1 202 555 0100'],
		connectedWhatsAppNo: '1001',
		template: {
			name: 'order_ready',
			language: { code: 'en_US' },
			components: [
				{
					type: 'body',
					parameters: [
						{ type: 'text', text: 'Ana' },
						{ type: 'text', text: '42' },
					],
				},
			],
		},
		async: true,
		...extra,
	});

	it('checks as a send does, then starts a campaign and answers 202 with its id and the invalid contacts, sending nothing now', async () => {
		const started: CampaignStart[] = [];
		const w = templatesWorld({ campaigns: { start: async (input) => (started.push(input), 'c-1') } });
		const answer = await w.service.templateMessage({
			body: body({ clientReference: 'crm-9', idempotencyKey: 'k' }),
			roles: ['admin'],
			t: keys,
			userId: 'u1',
		});
		expect(answer).toEqual({ status: 202, content: { success: true, campaignId: 'c-1', invalidContacts: ['not a number'] } });
		expect(w.graph.sends).toEqual([]);
		expect(started).toEqual([
			expect.objectContaining({
				createdBy: 'u1',
				recipients: ['5511987654321', '12025550100'],
				text: 'Hello Ana, your order 42 is ready.',
				routing: { clientReference: 'crm-9', targetAgent: undefined, targetDepartment: undefined },
			}),
		]);
		const again = await w.service.templateMessage({
			body: body({ clientReference: 'crm-9', idempotencyKey: 'k' }),
			roles: ['admin'],
			t: keys,
			userId: 'u1',
		});
		expect(again).toEqual({ status: 202, content: { ...answer.content, replayed: true } });
		expect(started).toHaveLength(1);
	});

	it.each([false, true])(
		'refuses (400, out of time) a request whose checks spent the admission window, storing no campaign (dry run: %p)',
		async (dryRun) => {
			const started: CampaignStart[] = [];
			const w = templatesWorld({ campaigns: { start: async (input) => (started.push(input), 'c-1') } });
			const list = w.graph.listAllTemplates.bind(w.graph);
			// Meta's template list answers after the window (pages of a large account, a slow Meta).
			w.graph.listAllTemplates = async <T>(wabaId?: string) => {
				w.clock.at += ADMISSION_WINDOW_MS;
				return list<T>(wabaId);
			};
			const request = { body: body({ idempotencyKey: 'k', dryRun }), roles: ['admin'], t: keys, userId: 'u1' };
			await expect(w.service.templateMessage(request)).rejects.toMatchObject({
				status: 400,
				i18nKey: 'api_error_request_out_of_time',
			});
			expect(started).toEqual([]);
			expect(w.graph.sends).toEqual([]);
			// The key was not taken: the caller's next try goes through.
			expect(w.answers.size).toBe(0);
			w.graph.listAllTemplates = list;
			expect(await w.service.templateMessage(request)).toMatchObject({ status: dryRun ? 200 : 202 });
		},
	);

	it("answers 202 with the campaign's id though its idempotency key's answer cannot be stored (logged): a retry replays that 202 and starts nothing again", async () => {
		const started: CampaignStart[] = [];
		const w = templatesWorld({ campaigns: { start: async (input) => (started.push(input), 'c-1') } });
		const save = w.idempotency.save.bind(w.idempotency);
		w.idempotency.save = async (entry) => {
			if (entry.state === 'done') throw new Error('MongoNetworkError');
			return save(entry);
		};
		const request = { body: body({ idempotencyKey: 'k' }), roles: ['admin'], t: keys, userId: 'u1' };
		expect(await w.service.templateMessage(request)).toEqual({
			status: 202,
			content: { success: true, campaignId: 'c-1', invalidContacts: ['not a number'] },
		});
		expect(w.logged).toEqual(["campaign stored, but the idempotency key's answer not kept: MongoNetworkError"]);
		expect(w.answers.get('u1:k')).toMatchObject({ state: 'interrupted', campaignId: 'c-1' });
		expect(await w.service.templateMessage(request)).toEqual({
			status: 202,
			content: { success: true, campaignId: 'c-1', invalidContacts: ['not a number'], replayed: true },
		});
		expect(started).toHaveLength(1);
	});

	it('answers a campaign whose failed start may still run with its id (500), and keeps its key: a retry replays its 202 and starts nothing', async () => {
		const started: CampaignStart[] = [];
		const w = templatesWorld({
			campaigns: {
				start: async (input) => {
					started.push(input);
					throw new CampaignMayRun(new Error('MongoNetworkError'), 'c-9');
				},
			},
		});
		const request = { body: body({ idempotencyKey: 'k' }), roles: ['admin'], t: keys, userId: 'u1' };
		expect(await w.service.templateMessage(request)).toEqual({
			status: 500,
			content: {
				success: false,
				error: 'api_error_campaign_may_run {"campaignId":"c-9"}',
				code: 'campaign_may_run',
				campaignId: 'c-9',
			},
		});
		expect(w.logged).toEqual(['campaign c-9 not stored for sure, it may run: MongoNetworkError']);
		expect(w.answers.get('u1:k')).toMatchObject({ state: 'interrupted', campaignId: 'c-9' });
		expect(await w.service.templateMessage(request)).toEqual({
			status: 202,
			content: { success: true, campaignId: 'c-9', invalidContacts: ['not a number'], replayed: true },
		});
		expect(started).toHaveLength(1);
	});

	it('frees the key of a campaign that could not be stored (a 500), and a retry starts it', async () => {
		const started: CampaignStart[] = [];
		let fail = true;
		const w = templatesWorld({
			campaigns: {
				start: async (input) => {
					if (fail) throw new Error('MongoNetworkError');
					return (started.push(input), 'c-1');
				},
			},
		});
		const request = { body: body({ idempotencyKey: 'k' }), roles: ['admin'], t: keys, userId: 'u1' };
		await expect(w.service.templateMessage(request)).rejects.toThrow('MongoNetworkError');
		expect(w.answers.has('u1:k')).toBe(false);
		fail = false;
		expect(await w.service.templateMessage(request)).toMatchObject({ status: 202, content: { campaignId: 'c-1' } });
		expect(started).toHaveLength(1);
	});

	it('refuses what a send refuses: a bad component, an unapproved template, a caller without the role', async () => {
		const started: CampaignStart[] = [];
		const w = templatesWorld({ campaigns: { start: async (input) => (started.push(input), 'c-1') } });
		await expect(
			w.service.templateMessage({
				body: body({
					template: { name: 'order_ready', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [null] }] },
				}),
				roles: ['admin'],
				t: keys,
				userId: 'u1',
			}),
		).rejects.toMatchObject({ status: 400 });
		await expect(
			w.service.templateMessage({
				body: body({ template: { name: 'nope', language: { code: 'en_US' } } }),
				roles: ['admin'],
				t: keys,
				userId: 'u1',
			}),
		).rejects.toMatchObject({ status: 400, i18nKey: 'api_error_template_not_approved' });
		await expect(w.service.templateMessage({ body: body(), roles: ['user'], t: keys, userId: 'u1' })).rejects.toMatchObject({
			status: 403,
		});
		expect(started).toEqual([]);
	});
});
