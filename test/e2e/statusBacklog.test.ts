/**
 * A status backlog larger than one job run can deliver (core/app/runBudget.ts: a run stops taking
 * work after 8 s): with the scheduler running jobs in real time as Agenda does, the delivery job
 * reschedules itself until everything is delivered, each status once, in order per message, and no
 * run is timed out by the engine. And by default, to a receiver that keeps its answer time, more
 * POSTs go at once than the 8 it starts with (core/status/deliveryLimit.ts).
 */
import { signPayload } from '../../src/core/webhook/signature';
import { serializeLikeMeta } from '../../src/core/webhook/metaJson';
import { request } from '../../tools/http/client';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { StatusSink } from '../support/statusSink';

jest.setTimeout(15 * 60000);

const MESSAGES = 500;
const KINDS = ['sent', 'delivered', 'read'];

describe('a status backlog larger than one run', () => {
	let app: AppUnderTest;
	let sink: StatusSink;
	let near: StatusSink;
	beforeAll(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId);
		sink = new StatusSink();
		near = new StatusSink();
		await app.harness.setSetting('send_rate_per_second', 1000);
	});
	afterAll(async () => {
		try {
			await sink.stop();
			await near.stop();
		} finally {
			await stopChecked(app);
		}
	});

	/** `count` recipients from `first` on, in requests of 250: their messages' ids. */
	async function sendTemplates(first: number, count: number): Promise<string[]> {
		const wamids: string[] = [];
		for (let k = 0; k < count / 250; k++) {
			const phoneNumbers = Array.from({ length: 250 }, (_, i) => `55119${String(first + k * 250 + i).padStart(8, '0')}`);
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers,
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello_world', language: { code: 'en_US' } },
				},
				headers: ADMIN_AUTH,
			});
			expect(res.status).toBe(200);
			wamids.push(...res.body.results.map((r: { msId: string }) => r.msId));
		}
		return wamids;
	}

	/**
	 * Signed webhooks of 250 statuses (Rocket.Chat 7.6+ refuse a body over 100 kB: about 400 statuses
	 * with the BSUIDs Meta adds), per kind: a status of that kind for every message.
	 */
	async function postStatuses(wamids: string[], kinds: string[]): Promise<void> {
		for (const status of kinds) for (let start = 0; start < wamids.length; start += 250) await postBatch(wamids, start, status);
	}

	async function postBatch(wamids: string[], start: number, status: string): Promise<void> {
		const statuses = wamids
			.slice(start, start + 250)
			.map((wamid, i) => ({ wamid, status, recipient: `55119${String(start + i).padStart(8, '0')}` }));
		const raw = serializeLikeMeta(app.sim.statusPayload(NUMBER.phoneNumberId, statuses));
		const res = await request(app.http.endpointUrl('webhook'), {
			raw,
			headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signPayload(raw, NUMBER.appSecret) },
		});
		expect(res.status).toBe(200);
	}

	it('sends more POSTs at once, by default, to a receiver that keeps answering in 50 ms', async () => {
		await app.harness.setSetting('status_endpoint_url', await near.start());
		const wamids = await sendTemplates(100000, 250);
		await postStatuses(wamids, ['sent']);
		near.delayMs = 50;
		app.harness.scheduler.startRunning();
		await near.waitForDeliveries(500);
		await app.harness.scheduler.stopRunning();
		const received = near.statuses();
		expect(new Set(received).size).toBe(500);
		expect(received).toHaveLength(500);
		for (const wamid of wamids) expect(received.filter((s) => s.startsWith(`${wamid}:`))).toEqual([`${wamid}:queued`, `${wamid}:sent`]);
		// It starts at 8 and grows while the answers keep their time, up to the setting's 256.
		expect(near.mostAtOnce).toBeGreaterThan(8);
		expect(near.mostAtOnce).toBeLessThanOrEqual(256);
	});

	it('is delivered across rescheduled runs, each status once, in order per message, with no run timed out', async () => {
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		const wamids = await sendTemplates(0, MESSAGES);
		await postStatuses(wamids, KINDS);
		// A receiver answering in 50 ms, at most 8 POSTs at once (the setting): 2,000 events take 12.5 s,
		// more than one run's 8 s.
		await app.harness.setSetting('status_delivery_concurrency', 8);
		sink.delayMs = 50;
		app.harness.scheduler.startRunning();
		const expected = MESSAGES * (KINDS.length + 1);
		await sink.waitForDeliveries(expected);
		await app.harness.scheduler.stopRunning();

		const received = sink.statuses();
		expect(new Set(received).size).toBe(expected);
		expect(received).toHaveLength(expected);
		for (const wamid of wamids.slice(0, 50))
			expect(received.filter((s) => s.startsWith(`${wamid}:`))).toEqual(['queued', ...KINDS].map((k) => `${wamid}:${k}`));
		const deliveryRuns = app.harness.scheduler.runs.filter((r) => r.processorId.startsWith('deliver-statuses'));
		expect(deliveryRuns.length).toBeGreaterThan(1);
		expect(Math.max(...deliveryRuns.map((r) => r.ms))).toBeLessThan(30000);
		expect(app.harness.scheduler.failures).toEqual([]);
		expect(app.harness.logs.filter((l) => /timed out/.test(JSON.stringify(l)))).toEqual([]);
		expect(sink.mostAtOnce).toBe(8);
		// Delivered events left storage.
		expect(app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'outbox:pending'))).toEqual([]);
	});
});
