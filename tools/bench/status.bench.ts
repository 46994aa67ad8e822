/**
 * Benchmark (by hand: `npm run bench:status`) of the status pipeline. Prints:
 *  - end to end in the engine, at 0 ms and at 1 ms persistence latency (MongoDB behind the engine):
 *    templates sent through templateMessage (the app records them), then BENCH_STATUSES (100,000)
 *    statuses for those messages (sent, delivered, read) in signed webhook batches of 1,000 posted to
 *    the webhook endpoint while the scheduler runs jobs in real time as Agenda does, each forwarded to a
 *    local receiver (ThreadStatusSink, in a thread of its own; BENCH_SINK=host: StatusSink, in this
 *    process), the webhooks posted from a thread of their own as Meta's client (BENCH_CLIENT=host: from
 *    this process): statuses/s sustained, the exactly-once check, the longest job run
 *    and any engine timeout, the webhook acknowledgement p99 under that load, and persistence calls per
 *    status;
 *  - the core alone on a 1,000-status batch, and the same batch through the npm library whatsapp-api-js.
 */
import { readdirSync, readFileSync } from 'fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'perf_hooks';

import { buildStatusPayload } from '../../src/core/status/payload';
import { decide, fromMetaStatus, Status } from '../../src/core/status/ordering';
import { walkWebhook } from '../../src/core/status/webhook';
import { serializeLikeMeta } from '../../src/core/webhook/metaJson';
import { signPayload } from '../../src/core/webhook/signature';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, trustedTls } from '../harness/appUnderTest';
import { StatusSink } from '../harness/statusSink';
import { quantile } from './stats';
import { startPoster } from './threadPoster';
import { ThreadStatusSink } from './threadSink';
import { schemeOf, Transport, transportLabel, transports, useTransport } from './transport';
import { CloudApiSimulator } from '../sim/CloudApiSimulator';
import { request } from '../http/client';

function batch(
	app: { sim: { statusPayload: (id: string, s: Array<{ wamid: string; status: string; recipient: string }>) => unknown } },
	wamids: string[],
	status: string,
) {
	return app.sim.statusPayload(
		NUMBER.phoneNumberId,
		wamids.map((wamid, i) => ({ wamid, status, recipient: `55119${String(i).padStart(8, '0')}` })),
	);
}

const STATUSES = Number(process.env.BENCH_STATUSES ?? 100000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
/** Webhook batches are posted every this many ms (Meta's arrival rate: 1,000 statuses per batch). */
const POST_EVERY_MS = Number(process.env.BENCH_POST_EVERY_MS ?? 200);
const LATENCIES = (process.env.BENCH_LATENCIES ?? '0,1').split(',').map(Number);
/** Give up when nothing new reached the receiver for this long. */
const STALL_MS = 120000;
const KINDS = ['sent', 'delivered', 'read'] as const;
/**
 * The order of each chunk's three bodies: `steps` (sent, delivered, read) or `reversed` (read first):
 * Meta promises no order between webhooks, and the app holds a status for its earlier step.
 */
const ORDER = process.env.BENCH_ORDER === 'reversed' ? 'reversed' : 'steps';

const median = (xs: number[]) => quantile(xs, 0.5);
/** How long the receiver takes to answer each POST (the integrator's server across a network). */
const SINK_LATENCY_MS = Number(process.env.BENCH_SINK_LATENCY_MS ?? 0);
/** Where Meta's client runs: a thread of its own (as Meta is not in the server's process), or `host`, this process's thread. */
const CLIENT = process.env.BENCH_CLIENT === 'host' ? 'host' : 'thread';
/** The status_delivery_concurrency setting (POSTs to the status URL at once); unset: the app's default. */
const DELIVERY_CONCURRENCY = process.env.BENCH_DELIVERY_CONCURRENCY ? Number(process.env.BENCH_DELIVERY_CONCURRENCY) : undefined;

/** CPU seconds (user + system) used so far by this process's Deno children (the app's runtime). */
function runtimeCpuSeconds(): number {
	let ticks = 0;
	for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			// After the name: state, ppid, ... utime is field 14 and stime 15 of the whole line (11 and 12 here).
			if (Number(fields[1]) === process.pid && stat.includes('(deno)')) ticks += Number(fields[11]) + Number(fields[12]);
		} catch {
			// The process ended meanwhile.
		}
	}
	return ticks / 100;
}
const until = async (done: () => boolean, stalled: () => boolean): Promise<boolean> => {
	while (!done()) {
		if (stalled()) return false;
		await new Promise((r) => setTimeout(r, 20));
	}
	return true;
};

