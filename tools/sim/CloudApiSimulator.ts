/**
 * A simulated WhatsApp Cloud API (Graph API) on loopback, speaking Meta's formats: the endpoints the
 * app calls, Meta's error envelopes, and Meta's side of webhooks (signed deliveries). Every request
 * is checked by an injected validator (tests and the sandbox pass `validateRequest` of
 * tools/sim/metaSpec.ts); in strict mode an invalid request is answered with Meta's error 100.
 * Every invalid request is recorded in `violations`. See tools/sim/README.md.
 *
 * This class is the facade: the work is done by one module per concern (server, router, numbers,
 * templates, messages, media, webhooks), which share the maps and lists exposed here.
 */
import { MediaStore } from './media';
import { InjectedError, Messages, SentMessage } from './messages';
import type { SimNumber } from './numbers';
import { Router, RouterOptions, SUBSCRIBED_APP } from './router';
import { RecordedRequest, SimServer } from './server';
import { Templates } from './templates';
import { StatusUpdate, WebhookResponse, Webhooks, WebhookTarget } from './webhooks';
import type { WebhookPayload } from './webhookPayloads';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export type { SimNumber } from './numbers';
export type { SimMedia } from './media';
export type { InjectedError, SentMessage } from './messages';
export type { ValidatedRequest, ValidationResult, Validator } from './router';
export type { RecordedRequest } from './server';
export type { StatusUpdate, WebhookResponse, WebhookTarget } from './webhooks';
export { postRaw } from './webhooks';

export interface SimulatorOptions extends RouterOptions {
	/** Port on 127.0.0.1; 0 (any free port) by default. */
	port?: number;
	/** Answer over https with this key and certificate (tools/http/tls.ts); http by default. */
	tls?: { key: string; cert: string };
}

export class CloudApiSimulator {
	readonly numbers = new Map<string, SimNumber>();
	private readonly templateStore = new Templates();
	private readonly mediaStore = new MediaStore(this.numbers);
	private readonly messages = new Messages(this.mediaStore);
	private readonly webhooks = new Webhooks(this.numbers, this.messages.sent, (wabaId) =>
		(this.router.subscribedApps.get(wabaId) ?? [SUBSCRIBED_APP]).some((app) => app.id === SUBSCRIBED_APP.id),
	);
	private readonly router: Router;
	private readonly server: SimServer;

	/** Templates by WABA id, as Meta returns them. */
	readonly templates = this.templateStore.byWaba;
	/** Media contacts sent (addMedia), by id. */
	readonly media = this.mediaStore.received;
	/** Media the app uploaded (`POST /{Phone-Number-ID}/media`), in order. */
	readonly uploadedMedia = this.mediaStore.uploaded;
	/** Media downloads served (`GET <url>` answered with the bytes), as media ids in order. */
	readonly mediaDownloads = this.mediaStore.downloads;
	/** Messages accepted, in order. */
	readonly sentMessages: SentMessage[] = this.messages.sent;
	/** Read receipts the app sent (`status: read`), as wamids. */
	readonly readReceipts = this.messages.readReceipts;
	/** What Meta answers as `contacts[].wa_id` for a recipient (default: its digits). */
	readonly waIds = this.messages.waIds;
	/** Every request received, in order. */
	readonly requests: RecordedRequest[];
	/** Requests the validator rejected, with its errors. */
	readonly violations: Array<{ request: RecordedRequest; errors: string[] }>;

	constructor(private readonly options: SimulatorOptions = {}) {
		this.router = new Router(
			{
				numbers: this.numbers,
				templates: this.templateStore,
				media: this.mediaStore,
				messages: this.messages,
				baseUrl: () => this.server.baseUrl,
			},
			options,
		);
		this.server = new SimServer((request, form) => this.router.route(request, form));
		this.requests = this.server.requests;
		this.violations = this.router.violations;
	}

	/** The app's webhook. `appSecret` signs deliveries; without it the addressed number's secret is used. */
	get webhookTarget(): WebhookTarget | undefined {
		return this.webhooks.target;
	}

	set webhookTarget(target: WebhookTarget | undefined) {
		this.webhooks.target = target;
	}

	/**
	 * Told of each message the simulator accepts, before its answer goes back; the answer waits for
	 * the promise it returns (a test delivers statuses while a request is still sending).
	 */
	set onAccepted(hook: ((message: SentMessage) => void | Promise<void>) | undefined) {
		this.messages.onAccepted = hook;
	}

	/**
	 * The next `count` sends Meta accepts lose their connection before the answer: the message is
	 * sent (its statuses can be delivered), and the app gets no answer, a connection closed instead.
	 */
	dropAnswers(count = 1): void {
		this.messages.answersToDrop += count;
	}

	/** The apps subscribed to each WABA's webhooks (Router `subscribedApps`): `set(wabaId, [])` for a WABA no app was subscribed to. */
	get subscribedApps(): Map<string, Array<{ id: string; name: string }>> {
		return this.router.subscribedApps;
	}

