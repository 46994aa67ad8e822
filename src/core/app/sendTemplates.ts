/**
 * Sending templates: the one service behind the templateMessage endpoint (Rocket.Chat's published
 * contract), Rocket.Chat's native outbound provider and the agent's send-template modal. It finds
 * the number, checks the template against the number's catalog, sends paced, records every send
 * in the send log (its statuses go to the Message Status Endpoint URL) and runs the processing job.
 */
import { ADMISSION_WINDOW_MS, SEND_WINDOW_MS } from '../bulk/budget';
import { Booking, sendPaced } from '../bulk/pacer';
import { parseTemplateMessageRequest, requestFingerprint, TemplateMessageRequest, TemplateRef } from '../bulk/request';
import { AppError, GraphApiError, isAppSecretRefusal, mayHaveBeenSent } from '../errors';
import { appSecretProof, SendResult } from '../graph/GraphClient';
import { checkGraphBaseUrl } from '../graph/baseUrl';
import { Params, Translator } from '../i18n/translate';
import { ConnectedNumber, displayDigits, graphCredentials } from '../numbers/ConnectedNumber';
import { isBusinessScopedUserId, normalizePhoneNumber } from '../phone';
import { whatsAppMessage } from '../outbound/envelope';
import { templateMessage } from '../templates/bind';
import { TemplateCatalog } from '../templates/catalog';
import { valuesFromComponents } from '../templates/components';
import { explainGraphError, explainSendError, TemplateListSlow, TemplateListUnavailable } from '../templates/errors';
import { asGiven, metaComponentsOf, outboundFormFills, outboundMessageProblem } from '../templates/outboundForm';
import { markerText, productsMarker, renderPreview, renderText } from '../templates/preview';
import { sectionsFrom } from '../templates/productList';
import { checkSendComponents, sendableComponents } from '../templates/sendComponents';
import { FieldError, isAuthentication, MetaTemplate, otpButtonIndex, Values } from '../templates/template';
import { CampaignMayRun } from './campaignsPorts';
import {
	EveryRecipientRefusal,
	explainError,
	graphCodeOf,
	metaDetails,
	UnansweredReason,
	unansweredKey,
	unansweredReason,
} from './explain';
import { needsSendLog, Reservation, replayOf, scopedKey } from './idempotentRequest';
import { SentMessage, SettingsReader } from './ports';
import { holdsRole, RoleIdOf } from './roles';
import { newBatchKey, withBatchKey } from './sendLog';
import { SendTemplatesPorts, StoredAnswer, TemplateRooms } from './sendTemplatesPorts';

/**
 * A request refused for a reason its caller is told (an i18n key, an HTTP status) and a code for
 * machines: its key without `api_error_`, unless given. The code is part of the API (the answer's
 * `code`, listed in docs/templateMessage.openapi.yaml, test/unit/docs/openapiAnswers.test.ts): a
 * key renamed keeps its code by passing it.
 */
export class SendRefused extends AppError {
	constructor(i18nKey: string, options: { status?: number; params?: Params; code?: string } = {}) {
		super({
			code: options.code ?? i18nKey.replace(/^api_error_/, ''),
			message: `template send refused: ${i18nKey}`,
			status: options.status ?? 400,
			i18nKey,
			params: options.params,
		});
	}
}

/**
 * Why a recipient was not sent, for machines (docs/templateMessage.openapi.yaml): `refused`, Meta
 * answered with an error (`code` is Meta's; 0 when its answer was not Meta's error envelope, an
 * HTML 404 page, say); or no answer from Meta, `code` 0 (`unansweredReason`): `not_started`
 * (nothing reached WhatsApp, safe to send again), `timeout` (WhatsApp may have accepted it),
 * `unknown` (a server on the way answered with a 5xx page that was not Meta's: WhatsApp may have
 * accepted it), `unreachable`; or `interrupted`, the replay of a request cut off after sending
 * (idempotentRequest.ts: it may have been sent, and was not sent again).
 */
export type RecipientErrorReason = 'refused' | UnansweredReason | 'interrupted';

export interface RecipientError {
	/** Meta's error code; 0 when Meta gave none (the contract's field). */
	code: number;
	/** What happened, in the caller's language (the contract's field). */
	message: string;
	reason: RecipientErrorReason;
	/** Meta's own explanation of a refusal (`metaDetails`), in Meta's words (English), when Meta gave one. */
	details?: string;
}

export interface RecipientResult {
	phoneNumber: string;
	msId?: string;
	/** Meta's `message_status` when it is not `accepted`: `held_for_quality_assessment` or `paused` (marketing messages). */
	messageStatus?: string;
	error?: RecipientError;
}

/** The body of an error answer: the contract's `success` and `error`, and the error's stable `code` (docs/templateMessage.openapi.yaml). */
export interface ErrorContent {
	success: false;
	error: string;
	code: string;
	[key: string]: unknown;
}

export const errorContent = (code: string, error: string): ErrorContent => ({ success: false, error, code });

/**
 * The HTTP answer of an error a templateMessage or campaign request ended with: a SendRefused's
 * status, words and code (its i18n key without `api_error_`, or the code it was given:
 * `request_too_slow`, `field_type`...); anything else a generic 500 with the code `internal`,
 * telling nothing of the error (the caller logs its name).
 */
export function errorAnswer(error: unknown, t: Translator): { status: number; content: ErrorContent } {
	if (error instanceof SendRefused) {
		const explained = explainError(error, t);
		return { status: explained.status, content: errorContent(String(explained.code), explained.text) };
	}
	return { status: 500, content: errorContent('internal', t('api_error_internal')) };
}

/** The contract's answer: an HTTP status and its JSON body. */
export interface TemplateMessageAnswer {
	status: number;
	content: Record<string, unknown>;
}

/** Where a reply to the template goes, and the caller's reference (templateMessage's fields). */
export interface Routing {
	clientReference?: string;
	targetAgent?: string;
	targetDepartment?: string;
}

