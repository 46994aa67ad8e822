/**
 * Fuzzing Meta's webhook through the engine over HTTP: 10,000 hostile bodies, each signed with a
 * connected number's app secret the way Meta signs (the simulator's Meta serializer), made by
 * mutating Meta's documented payloads (shared/contracts). Each is answered without a 5xx, the
 * processing job handles them all without failing, the inbox drains, and afterwards a real status
 * of a message the app sent still reaches the Message Status Endpoint URL.
 *
 * Bodies nested deeper than 100 levels are left out: the engine's own transport refuses them before
 * the app sees them (README, testing).
 */
import { SimNumber } from '../../tools/sim/CloudApiSimulator';
import { readContract } from '../../tools/sim/contracts';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { chance, depthOf, fuzzReport, HUGE_STRING, int, junk, pick, prng, Rand } from '../support/fuzz';
import { StatusSink } from '../support/statusSink';
import { PROCESS_WEBHOOKS_JOB } from '../../src/adapters/build/jobs';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const SEED = 20261201;
const COUNT = 10000;
/** Bodies posted at once. */
const PARALLEL = 20;
/** The engine's transport refuses deeper bodies; the generator stays well below. */
const MAX_DEPTH = 90;

/** A number of another Meta app: its own WABA and app secret. */
const OTHER: SimNumber = {
	phoneNumberId: '106540352242955',
	wabaId: '102290129340422',
	displayPhoneNumber: '+1 555-078-5555',
	verifiedName: 'Beta Sales',
	accessToken: 'EAATESTTOKENBETA00000',
	appSecret: 'fedcba9876543210fedcba9876543210',
};
const CARLA = '5511987654321';
const ORDER_UPDATE = {
	id: '1',
	name: 'order_update',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
};
const TEMPLATE = {
	name: 'order_update',
	language: { code: 'en_US' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
};

/** Meta's documented webhook payloads (shared/contracts/README.md): inbound messages, statuses, errors, template status updates, batches. */
function documentedPayloads(): Array<{ name: string; payload: Any }> {
	const named = (file: string) =>
		Object.entries(readContract<Record<string, Any>>(file)).map(([name, payload]) => ({ name: `${file}#${name}`, payload }));
	const single = (file: string) => {
		const { _comment: _, ...payload } = readContract<Any>(file);
		return { name: file, payload };
	};
	return [
		...named('meta-openapi/webhook-inbound.examples.json'),
		...named('pywa/message_status.json'),
		...named('pywa/deleted_message.json'),
		...named('pywa/template_status_update.json'),
		single('derived/webhook-batched-mixed.json'),
		single('third-party-captures/incoming-image-escaped.raw-body.json'),
		...[
			'webhook-incoming-text',
			'webhook-incoming-button-reply',
			'webhook-status-sent-marketing',
			'webhook-status-v24-minimal',
			'webhook-status-failed-131049',
			'webhook-value-errors-130429',
		].map((f) => single(`meta-docs/${f}.json`)),
	];
}

interface Ids {
	/** wamids the app sent from NUMBER and from OTHER. */
	ours: string;
	theirs: string;
}

/**
 * The mutations, weighted by repetition. Bodies of 100 kB or thousands of entries are a few per
 * cent: each kind is covered hundreds of times, and 10,000 bodies stay a few tens of megabytes.
 */
const MUTATIONS = [
	...Array<string>(8).fill('wrong value'),
	...Array<string>(3).fill('null'),
	...Array<string>(3).fill('missing field'),
	...Array<string>(3).fill('extra field'),
	...Array<string>(3).fill('unknown kind'),
	...Array<string>(2).fill('template event for unknown WABA'),
	...Array<string>(3).fill('status for unknown or foreign wamid'),
	...Array<string>(2).fill('top level replaced'),
	'huge array',
	'huge string',
] as const;

/** Every container (object or array) in `value`, with the path to it. */
function containers(value: unknown, out: Array<{ node: Any; path: string }> = [], path = '$'): Array<{ node: Any; path: string }> {
	if (typeof value !== 'object' || value === null) return out;
	out.push({ node: value, path });
	// Huge junk arrays are containers of scalars: not walked (they would dominate the picks and the time).
	if (Array.isArray(value) && value.length > 50) return out;
	for (const [key, member] of Object.entries(value)) containers(member, out, `${path}.${key}`);
	return out;
}

/** `value` when it is an array, else none (the mutated payloads hold anything anywhere). */
const list = (value: unknown): Any[] => (Array.isArray(value) ? value : []);

const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];