	/** The Meta app's "Require App Secret": Graph calls without `appsecret_proof` are refused (off by default, as Meta's). */
	get requireAppSecretProof(): boolean {
		return this.router.requireAppSecretProof;
	}

	set requireAppSecretProof(on: boolean) {
		this.router.requireAppSecretProof = on;
	}

	/** How many sends the throughput cap answered with 130429. */
	get throttled(): number {
		return this.messages.throttled;
	}

	set throttled(count: number) {
		this.messages.throttled = count;
	}

	/** `http://127.0.0.1:<port>` (`https:` with the `tls` option) once started. */
	get baseUrl(): string {
		return this.server.baseUrl;
	}

	async start(): Promise<{ baseUrl: string }> {
		return { baseUrl: await this.server.start(this.options.port ?? 0, this.options.tls) };
	}

	stop(): Promise<void> {
		return this.server.stop();
	}

	// ---- scripting -------------------------------------------------------------------------------

	addNumber(number: SimNumber): void {
		this.numbers.set(number.phoneNumberId, number);
		this.templateStore.ensure(number.wabaId);
	}

	/** Templates as Meta returns them (name, language, status, category, id, components, parameter_format). */
	setTemplates(wabaId: string, templates: Any[]): void {
		this.templateStore.set(wabaId, templates);
	}

	/** Loads the template lists of Meta's docs and spec (shared/contracts) as the WABA's templates. */
	loadTemplateFixtures(wabaId: string, contractsDir?: string): void {
		this.templateStore.loadFixtures(wabaId, contractsDir);
	}

	/**
	 * A media a contact sent: the app finds it by id (`GET /{Media-ID}`) and downloads it with the
	 * number's token. Returns its id (a numeric string, like Meta's, unless `id` is given); `sha256`
	 * defaults to the bytes' real hash (base64, as Meta's webhooks and media node show it).
	 */
	addMedia(media: { phoneNumberId: string; bytes: Buffer; mimeType: string; id?: string; sha256?: string }): string {
		return this.mediaStore.add(media);
	}

	/** The next `count` requests for media `id` (where it is) fail with an HTTP 503 and Meta's JSON error. */
	failMedia(id: string, count = 1): void {
		this.mediaStore.fail(id, count);
	}

	/** Delay before every answer. */
	setLatency(ms: number): void {
		this.server.latencyMs = ms;
	}

	/** Meta's throughput limit of one number: sends above `messagesPerSecond` in any one-second window get error 130429. */
	setThroughputCap(phoneNumberId: string, messagesPerSecond: number): void {
		this.messages.setThroughputCap(phoneNumberId, messagesPerSecond);
	}

	/** The next `count` (default 1) sends from `phoneNumberId` (matching `match`, if given) fail with `code`. */
	injectError(phoneNumberId: string, error: InjectedError): void {
		this.messages.injectError(phoneNumberId, error);
	}

	/** Requests whose path ends with `suffix` (e.g. '/messages'). */
	requestsTo(suffix: string): RecordedRequest[] {
		return this.requests.filter((r) => r.path.endsWith(suffix));
	}

	// ---- Meta's side of webhooks -----------------------------------------------------------------

	/**
	 * POSTs `payload` to `webhookTarget` as Meta does: Meta's serialization (tools/sim/metaJson.ts),
	 * `X-Hub-Signature-256` over those exact bytes with `appSecret` (default: webhookTarget.appSecret,
	 * else the app secret of the first number the payload names). `options.signature` replaces the
	 * header (forgery tests).
	 */
	deliverRaw(payload: unknown, appSecret?: string, options: { signature?: string } = {}): Promise<WebhookResponse> {
		return this.webhooks.deliverRaw(payload, appSecret, options);
	}

	/**
	 * Status webhooks for sent messages. `batch: true` sends one POST (statuses of one number in one
	 * change, one change per number, one entry per WABA); otherwise one POST per status, in order.
	 */
	deliverStatuses(list: StatusUpdate[], options: { batch?: boolean } = {}): Promise<WebhookResponse[]> {
		return this.webhooks.deliverStatuses(list, options);
	}

	/** An inbound message from a WhatsApp user: `message` is a Meta message object (`{ type: 'text', text: { body } }`) or a text. */
	deliverInboundMessage(input: {
		phoneNumberId: string;
		from: string;
		name: string;
		message: string | Record<string, unknown>;
	}): Promise<WebhookResponse> {
		return this.webhooks.deliverInboundMessage(input);
	}

	/** The payload of an inbound text message (shape of meta-docs/webhook-incoming-text.json). */
	inboundTextPayload(
		phoneNumberId: string,
		message: { from: string; name: string; text: string; wamid?: string; timestamp?: string },
	): WebhookPayload {
		return this.webhooks.inboundTextPayload(phoneNumberId, message);
	}

	/** The payload of statuses of one number, batched in one change. */
	statusPayload(
		phoneNumberId: string,
		statuses: Array<{ wamid: string; status: string; recipient: string; timestamp?: string; errors?: unknown[] }>,
	): WebhookPayload {
		return this.webhooks.statusPayload(phoneNumberId, statuses);
	}
}
