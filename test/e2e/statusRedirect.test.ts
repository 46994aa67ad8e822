/**
 * The Message Status Endpoint behind a redirect. Rocket.Chat's HTTP bridge follows redirects, as
 * the running engine's Rocket.Chat does (tools/harness/rc/http.ts `RedirectModel`): up to 8.1,
 * node-fetch turns the app's POST answered 301/302/303 into a GET without the payload and keeps it
 * on 307/308; from 8.2, server-fetch sends the POST again as it was, at most 5 times. A status counts
 * as delivered only when the final answer is 2xx; otherwise it stays in the outbox and is retried,
 * nothing lost. (When a final GET answers 2xx, neither the app nor Rocket.Chat can tell: the
 * setting's description warns the admin.)
 */
import * as http from 'http';
import { AddressInfo } from 'net';

import { redirectModelOf } from '../../tools/harness/rc/http';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

const TEMPLATE = {
	name: 'order_update',
	language: { code: 'en_US' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
};

describe('status endpoint behind a redirect', () => {
	let app: AppUnderTest;
	let server: http.Server;
	let base = '';
	const seen: Array<{ method: string; path: string; body: string; headers: http.IncomingHttpHeaders }> = [];
	const received = () =>
		seen.filter((s) => s.path === '/receiver' && s.method === 'POST').map((s) => JSON.parse(s.body) as Record<string, unknown>);

	beforeEach(async () => {
		seen.length = 0;
		server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const path = req.url ?? '/';
				seen.push({ method: req.method ?? '', path, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
				if (path === '/moved') res.writeHead(301, { Location: '/receiver' });
				else if (path === '/loop') res.writeHead(302, { Location: '/loop' });
				else if (path === '/temporary') res.writeHead(307, { Location: '/receiver' });
				else if (path === '/receiver' && req.method === 'POST') res.writeHead(200);
				else res.writeHead(405);
				res.end();
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [
			{
				id: '1',
				name: 'order_update',
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
			},
		]);
	});
	afterEach(async () => {
		try {
			await stopChecked(app);
		} finally {
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	});

	async function send(): Promise<string> {
		const res = await callApi(app, 'templateMessage', {
			body: { phoneNumbers: ['5511987654321'], connectedWhatsAppNo: NUMBER.phoneNumberId, template: TEMPLATE },
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		return res.body.results[0].msId as string;
	}

	const manual = redirectModelOf() === 'manual';

	it(
		manual
			? 'a 301 (Rocket.Chat 8.2 and later): the POST is sent again to the new URL, payload and all, and delivered once'
			: 'a 301 (Rocket.Chat up to 8.1) makes the POST a GET: answered 405, not delivered; the status is kept and delivered once the URL is fixed',
		async () => {
			await app.harness.setSetting('status_endpoint_url', `${base}/moved`);
			const msId = await send();
			expect(JSON.parse(seen[0].body)).toMatchObject({ msId, MessageStatus: 'queued' });
			if (manual) {
				expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /moved', 'POST /receiver']);
				expect(seen[1].body).toBe(seen[0].body);
				expect(received().map((b) => `${String(b.msId)}:${String(b.MessageStatus)}`)).toEqual([`${msId}:queued`]);
			} else {
				expect(seen.slice(0, 2).map((s) => `${s.method} ${s.path}`)).toEqual(['POST /moved', 'GET /receiver']);
				expect(seen[1].body).toBe('');
				expect(received()).toEqual([]);
				await app.harness.setSetting('status_endpoint_url', `${base}/receiver`);
			}
			await app.harness.scheduler.advance(3600000);
			expect(received().map((b) => `${String(b.msId)}:${String(b.MessageStatus)}`)).toEqual([`${msId}:queued`]);
		},
	);

	it('a URL that redirects to itself: Rocket.Chat gives up, /whatsapp deliveries says why, and the status is delivered once the URL is fixed', async () => {
		await app.harness.setSetting('status_retry_hours', 1);
		await app.harness.setSetting('status_endpoint_url', `${base}/loop`);
		const msId = await send();
		// Rocket.Chat's fetch gives up after 5 redirects from 8.2, after 20 before.
		expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(
			Array(manual ? 6 : 21)
				.fill('POST /loop')
				.map((r, i) => (manual || i === 0 ? r : 'GET /loop')),
		);
		await app.harness.scheduler.advance(2 * 3600000);
		expect(received()).toEqual([]);
		const room = app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
		await app.harness.command('whatsapp', ['deliveries'], { user: app.harness.admin, room });
		const notices = app.harness.world.notificationsFor(app.harness.admin.id).map((n) => String(n.text));
		expect(notices[notices.length - 1].split('\n')[1]).toMatch(
			/^• `wamid\.[^`]+:queued` queued to 5511987654321: \d+ attempts, last error: the URL redirected and Rocket\.Chat could not follow \(too many redirects, or a missing or invalid Location\)\. Give the URL that answers itself\.$/,
		);
		await app.harness.setSetting('status_endpoint_url', `${base}/receiver`);
		await app.harness.command('whatsapp', ['deliveries', 'retry'], { user: app.harness.admin, room });
		await app.harness.scheduler.advance(30000);
		expect(received().map((b) => `${String(b.msId)}:${String(b.MessageStatus)}`)).toEqual([`${msId}:queued`]);
	});

	it('a 307 keeps the POST, its payload and its signature: delivered once', async () => {
		await app.harness.setSetting('status_signing_secret', 's3cret');
		await app.harness.setSetting('status_endpoint_url', `${base}/temporary`);
		const msId = await send();
		expect(received().map((b) => `${String(b.msId)}:${String(b.MessageStatus)}`)).toEqual([`${msId}:queued`]);
		const delivery = seen.find((s) => s.path === '/receiver')!;
		expect(delivery.headers['x-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
		await app.harness.scheduler.advance(3600000);
		expect(received()).toHaveLength(1);
	});
});
