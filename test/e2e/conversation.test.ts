/**
 * Conversations through the engine: Meta's documented inbound messages as the agent reads them,
 * the contact's identity, quoted replies both ways, the agent's name, read receipts and the notices
 * of the 24-hour window.
 */
import * as fs from 'fs';
import * as path from 'path';

import { AppInterface } from '@rocket.chat/apps-engine/definition/metadata/AppInterface';

import { toAppRoom } from '../../tools/harness/rc/rooms';
import { CONTRACTS_DIR } from '../support/metaSpec';
import {
	ADMIN_AUTH,
	AppUnderTest,
	callApi,
	cancelRecurringJobs,
	connectNumber,
	contactVisitorToken,
	NUMBER,
	startApp,
	stopChecked,
} from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const HOUR = 3600 * 1000;
const examples = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-openapi/webhook-inbound.examples.json'), 'utf8'));

describe('conversations', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		// Not about routing: the admin accepts chats with no agents online, so a contact's room opens
		// whoever is online (test/e2e/livechatRouting.test.ts covers a fresh workspace's refusal).
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
	});
	afterEach(() => stopChecked(app));

	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const texts = (roomId: string) => app.harness.world.messagesIn(roomId).map((m) => m.text);
	const sends = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status !== 'read')
			.map((r) => r.body as any);
	const readReceipts = () => app.sim.readReceipts;
	const inboundWamids = () =>
		app.harness.world.persistence
			.map((r) => r.data as any)
			.filter((d) => d.rcMessageId && d.wamid?.startsWith('wamid.'))
			.map((d) => d.wamid);

	async function inbound(message: string | Record<string, unknown>, from = '5511987654321') {
		expect((await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from, name: 'Carla', message })).status).toBe(
			200,
		);
		await app.harness.scheduler.runDue();
	}
	function agent(username = 'ana', name = 'Ana Lima') {
		const user = app.harness.addUser({ username, name, roles: ['user', 'livechat-agent'] });
		user.livechatStatus = 'available';
		return user;
	}
	/** A payload of Meta's docs, delivered now (Meta's examples share one wamid and carry old timestamps). */
	async function deliverExample(name: string, index: number) {
		const payload = JSON.parse(JSON.stringify(examples[name]));
		for (const m of payload.entry[0].changes[0].value.messages) {
			m.id = `${m.id}-${index}`;
			m.timestamp = String(Math.floor(Date.now() / 1000));
		}
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		await app.harness.scheduler.runDue();
	}

	it('shows every message type of Meta’s documented inbound webhooks to the agent', async () => {
		const names = [
			'Text Message',
			'Text Message with Context (Product Inquiry)',
			'Text Message from Click to WhatsApp Ad',
			'Reaction Message',
			'Location Message',
			'Contact Sharing Message',
			'Unsupported Message',
			'Button Message',
			'Interactive List Reply Message',
			'Interactive Button Reply Message',
			'Order Message',
			'System Message',
		];
		for (const [i, name] of names.entries()) await deliverExample(name, i);
		expect(livechatRooms()).toHaveLength(1);
		const [room] = livechatRooms();
		expect(room.visitor).toMatchObject({
			token: contactVisitorToken(app, '16505551234', NUMBER.phoneNumberId),
			name: 'Sheena Nelson',
			username: `whatsapp-${NUMBER.phoneNumberId}-16505551234`,
		});
		expect(room.visitor).not.toHaveProperty('phone');
		expect(texts(room.id)).toEqual([
			'Does it come in another color?',
			'🛍️ About product di9ozbzfi4\nIs this still available?',
			// The ad's headline, its text and the greeting WhatsApp showed the contact (Meta's ReferralObject).
			'📣 From the ad "Chat with us" (https://fb.me/3cr4Wqqkv)\n' +
				'Ad text: Summer Succulents are here!\n' +
				'Image the contact saw: https://scontent.xx.fbcdn.net/v/t45.1...\n' +
				'Greeting the contact saw: Hi there! Let us know how we can help!\n' +
				examples['Text Message from Click to WhatsApp Ad'].entry[0].changes[0].value.messages[0].text.body,
			'Reacted 👍',
			'📍 Location: Philz Coffee — 101 Forest Ave, Palo Alto, CA 94301 · https://maps.google.com/?q=37.44221496582,-122.16165924072\n' +
				'🔗 Website: https://philzcoffee.com/',
			'👤 Contact: Lucía Gómez · phones: +1 (983) 555-2319 (MOBILE) · emails: -\n🏢 Works at: Google',
			'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported. (131051)',
			'🔘 Replied "Unsubscribe" (payload: Unsubscribe)',
			'🔘 Replied "Priority Mail Express" (payload: priority_express)\nRow description: Next Day to 2 Days',
			'🔘 Replied "Cancel" (payload: cancel-button)',
			'🛒 Order:\n• 2 × di9ozbzfi4 · 30 USD each\n• 1 × nqryix03ez · 25 USD each\nTotal: 85 USD',
			'ℹ️ User Sheena Nelson changed from 16505551234 to 12195555358',
		]);
	});

	it('knows the contact by WhatsApp id, whatever the format of `from`', async () => {
		const payload = (from: string, text: string, wamid: string) => {
			const p = app.sim.inboundTextPayload(NUMBER.phoneNumberId, { from: '5511987654321', name: 'Carla', text, wamid });
			(p as any).entry[0].changes[0].value.messages[0].from = from;
			return p;
		};
		await app.sim.deliverRaw(payload('5511987654321', 'one', 'wamid.ONE'));
		await app.sim.deliverRaw(payload('+55 11 98765-4321', 'two', 'wamid.TWO'));
		// `from` alone (a change without `contacts`): its digits are the WhatsApp id.
		const bare = payload('+55 (11) 98765-4321', 'three', 'wamid.THREE');
		delete (bare.entry[0].changes[0].value as any).contacts;
		await app.sim.deliverRaw(bare);
		await app.harness.scheduler.runDue();
		expect(app.harness.world.visitors.size).toBe(1);
		expect(livechatRooms()).toHaveLength(1);
		expect(texts(livechatRooms()[0].id)).toEqual(['one', 'two', 'three']);
	});

	describe('quoted replies', () => {
		it('links the contact’s quote of an agent’s message, and says so when the quoted message is unknown', async () => {
			const ana = agent();
			await inbound('Hi!');
			const [room] = livechatRooms();
			const reply = await app.harness.userMessage({ user: ana, room, text: 'Hello Carla' });
			const wamid = app.sim.sentMessages[0].wamid;
			await inbound({ type: 'text', text: { body: 'This one?' }, context: { from: '15550783881', id: wamid } });
			await inbound({ type: 'text', text: { body: 'And that?' }, context: { from: '15550783881', id: 'wamid.NEVERSEEN' } });
			expect(texts(room.id).slice(-2)).toEqual([
				`[ ](http://127.0.0.1:3000/live/${room.id}?msg=${reply.id}) This one?`,
				'↩️ In reply to an earlier message\nAnd that?',
			]);
		});

		it('says which template a contact’s button or reply answers when an integrator sent it (no room has it)', async () => {
			app.sim.setTemplates(NUMBER.wabaId, [
				{
					id: '7',
					name: 'delivery_slot',
					language: 'en_US',
					status: 'APPROVED',
					category: 'UTILITY',
					components: [
						{ type: 'BODY', text: 'Your order {{1}} arrives tomorrow. Keep the slot?' },
						{ type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Keep' }] },
					],
				},
			]);
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers: ['5511987654321'],
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: {
						name: 'delivery_slot',
						language: { code: 'en_US' },
						components: [
							{ type: 'body', parameters: [{ type: 'text', text: 'A-42' }] },
							{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'KEEP-A42' }] },
						],
					},
				},
				headers: ADMIN_AUTH,
			});
			expect(res.status).toBe(200);
			const [{ msId }] = res.body.results;
			expect(livechatRooms()).toEqual([]);
			await inbound({ type: 'button', button: { text: 'Keep', payload: 'KEEP-A42' }, context: { from: '15550783881', id: msId } });
			await inbound({ type: 'text', text: { body: 'Morning please' }, context: { from: '15550783881', id: msId } });
			const [room] = livechatRooms();
			const line = '↩️ In reply to the template delivery_slot: "Your order A-42 arrives tomorrow. Keep the slot? [Keep]"';
			expect(texts(room.id)).toEqual([`${line}\n🔘 Replied "Keep" (payload: KEEP-A42)`, `${line}\nMorning please`]);
		});

		it('sends an agent’s quote of the contact’s message as a WhatsApp reply', async () => {
			const ana = agent();
			await inbound('Can I change the address?');
			const [room] = livechatRooms();
			const [quoted] = app.harness.world.messagesIn(room.id);
			const [wamid] = inboundWamids();
			await app.harness.userMessage({
				user: ana,
				room,
				text: `[ ](http://127.0.0.1:3000/live/${room.id}?msg=${quoted.id}) Yes, **until 5pm** :thumbsup:`,
			});
			expect(sends()).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					context: { message_id: wamid },
					type: 'text',
					text: { body: 'Yes, *until 5pm* 👍', preview_url: false },
				},
			]);
			// A bare quote has nothing to send (Meta refuses an empty text).
			await app.harness.userMessage({ user: ana, room, text: `[ ](http://127.0.0.1:3000/live/${room.id}?msg=${quoted.id})` });
			expect(sends()).toHaveLength(1);
			expect(app.harness.world.notificationsFor(ana.id)).toEqual([]);
		});
	});

	it('says in the room, once, quoting it, that the contact deleted their message on WhatsApp (pywa’s revoke)', async () => {
		const ana = agent();
		await inbound('oops, wrong chat');
		const [room] = livechatRooms();
		const [deleted] = app.harness.world.messagesIn(room.id);
		const [wamid] = inboundWamids();
		const fixture = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'pywa', 'deleted_message.json'), 'utf8')).revoke;
		const value = fixture.entry[0].changes[0].value;
		fixture.entry[0].id = NUMBER.wabaId;
		value.metadata = { display_phone_number: '15550783881', phone_number_id: NUMBER.phoneNumberId };
		value.contacts[0].wa_id = '5511987654321';
		const revoke = async (id: string, original: string) => {
			Object.assign(value.messages[0], { from: '5511987654321', id, revoke: { original_message_id: original } });
			expect((await app.sim.deliverRaw(fixture, NUMBER.appSecret)).status).toBe(200);
			await app.harness.scheduler.runDue();
		};
		await revoke('wamid.revoke-1', wamid);
		await revoke('wamid.revoke-1', wamid);
		// A revoke naming the agent's reply is a status of the app's message (status.test.ts), not a line in the room.
		await app.harness.userMessage({ user: ana, room, text: 'Sure' });
		const [reply] = app.sim.sentMessages.filter((m) => m.body.type === 'text');
		await revoke('wamid.revoke-2', reply.wamid);
		expect(texts(room.id)).toEqual([
			'oops, wrong chat',
			`[ ](http://127.0.0.1:3000/live/${room.id}?msg=${deleted.id}) 🗑️ The contact deleted this message on WhatsApp.`,
			'Sure',
		]);
	});

	it("relays a bot agent's messages when it serves the room (Rocket.Chat's bot agents), not another bot's, nor a system message", async () => {
		const bot = app.harness.addUser({ username: 'helpbot', name: 'Help Bot', roles: ['bot', 'livechat-agent'], type: 'bot' });
		bot.livechatStatus = 'available';
		await inbound('Hi');
		const [room] = livechatRooms();
		expect(room.servedBy).toMatchObject({ username: 'helpbot' });
		await app.harness.userMessage({ user: bot, room, text: 'Hello! I am the help bot.' });
		const other = app.harness.addUser({ username: 'otherbot', roles: ['bot'], type: 'bot' });
		await app.harness.userMessage({ user: other, room, text: 'an integration notice' });
		// A typed (system) message of a human agent joining, as Rocket.Chat before 7.4 announced them
		// (IPostMessageSent), its type left unmapped by engines before 1.49.
		const ana = agent();
		app.harness.bridges.events.fire(AppInterface.IPostMessageSent, {
			id: 'system-1',
			room: toAppRoom(app.harness.world, room),
			sender: app.harness.appUser(ana),
			text: 'ana joined the conversation',
			createdAt: new Date(),
			_unmappedProperties_: { t: 'uj' },
		});
		await app.harness.settled();
		expect(sends().map((b) => b.text?.body)).toEqual(['Hello! I am the help bot.']);
	});

	it('starts the agent’s messages with the agent’s name when the setting asks for it', async () => {
		const ana = agent('ana', 'Ana *Lima*');
		await inbound('Hi');
		const [room] = livechatRooms();
		await app.harness.userMessage({ user: ana, room, text: 'without' });
		await app.harness.setSetting('agent_name_prefix', true);
		await app.harness.userMessage({ user: ana, room, text: 'Hello' });
		expect(sends().map((b) => b.text.body)).toEqual(['without', '*Ana Lima*:\nHello']);
	});

	describe('read receipts', () => {
		it('mark the contact’s messages read when an agent has the room, per the setting', async () => {
			agent();
			await inbound('first');
			await app.harness.setSetting('mark_read', false);
			await inbound('second');
			const [first, second] = inboundWamids();
			expect(second).toBeDefined();
			expect(readReceipts()).toEqual([first]);
		});

		it('wait for an agent when the conversation is queued, then mark the latest message read', async () => {
			await inbound('anyone?');
			await inbound('hello?');
			const [room] = livechatRooms();
			expect(room.servedBy).toBeUndefined();
			expect(readReceipts()).toEqual([]);
			await app.harness.assignAgent(room, agent());
			expect(readReceipts()).toEqual([inboundWamids()[1]]);
		});

		it('mark the latest message read when a queued conversation is forwarded to an agent (the forward assigns through takeInquiry)', async () => {
			await inbound('anyone?');
			await inbound('hello?');
			const [room] = livechatRooms();
			expect(readReceipts()).toEqual([]);
			expect(await app.harness.forwardRoom(room, { agent: agent() })).toBe(true);
			expect(room.servedBy).toMatchObject({ username: 'ana' });
			expect(readReceipts()).toEqual([inboundWamids()[1]]);
		});

		it('are not sent on assignment when the setting is off', async () => {
			await app.harness.setSetting('mark_read', false);
			await inbound('anyone?');
			await app.harness.assignAgent(livechatRooms()[0], agent());
			expect(readReceipts()).toEqual([]);
		});
	});

	describe('the 24-hour window in the room', () => {
		/** The app's window messages in the room's history (for every agent, now or later). */
		const notices = (_agent?: string) =>
			app.harness.world.messages
				.filter((m) => (m.sender as any)?.type === 'app' && /^[⏳⌛]/u.test(String(m.text)))
				.map((m) => m.text as string);

		it('warns the agents before it closes and when it has closed', async () => {
			agent();
			await inbound('Hi');
			await cancelRecurringJobs(app);
			await app.harness.scheduler.advance(22 * HOUR);
			expect(notices('ana')).toEqual([]);
			await app.harness.scheduler.advance(1.1 * HOUR);
			expect(notices('ana')).toEqual([
				expect.stringMatching(/^⏳ The 24-hour window with this contact closes at \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 60 minutes\)/),
			]);
			await app.harness.scheduler.advance(HOUR);
			expect(notices('ana')).toHaveLength(2);
			expect(notices('ana')[1]).toMatch(/^⌛ The 24-hour window with this contact has closed/);
		});

		it('moves the warning when the contact writes again, and says nothing once the room is closed', async () => {
			const ana = agent();
			await inbound('Hi');
			await cancelRecurringJobs(app);
			await app.harness.scheduler.advance(12 * HOUR);
			// The app's clock is real time: the contact's new message is dated 12 hours after the first.
			const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
				from: '5511987654321',
				name: 'Carla',
				text: 'still there?',
				wamid: 'wamid.LATER',
				timestamp: String(Math.floor((Date.now() + 12 * HOUR) / 1000)),
			});
			await app.sim.deliverRaw(payload);
			await app.harness.scheduler.runDue();
			// 23.5 hours after the first message: that window would be closing, the new one is not.
			await app.harness.scheduler.advance(11.5 * HOUR);
			expect(notices('ana')).toEqual([]);
			await app.harness.scheduler.advance(12 * HOUR);
			expect(notices('ana')).toEqual([expect.stringMatching(/^⏳/)]);
			await app.harness.closeLivechatRoom(livechatRooms()[0], ana);
			await app.harness.scheduler.advance(2 * HOUR);
			expect(notices('ana')).toHaveLength(1);
		});

		it('can be turned off', async () => {
			agent();
			await app.harness.setSetting('window_notice_minutes', 0);
			await inbound('Hi');
			await cancelRecurringJobs(app);
			await app.harness.scheduler.advance(25 * HOUR);
			expect(notices('ana')).toEqual([]);
		});
	});
});
