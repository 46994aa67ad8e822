/**
 * Fidelity of the harness's livechat bridge (tools/harness/rc/livechat.ts) to Rocket.Chat's
 * AppLivechatBridge (apps/meteor/app/apps/server/bridges/livechat.ts, the 7.x version that imports
 * `registerGuest` and `createRoom` from livechat/server/lib), driven directly as the engine calls it.
 * Each test names the Rocket.Chat source it follows.
 */
import { HarnessBridges } from '../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld, Json } from '../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const APP = 'app-1';

function setup() {
	const world = new HarnessWorld();
	const bridges = new HarnessBridges(world, new HarnessScheduler());
	const fired: Array<{ event: string; data: any }> = [];
	bridges.events.dispatch = async (event, data) => void fired.push({ event, data });
	const agent = (username: string, available = true) => {
		const user = world.addUser({ username, roles: ['user', 'livechat-agent'] });
		user.livechatStatus = available ? 'available' : 'not-available';
		return user;
	};
	return { world, bridges, fired, agent, livechat: bridges.getLivechatBridge() as any };
}

describe('livechat bridge: visitors (registerGuest, packages/omni-core/src/visitor/create.ts @ 161c9a39)', () => {
	it('finds a visitor by token first and updates its name and phone', async () => {
		const { livechat } = setup();
		const first = await livechat.createAndReturnVisitor({ token: 't-1', username: 'carla', name: 'Carla' }, APP);
		const again = await livechat.createAndReturnVisitor(
			{ token: 't-1', username: 'other', name: 'Carla R.', phone: [{ phoneNumber: '+5511' }] },
			APP,
		);
		expect(again).toMatchObject({ id: first.id, token: 't-1', username: 'carla', name: 'Carla R.', phone: [{ phoneNumber: '+5511' }] });
	});

	it('reuses a visitor with the same phone number and keeps ITS token: the given token is discarded', async () => {
		const { world, livechat } = setup();
		const first = await livechat.createAndReturnVisitor(
			{ token: 'number-a', username: 'a', name: 'Carla', phone: [{ phoneNumber: '+5511' }] },
			APP,
		);
		const second = await livechat.createAndReturnVisitor(
			{ token: 'number-b', username: 'b', name: 'Carla B', phone: [{ phoneNumber: '+5511' }] },
			APP,
		);
		expect(second).toMatchObject({ id: first.id, token: 'number-a', username: 'a', name: 'Carla B' });
		expect(world.visitors.size).toBe(1);
		expect(await livechat.findVisitorByToken('number-b', APP)).toBeUndefined();
	});

	it('reuses a visitor with the same email and gives it the new token', async () => {
		const { livechat } = setup();
		const first = await livechat.createAndReturnVisitor(
			{ token: 'old', username: 'a', name: 'Carla', visitorEmails: [{ address: 'c@example.test' }] },
			APP,
		);
		const second = await livechat.createAndReturnVisitor(
			{ token: 'new', username: 'b', name: 'Carla', visitorEmails: [{ address: 'c@example.test' }] },
			APP,
		);
		expect(second).toMatchObject({ id: first.id, token: 'new', username: 'a' });
	});

	it('creates a visitor with the username given, else the next guest-N; a token is required', async () => {
		const { livechat } = setup();
		expect(await livechat.createAndReturnVisitor({ token: 't-1', username: 'whatsapp-1-2', name: 'A' }, APP)).toMatchObject({
			username: 'whatsapp-1-2',
		});
		expect(await livechat.createAndReturnVisitor({ token: 't-2', name: 'B' }, APP)).toMatchObject({
			username: expect.stringMatching(/^guest-\d+$/),
		});
		await expect(livechat.createAndReturnVisitor({ name: 'C' }, APP)).rejects.toThrow('error-invalid-token');
		expect(typeof (await livechat.createVisitor({ token: 't-3', name: 'D' }, APP))).toBe('string');
	});

	it('refuses an unknown department (error-invalid-department) and stores a known one by id, found by id or name', async () => {
		const { world, livechat } = setup();
		const sales = world.addDepartment({ name: 'Sales' });
		await expect(livechat.createAndReturnVisitor({ token: 't-1', name: 'A', department: 'nope' }, APP)).rejects.toThrow(
			'The provided department is invalid [error-invalid-department]',
		);
		expect(await livechat.createAndReturnVisitor({ token: 't-1', name: 'A', department: 'Sales' }, APP)).toMatchObject({
			department: sales.id,
		});
	});
});