export interface BatchOptions {
	number: ConnectedNumber;
	template: TemplateRef;
	recipients: string[];
	/** The template as the catalog lists it, when it does: the recorded text is its preview, a refusal updates the catalog. */
	known?: { template: MetaTemplate; catalog: TemplateCatalog };
	routing?: Routing;
	/** The words of the per-recipient errors. */
	t: Translator;
	/** Told of each send Meta accepted, as it comes (an idempotent request's progress). */
	onAccepted?: (phoneNumber: string, msId: string) => void;
	/** The sends of a templateMessage request (not the outbound provider's): their records say so (`SentMessage.fromRequest`). */
	fromRequest?: true;
	/** The batch key the sends carry, when the caller chose it (an idempotent request keeps it); else a new one. */
	batch?: string;
	/** The number's pacer admitted the batch (`admit`): each send takes its booked slot when queued. */
	booking?: Booking;
	/**
	 * When the call began (the ports' clock), if before the batch: the send window counts from it, so
	 * that the time a call spent before its sends (the template list, the idempotency key) is not
	 * granted again and the answer still comes inside the engine's call timeout.
	 */
	startedAt?: number;
}

export interface ModalSend {
	number: ConnectedNumber;
	template: MetaTemplate;
	values: Values;
	to: string;
	agent: string;
	/** The contact's room the modal was opened in; else the contact's room is found or opened. */
	roomId?: string;
	departmentId?: string;
	t: Translator;
}

/** Sent or not; once sent, `complete` says whether it was also recorded and shown in the room. */
export type ModalSendResult = { ok: true; complete: boolean } | { ok: false; error: string };

/**
 * Valid numbers normalized, and business-scoped user ids (trimmed: contacts Meta names by a BSUID
 * alone, as the status callbacks' `mobileNo` gives them), de-duplicated in request order; the rest as
 * the caller sent them.
 */
export function splitRecipients(phoneNumbers: string[]): { recipients: string[]; invalidContacts: string[] } {
	const recipients = new Set<string>();
	const invalidContacts: string[] = [];
	for (const raw of phoneNumbers) {
		const normalized = isBusinessScopedUserId(raw.trim()) ? raw.trim() : normalizePhoneNumber(raw);
		if (!normalized) invalidContacts.push(raw);
		else recipients.add(normalized);
	}
	return { recipients: [...recipients], invalidContacts };
}

/** A connected number by its phone number id or its digits ("+1 555-0100" finds 15550100). */
export function matchNumber(numbers: ConnectedNumber[], value: string): ConnectedNumber | undefined {
	const digits = value.replace(/\D/g, '');
	return numbers.find((n) => n.phoneNumberId === value || (digits && displayDigits(n.displayPhoneNumber) === digits));
}

/**
 * What a number's Graph calls are made with, as the template catalog compares it (a failure with
 * one says nothing of a corrected one): its token and the proof sent with it, never the secret.
 */
function credentialKey(number: ConnectedNumber): string {
	const { accessToken, appSecret } = graphCredentials(number);
	return `${accessToken} ${appSecret ? appSecretProof(accessToken, appSecret) : ''}`;
}

/** The words of a Graph error that also fit a failed template list: an expired token, Meta busy, a refused app secret. The rest are a send's. */
const LIST_EXPLANATIONS = new Set(['graph_error_190', 'graph_error_temporary', 'graph_error_app_secret']);

/** Why the template list could not be fetched, for people: never worded as a refused message. */
export function explainListError(error: unknown, t: Translator): string {
	// Fetched again for a template the cached list lacks: the words name the template it could not check.
	if (error instanceof TemplateListUnavailable) return t(error.i18nKey, error.params);
	if (error instanceof TemplateListSlow) return t(error.i18nKey);
	if (error instanceof AppError && !(error instanceof GraphApiError)) return t(error.i18nKey, error.params);
	if (!(error instanceof GraphApiError)) return t('error_graph_unreachable');
	const { key } = explainGraphError(error);
	return t(LIST_EXPLANATIONS.has(key) ? key : 'graph_error_template_list', { code: error.graphCode });
}

const errorName = (error: unknown) => (error instanceof Error ? error.message : 'error');

/** The agent's words for an outbound message Meta did not answer, by `RecipientError.reason` (sendOutbound). */
const OUTBOUND_UNANSWERED: Partial<Record<RecipientErrorReason, string>> = {
	not_started: 'error_send_not_started',
	timeout: 'error_send_timed_out',
	unknown: 'error_send_unknown',
};

/** A recipient's error in the contract's shape (`code`, `message`), with why (`reason`) and Meta's explanation (`details`). */
export function recipientError(error: unknown, t: Translator): RecipientError {
	if (error instanceof GraphApiError) {
		const code = error.graphCode;
		const details = metaDetails(error);
		// An answer that was not Meta's error envelope with a server error (a proxy's 502 or 504 page)
		// does not say Meta refused the message: it may have been sent (its record waits for Meta's
		// statuses, as a timed-out send's does: sendLog.ts `awaitStatuses`).
		if (mayHaveBeenSent(error)) return { code, message: t(unansweredKey(error, 'integrator')), reason: unansweredReason(error) };
		// A refused app secret fails every send of the number until an admin corrects it: said so, not as this message's fault.
		const key = isAppSecretRefusal(error) ? 'graph_error_app_secret' : 'api_error_graph';
		return { code, message: t(key, { code }), reason: 'refused', ...(details ? { details } : {}) };
	}
	// No answer from Meta: not started, timed out, or out of reach (unansweredKey and unansweredReason say which).
	return { code: 0, message: t(unansweredKey(error, 'integrator')), reason: unansweredReason(error) };
}

/**
 * What the room, a send's record (`SentMessage.message`) and its status callbacks (`message`) show
 * in place of a one-time code: agents and the status endpoint's receiver must not see customers'
 * codes. Only the request to Meta carries the code.
 */
export const MASKED_CODE = '••••••';

