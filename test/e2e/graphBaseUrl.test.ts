/**
 * The "Graph API base URL" setting takes https, or a loopback address (the sandbox and these tests
 * point it at the simulator on 127.0.0.1). Any other value sends nothing at all, so no access token
 * leaves in clear text: the template modal and the agent's notice say why in words.
 *
 * The refused address used here is `http://0.0.0.0:<simulator port>`: not loopback by the rule, yet
 * on Linux and macOS a connection to 0.0.0.0 reaches this machine, so before the rule existed the
 * simulator received the calls (and the token) and the test saw them.
 */
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const CARLA = '5511987654321';
const REFUSED =
	'The app\'s "Graph API base URL" setting is neither https nor a loopback address, so nothing is sent to WhatsApp. An admin must correct it in the app\'s settings (Marketplace > Installed > WhatsApp Business > Settings).';

describe('the Graph API base URL setting', () => {
	let app: AppUnderTest;
	let ana: HarnessUser;
	let room: HarnessRoom;
	let simUrl: string;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [
			{
				id: '1',
				name: 'hello',
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [{ type: 'BODY', text: 'Hello!' }],
			},
		]);
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		ana = app.harness.addAgent({ username: 'ana' });
		// Carla writes: her room opens and the 24-hour window with it.
		expect(
			(await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: CARLA, name: 'Carla', message: 'Hi' }))
				.status,
		).toBe(200);
		await app.harness.scheduler.runDue();
		room = [...app.harness.world.rooms.values()].find((r) => r.type === 'l')!;
		simUrl = String(await app.harness.getSetting('graph_api_base_url'));
		expect(simUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		app.sim.requests.length = 0;
	});
	afterEach(() => stopChecked(app));

	it('sends nothing through an http address that is not loopback, and says why in the modal and to the agent', async () => {
		await app.harness.setSetting('graph_api_base_url', simUrl.replace('127.0.0.1', '0.0.0.0'));

		await app.harness.command('whatsapp', ['send-template'], { user: ana, room });
		expect(app.sim.requests).toEqual([]);
		const view = app.harness.openModal(ana)!.view;
		expect(JSON.stringify(view.blocks)).toContain(
			`The templates of this number could not be fetched from Meta: ${REFUSED}`.replace(/"/g, '\\"'),
		);

		await app.harness.userMessage({ user: ana, room, text: 'Hello Carla' });
		expect(app.sim.requests).toEqual([]);
		expect(String(app.harness.world.notificationsFor(ana.id).pop()?.text)).toBe(`⚠️ Not delivered to WhatsApp: ${REFUSED}`);

		// An admin's connect check of another number sends nothing either.
		const setup = app.harness.addRoom({ name: 'setup-2', creator: app.harness.admin });
		await app.harness.command('whatsapp', ['connect'], { user: app.harness.admin, room: setup });
		const connect = await app.harness.viewSubmit({
			user: app.harness.admin,
			view: app.harness.lastView(app.harness.admin)!,
			state: {
				phoneNumberId: { phoneNumberId: '106540352249999' },
				wabaId: { wabaId: NUMBER.wabaId },
				accessToken: { accessToken: 'EAATESTTOKENOTHER' },
				appSecret: { appSecret: NUMBER.appSecret },
			},
		});
		// Said as it is, under the first field Meta would check (not "Meta's API could not be reached").
		expect(connect).toMatchObject({ success: false, type: 'errors', errors: { phoneNumberId: REFUSED } });

		expect(app.sim.requests).toEqual([]);
	});

	it('answers templateMessage 503 graph_base_url_refused (a dry run and a campaign too): nothing is called, nothing stored, no recipient told "may have been sent"', async () => {
		await app.harness.setSetting('graph_api_base_url', simUrl.replace('127.0.0.1', '0.0.0.0'));
		const records = app.harness.world.persistence.length;
		for (const extra of [{}, { dryRun: true }, { async: true }, { idempotencyKey: 'k-1' }]) {
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers: [CARLA],
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello', language: { code: 'en_US' } },
					...extra,
				},
				headers: ADMIN_AUTH,
			});
			expect(res).toEqual({ status: 503, body: { success: false, error: REFUSED, code: 'graph_base_url_refused' } });
		}
		expect(app.sim.requests).toEqual([]);
		expect(app.harness.world.persistence.length).toBe(records);
	});

	it('/whatsapp view-templates says the setting is refused (not that Meta could not be reached) and calls nothing', async () => {
		for (const value of ['http://example.com', 'https://user:secret@graph.facebook.com']) {
			await app.harness.setSetting('graph_api_base_url', value);
			await app.harness.command('whatsapp', ['view-templates'], { user: ana, room });
			expect(String(app.harness.world.notificationsFor(ana.id).pop()?.text)).toBe(REFUSED);
		}
		expect(app.sim.requests).toEqual([]);
	});

	it.each(['ftp://127.0.0.1', 'https://user:secret@graph.facebook.com', 'not a url'])('sends nothing with %p', async (value) => {
		await app.harness.setSetting('graph_api_base_url', value);
		await app.harness.userMessage({ user: ana, room, text: 'Hello Carla' });
		expect(String(app.harness.world.notificationsFor(ana.id).pop()?.text)).toBe(`⚠️ Not delivered to WhatsApp: ${REFUSED}`);
		expect(app.sim.requests).toEqual([]);
	});

	it('takes a loopback address as the URL parser reads it (127.1 is 127.0.0.1)', async () => {
		await app.harness.setSetting('graph_api_base_url', `${simUrl.replace('127.0.0.1', '127.1')}/`);
		await app.harness.userMessage({ user: ana, room, text: 'Hello Carla' });
		expect(app.sim.requestsTo('/messages').map((r) => (r.body as any).text?.body)).toEqual(['Hello Carla']);
		expect(app.harness.world.notificationsFor(ana.id)).toEqual([]);
	});
});
