/**
 * Benchmark (run by hand: `npm run bench:campaign`): a 10,000-recipient campaign (templateMessage
 * `async: true`) through the engine harness, against the simulated Cloud API with 200 ms latency
 * and a 1,000/s throughput cap (the app's `send_rate_per_second` set to the cap). The scheduler runs
 * jobs in real time as Agenda does on a server (`startRunning`: due jobs start at once, one run per
 * job name at a time, jobs of different names side by side), so a run that hands its campaign over
 * to the next (core/app/campaigns.ts) overlaps it as on a server.
 * Prints the rate over the whole path (the request to Meta's last acceptance) as a ratio of the cap
 * (goal >= 0.95), the rate Meta saw from its first acceptance, the 130429 errors provoked, the time
 * from the request to the last send, the job runs it took, and the persistence calls per recipient
 * (from the request to the last job run, by method: `world.persistenceCalls`). `BENCH_RUNS` (1) campaigns; medians.
 * `BENCH_LATENCY_MS` sets the harness's persistence latency (0 by default; 1 models MongoDB); `BENCH_TRACE=1`
 * prints Meta's acceptances per 100 ms from the request. The simulated
 * Cloud API runs in a thread of its own (threadSim.ts; `BENCH_META=host`: in this process).
 */
import { performance } from 'perf_hooks';

import { ADMIN_AUTH, callApi, connectNumber, NUMBER, startApp } from '../harness/appUnderTest';
import { MetaSide, metaSide } from './threadSim';
import { schemeOf, Transport, transportLabel, transports, useTransport } from './transport';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const CAP = Number(process.env.BENCH_CAP ?? 1000);
const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 10000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The persistence calls made since `before`, by method. */
function callsSince(before: Record<string, number>, now: Record<string, number>): Record<string, number> {
	const calls: Record<string, number> = {};
	for (const [method, count] of Object.entries(now)) if (count - (before[method] ?? 0)) calls[method] = count - (before[method] ?? 0);
	return calls;
}

async function main(): Promise<void> {
	for (const transport of transports()) await measure(transport);
	process.exit(0);
}

/** The campaign job's runs, as seconds from the first accepted send to their start and end. */
function campaignRuns(runs: Array<{ processorId: string; startedAt: number; ms: number }>, origin: number): string {
	const at = (ms: number) => ((performance.timeOrigin + ms - origin) / 1000).toFixed(2);
	return runs
		.filter((r) => r.processorId.startsWith('run-campaigns'))
		.map((r) => `${at(r.startedAt)}..${at(r.startedAt + r.ms)} s`)
		.join(', ');
}

