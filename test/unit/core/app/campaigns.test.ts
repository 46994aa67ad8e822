/** The campaign service (core/app/campaigns.ts) over memory ports, on a clock the fake sleep moves. */
import { Campaigns, RUN_LEASE_MS } from '../../../../src/core/app/campaigns';
import { MemoryCampaignStore } from '../../../../src/core/app/campaignsPorts';
import { SentMessage } from '../../../../src/core/app/ports';
import { settingsOf, SettingKey } from '../../../../src/core/app/settings';
import { CHUNK_SIZE } from '../../../../src/core/bulk/campaign';
import { NumberPacer } from '../../../../src/core/bulk/pacer';
import { graphCodeOf } from '../../../../src/core/app/explain';
import { TemplateGraph } from '../../../../src/core/app/sendTemplatesPorts';
import { translate } from '../../../../src/core/i18n/translate';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { CampaignStart } from '../../../../src/core/app/campaigns';
import { FakeGraph, graphError, keys, NUMBER, templatesWorld } from './fakes-templates';

const TEMPLATE = { name: 'order_ready', language: { code: 'en_US' } };
const ADMIN = { id: 'u-admin', roles: ['admin'] };
const OWNER = { id: 'u-owner', roles: ['livechat-manager'] };
const phones = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `1555${String(from + i).padStart(7, '0')}`);

function world(options: { settings?: Partial<Record<SettingKey, unknown>>; numbers?: ConnectedNumber[] } = {}) {
	const clock = { t: Date.parse('2026-03-01T10:00:00.000Z'), now: () => clock.t };
	const store = new MemoryCampaignStore();
	const graph = new FakeGraph();
	// The number's pacer, as the app's Graph port has it (core/bulk/pacedGraph.ts), on the test's clock.
	const pacer = new NumberPacer({
		ratePerSecond: Number(options.settings?.sendRatePerSecond ?? 100),
		metaCode: graphCodeOf,
		clock: { now: () => clock.t, sleep: async (ms) => void (clock.t += ms) },
	});
	const paced: TemplateGraph = {
		sendMessage: (id, payload, pacing = {}) => pacer.run(() => graph.sendMessage(id, payload), pacing),
		listAllTemplates: <T>() => graph.listAllTemplates<T>(),
	};
	const recorded: Array<{ message: SentMessage; error?: unknown }> = [];
	const jobs = { campaign: 0, status: 0 };
	let ids = 0;
	const service = new Campaigns({
		store,
		numbers: { list: async () => options.numbers ?? [NUMBER] },
		graphOf: () => paced,
		sendLog: { record: async (message, error) => void recorded.push({ message, error }) },
		settings: settingsOf({ sendRatePerSecond: 100, ...options.settings }),
		clock,
		campaignJobs: { runSoon: async () => void jobs.campaign++ },
		statusJobs: { processSoon: async () => void jobs.status++ },
		newId: () => `c${++ids}`,
		sleep: async (ms) => void (clock.t += ms),
	});
	const start = (recipients: string[], routing = {}) =>
		service.start({ createdBy: OWNER.id, number: NUMBER, template: TEMPLATE, recipients, text: 'Hello', routing });
	const sentTo = () => graph.sends.map((s) => (s.payload as { to: string }).to);
	const run = (budgetMs = 10000, stopped = () => false) => service.run({ budgetMs, stopped });
	return { clock, store, graph, recorded, jobs, service, start, sentTo, run };
}

describe('campaigns', () => {
	it('sends every recipient once from the queue, reports each queued with the campaign and the reference, and counts', async () => {
		const w = world();
		const id = await w.start(phones(250), { clientReference: 'crm-1' });
		expect(w.jobs.campaign).toBe(1);
		expect((await w.store.chunks(id)).map((c) => c.recipients.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 50]);

		expect(await w.run()).toEqual({ more: false, sent: 250 });
		expect(w.sentTo()).toEqual(phones(250));
		expect(w.graph.sends[0].payload).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: phones(1)[0],
			type: 'template',
			template: TEMPLATE,
		});
		expect(w.recorded).toHaveLength(250);
		expect(w.recorded[0]).toEqual({
			message: expect.objectContaining({
				wamid: `wamid.${phones(1)[0]}`,
				campaignId: id,
				clientReference: 'crm-1',
				connectedWhatsAppNo: '15550100001',
				message: 'Hello',
				type: 'Template-Message',
				templateName: 'order_ready',
			}),
			error: undefined,
		});
		expect(w.jobs.status).toBe(1);
		expect(await w.service.status(id, OWNER)).toMatchObject({
			id,
			state: 'done',
			total: 250,
			counts: { pending: 0, sending: 0, queued: 250, failed: 0, cancelled: 0 },
		});
		expect(await w.store.outcomes(id)).toEqual([]);
	});

	it("reports Meta's refusal as failed with Meta's error, and goes on", async () => {
		const w = world();
		const refused = graphError(131026);
		w.graph.answer = (to) => (to === phones(2)[1] ? refused : { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] });
		const id = await w.start(phones(3));
		await w.run();
		expect(w.recorded.find((r) => r.message.mobileNo === phones(2)[1])).toEqual({
			message: expect.not.objectContaining({ wamid: expect.anything() }),
			error: refused,
		});
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 2, failed: 1 });
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
	});

	it('after a run that died mid-call: an outcome written is kept, a recipient marked without one is failed "outcome unknown" and never resent', async () => {
		const w = world();
		const id = await w.start(phones(5));
		// What a dead run leaves: its lease, two recipients marked sending, the outcome of one of them.
		const [chunk] = await w.store.chunks(id);
		chunk.recipients[0].state = 'sending';
		chunk.recipients[1].state = 'sending';
		await w.store.saveChunk(chunk);
		await w.store.putOutcome({ campaignId: id, chunk: 0, index: 0, state: 'queued', wamid: 'wamid.dead-run' });
		await w.store.save({ ...(await w.store.get(id))!, leaseUntil: w.clock.t + RUN_LEASE_MS });
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 1, sending: 1, pending: 3 });

		expect(await w.run()).toEqual({ more: false, sent: 0 });
		expect(w.graph.sends).toEqual([]);

		w.clock.t += RUN_LEASE_MS;
		await w.run();
		expect(w.sentTo()).toEqual(phones(5).slice(2));
		expect(w.recorded.find((r) => r.message.mobileNo === phones(5)[1])).toEqual({
			message: expect.objectContaining({ campaignId: id }),
			error: translate(undefined, 'campaign_error_outcome_unknown'),
		});
		expect(w.recorded.filter((r) => r.message.mobileNo === phones(5)[0])).toEqual([]);
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ queued: 4, failed: 1, sending: 0, pending: 0 });
	});

	it('stops when the app is disabled, keeping the rest pending, and resumes without a duplicate', async () => {
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
		stop = false;
		await w.run();
		expect(w.sentTo().sort()).toEqual(phones(30));
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
		expect(w.recorded.map((r) => r.error)).toEqual(Array(3).fill(translate(undefined, 'campaign_error_number_gone')));
		expect((await w.service.status(id, OWNER)).counts).toMatchObject({ failed: 3 });
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
