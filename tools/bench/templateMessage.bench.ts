/**
 * Benchmark (run by hand: `npm run bench:templateMessage`): templateMessage end to end through the
 * engine harness over HTTP (request in, answer out, the records included), against the simulated
 * Cloud API with 200 ms latency and a throughput cap on the number.
 *
 * 1. Four concurrent requests of 250 recipients to one number, cap 80/s (the app's send rate set
 *    to the cap): the aggregate rate end to end (accepted sends over the span from the first
 *    request to the last answer) and as Meta saw it (first to last accepted send), as ratios of the
 *    cap (goal >= 0.95), the 130429 errors provoked (goal 0), the slowest answer (goal: under the
 *    engine's 30 s call timeout) and the requests refused (400, admission).
 * 2. One request of 250 recipients at a 1,000/s cap: the same figures.
 * 3. One request of 240 recipients at the 80/s cap, the host's thread held for 400 ms a second after
 *    the request (a busy moment of the server: the sends started meanwhile reach Meta together):
 *    the 130429 errors the bunch provokes (goal 0), and the same figures.
 *
 * The simulated Cloud API runs in a thread of its own (threadSim.ts; BENCH_META=host: in this process).
 * Medians of BENCH_RUNS runs (3) in one process (machines here are shared and noisy).
 * BENCH_PERSISTENCE_MS (0) is the latency of every persistence call (1 ms models MongoDB behind a server).
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp } from '../harness/appUnderTest';
import { MetaSide, metaSide } from './threadSim';
import { schemeOf, Transport, transportLabel, transports, useTransport } from './transport';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PERSISTENCE_MS = Number(process.env.BENCH_PERSISTENCE_MS ?? 0);
const ENGINE_TIMEOUT_MS = 30000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Run {
	endToEnd: number;
	metaRate: number;
	throttled: number;
	slowestMs: number;
	refused: number;
	/** Recipients of admitted requests not sent (a 130429 pause that ran past their deadline, say). */
	failed: number;
}

/** The host's thread held for `busyMs` (none: 0), a second after the requests. */
async function oneRun(app: AppUnderTest, meta: MetaSide, requests: number, recipients: number, run: number, busyMs: number): Promise<Run> {
	await meta.reset();
	const bodies = Array.from({ length: requests }, (_, r) => ({
		phoneNumbers: Array.from({ length: recipients }, (_, i) => `1555${String(1000000 + run * 10000 + r * 1000 + i)}`),
		connectedWhatsAppNo: NUMBER.phoneNumberId,
		template: { name: 'hello_world', language: { code: 'en_US' } },
	}));
	const started = Date.now();
	const busy = setTimeout(() => {
		const until = Date.now() + busyMs;
		while (Date.now() < until); // the server's thread is busy
	}, 1000);
	if (!busyMs) clearTimeout(busy);
	const answers = await Promise.all(
		bodies.map(async (body) => {
			const res = await callApi(app, 'templateMessage', { body, headers: ADMIN_AUTH });
			return { res, ms: Date.now() - started };
		}),
	);
	const ended = Date.now();
	clearTimeout(busy);
	let refused = 0;
	let sent = 0;
	for (const { res } of answers) {
		if (res.status === 400) refused++;
		else if (res.status !== 200) throw new Error(`answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
		else sent += res.body.results.filter((r: { msId?: string }) => r.msId).length;
	}
	const failed = (requests - refused) * recipients - sent;
	const { acceptedAt, throttled, violations } = await meta.stats();
	if (violations) throw new Error(`${violations} request(s) Meta's spec refused`);
	const metaSpan = acceptedAt[acceptedAt.length - 1] - acceptedAt[0];
	return {
		endToEnd: (sent / (ended - started)) * 1000,
		metaRate: ((acceptedAt.length - 1) / metaSpan) * 1000,
		throttled,
		slowestMs: Math.max(...answers.map((a) => a.ms)),
		refused,
		failed,
	};
}

async function measure(cap: number, requests: number, recipients: number, transport: Transport, busyMs = 0): Promise<void> {
	const app = await startApp({
		persistence: { latencyMs: PERSISTENCE_MS },
		realClock: true,
		metaOverHttps: schemeOf(transport) === 'https',
	});
	let meta: MetaSide | undefined;
	try {
		await connectNumber(app);
		meta = await metaSide(app, { latencyMs: 200, cap, https: schemeOf(transport) === 'https' });
		await app.harness.setSetting('send_rate_per_second', cap);
		await useTransport(app, transport);
		const runs: Run[] = [];
		for (let run = 0; run < RUNS; run++) runs.push(await oneRun(app, meta, requests, recipients, run, busyMs));
		const m = (key: keyof Run) => median(runs.map((r) => r[key]));
		console.log(
			[
				`${requests} x ${recipients} at cap ${cap}/s${busyMs ? `, the host busy ${busyMs} ms once` : ''} (persistence ${PERSISTENCE_MS} ms, sends ${transportLabel(transport)}):`,
				`end to end ${m('endToEnd').toFixed(1)} msg/s = ${(m('endToEnd') / cap).toFixed(3)} of the cap;`,
				`Meta saw ${m('metaRate').toFixed(1)} msg/s = ${(m('metaRate') / cap).toFixed(3)};`,
				`130429 provoked: ${m('throttled')} (runs in order: ${runs.map((r) => r.throttled).join(', ')});`,
				`slowest answer ${m('slowestMs')} ms (max ${Math.max(...runs.map((r) => r.slowestMs))}, engine timeout ${ENGINE_TIMEOUT_MS});`,
				`refused ${m('refused')}; recipients not sent ${m('failed')} (max ${Math.max(...runs.map((r) => r.failed))}) (median of ${RUNS})`,
			].join(' '),
		);
	} finally {
		await meta?.stop();
		await app.stop();
	}
}

async function main(): Promise<void> {
	for (const transport of transports()) {
		await measure(80, 4, 250, transport);
		await measure(1000, 1, 250, transport);
		await measure(80, 1, 240, transport, 400);
	}
	process.exit(0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
