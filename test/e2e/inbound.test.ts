/** Inbound WhatsApp messages through the engine: visitor, room, message, de-duplication, routing. */
import {
	ADMIN_AUTH,
	AppUnderTest,
	callApi,
	connectNumber,
	contactVisitorToken,
	NUMBER,
	startApp,
	stopChecked,
} from '../support/appUnderTest';
import { EXPIRE_MESSAGES_JOB } from '../../src/entry/jobs/statusJobs';
import { backdate } from '../support/backdate';

/* eslint-disable @typescript-eslint/no-explicit-any */
describe('inbound messages', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		// Not about routing: the admin accepts chats with no agents online, so a contact's room opens
		// whoever is online (test/e2e/livechatRouting.test.ts covers a fresh workspace's refusal).
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
	});
	afterEach(() => stopChecked(app));

	async function inbound(message: string | Record<string, unknown>, from = '5511987654321', name = 'Carla') {
		const res = await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from, name, message });
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
	}
	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	/** Messages sent to WhatsApp (read receipts aside). */
	const sends = () => app.sim.requestsTo('/messages').filter((r) => (r.body as any)?.status !== 'read');
	const readReceipts = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status === 'read')
			.map((r) => r.body);

	/**
	 * Carla's second message, posted as an agent closes her room (between the app's look at it and its
	 * post: Rocket.Chat's livechat getRoom then opens a new room for her and posts there); `afterPost`
	 * runs right after the post. Answers her rooms (texts, open or not) and the room the message is linked to.
	 */
	async function secondAsRoomCloses(afterPost: () => Promise<void> = async () => undefined) {
		await inbound('first', '5511987654321');
		const [first] = livechatRooms();
		const bridge = app.harness.bridges.getLivechatBridge() as any;
		const createMessage = bridge.createMessage;
		bridge.createMessage = async (...args: unknown[]) => {
			bridge.createMessage = createMessage;
			await app.harness.closeLivechatRoom(first, app.harness.admin);
			const id = await createMessage.apply(bridge, args);
			await afterPost();
			return id;
		};
		await app.sim.deliverRaw(
			app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
				from: '5511987654321',
				name: 'Carla',
				text: 'second',
				wamid: 'wamid.SECOND',
			}),
		);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		const rooms = livechatRooms();
		const link = app.harness.world.persistence.map((r) => r.data as any).find((d) => d.wamid === 'wamid.SECOND' && d.rcMessageId);
		return {
			rooms: rooms.map((r) => [r.id === first.id, Boolean(r.isOpen), app.harness.world.messagesIn(r.id).map((m) => m.text)]),
			linkedTo: rooms.findIndex((r) => r.id === link?.roomId),
		};
	}

	it('a room closed as the message is posted: Rocket.Chat gives the contact a new room, and the app follows it there (link, welcome)', async () => {
		const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
		(stored.data as any).welcomeMessage = 'Welcome!';
		expect(await secondAsRoomCloses()).toEqual({
			rooms: [
				[true, false, ['first']],
				[false, true, ['second']],
			],
			linkedTo: 1,
		});
		// The new conversation is welcomed, as one the app opened would be.
		expect(sends().map((r) => (r.body as any).text?.body)).toEqual(['Welcome!', 'Welcome!']);
	});

	it('a room closed as the message is posted: the app links the message to the room it went to, even when that one has closed too (not welcomed)', async () => {
		const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
		(stored.data as any).welcomeMessage = 'Welcome!';
		// The second room closes right after the post: the contact has no open room when the app looks.
		expect(await secondAsRoomCloses(() => app.harness.closeLivechatRoom(livechatRooms()[1], app.harness.admin))).toEqual({
			rooms: [
				[true, false, ['first']],
				[false, false, ['second']],
			],
			linkedTo: 1,
		});
		// That conversation is over: only the first one was welcomed.
		expect(sends().map((r) => (r.body as any).text?.body)).toEqual(['Welcome!']);
	});

	it('creates the visitor and a room from the number, with the message from the contact', async () => {
		const sales = app.harness.world.addDepartment({ name: 'Sales' });
		const agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		(sales.agentIds as string[]).push(agent.id);
		const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
		(stored.data as any).departmentId = sales.id;

		await inbound('Olá! Does it come in blue? 😀');
		const [room] = livechatRooms();
		expect(room).toMatchObject({
			isOpen: true,
			source: { type: 'app', id: app.harness.appId, label: 'WhatsApp' },
			servedBy: { username: 'ana' },
			department: { id: sales.id },
		});
		expect(room.visitor).toMatchObject({
			token: contactVisitorToken(app, '5511987654321', NUMBER.phoneNumberId),
			name: 'Carla',
			username: `whatsapp-${NUMBER.phoneNumberId}-5511987654321`,
			department: sales.id,
		});
		expect(room.visitor).not.toHaveProperty('phone');
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Olá! Does it come in blue? 😀']);
		// Ana has the room: the contact sees the message read.
		expect(readReceipts()).toEqual([
			{
				messaging_product: 'whatsapp',
				status: 'read',
				message_id: app.harness.world.persistence.map((r) => r.data as any).find((d) => d.wamid && d.rcMessageId)?.wamid,
			},
		]);
	});

	it("posts a contact's messages in the order they were written (Meta's timestamps) when Meta's webhooks come out of order", async () => {
		const at = (secondsAgo: number) => String(Math.floor(Date.now() / 1000) - secondsAgo);
		// Meta's retry of the first message's webhook comes after the webhook of the second (both stored before the run).
		for (const [body, secondsAgo] of [
			['second', 5],
			['first', 30],
			['third', 2],
		] as const) {
			const res = await app.sim.deliverInboundMessage({
				phoneNumberId: NUMBER.phoneNumberId,
				from: '5511987654321',
				name: 'Carla',
				message: { type: 'text', text: { body }, timestamp: at(secondsAgo) },
			});
			expect(res.status).toBe(200);
		}
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		const [room] = livechatRooms();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['first', 'second', 'third']);
	});

	it('keeps one room per contact, drops duplicate deliveries, and starts a new room after a close', async () => {
		const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
			from: '5511987654321',
			name: 'Carla',
			text: 'first',
			wamid: 'wamid.FIRST',
		});
		await app.sim.deliverRaw(payload);
		await app.sim.deliverRaw(payload);
		await app.harness.scheduler.runDue();
		await inbound('second');
		expect(livechatRooms()).toHaveLength(1);
		const [room] = livechatRooms();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['first', 'second']);
		// Closed as Rocket.Chat closes it (`open` unset).
		delete room.isOpen;
		await inbound('after close');
		expect(livechatRooms()).toHaveLength(2);
		expect(app.harness.world.messagesIn(livechatRooms()[1].id).map((m) => m.text)).toEqual(['after close']);
		expect(app.harness.world.visitors.size).toBe(1);
	});

	it('forgets which messages it has seen, and their links, after the retention period', async () => {
		await inbound('hello');
		const records = () =>
			app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'inbound-seen' || a.id === 'message-link'));
		expect(records()).toHaveLength(2);
		backdate(app.harness.world, records());
		// The retention job runs once a day; its run is played now rather than a day of every recurring
		// job's runs (the campaign tick alone runs 1,440 times a day: over a minute on a loaded machine).
		expect(app.harness.scheduler.jobs.find((j) => j.processorId.startsWith(`${EXPIRE_MESSAGES_JOB}_`))).toMatchObject({
			intervalMs: 86400000,
		});
		await app.harness.scheduler.runRecurring(EXPIRE_MESSAGES_JOB);
		expect(records()).toEqual([]);
	});

	it('represents a location and a button reply as text for the agent', async () => {
		await inbound({
			type: 'location',
			location: { latitude: 37.44, longitude: -122.16, name: 'Philz Coffee', address: '101 Forest Ave' },
		});
		await inbound({ type: 'button', button: { text: 'Unsubscribe', payload: 'STOP' } });
		const [room] = livechatRooms();
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual([
			'📍 Location: Philz Coffee — 101 Forest Ave · https://maps.google.com/?q=37.44,-122.16',
			'🔘 Replied "Unsubscribe" (payload: STOP)',
		]);
	});

	it('retries a message whose processing failed on the next run, and posts it once', async () => {
		const livechat = app.harness.bridges.getLivechatBridge() as any;
		const createRoom = livechat.createRoom;
		livechat.createRoom = async () => {
			livechat.createRoom = createRoom;
			throw new Error('database briefly unavailable');
		};
		await inbound('are you there?');
		expect(livechatRooms()).toEqual([]);
		expect(app.harness.takeAppErrors()).toEqual(
			expect.arrayContaining([
				expect.stringContaining(
					"webhook event message not processed (attempt 1, tried again in 30 s; the contact's later messages wait behind it): database briefly unavailable",
				),
			]),
		);
		await app.harness.scheduler.advance(60000);
		expect(livechatRooms()).toHaveLength(1);
		expect(app.harness.world.messagesIn(livechatRooms()[0].id).map((m) => m.text)).toEqual(['are you there?']);
	});

	it("keeps a contact's messages through an omnichannel failure longer than five attempts, and posts them in order after it", async () => {
		const livechat = app.harness.bridges.getLivechatBridge() as any;
		const createRoom = livechat.createRoom;
		let failing = true;
		livechat.createRoom = async (...args: unknown[]) => {
			if (failing) throw new Error('omnichannel unavailable');
			return createRoom.apply(livechat, args);
		};
		await inbound('first');
		await app.harness.scheduler.advance(60000);
		await inbound('second');
		// Another contact's conversation is not held by Carla's.
		failing = false;
		await inbound('hello from Diego', '5511900000002', 'Diego');
		expect(livechatRooms().map((r) => app.harness.world.messagesIn(r.id).map((m) => m.text))).toEqual([['hello from Diego']]);
		failing = true;
		// Past the fifth attempt (7.5 minutes), another message, then omnichannel is back.
		await app.harness.scheduler.advance(10 * 60000);
		await inbound('third');
		expect(livechatRooms()).toHaveLength(1);
		failing = false;
		await app.harness.scheduler.advance(11 * 60000);
		const carla = livechatRooms().filter((r) => (r as any).visitor?.name === 'Carla');
		expect(carla).toHaveLength(1);
		expect(app.harness.world.messagesIn(carla[0].id).map((m) => m.text)).toEqual(['first', 'second', 'third']);
		expect(app.harness.takeAppErrors().filter((e) => e.includes('dropped'))).toEqual([]);
		livechat.createRoom = createRoom;
	});

	describe('agent replies', () => {
		async function conversation() {
			const agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
			agent.livechatStatus = 'available';
			await inbound('Hi, is my order ready?');
			return { agent, room: livechatRooms()[0] };
		}

		it("sends the agent's message to the contact in WhatsApp formatting, and reports its status", async () => {
			const { agent, room } = await conversation();
			await app.harness.userMessage({ user: agent, room, text: 'Yes! **Order 42** is ready: [track it](https://example.com/t/42)' });
			expect(sends().map((r) => r.body)).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'text',
					text: { body: 'Yes! *Order 42* is ready: track it (https://example.com/t/42)', preview_url: true },
				},
			]);
			const record = app.harness.world.persistence.map((r) => r.data as any).find((d) => d.type === 'Regular-Message');
			expect(record).toMatchObject({
				wamid: app.sim.sentMessages[0].wamid,
				roomId: room.id,
				agent: 'ana',
				mobileNo: '5511987654321',
			});
		});

		it("does not relay the contact's own messages or the app's", async () => {
			const { room } = await conversation();
			// (A template the app posts as the agent: test/e2e/ownPosts.test.ts.)
			const bot = [...app.harness.world.users.values()].find((u) => u.type === 'app')!;
			await app.harness.userMessage({ user: bot, room, text: 'from the bot' });
			// Rocket.Chat announced the contact's message (created by the app) too: nothing relayed.
			await app.harness.settled();
			expect(sends()).toEqual([]);
		});

		it('once the 24-hour window is closed, sends nothing and tells the agent at once to use a template', async () => {
			const { agent, room } = await conversation();
			// The contact's window (not the record linking their BSUID to their number).
			const window = app.harness.world.persistence.find(
				(r) => r.associations.some((a) => a.id.startsWith('window:')) && !(r.data as any).userOf,
			)!;
			(window.data as any).at = Date.now() - 25 * 3600 * 1000;
			const refused = await app.harness.userMessage({ user: agent, room, text: 'Are you there?' });
			expect(sends()).toEqual([]);
			expect(String(app.harness.world.notificationsFor(agent.id).pop()?.text)).toBe(
				'⚠️ Not sent: more than 24 hours have passed since the contact last wrote, so WhatsApp only accepts a template now. Use /whatsapp send-template.',
			);
			// The message itself says so, for every agent who reads the room later (the delivery state's place).
			const shown = app.harness.world.messagesIn(room.id).find((m) => m.id === refused.id)!;
			expect(shown.text).toBe('Are you there?');
			expect(shown.attachments).toEqual([
				{
					type: 'whatsapp-status:failed',
					color: '#EC0D2A',
					text: '⚠️ Not sent to WhatsApp: the contact last wrote more than 24 hours ago, so WhatsApp only accepts a template now (/whatsapp send-template).',
				},
			]);
			await inbound('I am back');
			await app.harness.userMessage({ user: agent, room, text: 'Welcome back' });
			expect(sends()).toHaveLength(1);
		});

		it('once the contact changed their number, sends nothing more to the old one: replies, templates and the goodbye; the new number is a new contact', async () => {
			const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
			(stored.data as any).conversationFinishedMessage = 'Thanks, bye!';
			const { agent, room } = await conversation();
			const body = 'User Carla changed from 5511987654321 to 5511911112222';
			await inbound({ type: 'system', system: { body, wa_id: '5511911112222', type: 'user_changed_number' } });
			expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual([
				'Hi, is my order ready?',
				expect.stringContaining(body),
			]);

			await app.harness.userMessage({ user: agent, room, text: 'Your order is ready' });
			expect(String(app.harness.world.notificationsFor(agent.id).pop()?.text)).toBe(
				"⚠️ Not sent: this contact changed their WhatsApp number to +5511911112222, and nothing more goes to the old one (it may be someone else's by now). Their messages from the new number come in that number's conversation.",
			);
			await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
			expect(app.harness.openModal(agent)).toBeUndefined();
			expect(String(app.harness.world.notificationsFor(agent.id).pop()?.text)).toBe(
				"This contact changed their WhatsApp number to +5511911112222: nothing more is sent to the old one. Their messages from the new number come in that number's conversation; to write first, run /whatsapp send-template outside this room with the new number.",
			);
			await app.harness.closeLivechatRoom(room, agent);
			expect(sends()).toEqual([]);

			await inbound('Hi, new number here', '5511911112222');
			expect(livechatRooms().map((r) => [r.isOpen ?? false, (r.visitor as any).token])).toEqual([
				[false, contactVisitorToken(app, '5511987654321')],
				[true, contactVisitorToken(app, '5511911112222')],
			]);
			// The new number's conversation notes the change and links the earlier one.
			expect(app.harness.world.messagesIn(livechatRooms()[1].id).map((m) => m.text)).toEqual([
				'Hi, new number here',
				expect.stringMatching(
					new RegExp(
						`^ℹ️ This contact changed their WhatsApp number from \\+5511987654321 to this one on \\d{4}-\\d{2}-\\d{2}\\.\nTheir earlier conversation: http\\S+/live/${room.id}$`,
					),
				),
			]);
			expect(sends()).toEqual([]);
		});

		it("explains Meta's refusal to the agent", async () => {
			const { agent, room } = await conversation();
			app.sim.injectError(NUMBER.phoneNumberId, { code: 131047 });
			await app.harness.userMessage({ user: agent, room, text: 'hello' });
			expect(String(app.harness.world.notificationsFor(agent.id).pop()?.text)).toBe(
				'⚠️ Not delivered to WhatsApp: More than 24 hours have passed since the contact last wrote: only a template can be sent now (/whatsapp send-template).',
			);
		});
	});

	it("sends the number's welcome, offline and conversation-finished messages", async () => {
		// A fresh workspace: no room while nobody is online.
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', false);
		const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
		Object.assign(stored.data as any, {
			welcomeMessage: 'Welcome to Acme!',
			offlineMessage: 'We are offline; we answer at 9am.',
			conversationFinishedMessage: 'Thanks, bye!',
		});
		await inbound('hello');
		const texts = () => sends().map((r) => (r.body as any).text?.body);
		expect(texts()).toEqual(['We are offline; we answer at 9am.']);
		const agent = app.harness.addAgent({ username: 'ana' });
		await app.harness.scheduler.advance(30000);
		expect(texts()).toEqual(['We are offline; we answer at 9am.', 'Welcome to Acme!']);
		await inbound('anyone?');
		expect(texts()).toHaveLength(2);
		await app.harness.closeLivechatRoom(livechatRooms()[0], agent);
		expect(texts()).toEqual(['We are offline; we answer at 9am.', 'Welcome to Acme!', 'Thanks, bye!']);
		expect(
			app.harness.world.persistence
				.map((r) => r.data as any)
				.filter((d) => d.type === 'Regular-Message')
				.map((d) => d.message),
		).toEqual(['We are offline; we answer at 9am.', 'Welcome to Acme!', 'Thanks, bye!']);
	});

	describe('replies to a templateMessage with targetAgent / targetDepartment', () => {
		async function sendTemplate(target: Record<string, string>) {
			app.sim.setTemplates(NUMBER.wabaId, [
				{
					id: '1',
					name: 'ship',
					language: 'en',
					status: 'APPROVED',
					category: 'UTILITY',
					components: [{ type: 'BODY', text: 'Ships in {{1}} days.' }],
				},
			]);
			const res = await callApi(app, 'templateMessage', {
				body: {
					phoneNumbers: ['5511987654321'],
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: {
						name: 'ship',
						language: { code: 'en' },
						components: [{ type: 'body', parameters: [{ type: 'text', text: '2' }] }],
					},
					...target,
				},
				headers: ADMIN_AUTH,
			});
			expect(res.status).toBe(200);
		}

		it('go to the target agent when online', async () => {
			app.harness.addAgent({ username: 'bob' });
			const ana = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
			ana.livechatStatus = 'available';
			await sendTemplate({ targetAgent: 'bob' });
			await inbound('yes please');
			expect(livechatRooms()[0]).toMatchObject({ servedBy: { username: 'bob' } });
		});

		it('find the send when Meta answers with a WhatsApp id other than the number sent to', async () => {
			// Brazilian mobiles: the template goes to the 13-digit number, Meta's wa_id has 12 digits.
			app.sim.waIds.set('5511987654321', '551187654321');
			app.harness.addAgent({ username: 'bob' });
			await sendTemplate({ targetAgent: 'bob' });
			await inbound('sim', '551187654321');
			expect(livechatRooms()[0]).toMatchObject({ servedBy: { username: 'bob' } });
			expect(livechatRooms()[0].visitor).toMatchObject({ token: contactVisitorToken(app, '551187654321', NUMBER.phoneNumberId) });
		});

		it('go to the target department when the agent is offline', async () => {
			const bob = app.harness.addUser({ username: 'bob', roles: ['user', 'livechat-agent'] });
			bob.status = 'offline';
			const carl = app.harness.addUser({ username: 'carl', roles: ['user', 'livechat-agent'] });
			carl.livechatStatus = 'available';
			const support = app.harness.world.addDepartment({ name: 'Support', agentIds: [carl.id] });
			await sendTemplate({ targetAgent: 'bob', targetDepartment: 'Support' });
			await inbound('hello');
			expect(livechatRooms()[0]).toMatchObject({ servedBy: { username: 'carl' }, department: { id: support.id } });
		});

		it('leave no department behind: past the routing hours, a number without one opens the next room as Rocket.Chat routes a chat without one', async () => {
			// The number has no department (connectNumber sets none); the template routes replies to Support for an hour.
			await app.harness.setSetting('template_routing_hours', 1);
			const dana = app.harness.addAgent({ username: 'dana' });
			const carl = app.harness.addAgent({ username: 'carl' });
			// Rocket.Chat gives a room requested without a department its first department shown on the
			// registration form with an agent online (getRequiredDepartment): General, not Support.
			const general = app.harness.world.addDepartment({ name: 'General', agentIds: [dana.id] });
			const support = app.harness.world.addDepartment({ name: 'Support', agentIds: [carl.id] });
			await sendTemplate({ targetDepartment: 'Support' });
			await inbound('hello');
			const [first] = livechatRooms();
			expect(first).toMatchObject({ isOpen: true, department: { id: support.id } });
			await app.harness.closeLivechatRoom(first, carl);
			await app.harness.settled();
			// Two hours later (the send's record aged, as the app reads the real clock), the contact writes again.
			const record = app.harness.world.persistence.find((r) => (r.data as any).targetDepartment === 'Support')!;
			(record.data as any).sentAt = new Date(Date.now() - 2 * 3600000).toISOString();
			await inbound('hello again');
			const second = livechatRooms().find((r) => r.id !== first.id)!;
			expect(second).toMatchObject({ isOpen: true, department: { id: general.id } });
			expect(app.harness.world.messagesIn(second.id).map((m) => m.text)).toContain('hello again');
		});

		it('do not apply after the routing window', async () => {
			await app.harness.setSetting('template_routing_hours', 1);
			app.harness.addUser({ username: 'bob', roles: ['user', 'livechat-agent'] });
			await sendTemplate({ targetAgent: 'bob' });
			const record = app.harness.world.persistence.find((r) => (r.data as any).targetAgent === 'bob')!;
			(record.data as any).sentAt = new Date(Date.now() - 2 * 3600000).toISOString();
			await inbound('late reply');
			expect((livechatRooms()[0].servedBy as any)?.username).not.toBe('bob');
		});
	});
});
