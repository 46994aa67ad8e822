/**
 * Benchmark (run by hand: `npm run bench:templateMessage`): POST templateMessage with 250
 * recipients through the engine harness over HTTP, against the simulated Cloud API with 200 ms
 * latency and a throughput cap. Prints messages per second as a ratio of the cap (goal >= 0.95),
 * the 130429 errors provoked (goal 0) and the request time, at an 80/s cap and at a 1,000/s cap.
 * Medians of several runs measured in one process (machines here are shared and noisy).
 */
import { ADMIN_AUTH, callApi, connectNumber, NUMBER, startApp } from '../harness/appUnderTest';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(cap: number): Promise<void> {
	const app = await startApp();
	try {
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId); // hello_world, Meta's documented templates
		app.sim.setLatency(200);
		app.sim.setThroughputCap(NUMBER.phoneNumberId, cap);
		await app.harness.setSetting('send_rate_per_second', cap);
		const phoneNumbers = Array.from({ length: 250 }, (_, i) => `1555${String(1000000 + i)}`);
		const rates: number[] = [];
		const times: number[] = [];
		const throttled: number[] = [];
		for (let run = 0; run < RUNS; run++) {
			app.sim.throttled = 0;
			app.sim.sentMessages.length = 0;
			const started = Date.now();
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers,
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello_world', language: { code: 'en_US' } },
				},
				headers: ADMIN_AUTH,
			});
			const elapsed = Date.now() - started;
			const sent = res.body.results.filter((r: { msId?: string }) => r.msId).length;
			if (sent !== 250) throw new Error(`only ${sent} of 250 sent: ${JSON.stringify(res.body).slice(0, 500)}`);
			// The rate Meta saw: accepted sends over the span from the first to the last accepted send.
			const accepted = app.sim.requests.filter((r) => r.path.endsWith('/messages') && r.status === 200).slice(-250);
			const span = ((accepted.length - 1) / (accepted[accepted.length - 1].at! - accepted[0].at!)) * 1000;
			rates.push(span);
			times.push(elapsed);
			throttled.push(app.sim.throttled);
		}
		console.log(
			`cap ${String(cap).padStart(4)}/s: ${median(rates).toFixed(1)} msg/s = ${(median(rates) / cap).toFixed(3)} of the cap; 130429 provoked: ${median(throttled)} (max ${Math.max(...throttled)}); request time ${median(times)} ms (median of ${RUNS})`,
		);
	} finally {
		await app.stop();
	}
}

async function main(): Promise<void> {
	await measure(80);
	await measure(1000);
	process.exit(0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
