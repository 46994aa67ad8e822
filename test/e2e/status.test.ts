/**
 * The message status pipeline through the engine: sends are recorded, Meta's signed status
 * webhooks are verified, stored and processed by a scheduler job, and each status reaches the
 * Message Status Endpoint URL once, in order, in the seed's payload, through a persisted outbox.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { CONTRACTS_DIR } from '../support/metaSpec';
import { StatusSink } from '../support/statusSink';
import { EXPIRE_MESSAGES_JOB } from '../../src/entry/jobs/statusJobs';
import { RUN_BUDGET_MS } from '../../src/core/app/runBudget';
import { newestExpiredDay } from '../../src/core/status/retention';
import { ORDER_RECHECK_MS, ORDER_WAIT_MS } from '../../src/core/app/statuses';
import { backdate } from '../support/backdate';
import { engineAtLeast } from '../../tools/harness/engineVersion';

const CONTRACT_FIELDS = Object.keys(
	JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'rocketchat', 'message-status-endpoint.payload-contract.json'), 'utf8')).fields,
);
const TEMPLATE = {
	name: 'order_update',
	language: { code: 'en_US' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
};

describe('message status pipeline', () => {
	let app: AppUnderTest;
	let sink: StatusSink;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		// Not about routing: the admin accepts chats with no agents online, so a contact's room opens
		// whoever is online (test/e2e/livechatRouting.test.ts covers a fresh workspace's refusal).
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
		try {
			await sink.stop();
		} finally {
			await stopChecked(app);
		}
	});

	async function send(
		phoneNumbers: string[],
		extra: Record<string, unknown> = {},
	): Promise<Array<{ phoneNumber: string; msId?: string }>> {
		const res = await callApi(app, 'templateMessage', {
			body: { phoneNumbers, connectedWhatsAppNo: NUMBER.phoneNumberId, template: TEMPLATE, ...extra },
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		return res.body.results;
	}

	async function meta(statuses: Array<{ wamid: string; status: string; recipient: string; errors?: unknown[]; timestamp?: string }>) {
		const res = await app.sim.deliverRaw(app.sim.statusPayload(NUMBER.phoneNumberId, statuses), NUMBER.appSecret);
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
	}

	/** Another instance of the cluster in a round of `job`: its claim, as that instance's app wrote it. */
	function otherInstanceRound(job: 'delivery' | 'processing', forMs = 60000) {
		const claim = {
			id: `${job}-round-of-another-instance`,
			appId: app.harness.appId,
			data: { token: 'other-instance', until: app.harness.scheduler.currentTime() + forMs },
			associations: [
				{ model: 'misc', id: `${job}-round` },
				{ model: 'misc', id: `${job}-round:other-instance` },
			],
		};
		app.harness.world.persistence.push(claim);
		return () => void app.harness.world.persistence.splice(app.harness.world.persistence.indexOf(claim), 1);
	}

	it("leaves processing to another instance's run under way, and processes a second after it ends (a contact's messages never handled side by side)", async () => {
		const [result] = await send(['5511987654321']);
		const ended = otherInstanceRound('processing');
		await meta([{ wamid: result.msId!, status: 'sent', recipient: '5511987654321' }]);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
		await app.harness.scheduler.advance(1000);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
		ended();
		await app.harness.scheduler.advance(1000);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`, `${result.msId}:sent`]);
		expect(app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'processing-round'))).toEqual([]);
	});

	it("while another instance's run keeps this one's off, webhooks stored here ask for no run of their own: the run a second later takes them", async () => {
		const [result] = await send(['5511987654321']);
		const ended = otherInstanceRound('processing');
		await meta([{ wamid: result.msId!, status: 'sent', recipient: '5511987654321' }]);
		const processing = () =>
			app.harness.scheduler.jobs.filter((job) => job.processorId.startsWith('process-webhooks') && !job.intervalMs);
		// The run that left asked for one a second later.
		expect(processing()).toHaveLength(1);
		for (const status of ['delivered', 'read']) {
			const res = await app.sim.deliverRaw(
				app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: result.msId!, status, recipient: '5511987654321' }]),
				NUMBER.appSecret,
			);
			expect(res.status).toBe(200);
		}
		// Before: one more run asked for at once per webhook.
		expect(processing()).toHaveLength(1);
		ended();
		await app.harness.scheduler.advance(1000);
		expect(sink.statuses()).toEqual([
			`${result.msId}:queued`,
			`${result.msId}:sent`,
			`${result.msId}:delivered`,
			`${result.msId}:read`,
		]);
	});

	it("runs the check of a send Meta never answered a second after another instance's processing run kept it off, not a minute", async () => {
		const held: Array<() => void> = [];
		app.sim.onAccepted = () => new Promise<void>((resolve) => held.push(resolve));
		try {
			expect((await send(['5511987654322']))[0]).toMatchObject({ error: { reason: 'timeout' } });
		} finally {
			app.sim.onAccepted = undefined;
			for (const release of held) release();
		}
		// The check is due 10 minutes after the timeout: another instance's run is under way then (from
		// now on, whatever time the machine took since the timeout, until it ends below).
		const ended = otherInstanceRound('processing', 20 * 60000);
		await app.harness.scheduler.advance(10 * 60000 + 3000);
		const failed = () => sink.deliveries.filter((d) => d.body.MessageStatus === 'failed');
		expect(failed()).toEqual([]);
		ended();
		await app.harness.scheduler.advance(1000);
		expect(failed().map((d) => d.body.mobileNo)).toEqual(['5511987654322']);
	});

	it("leaves delivery to another instance's round under way (its claim in the shared storage), and delivers a second after it ends: nothing POSTed twice", async () => {
		const ended = otherInstanceRound('delivery');
		const [result] = await send(['5511987654321']);
		expect(sink.statuses()).toEqual([]);
		// This instance asked for one round a second later (not one per round it left).
		const later = app.harness.scheduler.jobs.filter((job) => job.processorId.startsWith('deliver-statuses') && !job.intervalMs);
		expect(later).toHaveLength(1);
		expect(later[0].runAt - app.harness.scheduler.currentTime()).toBeGreaterThan(0);
		expect(later[0].runAt - app.harness.scheduler.currentTime()).toBeLessThanOrEqual(1000);
		// Still under way then: it asks again.
		await app.harness.scheduler.advance(1000);
		expect(sink.statuses()).toEqual([]);
		// That round ends (it withdraws its claim, having delivered what it had listed): this instance's next round delivers.
		ended();
		await app.harness.scheduler.advance(1000);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
		// Its own claim withdrawn.
		expect(app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'delivery-round'))).toEqual([]);
	});

	it('reports queued on send, then sent, delivered, read in order, in exactly the seed payload', async () => {
		const [result] = await send(['5511987654321'], { clientReference: 'order-42' });
		await meta([{ wamid: result.msId!, status: 'sent', recipient: '5511987654321', timestamp: '1750030073' }]);
		await meta([
			{ wamid: result.msId!, status: 'delivered', recipient: '5511987654321', timestamp: '1750030080' },
			{ wamid: result.msId!, status: 'read', recipient: '5511987654321', timestamp: '1750030090' },
		]);
		expect(sink.statuses()).toEqual([
			`${result.msId}:queued`,
			`${result.msId}:sent`,
			`${result.msId}:delivered`,
			`${result.msId}:read`,
		]);
		const read = sink.deliveries[3].body;
		expect(read).toEqual({
			msId: result.msId,
			message: 'Order 42 is on its way.',
			mobileNo: '5511987654321',
			connectedWhatsAppNo: '15550783881',
			MessageStatus: 'read',
			type: 'Template-Message',
			timestamp: '1750030090',
			eventId: `${result.msId}:read`,
			clientReference: 'order-42',
			templateName: 'order_update',
			templateLanguage: 'en_US',
		});
		for (const field of CONTRACT_FIELDS.filter((f) => f !== 'ErrorDetails')) expect(read).toHaveProperty(field);
		expect(sink.deliveries[0].headers['content-type']).toBe('application/json');
	});

	it("reports a synchronous failure as failed without msId, with Meta's error", async () => {
		app.sim.injectError(NUMBER.phoneNumberId, { code: 131026 });
		await send(['5511987654321']);
		expect(sink.deliveries).toHaveLength(1);
		const metaError = (app.sim.requestsTo('/messages')[0].response as { error: { code: number; message: string; error_data: unknown } })
			.error;
		expect(sink.deliveries[0].body).toMatchObject({
			MessageStatus: 'failed',
			mobileNo: '5511987654321',
			ErrorDetails: { code: 131026, message: metaError.message, error_data: metaError.error_data },
		});
		expect(sink.deliveries[0].body).not.toHaveProperty('msId');
	});

	it("reports an asynchronous failure with Meta's errors[] as ErrorDetails", async () => {
		const [result] = await send(['16505551234']);
		const failed = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs', 'webhook-status-failed-131049.json'), 'utf8'))
			.entry[0].changes[0].value.statuses[0];
		await meta([
			{ wamid: result.msId!, status: 'failed', recipient: '16505551234', errors: failed.errors, timestamp: failed.timestamp },
		]);
		expect(sink.deliveries[1].body).toMatchObject({
			msId: result.msId,
			MessageStatus: 'failed',
			timestamp: failed.timestamp,
			ErrorDetails: failed.errors[0],
		});
	});

	it('holds a status whose earlier step is in a later webhook, then forwards all in order, each once', async () => {
		const [result] = await send(['5511987654321']);
		const step = (status: string) => ({ wamid: result.msId!, status, recipient: '5511987654321' });
		await meta([step('read')]);
		await meta([step('read'), step('delivered')]);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
		await meta([step('sent')]);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`, `${result.msId}:sent`]);
		// The held ones are due again a second later: a processing run of their own.
		await app.harness.scheduler.advance(ORDER_RECHECK_MS);
		expect(sink.statuses()).toEqual([
			`${result.msId}:queued`,
			`${result.msId}:sent`,
			`${result.msId}:delivered`,
			`${result.msId}:read`,
		]);
		await meta([step('delivered'), step('read')]);
		await app.harness.scheduler.advance(ORDER_WAIT_MS);
		expect(sink.statuses()).toHaveLength(4);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('webhook-inbox'))).toEqual([]);
	});

	it("on a server's scheduler, 50 messages' read, delivered and sent webhooks posted at once, last step first: each status once, in step order", async () => {
		const phones = Array.from({ length: 50 }, (_, i) => `55119${String(20000000 + i)}`);
		const results = await send(phones);
		const steps = ['read', 'delivered', 'sent'];
		const bodies = steps.map((status) =>
			app.sim.statusPayload(
				NUMBER.phoneNumberId,
				results.map((r) => ({ wamid: r.msId!, status, recipient: r.phoneNumber })),
			),
		);
		app.harness.scheduler.startRunning();
		try {
			const answers = await Promise.all(bodies.map((body) => app.sim.deliverRaw(body, NUMBER.appSecret)));
			expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
			const started = Date.now();
			while (sink.deliveries.length < 50 * 4 || !app.harness.scheduler.idle) {
				if (Date.now() - started > 60000) throw new Error(`gave up waiting: ${sink.deliveries.length} of 200 statuses`);
				await new Promise((resolve) => setTimeout(resolve, 5));
			}
		} finally {
			await app.harness.scheduler.stopRunning();
		}
		for (const { msId } of results)
			expect(sink.deliveries.filter((d) => d.body.msId === msId).map((d) => d.body.MessageStatus)).toEqual([
				'queued',
				'sent',
				'delivered',
				'read',
			]);
		expect(sink.deliveries).toHaveLength(200);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('webhook-inbox'))).toEqual([]);
	});

	it('forwards read without delivered once it waited 5 s for it, and drops a delivered that comes after', async () => {
		const [result] = await send(['5511987654321']);
		await meta([{ wamid: result.msId!, status: 'read', recipient: '5511987654321' }]);
		await app.harness.scheduler.advance(ORDER_WAIT_MS - ORDER_RECHECK_MS);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
		await app.harness.scheduler.advance(ORDER_RECHECK_MS);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`, `${result.msId}:read`]);
		await meta([{ wamid: result.msId!, status: 'delivered', recipient: '5511987654321' }]);
		await meta([{ wamid: result.msId!, status: 'sent', recipient: '5511987654321' }]);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`, `${result.msId}:read`]);
	});

	it('handles a batch mixing numbers, statuses and unknown messages', async () => {
		const results = await send(['5511900000001', '5511900000002', '5511900000003']);
		await meta([
			{ wamid: results[0].msId!, status: 'sent', recipient: '5511900000001' },
			{ wamid: 'wamid.NOT-OURS', status: 'delivered', recipient: '5511999999999' },
			{ wamid: results[1].msId!, status: 'sent', recipient: '5511900000002' },
			{ wamid: results[0].msId!, status: 'delivered', recipient: '5511900000001' },
			{ wamid: results[2].msId!, status: 'read', recipient: '5511900000003' },
		]);
		// The read without its delivered waits for it, in vain.
		await app.harness.scheduler.advance(ORDER_WAIT_MS);
		const byMessage = (msId: string) => sink.deliveries.filter((d) => d.body.msId === msId).map((d) => d.body.MessageStatus);
		expect(byMessage(results[0].msId!)).toEqual(['queued', 'sent', 'delivered']);
		expect(byMessage(results[1].msId!)).toEqual(['queued', 'sent']);
		expect(byMessage(results[2].msId!)).toEqual(['queued', 'read']);
		expect(sink.deliveries).toHaveLength(7);
	});

	it('processes nothing from a forged webhook', async () => {
		const [result] = await send(['5511987654321']);
		const forged = await app.sim.deliverRaw(
			app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: result.msId!, status: 'read', recipient: '5511987654321' }]),
			'f'.repeat(32),
		);
		expect(forged.status).toBe(403);
		await app.harness.scheduler.advance(60000);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('webhook-inbox'))).toEqual([]);
	});

	it('forwards per the filter setting, and nothing without a URL', async () => {
		await app.harness.setSetting('status_filter', 'regular');
		await send(['5511987654321']);
		expect(sink.deliveries).toEqual([]);
		await app.harness.setSetting('status_filter', 'template');
		await app.harness.setSetting('status_endpoint_url', '');
		await send(['5511987654322']);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('outbox:pending'))).toEqual([]);
		expect(sink.attempts).toBe(0);
	});

	it('a signing secret or a status URL with credentials the admin saves reaches no log', async () => {
		const secret = 'signing-secret-4f9a2c';
		const url = new URL(sink.url);
		url.username = 'integrator';
		url.password = 'url-password-77c1';
		await app.harness.setSetting('status_signing_secret', secret);
		await app.harness.setSetting('status_endpoint_url', url.toString());
		await app.harness.setSetting('status_endpoint_url', sink.url);
		// The engine's runtime logs what each app method answers: the setting the app let through was one.
		const logged = JSON.stringify(app.harness.logs);
		expect(logged).toContain('onPreSettingUpdate');
		expect(logged).not.toContain(secret);
		expect(logged).not.toContain('url-password-77c1');
		expect(await app.harness.getSetting('status_signing_secret')).toBe(secret);
	});

	it('signs deliveries when a signing secret is set', async () => {
		await app.harness.setSetting('status_signing_secret', 's3cret');
		await send(['5511987654321']);
		const { raw, headers } = sink.deliveries[0];
		const timestamp = String(headers['x-signature-timestamp']);
		expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
		expect(headers['x-signature-256']).toBe(
			`sha256=${crypto.createHmac('sha256', 's3cret').update(`${timestamp}.${raw}`).digest('hex')}`,
		);
	});

	it("sends and POSTs from the app's runtime when the admin turns that on: the same requests and signed payloads, in order, none through Rocket.Chat", async () => {
		const bridged = (url: (u: string) => boolean) => app.harness.world.httpCalls.filter((call) => url(call.url)).length;
		const toSink = (u: string) => u === sink.url;
		const toMeta = (u: string) => new URL(u).pathname.endsWith('/messages');
		await send(['5511987654320']);
		expect([bridged(toMeta), bridged(toSink)]).toEqual([1, 1]);
		await app.harness.setSetting('send_from_runtime', true);
		await app.harness.setSetting('status_signing_secret', 's3cret');
		sink.failWith = 503;
		const [result] = await send(['5511987654321'], { clientReference: 'order-43' });
		// Meta got the same request, valid by its spec, from the app's runtime.
		const [viaBridge, direct] = app.sim.requestsTo('/messages');
		expect(direct.validation).toMatchObject({ ok: true, errors: [] });
		expect(direct.body).toEqual({
			...(viaBridge.body as object),
			to: '5511987654321',
			biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
		});
		expect(direct.headers.authorization).toBe(viaBridge.headers.authorization);
		await meta([{ wamid: result.msId!, status: 'delivered', recipient: '5511987654321', timestamp: '1750030080' }]);
		expect(sink.attempts).toBeGreaterThan(0);
		expect(sink.deliveries).toHaveLength(1);
		sink.failWith = undefined;
		await app.harness.scheduler.advance(3600000);
		expect(sink.statuses().slice(1)).toEqual([`${result.msId}:queued`, `${result.msId}:delivered`]);
		const { raw, body, headers } = sink.deliveries[2];
		expect(body).toMatchObject({ msId: result.msId, MessageStatus: 'delivered', clientReference: 'order-43', timestamp: '1750030080' });
		expect(headers['content-type']).toBe('application/json');
		const timestamp = String(headers['x-signature-timestamp']);
		expect(headers['x-signature-256']).toBe(
			`sha256=${crypto.createHmac('sha256', 's3cret').update(`${timestamp}.${raw}`).digest('hex')}`,
		);
		expect([bridged(toMeta), bridged(toSink)]).toEqual([1, 1]);
	});

	/** Meta's `sent` of `wamid`, delivered; then the scheduler runs until the app forwards it (a kept status is linked 5 minutes on). */
	async function deliverSentUntilForwarded(wamid: string): Promise<void> {
		expect((await app.sim.deliverStatuses([{ wamid, status: 'sent' }])).map((r) => r.status)).toEqual([200]);
		const reported = () => sink.deliveries.some((d) => d.body.msId === wamid && d.body.MessageStatus === 'sent');
		for (let rounds = 0; rounds < 14 && !reported(); rounds++) await app.harness.scheduler.advance(30000);
	}

	it("a send from the app's runtime that Meta never answers ends at the Graph client's 10 s, reported as not known; the next send goes out", async () => {
		await app.harness.setSetting('send_from_runtime', true);
		let release: () => void = () => undefined;
		// Meta accepts the first send and holds its answer: only the runtime's own timer can end the call.
		app.sim.onAccepted = () => new Promise<void>((resolve) => (release = resolve));
		let results: Array<{ phoneNumber: string; msId?: string; error?: { code: number; message: string } }>;
		try {
			results = await send(['5511987654321']);
		} finally {
			app.sim.onAccepted = undefined;
			release();
		}
		expect(results).toEqual([
			{
				phoneNumber: '5511987654321',
				error: { code: 0, reason: 'timeout', message: expect.stringMatching(/^WhatsApp did not answer in time/) },
			},
		]);
		const [next] = await send(['5511987654322']);
		expect(next.msId).toMatch(/^wamid\./);
		expect(app.harness.world.httpCalls.filter((call) => new URL(call.url).pathname.endsWith('/messages'))).toEqual([]);
	});

	it.each([
		['from the app’s runtime', true],
		['through Rocket.Chat’s HTTP bridge (its fetch aborts: "The user aborted a request.")', false],
	])(
		"sends whose Graph call timed out (%s): one Meta's sent tells of is linked (5 minutes on) and reported queued then sent, never failed; the other is failed, outcome unknown, at the batch's check 10 minutes on",
		async (_transport, runtime) => {
			await app.harness.setSetting('send_from_runtime', runtime);
			const held: Array<() => void> = [];
			// Meta accepts both sends and holds its answers past the Graph client's 10 s.
			app.sim.onAccepted = () => new Promise<void>((resolve) => held.push(resolve));
			const to = ['5511987654321', '5511987654322'];
			let results: Array<{ phoneNumber: string; msId?: string; error?: { code: number; message: string } }>;
			try {
				results = await send(to);
			} finally {
				app.sim.onAccepted = undefined;
				for (const release of held) release();
			}
			const timedOut = { code: 0, reason: 'timeout', message: expect.stringMatching(/^WhatsApp did not answer in time/) };
			expect(results).toEqual(to.map((phoneNumber) => ({ phoneNumber, error: timedOut })));
			const [accepted, silent] = to.map((phone) => app.sim.sentMessages.find((m) => m.body.to === phone)!);
			// Nothing is reported yet: not a failed that Meta's statuses would contradict.
			expect(sink.deliveries).toEqual([]);
			await deliverSentUntilForwarded(accepted.wamid);
			expect(sink.statuses()).toEqual([`${accepted.wamid}:queued`, `${accepted.wamid}:sent`]);
			// The batch's check, 10 minutes after the timeout.
			await app.harness.scheduler.advance(10 * 60000);
			const failed = sink.deliveries.filter((d) => d.body.MessageStatus === 'failed');
			expect(failed.map((d) => [d.body.mobileNo, d.body.ErrorDetails])).toEqual([
				[
					silent.body.to,
					"Outcome unknown: WhatsApp's answer to this send did not come through (no answer in time, the connection lost, or a server on the way answering in place of WhatsApp) and no status of it came from WhatsApp within 10 minutes. It was not sent again (it may or may not have reached WhatsApp).",
				],
			]);
			expect(sink.deliveries.filter((d) => d.body.mobileNo === accepted.body.to).map((d) => d.body.MessageStatus)).toEqual([
				'queued',
				'sent',
			]);
			expect(new Set(sink.deliveries.map((d) => d.body.eventId)).size).toBe(sink.deliveries.length);
			expect(app.sim.sentMessages).toHaveLength(2);
		},
	);

	it.each([
		['from the app’s runtime', true],
		['through Rocket.Chat’s HTTP bridge', false],
	])(
		"a send whose connection closed before Meta's answer (%s) may have been sent: not reported failed, and the statuses Meta sends of it are forwarded",
		async (_transport, runtime) => {
			await app.harness.setSetting('send_from_runtime', runtime);
			// Meta accepts the send; the connection closes before its answer.
			app.sim.dropAnswers(1);
			const [result] = await send(['5511987654321']);
			// The Deno 1 runtime of engines before 1.60 does not report the closed connection to the app's
			// node:http: the call ends at the Graph client's 10 s, a timeout, which may have been sent too.
			const deno1 = runtime && !engineAtLeast('1.60.0');
			expect(result).toEqual({
				phoneNumber: '5511987654321',
				error: deno1
					? { code: 0, reason: 'timeout', message: expect.stringMatching(/^WhatsApp did not answer in time/) }
					: {
							code: 0,
							reason: 'unknown',
							message: expect.stringMatching(
								/^WhatsApp's answer to this send did not come through \(the connection was lost/,
							),
						},
			});
			const [accepted] = app.sim.sentMessages;
			expect(sink.deliveries).toEqual([]);
			await deliverSentUntilForwarded(accepted.wamid);
			expect(sink.statuses()).toEqual([`${accepted.wamid}:queued`, `${accepted.wamid}:sent`]);
			// Past the check: still never failed, and sent once.
			await app.harness.scheduler.advance(10 * 60000);
			expect(sink.statuses()).toEqual([`${accepted.wamid}:queued`, `${accepted.wamid}:sent`]);
			expect(app.sim.sentMessages).toHaveLength(1);
		},
	);

	it('loses nothing while the URL fails for 30 minutes: afterwards each event arrives once, in order per message', async () => {
		sink.failWith = 500;
		const results = await send(['5511900000001', '5511900000002']);
		const steps = ['sent', 'delivered', 'read'];
		for (let minute = 0; minute < 30; minute++) {
			if (minute % 10 === 0) {
				const step = steps[minute / 10];
				await meta(results.map((r) => ({ wamid: r.msId!, status: step, recipient: r.phoneNumber })));
			}
			await app.harness.scheduler.advance(60000);
		}
		expect(sink.deliveries).toEqual([]);
		expect(sink.attempts).toBeGreaterThan(2);
		sink.failWith = undefined;
		await app.harness.scheduler.advance(2 * 3600000);
		for (const r of results) {
			expect(sink.deliveries.filter((d) => d.body.msId === r.msId).map((d) => d.body.MessageStatus)).toEqual([
				'queued',
				'sent',
				'delivered',
				'read',
			]);
		}
		expect(new Set(sink.deliveries.map((d) => d.body.eventId)).size).toBe(sink.deliveries.length);
	});

	it('keeps what failed after the retry window for an admin to see and redeliver', async () => {
		await app.harness.setSetting('status_retry_hours', 2);
		sink.failWith = 503;
		await send(['5511987654321']);
		await app.harness.scheduler.advance(3 * 3600000);
		// The admin's log said so meanwhile (counts only, never the URL), a line a minute at most.
		const lines = (severity: string) => app.harness.logs.filter((l) => l.severity === severity).map((l) => String(l.args[0]));
		expect(lines('warning')).toContain(
			'status callbacks: 1 POST(s) to the Message Status Endpoint URL failed and are retried; /whatsapp deliveries shows them and their last error',
		);
		expect(lines('warning')).toContain(
			'status callbacks: 1 event(s) not delivered within the retry window were given up; /whatsapp deliveries lists them, and /whatsapp deliveries retry sends them again',
		);
		const room = app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
		await app.harness.command('whatsapp', ['deliveries'], { user: app.harness.admin, room });
		const notices = app.harness.world.notificationsFor(app.harness.admin.id).map((n) => String(n.text));
		expect(notices[notices.length - 1]).toMatch(
			/^Status deliveries: 0 pending, 1 failed\.\n• `wamid\.[^`]+:queued` queued to 5511987654321: \d+ attempts, last error: the URL answered HTTP 503\.\n/,
		);
		sink.failWith = undefined;
		await app.harness.command('whatsapp', ['deliveries', 'retry'], { user: app.harness.admin, room });
		await app.harness.scheduler.advance(30000);
		expect(sink.statuses()).toEqual([expect.stringMatching(/:queued$/)]);
	});

	it('POSTs nothing to a URL setting without a scheme, says why in /whatsapp deliveries, and delivers once it is corrected', async () => {
		const url = await app.harness.getSetting('status_endpoint_url');
		const withoutScheme = String(url).replace(/^http:\/\//, '');
		await app.harness.setSetting('status_endpoint_url', withoutScheme);
		await send(['5511987654321']);
		await app.harness.scheduler.advance(60000);
		expect(sink.attempts).toBe(0);
		const room = app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
		await app.harness.command('whatsapp', ['deliveries'], { user: app.harness.admin, room });
		const notices = app.harness.world.notificationsFor(app.harness.admin.id).map((n) => String(n.text));
		expect(notices[notices.length - 1]).toBe(
			'Status deliveries: 1 pending, 0 failed.\n⚠️ The "Message Status Endpoint URL" setting is refused: it is not an absolute URL (it must start with https:// or http://). Nothing is POSTed; the events wait (for the retry hours) until an admin corrects it.',
		);
		await app.harness.setSetting('status_endpoint_url', url);
		await app.harness.scheduler.advance(3600000);
		expect(sink.statuses()).toEqual([expect.stringMatching(/:queued$/)]);
	});

	it('says in words why failed events failed, and that an empty URL setting holds them', async () => {
		await app.harness.setSetting('status_retry_hours', 1);
		await app.harness.setSetting(
			'status_endpoint_url',
			String(await app.harness.getSetting('status_endpoint_url')).replace(/^http:/, 'ftp:'),
		);
		await send(['5511987654321']);
		await app.harness.scheduler.advance(2 * 3600000);
		expect(sink.attempts).toBe(0);
		const room = app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
		const lastNotice = () => String(app.harness.world.notificationsFor(app.harness.admin.id).pop()?.text);
		await app.harness.command('whatsapp', ['deliveries'], { user: app.harness.admin, room });
		const failed = lastNotice().split('\n');
		expect(failed[2]).toMatch(
			/^• `wamid\.[^`]+:queued` queued to 5511987654321: \d+ attempts, last error: only http and https URLs are accepted\.$/,
		);

		await app.harness.setSetting('status_endpoint_url', '');
		await app.harness.command('whatsapp', ['deliveries'], { user: app.harness.admin, room });
		expect(lastNotice().split('\n')).toEqual([
			'Status deliveries: 0 pending, 1 failed.',
			'⚠️ The "Message Status Endpoint URL" setting is empty: nothing is POSTed and no new event is queued. Set it to deliver these events.',
			failed[2],
			failed[3],
		]);
		// A retry with no URL says the events it requeued will wait.
		await app.harness.command('whatsapp', ['deliveries', 'retry'], { user: app.harness.admin, room });
		expect(lastNotice().split('\n')).toEqual([
			expect.stringMatching(/^1 failed status event/),
			'⚠️ The "Message Status Endpoint URL" setting is empty: nothing is POSTed and no new event is queued. Set it to deliver these events.',
		]);
	});

	it('tells the admin something went wrong when a store fails, with nothing of the error in the log or the answer', async () => {
		const SECRET = 'mongodb://ops:hunter2@db.internal';
		const room = app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
		app.harness.world.persistenceFault = (method) =>
			method === 'readByAssociations' ? new Error(`MongoServerError: connection to ${SECRET} lost`) : undefined;
		try {
			await expect(app.harness.command('whatsapp', ['deliveries'], { user: app.harness.admin, room })).resolves.toBeDefined();
		} finally {
			app.harness.world.persistenceFault = undefined;
		}
		const notices = app.harness.world.notificationsFor(app.harness.admin.id).map((n) => String(n.text));
		expect(notices).toEqual(["Something went wrong inside the app; the details are in the app's log."]);
		expect(app.harness.takeAppErrors().join('\n')).not.toContain(SECRET);
		expect(app.harness.formatLogs()).not.toContain(SECRET);
		// The log says which command failed, and how (the error's name), as the answer promises.
		expect(app.harness.formatLogs()).toContain('/whatsapp deliveries failed: Error');
	});

	it('loses and duplicates nothing across a disable and enable of the app', async () => {
		sink.failWith = 500;
		const [result] = await send(['5511987654321']);
		await meta([{ wamid: result.msId!, status: 'delivered', recipient: '5511987654321' }]);
		await app.harness.manager.disable(app.harness.appId);
		await app.harness.manager.enable(app.harness.appId);
		sink.failWith = undefined;
		await app.harness.scheduler.advance(3600000);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`, `${result.msId}:delivered`]);
	});

	it("reports deleted when Meta says a message of the app's was deleted (a revoke, as pywa's fixture has it)", async () => {
		const [result] = await send(['5511987654321']);
		const fixture = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'pywa', 'deleted_message.json'), 'utf8')).revoke;
		const value = fixture.entry[0].changes[0].value;
		fixture.entry[0].id = NUMBER.wabaId;
		value.metadata = { display_phone_number: '15550783881', phone_number_id: NUMBER.phoneNumberId };
		Object.assign(value.messages[0], { from: '5511987654321', id: 'wamid.revoke-1', revoke: { original_message_id: result.msId } });
		value.contacts[0].wa_id = '5511987654321';
		expect((await app.sim.deliverRaw(fixture, NUMBER.appSecret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		expect(sink.statuses()).toEqual([`${result.msId}:queued`, `${result.msId}:deleted`]);
		expect(sink.deliveries[1].body).toMatchObject({
			msId: result.msId,
			MessageStatus: 'deleted',
			timestamp: '1697043223',
			eventId: `${result.msId}:deleted`,
		});
	});

	it('forgets message records after the retention period', async () => {
		const [result] = await send(['5511987654321']);
		const record = app.harness.world.persistence.find((r) => r.associations.some((a) => a.id === `wamid:${result.msId}`))!;
		backdate(app.harness.world, [record]);
		// The retention job runs once a day; its run is played now rather than a day of 30-second runs.
		expect(app.harness.scheduler.jobs.find((j) => j.processorId.startsWith(`${EXPIRE_MESSAGES_JOB}_`))).toMatchObject({
			intervalMs: 86400000,
		});
		await app.harness.scheduler.runRecurring(EXPIRE_MESSAGES_JOB);
		expect(app.harness.world.persistence.includes(record)).toBe(false);
		await meta([{ wamid: result.msId!, status: 'read', recipient: '5511987654321' }]);
		expect(sink.statuses()).toEqual([`${result.msId}:queued`]);
	});

	it('resumes a retention run that ran out of time in a run of its own, where it stopped (its place goes through the scheduler)', async () => {
		const { scheduler, world } = app.harness;
		const results = await send(['5511987654321', '5511987654322', '5511987654323']);
		const recordOf = (msId?: string) => world.persistence.find((r) => r.associations.some((a) => a.id === `wamid:${msId}`))!;
		const [older, old, today] = results.map((r) => recordOf(r.msId));
		backdate(world, [older], 41);
		backdate(world, [old], 40);
		const day = (record: typeof old) => record.associations.find((a) => a.id.startsWith('sent-day:'))!.id;
		// The day 40 days back is removed first (the newest days first), by a query slower than a run's time.
		let slowed = false;
		world.persistenceDelay = (method, args) => {
			if (slowed || method !== 'removeByAssociations' || !JSON.stringify(args).includes(day(old))) return undefined;
			slowed = true;
			return RUN_BUDGET_MS + 1000;
		};
		const retentionJobs = () => scheduler.jobs.filter((j) => j.processorId.startsWith(`${EXPIRE_MESSAGES_JOB}_`) && !j.intervalMs);
		await scheduler.runRecurring(EXPIRE_MESSAGES_JOB);
		expect(slowed).toBe(true);
		expect(world.persistence.includes(old)).toBe(false);
		expect(world.persistence.includes(older)).toBe(true);
		// The rest is asked for at once, with where this run stopped in the job's data.
		expect(retentionJobs()).toHaveLength(1);
		const [resume] = retentionJobs();
		expect(resume.runAt).toBeLessThanOrEqual(scheduler.currentTime());
		expect(resume.data).toMatchObject({ at: expect.any(Number), step: expect.any(Number), retentionMs: 30 * 86400000 });
		const at = resume.data!.at as number;
		// The job due now runs, and any part it leaves to a run of its own at once, to the end.
		const asked: string[] = [];
		world.persistenceDelay = (_method, args) => void asked.push(JSON.stringify(args));
		await scheduler.runDueOf(EXPIRE_MESSAGES_JOB);
		// Where the first run stopped: none of the days it had done (the newest past the retention, 31
		// days back, to the one before the slow one) is looked at again.
		expect(asked.some((args) => args.includes(day(older)))).toBe(true);
		const newest = Date.parse(`${newestExpiredDay(30 * 86400000, at)}T00:00:00.000Z`);
		for (let back = 0; back < 9; back++) {
			const done = new Date(newest - back * 86400000).toISOString().slice(0, 10);
			expect(asked.some((args) => args.includes(`sent-day:${done}`))).toBe(false);
		}
		expect(retentionJobs()).toHaveLength(0);
		expect(world.persistence.includes(older)).toBe(false);
		expect(world.persistence.includes(today)).toBe(true);
		// Every day was removed: the mark moves on to the newest day past the retention (as of the first run).
		const mark = world.persistence.find((r) => r.associations.some((a) => a.id === 'retention-swept'))!;
		expect(mark.data).toMatchObject({ days: newestExpiredDay(30 * 86400000, at) });
		expect(scheduler.failures).toEqual([]);
	}, 60000);

	it('runs the retention job a day apart though the server starts again in between (each start registers the jobs again)', async () => {
		const { scheduler } = app.harness;
		const retention = () => scheduler.jobs.find((j) => j.processorId.startsWith(`${EXPIRE_MESSAGES_JOB}_`))!;
		// A job new to the scheduler runs at once (on a busy machine the first clean-up may go on in a
		// run of its own, at once, past its time budget), then a day after that run.
		let runs = 0;
		for (let due = 1, rounds = 0; due > 0 && rounds < 10; rounds++) runs += due = await scheduler.runDueOf(EXPIRE_MESSAGES_JOB);
		expect(runs).toBeGreaterThanOrEqual(1);
		expect(await scheduler.runDueOf(EXPIRE_MESSAGES_JOB)).toBe(0);
		const next = retention().runAt;
		expect(next - scheduler.currentTime()).toBeGreaterThan(86400000 - 60000);
		// Hours later the server starts again: Rocket.Chat registers the app's processors again.
		await scheduler.advance(3 * 3600000, () => false);
		await scheduler.registerAgain(app.harness.appId);
		expect(retention().runAt).toBe(next);
	});
});