async function measure(transport: Transport): Promise<void> {
	// 10,000 numbers are about 140 kB: Rocket.Chat 7.6 and later refuse a body over 100 kB (413,
	// before the app; README "Known limits"), 7.0–7.5 parse up to 50 MB. One request, as 7.0–7.5 take it.
	const app = await startApp({
		persistence: { latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0) },
		realClock: true,
		bodyLimit: '50mb',
		metaOverHttps: schemeOf(transport) === 'https',
	});
	const rates: number[] = [];
	/** Sends over the time from the request to Meta's last acceptance: the whole path an integrator sees. */
	const wholeRates: number[] = [];
	const times: number[] = [];
	const throttled: number[] = [];
	const callsPerSend: number[] = [];
	let meta: MetaSide | undefined;
	try {
		await connectNumber(app);
		meta = await metaSide(app, { latencyMs: 200, cap: CAP, https: schemeOf(transport) === 'https' });
		await app.harness.setSetting('send_rate_per_second', CAP);
		await useTransport(app, transport);
		for (let run = 0; run < RUNS; run++) {
			await meta.reset();
			const phoneNumbers = Array.from({ length: RECIPIENTS }, (_, i) => `1555${String(run * RECIPIENTS + i).padStart(7, '0')}`);
			const callsBefore = { ...app.harness.world.persistenceCalls };
			const runsBefore = app.harness.scheduler.runs.length;
			// The jobs run as Agenda runs them on a server: a job scheduled for now is processed as it is
			// saved (Agenda's saveJob: "job would have ran by nextScanAt, processing the job immediately"),
			// so the campaign's first run may start before the 202 is out.
			app.harness.scheduler.startRunning();
			const started = Date.now();
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers,
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello_world', language: { code: 'en_US' } },
					async: true,
				},
				headers: ADMIN_AUTH,
			});
			if (res.status !== 202) throw new Error(`campaign refused: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
			const answered = Date.now() - started;
			// The bench waits until Meta accepted every send (or 120 s passed).
			let stats = await meta.stats();
			while (stats.acceptedAt.length < RECIPIENTS && Date.now() - started < 120000) {
				await new Promise((resolve) => setTimeout(resolve, 100));
				stats = await meta.stats();
			}
			await app.harness.scheduler.stopRunning();
			const jobs = app.harness.scheduler.runs.length - runsBefore;
			const accepted = stats.acceptedAt;
			if (accepted.length !== RECIPIENTS) {
				// What the app says of the campaign, and what it logged: the recipients not accepted are failed, pending or lost.
				const counts = await callApi(app, `campaign?id=${(res.body as { campaignId?: string }).campaignId}`, {
					method: 'GET',
					headers: ADMIN_AUTH,
				});
				throw new Error(
					`only ${accepted.length} of ${RECIPIENTS} sent; Meta: ${JSON.stringify({ ...stats, acceptedAt: undefined })}; campaign: ${JSON.stringify(counts.body)}; ` +
						`app errors: ${app.harness.appErrors().slice(0, 5).join(' | ')}`,
				);
			}
			const elapsed = accepted[accepted.length - 1] - started;
			if (stats.violations) throw new Error(`${stats.violations} request(s) Meta's spec refused`);
			const rate = ((accepted.length - 1) / (accepted[accepted.length - 1] - accepted[0])) * 1000;
			// Where Meta saw no send for a while: between two job runs, say.
			const gaps = accepted
				.slice(1)
				.map((at, i) => ({ at: at - accepted[0], ms: at - accepted[i] }))
				.sort((a, b) => b.ms - a.ms)
				.slice(0, 3);
			if (process.env.BENCH_TRACE) {
				// Accepted sends per 100 ms from the request: where the time goes.
				const slots: number[] = [];
				for (const at of accepted) slots[Math.floor((at - started) / 100)] = (slots[Math.floor((at - started) / 100)] ?? 0) + 1;
				console.log(`per 100 ms from the request: ${Array.from(slots, (n) => n ?? 0).join(' ')}`);
			}
			rates.push(rate);
			wholeRates.push((accepted.length / elapsed) * 1000);
			times.push(elapsed);
			throttled.push(stats.throttled);
			const calls = callsSince(callsBefore, app.harness.world.persistenceCalls);
			const total = Object.values(calls).reduce((a, b) => a + b, 0);
			callsPerSend.push(total / RECIPIENTS);
			console.log(
				`run ${run + 1}: 202 in ${answered} ms; ${stats.throttled} × 130429; ${jobs} job runs (campaign and status jobs); last send ${elapsed} ms after the request; ${rate.toFixed(1)} msg/s; ` +
					`longest pauses between accepted sends ${gaps.map((g) => `${g.ms} ms at +${(g.at / 1000).toFixed(1)} s`).join(', ')}; ` +
					`campaign job runs ${campaignRuns(app.harness.scheduler.runs.slice(runsBefore), accepted[0])}; ` +
					`${(total / RECIPIENTS).toFixed(2)} persistence calls per recipient ${JSON.stringify(calls)}`,
			);
		}
		const rate = median(rates);
		const whole = median(wholeRates);
		console.log(
			`campaign of ${RECIPIENTS.toLocaleString('en')} at a ${CAP}/s cap (request bodies up to 50 MB, as Rocket.Chat 7.0-7.5: 7.6 and later refuse such a request, 413), sends ${transportLabel(transport)}: ` +
				`end to end (request to Meta's last acceptance) ${whole.toFixed(1)} msg/s = ${(whole / CAP).toFixed(3)} of the cap (goal >= 0.95); ` +
				`Meta's first to last acceptance ${rate.toFixed(1)} msg/s = ${(rate / CAP).toFixed(3)}; 130429 provoked: ${median(throttled)}; request to last send ${median(times)} ms; ${median(callsPerSend).toFixed(2)} persistence calls per recipient (median of ${RUNS})`,
		);
	} finally {
		await meta?.stop();
		await app.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