/**
 * Whether a message of `payload` is a media message whose media has no usable id (absent, not a
 * string or number, '', '.' or '..'): the app announces the file without asking Meta anything.
 */
function hasMediaWithoutId(payload: Any): boolean {
	const entries = Array.isArray(payload?.entry) ? payload.entry : [];
	for (const entry of entries) {
		for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
			const messages = change?.value?.messages;
			for (const m of Array.isArray(messages) ? messages : []) {
				if (!m || typeof m !== 'object' || !MEDIA_TYPES.includes(m.type)) continue;
				const media = m[m.type];
				const id = media && typeof media === 'object' && !Array.isArray(media) ? media.id : undefined;
				const text = typeof id === 'string' ? id : typeof id === 'number' ? String(id) : '';
				if (text === '' || text === '.' || text === '..') return true;
			}
		}
	}
	return false;
}

class Generator {
	private readonly bases = documentedPayloads();
	private readonly inbound = this.bases.filter((b) => JSON.stringify(b.payload).includes('"messages":['));
	private readonly others = this.bases.filter((b) => !this.inbound.includes(b));
	counts: Record<string, number> = {};

	constructor(
		private readonly rand: Rand,
		private readonly ids: Ids,
	) {}

	private count(kind: string): void {
		this.counts[kind] = (this.counts[kind] ?? 0) + 1;
	}

	/** A documented payload, addressed to a connected number (mostly), another number or one nobody connected. */
	private base(): Any {
		// A third inbound messages (each may post in a room: the dearest to process), the rest statuses, errors, template events.
		const { payload } = pick(this.rand, chance(this.rand, 0.35) ? this.inbound : this.others);
		const copy = JSON.parse(JSON.stringify(payload));
		const [number, waba] = pick(this.rand, [
			[NUMBER.phoneNumberId, NUMBER.wabaId],
			[NUMBER.phoneNumberId, NUMBER.wabaId],
			[NUMBER.phoneNumberId, NUMBER.wabaId],
			[OTHER.phoneNumberId, OTHER.wabaId],
			['1122334455667', '5467539754836534'],
			[NUMBER.phoneNumberId, '999999999999999'],
		]);
		for (const entry of Array.isArray(copy.entry) ? copy.entry : []) {
			entry.id = waba;
			for (const change of entry.changes ?? []) {
				const value = change.value ?? {};
				if (value.metadata)
					value.metadata = {
						display_phone_number: number === OTHER.phoneNumberId ? '15550785555' : '15550783881',
						phone_number_id: number,
					};
				// Real wamids: statuses and revokes about the app's own messages and another number's.
				for (const status of value.statuses ?? [])
					if (chance(this.rand, 0.3))
						status.id = pick(this.rand, [this.ids.ours, this.ids.theirs, `wamid.UNKNOWN${int(this.rand, 1e9)}`]);
				for (const message of value.messages ?? []) {
					// A handful of contacts, so that rooms are reused rather than opened by the thousand.
					if (chance(this.rand, 0.8)) message.from = pick(this.rand, [CARLA, '16505551234', '5511900000001']);
					if (message.revoke && chance(this.rand, 0.5))
						message.revoke.original_message_id = pick(this.rand, [this.ids.ours, this.ids.theirs]);
					// Mostly wamids of a small pool (duplicates are dropped, and the app's records stay few: each
					// new message adds records every later query reads); one in ten is new.
					message.id = chance(this.rand, 0.1) ? `wamid.FUZZ${int(this.rand, 1e12)}` : `wamid.POOL${int(this.rand, 20)}`;
				}
			}
		}
		return copy;
	}