/**
 * The values as people may see them: an AUTHENTICATION template's values are its one-time code (its
 * body's only variable is the code, Meta's "Authentication templates"; the OTP button carries it
 * again), so each one is masked; any other template's as they are. An empty value stays empty (its
 * placeholder shows).
 */
export function shownValues(template: MetaTemplate, values: Values): Values {
	if (!isAuthentication(template)) return values;
	return Object.fromEntries(Object.entries(values).map(([id, value]) => [id, value && value.trim() ? MASKED_CODE : value]));
}

const textOf = (p: unknown): string | undefined =>
	p && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : undefined;
const parametersIn = (component: unknown): unknown[] => {
	const parameters = component && typeof component === 'object' ? (component as { parameters?: unknown }).parameters : undefined;
	return Array.isArray(parameters) ? parameters : [];
};

/** A send's components with a carousel's in its place: each card's own, card after card. */
function withCards(components: unknown[]): unknown[] {
	return components.flatMap((component) => {
		const cards = kindOf(component, 'type') === 'carousel' ? (component as { cards?: unknown }).cards : undefined;
		if (!Array.isArray(cards)) return [component];
		return cards.flatMap((card) => {
			const own = card && typeof card === 'object' ? (card as { components?: unknown }).components : undefined;
			return Array.isArray(own) ? own : [];
		});
	});
}

/** A component's type or sub_type, lower case. */
const kindOf = (component: unknown, field: 'type' | 'sub_type'): string =>
	String((component as Record<string, unknown> | undefined)?.[field] ?? '').toLowerCase();

/**
 * Whether components whose template is not known have the shape of an authentication send (Meta's
 * "Authentication templates": the code as the body's only parameter and again as the only parameter
 * of a URL button, shared/contracts/meta-docs/send-template-authentication-otp.request.json). Only
 * then is a value masked: other templates (an order id that is also a link's suffix) show as sent.
 */
function looksLikeCode(components: TemplateRef['components']): string | undefined {
	const body = (components ?? []).filter((c) => kindOf(c, 'type') === 'body');
	const bodyParams = body.flatMap(parametersIn);
	const code = bodyParams.length === 1 ? textOf(bodyParams[0]) : undefined;
	if (code === undefined) return undefined;
	const echoed = (components ?? []).some((c) => {
		const params = parametersIn(c);
		return kindOf(c, 'type') === 'button' && kindOf(c, 'sub_type') === 'url' && params.length === 1 && textOf(params[0]) === code;
	});
	return echoed ? code : undefined;
}

/**
 * The template's text parameters as the recipient reads them (the full preview comes from the
 * template model), when the template is not known (Meta's list out of reach): its category is not
 * known either, so components of an authentication send's shape (`looksLikeCode`) have their code masked.
 */
function renderTemplateText(template: TemplateRef): string {
	const components = template.components ?? [];
	const code = looksLikeCode(components);
	const params: string[] = [];
	for (const component of withCards(components))
		for (const p of parametersIn(component)) {
			const text = textOf(p);
			if (text !== undefined) params.push(code !== undefined && text === code ? MASKED_CODE : text);
			// A multi-product list's sections, as the template's preview shows them (preview.ts).
			const action = p && typeof p === 'object' ? (p as { action?: { sections?: unknown } }).action : undefined;
			const products = productsMarker(sectionsFrom(action?.sections));
			if (products) params.push(markerText(products));
		}
	return params.length ? `${template.name}: ${params.join(' | ')}` : template.name;
}

/**
 * The text recorded with each send of `template` (and shown in the room, forwarded in its status
 * callbacks): the catalog template's preview when known, else the name and text parameters; a
 * one-time code masked either way (`shownValues`, `renderTemplateText`).
 */
export function sentTextOf(template: TemplateRef, known: BatchOptions['known']): string {
	return known
		? renderText(renderPreview(known.template, shownValues(known.template, valuesFromComponents(known.template, template.components))))
		: renderTemplateText(template);
}

/** Throws SendRefused (400) with the first problem of the components, if any. */
function refuseComponents(template: MetaTemplate | undefined, components: unknown): void {
	const problem = checkSendComponents(template, components);
	if (problem) throw new SendRefused(problem.key, { params: problem.params });
}

/**
 * The template as it goes to Meta once its components were checked: in Meta's spelling
 * (`sendableComponents`), and without the `namespace` Rocket.Chat's contract accepts: the Cloud API's
 * TemplateObject has `name`, `language` and `components` only (business-messaging-api_v23.0.yaml);
 * the namespace was the on-premises API's.
 */
function sendableTemplate(template: TemplateRef): TemplateRef {
	const { namespace: _namespace, ...sent } = template;
	return sent.components ? { ...sent, components: sendableComponents(sent.components) } : sent;
}

/** Whether a user with `roles` may send templates as an agent (the "agent roles" setting): the modal, the commands. */
export async function mayAgentSend(settings: SettingsReader, roles: string[] | undefined, idOf?: RoleIdOf): Promise<boolean> {
	return holdsRole(roles, await settings.get('agentRoles'), idOf);
}

export class SendTemplates {
	constructor(private readonly ports: SendTemplatesPorts) {}

	/** Whether a user with `roles` may send templates as an agent (modal, commands). */
	mayAgentSend(roles: string[] | undefined): Promise<boolean> {
		return mayAgentSend(this.ports.settings, roles, this.ports.roleIdOf);
	}

	/** A connected number by id or digits. */
	async findNumber(value: string): Promise<ConnectedNumber | undefined> {
		return matchNumber(await this.ports.numbers.list(), value);
	}

	listNumbers(): Promise<ConnectedNumber[]> {
		return this.ports.numbers.list();
	}

	/** The number's approved templates, cached for the "Template list refresh" minutes. */
	async catalogOf(number: ConnectedNumber): Promise<TemplateCatalog> {
		const minutes = await this.ports.settings.get('templateRefreshMinutes');
		const graph = this.ports.graphOf(number);
		return new TemplateCatalog(
			this.ports.templateCache,
			(waba) => graph.listAllTemplates<MetaTemplate>(waba, { limit: 250 }),
			minutes * 60000,
			() => this.ports.clock.now(),
			number.phoneNumberId,
			credentialKey(number),
		);
	}

