/**
 * What differs between the engines the app supports, asserted on whichever engine runs the suite
 * (`APPS_ENGINE=<version>`, `npm run test:engines`; tools/harness/engineVersion.ts). Each difference is
 * feature-detected by the app; the README's "Rocket.Chat versions" table lists them.
 * (The outbound provider, 1.55+, is asserted in templateMessage.test.ts.)
 */
import * as fs from 'fs';
import * as path from 'path';

import { engineAtLeast, engineVersion } from '../../tools/harness/engineVersion';
import { uploadFiles } from '../../tools/harness/rc/fileMessages';
import { AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const bytesOf = (size: number, seed = 7) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256));

describe(`engine differences (running on engine ${engineVersion()})`, () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
	});
	afterEach(() => stopChecked(app));

	async function conversation() {
		const agent = app.harness.addUser({ username: 'ana', name: 'Ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
			from: '5511987654321',
			name: 'Carla',
			text: 'Send me the papers',
		});
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		await app.harness.scheduler.runDue();
		const room = [...app.harness.world.rooms.values()].find((r) => r.type === 'l')!;
		return { agent, room };
	}
	const sends = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status !== 'read')
			.map((r) => r.body as any);
	const document = (id: string, filename: string) => ({
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to: '5511987654321',
		type: 'document',
		document: { id, filename },
		biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
	});

	it('runs the engine APPS_ENGINE names (the pinned one when unset), on the Deno Rocket.Chat ran it on', () => {
		const lock = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package-lock.json'), 'utf8'));
		expect(engineVersion()).toBe(process.env.APPS_ENGINE || lock.packages['node_modules/@rocket.chat/apps-engine'].version);
		// The engine spawns `deno`; below 1.60 tools/engine/deno-1/deno execs Deno 1.46.3 in the same process.
		const exe = fs.readlinkSync(`/proc/${app.harness.runtimeProcess().pid}/exe`);
		expect(exe.includes(`${path.sep}deno-1.46.3${path.sep}`)).toBe(!engineAtLeast('1.60.0'));
	});

	it("a contact's form answer nested too deep for Deno 1.46 to write is posted all the same, and their next message is not held behind it", async () => {
		// 80 kB, under Rocket.Chat's 100 kB: 40,000 nested arrays inside Meta's response_json string. The
		// Deno 1.46 of Rocket.Chat 7.x to 8.1 cannot write them back as JSON (a RangeError, which would
		// hold the contact's messages for a day of retries); Deno 2 can, and the field is cut at 1,000.
		const response_json = `{"a":${'['.repeat(40000)}${']'.repeat(40000)},"guests":2}`;
		const inbound = async (message: string | Record<string, unknown>) => {
			const res = await app.sim.deliverInboundMessage({
				phoneNumberId: NUMBER.phoneNumberId,
				from: '5511987654321',
				name: 'Carla',
				message,
			});
			expect(res.status).toBe(200);
			await app.harness.scheduler.runDue();
			await app.harness.settled();
		};
		await inbound({
			type: 'interactive',
			interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json } },
		});
		await inbound('are you there?');
		const room = [...app.harness.world.rooms.values()].find((r) => r.type === 'l')!;
		const field = engineAtLeast('1.60.0') ? `${'['.repeat(1000)}…` : '…';
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual([
			`📝 The contact answered a form (flow · Sent)\na: ${field}\nguests: 2`,
			'are you there?',
		]);
	});

	it('an agent’s message with two files: both reach WhatsApp on every engine (before 1.60 the converter leaves `files` unmapped, and the app reads them there)', async () => {
		const { agent, room } = await conversation();
		await uploadFiles(app.harness, {
			user: agent,
			room,
			files: [
				{ name: 'invoice-42.pdf', type: 'application/pdf', bytes: bytesOf(3000) },
				{ name: 'terms.pdf', type: 'application/pdf', bytes: bytesOf(2000, 9) },
			],
		});
		const notices = app.harness.world.notificationsFor(agent.id).map((n) => String(n.text));
		const uploaded = app.sim.uploadedMedia;
		expect(uploaded.map((u) => u.filename)).toEqual(['invoice-42.pdf', 'terms.pdf']);
		expect(sends()).toEqual([document(uploaded[0].id, 'invoice-42.pdf'), document(uploaded[1].id, 'terms.pdf')]);
		expect(notices.filter((t) => t.includes('Only the first file'))).toEqual([]);
	});
});
