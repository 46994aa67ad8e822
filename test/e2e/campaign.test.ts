/**
 * Campaign mode of templateMessage (`async: true`) through the engine: 202 at once, the queue sent
 * by scheduler jobs, each recipient once (the simulator records every accepted send), each send
 * recorded before its Graph call under its chunk's batch key, counts and cancel at `campaign`, and a
 * campaign interrupted by the app's disable / enable, or by a crash of the app's runtime (and a
 * templateMessage request so interrupted). (Statuses Meta sends while a campaign is sending:
 * test/e2e/earlyStatuses.test.ts.)
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { StatusSink } from '../support/statusSink';
import { EXPIRE_MESSAGES_JOB } from '../../src/entry/jobs/statusJobs';
import { sendWindow } from '../../src/core/app/campaignSends';
import { STALE_PENDING_MS } from '../../src/core/app/unanswered';
import { until } from '../support/until';

const SHIP = {
	id: '1',
	name: 'ship',
	language: 'en',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Your order ships in {{1}} days.' }],
};
const TEMPLATE = { name: 'ship', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '3' }] }] };
const phones = (n: number) => Array.from({ length: n }, (_, i) => `1555${String(i).padStart(7, '0')}`);
const OTHER_AUTH = { 'X-User-Id': 'user-manager', 'X-Auth-Token': 'manager-token' };

describe('campaigns (templateMessage async: true)', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [SHIP]);
		app.harness.addUser({ username: 'manager', roles: ['user', 'livechat-manager'], authToken: 'manager-token' });
	});
	afterEach(() => stopChecked(app));

	const start = (phoneNumbers: string[], extra: Record<string, unknown> = {}) =>
		callApi(app, 'templateMessage', {
			body: { phoneNumbers, connectedWhatsAppNo: NUMBER.phoneNumberId, template: TEMPLATE, async: true, ...extra },
			headers: ADMIN_AUTH,
		});
	const counts = async (id: string, headers = ADMIN_AUTH) => callApi(app, `campaign?id=${id}`, { method: 'GET', headers });
	const sentTo = () => app.sim.sentMessages.map((m) => String((m.body as { to: string }).to));
	const once = (list: string[]) => new Set(list).size === list.length;
	/** The send log's records still waiting for Meta's answer (MessageStore: `pending-send:<sendId>`, or several together under `pending-sends:<group>`). */
	const pendingRecords = () => app.harness.world.persistence.filter((r) => /pending-sends?:/.test(JSON.stringify(r.associations)));
	/** Whether the send log links a record to `wamid` (MessageStore: `wamid:<wamid>`). */
	const linked = (wamid: string) => app.harness.world.persistence.some((r) => r.associations.some((a) => a.id === `wamid:${wamid}`));
	/** Kills the app's runtime (SIGKILL) and waits until the engine has started it again. */
	const crash = async (whileRunning: Promise<unknown>) => {
		const { pid } = app.harness.runtimeProcess();
		process.kill(pid, 'SIGKILL');
		// The call under way ends at the engine's timeout.
		await whileRunning;
		const restarted = () => {
			try {
				return app.harness.runtimeProcess().pid !== pid;
			} catch {
				return false; // between two processes
			}
		};
		await until(restarted, 'the engine to start the runtime again', 30000);
	};
	/** A status receiver, the send rate, and Meta answering in 300 ms: sends are under way when the runtime dies (Rocket.Chat makes their calls; Meta accepts them). */
	const crashSetUp = async (rate: number) => {
		const sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		await app.harness.setSetting('send_rate_per_second', rate);
		app.sim.setLatency(300);
		return sink;
	};
	/**
	 * The receiver's POSTs, one per event id, in order; an event id POSTed again must be the same
	 * payload (an event stored before a crash may be delivered again), and only a `queued` may be.
	 */
	const onePerEvent = (sink: StatusSink) => {
		const byEvent = new Map<string, Array<Record<string, unknown>>>();
		for (const { body } of sink.deliveries) byEvent.set(String(body.eventId), [...(byEvent.get(String(body.eventId)) ?? []), body]);
		for (const [, same] of byEvent) {
			expect(same.every((body) => JSON.stringify(body) === JSON.stringify(same[0]))).toBe(true);
			if (same.length > 1) expect(same[0].MessageStatus).toBe('queued');
		}
		return [...byEvent.values()].map(([body]) => body);
	};
	/** Delivery rounds (the recurring one every 30 s) until the receiver has `n` POSTs. */
	const deliveredTo = async (sink: StatusSink, n: number) => {
		for (let rounds = 0; rounds < 20 && sink.deliveries.length < n; rounds++) await app.harness.scheduler.advance(30000);
	};

	it('answers 202 at once, then the jobs send every recipient exactly once, report each queued with campaignId and clientReference, and count', async () => {
		const sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		await app.harness.setSetting('send_rate_per_second', 400);
		try {
			const res = await start([...phones(300), 'not-a-number'], { clientReference: 'crm-1' });
			expect(res).toEqual({
				status: 202,
				body: { success: true, campaignId: expect.any(String), invalidContacts: ['not-a-number'] },
			});
			expect(app.sim.sentMessages).toEqual([]);
			const id = res.body.campaignId as string;

			await app.harness.scheduler.runDue();
			expect(sentTo().sort()).toEqual(phones(300));
			expect(app.sim.requestsTo('/messages')[0].body).toEqual({
				messaging_product: 'whatsapp',
				recipient_type: 'individual',
				to: phones(1)[0],
				type: 'template',
				template: TEMPLATE,
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
			});
			// One batch key per chunk of 100 recipients: Meta echoes it on the statuses, which find their records by it.
			const keys = app.sim
				.requestsTo('/messages')
				.map((r) => (r.body as { biz_opaque_callback_data: string }).biz_opaque_callback_data);
			expect(new Set(keys).size).toBe(3);
			expect(pendingRecords()).toEqual([]);
			expect(await counts(id)).toEqual({
				status: 200,
				body: {
					success: true,
					campaign: {
						id,
						state: 'done',
						total: 300,
						counts: { pending: 0, sending: 0, queued: 300, failed: 0, cancelled: 0 },
						createdAt: expect.any(String),
						finishedAt: expect.any(String),
					},
				},
			});
			// The delivery job forwards them (a round per run; the recurring one every 30 s).
			await deliveredTo(sink, 300);
			expect(sink.deliveries.map((d) => d.body.MessageStatus)).toEqual(Array(300).fill('queued'));
			expect(sink.deliveries[0].body).toMatchObject({ campaignId: id, clientReference: 'crm-1', type: 'Template-Message' });
			expect(new Set(sink.deliveries.map((d) => d.body.msId)).size).toBe(300);
		} finally {
			await sink.stop();
		}
	});

	it("on a server's scheduler a run hands over to the next once its last sends wait in its window: the runs overlap, nobody twice, nobody missed", async () => {
		// 100/s: about 830 sends fit in a run's 10 s budget, cut to 800 (whole chunks); the next run sends the last 300.
		await app.harness.setSetting('send_rate_per_second', 100);
		const res = await start(phones(1100));
		expect(res.status).toBe(202);
		const id = res.body.campaignId as string;
		const runsBefore = app.harness.scheduler.runs.length;
		app.harness.scheduler.startRunning();
		try {
			await until(() => sentTo().length >= 1100, 'every send', 90000);
			await until(() => app.harness.scheduler.idle, 'the jobs to end', 30000);
		} finally {
			await app.harness.scheduler.stopRunning();
		}
		expect(sentTo().sort()).toEqual(phones(1100));
		expect(once(sentTo())).toBe(true);
		const runs = app.harness.scheduler.runs.slice(runsBefore).filter((r) => r.processorId.startsWith('run-campaigns'));
		const first = runs.find((r) => r.processorId.startsWith('run-campaigns_'))!;
		const next = runs.find((r) => r.processorId.startsWith('run-campaigns-next'))!;
		expect(next).toBeDefined();
		// The next run started while the first still waited for its last answers.
		expect(next.startedAt).toBeLessThan(first.startedAt + first.ms);
		expect(next.startedAt).toBeGreaterThan(first.startedAt);
		expect(app.harness.scheduler.failures).toEqual([]);
		expect(pendingRecords()).toEqual([]);
		const view = (await counts(id)).body.campaign as { state: string; counts: Record<string, number> };
		expect(view.state).toBe('done');
		expect(view.counts).toEqual({ pending: 0, sending: 0, queued: 1100, failed: 0, cancelled: 0 });
	});

	it('a campaign interrupted by disabling the app resumes once it is enabled: nobody twice, nobody missed, each reported queued once', async () => {
		const sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		await app.harness.setSetting('send_rate_per_second', 60);
		try {
			const res = await start(phones(240));
			const id = res.body.campaignId as string;
			const running = app.harness.scheduler.runDue();
			await until(() => app.sim.sentMessages.length >= 40, '40 sends');
			await app.harness.disable();
			await running;
			const before = app.sim.sentMessages.length;
			expect(before).toBeLessThan(240);

			await app.harness.enable();
			const mid = await counts(id);
			expect(mid.body.campaign.counts).toMatchObject({ sending: 0, pending: 240 - before });
			await app.harness.scheduler.runDue();
			await app.harness.scheduler.advance(60000);

			expect(once(sentTo())).toBe(true);
			expect(sentTo().sort()).toEqual(phones(240));
			expect((await counts(id)).body.campaign).toMatchObject({
				state: 'done',
				counts: { queued: 240, failed: 0, pending: 0, sending: 0 },
			});
			// Every send's record was linked: none left waiting, even of the sends the disable stopped before their call.
			expect(pendingRecords()).toEqual([]);
			await deliveredTo(sink, 240);
			expect(sink.deliveries.map((d) => d.body.MessageStatus)).toEqual(Array(240).fill('queued'));
			expect(sink.deliveries.map((d) => String(d.body.mobileNo)).sort()).toEqual(phones(240));
			expect(new Set(sink.deliveries.map((d) => d.body.msId)).size).toBe(240);
		} finally {
			await sink.stop();
		}
	});

	it('a campaign whose runtime is killed mid-run (a crash) goes on once the engine restarts it: nobody sent twice, every recipient reported once, queued if and only if Meta accepted it (a send whose answer the dead run never saw, by the status Meta sent of it)', async () => {
		const sink = await crashSetUp(60);
		try {
			const id = (await start(phones(240))).body.campaignId as string;
			const running = app.harness.scheduler.runDue();
			await until(() => app.sim.sentMessages.length >= 40, '40 sends');
			await crash(running);
			// (Engine 1.53.1 says "timed out" without the time.)
			expect(app.harness.takeAppErrors()).toEqual([expect.stringMatching(/scheduler:run-campaigns" timed out/)]);
			const atCrash = app.sim.sentMessages.length;
			expect(atCrash).toBeLessThan(240);
			// Meta's `sent` of every message it accepted so far, as it sends them (the dead run's calls included: Rocket.Chat made them).
			const sentStatuses = app.sim.sentMessages.map((m) => ({ wamid: m.wamid, to: String(m.body.to) }));
			const acks = await app.sim.deliverStatuses(
				sentStatuses.map(({ wamid }) => ({ wamid, status: 'sent' as const })),
				{ batch: true },
			);
			expect(acks.map((a) => a.status)).toEqual([200]);
			const saidSent = new Set(sentStatuses.map(({ to }) => to));
			// Sends Meta accepted whose answers the dead run never linked to their records: only Meta's statuses tell of them.
			const unlinkedAtCrash = sentStatuses.filter(({ wamid }) => !linked(wamid)).map(({ to }) => to);
			expect(unlinkedAtCrash.length).toBeGreaterThan(0);
			// The dead run's lease lapses (a minute); the recurring job resumes the campaign.
			await app.harness.scheduler.advance(3 * 60000);
			// Delivery rounds until every recipient was reported, and those Meta said `sent` of sent too, and one more.
			const reported = (status?: string) =>
				new Set(sink.deliveries.filter((d) => !status || d.body.MessageStatus === status).map((d) => String(d.body.mobileNo)));
			const allReported = () => reported().size === 240 && [...saidSent].every((to) => reported('sent').has(to));
			for (let rounds = 0; rounds < 20 && !allReported(); rounds++) await app.harness.scheduler.advance(30000);
			await app.harness.scheduler.advance(30000);

			expect(once(sentTo())).toBe(true);
			expect(sentTo().length).toBeGreaterThan(atCrash);
			const view = (await counts(id)).body.campaign as { state: string; counts: Record<string, number> };
			expect(view.state).toBe('done');
			expect(view.counts).toMatchObject({
				pending: 0,
				sending: 0,
				cancelled: 0,
				queued: expect.any(Number),
				failed: expect.any(Number),
			});
			expect(view.counts.queued + view.counts.failed).toBe(240);
			// Every recipient reported once (one event id each; an event stored before the crash may be
			// delivered again, the same): queued if Meta accepted it, its `sent` after for those Meta
			// said so of; failed, "outcome unknown", for a send the dead run had begun (its record
			// written) that Meta never accepted, never sent again. A send of the dead run's Meta accepted,
			// whose answer it never saw, is queued with the wamid Meta's status names (README, "Campaign mode").
			const accepted = new Set(sentTo());
			const reports = new Map<string, Array<{ status: string; msId: string; error: string }>>();
			for (const body of onePerEvent(sink))
				reports.set(String(body.mobileNo), [
					...(reports.get(String(body.mobileNo)) ?? []),
					{ status: String(body.MessageStatus), msId: String(body.msId), error: JSON.stringify(body.ErrorDetails ?? null) },
				]);
			expect([...reports.keys()].sort()).toEqual(phones(240));
			const failed: string[] = [];
			for (const [to, list] of reports) {
				if (accepted.has(to)) {
					const wamid = app.sim.sentMessages.find((m) => m.body.to === to)!.wamid;
					expect(list).toEqual(
						[
							{ status: 'queued', msId: wamid, error: 'null' },
							{ status: 'sent', msId: wamid, error: 'null' },
						].slice(0, saidSent.has(to) ? 2 : 1),
					);
				} else {
					failed.push(to);
					expect(list.map((r) => r.status)).toEqual(['failed']);
					expect(list[0].error).toContain('Outcome unknown');
				}
			}
			for (const to of unlinkedAtCrash) expect(reports.get(to)!.map((r) => r.status)).toEqual(['queued', 'sent']);
			expect(failed).toHaveLength(view.counts.failed);
			expect(240 - failed.length).toBe(view.counts.queued);
			// About the sends the run had begun ahead of the pacer that never started (src/core/app/campaignSends.ts): its window, and the rest of its last group of records.
			expect(failed.length).toBeLessThanOrEqual(2 * sendWindow(60));
			// The dead run's pending records stay until retention removes their day; reads take their sends' outcomes instead.
			const left = pendingRecords().flatMap((r) => (r.data as { sends: Array<{ mobileNo: string }> }).sends.map((m) => m.mobileNo));
			expect(left.length).toBeGreaterThan(0);
			expect(left.every((to) => failed.includes(to) || accepted.has(to))).toBe(true);
		} finally {
			await sink.stop();
		}
	}, 120000);

	it("a templateMessage request whose runtime is killed mid-send: Meta's statuses of the sends it never saw answered link them (5 minutes on), each reported queued then sent, once; a retry with its key replays every msId; the sends it recorded and never saw answered are reported failed, outcome unknown, an hour on; nothing sent again", async () => {
		const sink = await crashSetUp(20);
		try {
			const body = {
				phoneNumbers: phones(100),
				connectedWhatsAppNo: NUMBER.phoneNumberId,
				template: TEMPLATE,
				idempotencyKey: 'crm-run-7',
			};
			const request = callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH }).catch((error: Error) => error);
			await until(() => app.sim.sentMessages.length >= 20, '20 sends');
			await crash(request);
			// The integrator gets no answer (its client gives up at 30 s, as the engine does), or a 500.
			const answer = await request;
			expect(answer instanceof Error ? answer.message : answer.status).toEqual(
				answer instanceof Error ? expect.stringMatching(/timeout/) : 500,
			);
			const accepted = app.sim.sentMessages.map((m) => ({ wamid: m.wamid, to: String(m.body.to) }));
			expect(accepted.length).toBeLessThan(100);
			const unlinkedAtCrash = accepted.filter(({ wamid }) => !linked(wamid));
			expect(unlinkedAtCrash.length).toBeGreaterThan(0);
			// Meta's `sent` of each, as it sends them.
			const acks = await app.sim.deliverStatuses(
				accepted.map(({ wamid }) => ({ wamid, status: 'sent' as const })),
				{ batch: true },
			);
			expect(acks.map((a) => a.status)).toEqual([200]);
			const reportedAll = () =>
				accepted.every(({ to }) =>
					['queued', 'sent'].every((status) =>
						sink.deliveries.some((d) => d.body.mobileNo === to && d.body.MessageStatus === status),
					),
				);
			for (let rounds = 0; rounds < 20 && !reportedAll(); rounds++) await app.harness.scheduler.advance(30000);
			await app.harness.scheduler.advance(30000);

			expect(app.sim.sentMessages).toHaveLength(accepted.length);
			const reports = new Map<string, string[]>();
			for (const body of onePerEvent(sink))
				reports.set(String(body.mobileNo), [...(reports.get(String(body.mobileNo)) ?? []), `${body.msId}:${body.MessageStatus}`]);
			expect([...reports.keys()].sort()).toEqual(accepted.map(({ to }) => to).sort());
			for (const { wamid, to } of accepted) expect(reports.get(to)).toEqual([`${wamid}:queued`, `${wamid}:sent`]);
			// The integrator's retry with its key: every msId Meta gave, the links made after the crash
			// included (its reservation knew at most those written before it); the others unknown; nothing sent.
			const retry = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
			expect([retry.status, retry.body]).toEqual([
				200,
				expect.objectContaining({ success: true, replayed: true, interrupted: true }),
			]);
			const msIds = new Map(accepted.map(({ wamid, to }) => [to, wamid]));
			const interrupted = {
				code: 0,
				reason: 'interrupted',
				message: expect.stringMatching(/^The first request with this idempotencyKey was interrupted/),
			};
			expect(retry.body.results).toEqual(
				phones(100).map((phoneNumber) =>
					msIds.has(phoneNumber) ? { phoneNumber, msId: msIds.get(phoneNumber) } : { phoneNumber, error: interrupted },
				),
			);
			expect(app.sim.sentMessages).toHaveLength(accepted.length);

			// The sends the dead request had written but never saw answered, of which no status came
			// (Meta never got them): an hour on, each is reported failed, outcome unknown, once.
			const acceptedTo = new Set(accepted.map(({ to }) => to));
			const pendingTo = app.harness.world.persistence.flatMap((record) => {
				const ids = record.associations.map((a) => a.id);
				const data = record.data as { mobileNo?: string; sends?: Array<{ mobileNo: string }> };
				if (ids.includes('pending-sends')) return (data.sends ?? []).map((send) => send.mobileNo);
				return ids.includes('pending-send') && data.mobileNo ? [data.mobileNo] : [];
			});
			const neverAnswered = [...new Set(pendingTo)].filter((to) => !acceptedTo.has(to)).sort();
			expect(neverAnswered.length).toBeGreaterThan(0);
			const before = onePerEvent(sink).length;
			// The runtime looks for them hourly, the first time an hour after it started.
			await app.harness.scheduler.advance(STALE_PENDING_MS, () => false);
			await deliveredTo(sink, before + neverAnswered.length);
			const failed = onePerEvent(sink).filter((body) => body.MessageStatus === 'failed');
			expect(failed.map((body) => String(body.mobileNo)).sort()).toEqual(neverAnswered);
			for (const body of failed)
				expect(body.ErrorDetails).toBe(
					"Outcome unknown: the app did not get WhatsApp's answer to this send (the send was interrupted, WhatsApp did not answer in time, the connection was lost, or a server on the way answered in place of WhatsApp) and no status of it came from WhatsApp within an hour. It was not sent again (it may or may not have reached WhatsApp).",
				);
			expect(onePerEvent(sink)).toHaveLength(before + neverAnswered.length);
			expect(app.sim.sentMessages).toHaveLength(accepted.length);
			// The dead request's call, if the engine's timeout ended it before the client's did.
			expect(app.harness.takeAppErrors().filter((error) => !/timed out/.test(error))).toEqual([]);
		} finally {
			await sink.stop();
		}
	}, 120000);

	it('cancel stops the campaign: nothing more is sent, the rest counts as cancelled', async () => {
		await app.harness.setSetting('send_rate_per_second', 40);
		const id = (await start(phones(200))).body.campaignId as string;
		const running = app.harness.scheduler.runDue();
		await until(() => app.sim.sentMessages.length >= 10, '10 sends');
		const cancelled = await callApi(app, `campaign?id=${id}`, { method: 'DELETE', headers: ADMIN_AUTH });
		expect(cancelled.status).toBe(200);
		expect(cancelled.body.campaign.state).toBe('cancelled');
		await running;
		const sent = app.sim.sentMessages.length;
		expect(sent).toBeLessThan(200);
		await app.harness.scheduler.advance(120000);
		expect(app.sim.sentMessages).toHaveLength(sent);
		expect(once(sentTo())).toBe(true);
		expect((await counts(id)).body.campaign.counts).toEqual({ pending: 0, sending: 0, queued: sent, failed: 0, cancelled: 200 - sent });
	});

	/** The app's cached template index of the number's account (src/adapters/persistence/TemplateCacheStore.ts). */
	const cachedIndex = () =>
		app.harness.world.persistence
			.filter((r) => r.associations.some((a) => a.id === `templates:${NUMBER.wabaId}`))
			.map((r) => r.data as { names: string; stale?: boolean });

	it.each([
		// Paused at Meta after the campaign was accepted: the template leaves the app's list.
		['a paused template, 132015', { ...SHIP, status: 'PAUSED' }, 132015, [{ names: '' }]],
		// Edited at Meta (a second variable): the app's list is read from Meta again at its next use.
		[
			'a template edited at Meta, 132000',
			{ ...SHIP, components: [{ type: 'BODY', text: 'Your order {{1}} ships in {{2}} days.' }] },
			132000,
			[{ names: 'ship\tUTILITY\ten', stale: true }],
		],
	])(
		"a refusal every recipient would get (%s) fails the campaign's recipients with it, without asking Meta for each, and the template list learns of it",
		async (_label, atMeta, code, index) => {
			await app.harness.setSetting('send_rate_per_second', 40);
			const id = (await start(phones(200))).body.campaignId as string;
			expect(cachedIndex()).toEqual([{ names: 'ship\tUTILITY\ten', fetchedAt: expect.any(Number), shards: 1 }]);
			// Within the minute of the list's fetch: a campaign's refusal is told all the same (it is told once).
			app.sim.setTemplates(NUMBER.wabaId, [atMeta]);
			await app.harness.scheduler.runDue();
			await app.harness.scheduler.advance(120000);
			const view = (await counts(id)).body.campaign as { state: string; counts: Record<string, number> };
			expect(view).toMatchObject({ state: 'done', counts: { pending: 0, sending: 0, queued: 0, failed: 200, cancelled: 0 } });
			// The sends begun before Meta's first answer (the run's window), and no more.
			const calls = app.sim.requestsTo('/messages');
			expect(calls.length).toBeGreaterThan(0);
			expect(calls.length).toBeLessThanOrEqual(20);
			expect(new Set(calls.map((r) => (r.response as { error: { code: number } }).error.code))).toEqual(new Set([code]));
			expect(cachedIndex()).toEqual([expect.objectContaining(index[0])]);
		},
	);

	it('a cancel another instance of the server stored stops the run within a second or so, and no run undoes it', async () => {
		await app.harness.setSetting('send_rate_per_second', 40);
		const id = (await start(phones(200))).body.campaignId as string;
		const running = app.harness.scheduler.runDue();
		await until(() => app.sim.sentMessages.length >= 10, '10 sends');
		// Another instance's DELETE, as far as its first write (adapters/persistence/CampaignStore.ts):
		// the cancel record, the active marker still there. This runtime is not told.
		const head = app.harness.world.persistence.find((r) => JSON.stringify(r.associations).includes('"campaign-head"'))!;
		app.harness.world.persistence.push({
			id: `other-instance-cancel-${id}`,
			appId: head.appId,
			data: { id, at: Date.now() },
			associations: [
				{ model: 'misc', id: `campaign:${id}` },
				{ model: 'misc', id: 'campaign-cancel' },
			],
		});
		const atCancel = app.sim.sentMessages.length;
		await running;
		const sent = app.sim.sentMessages.length;
		// At 40/s the run would send all 200 within its budget; it reads the cancel within CANCEL_CHECK_MS (1 s, 40 sends) of its last read.
		expect(sent).toBeLessThan(atCancel + 100);
		await app.harness.scheduler.advance(120000);
		expect(app.sim.sentMessages).toHaveLength(sent);
		expect(once(sentTo())).toBe(true);
		const view = (await counts(id)).body.campaign;
		expect(view.state).toBe('cancelled');
		expect(view.counts).toEqual({ pending: 0, sending: 0, queued: sent, failed: 0, cancelled: 200 - sent });
	});

	it('on Rocket.Chat 7.6 and later (bodies up to 100 kB): 7,000 numbers fit; 10,000 are refused by Rocket.Chat (413) before the app, and nothing is sent', async () => {
		const res = await start(phones(10000));
		expect(res.status).toBe(413);
		expect(String(res.body)).toContain('<pre>Payload Too Large</pre>');
		// No campaign was started: its jobs, run now, send nothing.
		await app.harness.scheduler.advance(60000);
		expect(app.sim.sentMessages).toEqual([]);
		expect((await start(phones(7000))).status).toBe(202);
	});

	it('on Rocket.Chat 7.0–7.5 (bodies up to 50 MB): refuses 10,001 numbers (400) and sends nothing', async () => {
		// One engine per process: this test's app replaces the one of beforeEach (afterEach stops it).
		await stopChecked(app);
		app = await startApp({ bodyLimit: '50mb' });
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [SHIP]);
		const res = await start(phones(10001));
		expect(res).toEqual({
			status: 400,
			body: {
				success: false,
				error: 'Too many phone numbers! Please make sure that phoneNumbers are <= 10000 in a campaign (async: true)',
				code: 'too_many_phone_numbers_campaign',
			},
		});
		await app.harness.scheduler.runDue();
		expect(app.sim.sentMessages).toEqual([]);
	});

	it('shows and cancels a campaign only for its creator or an admin: 403 for another user, 404 for an unknown id, 400 without one', async () => {
		const id = (await start(phones(2))).body.campaignId as string;
		expect(await counts(id, OTHER_AUTH)).toEqual({
			status: 403,
			body: {
				success: false,
				error: 'Only the user who started this campaign, or an admin, may see or cancel it.',
				code: 'campaign_forbidden',
			},
		});
		expect((await callApi(app, `campaign?id=${id}`, { method: 'DELETE', headers: OTHER_AUTH })).status).toBe(403);
		expect(await counts('unknown')).toEqual({
			status: 404,
			body: { success: false, error: 'No campaign found with id unknown', code: 'campaign_not_found' },
		});
		expect((await callApi(app, 'campaign', { method: 'GET', headers: ADMIN_AUTH })).status).toBe(400);
		expect((await counts(id)).body.campaign.state).toBe('active');
	});

	it('is kept for the retention days after it finished: then the daily retention job removes all its records (GET answers 404)', async () => {
		const [old, recent] = [(await start(phones(3))).body.campaignId as string, (await start(phones(2))).body.campaignId as string];
		await app.harness.scheduler.runDue();
		for (const id of [old, recent]) expect((await counts(id)).body.campaign.state).toBe('done');
		const ofCampaign = (id: string) =>
			app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === `campaign:${id}`));
		expect(ofCampaign(old).length).toBeGreaterThan(1);
		// The old one finished 31 days ago (retention: 30 days by default).
		const [head] = ofCampaign(old).filter((r) => (r.data as { state?: string }).state === 'done');
		(head.data as { finishedAt: number }).finishedAt = Date.now() - 31 * 86400000;
		await app.harness.scheduler.runRecurring(EXPIRE_MESSAGES_JOB);
		expect(ofCampaign(old)).toEqual([]);
		expect(await counts(old)).toMatchObject({ status: 404 });
		expect((await counts(recent)).body.campaign).toMatchObject({ state: 'done', total: 2 });
	});
});
