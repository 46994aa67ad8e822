/** `npm start`'s sandbox serves the webhook handshake, `/whatsapp help` and a conversation with files through the real engine. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { request } from '../../tools/http/client';
import { SANDBOX_NUMBER, startSandbox } from '../../tools/sandbox/start';
import { until } from '../support/until';

describe('the sandbox', () => {
	it('starts with a connected number, answers the handshake and runs /whatsapp help', async () => {
		const sandbox = await startSandbox({ app: 0, sim: 0, sink: 0 });
		const fileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
		try {
			const token = await sandbox.control.verifyToken();
			expect(token).toMatch(/^[0-9a-f]{48}$/);
			const webhook = sandbox.server.endpointUrl('webhook');
			const handshake = await request(`${webhook}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=777`);
			expect({ status: handshake.status, text: handshake.text }).toEqual({ status: 200, text: '777' });

			const help = (await request(`${sandbox.appUrl}/sandbox/command`, { json: { command: '/whatsapp help' } })).body;
			expect(help.notices[0]).toContain('/whatsapp connect');
			expect(help.appErrors).toEqual([]);

			// The number was connected through the real modal, with requests valid against Meta's spec (asked at once).
			expect(sandbox.sim.requests.map((r) => `${r.method} ${r.path} ${r.status}`).sort()).toEqual([
				'GET /v23.0/102290129340398/phone_numbers 200',
				'GET /v23.0/102290129340398/subscribed_apps 200',
				'GET /v23.0/106540352242922 200',
				'GET /v23.0/debug_token 200',
			]);
			expect(sandbox.sim.violations).toEqual([]);

			const inbound = (await request(`${sandbox.appUrl}/sandbox/inbound`, { json: { text: 'Olá 😀' } })).body;
			expect(inbound.webhook.status).toBe(200);

			// Both sides with files: the contact sends a PDF, the agent answers with one.
			const pdf = path.join(fileDir, 'terms.pdf');
			fs.writeFileSync(pdf, Buffer.from('%PDF-1.4 terms'));
			const withFile = (
				await request(`${sandbox.appUrl}/sandbox/inbound`, { json: { file: pdf, type: 'application/pdf', caption: 'signed' } })
			).body;
			expect(withFile.webhook.status).toBe(200);
			let rooms: Array<{ messages: string[] }> = [];
			// The file's message comes first, then its caption's: wait for the caption.
			await until(async () => {
				rooms = (await request(`${sandbox.appUrl}/sandbox/rooms`)).body;
				return Boolean(rooms[0]?.messages.includes('signed'));
			}, "the file's caption in the room");
			expect(rooms[0].messages).toEqual(['Olá 😀', '[file terms.pdf, application/pdf]', 'signed']);
			const reply = (
				await request(`${sandbox.appUrl}/sandbox/reply`, { json: { file: pdf, type: 'application/pdf', caption: 'countersigned' } })
			).body;
			expect(reply.sentToWhatsApp).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'document',
					document: { id: sandbox.sim.uploadedMedia[0].id, caption: 'countersigned', filename: 'terms.pdf' },
				},
			]);
			expect(sandbox.sim.violations).toEqual([]);

			// The console's admin pane never sends a secret to the page: the signing secret shows as set,
			// the number's token and app secret by their last four characters.
			const secret = 'whsec-sandbox-7d1c0a9e';
			const saved = await request(`${sandbox.appUrl}/sandbox/settings`, { json: { id: 'status_signing_secret', value: secret } });
			expect({ status: saved.status, body: saved.body }).toEqual({
				status: 200,
				body: { id: 'status_signing_secret', value: '••••••••' },
			});
			const admin = await request(`${sandbox.appUrl}/sandbox/ui/admin`);
			expect(admin.body.settings.find((s: { id: string }) => s.id === 'status_signing_secret')).toMatchObject({
				type: 'password',
				value: '••••••••',
			});
			expect(admin.body.numbers[0]).toMatchObject({
				accessToken: `••••${SANDBOX_NUMBER.accessToken.slice(-4)}`,
				appSecret: `••••${SANDBOX_NUMBER.appSecret.slice(-4)}`,
			});
			for (const hidden of [secret, SANDBOX_NUMBER.accessToken, SANDBOX_NUMBER.appSecret]) expect(admin.text).not.toContain(hidden);

			// The README's templateMessage example, as written there, with the sandbox's credentials it names.
			const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
			const example = /templateMessage" \\\n[\s\S]*?-d '([\s\S]*?)'\n/.exec(readme);
			expect(example).not.toBeNull();
			const sent = await request(sandbox.server.endpointUrl('templateMessage'), {
				json: JSON.parse(example![1]),
				headers: { 'X-User-Id': 'user-admin', 'X-Auth-Token': 'admin-token' },
			});
			expect({ status: sent.status, success: sent.body.success }).toEqual({ status: 200, success: true });
			expect(sent.body.results.map((r: { phoneNumber: string; msId?: string }) => [r.phoneNumber, Boolean(r.msId)])).toEqual([
				['5511987654321', true],
				['5511912345678', true],
			]);
		} finally {
			fs.rmSync(fileDir, { recursive: true, force: true });
			await sandbox.stop();
		}
	});
});