	/**
	 * Every connected number's approved templates that Rocket.Chat's outbound form can fill
	 * (Rocket.Chat's outbound template list; outboundForm.ts): a template that needs a button's
	 * parameter, an offer's expiration, a carousel, a product or a location is left out, as the form
	 * has no field for it (README: which other way sends each). A number whose list
	 * Meta refuses (its token expired, say) is left out and logged: one number does not hide the
	 * others' templates.
	 */
	async templatesOfNumbers(): Promise<Array<{ number: ConnectedNumber; templates: MetaTemplate[] }>> {
		const listed: Array<{ number: ConnectedNumber; templates: MetaTemplate[] }> = [];
		for (const number of await this.ports.numbers.list()) {
			try {
				const templates = await (await this.catalogOf(number)).list(number.wabaId);
				listed.push({ number, templates: templates.filter(outboundFormFills) });
			} catch (error) {
				const code = graphCodeOf(error);
				this.ports.logger?.warn(
					`templates of number ${number.phoneNumberId} not listed: ${code === undefined ? errorName(error) : `Graph API error ${code}`}`,
				);
			}
		}
		return listed;
	}

	/**
	 * `POST templateMessage` from the user `userId` with `roles`: every check of the contract in its
	 * order, then the paced sends. Throws SendRefused for a refused request (4xx, 502 when a dry run
	 * cannot reach Meta's template list, or 503 when a template the cached list lacks could not be
	 * looked up at Meta again). With an `idempotencyKey` (scoped to the user) the key
	 * is reserved before the first send and the answer is kept: see idempotentRequest.ts. A dry run
	 * skips idempotency: it sends nothing and stores nothing, so its key is neither looked up nor reserved.
	 */
	async templateMessage(input: {
		body: unknown;
		roles: string[] | undefined;
		userId?: string;
		t: Translator;
	}): Promise<TemplateMessageAnswer> {
		const startedAt = this.ports.clock.now();
		if (!(await holdsRole(input.roles, await this.ports.settings.get('templateMessageRoles'), this.ports.roleIdOf)))
			throw new SendRefused('api_error_forbidden', { status: 403 });
		const parsed = parseTemplateMessageRequest(input.body);
		if (!parsed.ok) throw new SendRefused(parsed.key, { params: parsed.params });
		const body = parsed.request;
		const { recipients, invalidContacts } = splitRecipients(body.phoneNumbers);
		// The key, its store and the body's fingerprint (of the body as given): only for a send with a key.
		const idempotent =
			body.idempotencyKey && !body.dryRun && this.ports.idempotency
				? {
						store: this.ports.idempotency,
						key: scopedKey(input.userId ?? '', body.idempotencyKey),
						replay: { fingerprint: requestFingerprint(body), recipients, invalidContacts, t: input.t },
					}
				: undefined;
		if (idempotent) {
			const found = await idempotent.store.find(idempotent.key, this.ports.clock.now());
			if (found) return await this.replay(found, idempotent.replay);
		}

		const number = await this.findNumber(body.connectedWhatsAppNo);
		if (!number) throw new SendRefused('api_error_number_not_connected', { params: { number: body.connectedWhatsAppNo } });
		// A refused "Graph API base URL" setting sends nothing to anyone: the request is refused as a whole
		// (a dry run too), not each recipient told that WhatsApp could not be reached.
		if (!checkGraphBaseUrl(await this.ports.settings.get('graphApiBaseUrl')).ok)
			throw new SendRefused('error_graph_base_url_refused', { status: 503, code: 'graph_base_url_refused' });
		await this.checkRouting(body);
		const known = await this.checkTemplate(number, body);
		// Meta sends an authentication template's code only to phone numbers (error 131062 for a BSUID).
		const userOnly = known && otpButtonIndex(known.template) >= 0 ? recipients.find(isBusinessScopedUserId) : undefined;
		if (userOnly) throw new SendRefused('api_error_code_needs_phone_number', { params: { recipient: userOnly } });

		const invalid = invalidContacts.length ? { invalidContacts } : {};
		// Campaign mode answers at once: a request whose checks took the call's time (Meta's template list
		// slow to answer) is refused before its campaign is stored, or its caller, timed out, would send
		// it again as a second campaign.
		if (body.async && this.elapsedSince(startedAt) >= ADMISSION_WINDOW_MS) throw new SendRefused('api_error_request_out_of_time');
		if (body.dryRun) {
			// The same admission as the send, booking nothing: a dry run that passes is a send that would.
			if (!body.async) await this.admit(number, recipients.length, startedAt, false);
			return {
				status: 200,
				content: { success: true, dryRun: true, ...invalid, results: recipients.map((phoneNumber) => ({ phoneNumber })) },
			};
		}

		// Sent, and stored for a campaign, in Meta's spelling.
		const template = sendableTemplate(body.template);
		let reservation: Reservation | undefined;
		// The request's sends carry one batch key, kept with its reservation (a replay of an interrupted request reads the sends by it).
		const batchKey = body.async ? undefined : newBatchKey();
		if (idempotent) {
			const claim = await Reservation.claim(idempotent.store, {
				key: idempotent.key,
				fingerprint: idempotent.replay.fingerprint,
				clock: this.ports.clock,
				batch: batchKey,
			});
			if ('holder' in claim) return await this.replay(claim.holder, idempotent.replay);
			reservation = claim.reservation;
		}
		if (body.async)
			return this.startCampaign(
				{ body: { ...body, template }, number, recipients, invalid, known, userId: input.userId, t: input.t },
				reservation,
			);
		const batch = {
			number,
			template,
			recipients,
			known,
			routing: body,
			t: input.t,
			fromRequest: true as const,
			batch: batchKey,
			startedAt,
		};
		return this.admitAndSend(batch, invalid, reservation);
	}

