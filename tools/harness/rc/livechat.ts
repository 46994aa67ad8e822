/**
 * Omnichannel of apps, as Rocket.Chat's AppLivechatBridge runs it
 * (apps/meteor/app/apps/server/bridges/livechat.ts).
 */
import { randomUUID } from 'crypto';

import { HarnessUser, HarnessWorld, Json } from '../world';
import { BridgeContext, BridgeMethods } from './context';
import { messageBridge } from './messages';

/**
 * Omnichannel as Rocket.Chat runs it for apps: visitors (one per token), livechat rooms (type 'l')
 * with `source`, `servedBy`, `department`, open/closed, transfers, and livechat messages. Routing
 * picks an available agent of the department when the app names none (Rocket.Chat's auto selection).
 */
export function livechatBridge(ctx: BridgeContext): BridgeMethods {
	const { world: w, toAppUser } = ctx;
	const messages = messageBridge(ctx);
	const visitors = () => [...w.visitors.values()];
	const livechatRooms = () => [...w.rooms.values()].filter((r) => r.type === 'l');
	const phoneOf = (v: Json) => ((v.phone as Array<{ phoneNumber: string }> | undefined) ?? []).map((p) => p.phoneNumber);
	const saveVisitor = (visitor: Json): Json => {
		const existing = visitors().find((v) => v.token === visitor.token);
		const id = (existing?.id as string | undefined) ?? `visitor-${randomUUID()}`;
		const stored = { ...(existing ?? {}), ...visitor, id, updatedAt: new Date() };
		w.visitors.set(id, stored);
		return stored;
	};
	const pickAgent = (departmentId?: string): HarnessUser | undefined => {
		const department = departmentId ? w.departments.get(departmentId) : undefined;
		return [...w.users.values()].find(
			(u) => u.roles.includes('livechat-agent') && u.livechatStatus === 'available' && (!department || ((department.agentIds as string[]) ?? []).includes(u.id)),
		);
	};
	return {
		isOnline: (departmentId?: string) => agentsAvailable(w, departmentId),
		isOnlineAsync: async (departmentId?: string) => agentsAvailable(w, departmentId),
		findDepartmentByIdOrName: async (value: string) => w.departments.get(value) ?? [...w.departments.values()].find((d) => d.name === value),
		findDepartmentsEnabledWithAgents: async () => [...w.departments.values()].filter((d) => d.enabled && (d.agentIds as string[]).length > 0),
		createVisitor: async (visitor: Json) => saveVisitor(visitor).id,
		createAndReturnVisitor: async (visitor: Json) => saveVisitor(visitor),
		findVisitors: async (query: Json) => visitors().filter((v) => Object.entries(query ?? {}).every(([k, value]) => v[k] === value)),
		findVisitorById: async (id: string) => w.visitors.get(id),
		findVisitorByToken: async (token: string) => visitors().find((v) => v.token === token),
		findVisitorByEmail: async (email: string) => visitors().find((v) => ((v.visitorEmails as Array<{ address: string }> | undefined) ?? []).some((e) => e.address === email)),
		findVisitorByPhoneNumber: async (phone: string) => visitors().find((v) => phoneOf(v).includes(phone)),
		createRoom: async (visitor: Json, agent: Json | undefined, appId: string, extra?: Json) => {
			const stored = visitors().find((v) => v.token === visitor.token) ?? saveVisitor(visitor);
			const departmentId = stored.department as string | undefined;
			const servedBy = agent ? w.users.get(agent.id as string) : pickAgent(departmentId);
			const creator = w.users.get(`user-${stored.username}`) ?? w.findUserByUsername('admin');
			const room = w.addRoom({
				name: String(stored.name ?? stored.username),
				type: 'l',
				creator: creator as HarnessUser,
				members: servedBy ? [servedBy] : [],
				extra: {
					visitor: stored,
					department: departmentId ? w.departments.get(departmentId) : undefined,
					servedBy: servedBy ? toAppUser(servedBy) : undefined,
					isOpen: true,
					isWaitingResponse: true,
					closer: undefined,
					source: (extra?.source as Json | undefined) ?? { type: 'app', id: appId },
					customFields: extra?.customFields,
				},
			});
			return room;
		},
		closeRoom: async (room: Json, comment: string, closer: Json | undefined) => {
			const stored = w.rooms.get(room.id as string);
			if (!stored || stored.type !== 'l' || !stored.isOpen) return false;
			Object.assign(stored, { isOpen: false, closedAt: new Date(), closer: closer ? 'user' : 'visitor', closedBy: closer, closingComment: comment });
			return true;
		},
		findRooms: async (visitor: Json, departmentId: string | null) =>
			livechatRooms().filter((r) => (r.visitor as Json).token === visitor.token && (!departmentId || (r.department as Json | undefined)?.id === departmentId)),
		findOpenRoomsByAgentId: async (agentId: string) => livechatRooms().filter((r) => r.isOpen && (r.servedBy as Json | undefined)?.id === agentId),
		countOpenRoomsByAgentId: async (agentId: string) => livechatRooms().filter((r) => r.isOpen && (r.servedBy as Json | undefined)?.id === agentId).length,
		transferVisitor: async (visitor: Json, transfer: Json) => {
			const room = w.rooms.get((transfer.currentRoom as Json).id as string);
			if (!room || !room.isOpen) return false;
			const target = transfer.targetAgent ? w.users.get((transfer.targetAgent as Json).id as string) : pickAgent(transfer.targetDepartment as string | undefined);
			if (transfer.targetDepartment) room.department = w.departments.get(transfer.targetDepartment as string);
			room.servedBy = target ? toAppUser(target) : undefined;
			room.transfers = [...((room.transfers as Json[] | undefined) ?? []), { at: new Date(), to: target?.username, department: transfer.targetDepartment }];
			void visitor;
			return true;
		},
		createMessage: async (message: Json) => messages.create(message),
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
}

function agentsAvailable(world: HarnessWorld, departmentId?: string): boolean {
	const agents = [...world.users.values()].filter((u) => u.roles.includes('livechat-agent') && u.livechatStatus === 'available');
	if (!departmentId) return agents.length > 0;
	const department = world.departments.get(departmentId);
	return agents.some((a) => ((department?.agentIds as string[] | undefined) ?? []).includes(a.id));
}
