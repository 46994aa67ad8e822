/**
 * Omnichannel of apps, as Rocket.Chat's AppLivechatBridge runs it
 * (apps/meteor/app/apps/server/bridges/livechat.ts; versions read: 9d4ba560 (Meteor era), 00b86165
 * (6.x) and the 7.x one that imports `registerGuest` from livechat/server/lib/guests and
 * `createRoom` from livechat/server/lib/rooms). What each method follows is said next to it; the
 * fidelity suite (test/harness/fidelity/livechat.test.ts) asserts each behaviour.
 *
 * Server settings that change it (HarnessWorld.serverSettings, a fresh workspace's defaults):
 * - `Livechat_accept_chats_with_no_agents` (false): room creation refuses with no agent online;
 *   when true, `isOnline` always answers true (service-status.ts `online`).
 * - `Livechat_Routing_Method` ('Auto_Selection'): auto selection serves the room at once when an
 *   agent is available; 'Manual_Selection' leaves it queued for agents to take.
 * Not modelled: bots (`Livechat_assign_new_conversation_to_bot`), the waiting queue
 * (`Livechat_waiting_queue`), 'External' routing, contact verification and MAC limits, idle agents
 * (`Livechat_enabled_when_agent_idle`).
 */
import { randomUUID } from 'crypto';

import { HarnessUser, HarnessWorld, Json } from '../world';
import { BridgeContext, BridgeMethods } from './context';
import { messageBridge } from './messages';
import { toAppRoom } from './rooms';

/**
 * Rocket.Chat throws `Meteor.Error(error, reason)`, whose message is `reason [error]`: that is what
 * reaches an app through the engine.
 */
export function meteorError(error: string, reason: string): Error {
	const err = new Error(`${reason} [${error}]`);
	(err as Error & { error?: string }).error = error;
	return err;
}

/**
 * An agent Rocket.Chat counts as online: role livechat-agent, active, livechat status 'available'
 * and presence not offline (Users `queryStatusAgentOnline`, used by `checkOnlineAgents` and by
 * `findOneOnlineAgentByUserList` in RoutingManager.delegateInquiry).
 */
export function isOnlineAgent(user: HarnessUser | undefined): boolean {
	return Boolean(
		user && user.roles.includes('livechat-agent') && user.active && user.livechatStatus === 'available' && user.status !== 'offline',
	);
}

/** The department's agent ids (LivechatDepartmentAgents). */
const agentIdsOf = (department: Json | undefined): string[] => (department?.agentIds as string[] | undefined) ?? [];

/** `findOneByIdOrName` of LivechatDepartment. */
export function findDepartment(w: HarnessWorld, value: string | undefined): Json | undefined {
	if (!value) return undefined;
	return w.departments.get(value) ?? [...w.departments.values()].find((d) => d.name === value);
}

/**
 * service-status.ts `checkOnlineAgents` (7.x, id 301292459): any online agent, or one of the
 * department's, following the department's `fallbackForwardDepartment` when it has none.
 */
export function checkOnlineAgents(w: HarnessWorld, departmentId?: string, seen = new Set<string>()): boolean {
	const online = [...w.users.values()].filter(isOnlineAgent);
	if (!departmentId) return online.length > 0;
	const department = w.departments.get(departmentId);
	if (online.some((a) => agentIdsOf(department).includes(a.id))) return true;
	const fallback = department?.fallbackForwardDepartment as string | undefined;
	if (!fallback || seen.has(fallback)) return false;
	seen.add(departmentId);
	return checkOnlineAgents(w, fallback, seen);
}

/**
 * departmentsLib.ts `getRequiredDepartment` (onlineRequired, the default): the first department
 * enabled with agents and `showOnRegistration` (`findEnabledWithAgentsAndRegistration`) with an
 * online agent of its own (`checkOnlineForDepartment`: no fallback department followed).
 */
