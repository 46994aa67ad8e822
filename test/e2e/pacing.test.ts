/**
 * One pacer per connected number (shared by requests and agents' replies), the admission of a templateMessage request within the engine's
 * call timeout, and idempotency keys that hold under parallel requests: through the real engine
 * over HTTP, against the simulated Cloud API.
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

const TEMPLATE = { name: 'hello_world', language: { code: 'en_US' } };
const numbers = (count: number, from = 0) => Array.from({ length: count }, (_, i) => `1555${String(2000000 + from + i)}`);
const request = (phoneNumbers: string[], extra: Record<string, unknown> = {}) => ({
	phoneNumbers,
	connectedWhatsAppNo: NUMBER.phoneNumberId,
	template: TEMPLATE,
	...extra,
});

describe('pacing and idempotency of templateMessage', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId);
	});
	afterEach(() => stopChecked(app));

	const sent = () => app.sim.sentMessages.map((m) => String(m.body.to));

	it("refuses with 400 a request that cannot finish within the engine's timeout (250 at 5/s), pointing to campaign mode; nothing is sent", async () => {
		await app.harness.setSetting('send_rate_per_second', 5);
		const res = await callApi(app, 'templateMessage', { body: request(numbers(250)), headers: ADMIN_AUTH });
		expect(res).toEqual({
			status: 400,
			body: {
				success: false,
				error: '250 recipients cannot all be sent within one request at 5 messages per second from this number (the server ends a request after 30 seconds). Nothing was sent. Send fewer recipients per request, or use campaign mode ("async": true).',
				code: 'request_too_slow',
			},
		});
		expect(app.sim.requestsTo('/messages')).toEqual([]);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r).includes('Template-Message'))).toEqual([]);
	});

	it("frees the number's slots a request stopped early did not use (a refusal every recipient gets, its records not written): the next request is admitted at once", async () => {
		// 40 at 5/s take 8 s of the number's 15 s admission window. The first request's token is refused
		// (190), which every recipient would get: it stops after its first answer (the sends started before
		// it came, one in 200 ms, are answered 190 too), and the slots of the others are free.
		await app.harness.setSetting('send_rate_per_second', 5);
		const first = numbers(40);
		app.sim.injectError(NUMBER.phoneNumberId, { code: 190, count: 40, match: (b) => first.includes(String(b.to)) });
		const stopped = await callApi(app, 'templateMessage', { body: request(first), headers: ADMIN_AUTH });
		expect(stopped.status).toBe(200);
		expect(stopped.body.results.every((r: { error?: { code: number } }) => r.error?.code === 190)).toBe(true);
		const calls = app.sim.requestsTo('/messages').length;
		expect(calls).toBeLessThan(20);
		// The second one's records cannot be written (the database fails them): none of its sends starts,
		// none reaches the number's queue, and the request frees its 40 booked slots as it ends.
		app.harness.world.persistenceFault = (method, args) =>
			method === 'createWithAssociations' && JSON.stringify(args).includes('pending-sends:')
				? new Error('MongoNetworkError')
				: undefined;
		const unrecorded = await callApi(app, 'templateMessage', { body: request(numbers(40, 100)), headers: ADMIN_AUTH });
		expect(unrecorded.status).toBe(200);
		expect(unrecorded.body.results.every((r: { error?: { reason: string } }) => r.error?.reason === 'not_started')).toBe(true);
		expect(app.sim.requestsTo('/messages')).toHaveLength(calls);
		app.harness.world.persistenceFault = undefined;
		app.harness.takeAppErrors();
		// Booked until either request's slots would have ended, this one would wait 16 s: refused as too slow.
		const next = await callApi(app, 'templateMessage', { body: request(numbers(40, 200)), headers: ADMIN_AUTH });
		expect(next.status).toBe(200);
		expect(sent()).toEqual(numbers(40, 200));
	});

	it('paces two concurrent requests from one number together: their sum stays at the rate, under the cap, every recipient sent once', async () => {
		// 7/s against a cap of 10: one request alone fits; two paced each on its own would send 14/s.
		// (30% under the cap: the simulator runs in the test's process, and on a loaded machine its event
		// loop may stall long enough to see sends arrive bunched together: a 130429 then, retried once.)
		await app.harness.setSetting('send_rate_per_second', 7);
		app.sim.setThroughputCap(NUMBER.phoneNumberId, 10);
		const [a, b] = await Promise.all([
			callApi(app, 'templateMessage', { body: request(numbers(15)), headers: ADMIN_AUTH }),
			callApi(app, 'templateMessage', { body: request(numbers(15, 100)), headers: ADMIN_AUTH }),
		]);
		expect([a.status, b.status]).toEqual([200, 200]);
		// Together at the number's rate (two requests paced each on its own: twice that), every send once.
		const accepted = app.sim.requestsTo('/messages').filter((r) => r.status === 200);
		expect(accepted).toHaveLength(30);
		// 30 sends one pacer apart take 29 slots of 1/6.86 s: 4.2 s (two pacers: 2.1 s). The arrivals at
		// Meta carry the trip through the server, which a loaded machine stretches unevenly: the span is
		// checked against the two-pacer figure, the exact spacing on a virtual clock (pacer.test.ts).
		expect(accepted[29].at! - accepted[0].at!).toBeGreaterThan(3000);
		expect(sent().sort()).toEqual([...numbers(15), ...numbers(15, 100)].sort());
	});

	it('sends every recipient once when a busy moment of the server bunches the sends on their way: any 130429 is retried, none reaches the caller', async () => {
		// The app's sends go through Rocket.Chat's HTTP bridge, on the server's one thread (here: the
		// test's process, the simulator's too). Holding that thread for 400 ms lets the app start the
		// next sends meanwhile; they reach Meta together when the thread is free. Meta's default tier,
		// 80/s, as the rate setting. How many 130429 the bunch provokes at a cap of 80 depends on how busy
		// the machine is besides (its other stalls bunch sends too), so it is a figure of
		// `npm run bench:templateMessage` (its busy-moment line), not asserted here; the pacer's rule
		// that keeps it at 0 (a held send counted when it reached Meta) is tested on a virtual clock
		// (test/unit/core/bulk/pacer.test.ts, "a busy host"). The cap here is 1.5 × the rate: a run of
		// 130429 on a very loaded machine doubles the pause each time, and could outlast the request.
		await app.harness.setSetting('send_rate_per_second', 80);
		app.sim.setThroughputCap(NUMBER.phoneNumberId, 120);
		app.sim.setLatency(100);
		let accepted = 0;
		app.sim.onAccepted = () => {
			if (++accepted !== 60) return;
			const until = Date.now() + 400;
			while (Date.now() < until); // the server's thread is busy
		};
		const res = await callApi(app, 'templateMessage', { body: request(numbers(240)), headers: ADMIN_AUTH });
		expect(res.status).toBe(200);
		expect(res.body.results.filter((r: { msId?: string }) => r.msId)).toHaveLength(240);
		// The busy moment did bunch them: Meta saw more than a few slots' worth arrive at its end.
		const at = app.sim
			.requestsTo('/messages')
			.filter((r) => r.status === 200)
			.map((r) => r.at!);
		expect(Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 50).length))).toBeGreaterThan(10);
		// Each recipient accepted once; a send refused with 130429 was sent again, after the pause.
		expect(sent().sort()).toEqual(numbers(240).sort());
		const refused = app.sim.requestsTo('/messages').filter((r) => r.status !== 200);
		expect(refused.map((r) => r.status)).toEqual(refused.map(() => 400));
		expect(refused).toHaveLength(app.sim.throttled);
	});

	it("paces an agent's reply with a request's sends from the same number: the reply waits behind the sends already booked", async () => {
		// 1/s: the request's three sends take two seconds; the reply, written as the first is accepted,
		// reaches Meta after the other two (a pacer of its own would send it at once, second).
		await app.harness.setSetting('send_rate_per_second', 1);
		const ana = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		ana.livechatStatus = 'available';
		await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: '5511987654321', name: 'Carla', message: 'Hi!' });
		await app.harness.scheduler.runDue();
		const room = [...app.harness.world.rooms.values()].find((r) => r.type === 'l')!;
		let reply: Promise<unknown> | undefined;
		app.sim.onAccepted = () => void (reply ??= app.harness.userMessage({ user: ana, room, text: 'Hello Carla' }));
		const res = await callApi(app, 'templateMessage', { body: request(numbers(3)), headers: ADMIN_AUTH });
		expect(res.status).toBe(200);
		await reply;
		expect(sent()).toEqual([...numbers(3), '5511987654321']);
		// Messages (not the read receipt of Carla's message), a second apart at Meta.
		const at = app.sim
			.requestsTo('/messages')
			.filter((r) => r.status === 200 && (r.body as { to?: string }).to)
			.map((r) => r.at!);
		expect(at).toHaveLength(4);
		expect(at[3] - at[0]).toBeGreaterThanOrEqual(2500);
	});

	it('sends once for two parallel requests with one key (the second: 409 in progress, then the replay); another user with the key sends', async () => {
		app.sim.setLatency(300);
		const body = request(numbers(3), { idempotencyKey: 'campaign-7' });
		const [first, second] = await Promise.all([
			callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH }),
			callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH }),
		]);
		const answers = [first, second].sort((x, y) => x.status - y.status);
		expect(answers.map((r) => r.status)).toEqual([200, 409]);
		expect(answers[1].body).toEqual({
			success: false,
			error: 'A request with this idempotencyKey is still being sent. Nothing was sent again: retry later to get its answer.',
			code: 'idempotency_in_progress',
		});
		expect(sent()).toEqual(numbers(3));
		const replay = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		expect(replay).toEqual({ status: 200, body: { ...answers[0].body, replayed: true } });
		expect(sent()).toHaveLength(3);

		app.harness.addUser({ username: 'crm', roles: ['user', 'livechat-manager'], authToken: 'crm-token' });
		const other = await callApi(app, 'templateMessage', { body, headers: { 'X-User-Id': 'user-crm', 'X-Auth-Token': 'crm-token' } });
		expect(other.status).toBe(200);
		expect(other.body.replayed).toBeUndefined();
		expect(sent()).toEqual([...numbers(3), ...numbers(3)]);
	});

	/** The server's database fails every write of an idempotency key's answer (`done`), as a MongoDB error would. */
	const failAnswerWrites = () => {
		app.harness.world.persistenceFault = (method, args) =>
			method === 'updateByAssociations' &&
			JSON.stringify(args[0]).includes('idempotency') &&
			(args[1] as { state?: string }).state === 'done'
				? new Error('MongoNetworkError')
				: undefined;
	};

	it("answers the msIds though the key's answer cannot be stored after the sends (logged, no 500): a retry replays them, interrupted, sending nothing", async () => {
		failAnswerWrites();
		const body = request(numbers(3), { idempotencyKey: 'order-9' });
		const first = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		const results = sent().map((phoneNumber, i) => ({ phoneNumber, msId: app.sim.sentMessages[i].wamid }));
		expect(first).toEqual({ status: 200, body: { success: true, results } });
		expect(app.harness.takeAppErrors()).toEqual([
			"[error] api:templateMessage:post: templates sent, but the idempotency key's answer not kept: MongoNetworkError",
		]);
		const retry = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		expect(retry).toEqual({ status: 200, body: { success: true, results, replayed: true, interrupted: true } });
		expect(sent()).toEqual(numbers(3));
	});

	it('answers a campaign that may run though its store failed with its id (500 campaign_may_run): it can be looked up and cancelled, and a retry replays a 202', async () => {
		// The database fails the campaign's "active" marker, then its removal: what was written may still run.
		app.harness.world.persistenceFault = (_method, args) =>
			JSON.stringify(args).includes('campaigns:active') ? new Error('MongoNetworkError') : undefined;
		const body = request(numbers(3), { idempotencyKey: 'campaign-8', async: true });
		const first = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		const campaignId = first.body.campaignId;
		expect(first).toEqual({
			status: 500,
			body: {
				success: false,
				error: `The campaign ${campaignId} may not have been stored whole (the server's storage failed), and it may still run. Look it up (GET campaign?id=${campaignId}) and cancel it there if it should not run; a retry with the same idempotencyKey starts no second campaign.`,
				code: 'campaign_may_run',
				campaignId: expect.stringMatching(/^[0-9a-f]{16,}$/),
			},
		});
		expect(app.harness.takeAppErrors()).toEqual([
			`[error] api:templateMessage:post: campaign ${campaignId} not stored for sure, it may run: MongoNetworkError`,
		]);
		app.harness.world.persistenceFault = undefined;
		const looked = await callApi(app, `campaign?id=${campaignId}`, { method: 'GET', headers: ADMIN_AUTH });
		expect(looked).toMatchObject({ status: 200, body: { campaign: { id: campaignId, state: 'active', total: 3 } } });
		const cancelled = await callApi(app, `campaign?id=${campaignId}`, { method: 'DELETE', headers: ADMIN_AUTH });
		expect(cancelled).toMatchObject({ status: 200, body: { campaign: { id: campaignId, state: 'cancelled' } } });
		const retry = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		expect(retry).toEqual({ status: 202, body: { success: true, campaignId, replayed: true } });
		await app.harness.scheduler.advance(60000);
		expect(sent()).toEqual([]);
	});

	it("answers a campaign's 202 though its key's answer cannot be stored (logged): a retry replays that 202, and the campaign is sent once", async () => {
		failAnswerWrites();
		const body = request(numbers(3), { idempotencyKey: 'campaign-9', async: true });
		const first = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		expect(first).toEqual({ status: 202, body: { success: true, campaignId: expect.any(String) } });
		expect(app.harness.takeAppErrors()).toEqual([
			"[error] api:templateMessage:post: campaign stored, but the idempotency key's answer not kept: MongoNetworkError",
		]);
		const retry = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
		expect(retry).toEqual({ status: 202, body: { ...first.body, replayed: true } });
		await app.harness.scheduler.advance(60000);
		expect(sent()).toEqual(numbers(3));
	});
});
