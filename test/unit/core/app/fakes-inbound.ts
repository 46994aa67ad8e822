/**
 * In-memory ports of the conversation services (inbound, replies, automatic messages, window
 * notices): a contact's visitors and rooms, windows, a Graph client over a recording HTTP port.
 */
import {
	Agent,
	Contact,
	contactKey,
	contactUsername,
	Conversations,
	NoAgentOnline,
	Room,
	Visitor,
} from '../../../../src/core/app/conversations';
import { FreeFormSender } from '../../../../src/core/app/freeForm';
import { MemoryMessageLog, MemoryNumbers } from '../../../../src/core/app/memory';
import { Clock, SentMessage } from '../../../../src/core/app/ports';
import { WindowRecord, Windows } from '../../../../src/core/app/window';
import { GraphClient, HttpRequest, HttpResponse } from '../../../../src/core/graph/GraphClient';
import { translator } from '../../../../src/core/i18n/translate';
import { ConnectedNumber, graphCredentials, NumberCredentials } from '../../../../src/core/numbers/ConnectedNumber';

export const NUMBER: ConnectedNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-013-3700',
	verifiedName: 'Acme',
	accessToken: 'EAAG-token',
	appSecret: 'secret',
	appSecretProven: true,
	departmentId: 'support',
	connectedAt: '2026-01-01T00:00:00.000Z',
	connectedBy: 'admin',
};
/**
 * `appsecret_proof` of NUMBER's calls: the SHA-256 HMAC of its token keyed with its app secret, in hex
 * (`printf %s EAAG-token | openssl dgst -sha256 -hmac secret`).
 */
export const NUMBER_PROOF = '865beb13cd455a8038d8b7540926ad2c7be75a4cea4118cab6b563369f4a4428';
export const CARLA = '5511987654321';
export const T0 = Date.parse('2026-03-01T12:00:00.000Z');
export const t = translator('en');

export class FakeClock implements Clock {
	constructor(public at = T0) {}
	now(): number {
		return this.at;
	}
}

/** Whether a Graph request is of the edge (`/{id}/messages`, `/{id}/media`), whatever its query. */
export const isEdge = (req: HttpRequest, edge: string): boolean => new URL(req.url).pathname.endsWith(`/${edge}`);

/** A Graph client whose HTTP answers come from `answer` and whose requests are kept. */
export function recordingGraph(
	answer: (req: HttpRequest) => HttpResponse | Promise<HttpResponse> = () => ({
		status: 200,
		body: JSON.stringify({ messages: [{ id: 'wamid.OUT' }] }),
	}),
) {
	const requests: HttpRequest[] = [];
	// As the app's graph factory builds it (src/adapters/factory.ts): the proof once the secret is proven.
	const graph = (number: NumberCredentials) =>
		new GraphClient({
			...graphCredentials(number),
			http: {
				send: async (req) => {
					requests.push(req);
					return answer(req);
				},
			},
		});
	/** The JSON bodies sent to /{phone-number-id}/messages. */
	const sent = () => requests.filter((r) => r.method === 'POST' && isEdge(r, 'messages')).map((r) => JSON.parse(String(r.body)));
	return { graph, requests, sent };
}

export class MemoryWindows implements Windows {
	readonly records = new Map<string, WindowRecord>();
	async get(token: string) {
		const found = this.records.get(token);
		return found && { ...found };
	}
	async put(token: string, record: WindowRecord) {
		this.records.set(token, { ...record });
	}
}

interface FakeVisitor extends Visitor {
	id: string;
	username: string;
	name?: string;
}
interface FakeRoom extends Room {
	visitorToken: string;
	open: boolean;
}

/** Rocket.Chat's livechat, as far as the services see it. */
export class FakeConversations implements Conversations {
	readonly visitors: FakeVisitor[] = [];
	readonly rooms: FakeRoom[] = [];
	readonly posts: Array<{ roomId: string; text: string; by: 'visitor' | 'app'; id: string }> = [];
	readonly agents = new Map<string, Agent>();
	/** Departments by name: their ID. The numbers' departments of these tests exist. */
	readonly departments = new Map<string, string>([
		['support', 'support'],
		['sales', 'sales'],
	]);
	readonly online = new Set<string | undefined>();
	noAgentOnline = false;
	/** The agent a new room is given to (Rocket.Chat's routing), when none is asked for. */
	routedTo?: string;

