/**
 * The foundation through the real engine: the rc-apps zip in Apps-Engine 1.62.0's Deno runtime,
 * `/whatsapp help|connect|numbers`, credentials checked against the simulated Cloud API, the
 * webhook handshake and signature check over real HTTP.
 */
import * as fs from 'fs';

import AdmZip from 'adm-zip';

import { packagedZipPath } from '../../tools/harness/AppHarness';
import { engineAtLeast } from '../../tools/harness/engineVersion';
import { request } from '../../tools/http/client';
import { AppUnderTest, connectState, NUMBER, NUMBER_PROOF, startApp, stopChecked } from '../support/appUnderTest';
import { until } from '../support/until';
import { SETTLE_MS } from '../../src/core/numbers/sightings';

/** A GET over real HTTP: the status and the body's text. */
async function get(url: string): Promise<{ status: number; body: string }> {
	const answer = await request(url);
	return { status: answer.status, body: answer.text };
}

describe('the packaged app', () => {
	it('holds the app only, declares ^1.47.0 and exactly the permissions it uses', () => {
		const zip = new AdmZip(packagedZipPath());
		const names = zip.getEntries().map((e) => e.entryName);
		expect(names).toContain('WhatsAppApp.js');
		expect(names).toContain('i18n/en.json');
		expect(names).toContain('i18n/pt-BR.json');
		expect(names).toContain('i18n/es.json');
		expect(names).toContain('icon.png');
		expect(names.filter((n) => /\.ts$|^test\/|^tools\/|node_modules|^build\//.test(n))).toEqual([]);
		const manifest = JSON.parse(zip.readAsText('app.json'));
		expect(manifest.requiredApiVersion).toBe('^1.47.0');
		expect(manifest.permissions.map((p: { name: string }) => p.name).sort()).toEqual(
			[
				'api',
				'livechat-department.read',
				'livechat-message.write',
				'livechat-room.read',
				'livechat-room.write',
				'livechat-status.read',
				'livechat-visitor.read',
				'livechat-visitor.write',
				'message.read',
				'message.write',
				'networking',
				'outbound-communication.provide',
				'persistence',
				'role.read',
				'room.read',
				'scheduler',
				'server-setting.read',
				'slashcommand',
				'ui.interact',
				'upload.read',
				'upload.write',
				'user.read',
			].sort(),
		);
	});
});

/** `printf %s EAAWRONG | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef` (NUMBER's app secret). */
const WRONG_TOKEN_PROOF = '8684db5f3a6df4f28775e8f2698261aed3da0c08522fb460beb07f3b726c0107';
/** A well-formed app secret of another Meta app, and its proof of NUMBER's token (`printf %s EAATESTTOKEN1234567890 | openssl dgst -sha256 -hmac fedcba…`). */
const OTHER_SECRET = 'fedcba9876543210fedcba9876543210';
const OTHER_SECRET_PROOF = 'd11f12fb9ef7b15ab69c9ac85f22831152484764f7316e30edb723451476706a';

describe('foundation through the real engine', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
	});
	afterEach(() => stopChecked(app));

	const room = () => app.harness.addRoom({ name: 'general', creator: app.harness.admin });
	/** `/whatsapp connect` by the admin, and the form submitted with NUMBER's values, `values` over them. */
	const submitConnect = async (values: Record<string, string> = {}) => {
		const admin = app.harness.admin;
		await app.harness.command('whatsapp', ['connect'], { user: admin, room: room() });
		return app.harness.viewSubmit({
			user: admin,
			view: app.harness.lastView(admin)!,
			state: connectState({
				phoneNumberId: NUMBER.phoneNumberId,
				wabaId: NUMBER.wabaId,
				accessToken: NUMBER.accessToken,
				appSecret: NUMBER.appSecret,
				...values,
			}),
		});
	};
	/** Edit in the numbers list `view` and Save with the fields as they are (the secrets kept, or `accessToken` typed). */
	const editAndSave = async (view: unknown, accessToken = '') => {
		const edit = await app.harness.blockAction({
			user: app.harness.admin,
			actionId: 'whatsapp-number-edit',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: view as never,
		});
		return app.harness.viewSubmit({
			user: app.harness.admin,
			view: edit.view,
			state: connectState({ phoneNumberId: NUMBER.phoneNumberId, wabaId: NUMBER.wabaId, accessToken, appSecret: '' }),
		});
	};
	/** The subscriptions' and the token's questions answered (a connect whose checks failed does not wait for them). */
	const subscriptionsAnswered = () =>
		until(
			() => ['/subscribed_apps', '/debug_token'].every((path) => app.sim.requestsTo(path).some((r) => r.status !== undefined)),
			"Meta's answers to the subscriptions' and the token's questions",
		);
	const lastNotice = (userId: string) => {
		const notices = app.harness.world.notificationsFor(userId);
		return String(notices[notices.length - 1]?.text ?? '');
	};

	it('runs in the Deno runtime, not in Node', () => {
		const runtime = app.harness.runtimeProcess();
		expect(runtime.spawnfile).toBe('deno');
		expect(runtime.spawnargs).toEqual(expect.arrayContaining(['run', '--subprocess', app.harness.appId]));
		// Engines 1.59+ run the runtime from its Deno cache only; 1.53.1 and 1.55.1 do not ask for that.
		expect(runtime.spawnargs.includes('--cached-only')).toBe(engineAtLeast('1.59.0'));
		expect(fs.readFileSync(`/proc/${runtime.pid}/cmdline`, 'utf8')).toContain('deno');
		expect(runtime.pid).not.toBe(process.pid);
		// The engine enforces exactly what app.json declares (NODE_ENV is not "test" in the harness).
		const declared = JSON.parse(new AdmZip(packagedZipPath()).readAsText('app.json'))
			.permissions.map((p: { name: string }) => p.name)
			.sort();
		expect(
			app.harness.manager
				.getPermissionsById(app.harness.appId)
				.map((p) => p.name)
				.sort(),
		).toEqual(declared);
		expect(process.env.NODE_ENV).not.toBe('test');
	});

	it('/whatsapp help lists every subcommand; an unknown one gets a notice and help', async () => {
		const admin = app.harness.admin;
		await app.harness.command('whatsapp', ['help'], { user: admin, room: room() });
		const help = lastNotice(admin.id);
		for (const sub of ['help', 'send-template', 'view-templates', 'connect', 'numbers', 'deliveries'])
			expect(help).toContain(`/whatsapp ${sub}`);

		await app.harness.command('whatsapp', ['frobnicate'], { user: admin, room: room() });
		const notices = app.harness.world.notificationsFor(admin.id).map((n) => String(n.text));
		expect(notices[notices.length - 2]).toBe('`/whatsapp frobnicate` is not a command.');
		expect(notices[notices.length - 1]).toBe(help);

		await app.harness.command('whatsapp', [], { user: admin, room: room() });
		expect(lastNotice(admin.id)).toBe(help);
	});

	it('refuses connect and numbers to a user without a manager role', async () => {
		const agent = app.harness.addUser({ username: 'agent', roles: ['user', 'livechat-agent'] });
		await app.harness.command('whatsapp', ['connect'], { user: agent, room: room() });
		expect(lastNotice(agent.id)).toContain('not allowed');
		await app.harness.command('whatsapp', ['numbers'], { user: agent, room: room() });
		expect(app.harness.world.uiFor(agent.id)).toEqual([]);
	});

	it('connect: invalid fields get field errors and nothing reaches Meta', async () => {
		const admin = app.harness.admin;
		await app.harness.command('whatsapp', ['connect'], { user: admin, room: room() });
		const view = app.harness.lastView(admin)!;
		expect(view.id).toBe('whatsapp-numbers');
		const actionIds = (view.blocks as Array<{ element?: { actionId: string } }>)
			.filter((b) => b.element)
			.map((b) => b.element!.actionId);
		expect(actionIds).toEqual([
			'phoneNumberId',
			'wabaId',
			'accessToken',
			'appSecret',
			'departmentId',
			'welcomeMessage',
			'conversationFinishedMessage',
			'offlineMessage',
		]);

		const response = await app.harness.viewSubmit({
			user: admin,
			view,
			state: connectState({ phoneNumberId: '+1 555 078', wabaId: NUMBER.wabaId, accessToken: '', appSecret: 'nothex' }),
		});
		expect(response).toMatchObject({
			success: false,
			type: 'errors',
			viewId: 'whatsapp-numbers',
			errors: {
				phoneNumberId: expect.stringContaining('phone number ID'),
				accessToken: 'The access token is required.',
				appSecret: expect.stringContaining('32 hexadecimal'),
			},
		});
		expect(app.sim.requests).toEqual([]);
	});

	it('connect: a token Meta rejects is reported on the token field; the exact request is the one Meta documents', async () => {
		const response = await submitConnect({ accessToken: 'EAAWRONG' });
		expect(response.errors).toEqual({
			accessToken: 'Meta rejected this access token: it is invalid or expired. Create a new system-user token.',
		});
		// The questions went at once; the number's own answer is the one reported. The connect does not
		// wait for the subscriptions' answer once the checks failed: it may still be on its way.
		await subscriptionsAnswered();
		const sent = app.sim.requests.map((r) => [r.method, r.path, r.query, r.headers.authorization, r.status]);
		expect(sent).toHaveLength(4);
		expect(sent).toEqual(
			expect.arrayContaining([
				[
					'GET',
					`/v23.0/${NUMBER.phoneNumberId}`,
					{ fields: 'id,display_phone_number,verified_name,quality_rating', appsecret_proof: WRONG_TOKEN_PROOF },
					'Bearer EAAWRONG',
					401,
				],
				[
					'GET',
					`/v23.0/${NUMBER.wabaId}/phone_numbers`,
					{ fields: 'id,display_phone_number,verified_name', limit: '100', appsecret_proof: WRONG_TOKEN_PROOF },
					'Bearer EAAWRONG',
					401,
				],
				['GET', `/v23.0/${NUMBER.wabaId}/subscribed_apps`, { appsecret_proof: WRONG_TOKEN_PROOF }, 'Bearer EAAWRONG', 401],
				['GET', '/v23.0/debug_token', { input_token: 'EAAWRONG', appsecret_proof: WRONG_TOKEN_PROOF }, 'Bearer EAAWRONG', 401],
			]),
		);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r.data).includes('EAAWRONG'))).toEqual([]);
	});

	it("connect: an app secret that is not the token's Meta app's is reported on the secret field, and nothing is saved", async () => {
		const response = await submitConnect({ appSecret: OTHER_SECRET });
		await subscriptionsAnswered();
		expect(response.errors).toEqual({
			appSecret:
				'Meta refused the app secret with this access token: they are of two different Meta apps, or the secret is mistyped. Use the app secret (Meta App Dashboard > App settings > Basic) of the app the token was generated for, the app whose webhook you set.',
		});
		// Meta was asked with the proof made of that secret, and refused it.
		expect(
			app.sim.requests
				.map((r) => [
					r.path,
					r.query.appsecret_proof,
					r.status,
					(r.response as { error?: { message?: string } } | undefined)?.error?.message,
				])
				.sort(),
		).toEqual(
			[
				[`/v23.0/${NUMBER.phoneNumberId}`, OTHER_SECRET_PROOF, 400, 'Invalid appsecret_proof provided in the API argument'],
				[`/v23.0/${NUMBER.wabaId}/phone_numbers`, OTHER_SECRET_PROOF, 400, 'Invalid appsecret_proof provided in the API argument'],
				[
					`/v23.0/${NUMBER.wabaId}/subscribed_apps`,
					OTHER_SECRET_PROOF,
					400,
					'Invalid appsecret_proof provided in the API argument',
				],
				['/v23.0/debug_token', OTHER_SECRET_PROOF, 400, 'Invalid appsecret_proof provided in the API argument'],
			].sort(),
		);
		expect(app.harness.world.persistence.filter((r) => JSON.stringify(r.data).includes(OTHER_SECRET))).toEqual([]);
	});

	it('connect: an account no Meta app is subscribed to is saved, the list says so, and an edit after the subscription clears it', async () => {
		app.sim.subscribedApps.set(NUMBER.wabaId, []);
		const saved = await submitConnect();
		expect(saved).toMatchObject({ success: true, type: 'modal.update', view: { id: 'whatsapp-numbers' } });
		const warning = `When a number of account ${NUMBER.wabaId} was last saved, Meta said no app is subscribed to the account's webhooks: no message of this number's contacts and no status reaches Rocket.Chat. Subscribe the Meta app of this number's token (POST /${NUMBER.wabaId}/subscribed_apps with the token: README, "Setting up the Meta side", step 7). The note goes by itself once Meta's webhooks for the account's numbers, signed with this number's app secret, arrive half a minute after that save, or when a number of the account is edited and saved (the account is checked again).`;
		expect(JSON.stringify(app.harness.openModal(app.harness.admin)!.view)).toContain(JSON.stringify(warning).slice(1, -1));
		// The exact question, with the proof as every call.
		expect(
			app.sim.requestsTo('/subscribed_apps').map((r) => [r.method, r.query, r.headers.authorization, r.status, r.response]),
		).toEqual([['GET', { appsecret_proof: NUMBER_PROOF }, `Bearer ${NUMBER.accessToken}`, 200, { data: [] }]]);

		// The admin subscribed the app at Meta, then edited the number and saved it: the warning is gone.
		app.sim.subscribedApps.delete(NUMBER.wabaId);
		expect(await editAndSave(saved.view)).toMatchObject({ success: true, type: 'modal.update' });
		expect(JSON.stringify(app.harness.openModal(app.harness.admin)!.view)).not.toContain('no app is subscribed');
	});

	it("connect: a note of the account's webhooks goes once Meta's webhooks after the save show it no longer holds, not for an older event's", async () => {
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		app.sim.subscribedApps.set(NUMBER.wabaId, []);
		const saved = await submitConnect();
		expect(saved).toMatchObject({ success: true, type: 'modal.update', view: { id: 'whatsapp-numbers' } });
		const stored = () =>
			app.harness.world.persistence
				.map((r) => r.data as Record<string, unknown>)
				.find((d) => d.phoneNumberId === NUMBER.phoneNumberId)!;
		expect(stored()).toMatchObject({ appSecretProven: true, webhooksUnsubscribed: true });
		const checkedAt = Date.parse(String(stored().webhooksCheckedAt));
		expect(Math.abs(checkedAt - Date.now())).toBeLessThan(60000);
		// Meta sends no webhook of an account no app is subscribed to.
		await expect(
			app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: '5511987654321', name: 'Carla', message: 'Hi' }),
		).rejects.toThrow('not subscribed');
		const listed = async () => {
			await app.harness.viewClosed({ user: app.harness.admin });
			await app.harness.command('whatsapp', ['numbers'], { user: app.harness.admin, room: room() });
			return JSON.stringify(app.harness.openModal(app.harness.admin)!.view);
		};
		/** A contact's message with Meta's `timestamp` (seconds), processed by the job. */
		const written = async (text: string, seconds: number) => {
			const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
				from: '5511987654321',
				name: 'Carla',
				text,
				timestamp: String(seconds),
			});
			expect((await app.sim.deliverRaw(payload)).status).toBe(200);
			await app.harness.scheduler.runDue();
			await app.harness.settled();
		};
		const sightings = () =>
			app.harness.world.persistence.filter((r) => JSON.stringify(r.associations).includes('whatsapp-webhook-sighting'));

		// The admin subscribed the app at Meta. A retry of a webhook about a message written before the
		// save shows nothing of now, nor does one within SETTLE_MS of it: the note stays, nothing is stored.
		app.sim.subscribedApps.delete(NUMBER.wabaId);
		await written('Old', Math.floor(checkedAt / 1000) - 120);
		await written('Soon after', Math.floor(checkedAt / 1000) + 2);
		expect(await listed()).toContain('no app is subscribed');
		expect(sightings()).toEqual([]);

		// Later (the app's clock and Meta's moved on), a contact writes: the webhook, signed with this
		// number's secret, shows its app is subscribed, and the note goes without an edit.
		await app.harness.scheduler.advance(SETTLE_MS + 5000);
		await written('Later', Math.floor((checkedAt + SETTLE_MS + 5000) / 1000));
		expect(await listed()).not.toContain('no app is subscribed');
		// Stored apart from the number (the number stays as saved).
		expect(stored().webhooksUnsubscribed).toBe(true);
		expect(sightings().map((r) => (r.data as { key: string }).key)).toEqual([`number:${NUMBER.phoneNumberId}`]);

		// A save that finds the list empty again notes it again: the sightings before it do not count.
		app.sim.subscribedApps.set(NUMBER.wabaId, []);
		expect(await editAndSave(app.harness.openModal(app.harness.admin)!.view)).toMatchObject({ success: true, type: 'modal.update' });
		expect(JSON.stringify(app.harness.openModal(app.harness.admin)!.view)).toContain('no app is subscribed');
		// Disconnected, the number's sighting goes with it (the ID may be connected again, afresh).
		const confirm = await app.harness.blockAction({
			user: app.harness.admin,
			actionId: 'whatsapp-number-disconnect',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: app.harness.openModal(app.harness.admin)!.view as never,
		});
		expect(await app.harness.viewSubmit({ user: app.harness.admin, view: confirm.view })).toMatchObject({ success: true });
		expect(stored()).toBeUndefined();
		expect(sightings()).toEqual([]);
	});

	it("connect: Meta's word on the token (a temporary one, a permission missing) and on the account's webhooks (another app's) is shown under the number until an edit finds them mended", async () => {
		// A token of API Setup's kind: it expires in a day, and lacks the permission to send; the
		// account's webhooks go to another Meta app than the token's (whose secret the admin gives).
		const expiresAt = Math.floor(Date.now() / 1000) + 86400;
		app.sim.addNumber({ ...NUMBER, token: { expiresAt, scopes: ['whatsapp_business_management'] } });
		app.sim.subscribedApps.set(NUMBER.wabaId, [{ id: '1111111111111111', name: 'Legacy CRM' }]);
		const saved = await submitConnect();
		expect(saved).toMatchObject({ success: true, type: 'modal.update', view: { id: 'whatsapp-numbers' } });
		// The exact question, with the proof as every call, and Meta's answer.
		expect(app.sim.requestsTo('/debug_token').map((r) => [r.method, r.query, r.headers.authorization, r.status, r.response])).toEqual([
			[
				'GET',
				{ input_token: NUMBER.accessToken, appsecret_proof: NUMBER_PROOF },
				`Bearer ${NUMBER.accessToken}`,
				200,
				{
					data: {
						app_id: '1234567890123456',
						type: 'USER',
						application: 'Business Messaging App',
						expires_at: expiresAt,
						is_valid: true,
						scopes: ['whatsapp_business_management'],
						granular_scopes: [{ scope: 'whatsapp_business_management', target_ids: [NUMBER.wabaId] }],
						user_id: '122100000000000001',
					},
				},
			],
		]);
		const date = `${new Date(expiresAt * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
		const notes = [
			`When a number of account ${NUMBER.wabaId} was last saved, the Meta apps subscribed to the account's webhooks were Legacy CRM (1111111111111111), not the app of this number's token and app secret: Meta sends the account's messages and statuses to those apps, signed with their secrets, so this number's messages and statuses do not reach Rocket.Chat. Subscribe this token's app (POST /${NUMBER.wabaId}/subscribed_apps with this number's token: README, "Setting up the Meta side", step 7). The note goes by itself once Meta's webhooks for the account's numbers, signed with this number's app secret, arrive half a minute after that save, or when the number is edited and saved (it is checked again).`,
			`This number's access token expires on ${date} (as Meta said when the number was last saved): from then on Meta refuses every call made with it, and nothing is sent from this number. It is a temporary token (the one of WhatsApp > API Setup lasts a day): generate a system user's permanent token (README, "Setting up the Meta side", step 2), then edit the number and paste it.`,
			`Meta said, when this number was last saved, that its access token lacks whatsapp_business_messaging: the app needs whatsapp_business_messaging to send and whatsapp_business_management to read the account's numbers and templates. Generate a token with both (README, "Setting up the Meta side", step 2), then edit the number and paste it.`,
		];
		const contexts = (view: unknown) =>
			((view as { blocks: Array<{ type: string; elements?: Array<{ text?: string }> }> }).blocks ?? [])
				.filter((b) => b.type === 'context')
				.map((b) => b.elements?.[0]?.text);
		expect(contexts(app.harness.openModal(app.harness.admin)!.view)).toEqual(expect.arrayContaining(notes));
		// Closed, and listed again later: the same notes (stored with the number).
		await app.harness.viewClosed({ user: app.harness.admin });
		await app.harness.command('whatsapp', ['numbers'], { user: app.harness.admin, room: room() });
		const listed = contexts(app.harness.openModal(app.harness.admin)!.view);
		expect(listed).toEqual(expect.arrayContaining(notes));

		// The admin mended all three at Meta (a permanent token with both permissions, the app
		// subscribed), then edited the number with the new token and saved it: the notes are gone.
		app.sim.addNumber({ ...NUMBER, accessToken: 'EAAPERMANENT1234567890' });
		app.sim.subscribedApps.delete(NUMBER.wabaId);
		expect(await editAndSave(app.harness.openModal(app.harness.admin)!.view, 'EAAPERMANENT1234567890')).toMatchObject({
			success: true,
			type: 'modal.update',
		});
		expect(app.sim.requestsTo('/debug_token').map((r) => [r.query.input_token, r.status])).toEqual([
			[NUMBER.accessToken, 200],
			['EAAPERMANENT1234567890', 200],
		]);
		const mended = contexts(app.harness.openModal(app.harness.admin)!.view);
		for (const note of notes) expect(mended).not.toContain(note);
		const stored = app.harness.world.persistence
			.map((r) => r.data as Record<string, unknown>)
			.find((d) => d.phoneNumberId === NUMBER.phoneNumberId)!;
		expect([stored.tokenExpiresAt, stored.tokenMissingPermissions, stored.webhooksToOtherApps]).toEqual([
			undefined,
			undefined,
			undefined,
		]);
	});

	it('connect: a token Meta will not say anything of (its user no developer of the app) is saved without a word on it', async () => {
		app.sim.addNumber({ ...NUMBER, token: { debuggable: false, expiresAt: Math.floor(Date.now() / 1000) + 86400 } });
		app.sim.subscribedApps.set(NUMBER.wabaId, [{ id: '1111111111111111', name: 'Legacy CRM' }]);
		expect(await submitConnect()).toMatchObject({ success: true, type: 'modal.update', view: { id: 'whatsapp-numbers' } });
		expect(
			app.sim.requestsTo('/debug_token').map((r) => [r.status, (r.response as { error?: { code?: number } }).error?.code]),
		).toEqual([[400, 100]]);
		const listed = JSON.stringify(app.harness.openModal(app.harness.admin)!.view);
		expect(listed).not.toMatch(/access token (expires|lacks)|webhooks were/);
		const stored = app.harness.world.persistence
			.map((r) => r.data as Record<string, unknown>)
			.find((d) => d.phoneNumberId === NUMBER.phoneNumberId)!;
		expect(Object.keys(stored).filter((k) => /^token|OtherApps/.test(k))).toEqual([]);
	});

	it('a token past its expiry is refused by Meta at connect, as Meta refuses an expired token', async () => {
		app.sim.addNumber({ ...NUMBER, token: { expiresAt: Math.floor(Date.now() / 1000) - 60 } });
		const response = await submitConnect();
		await subscriptionsAnswered();
		expect(response.errors).toEqual({
			accessToken: 'Meta rejected this access token: it is invalid or expired. Create a new system-user token.',
		});
		expect(
			app.sim.requests.map((r) => [r.path, r.status, (r.response as { error?: { error_subcode?: number } }).error?.error_subcode]),
		).toEqual(expect.arrayContaining([[`/v23.0/${NUMBER.phoneNumberId}`, 401, 463]]));
		expect(
			app.harness.world.persistence.filter((r) => (r.data as { phoneNumberId?: string }).phoneNumberId === NUMBER.phoneNumberId),
		).toEqual([]);
	});

	it('connect, list, edit and disconnect a number; secrets are never shown back', async () => {
		const admin = app.harness.admin;
		const dept = app.harness.world.addDepartment({ name: 'Sales' });
		await app.harness.command('whatsapp', ['connect'], { user: admin, room: room() });
		const ok = await app.harness.viewSubmit({
			user: admin,
			view: app.harness.lastView(admin)!,
			state: connectState({
				phoneNumberId: ` ${NUMBER.phoneNumberId} `,
				wabaId: NUMBER.wabaId,
				accessToken: NUMBER.accessToken,
				appSecret: NUMBER.appSecret,
				departmentId: 'Sales',
				welcomeMessage: 'Hello!',
			}),
		});
		// The list replaces the form in the modal the client has open (same view id, or the client drops it).
		expect(ok).toMatchObject({ success: true, type: 'modal.update', view: { id: 'whatsapp-numbers' } });
		expect(app.harness.openModal(admin)!.view.submit).toMatchObject({ text: { text: 'Done' } });
		const listed = JSON.stringify(app.harness.openModal(admin)!.view);
		expect(listed).toContain('Connected +1 555-078-3881 (Acme Support).');
		expect(listed).toContain(`/api/apps/public/${app.harness.appId}/webhook`);
		// The harness's Site URL is http://127.0.0.1:3000: Meta would refuse that callback URL, and the list says so.
		expect(listed).toContain('Meta will not accept this callback URL: Meta calls webhooks only over https');
		// The department by its name, not its ID.
		expect(listed).toContain('Department: Sales');
		expect(listed).not.toContain(String(dept.id));
		expect(listed).toContain('••••cdef');
		expect(listed).not.toContain(NUMBER.accessToken);
		expect(listed).not.toContain(NUMBER.appSecret);
		// The questions are asked at once (the admin waits for the slowest only), so in any order.
		expect(app.sim.requests.map((r) => `${r.method} ${r.path} ${r.status}`).sort()).toEqual(
			[
				`GET /v23.0/${NUMBER.phoneNumberId} 200`,
				`GET /v23.0/${NUMBER.wabaId}/phone_numbers 200`,
				`GET /v23.0/${NUMBER.wabaId}/subscribed_apps 200`,
				'GET /v23.0/debug_token 200',
			].sort(),
		);
		// The account has an app subscribed to its webhooks: no warning.
		expect(listed).not.toContain('no app is subscribed');
		expect(app.sim.requests.every((r) => r.headers.authorization === `Bearer ${NUMBER.accessToken}`)).toBe(true);
		const stored = app.harness.world.persistence
			.map((r) => r.data as Record<string, unknown>)
			.find((d) => d.phoneNumberId === NUMBER.phoneNumberId);
		expect(stored).toMatchObject({
			wabaId: NUMBER.wabaId,
			departmentId: dept.id,
			welcomeMessage: 'Hello!',
			verifiedName: 'Acme Support',
		});

		// Edit: the form comes back with the values but without the secrets; empty secrets keep them.
		const edit = await app.harness.blockAction({
			user: admin,
			actionId: 'whatsapp-number-edit',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: ok.view,
		});
		// A new modal, seeded from the edit form: its initial values are what the client will submit.
		expect(edit).toMatchObject({ type: 'modal.open', view: { id: expect.stringMatching(/^whatsapp-numbers:/) } });
		expect(edit.view.id).not.toBe(ok.view.id);
		expect(app.harness.openModal(admin)!.state).toMatchObject({
			phoneNumberId: { phoneNumberId: NUMBER.phoneNumberId },
			wabaId: { wabaId: NUMBER.wabaId },
			departmentId: { departmentId: 'Sales' },
		});
		expect(JSON.stringify(edit.view)).not.toContain(NUMBER.accessToken);
		expect(JSON.stringify(edit.view)).not.toContain(NUMBER.appSecret);
		const saved = await app.harness.viewSubmit({
			user: admin,
			view: edit.view,
			state: connectState({
				phoneNumberId: NUMBER.phoneNumberId,
				wabaId: NUMBER.wabaId,
				accessToken: '',
				appSecret: '',
				// The department's name as the form showed it: the department stays, by its ID.
				departmentId: 'Sales',
				welcomeMessage: 'Hi again',
			}),
		});
		expect(JSON.stringify(saved.view)).toContain('Saved +1 555-078-3881');
		const after = app.harness.world.persistence
			.map((r) => r.data as Record<string, unknown>)
			.find((d) => d.phoneNumberId === NUMBER.phoneNumberId);
		expect(after).toMatchObject({
			accessToken: NUMBER.accessToken,
			appSecret: NUMBER.appSecret,
			welcomeMessage: 'Hi again',
			departmentId: dept.id,
		});

		// The app log never carries a secret.
		expect(JSON.stringify(app.harness.logs)).not.toContain(NUMBER.accessToken);
		expect(JSON.stringify(app.harness.logs)).not.toContain(NUMBER.appSecret);

		// Disconnect asks in a modal first (numbersDisconnect.test.ts); its submit disconnects.
		const ask = await app.harness.blockAction({
			user: admin,
			actionId: 'whatsapp-number-disconnect',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: saved.view,
		});
		const gone = await app.harness.viewSubmit({ user: admin, view: ask.view, state: {} });
		expect(JSON.stringify(app.harness.openModal(admin)!.view.blocks)).toContain('No WhatsApp number is connected yet.');
		expect(gone.view.id).toBe(ask.view.id);

		// Done under the list closes the modal.
		expect(await app.harness.viewSubmit({ user: admin })).toEqual({ success: true });
		expect(app.harness.openModal(admin)).toBeUndefined();
		expect(app.harness.world.persistence.some((r) => (r.data as Record<string, unknown>).phoneNumberId === NUMBER.phoneNumberId)).toBe(
			false,
		);
	});

	it('connect: an unknown department is a field error', async () => {
		const admin = app.harness.admin;
		const response = await submitConnect({ departmentId: 'Nope' });
		expect(response.errors).toEqual({ departmentId: 'No omnichannel department is named or has the ID "Nope".' });
		// With the form's other mistakes, each under its field, at once.
		const both = await app.harness.viewSubmit({
			user: admin,
			view: app.harness.lastView(admin)!,
			state: connectState({
				phoneNumberId: 'not-an-id',
				wabaId: NUMBER.wabaId,
				accessToken: NUMBER.accessToken,
				appSecret: NUMBER.appSecret,
				departmentId: 'Nope',
			}),
		});
		expect(Object.keys(both.errors).sort()).toEqual(['departmentId', 'phoneNumberId']);
		expect(app.sim.requests).toEqual([]);
	});

	it("answers Meta's verification handshake over HTTP with the token shown to the admin, and 403 otherwise", async () => {
		await app.harness.command('whatsapp', ['numbers'], { user: app.harness.admin, room: room() });
		const shown = JSON.stringify(app.harness.lastView(app.harness.admin));
		const token = /verify token `([0-9a-f]+)`/.exec(shown)![1];
		const url = app.http.endpointUrl('webhook');
		expect(await get(`${url}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`)).toEqual({
			status: 200,
			body: '1158201444',
		});
		expect((await get(`${url}?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`)).status).toBe(403);
		expect((await get(`${url}?hub.mode=unsubscribe&hub.verify_token=${token}&hub.challenge=1`)).status).toBe(403);
		expect(app.harness.logs.filter((l) => l.severity === 'warning').map((l) => String(l.args[0]))).toEqual([
			'webhook verification refused: hub.verify_token does not match the one shown in /whatsapp numbers',
			'webhook verification refused: hub.mode is not "subscribe"',
		]);
	});

	it('accepts a webhook Meta signed (non-ASCII, emoji, URLs) and refuses forged or unsigned ones', async () => {
		await submitConnect();
		const payload = app.sim.statusPayload(NUMBER.phoneNumberId, [
			{ wamid: 'wamid.ABC', status: 'delivered', recipient: '5511987654321' },
		]);
		payload.entry[0].changes[0].value.note = 'Olá café 😀 https://example.com/a?b=c';
		expect(await app.sim.deliverRaw(payload, NUMBER.appSecret)).toEqual({ status: 200, body: '{"success":true}' });
		expect((await app.sim.deliverRaw(payload, 'ffffffffffffffffffffffffffffffff')).status).toBe(403);
		expect(
			(
				await request(app.http.endpointUrl('webhook'), {
					raw: JSON.stringify(payload),
					headers: { 'Content-Type': 'application/json' },
				})
			).status,
		).toBe(401);
		const warnings = app.harness.logs.filter((l) => l.severity === 'warning').map((l) => String(l.args[0]));
		expect(warnings).toEqual([
			expect.stringContaining('matches no connected number'),
			expect.stringContaining('no X-Hub-Signature-256 header'),
		]);
		expect(JSON.stringify(app.harness.logs)).not.toContain(NUMBER.appSecret);
	});
});
