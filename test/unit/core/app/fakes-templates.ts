/** In-memory ports of the send-templates services (core/app/sendTemplates.ts, sendTemplateModal.ts). */
import { Draft, Drafts, ModalViews, SendTemplateModal } from '../../../../src/core/app/sendTemplateModal';
import { MemoryMessageLog } from '../../../../src/core/app/memory';
import { MessageLink, SentMessage } from '../../../../src/core/app/ports';
import { SendLog } from '../../../../src/core/app/sendLog';
import { SettingKey, settingsOf } from '../../../../src/core/app/settings';
import { SendTemplates } from '../../../../src/core/app/sendTemplates';
import { WindowRecord } from '../../../../src/core/app/window';
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
import { Booking } from '../../../../src/core/bulk/pacer';
import { SendResult } from '../../../../src/core/graph/GraphClient';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { Params } from '../../../../src/core/i18n/translate';
import { MemoryOutboxStore } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';
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

/** A templateMessage body: READY (order_ready, en_US; body 'Ana' and '42') to `phoneNumbers`, from number 1001. */
export const orderReadyBody = (phoneNumbers: string[], extra: Record<string, unknown> = {}) => ({
	phoneNumbers,
	connectedWhatsAppNo: '1001',
	template: {
		name: 'order_ready',
		language: { code: 'en_US' },
		components: [{ type: 'body', parameters: ['Ana', '42'].map((text) => ({ type: 'text', text })) }],
	},
	...extra,
});

export const graphError = (code: number) => new GraphApiError(400, { message: `error ${code}`, type: 'OAuthException', code });

/** The Graph API of the tests: every send is kept; `answer` decides each send's fate. */
export class FakeGraph implements TemplateGraph {
	readonly sends: Array<{ phoneNumberId: string; payload: Record<string, unknown> }> = [];
	/** Each send's pacing options (its deadline), in order. */
	readonly options: Array<{ deadline?: number } | undefined> = [];
	listed = 0;
	templates: MetaTemplate[] = [READY, READY_PT];
	listError?: unknown;
	/** Errors of the list of one WABA only (a number whose token expired, say). */
	readonly listErrors = new Map<string, unknown>();
	answer: (to: string) => SendResult | Error = (to) => ({
		messaging_product: 'whatsapp',
		contacts: [{ input: to, wa_id: to }],
		messages: [{ id: `wamid.${to}` }],
	});

	async sendMessage(phoneNumberId: string, payload: object, options?: { deadline?: number }): Promise<SendResult> {
		this.sends.push({ phoneNumberId, payload: payload as Record<string, unknown> });
		this.options.push(options);
		const answer = this.answer(String((payload as { to: string }).to));
		if (answer instanceof Error) throw answer;
		return answer;
	}

	/** The number's pacer admission (NumberPacer.admit); every request is admitted unless a test sets it. */
	admission?: (phoneNumberId: string, count: number, withinMs: number, ...options: Array<{ book?: boolean }>) => boolean;
	admit(phoneNumberId: string, count: number, withinMs: number, ...options: Array<{ book?: boolean }>): Booking | undefined {
		if (this.admission && !this.admission(phoneNumberId, count, withinMs, ...options)) return undefined;
		return new Booking(options[0]?.book === false ? 0 : count);
	}

	async listAllTemplates<T>(wabaId = ''): Promise<T[]> {
		this.listed++;
		if (this.listError) throw this.listError;
		if (this.listErrors.has(wabaId)) throw this.listErrors.get(wabaId);
		return this.templates as unknown as T[];
	}
}

