/**
 * Benchmark (run by hand: `npm run bench:campaign`): a 10,000-recipient campaign (templateMessage
 * `async: true`) through the engine harness, against the simulated Cloud API with 200 ms latency
 * and a 1,000/s throughput cap (the app's `send_rate_per_second` set to the cap). The scheduler's
 * due jobs are run as Agenda would run them (each run reschedules the next while work remains).
 * Prints the rate Meta saw as a ratio of the cap (goal >= 0.95), the 130429 errors provoked, the
 * time from the 202 to the last send, the job runs it took, and the persistence calls per recipient
 * (from the request to the last job run, by method: `world.persistenceCalls`). `BENCH_RUNS` (1) campaigns; medians.
 * `BENCH_LATENCY_MS` sets the harness's persistence latency (0 by default; 1 models MongoDB).
 */
import { ADMIN_AUTH, callApi, connectNumber, NUMBER, startApp } from '../harness/appUnderTest';

const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const CAP = 1000;
const RECIPIENTS = 10000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The persistence calls made since `before`, by method. */
function callsSince(before: Record<string, number>, now: Record<string, number>): Record<string, number> {
	const calls: Record<string, number> = {};
	for (const [method, count] of Object.entries(now)) if (count - (before[method] ?? 0)) calls[method] = count - (before[method] ?? 0);
	return calls;
}

async function main(): Promise<void> {
	const app = await startApp({ persistence: { latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0) } });
	const rates: number[] = [];
	const times: number[] = [];
	const throttled: number[] = [];
	const callsPerSend: number[] = [];
	try {
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId); // hello_world, Meta's documented templates
		app.sim.setLatency(200);
		app.sim.setThroughputCap(NUMBER.phoneNumberId, CAP);
		await app.harness.setSetting('send_rate_per_second', CAP);
		for (let run = 0; run < RUNS; run++) {
			app.sim.throttled = 0;
			app.sim.sentMessages.length = 0;
			app.sim.requests.length = 0;
			const phoneNumbers = Array.from({ length: RECIPIENTS }, (_, i) => `1555${String(run * RECIPIENTS + i).padStart(7, '0')}`);
			const callsBefore = { ...app.harness.world.persistenceCalls };
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
			// A run asks for the next one at the app's `new Date()`, later than the moment runDue started: run again until done.
			let jobs = 0;
			const sent = () => app.sim.requests.filter((r) => r.path.endsWith('/messages') && r.status === 200).length;
			for (let rounds = 0; rounds < 100 && sent() < RECIPIENTS; rounds++) jobs += await app.harness.scheduler.runDue();
			const elapsed = Date.now() - started;
			const accepted = app.sim.requests.filter((r) => r.path.endsWith('/messages') && r.status === 200);
			if (accepted.length !== RECIPIENTS) throw new Error(`only ${accepted.length} of ${RECIPIENTS} sent`);
			const rate = ((accepted.length - 1) / (accepted[accepted.length - 1].at! - accepted[0].at!)) * 1000;
			rates.push(rate);
			times.push(elapsed);
			throttled.push(app.sim.throttled);
			const calls = callsSince(callsBefore, app.harness.world.persistenceCalls);
			const total = Object.values(calls).reduce((a, b) => a + b, 0);
			callsPerSend.push(total / RECIPIENTS);
			console.log(
				`run ${run + 1}: 202 in ${answered} ms; ${jobs} job runs (campaign and status jobs); done in ${elapsed} ms; ${rate.toFixed(1)} msg/s; ` +
					`${(total / RECIPIENTS).toFixed(2)} persistence calls per recipient ${JSON.stringify(calls)}`,
			);
		}
		const rate = median(rates);
		console.log(
			`campaign of ${RECIPIENTS.toLocaleString('en')} at a ${CAP}/s cap: ${rate.toFixed(1)} msg/s = ${(rate / CAP).toFixed(3)} of the cap (goal >= 0.95); 130429 provoked: ${median(throttled)}; 202 to last send ${median(times)} ms; ${median(callsPerSend).toFixed(2)} persistence calls per recipient (median of ${RUNS})`,
		);
	} finally {
		await app.stop();
	}
	process.exit(0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