describe('livechat bridge: rooms (createRoom -> lib/rooms createRoom -> QueueManager.requestRoom @ 559fb435)', () => {
	const visitorIn = async (livechat: any, department?: string) =>
		livechat.createAndReturnVisitor({ token: `t-${Math.random()}`, name: 'Carla', ...(department ? { department } : {}) }, APP);

	it('refuses a room when no agent is online (no-agent-online), unless Livechat_accept_chats_with_no_agents', async () => {
		const { world, livechat, agent } = setup();
		agent('ana', false);
		const visitor = await visitorIn(livechat);
		await expect(livechat.createRoom(visitor, undefined, APP)).rejects.toThrow('Sorry, no online agents [no-agent-online]');
		// A present user who is not an agent, or an agent whose presence is offline, does not count.
		world.addUser({ username: 'admin2', roles: ['admin'] });
		const bob = agent('bob');
		bob.status = 'offline';
		await expect(livechat.createRoom(visitor, undefined, APP)).rejects.toThrow('no-agent-online');
		expect(livechat.isOnline()).toBe(false);
		world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		const room = await livechat.createRoom(visitor, undefined, APP);
		expect(room).toMatchObject({ type: 'l', isOpen: true, servedBy: undefined, inquiry: { status: 'ready' } });
		// service-status.ts `online`: with the setting on, "online" whatever the agents.
		expect(livechat.isOnline()).toBe(true);
	});

	it('refuses a room for a department without an online agent even when others are online; follows fallbackForwardDepartment', async () => {
		const { world, livechat, agent } = setup();
		const ana = agent('ana');
		const bob = agent('bob');
		const sales = world.addDepartment({ name: 'Sales', agentIds: [] });
		const visitor = await visitorIn(livechat, sales.id as string);
		await expect(livechat.createRoom(visitor, undefined, APP)).rejects.toThrow('no-agent-online');
		expect(livechat.isOnline(sales.id)).toBe(false);
		const support = world.addDepartment({ name: 'Support', agentIds: [bob.id] });
		sales.fallbackForwardDepartment = support.id;
		expect(livechat.isOnline(sales.id)).toBe(true);
		expect(await livechat.createRoom(visitor, undefined, APP)).toMatchObject({ department: { id: sales.id } });
		void ana;
	});

	it("routes by the department of the visitor the app hands over; without one and without an agent, Rocket.Chat's required department (lib/rooms createRoom, getRequiredDepartment @ 014c0860)", async () => {
		const { world, livechat, agent } = setup();
		const ana = agent('ana');
		const bob = agent('bob', false);
		const cleo = agent('cleo');
		// Skipped: no online agent of its own (bob is away), then not on the registration form.
		world.addDepartment({ name: 'Away', agentIds: [bob.id] });
		const hidden = world.addDepartment({ name: 'Hidden', agentIds: [ana.id] });
		hidden.showOnRegistration = false;
		const general = world.addDepartment({ name: 'General', agentIds: [cleo.id] });
		const sales = world.addDepartment({ name: 'Sales', agentIds: [ana.id] });
		// The stored visitor is in Sales; the app hands it over without its department.
		const stored = await visitorIn(livechat, sales.id as string);
		const { department, ...without } = stored;
		expect(department).toBe(sales.id);
		expect(await livechat.createRoom(stored, undefined, APP)).toMatchObject({ department: { id: sales.id } });
		expect(await livechat.createRoom(without, undefined, APP)).toMatchObject({ department: { id: general.id } });
		// With an agent given, no department is looked for.
		expect((await livechat.createRoom(without, { id: ana.id }, APP)).department).toBeUndefined();
	});

	it('throws for an unknown agent id; an agent given is never refused for being offline', async () => {
		const { world, livechat } = setup();
		const visitor = await visitorIn(livechat);
		await expect(livechat.createRoom(visitor, { id: 'user-ghost' }, APP)).rejects.toThrow(
			'The agent with id "user-ghost" was not found.',
		);
		const plain = world.addUser({ username: 'plain' });
		// Nobody is online, yet the room is created: beforeDelegateAgent returns the agent given as is.
		expect(await livechat.createRoom(visitor, { id: plain.id }, APP)).toMatchObject({ isOpen: true, servedBy: undefined });
	});

	it('Auto_Selection serves the room with the agent given when online, and fires IPostLivechatAgentAssigned { room, agent } without awaiting it', async () => {
		const { livechat, agent, fired, bridges } = setup();
		agent('ana');
		const bob = agent('bob');
		const visitor = await visitorIn(livechat);
		// The app's listeners hang: the room is still answered (Rocket.Chat does not await them).
		let release = () => undefined as void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		bridges.events.dispatch = async (event, data) => {
			fired.push({ event, data });
			await gate;
		};
		const room = await livechat.createRoom(visitor, { id: bob.id }, APP);
		expect(room).toMatchObject({ servedBy: { id: bob.id }, inquiry: { status: 'taken' } });
		expect(room.userIds).toContain(bob.id);
		release();
		await bridges.events.settled();
		expect(fired.map((f) => f.event)).toEqual(['IPostLivechatRoomStarted', 'IPostLivechatAgentAssigned']);
		expect(fired[1].data).toMatchObject({ room: { id: room.id }, agent: { id: bob.id, username: 'bob' } });
	});

	it('Auto_Selection replaces an agent given who is unavailable or not an agent with the next agent of the department (RoutingManager.delegateInquiry @ 6334ff12)', async () => {
		const { world, livechat, agent } = setup();
		agent('ana');
		const carl = agent('carl');
		const bob = agent('bob', false);
		const plain = world.addUser({ username: 'plain' });
		const support = world.addDepartment({ name: 'Support', agentIds: [carl.id, bob.id] });
		const visitor = await visitorIn(livechat, support.id as string);
		expect(await livechat.createRoom(visitor, { id: bob.id }, APP)).toMatchObject({
			servedBy: { username: 'carl' },
			department: { id: support.id },
		});
		const other = await visitorIn(livechat, support.id as string);
		expect(await livechat.createRoom(other, { id: plain.id }, APP)).toMatchObject({ servedBy: { username: 'carl' } });
	});

	it('Auto_Selection leaves the room unserved, and fires no assignment, when the routing finds nobody', async () => {
		const { world, livechat, agent, fired, bridges } = setup();
		const bob = agent('bob', false);
		world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		const room = await livechat.createRoom(await visitorIn(livechat), { id: bob.id }, APP);
		await bridges.events.settled();
		expect(room.servedBy).toBeUndefined();
		expect(fired.map((f) => f.event)).toEqual(['IPostLivechatRoomStarted']);
	});

	it('Manual_Selection leaves the room queued with no servedBy, the agent given kept as defaultAgent (QueueManager getInquiryStatus)', async () => {
		const { world, livechat, agent, fired, bridges } = setup();
		world.serverSettings.set('Livechat_Routing_Method', 'Manual_Selection');
		const ana = agent('ana');
		const room = await livechat.createRoom(await visitorIn(livechat), { id: ana.id }, APP);
		await bridges.events.settled();
		expect(room).toMatchObject({
			servedBy: undefined,
			inquiry: { status: 'queued', defaultAgent: { agentId: ana.id, username: 'ana' } },
		});
		expect(fired.map((f) => f.event)).toEqual(['IPostLivechatRoomStarted']);
	});

	it('lists only open rooms of the visitor, by department when asked (findRooms: LivechatRooms.findOpenByVisitorToken[AndDepartmentId])', async () => {
		const { world, livechat, agent } = setup();
		const ana = agent('ana');
		const sales = world.addDepartment({ name: 'Sales', agentIds: [ana.id] });
		const visitor = await visitorIn(livechat, sales.id as string);
		const closed = await livechat.createRoom(visitor, undefined, APP);
		await livechat.closeRoom(closed, 'done', undefined, APP);
		const open = await livechat.createRoom(visitor, undefined, APP);
		expect((await livechat.findRooms(visitor, null, APP)).map((r: Json) => r.id)).toEqual([open.id]);
		expect((await livechat.findRooms(visitor, sales.id, APP)).map((r: Json) => r.id)).toEqual([open.id]);
		expect(await livechat.findRooms(visitor, 'dept-other', APP)).toEqual([]);
	});
});

