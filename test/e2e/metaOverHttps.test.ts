/**
 * Meta's Graph API speaks https. Rocket.Chat's HTTP bridge makes an https call on Node's global
 * agent, which keeps the connection open for the next call, on every Rocket.Chat version (with no
 * proxy set: a proxy gets a new agent for each call); an http URL gets a new connection for every
 * call from Rocket.Chat 8.2 (engine 1.60), as server-fetch gives it a new agent each time
 * (tools/harness/rc/http.ts). The simulator answers over https here, with a
 * certificate of the harness's own authority, which its Rocket.Chat trusts as a server does one of
 * NODE_EXTRA_CA_CERTS.
 */
import { redirectModelOf } from '../../tools/harness/rc/http';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/** Meta's documented `hello_world` (`loadTemplateFixtures`). */
const TEMPLATE = { name: 'hello_world', language: { code: 'en_US' } };

async function sendOne(app: AppUnderTest, phoneNumber: string): Promise<string> {
	const res = await callApi(app, 'templateMessage', {
		body: { phoneNumbers: [phoneNumber], connectedWhatsAppNo: NUMBER.phoneNumberId, template: TEMPLATE },
		headers: ADMIN_AUTH,
	});
	expect(res.status).toBe(200);
	const [result] = (res.body as { results: Array<{ phoneNumber: string; msId?: string }> }).results;
	expect(result.msId).toMatch(/^wamid\./);
	return result.msId as string;
}

/** Two sends one after the other, through Rocket.Chat's bridge, and the connections Meta saw them come on. */
async function twoSends(app: AppUnderTest): Promise<number[]> {
	await connectNumber(app);
	app.sim.loadTemplateFixtures(NUMBER.wabaId);
	app.harness.world.httpCalls.length = 0;
	await sendOne(app, '5511999990001');
	await sendOne(app, '5511999990002');
	expect(app.harness.world.httpCalls.filter((c) => new URL(c.url).pathname.endsWith('/messages')).map((c) => c.method)).toEqual([
		'post',
		'post',
	]);
	const sends = app.sim.requestsTo('/messages');
	expect(sends.map((r) => [r.status, (r.body as { to: string }).to])).toEqual([
		[200, '5511999990001'],
		[200, '5511999990002'],
	]);
	return sends.map((r) => r.connection);
}

describe("Meta's API over https", () => {
	let app: AppUnderTest | undefined;

	afterEach(async () => {
		if (app) await stopChecked(app);
		app = undefined;
	});

	it('connects and sends through the bridge, the second send on the connection of the first', async () => {
		app = await startApp({ metaOverHttps: true });
		expect(app.sim.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
		const [first, second] = await twoSends(app);
		expect(second).toBe(first);
	});

	it('over http, from Rocket.Chat 8.2 every call gets a connection of its own (before, the global agent keeps it)', async () => {
		app = await startApp();
		expect(app.sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		const [first, second] = await twoSends(app);
		if (redirectModelOf() === 'manual') expect(second).not.toBe(first);
		else expect(second).toBe(first);
	});
});