/** Sends `count` templates through templateMessage, 250 recipients a request, 4 requests at once; answers their wamids. */
async function sendTemplates(app: AppUnderTest, count: number): Promise<string[]> {
	const wamids: string[] = [];
	const requests = Array.from({ length: Math.ceil(count / 250) }, (_, k) =>
		Array.from({ length: Math.min(250, count - k * 250) }, (_, i) => `55119${String(k * 250 + i).padStart(8, '0')}`),
	);
	let next = 0;
	const worker = async () => {
		while (next < requests.length) {
			const phoneNumbers = requests[next++];
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers,
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello_world', language: { code: 'en_US' } },
				},
				headers: ADMIN_AUTH,
			});
			if (res.status !== 200) throw new Error(`templateMessage answered ${res.status}: ${JSON.stringify(res.body)}`);
			// A recipient Meta refused (the pace under a loaded machine) has no msId: no statuses for it.
			wamids.push(...res.body.results.map((r: { msId?: string }) => r.msId).filter((msId: string | undefined) => msId));
		}
	};
	await Promise.all([worker(), worker(), worker(), worker()]);
	return wamids;
}

interface EndToEnd {
	rate: number;
	payloads: number;
	distinct: number;
	duplicates: number;
	missing: number;
	longestRunMs: number;
	timeouts: number;
	ackP99: number;
	ackMedian: number;
	callsPerStatus: number;
}