/** The idempotency reservations and answers in memory, kept for the store's window (IdempotencyStore's twin). */
export class MemoryIdempotency implements Idempotency {
	readonly answers = new Map<string, StoredAnswer>();
	/** Every save, in order (the progress of a reservation, then its answer). */
	readonly saves: StoredAnswer[] = [];
	async find(key: string, now: number) {
		// An expired entry is ignored, never removed on a read (the sweep removes it).
		const entry = this.answers.get(key);
		return entry && now - entry.at < IDEMPOTENCY_WINDOW_MS ? clone(entry) : undefined;
	}
	async reserve(entry: StoredAnswer, now: number) {
		const holder = await this.find(entry.key, now);
		if (holder) return holder;
		const meanwhile = this.answers.get(entry.key); // reserved meanwhile (no await between this look and the save)
		if (meanwhile && now - meanwhile.at < IDEMPOTENCY_WINDOW_MS) return clone(meanwhile);
		await this.save(entry);
		return undefined;
	}
	async save(entry: StoredAnswer) {
		this.saves.push(clone(entry));
		this.answers.set(entry.key, clone(entry));
	}
	async release(entry: StoredAnswer) {
		if (this.answers.get(entry.key)?.id === entry.id) this.answers.delete(entry.key);
	}
	async sweep(now: number) {
		const expired = [...this.answers.values()].filter((e) => now - e.at >= IDEMPOTENCY_WINDOW_MS);
		for (const e of expired) this.answers.delete(e.key);
		return expired.length;
	}
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

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
		/** The send log, instead of one that only keeps what it was given (`begun`, `recorded`). */
		sendLog?: SendTemplatesPorts['sendLog'];
	} = {},
) {
	const graph = new FakeGraph();
	const recorded: Array<{ message: SentMessage; error?: unknown }> = [];
	/** The sends written before their Graph call, with the Graph calls made by then. */
	const begun: Array<{ message: SentMessage; callsBefore: number }> = [];
	const idempotency = new MemoryIdempotency();
	const answers = idempotency.answers;
	const links: MessageLink[] = [];
	/** The send log's records as the service reads them: the sends begun, then those settled (a test may replace `findByBatch`). */
	const messages: Required<SendTemplatesPorts>['messages'] = {
		link: async (link) => void links.push(link),
		findByBatch: async (batch) => [...begun.map((b) => b.message), ...recorded.map((r) => r.message)].filter((m) => m.batch === batch),
	};
	const rooms = new FakeRooms();
	const jobs = { runs: 0, processSoon: async () => void jobs.runs++ };
	const templateCache = new MemoryTemplateCache();
	const directory: Directory = {
		hasAgent: async (username) => username === 'ana',
		departmentId: async (idOrName) => (idOrName === 'sales' || idOrName === 'dep-sales' ? 'dep-sales' : undefined),
	};
	const numbers = options.numbers ?? [NUMBER];
	const settings = settingsOf(options.settings ?? {});
	const clock = { at: Date.parse('2026-03-01T10:00:00.000Z'), now: () => clock.at };
	/** The service's error log lines. */
	const logged: string[] = [];
	const service = new SendTemplates({
		logger: { info: () => undefined, warn: (m) => void logged.push(m), error: (m) => void logged.push(m) },
		numbers: { list: async () => numbers },
		templateCache,
		graphOf: () => graph,
		sendLog: options.sendLog ?? {
			record: async (message, error) => void recorded.push({ message, error }),
			begin: async (message) => {
				const pending = { ...message, sendId: `send-${begun.length + 1}`, pending: true };
				begun.push({ message: pending, callsBefore: graph.sends.length });
				return pending;
			},
			beginMany: async (messages) =>
				messages.map((message) => {
					const pending = { ...message, sendId: `send-${begun.length + 1}`, pending: true };
					begun.push({ message: pending, callsBefore: graph.sends.length });
					return pending;
				}),
			settle: async (message, error) => {
				const { pending: _pending, ...answered } = message;
				recorded.push({ message: answered, error });
			},
		},
		jobs,
		settings,
		clock,
		idempotency,
		directory,
		rooms,
		messages,
		...(options.campaigns ? { campaigns: options.campaigns } : {}),
	});
	const drafts = new MemoryDrafts();
	/** The contacts' windows by token (only `movedTo` matters to the modal). */
	const windows = new Map<string, WindowRecord>();
	const warnings: string[] = [];
	const errors: string[] = [];
	let views = 0;
	const modal = new SendTemplateModal({
		drafts,
		sender: service,
		settings,
		directory,
		rooms,
		windows: { get: async (token) => windows.get(token) },
		logger: { info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void errors.push(m) },
		newViewId: () => `view-${++views}`,
		views: new ModalViews(),
		clock,
	});
	return {
		service,
		modal,
		windows,
		graph,
		recorded,
		begun,
		idempotency,
		clock,
		answers,
		links,
		messages,
		rooms,
		jobs,
		templateCache,
		drafts,
		warnings,
		errors,
		logged,
	};
}

/** A translator that shows the key and its parameters, so that tests see which text was chosen. */
export const keys = (key: string, params?: Params) => (params ? `${key} ${JSON.stringify(params)}` : key);

/** The status callback's words (English) for a send that never started: a templateMessage request's, and any other send's. */
export const REQUEST_NOT_STARTED =
	'Not sent: the request ran out of time before this message could start (the server ends a request after 30 seconds). ' +
	'Nothing reached WhatsApp; send it again, or use campaign mode ("async": true).';
export const BUSY_NOT_STARTED =
	'Not sent: this number was busy with other sends and the message could not start in time. Nothing reached WhatsApp.';

/**
 * A real send log (core/app/sendLog.ts) over memory stores, with a Message Status Endpoint URL set:
 * `failures` are the `failed` status callbacks it queued, as [mobileNo, ErrorDetails]; `outbox` every one.
 */
export function statusCallbackLog() {
	const outbox = new MemoryOutboxStore<StatusPayload>();
	const sendLog = new SendLog({
		messages: new MemoryMessageLog(),
		outbox,
		settings: settingsOf({ statusEndpointUrl: 'https://crm.example.com/whatsapp/status' }),
		clock: { now: () => Date.parse('2026-03-01T10:00:00.000Z') },
	});
	const failures = async () =>
		(await outbox.list()).filter((i) => i.payload.MessageStatus === 'failed').map((i) => [i.payload.mobileNo, i.payload.ErrorDetails]);
	return { sendLog, failures, outbox };
}
