/** The simulated Cloud API speaks Meta's formats over real HTTP and enforces Meta's spec. */
import * as http from 'http';

import { signPayload, verifySignature } from '../../src/core/webhook/signature';
import { CloudApiSimulator, SimNumber } from '../../tools/sim/CloudApiSimulator';
import { CONTRACTS_DIR, validateRequest } from '../support/metaSpec';

const NUMBER: SimNumber = { phoneNumberId: '106540352242922', wabaId: '102290129340398', displayPhoneNumber: '+1 555-078-3881', verifiedName: 'Acme', accessToken: 'EAAGOOD', appSecret: '0123456789abcdef0123456789abcdef' };

function call(url: string, options: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
	return new Promise((resolve, reject) => {
		const data = options.body === undefined ? undefined : JSON.stringify(options.body);
		const headers: Record<string, string> = { Authorization: `Bearer ${options.token ?? NUMBER.accessToken}` };
		if (data) headers['Content-Type'] = 'application/json';
		const req = http.request(url, { method: options.method ?? 'GET', headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
		});
		req.on('error', reject);
		req.end(data);
	});
}

const template = (i: number, status = 'APPROVED') => ({ id: String(1000 + i), name: `t_${String(i).padStart(3, '0')}`, language: i % 2 ? 'en_US' : 'pt_BR', status, category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}' }] });
const send = (to = '5511987654321') => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

describe('CloudApiSimulator', () => {
	let sim: CloudApiSimulator;
	let base: string;
	beforeEach(async () => {
		sim = new CloudApiSimulator({ validate: validateRequest });
		base = (await sim.start()).baseUrl;
		sim.addNumber(NUMBER);
	});
	afterEach(() => sim.stop());

	it('pages templates with cursors and paging.next, and filters by status, name and fields', async () => {
		sim.setTemplates(NUMBER.wabaId, [...Array.from({ length: 60 }, (_, i) => template(i)), template(60, 'PAUSED')]);
		const names: string[] = [];
		let url: string | undefined = `${base}/v23.0/${NUMBER.wabaId}/message_templates?limit=25&status=APPROVED`;
		let pages = 0;
		while (url) {
			const res = await call(url);
			expect(res.status).toBe(200);
			names.push(...res.body.data.map((t: { name: string }) => t.name));
			expect(res.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
			url = res.body.paging.next;
			pages++;
		}
		expect(pages).toBe(3);
		expect(names).toEqual(Array.from({ length: 60 }, (_, i) => `t_${String(i).padStart(3, '0')}`));
		const filtered = await call(`${base}/v23.0/${NUMBER.wabaId}/message_templates?name=t_05&fields=name,status`);
		expect(filtered.body.data).toEqual(Array.from({ length: 10 }, (_, i) => ({ id: String(1050 + i), name: `t_05${i}`, status: 'APPROVED' })));
		expect(filtered.body.paging.next).toBeUndefined();
	});

	it("loads Meta's documented template lists as fixtures", async () => {
		sim.loadTemplateFixtures(NUMBER.wabaId, CONTRACTS_DIR);
		const res = await call(`${base}/v23.0/${NUMBER.wabaId}/message_templates`);
		expect(res.body.data.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['hello_world', 'reservation_confirmation', 'order_delivery_update']));
	});

	it('accepts a valid send with a wamid and refuses an invalid one with error 100, recording the violation', async () => {
		const ok = await call(`${base}/v23.0/${NUMBER.phoneNumberId}/messages`, { method: 'POST', body: send() });
		expect(ok).toEqual({ status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: '5511987654321', wa_id: '5511987654321' }], messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }] } });
		const bad = await call(`${base}/v23.0/${NUMBER.phoneNumberId}/messages`, { method: 'POST', body: { ...send(), template: { language: { code: 'en' } } } });
		expect(bad.status).toBe(400);
		expect(bad.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
		expect(sim.violations).toHaveLength(1);
		expect(sim.violations[0].errors).toEqual(expect.arrayContaining([expect.stringContaining("must have required property 'name'")]));
		expect(sim.sentMessages).toHaveLength(1);
	});

	it('answers a wrong token with 190 and an unknown id with 100/33', async () => {
		expect((await call(`${base}/v23.0/${NUMBER.phoneNumberId}`, { token: 'EAABAD' })).body.error).toMatchObject({ code: 190, type: 'OAuthException' });
		expect((await call(`${base}/v23.0/999999`)).body.error).toMatchObject({ code: 100, error_subcode: 33 });
	});

	it('answers injected errors in Meta\'s envelope, then recovers', async () => {
		sim.injectError(NUMBER.phoneNumberId, { code: 131047 });
		const failed = await call(`${base}/v23.0/${NUMBER.phoneNumberId}/messages`, { method: 'POST', body: send() });
		expect(failed.status).toBe(400);
		expect(failed.body.error).toMatchObject({ code: 131047, error_data: { messaging_product: 'whatsapp', details: 'Re-engagement message' } });
		expect((await call(`${base}/v23.0/${NUMBER.phoneNumberId}/messages`, { method: 'POST', body: send() })).status).toBe(200);
	});

	it('answers 130429 above the throughput cap', async () => {
		sim.setThroughputCap(NUMBER.phoneNumberId, 3);
		const statuses = [];
		for (let i = 0; i < 5; i++) statuses.push((await call(`${base}/v23.0/${NUMBER.phoneNumberId}/messages`, { method: 'POST', body: send(`551198765432${i}`) })).status);
		expect(statuses).toEqual([200, 200, 200, 400, 400]);
		expect(sim.throttled).toBe(2);
	});

	it("delivers Meta-signed webhooks whose signature verifies over the bytes received", async () => {
		const received: Array<{ raw: string; signature: string }> = [];
		const receiver = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				received.push({ raw: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-hub-signature-256']) });
				res.end('ok');
			});
		});
		await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
		sim.webhookTarget = { url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/webhook` };
		try {
			await sim.deliverRaw(sim.inboundTextPayload(NUMBER.phoneNumberId, { from: '5511987654321', name: 'José', text: 'café 😀 https://x.y/z' }), NUMBER.appSecret);
			await sim.deliverRaw(sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: 'wamid.A', status: 'sent', recipient: '5511' }, { wamid: 'wamid.B', status: 'read', recipient: '5512' }]), NUMBER.appSecret);
		} finally {
			await new Promise((r) => receiver.close(r));
		}
		expect(received).toHaveLength(2);
		expect(received[0].raw).toContain('caf\\u00e9 \\ud83d\\ude00 https:\\/\\/x.y\\/z');
		for (const r of received) expect(verifySignature(r.raw, r.signature, [NUMBER.appSecret]).ok).toBe(true);
		expect(received[1].signature).toBe(signPayload(received[1].raw, NUMBER.appSecret));
		expect(JSON.parse(received[1].raw).entry[0].changes[0].value.statuses.map((s: { status: string }) => s.status)).toEqual(['sent', 'read']);
	});
});