export function requiredDepartment(w: HarnessWorld): Json | undefined {
	return [...w.departments.values()].find(
		(d) => d.enabled && d.showOnRegistration && agentIdsOf(d).length > 0 && agentIdsOf(d).some((id) => isOnlineAgent(w.users.get(id))),
	);
}

/** service-status.ts `online`: true whatever the agents when chats with no agents are accepted. */
export function online(w: HarnessWorld, departmentId?: string): boolean {
	if (w.serverSettings.get('Livechat_accept_chats_with_no_agents')) return true;
	return checkOnlineAgents(w, departmentId);
}

/**
 * The routing method's next agent (Auto_Selection, RoutingManager.getNextAgent): an online agent of
 * the department, or of the workspace without one; the one routed to longest ago first
 * (`lastRoutingTime`, Rocket.Chat's load rotation). None when nobody is online: no fallback to
 * other departments.
 */
export function nextAgent(w: HarnessWorld, departmentId?: string): HarnessUser | undefined {
	const department = departmentId ? w.departments.get(departmentId) : undefined;
	const candidates = [...w.users.values()].filter((u) => isOnlineAgent(u) && (!departmentId || agentIdsOf(department).includes(u.id)));
	const routedAt = (u: HarnessUser) => (u as HarnessUser & { lastRoutingTime?: number }).lastRoutingTime ?? 0;
	return candidates.sort((a, b) => routedAt(a) - routedAt(b))[0];
}

/**
 * RoutingManager.takeInquiry + assignAgent: the agent serves the room (joins it), the inquiry is
 * taken, then IPostLivechatAgentAssigned `{ room, agent }` fires without being awaited
 * (`void Apps.self?.getBridges()?.getListenerBridge().livechatEvent(...)`, RoutingManager.ts @ 6334ff12).
 * A room the agent serves already is left as it is, firing nothing ("already taken by the same agent").
 */
export function takeInquiry(ctx: BridgeContext, room: Json, agent: HarnessUser): void {
	if ((room.servedBy as Json | undefined)?.id === agent.id) return;
	room.servedBy = ctx.toAppUser(agent);
	const userIds = room.userIds as string[];
	const usernames = room.usernames as string[];
	if (!userIds.includes(agent.id)) userIds.push(agent.id);
	if (!usernames.includes(agent.username)) usernames.push(agent.username);
	room.inquiry = { ...((room.inquiry as Json | undefined) ?? {}), status: 'taken' };
	(agent as HarnessUser & { lastRoutingTime?: number }).lastRoutingTime = Date.now();
	// The listener bridge converts the room (rooms converter, rc/rooms.ts) when it hands the event over.
	ctx.events.fire('IPostLivechatAgentAssigned', { room: toAppRoom(ctx.world, room), agent: ctx.toAppUser(agent) });
}

/**
 * RoutingManager.transferRoom, as an agent's forward or an app's transferVisitor asks it: a target
 * agent must be an agent (`Users.findOneAgentById`), a target department must exist; a department
 * first (forwardRoomToDepartment), else the agent (forwardRoomToAgent: who must be online,
 * 'error-user-is-offline', and not the room's agent already, 'error-selected-agent-room-agent-are-same'),
 * else false. A closed room is not transferred (false). Whoever takes the room does so through
 * takeInquiry, which fires IPostLivechatAgentAssigned (RoutingManager.ts); under 'Manual_Selection'
 * a department's room is queued for its agents to take, unserved, and nothing fires.
 * Simplified, not as Rocket.Chat: a department forward takes the agent asked for when online in it,
 * else the department's next agent (Rocket.Chat refuses an agent offline or of another department),
 * else leaves the room queued unserved (Rocket.Chat refuses a department with nobody online); the
 * refusals of a forward to the room's own department, and IPostLivechatRoomTransferred, are not modelled.
 */
