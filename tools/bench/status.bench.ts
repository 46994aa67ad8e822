/**
 * Benchmark (by hand: `npm run bench:status`) of the status pipeline. Prints, measured in one run:
 *  - webhook acknowledgement time through the engine harness over HTTP (signature check over the
 *    re-serialized body, normalizing into events, storing, scheduling) for batches of 1 and 1,000
 *    statuses: median and p99; and the events normalized and queued per second that makes;
 *  - events normalized and queued per second by the core (walk, ordering, payload, outbox item);
 *  - the same 1,000-status batches parsed by the npm library whatsapp-api-js, as a ratio;
 *  - events processed per second end to end by the processing job in the engine (persistence included);
 *  - events delivered per second to a fast local receiver by the delivery job.
 */
import { performance } from 'perf_hooks';

import { buildStatusPayload } from '../../src/core/status/payload';
import { decide, fromMetaStatus, Status } from '../../src/core/status/ordering';
import { walkWebhook } from '../../src/core/status/webhook';
import { serializeLikeMeta } from '../../src/core/webhook/metaJson';
import { signPayload } from '../../src/core/webhook/signature';
import { ADMIN_AUTH, callApi, connectNumber, NUMBER, startApp } from '../harness/appUnderTest';
import { StatusSink } from '../harness/statusSink';
import { request } from '../http/client';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

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

async function main(): Promise<void> {
	const app = await startApp();
	const sink = new StatusSink();
	try {
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId); // hello_world, Meta's documented templates
		await app.harness.setSetting('status_endpoint_url', await sink.start());
		await app.harness.setSetting('send_rate_per_second', 1000);

		// 1. Acknowledgement time of signed webhooks (no matching messages: the ack path only).
		for (const size of [1, 1000]) {
			const fake = Array.from({ length: size }, (_, i) => `wamid.BENCH${i}`);
			const raw = serializeLikeMeta(batch(app, fake, 'delivered'));
			const signature = signPayload(raw, NUMBER.appSecret);
			const times: number[] = [];
			for (let i = 0; i < 60; i++) {
				const t0 = performance.now();
				const res = await request(app.http.endpointUrl('webhook'), {
					raw,
					headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature },
				});
				times.push(performance.now() - t0);
				if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
			}
			await app.harness.scheduler.runDue();
			console.log(
				`webhook ack, ${String(size).padStart(4)} statuses: median ${quantile(times, 0.5).toFixed(1)} ms, p99 ${quantile(times, 0.99).toFixed(1)} ms (60 requests, ${(raw.length / 1024).toFixed(0)} KiB body)`,
			);
			if (size === 1000) {
				// The acknowledgement verifies, normalizes the batch into events and stores them for the job.
				console.log(
					`engine: events normalized and queued per second by the webhook endpoint: ${Math.round(size / (quantile(times, 0.5) / 1000)).toLocaleString('en')} (1,000 per median acknowledgement)`,
				);
			}
		}

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
				subtle:
					(globalThis as unknown as { crypto: { subtle: unknown } }).crypto?.subtle ?? (await import('crypto')).webcrypto.subtle,
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

		// 3. End to end in the engine: 1,000 sent messages, a batch of 1,000 statuses processed by the job.
		const wamids: string[] = [];
		for (let k = 0; k < 4; k++) {
			const phoneNumbers = Array.from({ length: 250 }, (_, i) => `55119${String(k * 250 + i).padStart(8, '0')}`);
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers,
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello_world', language: { code: 'en_US' } },
				},
				headers: ADMIN_AUTH,
			});
			wamids.push(...res.body.results.map((r: { msId: string }) => r.msId));
		}
		await app.harness.scheduler.runDue();
		sink.deliveries.length = 0;
		const raw = serializeLikeMeta(batch(app, wamids, 'delivered'));
		await request(app.http.endpointUrl('webhook'), {
			raw,
			headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signPayload(raw, NUMBER.appSecret) },
		});
		const t0 = performance.now();
		await app.harness.scheduler.runDue();
		const processMs = performance.now() - t0;
		console.log(
			`engine: the job processed 1,000 statuses and delivered ${sink.deliveries.length} events in ${processMs.toFixed(0)} ms = ${Math.round(1000 / (processMs / 1000))} events/s end to end (persistence round trips included)`,
		);

		// 4. Delivery alone: 1,000 events queued while the receiver fails, then one delivery round.
		sink.failWith = 500;
		const readRaw = serializeLikeMeta(batch(app, wamids, 'read'));
		await request(app.http.endpointUrl('webhook'), {
			raw: readRaw,
			headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signPayload(readRaw, NUMBER.appSecret) },
		});
		await app.harness.scheduler.runDue();
		sink.failWith = undefined;
		sink.deliveries.length = 0;
		const t1 = performance.now();
		await app.harness.scheduler.advance(30000);
		const deliverMs = performance.now() - t1;
		console.log(
			`engine: the delivery job delivered ${sink.deliveries.length} events to a local receiver in ${deliverMs.toFixed(0)} ms = ${Math.round(sink.deliveries.length / (deliverMs / 1000))} events/s`,
		);
	} finally {
		await sink.stop();
		await app.stop();
	}
	process.exit(0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