	/**
	 * The number's pacer admits the request (else the reservation is freed and the 400 thrown), then
	 * the sends, each accepted one told to the reservation; its answer kept, or what was sent if it fails.
	 */
	private async admitAndSend(batch: BatchOptions, invalid: object, reservation?: Reservation): Promise<TemplateMessageAnswer> {
		let booking: Booking | undefined;
		try {
			booking = await this.admit(batch.number, batch.recipients.length, batch.startedAt);
		} catch (error) {
			await reservation?.release();
			throw error;
		}
		let results: RecipientResult[];
		try {
			const onAccepted = reservation && ((to: string, msId: string) => reservation.accepted(to, msId));
			results = await this.sendBatch({ ...batch, onAccepted, booking });
		} catch (error) {
			await reservation?.interrupt();
			throw error;
		} finally {
			// Sends that never reached the number's queue (the request stopped early) free their slots.
			booking?.release();
		}
		const answer = { status: 200, content: { success: true, ...invalid, results } };
		await this.keepAnswer(reservation, answer);
		return answer;
	}

	/**
	 * The answer kept for replays of the key. If it cannot be, what was sent is (a retry replays it,
	 * interrupted), and the caller still gets the answer now: its msIds, or its campaign's id.
	 */
	private async keepAnswer(reservation: Reservation | undefined, answer: TemplateMessageAnswer): Promise<void> {
		const done = answer.status === 202 ? 'campaign stored' : 'templates sent';
		if (reservation && !(await this.afterSends("the idempotency key's answer not kept", () => reservation.finish(answer), done)))
			await reservation.interrupt(typeof answer.content.campaignId === 'string' ? answer.content.campaignId : undefined);
	}

	/**
	 * A step after Meta accepted sends (their records, the catalog, the delivery job, the key's
	 * answer), or after a campaign was stored: a failure is logged, never the request's. A 500 then
	 * would hide the msIds of messages that were sent, or the id of a campaign that will run.
	 * Resolves whether it succeeded.
	 */
	private async afterSends(what: string, step: () => Promise<unknown>, done = 'templates sent'): Promise<boolean> {
		try {
			await step();
			return true;
		} catch (error) {
			this.ports.logger?.error(`${done}, but ${what}: ${errorName(error)}`);
			return false;
		}
	}

	/**
	 * An entry's answer to the same request (marked `replayed`), or the 409 it gets (another body, or
	 * still in progress). A request cut off after sending is replayed with what the send log knows of
	 * its batch besides (`needsSendLog`); a log that cannot be read leaves the entry's word alone.
	 */
	private async replay(
		found: StoredAnswer,
		request: Omit<Parameters<typeof replayOf>[1], 'now' | 'linked'>,
	): Promise<TemplateMessageAnswer> {
		const now = this.ports.clock.now();
		const linked = needsSendLog(found, now) ? await this.linkedSends(found.batch) : undefined;
		const answer = replayOf(found, { ...request, now, ...(linked ? { linked } : {}) });
		if ('refuse' in answer) throw new SendRefused(answer.refuse, { status: 409 });
		return answer;
	}

	/** Recipient → wamid of the batch's sends linked to their wamid; undefined when the log cannot say. */
	private async linkedSends(batch: string): Promise<Map<string, string> | undefined> {
		const messages = this.ports.messages;
		if (!messages) return undefined;
		try {
			const records = await messages.findByBatch(batch);
			return new Map(records.filter((r) => r.wamid && !r.pending).map((r) => [r.mobileNo, r.wamid as string]));
		} catch (error) {
			this.ports.logger?.warn(
				`idempotency replay: the sends of an interrupted request not read (${errorName(error)}); replayed without them`,
			);
			return undefined;
		}
	}

	/**
	 * The number's pacer books the request's sends, or the request is refused (400) when its last
	 * send could not start within ADMISSION_WINDOW_MS of the call's start, given the rate and the
	 * sends already waiting from that number: the answer would outlast the engine's call timeout.
	 * `book` false (a dry run): the same answer, nothing booked. Resolves with the booking (undefined
	 * when the client is not paced), which the request's sends take their slots from.
	 */
	private async admit(number: ConnectedNumber, count: number, startedAt?: number, book = true): Promise<Booking | undefined> {
		const graph = this.ports.graphOf(number);
		// No valid recipient (each one in invalidContacts): nothing to pace, whatever the number's queue holds.
		if (!graph.admit || count === 0) return undefined;
		const withinMs = ADMISSION_WINDOW_MS - this.elapsedSince(startedAt);
		// The call spent its time before the sends (Meta's template list slow to answer): not the request's size.
		if (withinMs <= 0) throw new SendRefused('api_error_request_out_of_time');
		const booking = graph.admit(number.phoneNumberId, count, withinMs, ...(book ? [] : [{ book: false }]));
		if (booking) return booking;
		const rate = await this.ports.settings.get('sendRatePerSecond');
		throw new SendRefused('api_error_request_too_slow', { params: { count, rate } });
	}

