/** POST /api/apps/public/{appId}/templateMessage over real HTTP through the engine. */
import * as fs from 'fs';
import * as path from 'path';

import { engineAtLeast } from '../../tools/harness/engineVersion';
import { request } from '../../tools/http/client';
import { SimNumber } from '../../tools/sim/CloudApiSimulator';
import {
	ADMIN_AUTH,
	AppUnderTest,
	callApi,
	connectNumber,
	connectState,
	NUMBER,
	NUMBER_PROOF,
	startApp,
	stopChecked,
} from '../support/appUnderTest';
import { CONTRACTS_DIR } from '../support/metaSpec';
import { formFields, formMessage } from '../support/outboundForm';
import { until } from '../support/until';

const examples = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'rocketchat', 'templateMessage.request.examples.json'), 'utf8'));
const published = JSON.parse(
	fs.readFileSync(path.join(CONTRACTS_DIR, 'rocketchat', 'templateMessage.responses.developer-docs.json'), 'utf8'),
);

/** The approved template behind Rocket.Chat's published example ("ship", one body parameter). */
const SHIP = {
	id: '1',
	name: 'ship',
	language: 'en',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Your order ships in {{1}} days.' }],
};

function body(over: Record<string, unknown> = {}) {
	return { ...JSON.parse(JSON.stringify(examples['WhatsApp Cloud'])), connectedWhatsAppNo: NUMBER.phoneNumberId, ...over };
}