describe('livechat bridge: closeRoom (lib/closeRoom.ts closeRoom -> afterRoomClosed)', () => {
	it('fires ILivechatRoomClosedHandler and IPostLivechatRoomClosed with the closed room (no isOpen) on the next tick, not awaited, whoever closes it; a closed room again is refused, firing nothing', async () => {
		const { livechat, fired, bridges, agent } = setup();
		agent('ana');
		const visitor = await livechat.createAndReturnVisitor({ token: 't-1', name: 'Carla' }, APP);
		const room = await livechat.createRoom(visitor, undefined, APP);
		await new Promise<void>((resolve) => process.nextTick(resolve));
		await bridges.events.settled();
		fired.length = 0;
		// An app closing the room through the bridge, as an agent's close does.
		expect(await livechat.closeRoom(room, 'done', undefined, APP)).toBe(true);
		expect(fired).toEqual([]);
		await new Promise<void>((resolve) => process.nextTick(resolve));
		await bridges.events.settled();
		expect(fired.map((f) => f.event)).toEqual(['ILivechatRoomClosedHandler', 'IPostLivechatRoomClosed']);
		expect(fired[1].data).toMatchObject({ id: room.id, closedAt: expect.any(Date) });
		expect('isOpen' in fired[1].data).toBe(false);
		expect(await livechat.closeRoom(room, 'again', undefined, APP)).toBe(false);
		await new Promise<void>((resolve) => process.nextTick(resolve));
		await bridges.events.settled();
		expect(fired).toHaveLength(2);
	});
});