/** One end-to-end run at a persistence latency, status callbacks through the bridge or direct. */
async function endToEnd(latencyMs: number, transport: Transport): Promise<EndToEnd> {
	// A webhook of 1,000 statuses is about 140 kB: Rocket.Chat 7.6 and later refuse a body over 100 kB
	// (413, before the app; README "Known limits"), 7.0–7.5 parse up to 50 MB. The bench's batches
	// are as 7.0–7.5 take them.
	const https = schemeOf(transport) === 'https';
	const app = await startApp({ persistenceLatencyMs: latencyMs, realClock: true, bodyLimit: '50mb', metaOverHttps: https });
	// The receiver in this process (BENCH_SINK=host) speaks http only.
	const sink =
		process.env.BENCH_SINK === 'host'
			? new StatusSink()
			: new ThreadStatusSink(SINK_LATENCY_MS, https ? await trustedTls() : undefined);
	try {
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId); // hello_world, Meta's documented templates
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		await app.harness.setSetting('send_rate_per_second', 5000);
		if (DELIVERY_CONCURRENCY) await app.harness.setSetting('status_delivery_concurrency', DELIVERY_CONCURRENCY);
		await useTransport(app, transport);
		app.harness.scheduler.startRunning();
		const messages = Math.ceil(STATUSES / KINDS.length);
		const t0 = performance.now();
		const wamids = await sendTemplates(app, messages);
		// Their `queued` events reach the receiver first; the measure starts after.
		await until(
			() => sink.deliveries.length >= messages,
			() => performance.now() - t0 > 20 * 60000,
		);
		console.log(
			`  set-up: ${messages.toLocaleString('en')} templates sent (${wamids.length.toLocaleString('en')} accepted) and their first events forwarded in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
		);
		// Building and signing the bodies takes this process (the host) for seconds: the scheduler pauses
		// meanwhile (the runs under way end first), or a run waiting on the host would time out in the
		// engine for the bench's sake.
		await app.harness.scheduler.stopRunning();
		const bodies: Array<{ raw: string; signature: string; kind: (typeof KINDS)[number] }> = [];
		for (let start = 0; start < messages; start += 1000)
			for (const kind of ORDER === 'reversed' ? [...KINDS].reverse() : KINDS) {
				const chunk = wamids.slice(start, start + 1000).slice(0, STATUSES - bodies.length * 1000);
				if (!chunk.length) continue;
				const raw = serializeLikeMeta(batch(app, chunk, kind));
				bodies.push({ raw, signature: signPayload(raw, NUMBER.appSecret), kind });
			}
		const expected = new Set<string>();
		for (const { raw } of bodies)
			for (const s of JSON.parse(raw).entry[0].changes[0].value.statuses as Array<{ id: string; status: string }>)
				expected.add(`${s.id}:${s.status}`);
		sink.deliveries.length = 0;
		app.harness.scheduler.runs.length = 0;
		const failuresBefore = app.harness.scheduler.failures.length;
		const callsBefore = Object.values(app.harness.world.persistenceCalls).reduce((a, b) => a + b, 0);
		// Meta's side holds its bodies before the measure (copying them to its thread takes this one).
		const poster = CLIENT === 'thread' ? await startPoster(app.http.endpointUrl('webhook'), bodies, POST_EVERY_MS) : undefined;
		app.harness.scheduler.startRunning();

		const eluBefore = performance.eventLoopUtilization();
		const runtimeCpuBefore = runtimeCpuSeconds();
		const acks: number[] = [];
		// How late the host's thread (the engine, its bridges, and with BENCH_CLIENT=host this bench's client) ran its callbacks while webhooks came in.
		const loopDelay = monitorEventLoopDelay({ resolution: 10 });
		loopDelay.enable();
		// The host's garbage collections meanwhile (the harness keeps the app's records in this heap).
		const gcPauses: number[] = [];
		const gcObserver = new PerformanceObserver((list) => void gcPauses.push(...list.getEntries().map((e) => e.duration)));
		gcObserver.observe({ entryTypes: ['gc'] });
		// The measure starts as the first webhook goes out, the baselines above taken.
		const start = performance.now();
		/** When each body's acknowledgement came (it comes once the app stored the webhook). */
		const ackedAt: number[] = [];
		if (CLIENT === 'host') {
			const posts = bodies.map(
				(body, i) =>
					new Promise<void>((resolve, reject) =>
						setTimeout(async () => {
							const p0 = performance.now();
							const res = await request(app.http.endpointUrl('webhook'), {
								raw: body.raw,
								headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': body.signature },
							});
							acks.push(performance.now() - p0);
							ackedAt[i] = performance.now();
							if (res.status === 200) resolve();
							else reject(new Error(`webhook answered ${res.status}`));
						}, i * POST_EVERY_MS),
					),
			);
			await Promise.all(posts);
		} else if (poster) {
			for (const ack of await poster.go()) {
				acks.push(ack.ms);
				ackedAt[ack.i] = ack.at;
			}
		}
		loopDelay.disable();
		gcObserver.disconnect();
		let last = sink.deliveries.length;
		let lastChange = performance.now();
		const complete = await until(
			() => sink.deliveries.length >= expected.size,
			() => {
				if (sink.deliveries.length !== last) [last, lastChange] = [sink.deliveries.length, performance.now()];
				return performance.now() - lastChange > STALL_MS;
			},
		);
		// A stalled run is measured to its last delivery, not to the end of the wait.
		const elapsed = ((complete ? performance.now() : lastChange) - start) / 1000;
		const elu = performance.eventLoopUtilization(eluBefore).utilization;
		// Over the same span as the thread's busy share: to now (a stalled run's wait included).
		const runtimeCpu = (runtimeCpuSeconds() - runtimeCpuBefore) / ((performance.now() - start) / 1000);
		// Late repeats would show within the jobs still running: they end first.
		await app.harness.scheduler.stopRunning();
		const calls = Object.values(app.harness.world.persistenceCalls).reduce((a, b) => a + b, 0) - callsBefore;
		const received = sink.deliveries.map((d) => `${String(d.body.msId)}:${String(d.body.MessageStatus)}`);
		const distinct = new Set(received);
		const timeouts = app.harness.scheduler.failures
			.slice(failuresBefore)
			.filter((f) => /timed out/.test(String((f.error as Error)?.message ?? f.error)));
		if (!complete) console.log(`  stalled: nothing new for ${STALL_MS / 1000} s`);
		if (process.env.BENCH_DETAIL) {
			const byJob: Record<string, { runs: number; ms: number }> = {};
			for (const r of app.harness.scheduler.runs) {
				const job = (byJob[r.processorId.split('_')[0]] ??= { runs: 0, ms: 0 });
				job.runs++;
				job.ms += r.ms;
			}
			console.log(`  job runs: ${JSON.stringify(byJob)}; persistence calls: ${JSON.stringify(app.harness.world.persistenceCalls)}`);
			const delayMs = (ns: number) => (ns / 1e6).toFixed(0);
			console.log(
				`  host thread's event-loop delay while the webhooks came in: median ${delayMs(loopDelay.percentile(50))} ms, p99 ${delayMs(loopDelay.percentile(99))} ms, max ${delayMs(loopDelay.max)} ms`,
			);
			console.log(
				`  host garbage collection meanwhile: ${gcPauses.length} pauses, ${gcPauses.reduce((a, b) => a + b, 0).toFixed(0)} ms in all, longest ${Math.max(0, ...gcPauses).toFixed(0)} ms, ${gcPauses.filter((ms) => ms >= 50).length} of 50 ms or more; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB after`,
			);
			// The host (this process: the engine and its bridges, with the simulated Meta and the receiver)
			// is one thread; the app runs in its own Deno process.
			console.log(
				`  host thread busy ${(elu * 100).toFixed(0)}% of the measure; the app's Deno runtime used ${(runtimeCpu * 100).toFixed(0)}% of a core`,
			);
			// Where the statuses not received are: records left, by kind (the association id up to its first ':').
			const left: Record<string, number> = {};
			for (const record of app.harness.world.persistence)
				for (const { id } of record.associations.slice(0, 1)) left[id.split(':')[0]] = (left[id.split(':')[0]] ?? 0) + 1;
			const missingByStatus: Record<string, number> = {};
			for (const e of expected)
				if (!distinct.has(e)) missingByStatus[e.split(':').pop()!] = (missingByStatus[e.split(':').pop()!] ?? 0) + 1;
			console.log(`  records left by kind: ${JSON.stringify(left)}; missing by status: ${JSON.stringify(missingByStatus)}`);
			// A missing status whose message got a later one (delivered after read, say) was dropped as a
			// regression: it reached the app after the later one, and after the app had waited for it.
			// Bodies of one chunk are posted 200 ms apart (in status order unless BENCH_ORDER=reversed);
			// an acknowledgement comes once the app stored the webhook, so a later status's body
			// acknowledged first reached the app first.
			const rank = (status: string) => KINDS.indexOf(status as (typeof KINDS)[number]);
			const highest = new Map<string, number>();
			for (const key of distinct) {
				const [msId, status] = [key.slice(0, key.lastIndexOf(':')), key.slice(key.lastIndexOf(':') + 1)];
				highest.set(msId, Math.max(highest.get(msId) ?? -1, rank(status)));
			}
			const missing = [...expected].filter((e) => !distinct.has(e));
			const superseded = missing.filter(
				(e) => (highest.get(e.slice(0, e.lastIndexOf(':'))) ?? -1) > rank(e.slice(e.lastIndexOf(':') + 1)),
			);
			let inverted = 0;
			for (let i = 0; i < bodies.length; i++)
				for (let j = i + 1; j < bodies.length && Math.floor(j / KINDS.length) === Math.floor(i / KINDS.length); j++) {
					const [earlier, later] = rank(bodies[i].kind) < rank(bodies[j].kind) ? [i, j] : [j, i];
					if (ackedAt[later] < ackedAt[earlier]) inverted++;
				}
			console.log(
				`  missing with a later status of their message forwarded: ${superseded.length} of ${missing.length}; bodies of one chunk acknowledged out of status order: ${inverted}`,
			);
			const longest = [...app.harness.scheduler.runs].sort((a, b) => b.ms - a.ms).slice(0, 5);
			console.log(
				`  longest runs: ${longest.map((r) => `${r.processorId.split('_')[0]} ${(r.ms / 1000).toFixed(1)} s from +${((r.startedAt - start) / 1000).toFixed(0)} s${r.failed ? ' (failed)' : ''}`).join('; ')}`,
			);
			for (const f of app.harness.scheduler.failures.slice(failuresBefore))
				console.log(
					`  job failure ${f.processorId.split('_')[0]}: ${String((f.error as Error)?.message ?? f.error).slice(0, 200)}`,
				);
		}
		return {
			rate: distinct.size / elapsed,
			payloads: received.length,
			distinct: distinct.size,
			duplicates: received.length - distinct.size,
			missing: [...expected].filter((e) => !distinct.has(e)).length,
			longestRunMs: Math.max(0, ...app.harness.scheduler.runs.map((r) => r.ms)),
			timeouts: timeouts.length,
			ackP99: quantile(acks, 0.99),
			ackMedian: median(acks),
			callsPerStatus: calls / expected.size,
		};
	} finally {
		await sink.stop();
		await app.stop();
	}
}

