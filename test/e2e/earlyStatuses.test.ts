/**
 * Record before send, through the engine: Meta's `sent` and `failed` statuses delivered while a send
 * is still under way (before the app got Meta's answer) are kept, and each is forwarded to the
 * Message Status Endpoint URL exactly once, after its `queued`: for templateMessage, the modal, an
 * agent's reply and a campaign. The simulated Cloud API holds each answer until the test has
 * delivered the statuses of that message and a processing run has handled them (its `onAccepted`
 * hook): no sleeps.
 */
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import {
	addContactRoom,
	ADMIN_AUTH,
	AppUnderTest,
	callApi,
	connectNumber,
	contactVisitorToken,
	NUMBER,
	startApp,
	stopChecked,
} from '../support/appUnderTest';
import { StatusSink } from '../support/statusSink';

/* eslint-disable @typescript-eslint/no-explicit-any */
const TEMPLATE = {
	name: 'order_update',
	language: { code: 'en_US' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
};
const RECIPIENTS = Array.from({ length: 250 }, (_, i) => `55119${String(10000000 + i)}`);

describe('statuses that arrive while the send is under way', () => {
	let app: AppUnderTest;
	let sink: StatusSink;
	/** Job runs one at a time, as the scheduler runs them. */
	let jobs: Promise<unknown> = Promise.resolve();
	const runJobs = (): Promise<unknown> => (jobs = jobs.then(() => app.harness.scheduler.runDue()));
	/**
	 * A processing run of the stored webhooks, in the same line. A caller joins the next one if it has
	 * not started yet: statuses posted together are handled by one run that starts after all of them
	 * were stored, so an answer held for its status waits for at most two short runs, however many
	 * sends are held at once. (A whole `runDue` per held send, in a row, could start the campaign's
	 * own job again inside its run and held the answers past the Graph client's 10 s timeout on a
	 * loaded machine.)
	 */
	let nextProcessing: Promise<unknown> | undefined;
	const processWebhooks = (): Promise<unknown> => {
		if (nextProcessing) return nextProcessing;
		const run = jobs.then(() => {
			nextProcessing = undefined;
			return app.harness.scheduler.runDueOf('process-webhooks');
		});
		nextProcessing = run;
		jobs = run.catch(() => undefined);
		return run;
	};

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		app.sim.setTemplates(NUMBER.wabaId, [
			{
				id: '1',
				name: 'order_update',
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
			},
		]);
		sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
	});
	afterEach(async () => {
		app.sim.onAccepted = undefined;
		try {
			await sink.stop();
		} finally {
			await stopChecked(app);
		}
	});

	/** Meta's status of `wamid`, posted (signed) to the app before Meta's answer to the send goes back; then a processing run. */
	async function statusBeforeAnswer(wamid: string, status: 'sent' | 'failed'): Promise<void> {
		const [res] = await app.sim.deliverStatuses([{ wamid, status, ...(status === 'failed' ? { errors: [131026] } : {}) }]);
		expect(res.status).toBe(200);
		await processWebhooks();
	}

	/** Job runs until `done` (each run of the recurring job retries kept statuses), a bounded number of times. */
	async function runUntil(done: () => boolean): Promise<void> {
		for (let i = 0; i < 6 && !done(); i++) await app.harness.scheduler.advance(30000);
	}

	const statusesOf = (msId: string) => sink.deliveries.filter((d) => d.body.msId === msId).map((d) => d.body.MessageStatus);
	const batchKeys = () => app.sim.requestsTo('/messages').map((r) => (r.body as any).biz_opaque_callback_data);

	it('a 250-recipient templateMessage: every early sent and failed (131026) is forwarded once, after its queued', async () => {
		const early = new Map<string, 'sent' | 'failed'>();
		// Every 25th send, across all three 100-recipient chunks, gets its status before Meta's answer
		// (sent, failed, sent...): 10 webhooks and job runs inside the request.
		let accepted = 0;
		app.sim.onAccepted = async (message) => {
			accepted++;
			if (accepted % 25 !== 1) return;
			const status = early.size % 2 === 1 ? 'failed' : 'sent';
			early.set(message.wamid, status);
			await statusBeforeAnswer(message.wamid, status);
		};
		const res = await callApi(app, 'templateMessage', {
			body: { phoneNumbers: RECIPIENTS, connectedWhatsAppNo: NUMBER.phoneNumberId, template: TEMPLATE },
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		const results: Array<{ phoneNumber: string; msId?: string; error?: { code: number; message: string } }> = res.body.results;
		expect(results.map((r) => r.phoneNumber)).toEqual(RECIPIENTS);
		// All 250 are sent on a quiet machine. On a loaded one, a send may not start within the
		// request's send window (18 s, under Rocket.Chat's 30 s call limit): reported as not sent, and
		// it never reached Meta; or the answer held back by this test's job run may come after the
		// Graph client's 10 s timeout: reported as not known.
		const sent = results.filter((r) => r.msId);
		const unanswered = results.filter((r) => !r.msId);
		for (const r of unanswered)
			expect(r.error).toEqual({
				code: 0,
				reason: expect.stringMatching(/^(not_started|timeout)$/),
				message: expect.stringMatching(/^(Not sent: the request ran out of time|WhatsApp did not answer in time)/),
			});
		const reachedMeta = [...sent, ...unanswered.filter((r) => r.error!.message.startsWith('WhatsApp did not answer'))];
		const bodies = app.sim.requestsTo('/messages').map((r) => r.body as any);
		expect(bodies.map((b) => b.to).sort()).toEqual(reachedMeta.map((r) => r.phoneNumber).sort());
		// Every send of the request carried the request's batch key, which Meta echoes on statuses.
		const batch = bodies[0].biz_opaque_callback_data;
		expect(batch).toMatch(/^rcwa\.[0-9a-f]{18}$/);
		expect(bodies.map((b) => b.biz_opaque_callback_data)).toEqual(bodies.map(() => batch));
		expect(early.size).toBe(Math.ceil(reachedMeta.length / 25));
		const earlyOfSent = sent.filter((r) => early.has(r.msId!));
		expect(earlyOfSent.length).toBeGreaterThanOrEqual(2);

		await runJobs();
		await runUntil(() => sent.every((r) => statusesOf(r.msId!).length === (early.has(r.msId!) ? 2 : 1)));
		for (const r of sent) expect(statusesOf(r.msId!)).toEqual(early.has(r.msId!) ? ['queued', early.get(r.msId!)] : ['queued']);
		for (const r of earlyOfSent.filter((r) => early.get(r.msId!) === 'failed'))
			expect(
				sink.deliveries.find((d) => d.body.msId === r.msId && d.body.MessageStatus === 'failed')?.body.ErrorDetails,
			).toMatchObject({ code: 131026 });
		expect(new Set(sink.deliveries.map((d) => d.body.eventId)).size).toBe(sink.deliveries.length);
	});

	it("an agent's reply: its early sent is forwarded once, after its queued", async () => {
		const ana = app.harness.addUser({ username: 'ana', name: 'Ana Lima', roles: ['user', 'livechat-agent'] });
		ana.livechatStatus = 'available';
		await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: '5511987654321', name: 'Carla', message: 'Hi!' });
		await app.harness.scheduler.runDue();
		const room = [...app.harness.world.rooms.values()].find((r) => r.type === 'l')!;
		let wamid = '';
		app.sim.onAccepted = async (message) => {
			wamid = message.wamid;
			await statusBeforeAnswer(message.wamid, 'sent');
		};
		await app.harness.userMessage({ user: ana, room, text: 'Hello Carla' });
		expect(wamid).toMatch(/^wamid\./);
		await runJobs();
		await runUntil(() => statusesOf(wamid).length === 2);
		expect(statusesOf(wamid)).toEqual(['queued', 'sent']);
		expect(sink.deliveries.find((d) => d.body.msId === wamid)?.body).toMatchObject({
			type: 'Regular-Message',
			mobileNo: '5511987654321',
		});
	});

	describe('the modal', () => {
		let agent: HarnessUser;
		beforeEach(() => {
			agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
			agent.livechatStatus = 'available';
		});

		/** `/whatsapp send-template` in `room`, order_update with `order`, submitted; the submit's answer. */
		async function sendFromModal(room: HarnessRoom, order: string, recipient?: string) {
			await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
			let view: any = app.harness.lastView(agent)!;
			for (const [actionId, value] of [
				['send-template', 'order_update'],
				['param:body.1', order],
			]) {
				const res = await app.harness.blockAction({ user: agent, actionId, blockId: actionId, value, view });
				expect(res).toMatchObject({ success: true, type: 'modal.update' });
				view = res.view;
			}
			const state: Record<string, Record<string, unknown>> = recipient ? { 'send-recipient': { 'send-recipient': recipient } } : {};
			return app.harness.viewSubmit({ user: agent, view, state });
		}

		it('in a contact room and outside one (its room opened after Meta answered): an early sent and an early failed (131026) are each forwarded once, after their queued', async () => {
			const room = addContactRoom(app, agent);
			const early: Array<{ wamid: string; status: 'sent' | 'failed' }> = [];
			app.sim.onAccepted = async (message) => {
				const status = early.length ? 'failed' : 'sent';
				early.push({ wamid: message.wamid, status });
				await statusBeforeAnswer(message.wamid, status);
			};
			expect(await sendFromModal(room, '42')).toMatchObject({ success: true });
			const general = app.harness.addRoom({ name: 'general', creator: agent });
			expect(await sendFromModal(general, '43', '+55 21 99999-0000')).toMatchObject({ success: true });
			expect(early).toHaveLength(2);
			expect(batchKeys()).toEqual([expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/), expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/)]);

			await runJobs();
			await runUntil(() => early.every((e) => statusesOf(e.wamid).length === 2));
			const [inRoom, outside] = early;
			expect(statusesOf(inRoom.wamid)).toEqual(['queued', 'sent']);
			expect(statusesOf(outside.wamid)).toEqual(['queued', 'failed']);
			const newRoom = [...app.harness.world.rooms.values()].find(
				(r) => r.type === 'l' && (r.visitor as any)?.token === contactVisitorToken(app, '5521999990000', NUMBER.phoneNumberId),
			)!;
			const rowsOf = (wamid: string) =>
				sink.deliveries.filter((d) => d.body.msId === wamid).map((d) => [d.body.MessageStatus, d.body.roomId, d.body.mobileNo]);
			expect(rowsOf(inRoom.wamid)).toEqual([
				['queued', room.id, '5511987654321'],
				['sent', room.id, '5511987654321'],
			]);
			expect(rowsOf(outside.wamid)).toEqual([
				['queued', newRoom.id, '5521999990000'],
				['failed', newRoom.id, '5521999990000'],
			]);
			expect(sink.deliveries).toHaveLength(4);
			expect(sink.deliveries.find((d) => d.body.MessageStatus === 'failed')?.body.ErrorDetails).toMatchObject({ code: 131026 });
		});
	});

	it("a campaign: every early sent and failed (131026) is forwarded once, after its queued; its statuses carry the chunk's batch key", async () => {
		await app.harness.setSetting('send_rate_per_second', 200);
		const phones = Array.from({ length: 150 }, (_, i) => `1555${String(i).padStart(7, '0')}`);
		const early = new Map<string, 'sent' | 'failed'>();
		app.sim.onAccepted = async (message) => {
			if (early.size >= 30) return;
			const status = early.size % 3 === 2 ? 'failed' : 'sent';
			early.set(message.wamid, status);
			await statusBeforeAnswer(message.wamid, status);
		};
		const res = await callApi(app, 'templateMessage', {
			body: {
				phoneNumbers: phones,
				connectedWhatsAppNo: NUMBER.phoneNumberId,
				template: TEMPLATE,
				async: true,
				clientReference: 'crm-7',
			},
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(202);
		// The campaign's run is a job of its own; the processing runs the statuses ask for go beside it (processWebhooks).
		await app.harness.scheduler.runDue();
		expect(early.size).toBe(30);
		const sent = app.sim.sentMessages;
		expect(sent.map((m) => (m.body as any).to).sort()).toEqual(phones);
		// One batch key per chunk of 100 recipients, in the request's order (the sends go out side by
		// side, so they may reach Meta in another order around a chunk's end).
		const keyOf = new Map(app.sim.requestsTo('/messages').map((r) => [(r.body as any).to, (r.body as any).biz_opaque_callback_data]));
		const keys = phones.map((phone) => keyOf.get(phone));
		expect(new Set(keys.slice(0, 100)).size).toBe(1);
		expect(new Set(keys.slice(100)).size).toBe(1);
		expect(keys[0]).not.toBe(keys[100]);
		expect(keys[0]).toMatch(/^rcwa\.[0-9a-f]{18}$/);

		await runJobs();
		const wamids = sent.map((m) => m.wamid);
		await runUntil(() => wamids.every((w) => statusesOf(w).length === (early.has(w) ? 2 : 1)));
		for (const w of wamids) expect(statusesOf(w)).toEqual(early.has(w) ? ['queued', early.get(w)] : ['queued']);
		expect(sink.deliveries.every((d) => d.body.campaignId === res.body.campaignId && d.body.clientReference === 'crm-7')).toBe(true);
		expect(sink.deliveries.find((d) => d.body.MessageStatus === 'failed')?.body.ErrorDetails).toMatchObject({ code: 131026 });
		expect(new Set(sink.deliveries.map((d) => d.body.eventId)).size).toBe(sink.deliveries.length);
	});

	it('a status of a message the app never sent is kept for the window, then dropped with a log line', async () => {
		await app.harness.setSetting('unknown_status_window_minutes', 2);
		const [res] = await app.sim.deliverStatuses([
			{ wamid: 'wamid.NOT-OURS', status: 'delivered', recipientId: '5511999999999', phoneNumberId: NUMBER.phoneNumberId },
		]);
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		// A stored webhook is two records: its head and its events.
		const inbox = () => app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('webhook-inbox'));
		expect(inbox()).toHaveLength(2);
		await app.harness.scheduler.advance(60000);
		expect(inbox()).toHaveLength(2);
		await app.harness.scheduler.advance(90000);
		expect(inbox()).toEqual([]);
		expect(sink.deliveries).toEqual([]);
		expect(app.harness.logs.map((l) => JSON.stringify(l))).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/status event\(s\) about messages the app does not know, kept 2 minutes, dropped/),
			]),
		);
	});
});