	/**
	 * Campaign mode (`async: true`, core/app/campaigns.ts): the checks above passed; the campaign is
	 * stored and answered 202 at once. The idempotency key was reserved before (two parallel requests with
	 * one key start one campaign), and keeps the 202 for replays.
	 */
	private async startCampaign(
		input: {
			body: TemplateMessageRequest;
			number: ConnectedNumber;
			recipients: string[];
			invalid: { invalidContacts?: string[] };
			known: BatchOptions['known'];
			userId?: string;
			t: Translator;
		},
		reservation?: Reservation,
	): Promise<TemplateMessageAnswer> {
		const { body, number, recipients } = input;
		if (!this.ports.campaigns || !input.userId) throw new Error('campaign mode needs the campaigns port and the caller');
		const { clientReference, targetAgent, targetDepartment } = body;
		let campaignId: string;
		try {
			campaignId = await this.ports.campaigns.start({
				createdBy: input.userId,
				number,
				template: body.template,
				recipients,
				text: sentTextOf(body.template, input.known),
				routing: { clientReference, targetAgent, targetDepartment },
			});
		} catch (error) {
			if (!(error instanceof CampaignMayRun)) {
				await reservation?.release();
				throw error;
			}
			// A campaign that may run keeps the key (a retry replays its 202, never starts a second one),
			// and the caller learns its id: to look it up, and cancel it if it should not run.
			await reservation?.interrupt(error.campaignId);
			this.ports.logger?.error(`campaign ${error.campaignId} not stored for sure, it may run: ${errorName(error.cause)}`);
			const { campaignId } = error;
			return {
				status: 500,
				content: { ...errorContent('campaign_may_run', input.t('api_error_campaign_may_run', { campaignId })), campaignId },
			};
		}
		const answer = { status: 202, content: { success: true, campaignId, ...input.invalid } };
		await this.keepAnswer(reservation, answer);
		return answer;
	}

	/** The agent and department a reply goes to must exist. */
	private async checkRouting(body: TemplateMessageRequest): Promise<void> {
		const directory = this.ports.directory;
		if (!directory) return;
		if (body.targetAgent && !(await directory.hasAgent(body.targetAgent)))
			throw new SendRefused('api_error_agent_not_found', { params: { username: body.targetAgent } });
		if (body.targetDepartment && !(await directory.departmentId(body.targetDepartment)))
			throw new SendRefused('api_error_department_not_found', { params: { department: body.targetDepartment } });
	}

	/**
	 * The template approved in the number's catalog, and the request's components checked against it
	 * (templates/sendComponents.ts): nothing goes to Meta unless every component and parameter is valid.
	 * Meta's template list out of reach: a dry run cannot vouch for the template; a send checks what it
	 * can without the template (the components' shape) and lets Meta check the rest. A template the
	 * cached list lacks, which could not be looked up at Meta again, is refused (503, dry run or not):
	 * the cached list says it is not approved, and whether Meta approved it since is not known.
	 */
	private async checkTemplate(number: ConnectedNumber, body: TemplateMessageRequest): Promise<BatchOptions['known']> {
		const catalog = await this.catalogOf(number);
		const { name, language } = body.template;
		let template: MetaTemplate | undefined;
		try {
			template = await catalog.find(number.wabaId, name, language.code);
		} catch (error) {
			if (error instanceof TemplateListUnavailable)
				throw new SendRefused(error.i18nKey, {
					status: 503,
					code: error.code,
					params: { name, language: language.code },
				});
			if (body.dryRun) throw new SendRefused('api_error_templates_unavailable', { status: 502 });
			refuseComponents(undefined, body.template.components);
			return undefined;
		}
		if (!template) throw new SendRefused('api_error_template_not_approved', { params: { name, language: language.code } });
		refuseComponents(template, body.template.components);
		return { template, catalog };
	}

	private elapsedSince(startedAt: number | undefined): number {
		return startedAt === undefined ? 0 : Math.max(0, this.ports.clock.now() - startedAt);
	}

	/**
	 * Sends one template to many recipients from one number, paced by the number's pacer (the "Send
	 * rate" setting, behind the Graph client: core/bulk/pacedGraph.ts; 131056 retried here); each
	 * send is written before its Graph call and linked to its wamid when Meta answers (the send log),
	 * all of them under one batch key. Per-recipient results in request order.
	 */
	async sendBatch(options: BatchOptions): Promise<RecipientResult[]> {
		const { number, recipients, known, t } = options;
		const send = this.recordedSender(options);
		const report = await sendPaced({
			items: recipients,
			send,
			metaCode: graphCodeOf,
			budgetMs: Math.max(0, SEND_WINDOW_MS - this.elapsedSince(options.startedAt)),
		});
		const results: RecipientResult[] = [];
		// The catalog learns of each of Meta's codes once (a refusal every recipient got is one).
		const told = new Set<number>();
		for (let i = 0; i < recipients.length; i++) {
			const outcome = report.outcomes[i];
			const to = recipients[i];
			if (outcome.ok) {
				const [message] = outcome.value.messages ?? [];
				const held =
					message?.message_status && message.message_status !== 'accepted' ? { messageStatus: message.message_status } : {};
				results.push({ phoneNumber: to, msId: message?.id, ...held });
				continue;
			}
			// A refusal before the Graph call (the record could not be written) is settled by nobody else.
			await this.afterSends(`the refusal of a send not recorded`, () => send.settleRefused(to, outcome.error));
			const code = graphCodeOf(outcome.error);
			if (known && code !== undefined && !told.has(code) && told.add(code))
				await this.afterSends(`the template catalog not updated after error ${code}`, () =>
					known.catalog.onSendError({
						wabaId: number.wabaId,
						name: known.template.name,
						language: known.template.language,
						code,
					}),
				);
			results.push({ phoneNumber: to, error: recipientError(outcome.error, t) });
		}
		// The first statuses (queued / failed) go out with the next delivery round, now (else with the recurring one).
		await this.afterSends('the delivery job not started', () => this.ports.jobs.processSoon());
		return results;
	}

