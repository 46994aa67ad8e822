/**
 * Contacts Meta names only by their business-scoped user id (BSUID): WhatsApp users who adopted a
 * username and whose phone number Meta withholds. Their messages carry `from_user_id` and no
 * `from`, their contact `user_id` and no `wa_id`; a message to them names the BSUID in `recipient`,
 * without `to`; statuses of it name `recipient_user_id` (Meta's "Business-scoped user IDs" page,
 * whose webhook example is the first test's). Agents reach them from their room (replies, the
 * modal), integrators by templateMessage and campaigns; an authentication code goes to phone
 * numbers only.
 */
import { HarnessUser } from '../../tools/harness/world';
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { StatusSink } from '../support/statusSink';
import { bsuidFor } from '../../tools/sim/webhookPayloads';

/* eslint-disable @typescript-eslint/no-explicit-any */
const BSUID = 'US.13491208655302741918';
/** A template to fill in, and an authentication template with a copy-code button (as Meta lists them). */
const TEMPLATES = [
	{
		id: '1',
		name: 'order_update',
		language: 'en_US',
		status: 'APPROVED',
		category: 'UTILITY',
		components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
	},
	{
		id: '2',
		name: 'verification_code',
		language: 'en_US',
		status: 'APPROVED',
		category: 'AUTHENTICATION',
		components: [
			{ type: 'BODY', text: '{{1}} is your verification code.' },
			{ type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
		],
	},
];

describe('contacts named by a business-scoped user id', () => {
	let app: AppUnderTest;
	let sink: StatusSink;
	let ana: HarnessUser;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		ana = app.harness.addUser({ username: 'ana', name: 'Ana Lima', roles: ['user', 'livechat-agent'] });
		ana.livechatStatus = 'available';
		sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
	});
	afterEach(async () => {
		try {
			await sink.stop();
		} finally {
			await stopChecked(app);
		}
	});

	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const texts = (roomId: string) => app.harness.world.messagesIn(roomId).map((m) => m.text);
	const sends = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status !== 'read')
			.map((r) => r.body as any);

	/** Meta's example of a user with a username, its phone number withheld ("Business-scoped user IDs", incoming messages), sent now. */
	function metaExample(text: string, wamid: string) {
		return {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: NUMBER.wabaId,
					changes: [
						{
							value: {
								messaging_product: 'whatsapp',
								metadata: {
									display_phone_number: NUMBER.displayPhoneNumber.replace(/\D/g, ''),
									phone_number_id: NUMBER.phoneNumberId,
								},
								contacts: [
									{
										profile: { name: 'Sheena Nelson', username: 'realsheenanelson' },
										user_id: BSUID,
										parent_user_id: 'US.ENT.11815799212886844830',
									},
								],
								messages: [
									{
										from_user_id: BSUID,
										from_parent_user_id: 'US.ENT.11815799212886844830',
										id: wamid,
										timestamp: String(Math.floor(Date.now() / 1000)),
										type: 'text',
										text: { body: text },
									},
								],
							},
							field: 'messages',
						},
					],
				},
			],
		};
	}

	it("opens their conversation, relays the agent's replies to their BSUID in `recipient`, and forwards the replies' statuses", async () => {
		expect((await app.sim.deliverRaw(metaExample('Does it come in another color?', 'wamid.BSUID-1'))).status).toBe(200);
		await app.harness.scheduler.runDue();
		expect(livechatRooms()).toHaveLength(1);
		const [room] = livechatRooms();
		expect(texts(room.id)).toEqual(['Does it come in another color?']);
		const [visitor] = app.harness.world.visitors.values();
		expect(visitor).toMatchObject({ name: 'Sheena Nelson', username: `whatsapp-${NUMBER.phoneNumberId}-${BSUID}` });
		expect(visitor.token).toMatch(new RegExp(`^whatsapp:${NUMBER.phoneNumberId}:US\\.13491208655302741918:[0-9a-f]{32}$`));

		// Their next message, as the simulator sends such a user's, is the same conversation.
		await byBsuid('Blue?');
		expect(livechatRooms()).toHaveLength(1);
		expect(texts(room.id)).toEqual(['Does it come in another color?', 'Blue?']);

		await app.harness.userMessage({ user: ana, room, text: 'Yes, in **blue**.' });
		expect(sends()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				recipient: BSUID,
				type: 'text',
				text: { body: 'Yes, in *blue*.', preview_url: false },
			},
		]);
		const [reply] = app.sim.sentMessages;
		expect(app.harness.world.notificationsFor(ana.id)).toEqual([]);

		// Meta's statuses of it name the BSUID (`recipient_user_id`) and no phone number.
		const payload = app.sim.statusPayload(NUMBER.phoneNumberId, [
			{ wamid: reply.wamid, status: 'sent', recipient: BSUID },
			{ wamid: reply.wamid, status: 'delivered', recipient: BSUID },
		]);
		const statuses = (payload.entry[0].changes[0].value as any).statuses;
		expect(statuses.map((s: any) => [s.recipient_user_id, 'recipient_id' in s])).toEqual([
			[BSUID, false],
			[BSUID, false],
		]);
		expect((await app.sim.deliverRaw(payload, NUMBER.appSecret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		expect(sink.deliveries.filter((d) => d.body.msId === reply.wamid).map((d) => d.body.MessageStatus)).toEqual([
			'queued',
			'sent',
			'delivered',
		]);
		expect(sink.deliveries.find((d) => d.body.msId === reply.wamid)?.body).toMatchObject({
			type: 'Regular-Message',
			mobileNo: BSUID,
			message: 'Yes, in *blue*.',
		});
	});

	describe('the modal in their room', () => {
		beforeEach(() => app.sim.setTemplates(NUMBER.wabaId, TEMPLATES));

		/** Their room, with `/whatsapp send-template` open in it, `template` chosen and its body's `field` filled; the submit's answer. */
		async function submitTemplate(template: string, field: string, value: string) {
			await byBsuid('Where is it?');
			const [room] = livechatRooms();
			await app.harness.command('whatsapp', ['send-template'], { user: ana, room });
			let view: any = app.harness.lastView(ana)!;
			for (const [actionId, chosen] of [
				['send-template', template],
				[field, value],
			]) {
				const res = await app.harness.blockAction({ user: ana, actionId, blockId: actionId, value: chosen, view });
				expect(res).toMatchObject({ success: true, type: 'modal.update' });
				view = res.view;
			}
			return { room, answer: await app.harness.viewSubmit({ user: ana, view, state: {} }) };
		}

		it('sends a template to their BSUID in `recipient`', async () => {
			const { room, answer } = await submitTemplate('order_update', 'param:body.1', 'A-42');
			expect([answer.success, answer.errors]).toEqual([true, undefined]);
			expect(sends()).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					recipient: BSUID,
					type: 'template',
					template: {
						name: 'order_update',
						language: { code: 'en_US' },
						components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-42' }] }],
					},
				},
			]);
			expect(texts(room.id)).toEqual(['Where is it?', 'Order A-42 is on its way.']);
			expect(livechatRooms()).toHaveLength(1);
		});

		it("sends an authentication template's code to the number Meta gave with their BSUID, in `to`", async () => {
			// Known by their BSUID first, then Meta gave their number with it.
			await byBsuid('Hi');
			await withNumber('16505551234', 'It is me');
			const { room, answer } = await submitTemplate(
				'verification_code',
				`param:${NUMBER.phoneNumberId}/verification_code/body.1`,
				'482913',
			);
			expect([answer.success, answer.errors]).toEqual([true, undefined]);
			expect(sends()).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '16505551234',
					type: 'template',
					template: {
						name: 'verification_code',
						language: { code: 'en_US' },
						components: [
							{ type: 'body', parameters: [{ type: 'text', text: '482913' }] },
							{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
						],
					},
				},
			]);
			expect(texts(room.id)).toEqual(['Hi', 'It is me', 'Where is it?', '•••••• is your verification code.\n[Copy code]']);
			expect(livechatRooms()).toHaveLength(1);
		});

		it("refuses an authentication template's code, which Meta sends to phone numbers only, and sends nothing", async () => {
			const { answer } = await submitTemplate(
				'verification_code',
				`param:${NUMBER.phoneNumberId}/verification_code/body.1`,
				'482913',
			);
			expect(answer.success).toBe(false);
			expect(answer.errors).toEqual({
				'send-template':
					"This contact is known by their business-scoped user id (WhatsApp username), and WhatsApp sends an authentication template's code only to phone numbers: choose another template.",
			});
			expect(sends()).toEqual([]);
		});
	});

	describe('templateMessage', () => {
		const ORDER = {
			name: 'order_update',
			language: { code: 'en_US' },
			components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-42' }] }],
		};
		beforeEach(() => app.sim.setTemplates(NUMBER.wabaId, TEMPLATES));
		const send = (phoneNumbers: string[], template: unknown, extra: Record<string, unknown> = {}) =>
			callApi(app, 'templateMessage', {
				body: { phoneNumbers, connectedWhatsAppNo: NUMBER.phoneNumberId, template, ...extra },
				headers: ADMIN_AUTH,
			});

		it('sends to a BSUID (as the status callbacks name such a contact) in `recipient`, and its statuses name it', async () => {
			const res = await send([` ${BSUID} `, '+55 11 98765-4321', 'us.1349'], ORDER);
			expect(res).toEqual({
				status: 200,
				body: {
					success: true,
					invalidContacts: ['us.1349'],
					results: [
						{ phoneNumber: BSUID, msId: expect.stringMatching(/^wamid\./) },
						{ phoneNumber: '5511987654321', msId: expect.stringMatching(/^wamid\./) },
					],
				},
			});
			const [toUser, toPhone] = sends();
			expect(toUser).toEqual({
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				recipient: BSUID,
				type: 'template',
				template: ORDER,
			});
			expect(toPhone).toMatchObject({ to: '5511987654321' });
			expect(toPhone).not.toHaveProperty('recipient');
			const msId = res.body.results[0].msId as string;
			await app.sim.deliverStatuses(
				[
					{ wamid: msId, status: 'sent' },
					{ wamid: msId, status: 'delivered' },
				],
				{ batch: true },
			);
			await app.harness.scheduler.runDue();
			expect(
				sink.deliveries.filter((d) => d.body.msId === msId).map((d) => [d.body.MessageStatus, d.body.mobileNo, d.body.type]),
			).toEqual([
				['queued', BSUID, 'Template-Message'],
				['sent', BSUID, 'Template-Message'],
				['delivered', BSUID, 'Template-Message'],
			]);
		});

		it("routes the reply of a contact writing by number to a template sent to their BSUID by the template's targetAgent", async () => {
			app.harness.addAgent({ username: 'bob' });
			const carla = '5511987654321';
			expect((await send([bsuidFor(carla)], ORDER, { targetAgent: 'bob' })).status).toBe(200);
			await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: carla, name: 'Carla', message: 'Yes' });
			await app.harness.scheduler.runDue();
			expect(livechatRooms()).toHaveLength(1);
			expect(livechatRooms()[0]).toMatchObject({ servedBy: { username: 'bob' } });
			expect(livechatRooms()[0].visitor).toMatchObject({ username: `whatsapp-${NUMBER.phoneNumberId}-${carla}` });
		});

		it("refuses an authentication template's code to a BSUID with a 400 that names it, sending nothing", async () => {
			const code = {
				name: 'verification_code',
				language: { code: 'en_US' },
				components: [
					{ type: 'body', parameters: [{ type: 'text', text: '482913' }] },
					{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
				],
			};
			expect(await send(['5511987654321', BSUID], code)).toEqual({
				status: 400,
				body: {
					success: false,
					code: 'code_needs_phone_number',
					error: `Nothing was sent: "${BSUID}" is a business-scoped user id (a WhatsApp user known by their username), and WhatsApp sends an authentication template's code only to phone numbers.`,
				},
			});
			expect(await send(['5511987654321', BSUID], code, { async: true })).toMatchObject({
				status: 400,
				body: { code: 'code_needs_phone_number' },
			});
			expect(sends()).toEqual([]);
			// To phone numbers, it goes.
			expect(await send(['5511987654321'], code)).toMatchObject({ status: 200, body: { results: [{ msId: expect.any(String) }] } });
		});

		it("links a send to a BSUID whose answer was lost to Meta's status of it, which names only the BSUID, and forwards both", async () => {
			// Meta accepts the send; the connection closes before its answer.
			app.sim.dropAnswers(1);
			const res = await send([BSUID], ORDER);
			expect(res.body.results).toEqual([{ phoneNumber: BSUID, error: expect.objectContaining({ code: 0 }) }]);
			const [accepted] = app.sim.sentMessages;
			expect(accepted.body).toMatchObject({ recipient: BSUID });
			expect(sink.deliveries).toEqual([]);
			// Its status carries the send's batch key and `recipient_user_id`, no `recipient_id`: the app finds the send by them.
			expect((await app.sim.deliverStatuses([{ wamid: accepted.wamid, status: 'sent' }])).map((r) => r.status)).toEqual([200]);
			const forwarded = () => sink.deliveries.filter((d) => d.body.msId === accepted.wamid).map((d) => d.body.MessageStatus);
			for (let rounds = 0; rounds < 14 && forwarded().length < 2; rounds++) await app.harness.scheduler.advance(30000);
			expect(forwarded()).toEqual(['queued', 'sent']);
			expect(sink.deliveries.every((d) => d.body.mobileNo === BSUID)).toBe(true);
			expect(app.sim.sentMessages).toHaveLength(1);
		});

		it('runs a campaign to BSUIDs and numbers, each sent once to its own field', async () => {
			const other = 'BR.1502576394655843';
			const res = await send([BSUID, '5511987654321', other], ORDER, { async: true });
			expect(res).toMatchObject({ status: 202, body: { success: true, campaignId: expect.any(String) } });
			await app.harness.scheduler.runDue();
			expect(
				sends()
					.map((b) => b.recipient ?? `to:${b.to}`)
					.sort(),
			).toEqual([other, BSUID, 'to:5511987654321'].sort());
		});
	});

	/** A message of the user `BSUID` by it alone (their number withheld), handled. */
	async function byBsuid(text: string) {
		await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: BSUID, name: 'Sheena Nelson', message: text });
		await app.harness.scheduler.runDue();
	}

	/** A message of the user `BSUID`, their phone number `phone` given too (`from`, `wa_id`, with `from_user_id`). */
	async function withNumber(phone: string, text: string) {
		const both = app.sim.inboundTextPayload(NUMBER.phoneNumberId, { from: phone, name: 'Sheena Nelson', text });
		const value = both.entry[0].changes[0].value as any;
		value.messages[0].from_user_id = BSUID;
		value.contacts[0].user_id = BSUID;
		expect((await app.sim.deliverRaw(both)).status).toBe(200);
		await app.harness.scheduler.runDue();
	}

	it('goes on with the conversation of a contact known by their BSUID when Meta later gives their number too, answering them by that number, and keeps a number-known contact by number', async () => {
		await byBsuid('Hi');
		const [room] = livechatRooms();
		await app.harness.userMessage({ user: ana, room, text: 'Hello' });
		// The same user, their phone number now given too: Meta recommends sending to it.
		await withNumber('16505551234', 'It is me');
		expect(livechatRooms()).toHaveLength(1);
		expect(texts(room.id)).toEqual(['Hi', 'Hello', 'It is me']);
		expect(app.harness.world.visitors.size).toBe(1);
		// Withheld again (their BSUID alone): still answered by the number Meta gave.
		await byBsuid('Still me');
		await app.harness.userMessage({ user: ana, room, text: 'Welcome back' });
		expect(sends()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.any(String),
				recipient_type: 'individual',
				recipient: BSUID,
				type: 'text',
				text: { body: 'Hello', preview_url: false },
			},
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.any(String),
				recipient_type: 'individual',
				to: '16505551234',
				type: 'text',
				text: { body: 'Welcome back', preview_url: false },
			},
		]);
		// Meta's status of the reply names the number (a send to `to`); the callback gives it as mobileNo.
		const reply = app.sim.sentMessages.at(-1)!;
		const payload = app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: reply.wamid, status: 'sent', recipient: '16505551234' }]);
		expect((await app.sim.deliverRaw(payload, NUMBER.appSecret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		expect(
			sink.deliveries.filter((d) => d.body.msId === reply.wamid).map((d) => [d.body.MessageStatus, d.body.mobileNo, d.body.roomId]),
		).toEqual([
			['queued', '16505551234', room.id],
			['sent', '16505551234', room.id],
		]);

		// Another contact, known by their number (the simulator gives every number's messages its BSUID, as Meta does).
		await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: '5511987654321', name: 'Carla', message: 'Olá' });
		await app.harness.scheduler.runDue();
		const carla = livechatRooms().find((r) => r.id !== room.id)!;
		expect(texts(carla.id)).toEqual(['Olá']);
		await app.harness.userMessage({ user: ana, room: carla, text: 'Oi' });
		expect(sends().map((b) => [b.recipient, b.to])).toEqual([
			[BSUID, undefined],
			[undefined, '16505551234'],
			[undefined, '5511987654321'],
		]);
	});

	it('goes on with the conversation of a contact known by their number when Meta later withholds it, answering them by number', async () => {
		const carla = '5511987654321';
		await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: carla, name: 'Carla', message: 'Olá' });
		await app.harness.scheduler.runDue();
		const [room] = livechatRooms();
		// Her number withheld now (a username, no recent conversation): her BSUID alone, as Meta's example.
		await app.sim.deliverInboundMessage({
			phoneNumberId: NUMBER.phoneNumberId,
			from: bsuidFor(carla),
			name: 'Carla',
			message: 'Sou eu',
		});
		await app.harness.scheduler.runDue();
		expect(livechatRooms()).toHaveLength(1);
		expect(texts(room.id)).toEqual(['Olá', 'Sou eu']);
		expect(app.harness.world.visitors.size).toBe(1);
		await app.harness.userMessage({ user: ana, room, text: 'Oi, Carla' });
		expect(sends().map((b) => [b.recipient, b.to, b.text?.body])).toEqual([[undefined, carla, 'Oi, Carla']]);
	});

	it("keeps a BSUID contact's messages in order across Meta giving their number, while they wait for an agent: one conversation", async () => {
		ana.livechatStatus = 'not-available';
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', false);
		await byBsuid('first');
		await withNumber('16505551234', 'second');
		expect(livechatRooms()).toEqual([]);

		ana.livechatStatus = 'available';
		await app.harness.scheduler.advance(30000);
		await app.harness.settled();
		expect(livechatRooms()).toHaveLength(1);
		expect(texts(livechatRooms()[0].id)).toEqual(['first', 'second']);
		expect(app.harness.world.visitors.size).toBe(1);
	});

	it("shows a BSUID contact's number change in their conversation, and answers their BSUID again, not the number they left", async () => {
		await byBsuid('Hi');
		const [room] = livechatRooms();
		await withNumber('16505551234', 'It is me');
		await app.harness.userMessage({ user: ana, room, text: 'Hello' });
		// Meta's `user_changed_number` system message, from the old number, with the user's BSUID.
		await app.sim.deliverInboundMessage({
			phoneNumberId: NUMBER.phoneNumberId,
			from: '16505551234',
			name: 'Sheena Nelson',
			message: {
				type: 'system',
				from_user_id: BSUID,
				system: { body: 'User A changed from 16505551234 to 16505559999', wa_id: '16505559999', type: 'user_changed_number' },
			},
		});
		await app.harness.scheduler.runDue();
		expect(livechatRooms()).toHaveLength(1);
		expect(texts(room.id)).toEqual(['Hi', 'It is me', 'Hello', 'ℹ️ User A changed from 16505551234 to 16505559999']);
		await app.harness.userMessage({ user: ana, room, text: 'Noted' });
		expect(sends().map((b) => [b.recipient, b.to, b.text?.body])).toEqual([
			[undefined, '16505551234', 'Hello'],
			[BSUID, undefined, 'Noted'],
		]);
		expect(app.harness.world.notificationsFor(ana.id)).toEqual([]);
	});

	it('names the visitor by the username when the profile has no name, else by the BSUID', async () => {
		const other = 'BR.1502576394655843';
		const payload = metaExample('Olá', 'wamid.BSUID-2');
		delete (payload.entry[0].changes[0].value.contacts[0].profile as any).name;
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		const bare = metaExample('Oi', 'wamid.BSUID-3');
		const value = bare.entry[0].changes[0].value as any;
		value.messages[0].from_user_id = other;
		delete value.contacts;
		expect((await app.sim.deliverRaw(bare)).status).toBe(200);
		await app.harness.scheduler.runDue();
		expect([...app.harness.world.visitors.values()].map((v) => v.name).sort()).toEqual([other, 'realsheenanelson']);
		expect(livechatRooms()).toHaveLength(2);
	});

	it('leaves a message whose from_user_id is not a BSUID out, and logs why', async () => {
		const payload = metaExample('hello', 'wamid.BSUID-4');
		(payload.entry[0].changes[0].value.messages[0] as any).from_user_id = '13491208655302741918';
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		await app.harness.scheduler.runDue();
		expect(livechatRooms()).toEqual([]);
		expect(JSON.stringify(app.harness.logs)).toContain('its from_user_id is not a business-scoped user id');
	});
});
