/** A receiver for the Message Status Endpoint URL that records every POST and can be told to fail. */
import * as http from 'http';

export interface Delivery {
	body: Record<string, unknown>;
	raw: string;
	headers: http.IncomingHttpHeaders;
}

/** Every sink started in this process, in order (the secrets scan reads what each received). */
export const startedSinks: StatusSink[] = [];

export class StatusSink {
	readonly deliveries: Delivery[] = [];
	/** Every POST received, whatever the answer (a failing or hanging sink's too): body and headers. */
	readonly received: Array<{ raw: string; headers: http.IncomingHttpHeaders }> = [];
	/** Answer with this status (500, say) instead of 200; `hang` answers never (a timeout). */
	failWith?: number | 'hang';
	/** Answer each POST this many ms after it arrived (a receiver that takes its time). */
	delayMs = 0;
	attempts = 0;
	/** The most POSTs it held unanswered at once. */
	mostAtOnce = 0;
	private open = 0;
	private server?: http.Server;
	private readonly hanging: http.ServerResponse[] = [];
	private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
	url = '';

	async start(): Promise<string> {
		this.server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				this.attempts++;
				this.mostAtOnce = Math.max(this.mostAtOnce, ++this.open);
				this.received.push({ raw: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
				if (this.failWith === 'hang') {
					this.hanging.push(res);
					return;
				}
				if (this.failWith) {
					this.open--;
					res.writeHead(this.failWith);
					res.end('nope');
					return;
				}
				const raw = Buffer.concat(chunks).toString('utf8');
				const answer = () => {
					this.open--;
					this.deliveries.push({ raw, body: JSON.parse(raw), headers: req.headers });
					res.writeHead(200, { 'Content-Type': 'application/json' });
					res.end('{"ok":true}');
					for (const waiter of this.waiters.filter((w) => this.deliveries.length >= w.count)) {
						this.waiters.splice(this.waiters.indexOf(waiter), 1);
						waiter.resolve();
					}
				};
				if (this.delayMs > 0) setTimeout(answer, this.delayMs);
				else answer();
			});
		});
		await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
		this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/status`;
		startedSinks.push(this);
		return this.url;
	}

	/** Resolves once `count` POSTs were accepted in all. */
	waitForDeliveries(count: number): Promise<void> {
		if (this.deliveries.length >= count) return Promise.resolve();
		return new Promise((resolve) => this.waiters.push({ count, resolve }));
	}

	statuses(): string[] {
		return this.deliveries.map((d) => `${String(d.body.msId ?? '-')}:${String(d.body.MessageStatus)}`);
	}

	async stop(): Promise<void> {
		if (this.server) {
			for (const res of this.hanging) res.destroy();
			await new Promise((r) => this.server!.close(r));
		}
	}
}
