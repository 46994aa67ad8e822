/** In-memory ports of the send-templates services (core/app/sendTemplates.ts, sendTemplateModal.ts). */
import { Draft, Drafts, SendTemplateModal } from '../../../../src/core/app/sendTemplateModal';
import { MessageLink, SentMessage } from '../../../../src/core/app/ports';
import { SettingKey, settingsOf } from '../../../../src/core/app/settings';
import { SendTemplates } from '../../../../src/core/app/sendTemplates';
import { IDEMPOTENCY_WINDOW_MS } from '../../../../src/adapters/persistence/IdempotencyStore';
import {
	Directory,
	Idempotency,
	SendTemplatesPorts,
	StoredAnswer,
	TemplateGraph,
	TemplateRooms,
} from '../../../../src/core/app/sendTemplatesPorts';
import { GraphApiError } from '../../../../src/core/errors';
import { SendResult } from '../../../../src/core/graph/GraphClient';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { MemoryTemplateCache } from '../../../../src/core/templates/catalog';
import { MetaTemplate } from '../../../../src/core/templates/template';

export const NUMBER: ConnectedNumber = {
	phoneNumberId: '1001',
	wabaId: 'waba-1',
	displayPhoneNumber: '+1 555-010-0001',
	verifiedName: 'Shop',
	accessToken: 'token-1',
	appSecret: 'secret-1',
	connectedAt: '2026-01-01T00:00:00.000Z',
	connectedBy: 'admin',
};

export const OTHER_NUMBER: ConnectedNumber = {
	...NUMBER,
	phoneNumberId: '1002',
	wabaId: 'waba-2',
	displayPhoneNumber: '+1 555-010-0002',
	verifiedName: 'Support',
};

/** `Hello {{1}}, your order {{2}} is ready.` in en_US and pt_BR. */
export const READY: MetaTemplate = {
	name: 'order_ready',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Hello {{1}}, your order {{2}} is ready.', example: { body_text: [['Ana', '42']] } }],
};
export const READY_PT: MetaTemplate = {
	...READY,
	language: 'pt_BR',
	components: [{ type: 'BODY', text: 'Olá {{1}}, seu pedido {{2}} está pronto.', example: { body_text: [['Ana', '42']] } }],
};

export const graphError = (code: number) => new GraphApiError(400, { message: `error ${code}`, type: 'OAuthException', code });

/** The Graph API of the tests: every send is kept; `answer` decides each send's fate. */
export class FakeGraph implements TemplateGraph {
	readonly sends: Array<{ phoneNumberId: string; payload: Record<string, unknown> }> = [];
	listed = 0;
	templates: MetaTemplate[] = [READY, READY_PT];
	listError?: unknown;
	answer: (to: string) => SendResult | Error = (to) => ({
		messaging_product: 'whatsapp',
		contacts: [{ input: to, wa_id: to }],
		messages: [{ id: `wamid.${to}` }],
	});

	async sendMessage(phoneNumberId: string, payload: object): Promise<SendResult> {
		this.sends.push({ phoneNumberId, payload: payload as Record<string, unknown> });
		const answer = this.answer(String((payload as { to: string }).to));
		if (answer instanceof Error) throw answer;
		return answer;
	}

	async listAllTemplates<T>(): Promise<T[]> {
		this.listed++;
		if (this.listError) throw this.listError;
		return this.templates as unknown as T[];
	}
}

/** The idempotency answers in memory, kept for the store's window (IdempotencyStore's twin). */
export class MemoryIdempotency implements Idempotency {
	readonly answers = new Map<string, StoredAnswer>();
	async find(key: string, now: number) {
		const entry = this.answers.get(key);
		return entry && now - entry.at < IDEMPOTENCY_WINDOW_MS ? entry : undefined;
	}
	async save(entry: StoredAnswer) {
		this.answers.set(entry.key, entry);
	}
}

export class MemoryDrafts implements Drafts {
	readonly drafts = new Map<string, Draft>();
	async load(viewId: string) {
		const draft = this.drafts.get(viewId);
		return draft && (JSON.parse(JSON.stringify(draft)) as Draft);
	}
	async save(draft: Draft) {
		this.drafts.set(draft.viewId, JSON.parse(JSON.stringify(draft)) as Draft);
	}
	async remove(viewId: string) {
		this.drafts.delete(viewId);
	}
}

/** Contact rooms by id; posts and opened rooms are kept. */
export class FakeRooms implements TemplateRooms {
	readonly contacts = new Map<string, { phoneNumberId: string; waId: string }>();
	readonly opened: Array<{ phoneNumberId: string; waId: string; departmentId?: string }> = [];
	readonly posts: Array<{ roomId: string; text: string; asBot: boolean }> = [];
	async contactOf(roomId: string) {
		return this.contacts.get(roomId);
	}
	async contactRoom(spec: { phoneNumberId: string; waId: string; departmentId?: string }) {
		this.opened.push(spec);
		return `room-${spec.waId}`;
	}
	async post(post: { roomId: string; text: string; asBot: boolean }) {
		this.posts.push(post);
		return `msg-${this.posts.length}`;
	}
}

export function templatesWorld(
	options: {
		settings?: Partial<Record<SettingKey, unknown>>;
		numbers?: ConnectedNumber[];
		campaigns?: SendTemplatesPorts['campaigns'];
	} = {},
) {
	const graph = new FakeGraph();
	const recorded: Array<{ message: SentMessage; error?: unknown }> = [];
	const idempotency = new MemoryIdempotency();
	const answers = idempotency.answers;
	const links: MessageLink[] = [];
	const rooms = new FakeRooms();
	const jobs = { runs: 0, processSoon: async () => void jobs.runs++ };
	const templateCache = new MemoryTemplateCache();
	const directory: Directory = {
		hasAgent: async (username) => username === 'ana',
		departmentId: async (idOrName) => (idOrName === 'sales' || idOrName === 'dep-sales' ? 'dep-sales' : undefined),
	};
	const numbers = options.numbers ?? [NUMBER];
	const settings = settingsOf(options.settings ?? {});
	const service = new SendTemplates({
		numbers: { list: async () => numbers },
		templateCache,
		graphOf: () => graph,
		sendLog: { record: async (message, error) => void recorded.push({ message, error }) },
		jobs,
		settings,
		clock: { now: () => Date.parse('2026-03-01T10:00:00.000Z') },
		idempotency,
		directory,
		rooms,
		messages: { link: async (link) => void links.push(link) },
		...(options.campaigns ? { campaigns: options.campaigns } : {}),
	});
	const drafts = new MemoryDrafts();
	const warnings: string[] = [];
	const errors: string[] = [];
	let views = 0;
	const modal = new SendTemplateModal({
		drafts,
		sender: service,
		settings,
		directory,
		rooms,
		logger: { info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void errors.push(m) },
		newViewId: () => `view-${++views}`,
	});
	return { service, modal, graph, recorded, answers, links, rooms, jobs, templateCache, drafts, warnings, errors };
}

/** A translator that shows the key and its parameters, so that tests see which text was chosen. */
export const keys = (key: string, params?: Record<string, string | number>) => (params ? `${key} ${JSON.stringify(params)}` : key);