	/** One mutation of `payload` (in place where it can); answers the payload. */
	private mutate(payload: Any): Any {
		const places = containers(payload);
		const { node } = pick(this.rand, places);
		const keys = Object.keys(node);
		const key = keys.length ? pick(this.rand, keys) : undefined;
		switch (pick(this.rand, MUTATIONS)) {
			case 'wrong value':
				this.count('wrong value');
				if (key === undefined) return payload;
				node[key] = junk(this.rand);
				return payload;
			case 'null':
				this.count('null');
				if (key !== undefined) node[key] = null;
				return payload;
			case 'missing field':
				this.count('missing field');
				if (key === undefined) return payload;
				if (Array.isArray(node)) node.splice(Number(key), 1);
				else delete node[key];
				return payload;
			case 'extra field':
				this.count('extra field');
				if (Array.isArray(node)) node.push(junk(this.rand));
				else
					node[
						pick(this.rand, [
							'extra',
							'type',
							'id',
							'errors',
							'statuses',
							'messages',
							'contacts',
							'event',
							`x${int(this.rand, 100)}`,
						])
					] = junk(this.rand);
				return payload;
			case 'huge array': {
				this.count('huge array');
				const arrays = places.filter((p) => Array.isArray(p.node) && p.node.length > 0 && p.node.length <= 50);
				if (!arrays.length) return payload;
				const array = pick(this.rand, arrays).node as Any[];
				const item = array[0];
				// Thousands of entries: mostly junk the walk skips; rarely thousands of real, distinct events.
				const length = 1000 + int(this.rand, 2000);
				const real = typeof item === 'object' && item !== null && 'status' in item && chance(this.rand, 0.02);
				if (real) this.count('huge array of real statuses');
				const copies = Array.from({ length }, (_, i) =>
					real ? { ...item, id: `wamid.COPY${i}` } : pick(this.rand, [null, i, 'x', [], true]),
				);
				array.push(...copies);
				return payload;
			}
			case 'huge string':
				this.count('huge string');
				if (key !== undefined && !Array.isArray(node)) node[key] = HUGE_STRING;
				return payload;
			case 'unknown kind':
				this.count('unknown kind');
				switch (int(this.rand, 4)) {
					case 0:
						payload.object = pick(this.rand, ['page', 'instagram', '', 'WHATSAPP_BUSINESS_ACCOUNT', junk(this.rand)]);
						break;
					case 1:
						for (const entry of list(payload.entry))
							for (const change of list(entry?.changes))
								if (change && typeof change === 'object')
									change.field = pick(this.rand, [
										'account_update',
										'group_lifecycle_update',
										'flows',
										'messages ',
										'MESSAGES',
										'message_template_status_update',
										'',
									]);
						break;
					case 2:
						for (const entry of list(payload.entry))
							for (const change of list(entry?.changes))
								for (const m of list(change?.value?.messages))
									if (m && typeof m === 'object')
										m.type = pick(this.rand, [
											'hologram',
											'revoke',
											'unsupported',
											'image',
											'document',
											'audio',
											'sticker',
											'video',
											'',
											'ephemeral',
										]);
						break;
					default:
						for (const entry of list(payload.entry))
							for (const change of list(entry?.changes))
								for (const s of list(change?.value?.statuses))
									if (s && typeof s === 'object')
										s.status = pick(this.rand, ['exploded', 'deleted', 'warning', 'SENT', 'played', '', 'failed']);
				}
				return payload;
			case 'template event for unknown WABA': {
				this.count('template event for unknown WABA');
				const change = {
					field: 'message_template_status_update',
					value: {
						event: pick(this.rand, [
							'APPROVED',
							'PAUSED',
							'DISABLED',
							'REJECTED',
							'FLAGGED',
							'PENDING_DELETION',
							junk(this.rand),
						]),
						message_template_id: int(this.rand, 1e15),
						message_template_name: pick(this.rand, [
							'order_confirmation',
							'hello_world',
							`t${int(this.rand, 1000)}`,
							junk(this.rand),
						]),
						message_template_language: pick(this.rand, ['en_US', 'pt_BR', junk(this.rand)]),
						reason: 'NONE',
					},
				};
				const entry = {
					id: pick(this.rand, [`${int(this.rand, 1e15)}`, '', OTHER.wabaId, junk(this.rand)]),
					time: 1751247548,
					changes: [change],
				};
				if (Array.isArray(payload.entry)) payload.entry.push(entry);
				return payload;
			}
			case 'status for unknown or foreign wamid': {
				this.count('status for unknown or foreign wamid');
				const status = {
					id: pick(this.rand, [this.ids.theirs, `wamid.NOBODY${int(this.rand, 1e9)}`, this.ids.ours]),
					status: pick(this.rand, ['sent', 'delivered', 'read', 'failed', 'played']),
					timestamp: String(1750000000 + int(this.rand, 1e6)),
					recipient_id: pick(this.rand, [CARLA, '000', junk(this.rand)]),
				};
				const value = {
					messaging_product: 'whatsapp',
					metadata: {
						display_phone_number: '15550783881',
						phone_number_id: pick(this.rand, [NUMBER.phoneNumberId, OTHER.phoneNumberId]),
					},
					statuses: [status],
				};
				if (Array.isArray(payload.entry)) payload.entry.push({ id: NUMBER.wabaId, changes: [{ value, field: 'messages' }] });
				return payload;
			}
			default:
				this.count('top level replaced');
				return pick(this.rand, [
					null,
					[],
					[payload],
					'whatsapp_business_account',
					0,
					{ object: 'whatsapp_business_account' },
					{ object: 'whatsapp_business_account', entry: junk(this.rand) },
					{ entry: [] },
				]);
		}
	}