async function main(): Promise<void> {
	for (const transport of transports())
		for (const latencyMs of LATENCIES) {
			const runs: EndToEnd[] = [];
			for (let run = 0; run < RUNS; run++) {
				console.log(
					`end to end, ${STATUSES.toLocaleString('en')} statuses${ORDER === 'reversed' ? ' (each chunk read first)' : ''}, persistence latency ${latencyMs} ms, sends and status callbacks ${transportLabel(transport)}, run ${run + 1} of ${RUNS}:`,
				);
				const r = await endToEnd(latencyMs, transport);
				runs.push(r);
				console.log(
					`  ${Math.round(r.rate).toLocaleString('en')} statuses/s; ${r.payloads} payloads for ${r.distinct} distinct statuses (${r.duplicates} duplicates, ${r.missing} missing); longest job run ${(r.longestRunMs / 1000).toFixed(1)} s, ${r.timeouts} engine timeouts; webhook ack median ${r.ackMedian.toFixed(0)} ms, p99 ${r.ackP99.toFixed(0)} ms; ${r.callsPerStatus.toFixed(2)} persistence calls per status`,
				);
			}
			const pick = (f: (r: EndToEnd) => number) => median(runs.map(f));
			console.log(
				`end to end at ${latencyMs} ms persistence latency, ${transport}, webhooks of 1,000 statuses (bodies up to 50 MB, as Rocket.Chat 7.0-7.5: 7.6 and later refuse a webhook over 100 kB) (median of ${RUNS}): ${Math.round(pick((r) => r.rate)).toLocaleString('en')} statuses/s sustained (goal >= 3,000; below 240 fails Meta's default tier); exactly once: ${pick((r) => r.duplicates)} duplicates, ${pick((r) => r.missing)} missing; longest job run ${(pick((r) => r.longestRunMs) / 1000).toFixed(1)} s (goal <= 10 s), ${pick((r) => r.timeouts)} engine timeouts; webhook ack p99 under load ${pick((r) => r.ackP99).toFixed(0)} ms (goal <= 100 ms); ${pick((r) => r.callsPerStatus).toFixed(2)} persistence calls per status`,
			);
		}
	if (process.env.BENCH_CORE !== '0') await coreAndLibrary();
	process.exit(0);
}

