/**
 * The simulated Cloud API for the sending benchmarks, in a thread of its own. Meta is not on the
 * Rocket.Chat server's thread: in this process (the host: the engine and its bridges) the simulator
 * would see the app's paced sends only when the host's thread is free, bunched together after each
 * busy moment, and its one-second throughput window would answer 130429 to a pace the app kept.
 * (Its request validation against Meta's spec would also take the host's thread.) The thread runs the
 * same simulator (tools/sim/CloudApiSimulator.ts, validating every request against Meta's spec) with
 * the test number, Meta's documented templates, a latency and a throughput cap, and reports what it
 * accepted. The harness's own simulator (`app.sim`) still serves the number's connection; the app
 * is pointed at this one after (`graph_api_base_url`).
 */
import * as path from 'path';
import { Worker } from 'worker_threads';

import { AppUnderTest, NUMBER, trustedTls } from '../harness/appUnderTest';
import { LoopbackTls } from '../http/tls';

const SCRIPT = `
require('tsx/cjs');
const { parentPort, workerData } = require('worker_threads');
const { CloudApiSimulator } = require(workerData.simulator);
const { validateRequest } = require(workerData.spec);
const sim = new CloudApiSimulator({ validate: validateRequest, tls: workerData.tls });
sim.addNumber(workerData.number);
sim.loadTemplateFixtures(workerData.number.wabaId);
sim.setLatency(workerData.latencyMs);
sim.setThroughputCap(workerData.number.phoneNumberId, workerData.cap);
parentPort.on('message', (message) => {
	if (message === 'stats') {
		const sends = sim.requests.filter((r) => r.path.endsWith('/messages'));
		parentPort.postMessage({
			acceptedAt: sends.filter((r) => r.status === 200).map((r) => r.at),
			throttled: sim.throttled,
			violations: sim.violations.length,
		});
	} else if (message === 'reset') {
		sim.throttled = 0;
		sim.requests.length = 0;
		sim.sentMessages.length = 0;
		sim.violations.length = 0;
		parentPort.postMessage('reset');
	}
});
sim.start().then(({ baseUrl }) => parentPort.postMessage({ baseUrl }));
`;

export interface SimStats {
	/** When each accepted send arrived (ms since epoch), in order. */
	acceptedAt: number[];
	/** Sends answered 130429 (the cap). */
	throttled: number;
	/** Requests Meta's spec refused. */
	violations: number;
}

/** Meta's side of a sending bench: the simulator that answers the app's sends. */
export interface MetaSide {
	/** Forgets what it accepted and throttled so far. */
	reset(): Promise<void>;
	stats(): Promise<SimStats>;
	stop(): Promise<void>;
}

/**
 * The simulator the app sends to, with Meta's documented templates, `latencyMs` and a throughput cap
 * of `cap` on the test number: in a thread of its own, or (BENCH_META=host) the harness's own (then
 * over the scheme `startApp` gave it). `https`: the thread's answers over https, as Meta's, with a
 * certificate the harness's Rocket.Chat trusts (tools/http/tls.ts).
 */
export async function metaSide(app: AppUnderTest, options: { latencyMs: number; cap: number; https?: boolean }): Promise<MetaSide> {
	if (process.env.BENCH_META === 'host') {
		const sim = app.sim;
		sim.loadTemplateFixtures(NUMBER.wabaId);
		sim.setLatency(options.latencyMs);
		sim.setThroughputCap(NUMBER.phoneNumberId, options.cap);
		return {
			reset: async () => {
				sim.throttled = 0;
				sim.requests.length = 0;
				sim.sentMessages.length = 0;
				sim.violations.length = 0;
			},
			stats: async () => ({
				acceptedAt: sim.requests.filter((r) => r.path.endsWith('/messages') && r.status === 200).map((r) => r.at),
				throttled: sim.throttled,
				violations: sim.violations.length,
			}),
			stop: async () => undefined,
		};
	}
	const thread = new ThreadCloudApi();
	const tls = options.https ? await trustedTls() : undefined;
	await app.harness.setSetting('graph_api_base_url', await thread.start({ latencyMs: options.latencyMs, cap: options.cap, tls }));
	return thread;
}

export class ThreadCloudApi implements MetaSide {
	private worker?: Worker;

	/** Starts the thread's simulator; resolves with its base URL. */
	async start(options: { latencyMs: number; cap: number; tls?: LoopbackTls }): Promise<string> {
		const sim = path.join(__dirname, '..', 'sim');
		const worker = new Worker(SCRIPT, {
			eval: true,
			workerData: {
				simulator: path.join(sim, 'CloudApiSimulator.ts'),
				spec: path.join(sim, 'metaSpec.ts'),
				number: NUMBER,
				...options,
			},
		});
		this.worker = worker;
		const started = new Promise<string>((resolve, reject) => {
			worker.once('error', reject);
			worker.once('message', (message: { baseUrl: string }) => resolve(message.baseUrl));
		});
		// A simulator that fails later fails the bench, not silently its figures.
		worker.on('error', (error) => {
			console.error('the simulator thread failed:', error);
			process.exit(1);
		});
		return started;
	}

	stats(): Promise<SimStats> {
		return this.ask<SimStats>('stats');
	}

	async reset(): Promise<void> {
		await this.ask('reset');
	}

	async stop(): Promise<void> {
		await this.worker?.terminate();
	}

	private ask<T>(message: string): Promise<T> {
		const worker = this.worker;
		if (!worker) return Promise.reject(new Error('the simulator thread is not started'));
		const answered = new Promise<T>((resolve) => worker.once('message', (answer: T) => resolve(answer)));
		worker.postMessage(message);
		return answered;
	}
}