export function transferRoom(ctx: BridgeContext, room: Json | undefined, to: { agentId?: string; departmentId?: string }): boolean {
	const { world: w } = ctx;
	let target: HarnessUser | undefined;
	if (to.agentId) {
		target = w.users.get(to.agentId);
		if (!target?.roles.includes('livechat-agent')) throw new Error('Invalid target agent, cannot transfer');
	}
	const department = to.departmentId ? w.departments.get(to.departmentId) : undefined;
	if (to.departmentId && !department) throw new Error('error-invalid-department');
	if (!room || !room.isOpen) return false;
	if (department) {
		room.department = department;
		const manual = w.serverSettings.get('Livechat_Routing_Method') === 'Manual_Selection';
		const next = manual
			? undefined
			: target && isOnlineAgent(target) && agentIdsOf(department).includes(target.id)
				? target
				: nextAgent(w, department.id as string);
		if (next) takeInquiry(ctx, room, next);
		else room.servedBy = undefined;
	} else if (target) {
		if (!isOnlineAgent(target)) throw new Error('error-user-is-offline');
		if ((room.servedBy as Json | undefined)?.id === target.id) throw new Error('error-selected-agent-room-agent-are-same');
		takeInquiry(ctx, room, target);
	} else {
		return false;
	}
	room.transfers = [
		...((room.transfers as Json[] | undefined) ?? []),
		{ at: new Date(), to: (room.servedBy as Json | undefined)?.username, department: to.departmentId },
	];
	return true;
}

/**
 * Omnichannel as Rocket.Chat runs it for apps: visitors registered as registerGuest does, livechat
 * rooms (type 'l') requested as QueueManager.requestRoom does, routed by the routing method.
 */