	/**
	 * The paced send of one recipient: its record written once (before its first Graph call; a retry
	 * of a throttled send reuses it), linked to its wamid as soon as Meta accepts it. A final refusal
	 * is settled by `settleRefused` once the pacer gave up on the recipient.
	 */
	private recordedSender(options: BatchOptions): ((to: string, deadline?: number) => Promise<SendResult>) & {
		settleRefused(to: string, error: unknown): Promise<void>;
	} {
		const { number, template, known } = options;
		const graph = this.ports.graphOf(number);
		const batch = options.batch ?? newBatchKey();
		const text = sentTextOf(template, known);
		// Every recipient's send written at once, in one record, before the first Graph call.
		let written: Promise<Map<string, SentMessage>> | undefined;
		const begin = async (to: string): Promise<SentMessage> => {
			written ??= this.ports.sendLog
				.beginMany(
					[...new Set(options.recipients)].map((recipient) => ({
						...this.sentMessage(number, { to: recipient, text, name: template.name, language: template.language.code }),
						batch,
						clientReference: options.routing?.clientReference,
						targetAgent: options.routing?.targetAgent,
						targetDepartment: options.routing?.targetDepartment,
						...(options.fromRequest ? { fromRequest: true as const } : {}),
					})),
				)
				.then((records) => new Map(records.map((record) => [record.mobileNo, record])));
			const record = (await written).get(to);
			if (!record) throw new Error('send not recorded');
			return record;
		};
		// After a refusal every recipient would get, the sends not started fail with it.
		const refusal = new EveryRecipientRefusal();
		// `deadline`: the request's (sendPaced), which a 131056 retry keeps; else the pacer's default from now.
		const send = async (to: string, deadline?: number): Promise<SendResult> => {
			const record = await begin(to);
			const answer = await refusal.guard((shouldStart) =>
				graph.sendMessage(
					number.phoneNumberId,
					withBatchKey(whatsAppMessage({ to, content: { type: 'template', template } }), batch),
					{
						...(deadline === undefined ? {} : { deadline }),
						shouldStart,
						...(options.booking ? { booking: options.booking } : {}),
					},
				),
			);
			const wamid = answer.messages?.[0]?.id;
			const waId = answer.contacts?.[0]?.wa_id;
			if (wamid) options.onAccepted?.(to, wamid); // an idempotent request's progress
			// Meta accepted it: a record that cannot be linked now must not make the send look refused.
			await this.ports.sendLog
				.settle({ ...record, wamid, ...(waId && waId !== to ? { waId } : {}) })
				.catch((error) => this.ports.logger?.error(`send ${wamid ?? ''} not linked to its record: ${errorName(error)}`));
			return answer;
		};
		const settleRefused = async (to: string, error: unknown): Promise<void> => {
			const record = (await written?.catch(() => undefined))?.get(to);
			if (record) await this.ports.sendLog.settle(record, error);
		};
		return Object.assign(send, { settleRefused });
	}

	/**
	 * One template to one contact from Rocket.Chat's outbound messages (the provider's number by id or
	 * digits). Throws an AppError whose message says why in the workspace's words.
	 */
	async sendOutbound(input: {
		providerNumber: string;
		to: string;
		template: TemplateRef;
		routing: Routing;
		t: Translator;
	}): Promise<void> {
		const { t } = input;
		const invalid = (code: string, problem: FieldError) =>
			new AppError({ code, status: 400, i18nKey: problem.key, params: problem.params, message: t(problem.key, problem.params) });
		const malformed = outboundMessageProblem(input);
		if (malformed) throw invalid('invalid_request', malformed);
		const providerNumber = input.providerNumber.trim();
		const number = await this.findNumber(providerNumber);
		if (!number)
			throw new AppError({
				code: 'number_not_connected',
				status: 400,
				i18nKey: 'api_error_number_not_connected',
				params: { number: providerNumber },
				message: t('api_error_number_not_connected', { number: providerNumber }),
			});
		const to = normalizePhoneNumber(input.to);
		if (!to)
			throw new AppError({
				code: 'invalid_recipient',
				status: 400,
				i18nKey: 'send_error_recipient',
				message: t('send_error_recipient'),
			});
		const catalog = await this.catalogOf(number);
		// As templateMessage reads them (bulk/request.ts): the name and language code trimmed.
		const name = input.template.name.trim();
		const language = { ...input.template.language, code: input.template.language.code.trim() };
		let template: MetaTemplate | undefined;
		let listed = true;
		const refused = (code: string, status: number, i18nKey: string) => {
			const params = { name, language: language.code };
			return new AppError({ code, status, i18nKey, params, message: t(i18nKey, params) });
		};
		try {
			template = await catalog.find(number.wabaId, name, language.code);
		} catch (error) {
			// As for templateMessage: a template the cached list lacks, which could not be looked up at Meta again, is not sent.
			if (error instanceof TemplateListUnavailable) throw refused('template_list_unavailable', 503, error.i18nKey);
			// Meta's template list out of reach: as for templateMessage, the components' shape is checked and Meta checks the rest.
			listed = false;
		}
		if (listed && !template) throw refused('template_not_approved', 400, 'api_error_template_not_approved');
		// Rocket.Chat's form builds the components in its own shape (outboundForm.ts): in Meta's, they
		// are checked like the REST API's before anything goes to Meta.
		const { components, given } = metaComponentsOf(input.template.components, template);
		const found = checkSendComponents(template, components);
		if (found) throw invalid('invalid_components', asGiven(found, given, input.template.components));
		const [result] = await this.sendBatch({
			number,
			template: sendableTemplate(
				components === undefined
					? { ...input.template, name, language }
					: { ...input.template, name, language, components: components as TemplateRef['components'] },
			),
			recipients: [to],
			known: template ? { template, catalog } : undefined,
			routing: input.routing,
			t,
		});
		if (!result.error) return;
		// Shown to the agent in Rocket.Chat: a send Meta may have taken (no answer in time, a server's
		// 5xx page) or that never started (the number busy) in the agent's words, not the integrator's.
		// A send whose record could not be written (not_started too) keeps its words: the storage, not a busy number.
		// Meta's refusal is explained in the agent's words too (as the modal does), not the integrator's.
		const notRecorded = result.error.message === t('error_send_not_recorded');
		const { code, reason } = result.error;
		// Meta refused the number's app secret: `recipientError` words it so for the integrator and the agent alike.
		const secretRefused = result.error.message === t('graph_error_app_secret', { code });
		const agentKey = notRecorded
			? 'error_send_not_recorded'
			: reason === 'refused'
				? secretRefused
					? 'graph_error_app_secret'
					: explainSendError(code).key
				: OUTBOUND_UNANSWERED[reason];
		const params = reason === 'refused' && !notRecorded ? { code } : undefined;
		throw new AppError({
			code: reason === 'timeout' || reason === 'unknown' ? 'send_outcome_unknown' : 'send_failed',
			status: 502,
			params: { reason: result.error.message },
			message: agentKey ? t(agentKey, params) : result.error.message,
			...(agentKey ? { i18nKey: agentKey, params } : {}),
		});
	}

