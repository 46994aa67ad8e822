/**
 * Fuzzing the `/whatsapp send-template` modal's submit through the engine: 2,000 view states a
 * client could send (random, absent, huge or wrong-typed template, language, number, recipient,
 * department and parameters; unknown block ids; other view ids), each answered with field errors or
 * success (or, for a view other than the open modal, a refusal), never an exception; nothing
 * reaches Meta unless the state was a valid send.
 *
 * The submits go to the app as Rocket.Chat's server hands them over (the UIKit interaction
 * listener), not through the harness's client model: a client is not bound to send the state of the
 * modal it shows, or the id of a modal it has open.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { AppInterface } from '@rocket.chat/apps-engine/definition/metadata/AppInterface';
import { UIKitIncomingInteractionType } from '@rocket.chat/apps-engine/definition/uikit/IUIKitIncomingInteraction';

import { fieldKey } from '../../src/core/app/sendTemplateModal';
import { inputsFor } from '../../src/core/templates/inputs';
import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { chance, fuzzReport, HUGE_STRING, int, junk, pick, prng, Rand } from '../support/fuzz';
import { CONTRACTS_DIR } from '../support/metaSpec';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const SEED = 20261202;
const COUNT = 2000;

const listed = JSON.parse(
	fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs', 'templates-list-default-fields.response.json'), 'utf8'),
).data;
const T = (name: string, language: string, components: Any[], extra: Record<string, unknown> = {}) => ({
	id: `${name}-${language}`,
	name,
	language,
	status: 'APPROVED',
	category: 'UTILITY',
	components,
	...extra,
});
const TEMPLATES = [
	...listed, // reservation_confirmation (image header, named body), coupon_expiration_reminder_number_vars (text header, positional body)
	T('invoice', 'en_US', [
		{ type: 'HEADER', format: 'DOCUMENT' },
		{ type: 'BODY', text: 'Your invoice {{1}} is attached.' },
	]),
	T('invoice', 'pt_BR', [
		{ type: 'HEADER', format: 'DOCUMENT' },
		{ type: 'BODY', text: 'Segue sua fatura {{1}}.' },
	]),
	T('pickup', 'en_US', [
		{ type: 'HEADER', format: 'LOCATION' },
		{ type: 'BODY', text: 'Order {{1}} is ready.' },
	]),
	T(
		'offer',
		'en_US',
		[
			{ type: 'BODY', text: 'Hi {{1}}!' },
			{
				type: 'BUTTONS',
				buttons: [
					{ type: 'COPY_CODE', example: ['SAVE10'] },
					{ type: 'URL', text: 'Book', url: 'https://example.com/o/{{1}}', example: ['https://example.com/o/abc'] },
				],
			},
		],
		{ category: 'MARKETING' },
	),
	T(
		'verification_code',
		'en_US',
		[
			{ type: 'BODY', text: '{{1}} is your verification code.' },
			{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
		],
		{ category: 'AUTHENTICATION' },
	),
	T('paused_one', 'en_US', [{ type: 'BODY', text: 'x' }], { status: 'PAUSED' }),
];

/** Valid values of each template's inputs (as test/e2e/sendTemplate.test.ts sends them). */
const VALUES: Record<string, Record<string, string>> = {
	reservation_confirmation: {
		'header.link': 'https://example.com/r.jpg',
		'body.number_of_guests': '4',
		'body.day': 'Saturday',
		'body.date': 'August 30th',
		'body.time': '7:30 pm',
	},
	coupon_expiration_reminder_number_vars: { 'header.1': 'Pablo', 'body.1': 'SUMMER20', 'body.2': '10' },
	invoice: { 'header.link': 'https://example.com/i.pdf', 'header.filename': 'invoice.pdf', 'body.1': 'INV-7' },
	pickup: {
		'header.latitude': '37.44',
		'header.longitude': '-122.16',
		'header.name': 'Philz Coffee',
		'header.address': '101 Forest Ave',
		'body.1': 'A-1',
	},
	offer: { 'body.1': 'Ana', 'button.0.coupon': 'SAVE10', 'button.1.url': 'abc' },
	verification_code: { 'body.1': '482913' },
};
/** The block (and action) id of input `id` of `template`: src/core/app/sendTemplateModal.ts `fieldKey`. */
function paramOf(template: string, id: string): string {
	const definition = TEMPLATES.find((t: Any) => t.name === template);
	const input = inputsFor(definition).find((i) => i.id === id);
	return `param:${input ? fieldKey(NUMBER.phoneNumberId, definition, input) : id}`;
}
const LANGUAGES: Record<string, string[]> = {
	reservation_confirmation: ['en_US'],
	coupon_expiration_reminder_number_vars: ['en'],
	invoice: ['en_US', 'pt_BR'],
	pickup: ['en_US'],
	offer: ['en_US'],
	verification_code: ['en_US'],
};

