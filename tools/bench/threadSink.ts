/**
 * The Message Status Endpoint URL's receiver for benchmarks, in a thread of its own: the integrator's
 * server is not the host's cost, and in this process (the host: the engine, its bridges) it would
 * take the host's thread for every POST. It answers 200 to each POST and reports what it received
 * (msId and MessageStatus) to this thread in batches; `deliveries` holds them, as `StatusSink`'s does.
 */
import { Worker } from 'worker_threads';

import { LoopbackTls } from '../http/tls';

const RECEIVER = `
const http = require('http');
const https = require('https');
const { parentPort, workerData } = require('worker_threads');
const latencyMs = workerData.latencyMs;
const tls = workerData.tls;
let batch = [];
setInterval(() => {
	if (batch.length) parentPort.postMessage(batch.splice(0));
}, 20);
const listener = (req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		let body = {};
		try {
			body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
		} catch {}
		const answer = () => {
			batch.push([body.msId, body.MessageStatus]);
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"ok":true}');
		};
		if (latencyMs > 0) setTimeout(answer, latencyMs);
		else answer();
	});
};
const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

export class ThreadStatusSink {
	readonly deliveries: Array<{ body: { msId?: string; MessageStatus?: string } }> = [];
	private worker?: Worker;

	/** `tls`: answer over https (tools/http/tls.ts), as a production receiver does; http by default. */
	constructor(
		private readonly latencyMs = 0,
		private readonly tls?: LoopbackTls,
	) {}

	async start(): Promise<string> {
		const worker = new Worker(RECEIVER, { eval: true, workerData: { latencyMs: this.latencyMs, tls: this.tls } });
		this.worker = worker;
		const port = await new Promise<number>((resolve, reject) => {
			worker.once('error', reject);
			worker.once('message', (message: { port: number }) => resolve(message.port));
		});
		worker.on('message', (received: Array<[string | undefined, string | undefined]>) => {
			if (Array.isArray(received))
				for (const [msId, MessageStatus] of received) this.deliveries.push({ body: { msId, MessageStatus } });
		});
		return `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}/status`;
	}

	async stop(): Promise<void> {
		await this.worker?.terminate();
	}
}