	async visitor(spec: Contact & { name?: string; departmentId?: string }): Promise<Visitor> {
		const token = contactKey(spec.phoneNumberId, spec.waId);
		const existing = this.visitors.find((v) => v.token === token);
		if (existing) return { ...existing };
		const created: FakeVisitor = {
			id: `v${this.visitors.length + 1}`,
			token,
			username: contactUsername(spec.phoneNumberId, spec.waId),
			name: spec.name,
			department: spec.departmentId,
		};
		this.visitors.push(created);
		return { ...created };
	}
	async moveVisitor(visitor: Visitor, department: string): Promise<Visitor> {
		const found = this.visitors.find((v) => v.token === visitor.token)!;
		found.department = department;
		return { ...found };
	}
	async openRoom(visitor: Visitor): Promise<Room | undefined> {
		return this.rooms.find((r) => r.visitorToken === visitor.token && r.open);
	}
	async openRoomOf(contact: Contact): Promise<Room | undefined> {
		const token = contactKey(contact.phoneNumberId, contact.waId);
		return this.rooms.find((r) => r.visitorToken === token && r.open);
	}
	/** As Rocket.Chat: the room in the department of the visitor handed over (none when `withoutDepartment`). */
	async createRoom(spec: { visitor: Visitor; agent?: Agent; withoutDepartment?: boolean }): Promise<Room> {
		if (this.noAgentOnline) throw new NoAgentOnline();
		const room: FakeRoom = {
			id: `r${this.rooms.length + 1}`,
			visitorToken: spec.visitor.token,
			open: true,
			departmentId: spec.withoutDepartment ? undefined : spec.visitor.department,
			servedBy: spec.agent?.username ?? this.routedTo,
		};
		this.rooms.push(room);
		return room;
	}
	async postAsVisitor(post: { visitor: Visitor; room: Room; text: string }): Promise<string | undefined> {
		const id = `m${this.posts.length + 1}`;
		this.posts.push({ roomId: post.room.id, text: post.text, by: 'visitor', id });
		return id;
	}
	async postAsApp(post: { room: Room; text: string }): Promise<void> {
		this.posts.push({ roomId: post.room.id, text: post.text, by: 'app', id: `m${this.posts.length + 1}` });
	}
	async isOpen(room: Room): Promise<boolean> {
		return this.rooms.find((r) => r.id === room.id)?.open !== false;
	}
	async roomOfMessage(messageId: string): Promise<Room | undefined> {
		const roomId = this.posts.find((p) => p.id === messageId)?.roomId;
		return this.rooms.find((r) => r.id === roomId);
	}
	/** As Rocket.Chat's findOneByIdOrName: a department's name or its ID. */
	async departmentId(idOrName: string): Promise<string | undefined> {
		return this.departments.get(idOrName) ?? ([...this.departments.values()].includes(idOrName) ? idOrName : undefined);
	}
	async agent(username: string): Promise<Agent | undefined> {
		return this.agents.get(username);
	}
	async hasAgentOnline(department?: string): Promise<boolean> {
		return this.online.has(department);
	}
	textsOf(roomId: string): string[] {
		return this.posts.filter((p) => p.roomId === roomId).map((p) => p.text);
	}
}

/**
 * A send log that keeps what it recorded: `begun` the sends written before their Graph call (with the
 * Graph calls made by then, `callsBefore`), `records` the sends Meta answered (linked or failed).
 */
export function memorySendLog(graphCalls: () => number = () => 0) {
	const records: Array<{ message: SentMessage; error?: unknown }> = [];
	const begun: Array<{ message: SentMessage; callsBefore: number }> = [];
	return {
		records,
		begun,
		record: async (message: SentMessage, error?: unknown) => void records.push({ message, error }),
		begin: async (message: SentMessage): Promise<SentMessage> => {
			const pending = { ...message, sendId: `send-${begun.length + 1}`, pending: true };
			begun.push({ message: pending, callsBefore: graphCalls() });
			return pending;
		},
		settle: async (message: SentMessage, error?: unknown) => {
			const { pending: _pending, ...answered } = message;
			records.push({ message: answered, error });
		},
	};
}

/** A free-form sender over a recording Graph, a memory send log and counted job runs. */
export function freeFormWorld(options: { clock?: Clock; answer?: Parameters<typeof recordingGraph>[0] } = {}) {
	const http = recordingGraph(options.answer);
	const sendLog = memorySendLog(() => http.requests.length);
	const jobs = { runs: 0, processSoon: async () => void jobs.runs++ };
	const sender = new FreeFormSender({ graph: http.graph, sendLog, jobs, clock: options.clock ?? new FakeClock() });
	return { ...http, sendLog, jobs, sender };
}

export async function numbersWith(...numbers: ConnectedNumber[]): Promise<MemoryNumbers> {
	const store = new MemoryNumbers();
	for (const n of numbers) await store.save(n);
	return store;
}

export { MemoryMessageLog };