/** A value a client could put in a field: mostly a plausible one, else anything. */
function fieldValue(rand: Rand, plausible: readonly string[]): unknown {
	if (chance(rand, 0.6)) return pick(rand, plausible);
	return pick(rand, [
		junk(rand, 5),
		'',
		' ',
		HUGE_STRING,
		null,
		42,
		['a'],
		{ value: pick(rand, plausible) },
		'a\nb',
		'\u0000',
		pick(rand, plausible).toUpperCase(),
	]);
}

/** A view state `{ [blockId]: { [actionId]: value } }`, or not even that. */
function randomState(rand: Rand, askRecipient: boolean): { state: unknown; template?: string; complete: boolean } {
	if (chance(rand, 0.04)) return { state: pick(rand, [null, 'state', 7, [], [{}], HUGE_STRING, junk(rand, 5)]), complete: false };
	const state: Record<string, unknown> = {};
	const put = (blockId: string, value: unknown, actionId = blockId) => {
		// Sometimes the block holds no object of actions, or names another action.
		state[blockId] = chance(rand, 0.03) ? junk(rand, 3) : { [chance(rand, 0.03) ? `${actionId}-other` : actionId]: value };
	};
	const template = chance(rand, 0.85) ? pick(rand, Object.keys(VALUES)) : undefined;
	let complete = template !== undefined;
	if (template && chance(rand, 0.9)) put('send-template', template);
	else if (chance(rand, 0.5)) put('send-template', fieldValue(rand, ['paused_one', 'no_such_template', 'INVOICE', '']));
	if (template && chance(rand, 0.5))
		put(`send-language:${NUMBER.phoneNumberId}:${template}`, fieldValue(rand, [...LANGUAGES[template], 'xx_XX']));
	if (chance(rand, 0.15))
		put(
			`send-language:${pick(rand, ['999', NUMBER.phoneNumberId, ''])}:${pick(rand, ['invoice', 'nope', ''])}`,
			fieldValue(rand, ['en_US', 'pt_BR']),
		);
	if (chance(rand, 0.2)) put('send-number', fieldValue(rand, [NUMBER.phoneNumberId, '999999999', '']));
	if (askRecipient || chance(rand, 0.2)) put('send-recipient', fieldValue(rand, ['+55 21 99999-0000', '5521999990001', '12', '']));
	if (askRecipient || chance(rand, 0.2)) put('send-department', fieldValue(rand, ['Sales', 'dept-sales', 'No Such Department', '']));
	for (const [id, value] of Object.entries(template ? VALUES[template] : {})) {
		const roll = rand();
		if (roll < 0.75) put(paramOf(template as string, id), value);
		else if (roll < 0.85)
			complete = false; // absent: the draft's value (empty) stands
		else {
			complete = false;
			put(paramOf(template as string, id), fieldValue(rand, [value]));
		}
	}
	// Parameters of other templates, unknown blocks, prototype-looking ids.
	for (let i = int(rand, 3); i > 0; i--)
		put(
			pick(rand, [
				'param:body.9',
				'param:',
				'param:header.link',
				`param:${NUMBER.phoneNumberId}/offer/button.1.url`,
				`param:${NUMBER.phoneNumberId}/verification_code/body.1`,
				'unknown-block',
				'constructor',
				'toString',
				'send-refresh',
				`b${int(rand, 1000)}`,
			]),
			fieldValue(rand, ['x']),
		);
	if (chance(rand, 0.01)) for (let i = 0; i < 2000; i++) state[`block-${i}`] = { [`action-${i}`]: 'x' };
	return { state, template, complete };
}