/** The core alone on a 1,000-status batch, and the same batch through whatsapp-api-js. */
async function coreAndLibrary(): Promise<void> {
	const app = { sim: new CloudApiSimulator() };
	app.sim.addNumber(NUMBER);
	// 2. Core normalization + queueing rate, and whatsapp-api-js on the same batches.
	const coreBatch = batch(
		app,
		Array.from({ length: 1000 }, (_, i) => `wamid.CORE${i}`),
		'read',
	);
	const coreRaw = serializeLikeMeta(coreBatch);
	const record = {
		phoneNumberId: NUMBER.phoneNumberId,
		connectedWhatsAppNo: '15550783881',
		mobileNo: '5511',
		message: 'Hi',
		type: 'Template-Message' as const,
	};
	const coreRuns: number[] = [];
	for (let run = 0; run < 50; run++) {
		const t0 = performance.now();
		const parsed = JSON.parse(coreRaw);
		const queued: unknown[] = [];
		for (const event of walkWebhook(parsed).events) {
			if (event.kind !== 'status') continue;
			const status = fromMetaStatus(event.status)!;
			if (decide('sent', new Set<Status>(['queued', 'sent']), status) === 'forward')
				queued.push({
					id: `${event.wamid}:${status}`,
					payload: buildStatusPayload({ ...record, wamid: event.wamid }, status, {
						timestamp: event.timestamp,
						eventId: `${event.wamid}:${status}`,
					}),
				});
		}
		coreRuns.push(performance.now() - t0);
		if (queued.length !== 1000) throw new Error('core lost events');
	}
	const coreMs = quantile(coreRuns, 0.5);
	console.log(
		`core: 1,000 statuses parsed, normalized and queued in ${coreMs.toFixed(2)} ms median = ${Math.round(1000 / (coreMs / 1000)).toLocaleString('en')} events/s`,
	);

	const { WhatsAppAPI } = (await import('whatsapp-api-js')) as unknown as {
		WhatsAppAPI: new (o: Record<string, unknown>) => {
			post: (data: unknown, raw?: string, sig?: string) => Promise<unknown>;
			on: Record<string, unknown>;
		};
	};
	const wa = new WhatsAppAPI({
		token: 'x',
		appSecret: NUMBER.appSecret,
		secure: true,
		ponyfill: {
			subtle: (globalThis as unknown as { crypto: { subtle: unknown } }).crypto?.subtle ?? (await import('crypto')).webcrypto.subtle,
		},
	});
	let seen = 0;
	wa.on.status = () => void seen++;
	const libRuns: number[] = [];
	const signature = signPayload(coreRaw, NUMBER.appSecret);
	for (let run = 0; run < 50; run++) {
		const t0 = performance.now();
		await wa.post(JSON.parse(coreRaw), coreRaw, signature);
		libRuns.push(performance.now() - t0);
	}
	const libMs = quantile(libRuns, 0.5);
	console.log(
		`whatsapp-api-js: the same batch (signature check + parse + status callbacks, ${seen / 50} statuses) in ${libMs.toFixed(2)} ms median; core / library time ratio ${(coreMs / libMs).toFixed(2)}`,
	);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