describe('templateMessage endpoint', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [SHIP, { ...SHIP, id: '2', language: 'pt_BR' }]);
	});
	afterEach(() => stopChecked(app));

	const sends = () => app.sim.requestsTo('/messages');
	/** The admin's `/whatsapp numbers` list (its view), and its Edit of NUMBER (the edit form's answer). */
	const numbersList = async () => {
		const admin = app.harness.admin;
		await app.harness.command('whatsapp', ['numbers'], {
			user: admin,
			room: app.harness.addRoom({ name: `admins-${Date.now()}`, creator: admin }),
		});
		return app.harness.openModal(admin)!.view;
	};
	const editNumber = (list: Record<string, unknown>) =>
		app.harness.blockAction({
			user: app.harness.admin,
			actionId: 'whatsapp-number-edit',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: list,
		});

	it("sends the published example and answers Rocket.Chat's shape plus per-recipient results", async () => {
		const res = await callApi(app, 'templateMessage', { body: body(), headers: ADMIN_AUTH });
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ success: true, results: [{ phoneNumber: '2368106035555', msId: expect.stringMatching(/^wamid\./) }] });
		expect(sends().map((r) => [r.method, r.path, r.query, r.headers.authorization, r.body])).toEqual([
			[
				'POST',
				`/v23.0/${NUMBER.phoneNumberId}/messages`,
				{ appsecret_proof: NUMBER_PROOF },
				`Bearer ${NUMBER.accessToken}`,
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '2368106035555',
					type: 'template',
					template: examples['WhatsApp Cloud'].template,
				},
			],
		]);
		expect(app.sim.sentMessages[0].wamid).toBe(res.body.results[0].msId);
	});

	it('sends when the Meta app requires the app secret\'s proof ("Require App Secret"): the template list and the send carry it', async () => {
		app.sim.requireAppSecretProof = true;
		const res = await callApi(app, 'templateMessage', { body: body(), headers: ADMIN_AUTH });
		expect(res.body).toEqual({ success: true, results: [{ phoneNumber: '2368106035555', msId: expect.stringMatching(/^wamid\./) }] });
		expect(app.sim.requests.map((r) => [r.method, r.path, r.query.appsecret_proof, r.status])).toEqual([
			['GET', `/v23.0/${NUMBER.wabaId}/message_templates`, NUMBER_PROOF, 200],
			['POST', `/v23.0/${NUMBER.phoneNumberId}/messages`, NUMBER_PROOF, 200],
		]);
	});

	it('sends without the proof from a number saved by an earlier version, says so in the list, and with it once an edit checked the secret', async () => {
		// The record as an earlier version saved it: no `appSecretProven`.
		const stored = () =>
			app.harness.world.persistence.find((r) => r.associations.some((a) => a.id === `whatsapp-number:${NUMBER.phoneNumberId}`))!;
		expect(stored().data).toMatchObject({ appSecretProven: true });
		const { appSecretProven: _proven, ...legacy } = stored().data as Record<string, unknown>;
		stored().data = legacy;
		expect((await callApi(app, 'templateMessage', { body: body(), headers: ADMIN_AUTH })).status).toBe(200);
		expect(app.sim.requests.map((r) => [r.path, r.query])).toEqual([
			[`/v23.0/${NUMBER.wabaId}/message_templates`, { limit: '250' }],
			[`/v23.0/${NUMBER.phoneNumberId}/messages`, {}],
		]);
		// Checked by stopChecked: every other call carries the proof.
		app.sim.requests.length = 0;

		const admin = app.harness.admin;
		const list = await numbersList();
		expect(JSON.stringify(list)).toContain("Calls to Meta for this number go without its app secret's proof (appsecret_proof)");
		expect(JSON.stringify(list)).toContain('it was saved by an earlier version of the app');
		// Edit and save, secrets left empty (kept): Meta is asked with the proof, and the number sends with it.
		const edit = await editNumber(list);
		const saved = await app.harness.viewSubmit({
			user: admin,
			view: edit.view,
			state: connectState({ phoneNumberId: NUMBER.phoneNumberId, wabaId: NUMBER.wabaId, accessToken: '', appSecret: '' }),
		});
		expect(JSON.stringify(saved.view)).toContain('Saved +1 555-078-3881');
		expect(JSON.stringify(saved.view)).not.toContain("go without its app secret's proof");
		expect(stored().data).toMatchObject({ appSecretProven: true });
		expect((await callApi(app, 'templateMessage', { body: body(), headers: ADMIN_AUTH })).status).toBe(200);
		expect(app.sim.requestsTo('/messages').map((r) => r.query)).toEqual([{ appsecret_proof: NUMBER_PROOF }]);
	});

	it('saves the edit of such a number whose token is of another Meta app than its secret as it was: still without the proof, still sending', async () => {
		// The token is of another Meta app than the secret that signs the number's webhooks (an earlier version took it so).
		app.sim.addNumber({ ...NUMBER, tokenAppSecret: 'ab'.repeat(16) });
		const stored = () =>
			app.harness.world.persistence.find((r) => r.associations.some((a) => a.id === `whatsapp-number:${NUMBER.phoneNumberId}`))!;
		const { appSecretProven: _proven, ...legacy } = stored().data as Record<string, unknown>;
		stored().data = legacy;
		const admin = app.harness.admin;
		const edit = await editNumber(await numbersList());
		const state = (values: Record<string, string>) =>
			connectState({
				phoneNumberId: NUMBER.phoneNumberId,
				wabaId: NUMBER.wabaId,
				accessToken: '',
				appSecret: '',
				welcomeMessage: 'Hi',
				...values,
			});
		const saved = await app.harness.viewSubmit({ user: admin, view: edit.view, state: state({}) });
		// Asked with the proof, refused; asked again without it, and saved as it was, the list still saying so.
		// (The first round's informing questions may still be under way: the refused checks do not wait for them.)
		await until(
			() => app.sim.requests.length === 8 && app.sim.requests.every((r) => r.status !== undefined),
			'eight answers from Meta',
		);
		expect(app.sim.requests.map((r) => [r.path, r.query.appsecret_proof === undefined, r.status]).sort()).toEqual(
			[
				[`/v23.0/${NUMBER.phoneNumberId}`, false, 400],
				[`/v23.0/${NUMBER.wabaId}/phone_numbers`, false, 400],
				[`/v23.0/${NUMBER.wabaId}/subscribed_apps`, false, 400],
				['/v23.0/debug_token', false, 400],
				[`/v23.0/${NUMBER.phoneNumberId}`, true, 200],
				[`/v23.0/${NUMBER.wabaId}/phone_numbers`, true, 200],
				[`/v23.0/${NUMBER.wabaId}/subscribed_apps`, true, 200],
				['/v23.0/debug_token', true, 200],
			].sort(),
		);
		expect(JSON.stringify(saved.view)).toContain('Saved +1 555-078-3881');
		expect(JSON.stringify(saved.view)).toContain('or Meta refused the proof with its access token');
		expect(stored().data).toMatchObject({ welcomeMessage: 'Hi' });
		expect((stored().data as Record<string, unknown>).appSecretProven).toBeUndefined();
		app.sim.requests.length = 0;
		expect((await callApi(app, 'templateMessage', { body: body(), headers: ADMIN_AUTH })).status).toBe(200);
		expect(app.sim.requestsTo('/messages').map((r) => r.query)).toEqual([{}]);
		// A secret typed in the edit is checked with its proof only: Meta's refusal is said under it.
		const again = await editNumber(await numbersList());
		const refused = await app.harness.viewSubmit({ user: admin, view: again.view, state: state({ appSecret: NUMBER.appSecret }) });
		expect(refused.errors).toEqual({
			appSecret:
				'Meta refused the app secret with this access token: they are of two different Meta apps, or the secret is mistyped. Use the app secret (Meta App Dashboard > App settings > Basic) of the app the token was generated for, the app whose webhook you set.',
		});
		app.sim.requests.length = 0;
	});

	it('accepts the display number with or without + as connectedWhatsAppNo', async () => {
		for (const display of ['+1 555-078-3881', '15550783881']) {
			const res = await callApi(app, 'templateMessage', { body: body({ connectedWhatsAppNo: display }), headers: ADMIN_AUTH });
			expect(res.status).toBe(200);
		}
		expect(sends()).toHaveLength(2);
	});

	it('answers 401 without Rocket.Chat auth and 403 without a permitted role, sending nothing', async () => {
		expect(await callApi(app, 'templateMessage', { body: body() })).toEqual({
			status: 401,
			body: { status: 'error', message: 'You must be logged in to do this.' },
		});
		app.harness.addUser({ username: 'agent', roles: ['user', 'livechat-agent'], authToken: 'agent-token' });
		expect(
			await callApi(app, 'templateMessage', { body: body(), headers: { 'X-User-Id': 'user-agent', 'X-Auth-Token': 'agent-token' } }),
		).toEqual({
			status: 403,
			body: {
				success: false,
				error: 'User does not have the permissions required for this action [error-unauthorized]',
				code: 'forbidden',
			},
		});
		expect(sends()).toEqual([]);
	});

	it.each([
		['a missing connectedWhatsAppNo', { connectedWhatsAppNo: undefined }, published['400'][3].error, 'missing_connected_number'],
		[
			'251 numbers',
			{ phoneNumbers: Array.from({ length: 251 }, (_, i) => `1555000${String(i).padStart(4, '0')}`) },
			published['400'][0].error,
			'too_many_phone_numbers',
		],
		['an unknown agent', { targetAgent: 'abc98' }, published['400'][1].error, 'agent_not_found'],
		['a user who is no livechat agent', { targetAgent: 'admin' }, 'No Agent found with username admin', 'agent_not_found'],
		['an unknown department', { targetDepartment: 'SalesDepartment' }, published['400'][2].error, 'department_not_found'],
		[
			'a number not connected',
			{ connectedWhatsAppNo: '565412001234' },
			expect.stringMatching(
				/^Error! Connected WhatsApp Number \(connectedWhatsAppNo\) i\.e\. 565412001234 has not been registered yet on Rocket\.Chat\./,
			),
			'number_not_connected',
		],
		[
			'a template without name',
			{ template: { language: { code: 'en' } } },
			'Invalid field "template.name": expected a non-empty string.',
			'field_type',
		],
		[
			'a connectedWhatsAppNo over 64 characters (its limit named, not a wrong type)',
			{ connectedWhatsAppNo: '1'.repeat(65) },
			'Invalid field "connectedWhatsAppNo": at most 64 characters (the request gives 65).',
			'field_too_long',
		],
		[
			'a phone number over 140 characters',
			{ phoneNumbers: ['15550000001', '2'.repeat(141)] },
			'Invalid field "phoneNumbers[1]": at most 140 characters (the request gives 141).',
			'field_too_long',
		],
	])('answers 400 for %s with the published message and a stable code, sending nothing', async (_what, over, error, code) => {
		const res = await callApi(app, 'templateMessage', { body: body(over), headers: ADMIN_AUTH });
		expect(res).toEqual({ status: 400, body: { success: false, error, code } });
		expect(sends()).toEqual([]);
	});

	it("answers a request too slow for the number's send rate with 400 and the code request_too_slow, sending nothing", async () => {
		await app.harness.setSetting('send_rate_per_second', 5);
		const phoneNumbers = Array.from({ length: 250 }, (_, i) => `1555000${String(i).padStart(4, '0')}`);
		const res = await callApi(app, 'templateMessage', { body: body({ phoneNumbers }), headers: ADMIN_AUTH });
		expect(res).toEqual({
			status: 400,
			body: {
				success: false,
				error: '250 recipients cannot all be sent within one request at 5 messages per second from this number (the server ends a request after 30 seconds). Nothing was sent. Send fewer recipients per request, or use campaign mode ("async": true).',
				code: 'request_too_slow',
			},
		});
		expect(sends()).toEqual([]);
	});

	it('reports invalid numbers in invalidContacts without asking Meta, and sends duplicates once', async () => {
		const res = await callApi(app, 'templateMessage', {
			body: body({ phoneNumbers: ['+55 11 98765-4321', 'not-a-number', '5511987654321', '123'] }),
			headers: ADMIN_AUTH,
		});
		expect(res.body).toEqual({
			success: true,
			invalidContacts: ['not-a-number', '123'],
			results: [{ phoneNumber: '5511987654321', msId: expect.any(String) }],
		});
		expect(sends().map((r) => (r.body as { to: string }).to)).toEqual(['5511987654321']);
	});

	it("reports Meta's error per recipient", async () => {
		app.sim.injectError(NUMBER.phoneNumberId, { code: 131026, match: (b) => b.to === '15550000002' });
		const res = await callApi(app, 'templateMessage', {
			body: body({ phoneNumbers: ['15550000001', '15550000002'] }),
			headers: ADMIN_AUTH,
		});
		expect(res.body.results).toEqual([
			{ phoneNumber: '15550000001', msId: expect.any(String) },
			{
				phoneNumber: '15550000002',
				error: {
					code: 131026,
					message: 'WhatsApp refused this message (error 131026).',
					reason: 'refused',
					// Meta's error_data.details (the simulator's: Meta's error table's meaning).
					details: 'Unable to deliver (not a WhatsApp number, ToS not accepted, old client, blocked, quality)',
				},
			},
		]);
	});

	it('stops at a refusal every recipient would get (an expired token, 190): the sends not started fail with it, and Meta is not asked again for each', async () => {
		await app.harness.setSetting('send_rate_per_second', 5);
		app.sim.injectError(NUMBER.phoneNumberId, { code: 190, count: 1000 });
		const numbers = Array.from({ length: 20 }, (_, i) => `155500000${String(i).padStart(2, '0')}`);
		const res = await callApi(app, 'templateMessage', { body: body({ phoneNumbers: numbers }), headers: ADMIN_AUTH });
		expect(res.status).toBe(200);
		expect(res.body.results).toHaveLength(20);
		for (const result of res.body.results) expect(result).toMatchObject({ error: { code: 190, reason: 'refused' } });
		// The pace lets a few start at once (its catch-up burst): those before Meta's first answer, and no more.
		expect(sends().length).toBeGreaterThan(0);
		expect(sends().length).toBeLessThanOrEqual(5);
	});

	it('rides out a 130429 storm: every recipient is sent exactly once', async () => {
		app.sim.injectError(NUMBER.phoneNumberId, { code: 130429, count: 2 });
		const numbers = ['15550000001', '15550000002', '15550000003'];
		const res = await callApi(app, 'templateMessage', { body: body({ phoneNumbers: numbers }), headers: ADMIN_AUTH });
		expect(res.body.results.map((r: { msId?: string }) => Boolean(r.msId))).toEqual([true, true, true]);
		expect(app.sim.sentMessages.map((m) => m.body.to).sort()).toEqual(numbers);
	});

	it('replays an idempotent request without sending again, and refuses the key with another body', async () => {
		const first = await callApi(app, 'templateMessage', { body: body({ idempotencyKey: 'order-42' }), headers: ADMIN_AUTH });
		const again = await callApi(app, 'templateMessage', { body: body({ idempotencyKey: 'order-42' }), headers: ADMIN_AUTH });
		expect(again).toEqual({ status: 200, body: { ...first.body, replayed: true } });
		expect(sends()).toHaveLength(1);
		const other = await callApi(app, 'templateMessage', {
			body: body({ idempotencyKey: 'order-42', phoneNumbers: ['15550000009'] }),
			headers: ADMIN_AUTH,
		});
		expect(other).toEqual({ status: 409, body: { success: false, error: expect.any(String), code: 'idempotency_conflict' } });
		expect(sends()).toHaveLength(1);
	});

	it('refuses a template that is not approved in that language, or the wrong parameters, naming them', async () => {
		const notApproved = await callApi(app, 'templateMessage', {
			body: body({ template: { name: 'ship', language: { code: 'es' } } }),
			headers: ADMIN_AUTH,
		});
		expect(notApproved).toEqual({
			status: 400,
			body: {
				success: false,
				error: 'Template "ship" is not an approved template of this number in language "es".',
				code: 'template_not_approved',
			},
		});
		const noParams = await callApi(app, 'templateMessage', {
			body: body({ template: { name: 'ship', language: { code: 'en' } } }),
			headers: ADMIN_AUTH,
		});
		expect(noParams).toEqual({
			status: 400,
			body: {
				success: false,
				error: 'template.components: the body of this template takes 1 parameter(s); the request gives 0.',
				code: 'template_params',
			},
		});
		expect(sends()).toEqual([]);
	});

	it('answers 400 naming a null parameter and sends nothing (it was sent, then answered 500)', async () => {
		const res = await callApi(app, 'templateMessage', {
			body: body({ template: { name: 'ship', language: { code: 'en' }, components: [{ type: 'body', parameters: [null] }] } }),
			headers: ADMIN_AUTH,
		});
		expect(res).toEqual({
			status: 400,
			body: { success: false, error: 'Invalid template.components[0].parameters[0]: expected an object.', code: 'component_field' },
		});
		// In the caller's language, every word of it: the one its Accept-Language prefers most that the app has.
		const spanish = await callApi(app, 'templateMessage', {
			body: body({ template: { name: 'ship', language: { code: 'en' }, components: [{ type: 'body', parameters: [null] }] } }),
			headers: { ...ADMIN_AUTH, 'Accept-Language': 'fr, es;q=0.9, en;q=0.5' },
		});
		expect(spanish).toEqual({
			status: 400,
			// The code stays the same in every language.
			body: {
				success: false,
				error: 'template.components[0].parameters[0] no válido: se esperaba un objeto.',
				code: 'component_field',
			},
		});
		expect(sends()).toEqual([]);
		app.harness.assertNoAppErrors();
	});

	it.each([
		['not an array', 'body', 'Invalid field "template.components": expected an array of objects.', 'field_type'],
		['a null component', [null], 'Invalid field "template.components": expected an array of objects.', 'field_type'],
		[
			'21 components (its limit named, not a wrong type)',
			Array.from({ length: 21 }, () => ({ type: 'body', parameters: [{ type: 'text', text: '2' }] })),
			'Invalid field "template.components": at most 20 items (the request gives 21).',
			'field_too_many',
		],
		[
			'a null parameter',
			[{ type: 'body', parameters: [null] }],
			'Invalid template.components[0].parameters[0]: expected an object.',
			'component_field',
		],
		[
			'a component without a type',
			[{ parameters: [{ type: 'text', text: '2' }] }],
			'Invalid template.components[0].type: expected one of "header", "body", "button".',
			'component_field',
		],
		[
			'parameters not an array',
			[{ type: 'body', parameters: 'x' }],
			'Invalid template.components[0].parameters: expected an array of parameters.',
			'component_field',
		],
		[
			'a text parameter without text',
			[{ type: 'body', parameters: [{ type: 'text' }] }],
			'Invalid template.components[0].parameters[0].text: expected a non-empty string.',
			'component_field',
		],
		[
			'an image in the body',
			[{ type: 'body', parameters: [{ type: 'image', image: { link: 'https://example.com/a.jpg' } }] }],
			'Invalid template.components[0].parameters[0].type: expected one of "text", "currency", "date_time".',
			'component_field',
		],
		[
			'an empty header on a template without one',
			[
				{ type: 'header', parameters: [] },
				{ type: 'body', parameters: [{ type: 'text', text: '2' }] },
			],
			'template.components[0]: this template has no header that takes parameters.',
			'component_unexpected',
		],
	])(
		'answers 400 for malformed components (%s), at once and as a campaign, and sends nothing',
		async (_case, components, error, code) => {
			const template = { name: 'ship', language: { code: 'en' }, components };
			for (const extra of [{}, { async: true }]) {
				const res = await callApi(app, 'templateMessage', { body: body({ template, ...extra }), headers: ADMIN_AUTH });
				expect(res).toEqual({ status: 400, body: { success: false, error, code } });
			}
			await app.harness.scheduler.runDue();
			expect(sends()).toEqual([]);
			app.harness.assertNoAppErrors();
		},
	);

	it('answers 400 for a line break in a body parameter, and for a footer component, sending nothing', async () => {
		const lineBreak = await callApi(app, 'templateMessage', {
			body: body({
				template: {
					name: 'ship',
					language: { code: 'en' },
					components: [{ type: 'body', parameters: [{ type: 'text', text: '2\n3' }] }],
				},
			}),
			headers: ADMIN_AUTH,
		});
		expect(lineBreak).toEqual({
			status: 400,
			body: {
				success: false,
				error: 'template.components[0].parameters[0].text: WhatsApp refuses line breaks, tabs and more than 4 consecutive spaces in a parameter.',
				code: 'parameter_whitespace',
			},
		});
		const footer = await callApi(app, 'templateMessage', {
			body: body({
				template: {
					name: 'ship',
					language: { code: 'en' },
					components: [
						{ type: 'body', parameters: [{ type: 'text', text: '2' }] },
						{ type: 'footer', parameters: [{ type: 'text', text: 'x' }] },
					],
				},
			}),
			headers: ADMIN_AUTH,
		});
		expect(footer).toEqual({
			status: 400,
			body: {
				success: false,
				error: 'template.components[1]: this template has no footer that takes parameters.',
				code: 'component_unexpected',
			},
		});
		expect(sends()).toEqual([]);
	});

	it('records the text the recipient reads for the status pipeline', async () => {
		await callApi(app, 'templateMessage', { body: body(), headers: ADMIN_AUTH });
		const record = app.harness.world.persistence.map((r) => r.data as Record<string, unknown>).find((d) => d.templateName === 'ship');
		expect(record?.message).toBe('Your order ships in 20 days.');
	});

	it('validates without sending on dryRun', async () => {
		const res = await callApi(app, 'templateMessage', {
			body: body({ dryRun: true, phoneNumbers: ['15550000001', 'x'] }),
			headers: ADMIN_AUTH,
		});
		expect(res.body).toEqual({ success: true, dryRun: true, invalidContacts: ['x'], results: [{ phoneNumber: '15550000001' }] });
		expect(sends()).toEqual([]);
	});

	it('answers malformed JSON with 400 before the app', async () => {
		const res = await callApi(app, 'templateMessage', { raw: '{"phoneNumbers": [', headers: ADMIN_AUTH });
		expect(res.status).toBe(400);
		expect(sends()).toEqual([]);
	});

	it("registers as Rocket.Chat's native outbound phone provider from engine 1.55 (Rocket.Chat 7.10): templates listed, sends through the same path", async () => {
		if (!engineAtLeast('1.55.0')) {
			// Older engines have no outbound communication (src/adapters/engine/newerApis.ts): the app
			// enables without registering a provider, and templateMessage (above) is the way to send.
			expect(app.harness.bridges.outboundProviders).toEqual([]);
			expect((app.harness.manager as unknown as Record<string, unknown>).getOutboundCommunicationProviderManager).toBeUndefined();
			expect(app.harness.bridges.apis.map((a) => a.path).sort()).toEqual(['campaign', 'templateMessage', 'webhook']);
			return;
		}
		expect(app.harness.bridges.outboundProviders).toEqual([
			expect.objectContaining({ name: 'WhatsApp Business', type: 'phone', appId: app.harness.appId }),
		]);
		// A second number whose token Meta no longer takes (renewed in Meta's console since it was connected):
		// its templates are left out, and the app's log says which number; the first number's are listed.
		const expired: SimNumber = {
			...NUMBER,
			phoneNumberId: '106540352242944',
			wabaId: '102290129340444',
			displayPhoneNumber: '+1 555-078-4444',
			verifiedName: 'Acme Expired',
			accessToken: 'EAATESTTOKENEXPIRED01',
		};
		await connectNumber(app, expired);
		app.sim.addNumber({ ...expired, accessToken: 'EAATESTTOKENRENEWED01' });
		const outbound = app.harness.manager.getOutboundCommunicationProviderManager();
		const metadata: any = await outbound.getProviderMetadata(app.harness.appId, 'phone'); // eslint-disable-line @typescript-eslint/no-explicit-any
		expect(Object.keys(metadata.templates)).toEqual(['+15550783881']);
		expect(app.harness.logs.filter((l) => l.severity === 'warning').map((l) => String(l.args[0]))).toContain(
			'templates of number 106540352242944 not listed: Graph API error 190',
		);
		expect(JSON.stringify(app.harness.logs)).not.toContain('EAATESTTOKEN');
		// The simulator knows the token the app holds again, so that stopChecked's scan for secrets looks for it too.
		app.sim.addNumber(expired);
		expect(metadata).toMatchObject({
			providerId: app.harness.appId,
			providerName: 'WhatsApp Business',
			providerType: 'phone',
			supportsTemplates: true,
		});
		expect(metadata.templates['+15550783881'].map((t: { name: string; language: string }) => `${t.name}/${t.language}`)).toEqual([
			'ship/en',
			'ship/pt_BR',
		]);
		expect(metadata.templates['+15550783881'][0]).toMatchObject({
			status: 'approved',
			phoneNumber: '+15550783881',
			wabaAccountId: NUMBER.wabaId,
			components: [{ type: 'body', text: 'Your order ships in {{1}} days.' }],
		});

		await outbound.sendOutboundMessage(app.harness.appId, 'phone', {
			to: '+55 11 98765-4321',
			type: 'template',
			templateProviderPhoneNumber: '+15550783881',
			template: { name: 'ship', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '3' }] }] },
		} as never);
		expect(sends().map((r) => r.body)).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'template',
				template: {
					name: 'ship',
					language: { code: 'en' },
					components: [{ type: 'body', parameters: [{ type: 'text', text: '3' }] }],
				},
			},
		]);

		// A refused send says why in the workspace's language (the admin chose Spanish), and sends nothing.
		app.harness.world.serverSettings.set('Language', 'es');
		try {
			await expect(
				outbound.sendOutboundMessage(app.harness.appId, 'phone', {
					to: '+55 11 98765-4321',
					type: 'template',
					templateProviderPhoneNumber: '+19995550000',
					template: { name: 'ship', language: { code: 'en' }, components: [] },
				} as never),
			).rejects.toMatchObject({
				// The engine wraps it in its AppOutboundProcessError, which names the method.
				message: expect.stringContaining(
					'¡Error! El número de WhatsApp conectado (connectedWhatsAppNo) +19995550000 aún no se ha registrado',
				),
			});
		} finally {
			app.harness.world.serverSettings.set('Language', 'en');
		}
		expect(sends()).toHaveLength(1);
	});

	it("sends what Rocket.Chat's outbound form posts for a listed template, in Meta's shape, and lists only templates the form can fill", async () => {
		if (!engineAtLeast('1.55.0')) return; // no outbound provider before Rocket.Chat 7.10 (test above)
		// Meta's documented template list: an image header, a named body, a footer and buttons without parameters.
		const listedByMeta = JSON.parse(
			fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs', 'templates-list-default-fields.response.json'), 'utf8'),
		).data;
		const reservation = listedByMeta.find((t: { name: string }) => t.name === 'reservation_confirmation');
		const promo = {
			id: '7',
			name: 'promo',
			language: 'en_US',
			status: 'APPROVED',
			category: 'MARKETING',
			components: [
				{ type: 'BODY', text: 'Hi {{1}}, see our deals.' },
				{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Deals', url: 'https://shop.example.com/d/{{1}}' }] },
			],
		};
		app.sim.setTemplates(NUMBER.wabaId, [SHIP, reservation, promo]);
		const outbound = app.harness.manager.getOutboundCommunicationProviderManager();
		const metadata: any = await outbound.getProviderMetadata(app.harness.appId, 'phone'); // eslint-disable-line @typescript-eslint/no-explicit-any
		// The promo's URL button needs its suffix, which the form has no field for: not listed (the modal and the API send it).
		const list = metadata.templates['+15550783881'];
		expect(list.map((t: { name: string }) => t.name)).toEqual(['ship', 'reservation_confirmation']);
		const listed = list[1];
		// What an agent fills in the form, and the message the form posts (test/support/outboundForm.ts).
		expect(formFields(listed.components).map((f) => f.id)).toEqual([
			'header.mediaUrl',
			'body.{{number_of_guests}}',
			'body.{{day}}',
			'body.{{date}}',
			'body.{{time}}',
		]);
		const message = formMessage({
			name: listed.name,
			language: listed.language,
			components: listed.components,
			to: '+55 11 98765-4321',
			sender: '+15550783881',
			values: {
				'header.mediaUrl': 'https://cdn.example.com/table.jpg',
				'body.{{number_of_guests}}': '4',
				'body.{{day}}': 'Saturday',
				'body.{{date}}': 'August 30th, 2025',
				'body.{{time}}': '7:30 pm',
			},
		});
		expect((message.template as { components: unknown }).components).toEqual([
			{ type: 'header', parameters: [{ type: 'media', link: 'https://cdn.example.com/table.jpg', format: 'image' }] },
			{ type: 'body', parameters: ['4', 'Saturday', 'August 30th, 2025', '7:30 pm'].map((text) => ({ type: 'text', text })) },
			{ type: 'footer', parameters: [] },
		]);
		await outbound.sendOutboundMessage(app.harness.appId, 'phone', message as never);
		expect(sends().map((r) => r.body)).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: '5511987654321',
				type: 'template',
				template: {
					name: 'reservation_confirmation',
					language: { code: 'en_US' },
					components: [
						{ type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/table.jpg' } }] },
						{
							type: 'body',
							parameters: [
								{ type: 'text', text: '4', parameter_name: 'number_of_guests' },
								{ type: 'text', text: 'Saturday', parameter_name: 'day' },
								{ type: 'text', text: 'August 30th, 2025', parameter_name: 'date' },
								{ type: 'text', text: '7:30 pm', parameter_name: 'time' },
							],
						},
					],
				},
			},
		]);
		const record = app.harness.world.persistence
			.map((r) => r.data as Record<string, unknown>)
			.find((d) => d.templateName === 'reservation_confirmation');
		expect(record?.message).toContain('Your reservation for 4 at Lucky Shrub Eatery on Saturday, August 30th, 2025, at 7:30 pm');
		// A message without a template (Rocket.Chat's endpoint requires little of its body) is refused with words, not a TypeError.
		await expect(
			outbound.sendOutboundMessage(app.harness.appId, 'phone', {
				to: '+55 11 98765-4321',
				type: 'template',
				templateProviderPhoneNumber: '+15550783881',
			} as never),
		).rejects.toMatchObject({ message: expect.stringContaining('Invalid field "template": expected an object.') });
		expect(sends()).toHaveLength(1);
	});

	it("sends components the check read in any case in Meta's spelling: type and sub_type in lower case, a button's index a string, the rest as given", async () => {
		// Meta's spec lists component types and button sub_types in lower case only, and types a button's index a string.
		const reply = {
			id: '3',
			name: 'ship_reply',
			language: 'en',
			status: 'APPROVED',
			category: 'UTILITY',
			components: [
				{ type: 'BODY', text: 'Your order ships in {{1}} days.' },
				{ type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }] },
			],
		};
		app.sim.setTemplates(NUMBER.wabaId, [SHIP, reply]);
		const given = () => [
			{ type: 'BODY', parameters: [{ type: 'text', text: '3' }] },
			{ parameters: [{ payload: 'STOP', type: 'payload' }], index: 0, sub_type: 'QUICK_REPLY', type: 'Button' },
		];
		const sent = {
			name: 'ship_reply',
			language: { code: 'en' },
			components: [
				{ type: 'body', parameters: [{ type: 'text', text: '3' }] },
				{ parameters: [{ payload: 'STOP', type: 'payload' }], index: '0', sub_type: 'quick_reply', type: 'button' },
			],
		};
		const res = await callApi(app, 'templateMessage', {
			body: body({ template: { name: 'ship_reply', language: { code: 'en' }, components: given() } }),
			headers: ADMIN_AUTH,
		});
		expect(res).toEqual({
			status: 200,
			body: { success: true, results: [{ phoneNumber: '2368106035555', msId: expect.stringMatching(/^wamid\./) }] },
		});
		// The same as a campaign, sent by the jobs.
		const campaign = await callApi(app, 'templateMessage', {
			body: body({
				phoneNumbers: ['15550000001'],
				async: true,
				template: { name: 'ship_reply', language: { code: 'en' }, components: given() },
			}),
			headers: ADMIN_AUTH,
		});
		expect(campaign.status).toBe(202);
		await app.harness.scheduler.runDue();
		expect(sends().map((r) => [(r.body as { to: string }).to, JSON.stringify((r.body as { template: unknown }).template)])).toEqual([
			['2368106035555', JSON.stringify(sent)],
			['15550000001', JSON.stringify(sent)],
		]);
		expect(app.sim.sentMessages).toHaveLength(2);
		expect(app.sim.violations).toEqual([]);
	});

	it('runs a dry run with the key of an earlier send as a dry run, sending and storing nothing; the send with the key still replays', async () => {
		const first = await callApi(app, 'templateMessage', { body: body({ idempotencyKey: 'order-43' }), headers: ADMIN_AUTH });
		expect(first.body.results[0].msId).toEqual(expect.stringMatching(/^wamid\./));
		for (const over of [{}, { phoneNumbers: ['15550000009'] }]) {
			const dry = await callApi(app, 'templateMessage', {
				body: body({ idempotencyKey: 'order-43', dryRun: true, ...over }),
				headers: ADMIN_AUTH,
			});
			const phoneNumber = 'phoneNumbers' in over ? '15550000009' : '2368106035555';
			expect(dry).toEqual({ status: 200, body: { success: true, dryRun: true, results: [{ phoneNumber }] } });
		}
		expect(sends()).toHaveLength(1);
		const again = await callApi(app, 'templateMessage', { body: body({ idempotencyKey: 'order-43' }), headers: ADMIN_AUTH });
		expect(again).toEqual({ status: 200, body: { ...first.body, replayed: true } });
		// A dry run stores nothing under its key: the first send with a key only a dry run used sends.
		await callApi(app, 'templateMessage', { body: body({ idempotencyKey: 'order-44', dryRun: true }), headers: ADMIN_AUTH });
		const fresh = await callApi(app, 'templateMessage', { body: body({ idempotencyKey: 'order-44' }), headers: ADMIN_AUTH });
		expect(fresh.body).toEqual({ success: true, results: [{ phoneNumber: '2368106035555', msId: expect.any(String) }] });
		expect(sends()).toHaveLength(2);
	});

	it('answers a body not sent as application/json with 415 and what to send, sending nothing (curl -d without a Content-Type)', async () => {
		const raw = JSON.stringify(body());
		const post = (headers: Record<string, string>) =>
			request(app.http.endpointUrl('templateMessage'), { method: 'POST', headers: { ...ADMIN_AUTH, ...headers }, raw });
		const expected = {
			success: false,
			error: 'Send the request body as JSON, with the header Content-Type: application/json. Rocket.Chat passes any other body to the app as form fields or as nothing.',
			code: 'content_type',
		};
		// Rocket.Chat parses a form body into fields (the whole JSON as one key) and anything else into {}.
		for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/vnd.api+json']) {
			const res = await post({ 'Content-Type': type });
			expect({ status: res.status, body: res.body }).toEqual({ status: 415, body: expected });
		}
		expect(sends()).toEqual([]);
		const json = await post({ 'Content-Type': 'application/json; charset=utf-8' });
		expect(json.status).toBe(200);
		expect(sends()).toHaveLength(1);
	});
});
