/**
 * "Send from the app's runtime" to an https address whose certificate is of a private authority that
 * Rocket.Chat trusts (the harness's own, as one of NODE_EXTRA_CA_CERTS) and the app's runtime cannot
 * (Rocket.Chat passes its runtime no environment: README, "Sending from the app's runtime"). The
 * runtime refuses the certificate, so each send fails with nothing sent, on every engine; through
 * Rocket.Chat (the setting off) the same sends go.
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

const BODY = {
	phoneNumbers: ['5511999990001', '5511999990002'],
	connectedWhatsAppNo: NUMBER.phoneNumberId,
	template: { name: 'hello_world', language: { code: 'en_US' } },
};

describe("sending from the app's runtime to an https address of a private authority", () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp({ metaOverHttps: true });
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId);
	});
	afterEach(() => stopChecked(app));

	const send = async () => {
		const res = await callApi(app, 'templateMessage', { body: BODY, headers: ADMIN_AUTH });
		expect(res.status).toBe(200);
		return (res.body as { results: Array<{ phoneNumber: string; msId?: string; error?: { reason?: string; message?: string } }> })
			.results;
	};

	it('fails each send with nothing sent, where Rocket.Chat sends them', async () => {
		await app.harness.setSetting('send_from_runtime', true);
		// Said as a refused certificate, with where to turn: not as a network out of reach.
		const refused =
			"Meta's API could not be reached from this server: the TLS certificate shown for it was refused (not trusted, expired, not yet valid or for another name; check the server's clock too). If a proxy that inspects TLS, or an authority of your own, stands in between, Rocket.Chat must trust it (NODE_EXTRA_CA_CERTS); messages sent from the app's runtime cannot trust it at all: turn \"Send from the app's runtime\" off for them (README, \"Sending from the app's runtime\").";
		expect((await send()).map((r) => [r.phoneNumber, r.msId, r.error?.reason, r.error?.message])).toEqual([
			['5511999990001', undefined, 'unreachable', refused],
			['5511999990002', undefined, 'unreachable', refused],
		]);
		expect(app.sim.requestsTo('/messages')).toEqual([]);

		await app.harness.setSetting('send_from_runtime', false);
		expect((await send()).map((r) => [r.phoneNumber, typeof r.msId])).toEqual([
			['5511999990001', 'string'],
			['5511999990002', 'string'],
		]);
		expect(
			app.sim
				.requestsTo('/messages')
				.map((r) => [r.status, (r.body as { to: string }).to])
				.sort(),
		).toEqual([
			[200, '5511999990001'],
			[200, '5511999990002'],
		]);
	});
});
