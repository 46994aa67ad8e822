/**
 * Meta's side of the webhooks in a benchmark, in a thread of its own: Meta's client is not in the
 * server's process, so its requests and the reading of the acknowledgements are not the host's cost,
 * and the acknowledgement times are taken as Meta sees them, without the host's thread in between
 * on the client's side. The thread is started, and the bodies copied to it, before the measure
 * (`startPoster`): that copy (megabytes) takes the host's thread, as Meta's set-up would not. Once
 * told to go, it posts body `i` `i * everyMs` after that; each acknowledgement (its time from the
 * request's start, its status, when it came) is reported back.
 */
import { Worker } from 'worker_threads';

const POSTER = `
const http = require('http');
const { parentPort, workerData } = require('worker_threads');
const { url, bodies, everyMs } = workerData;
const post = (body) =>
	new Promise((resolve, reject) => {
		const req = http.request(url, {
			method: 'POST',
			headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body.raw), 'X-Hub-Signature-256': body.signature },
		}, (res) => {
			res.on('data', () => undefined);
			res.on('end', () => resolve(res.statusCode));
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body.raw);
	});
parentPort.once('message', () => {
	const start = performance.now();
	bodies.forEach((body, i) => setTimeout(async () => {
		const p0 = performance.now();
		try {
			const status = await post(body);
			const at = performance.now();
			parentPort.postMessage({ i, ms: at - p0, status, at });
		} catch (error) {
			parentPort.postMessage({ i, error: String(error) });
		}
	}, Math.max(0, start + i * everyMs - performance.now())));
});
parentPort.postMessage({ ready: true });
`;

export interface Ack {
	/** The body's index. */
	i: number;
	/** Milliseconds from the request's start to the end of the answer. */
	ms: number;
	status: number;
	/** When it came, on the poster's clock (for order only). */
	at: number;
}

/** A poster started and holding its bodies: `go` posts them and resolves with each acknowledgement, by index. */
export interface Poster {
	go(): Promise<Ack[]>;
}

/** Starts the poster thread with the signed bodies for `url`, one to be posted every `everyMs`; resolves once it holds them. */
export async function startPoster(url: string, bodies: Array<{ raw: string; signature: string }>, everyMs: number): Promise<Poster> {
	const worker = new Worker(POSTER, { eval: true, workerData: { url, bodies, everyMs } });
	const acks: Ack[] = [];
	let settle: { resolve: (acks: Ack[]) => void; reject: (error: Error) => void } | undefined;
	let early: Error | undefined;
	const failed = (error: Error) => (settle ? settle.reject(error) : (early ??= error));
	await new Promise<void>((resolve, reject) => {
		worker.once('error', reject);
		worker.once('exit', (code) => reject(new Error(`webhook poster exited (${code}) before it started`)));
		worker.once('message', () => resolve());
	});
	worker.removeAllListeners();
	worker.on('error', failed);
	// A thread that ended with acknowledgements missing (a crash) fails the run rather than hang it.
	worker.on('exit', (code) =>
		failed(new Error(`webhook poster exited (${code}) with ${acks.filter(Boolean).length} of ${bodies.length} acknowledgements`)),
	);
	worker.on('message', (message: Ack & { error?: string }) => {
		if (message.error) failed(new Error(`webhook ${message.i}: ${message.error}`));
		else if (message.status !== 200) failed(new Error(`webhook answered ${message.status}`));
		acks[message.i] = message;
		if (acks.filter(Boolean).length === bodies.length) settle?.resolve(acks);
	});
	return {
		go: () => {
			if (early) return Promise.reject(early);
			const done = new Promise<Ack[]>((resolve, reject) => (settle = { resolve, reject }));
			worker.postMessage('go');
			return done.finally(() => worker.terminate());
		},
	};
}