describe('send-template modal fuzz', () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	let contactRoom: HarnessRoom;
	let general: HarnessRoom;
	const report: string[] = [];

	beforeAll(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, TEMPLATES);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		app.harness.world.addDepartment({ name: 'Sales', agentIds: [agent.id] });
		contactRoom = addContactRoom(app, agent, { language: 'pt-BR' });
		general = app.harness.addRoom({ name: 'general', creator: agent });
	}, 120000);
	afterAll(async () => {
		for (const line of report) console.log(line);
		await stopChecked(app);
	});

	/** Opens the modal in `room`: its view. */
	async function open(room: HarnessRoom): Promise<Any> {
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		const view = app.harness.lastView(agent);
		if (!view || !String(view.id).startsWith('whatsapp-send-template:')) throw new Error(`the modal did not open in ${room.name}`);
		return view;
	}

	/** A view submit as Rocket.Chat's server hands it to the app: whatever view (id, state) the client sent. */
	function submit(view: Any): Promise<Any> {
		return app.harness.manager.getListenerManager().executeListener(AppInterface.IUIKitInteractionHandler, {
			type: UIKitIncomingInteractionType.VIEW_SUBMIT,
			appId: app.harness.appId,
			actionId: 'submit',
			triggerId: randomUUID(),
			user: app.harness.appUser(agent),
			payload: { view },
		} as Any) as Promise<Any>;
	}

	it(`answers ${COUNT.toLocaleString('en')} random submits with field errors or success, sending only valid ones`, async () => {
		const started = Date.now();
		const rand = prng(SEED);
		const outcomes = new Map<string, number>();
		const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
		let room = contactRoom;
		let view = await open(room);
		let opened = 1;
		for (let i = 0; i < COUNT; i++) {
			if (chance(rand, 0.03)) {
				room = chance(rand, 0.5) ? contactRoom : general;
				view = await open(room);
				opened++;
			}
			const { state, template, complete } = randomState(rand, room === general);
			const id = chance(rand, 0.85)
				? view.id
				: pick(rand, [
						'whatsapp-send-template:',
						`whatsapp-send-template:${randomUUID()}`,
						'whatsapp-numbers',
						'whatsapp-connect',
						`whatsapp-edit:${NUMBER.phoneNumberId}`,
						`whatsapp-disconnect:${NUMBER.phoneNumberId}`,
						'',
						'other-app-view',
						HUGE_STRING,
					]);
			const sentBefore = app.sim.requestsTo('/messages').length;
			const errorsBefore = app.harness.appErrors().length;
			const input = { ...view, id, state };
			const answer = await submit(input);
			const sent = app.sim.requestsTo('/messages').length - sentBefore;
			const where = () =>
				`submit #${i} (seed ${SEED}) ${JSON.stringify({ id, template, complete, state }).slice(0, 600)} -> ${JSON.stringify(answer).slice(0, 400)}`;
			if (app.harness.appErrors().length !== errorsBefore)
				throw new Error(`${where()}: app error ${app.harness.appErrors().slice(errorsBefore).join('\n')}`);
			if (answer?.success === true) {
				count(sent ? 'success, sent' : 'success, nothing to send');
				// Only the send-template modal sends, and only once per submit.
				if (sent > 1 || (sent && id !== view.id)) throw new Error(`${where()}: ${sent} sends`);
				// The modal itself answers success only once it sent; other views' success is the app ignoring them.
				if (!sent && String(id).startsWith('whatsapp-send-template:')) throw new Error(`${where()}: success without a send`);
				if (sent) {
					// Sent: the draft is gone; the agent opens the modal again.
					view = await open(room);
					opened++;
				}
			} else if (
				answer?.success === false &&
				answer.type === 'errors' &&
				answer.errors &&
				typeof answer.errors === 'object' &&
				Object.keys(answer.errors).length
			) {
				count('field errors');
				if (sent) throw new Error(`${where()}: refused, yet sent to Meta`);
				if (Object.values(answer.errors).some((text) => typeof text !== 'string' || !text))
					throw new Error(`${where()}: an error without words`);
			} else if (answer?.success === false && answer.type === undefined && id !== view.id) {
				// Another view (the numbers modal, which an agent may not use; a modal nobody opened): refused outright.
				count('refused, not the open modal');
				if (sent) throw new Error(`${where()}: refused, yet sent to Meta`);
			} else {
				throw new Error(`${where()}: neither field errors nor success`);
			}
		}
		const seconds = ((Date.now() - started) / 1000).toFixed(1);
		app.harness.assertNoAppErrors();
		expect(app.sim.violations).toEqual([]);
		// The valid sends happened (the fuzz reaches the send), and each is one success.
		expect(outcomes.get('success, sent') ?? 0).toBe(app.sim.requestsTo('/messages').length);
		expect(outcomes.get('success, sent') ?? 0).toBeGreaterThan(0);
		expect(outcomes.get('field errors') ?? 0).toBeGreaterThan(COUNT / 2);
		report.push(
			fuzzReport('send-template modal', SEED, {
				submits: COUNT,
				...Object.fromEntries([...outcomes].sort()),
				'modals opened': opened,
				seconds,
			}),
		);
	}, 600000);
});