export function livechatBridge(ctx: BridgeContext): BridgeMethods {
	const { world: w } = ctx;
	const messages = messageBridge(ctx);
	const visitors = () => [...w.visitors.values()];
	const livechatRooms = () => [...w.rooms.values()].filter((r) => r.type === 'l');
	const phoneOf = (v: Json) => ((v.phone as Array<{ phoneNumber: string }> | undefined) ?? []).map((p) => p.phoneNumber);
	const emailsOf = (v: Json) => ((v.visitorEmails as Array<{ address: string }> | undefined) ?? []).map((e) => e.address);
	let guestCount = 0;

	/**
	 * The bridge's createAndReturnVisitor / createVisitor hand registerGuest only: token, username,
	 * name, department, id, the first phone and the first email (bridges/livechat.ts, 7.x). Then
	 * registerGuest (packages/omni-core/src/visitor/create.ts @ 161c9a39; same order in 6.x's
	 * LivechatTyped.registerGuest):
	 *   1. a visitor with that token is updated;
	 *   2. else a visitor with that phone number is reused and KEEPS ITS TOKEN (the given one is dropped);
	 *   3. else a visitor with that email is reused and gets the given token;
	 *   4. else a visitor is created (`username` or the next `guest-N`) with the `id` given, if any:
	 *      `updateOneByIdOrToken` upserts on that `_id` with `$set`, so a visitor that has this id
	 *      keeps its other fields and gets the token, username, status and `ts` (models/LivechatVisitors.ts).
	 * Name, phone and email given are set on the visitor. A department given that differs from the
	 * visitor's must exist (by id or name), else `error-invalid-department`.
	 */
	const registerGuest = (visitor: Json): Json => {
		const token = visitor.token as string | undefined;
		if (!token) throw new Error('error-invalid-token');
		const phone = phoneOf(visitor)[0];
		const email = emailsOf(visitor)[0];
		const byToken = visitors().find((v) => v.token === token);
		const update: Json = {};
		const department = visitor.department as string | undefined;
		if (department && byToken?.department !== department) {
			const found = findDepartment(w, department);
			if (!found) throw meteorError('error-invalid-department', 'The provided department is invalid');
			update.department = found.id;
		}
		let existing: Json | undefined = byToken;
		update.token = token;
		if (!existing && phone) {
			existing = visitors().find((v) => phoneOf(v).includes(phone));
			// "Don't change token when matching by phone number, use current visitor token"
			if (existing) update.token = existing.token;
		}
		if (!existing && email) existing = visitors().find((v) => emailsOf(v).includes(email));
		if (visitor.name) update.name = visitor.name;
		if (phone) update.phone = [{ phoneNumber: phone }];
		if (email) update.visitorEmails = [{ address: email }];
		const now = new Date();
		const sameId = visitor.id ? w.visitors.get(visitor.id as string) : undefined;
		const stored: Json = existing
			? { ...existing, ...update, updatedAt: now }
			: {
					...(sameId ?? {}),
					id: (visitor.id as string | undefined) ?? `visitor-${randomUUID()}`,
					username: (visitor.username as string | undefined) || `guest-${++guestCount}`,
					createdAt: now,
					status: 'online',
					...update,
					updatedAt: now,
				};
		w.visitors.set(stored.id as string, stored);
		return stored;
	};

	const bridge: BridgeMethods = {
		// service-status.ts `online` (see above).
		isOnline: (departmentId?: string) => online(w, departmentId),
		isOnlineAsync: async (departmentId?: string) => online(w, departmentId),
		findDepartmentByIdOrName: async (value: string) => findDepartment(w, value),
		findDepartmentsEnabledWithAgents: async () => [...w.departments.values()].filter((d) => d.enabled && agentIdsOf(d).length > 0),
		createVisitor: async (visitor: Json) => {
			const stored = registerGuest(visitor);
			if (!stored) throw new Error('Invalid visitor, cannot create');
			return stored.id;
		},
		createAndReturnVisitor: async (visitor: Json) => registerGuest(visitor),
		findVisitors: async (query: Json) => visitors().filter((v) => Object.entries(query ?? {}).every(([k, value]) => v[k] === value)),
		findVisitorById: async (id: string) => w.visitors.get(id),
		findVisitorByToken: async (token: string) => visitors().find((v) => v.token === token),
		findVisitorByEmail: async (email: string) => visitors().find((v) => emailsOf(v).includes(email)),
		// LivechatVisitors.findOneVisitorByPhone: the first visitor with that phone number.
		findVisitorByPhoneNumber: async (phone: string) => visitors().find((v) => phoneOf(v).includes(phone)),
		/**
		 * bridges/livechat.ts createRoom (7.x): an agent given must exist (`Users.getAgentInfo`, no
		 * role check), else `The agent with id "X" was not found.`. Then lib/rooms createRoom and
		 * QueueManager.requestRoom (@ 559fb435). Unless `Livechat_accept_chats_with_no_agents`:
		 *   - no agent given, the visitor's department has no online agent (fallback departments
		 *     followed) -> 'no-agent-online';
		 *   - no agent given, no department, nobody online -> 'no-agent-online';
		 *   - (an agent given is never refused here: the core `livechat.beforeDelegateAgent` hook
		 *     returns it as is, online or not.)
		 * The room is inserted, IPostLivechatRoomStarted fires, then the inquiry (getInquiryStatus):
		 *   - 'Manual_Selection': queued, no `servedBy`; the agent given is kept as `defaultAgent`;
		 *   - 'Auto_Selection': ready, and RoutingManager.delegateInquiry serves it with the agent
		 *     given if that one is an online agent, else the routing's next agent of the department,
		 *     else nobody (the room stays unserved); a served room fires IPostLivechatAgentAssigned.
		 */
		createRoom: async (visitor: Json, agent: Json | undefined, appId: string, extra?: Json) => {
			let requested: HarnessUser | undefined;
			if (agent?.id) {
				requested = w.users.get(agent.id as string);
				if (!requested) throw new Error(`The agent with id "${String(agent.id)}" was not found.`);
			}
			const guest = visitors().find((v) => v.token === visitor.token);
			if (!guest) throw new Error('error-invalid-visitor');
			// The department of the visitor the app hands over, not the stored one's: the bridge passes
			// `convertAppVisitor(visitor)` (which copies `department` only when set: converters/visitors.ts
			// @ 749978e74f76e7bfcc28a23729dbb64a58000d9b) to lib/rooms createRoom, and requestRoom routes by
			// `guest.department`. An app's visitor without one gets a room without one, unless lib/rooms
			// createRoom (@ 014c086054cdbb455b32468cad52593b5265a230) finds a required department first:
			// with no agent given and no department, `getRequiredDepartment` (departmentsLib.ts) gives the
			// room the first enabled department with agents, shown on the registration form, that has an
			// online agent of its own.
			const departmentId =
				(visitor.department as string | undefined) || (requested ? undefined : (requiredDepartment(w)?.id as string | undefined));
			if (!w.serverSettings.get('Livechat_accept_chats_with_no_agents')) {
				const department = departmentId && checkOnlineAgents(w, departmentId);
				if (!requested && departmentId && !department) throw meteorError('no-agent-online', 'Sorry, no online agents');
				if (!requested && !departmentId && !checkOnlineAgents(w)) throw meteorError('no-agent-online', 'Sorry, no online agents');
			}
			const creator = w.findUserByUsername('rocket.cat') ?? w.findUserByUsername('admin');
			const source = extra?.source as Json | undefined;
			const room = w.addRoom({
				name: String(guest.name ?? guest.username),
				type: 'l',
				creator: creator as HarnessUser,
				members: [],
				extra: {
					// The room's own copy of its visitor (Rocket.Chat's `v`): apps read the visitor again by id (rc/rooms.ts).
					visitor: { ...guest },
					department: departmentId ? w.departments.get(departmentId) : undefined,
					servedBy: undefined,
					isOpen: true,
					isWaitingResponse: true,
					closer: undefined,
					source: {
						type: 'app',
						id: appId,
						...(source?.type === 'app'
							? {
									label: source.label,
									sidebarIcon: source.sidebarIcon,
									defaultIcon: source.defaultIcon,
									destination: source.destination,
								}
							: {}),
					},
					customFields: extra?.customFields,
				},
			});
			ctx.events.fire('IPostLivechatRoomStarted', toAppRoom(w, room));
			if (w.serverSettings.get('Livechat_Routing_Method') === 'Manual_Selection') {
				room.inquiry = {
					status: 'queued',
					department: departmentId,
					...(requested ? { defaultAgent: { agentId: requested.id, username: requested.username } } : {}),
				};
				return toAppRoom(w, room);
			}
			room.inquiry = { status: 'ready', department: departmentId };
			const serving = isOnlineAgent(requested) ? requested : nextAgent(w, departmentId);
			if (serving) takeInquiry(ctx, room, serving);
			// bridges/livechat.ts createRoom answers the room through the rooms converter (rc/rooms.ts).
			return toAppRoom(w, room);
		},
		// closeRoom.ts: an open livechat room is closed (by the user given, else the visitor). Rocket.Chat
		// removes the room's `open` rather than set it false (packages/models LivechatRooms.closeRoomById:
		// `$unset: { open: 1 }`), so a closed room reaches apps with no `isOpen` at all (converters/rooms.ts
		// maps `isOpen` from `open`), never with `isOpen: false`.
		// Once closed, afterRoomClosed fires ILivechatRoomClosedHandler and IPostLivechatRoomClosed with
		// the closed room, on the next tick and not awaited (lib/closeRoom.ts), whoever closed it: an
		// agent, the visitor, an app through this bridge.
		closeRoom: async (room: Json, comment: string, closer: Json | undefined) => {
			const stored = w.rooms.get(room.id as string);
			if (!stored || stored.type !== 'l' || !stored.isOpen) return false;
			delete stored.isOpen;
			Object.assign(stored, {
				closedAt: new Date(),
				closer: closer ? 'user' : 'visitor',
				closedBy: closer,
				closingComment: comment,
			});
			const closed = toAppRoom(w, stored);
			process.nextTick(() => {
				ctx.events.fire('ILivechatRoomClosedHandler', closed);
				ctx.events.fire('IPostLivechatRoomClosed', closed);
			});
			return true;
		},
		// findRooms: LivechatRooms.findOpenByVisitorToken(AndDepartmentId) (the room's own copy `v.token`):
		// open rooms only, each through the rooms converter (rc/rooms.ts).
		findRooms: async (visitor: Json, departmentId: string | null) =>
			visitor
				? livechatRooms()
						.filter(
							(r) =>
								r.isOpen &&
								(r.visitor as Json | undefined)?.token === visitor.token &&
								(!departmentId || (r.department as Json | undefined)?.id === departmentId),
						)
						.map((r) => toAppRoom(w, r))
				: [],
		findOpenRoomsByAgentId: async (agentId: string) => {
			if (!agentId) throw new Error('Invalid agentId');
			return livechatRooms()
				.filter((r) => r.isOpen && (r.servedBy as Json | undefined)?.id === agentId)
				.map((r) => toAppRoom(w, r));
		},
		countOpenRoomsByAgentId: async (agentId: string) => {
			if (!agentId) throw new Error('Invalid agentId');
			return livechatRooms().filter((r) => r.isOpen && (r.servedBy as Json | undefined)?.id === agentId).length;
		},
		/** bridges/livechat.ts transferVisitor (7.x): the app's user must exist; then `transferRoom` above. */
		transferVisitor: async (visitor: Json, transfer: Json, appId: string) => {
			if (!visitor) throw new Error('Invalid visitor, cannot transfer');
			if (![...w.users.values()].some((u) => u.type === 'app' && (!u.appId || u.appId === appId)))
				throw new Error('Invalid app user, cannot transfer');
			const room = w.rooms.get((transfer.currentRoom as Json).id as string);
			return transferRoom(ctx, room, {
				agentId: (transfer.targetAgent as Json | undefined)?.id as string | undefined,
				departmentId: transfer.targetDepartment as string | undefined,
			});
		},
		// createMessage hands the message to the livechat sendMessage (lib/messages.ts), whose getRoom
		// (lib/rooms.ts @ 014c086054cdbb455b32468cad52593b5265a230; 6.x's Livechat.getRoom the same)
		// reads the message's room first: a room that is not open (closed meanwhile) gets the visitor a
		// new room, created as lib/rooms createRoom creates one (no agent given; the bridge's roomInfo
		// names the app as its source), and the message goes there; an open room of another visitor is
		// refused ('cannot-access-room'). The app learns of neither from the answer, the message's id.
		createMessage: async (message: Json, appId: string) => {
			const room = w.rooms.get(((message.room as Json | undefined)?.id as string | undefined) ?? '');
			const visitor = message.visitor as Json | undefined;
			if (room?.type === 'l' && visitor) {
				if (!room.isOpen) {
					const fresh = await (bridge.createRoom as (v: Json, a: undefined, id: string) => Promise<Json>)(
						visitor,
						undefined,
						appId,
					);
					return messages.create({ ...message, room: fresh });
				}
				if ((room.visitor as Json | undefined)?.token !== visitor.token)
					throw meteorError('cannot-access-room', 'Cannot access this room');
			}
			return messages.create(message);
		},
		getMessageById: async (id: string) => w.messages.find((m) => m.id === id),
		updateMessage: async (message: Json) => messages.update(message),
		_fetchLivechatRoomMessages: async (_appId: string, roomId: string) => w.messagesIn(roomId),
		setCustomFields: async ({ token, key, value }: Json) => {
			const visitor = visitors().find((v) => v.token === token);
			if (!visitor) return 0;
			visitor.livechatData = { ...((visitor.livechatData as Json | undefined) ?? {}), [key as string]: value };
			return 1;
		},
	};
	return bridge;
}