describe('livechat bridge: transfers (transferVisitor -> RoutingManager.transferRoom)', () => {
	it('needs the app user and an agent as target; an offline agent is refused; a department transfer routes to its next agent, who is assigned', async () => {
		const { world, livechat, agent, fired, bridges } = setup();
		const ana = agent('ana');
		const visitor = await livechat.createAndReturnVisitor({ token: 't-1', name: 'Carla' }, APP);
		const room = await livechat.createRoom(visitor, undefined, APP);
		await expect(livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: ana.id } }, APP)).rejects.toThrow(
			'Invalid app user, cannot transfer',
		);
		world.addUser({ username: 'app.bot', type: 'app', roles: ['app'] }).appId = APP;
		const plain = world.addUser({ username: 'plain' });
		await expect(livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: plain.id } }, APP)).rejects.toThrow(
			'Invalid target agent, cannot transfer',
		);
		const bob = agent('bob', false);
		await expect(livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: bob.id } }, APP)).rejects.toThrow(
			'error-user-is-offline',
		);
		const carl = agent('carl');
		const support = world.addDepartment({ name: 'Support', agentIds: [carl.id] });
		fired.length = 0;
		expect(await livechat.transferVisitor(visitor, { currentRoom: room, targetDepartment: support.id }, APP)).toBe(true);
		expect(world.rooms.get(room.id)).toMatchObject({ servedBy: { username: 'carl' }, department: { id: support.id } });
		// The agent who takes it does so through takeInquiry (RoutingManager.ts), which fires the assignment.
		await bridges.events.settled();
		expect(fired).toEqual([
			{ event: 'IPostLivechatAgentAssigned', data: expect.objectContaining({ room: expect.objectContaining({ id: room.id }) }) },
		]);
		expect(fired[0].data.agent).toMatchObject({ username: 'carl' });
		await livechat.closeRoom(room, 'done', undefined, APP);
		expect(await livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: carl.id } }, APP)).toBe(false);
	});

	/** The app's user, agent ana, and Carla's room, which ana serves (auto selection). */
	async function servedByAna() {
		const world = setup();
		world.world.addUser({ username: 'app.bot', type: 'app', roles: ['app'] }).appId = APP;
		const ana = world.agent('ana');
		const visitor = await world.livechat.createAndReturnVisitor({ token: 't-1', name: 'Carla' }, APP);
		const room = await world.livechat.createRoom(visitor, undefined, APP);
		await world.bridges.events.settled();
		return { ...world, ana, visitor, room };
	}

	it("refuses a forward to the room's own agent, and fires nothing when its agent takes it again (takeInquiry: 'already taken by the same agent')", async () => {
		const { world, livechat, fired, bridges, ana, visitor, room } = await servedByAna();
		expect(world.rooms.get(room.id)).toMatchObject({ servedBy: { username: 'ana' } });
		fired.length = 0;
		await expect(livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: ana.id } }, APP)).rejects.toThrow(
			'error-selected-agent-room-agent-are-same',
		);
		const support = world.addDepartment({ name: 'Support', agentIds: [ana.id] });
		expect(await livechat.transferVisitor(visitor, { currentRoom: room, targetDepartment: support.id }, APP)).toBe(true);
		await bridges.events.settled();
		expect(fired).toEqual([]);
	});

	it('queues the room for the department under Manual_Selection, unserved, firing nothing (unassignAgent(inquiry, department, true))', async () => {
		const { world, livechat, agent, fired, bridges, ana, visitor, room } = await servedByAna();
		world.serverSettings.set('Livechat_Routing_Method', 'Manual_Selection');
		const carl = agent('carl');
		const sales = world.addDepartment({ name: 'Sales', agentIds: [carl.id, ana.id] });
		fired.length = 0;
		expect(await livechat.transferVisitor(visitor, { currentRoom: room, targetDepartment: sales.id }, APP)).toBe(true);
		await bridges.events.settled();
		expect(world.rooms.get(room.id)?.servedBy).toBeUndefined();
		expect(world.rooms.get(room.id)).toMatchObject({ department: { id: sales.id } });
		expect(fired).toEqual([]);
	});
});