	/** One hostile body and the app secret that signs it. */
	next(): { payload: Any; secret: string } {
		let payload: Any;
		do {
			if (chance(this.rand, 0.1)) {
				// A mixed batch: the entries of several mutated payloads in one POST.
				this.count('mixed batch');
				const parts = Array.from({ length: 2 + int(this.rand, 3) }, () => this.mutate(this.base()));
				payload = { object: 'whatsapp_business_account', entry: parts.flatMap((p) => (Array.isArray(p?.entry) ? p.entry : [p])) };
			} else {
				payload = this.base();
				const mutations = 1 + int(this.rand, 3);
				for (let i = 0; i < mutations; i++)
					payload = typeof payload === 'object' && payload !== null ? this.mutate(payload) : payload;
			}
			if (depthOf(payload) <= MAX_DEPTH && hasMediaWithoutId(payload)) this.count('media message without a usable id');
		} while (depthOf(payload) > MAX_DEPTH);
		return { payload, secret: chance(this.rand, 0.85) ? NUMBER.appSecret : OTHER.appSecret };
	}
}

describe('webhook fuzz', () => {
	let app: AppUnderTest;
	let sink: StatusSink;
	const report: string[] = [];

	beforeAll(async () => {
		app = await startApp();
		await connectNumber(app);
		await connectNumber(app, OTHER);
		for (const number of [NUMBER, OTHER]) app.sim.setTemplates(number.wabaId, [ORDER_UPDATE]);
		// Inbound messages open a room whoever is online (not about routing).
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
	}, 120000);
	afterAll(async () => {
		for (const line of report) console.log(line);
		try {
			await sink?.stop();
		} finally {
			await stopChecked(app);
		}
	});

	async function sendFrom(number: SimNumber): Promise<string> {
		const res = await callApi(app, 'templateMessage', {
			body: { phoneNumbers: [CARLA], connectedWhatsAppNo: number.phoneNumberId, template: TEMPLATE },
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		return res.body.results[0].msId;
	}

	/**
	 * Each accepted webhook schedules a run of the processing job, and one run handles every stored
	 * webhook: of the runs a batch scheduled, the first is kept and the others, which would find
	 * nothing new, are dropped (10,000 empty runs would triple the suite's time). That every webhook
	 * was handled is checked by the empty inbox at the end. Answers how many runs were dropped.
	 */
	function oneProcessingRun(): number {
		const jobs = app.harness.scheduler.jobs;
		const runs = jobs.filter((j) => !j.intervalMs && j.processorId.startsWith(PROCESS_WEBHOOKS_JOB));
		for (const run of runs.slice(1)) jobs.splice(jobs.indexOf(run), 1);
		return Math.max(0, runs.length - 1);
	}

	const inbox = () => app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id.startsWith('webhook-inbox')));

	it(
		`answers ${COUNT.toLocaleString('en')} signed hostile bodies without a 5xx, processes them without a failed job, and still forwards a real status`,
		async () => {
			const started = Date.now();
			const ids: Ids = { ours: await sendFrom(NUMBER), theirs: await sendFrom(OTHER) };
			const generator = new Generator(prng(SEED), ids);
			const statuses = new Map<number, number>();
			let bytes = 0;
			let postMs = 0;
			let skippedRuns = 0;
			let jobMs = 0;
			for (let done = 0; done < COUNT; done += PARALLEL) {
				const batch = Array.from({ length: Math.min(PARALLEL, COUNT - done) }, () => generator.next());
				const t0 = Date.now();
				const answers = await Promise.all(batch.map(({ payload, secret }) => app.sim.deliverRaw(payload, secret)));
				answers.forEach((answer, i) => {
					statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
					if (answer.status >= 500)
						throw new Error(
							`body #${done + i} (seed ${SEED}) -> ${answer.status} ${answer.body.slice(0, 300)}: ${JSON.stringify(batch[i].payload).slice(0, 500)}`,
						);
				});
				bytes += batch.reduce((sum, b) => sum + (JSON.stringify(b.payload)?.length ?? 0), 0);
				// The processing job runs as the webhooks scheduled it; a failed run is recorded by the scheduler.
				const t1 = Date.now();
				postMs += t1 - t0;
				skippedRuns += oneProcessingRun();
				await app.harness.scheduler.runDue();
				jobMs += Date.now() - t1;
				if (app.harness.scheduler.failures.length)
					throw new Error(
						`the processing job failed after bodies up to #${done + batch.length - 1} (seed ${SEED}):\n${app.harness.appErrors().join('\n').slice(0, 2000)}`,
					);
			}
			await app.harness.settled();
			const fuzzMs = Date.now() - started;

			// Every stored webhook was handled (none left for a retry) but the statuses of messages the app
			// does not know (the fuzz's unknown and foreign wamids): those are kept for "Keep statuses of
			// unknown messages" (15 minutes), in case their message is being sent, then dropped. No job
			// failed, the app logged no error.
			const unknownOnly = (r: { data: unknown }) => (r.data as { unknownStatuses?: boolean }).unknownStatuses === true;
			expect(inbox().filter((r) => r.associations.some((a) => a.id === 'webhook-inbox') && !unknownOnly(r))).toEqual([]);
			// Each kept webhook is its head and its events: none of either without the other.
			const heads = inbox().filter((r) => r.associations.some((a) => a.id === 'webhook-inbox'));
			expect(inbox()).toHaveLength(heads.length * 2);
			const kept = inbox().length;
			// Each is dropped at its first look after its window; a look is at most a minute after the last.
			for (let i = 0; i < 4 && inbox().length; i++) await app.harness.scheduler.advance(16 * 60000);
			expect(inbox()).toEqual([]);
			expect(app.harness.scheduler.failures).toEqual([]);
			// The one error the app may log: a contact's media Meta does not have (the documented payloads'
			// media ids, and mutated ones, are unknown to the simulator), answered by Meta's error 100. The
			// recurring job processes stored webhooks too, so either job may be the one that logs it.
			const errors = app.harness.takeAppErrors();
			const unavailableMedia =
				/^\[error\] scheduler:(process-webhooks|deliver-statuses): inbound media \S+ of \d+ not posted: Graph API error 100: Unsupported get request/;
			expect(errors.filter((e) => !unavailableMedia.test(e))).toEqual([]);
			const mediaErrors = errors.length;
			// A media message without a usable id asks Meta nothing: no Graph path but a media id got the token.
			expect(app.sim.requests.filter((r) => /^\/(v\d+\.\d+\/?(\.\.?)?)?$/.test(r.path)).map((r) => r.path)).toEqual([]);
			expect([...statuses.keys()].every((s) => s < 500)).toBe(true);

			// Afterwards the pipeline still works: a real status of a message the app sent is forwarded.
			const msId = await sendFrom(NUMBER);
			expect(
				(
					await app.sim.deliverRaw(
						app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: msId, status: 'sent', recipient: CARLA }]),
						NUMBER.appSecret,
					)
				).status,
			).toBe(200);
			await app.harness.scheduler.runDue();
			expect(sink.statuses().filter((s) => s.startsWith(`${msId}:`))).toEqual([`${msId}:queued`, `${msId}:sent`]);
			// The secrets scan at the end (stopChecked) reads what this sink received too.
			expect(app.statusSinks?.()).toEqual([sink]);

			report.push(
				fuzzReport('webhook', SEED, {
					bodies: COUNT,
					'unavailable media logged': mediaErrors,
					'entries of unknown statuses kept, then dropped': kept,
					...Object.fromEntries([...statuses].sort(([a], [b]) => a - b).map(([status, n]) => [`HTTP ${status}:`, n])),
					'MB posted': (bytes / 1e6).toFixed(1),
					seconds: (fuzzMs / 1000).toFixed(1),
					'posting s': (postMs / 1000).toFixed(1),
					'processing s': (jobMs / 1000).toFixed(1),
					'empty processing runs skipped': skippedRuns,
				}),
				`webhook fuzz mutations: ${Object.entries(generator.counts)
					.sort()
					.map(([k, v]) => `${k} ${v}`)
					.join(', ')}`,
			);
			// About 6 minutes alone on 2 cores; two full test runs sharing them took 15. The deadline is
			// sized for a loaded CI machine (its 90 minutes), not for this machine's speed.
		},
		40 * 60000,
	);
});