	/**
	 * The modal's send: the template to one contact, written before the Graph call, then posted in the
	 * contact's room (as the agent or the app's bot, "Templates sent by" setting) and linked to its
	 * WhatsApp message. The record is linked to its wamid once the room is known and the template posted
	 * (the record names that room message, where its statuses are shown; a status Meta sends meanwhile
	 * is kept until then). A refused send answers why; once sent, a later failure is only
	 * logged by the caller (the agent must not send it again), so it resolves ok with what it got.
	 */
	async sendFromModal(send: ModalSend, onLateFailure: (error: unknown, wamid?: string) => void): Promise<ModalSendResult> {
		const { number, template, to } = send;
		// Posted in the room, recorded and forwarded: an authentication template's code masked.
		const text = renderText(renderPreview(template, shownValues(template, send.values)), send.t);
		const batch = newBatchKey();
		const pending = await this.ports.sendLog.begin({
			...this.sentMessage(number, { to, text, name: template.name, language: template.language }),
			agent: send.agent,
			roomId: send.roomId,
			batch,
		});
		let wamid: string | undefined;
		try {
			const body = withBatchKey(templateMessage({ to, template, values: send.values }), batch);
			wamid = (await this.ports.graphOf(number).sendMessage(number.phoneNumberId, body)).messages?.[0]?.id;
		} catch (error) {
			// The agent is told what Meta said (or that it may have gone out) even when its record
			// cannot be settled now: that send is then reported by the look for sends left pending.
			if (
				await this.afterSends('its outcome not recorded', () => this.ports.sendLog.settle(pending, error), 'a template send failed')
			)
				await this.afterSends('the delivery job not started', () => this.ports.jobs.processSoon(), 'a template send failed');
			return this.refusedFromModal(send, error);
		}
		let roomId = send.roomId;
		try {
			roomId =
				roomId ??
				(await this.rooms().contactRoom({ phoneNumberId: number.phoneNumberId, waId: to, departmentId: send.departmentId }));
		} catch (error) {
			await this.settleLate({ ...pending, wamid }, onLateFailure);
			onLateFailure(error, wamid);
			return { ok: true, complete: false };
		}
		// Posted before the send is settled, so that its record names the room message its statuses show on.
		let rcMessageId: string | undefined;
		let postFailure: { error: unknown } | undefined;
		try {
			rcMessageId = await this.postInRoom({ roomId, text });
			await this.linkPost({ roomId, wamid, rcMessageId });
		} catch (error) {
			postFailure = { error };
		}
		const settled = { ...pending, wamid, roomId, ...(rcMessageId ? { rcMessageId } : {}) };
		if (!(await this.settleLate(settled, onLateFailure))) return { ok: true, complete: false };
		if (postFailure) onLateFailure(postFailure.error, wamid);
		return { ok: true, complete: !postFailure };
	}

	/** Links the modal's accepted send to its wamid and runs the processing job; a failure is the caller's late failure. */
	private async settleLate(record: SentMessage, onLateFailure: (error: unknown, wamid?: string) => void): Promise<boolean> {
		try {
			await this.ports.sendLog.settle(record);
			await this.ports.jobs.processSoon();
			return true;
		} catch (error) {
			onLateFailure(error, record.wamid);
			return false;
		}
	}

	/** Why Meta refused the modal's send, in the agent's words; the catalog learns of a refused template. */
	private async refusedFromModal(send: ModalSend, error: unknown): Promise<ModalSendResult> {
		const code = graphCodeOf(error);
		// No answer from Meta, or one that was not Meta's (a proxy's 502 page): nothing Meta refused.
		if (code === undefined || mayHaveBeenSent(error)) return { ok: false, error: send.t(unansweredKey(error, 'agent')) };
		const { number, template } = send;
		await this.afterSends(
			`the template catalog not updated after error ${code}`,
			async () =>
				(await this.catalogOf(number)).onSendError({
					wabaId: number.wabaId,
					name: template.name,
					language: template.language,
					code,
				}),
			'a template send failed',
		);
		return { ok: false, error: explainError(error, send.t).text };
	}

	/**
	 * The room keeps the history: the rendered template, from the agent or the app's bot (setting).
	 * The contact may quote the template or tap its buttons: the room then shows which message it answers.
	 */
	private async postInRoom(post: { roomId: string; text: string }): Promise<string | undefined> {
		const asBot = (await this.ports.settings.get('templateSentBy')) === 'bot';
		return this.rooms().post({ roomId: post.roomId, text: post.text, asBot });
	}

	/** The room's message is the WhatsApp message (a contact's quote of it finds it). */
	private async linkPost(post: { roomId: string; wamid?: string; rcMessageId?: string }): Promise<void> {
		if (post.wamid && post.rcMessageId)
			await this.ports.messages?.link({
				wamid: post.wamid,
				rcMessageId: post.rcMessageId,
				roomId: post.roomId,
				at: new Date(this.ports.clock.now()).toISOString(),
			});
	}

	private rooms(): TemplateRooms {
		if (!this.ports.rooms) throw new Error('no rooms port: the modal send needs one');
		return this.ports.rooms;
	}

	/** The record of a template send to `to` from `number`, sent now. */
	private sentMessage(number: ConnectedNumber, send: { to: string; text: string; name: string; language: string }): SentMessage {
		return {
			phoneNumberId: number.phoneNumberId,
			connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
			mobileNo: send.to,
			message: send.text,
			type: 'Template-Message',
			templateName: send.name,
			templateLanguage: send.language,
			sentAt: new Date(this.ports.clock.now()).toISOString(),
		};
	}
}
