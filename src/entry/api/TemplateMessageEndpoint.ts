/**
 * `POST /api/apps/public/{appId}/templateMessage`: Rocket.Chat's published contract for sending a
 * template to up to 250 numbers, with per-recipient results (`results`), `invalidContacts`,
 * `clientReference`, `idempotencyKey` and `dryRun`. Errors answer 4xx with a message naming the
 * field; anything unexpected answers a generic 500 and is logged without request data.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ApiEndpoint, IApiEndpointInfo, IApiRequest, IApiResponse } from '@rocket.chat/apps-engine/definition/api';

import { sendPaced } from '../../core/bulk/pacer';
import { parseTemplateMessageRequest, requestFingerprint, TemplateMessageRequest } from '../../core/bulk/request';
import { GraphApiError } from '../../core/errors';
import { ConnectedNumber, displayDigits } from '../../core/numbers/ConnectedNumber';
import { normalizePhoneNumber } from '../../core/phone';
import { Translator, translator } from '../../core/i18n/translate';
import { appSettings, graphFactory } from '../../adapters/factory';
import { TemplateCatalog } from '../../core/templates/catalog';
import { checkComponents, valuesFromComponents } from '../../core/templates/components';
import { renderPreview, renderText } from '../../core/templates/preview';
import { MetaTemplate } from '../../core/templates/template';
import { Accessors, PROCESS_WEBHOOKS_JOB, queueContext, recordSend } from '../../status/queue';
import { templateCatalog } from '../uikit/sendTemplate/SendTemplateFlow';
import { NumberStore } from '../../adapters/persistence/NumberStore';
import { IdempotencyStore } from '../../adapters/persistence/IdempotencyStore';

/** The engine gives an app call 30 s; the sends of one request must end well before. */
const REQUEST_BUDGET_MS = 20000;
/** In-flight sends: enough to keep the rate with Graph latencies up to 250 ms, never more than a request's recipients. */
const concurrencyFor = (ratePerSecond: number) => Math.max(4, Math.min(250, Math.ceil(ratePerSecond / 4)));

export interface RecipientResult {
	phoneNumber: string;
	msId?: string;
	error?: { code: number; message: string };
}

type Answer = { status: number; content: Record<string, unknown> };

export class TemplateMessageEndpoint extends ApiEndpoint {
	public path = 'templateMessage';
	public authRequired = true;

	public async post(request: IApiRequest, _endpoint: IApiEndpointInfo, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence): Promise<IApiResponse> {
		const t = translator(request.headers['accept-language']?.split(',')[0]);
		try {
			const answer = await this.handle(request, { read, http, persistence, modify }, t);
			return { status: answer.status, content: answer.content };
		} catch (error) {
			this.app.getLogger().error(`templateMessage failed: ${error instanceof Error ? error.name : 'error'}`);
			return { status: 500, content: { success: false, error: t('api_error_internal') } };
		}
	}

	private async handle(request: IApiRequest, acc: Accessors, t: Translator): Promise<Answer> {
		const { read, persistence } = acc;
		const bad = (key: string, params?: Record<string, string | number>): Answer => ({ status: 400, content: { success: false, error: t(key, params) } });

		const user = request.user;
		if (!user) return { status: 401, content: { status: 'error', message: t('api_error_unauthenticated') } };
		const allowed = await appSettings(read).get('templateMessageRoles');
		if (!(user.roles ?? []).some((role) => allowed.includes(role))) return { status: 403, content: { success: false, error: t('api_error_forbidden') } };

		const parsed = parseTemplateMessageRequest(request.content);
		if (!parsed.ok) return bad(parsed.key, parsed.params);
		const body = parsed.request;

		const idempotency = new IdempotencyStore(read.getPersistenceReader(), persistence);
		const fingerprint = requestFingerprint(body);
		if (body.idempotencyKey) {
			const previous = await idempotency.find(body.idempotencyKey, Date.now());
			if (previous && previous.fingerprint === fingerprint) return { status: previous.status, content: { ...(previous.content as Record<string, unknown>), replayed: true } };
			if (previous) return { status: 409, content: { success: false, error: t('api_error_idempotency_conflict') } };
		}

		const number = await findNumber(new NumberStore(read.getPersistenceReader()), body.connectedWhatsAppNo);
		if (!number) return bad('api_error_number_not_connected', { number: body.connectedWhatsAppNo });
		if (body.targetAgent && !(await read.getUserReader().getByUsername(body.targetAgent).catch(() => undefined))) return bad('api_error_agent_not_found', { username: body.targetAgent });
		if (body.targetDepartment && !(await read.getLivechatReader().getLivechatDepartmentByIdOrName(body.targetDepartment).catch(() => undefined))) {
			return bad('api_error_department_not_found', { department: body.targetDepartment });
		}

		const catalog = await templateCatalog(acc, number);
		let template: MetaTemplate | undefined;
		let listed = true;
		try {
			template = await catalog.find(number.wabaId, body.template.name, body.template.language.code);
		} catch {
			listed = false;
		}
		// Meta's template list out of reach: a dry run cannot vouch for the template; a send lets Meta check it.
		if (!listed && body.dryRun) return { status: 502, content: { success: false, error: t('api_error_templates_unavailable') } };
		if (listed && !template) return bad('api_error_template_not_approved', { name: body.template.name, language: body.template.language.code });
		if (template) {
			const [problem] = checkComponents(template, body.template.components);
			if (problem) return bad(problem.key, problem.params);
		}

		const { recipients, invalidContacts } = splitRecipients(body.phoneNumbers);
		if (body.dryRun) {
			return { status: 200, content: { success: true, dryRun: true, ...(invalidContacts.length ? { invalidContacts } : {}), results: recipients.map((phoneNumber) => ({ phoneNumber })) } };
		}

		const results = await sendTemplateBatch(body, number, recipients, acc, t, template ? { template, catalog } : undefined);
		const content = { success: true, ...(invalidContacts.length ? { invalidContacts } : {}), results };
		if (body.idempotencyKey) await idempotency.save({ key: body.idempotencyKey, fingerprint, status: 200, content, at: Date.now() });
		return { status: 200, content };
	}
}

/**
 * Sends one template to many recipients from one number, paced, recording each send for the status
 * pipeline. Shared by the REST endpoint and the native outbound provider.
 */
export async function sendTemplateBatch(body: TemplateMessageRequest, number: ConnectedNumber, recipients: string[], acc: Accessors, t: Translator, known?: { template: MetaTemplate; catalog: TemplateCatalog }): Promise<RecipientResult[]> {
	const template = known?.template;
	const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
	const rate = await appSettings(acc.read).get('sendRatePerSecond');
	const report = await sendPaced({
		items: recipients,
		send: (to) => graph.sendMessage(number.phoneNumberId, { messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'template', template: body.template }),
		metaCode: (error) => (error instanceof GraphApiError ? error.graphCode : undefined),
		ratePerSecond: rate,
		concurrency: concurrencyFor(rate),
		budgetMs: REQUEST_BUDGET_MS,
	});
	const results: RecipientResult[] = [];
	const queue = await queueContext(acc);
	for (let i = 0; i < recipients.length; i++) {
		const outcome = report.outcomes[i];
		const to = recipients[i];
		const wamid = outcome.ok ? outcome.value.messages?.[0]?.id : undefined;
		const waId = outcome.ok ? outcome.value.contacts?.[0]?.wa_id : undefined;
		await recordSend(acc, {
			wamid,
			...(waId && waId !== to ? { waId } : {}),
			phoneNumberId: number.phoneNumberId,
			connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
			mobileNo: to,
			message: template ? renderText(renderPreview(template, valuesFromComponents(template, body.template.components))) : renderTemplateText(body),
			type: 'Template-Message',
			templateName: body.template.name,
			templateLanguage: body.template.language.code,
			clientReference: body.clientReference,
			targetAgent: body.targetAgent,
			targetDepartment: body.targetDepartment,
			sentAt: new Date().toISOString(),
		}, outcome.ok ? undefined : outcome.error, queue);
		if (!outcome.ok && known && outcome.error instanceof GraphApiError) await known.catalog.onSendError(number.wabaId, known.template.name, known.template.language, outcome.error.graphCode);
		if (outcome.ok) results.push({ phoneNumber: to, msId: wamid });
		else results.push({ phoneNumber: to, error: explain(outcome.error, t) });
	}
	// The first statuses (queued / failed) go out with the next delivery round, now.
	await acc.modify.getScheduler().scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date() });
	return results;
}

export async function findNumber(store: NumberStore, value: string): Promise<ConnectedNumber | undefined> {
	const digits = value.replace(/\D/g, '');
	return (await store.list()).find((n) => n.phoneNumberId === value || (digits && displayDigits(n.displayPhoneNumber) === digits));
}

/** Valid numbers normalized and de-duplicated in request order; the rest as the caller sent them. */
export function splitRecipients(phoneNumbers: string[]): { recipients: string[]; invalidContacts: string[] } {
	const recipients: string[] = [];
	const invalidContacts: string[] = [];
	for (const raw of phoneNumbers) {
		const normalized = normalizePhoneNumber(raw);
		if (!normalized) invalidContacts.push(raw);
		else if (!recipients.includes(normalized)) recipients.push(normalized);
	}
	return { recipients, invalidContacts };
}

function explain(error: unknown, t: Translator): { code: number; message: string } {
	if (error instanceof GraphApiError) return { code: error.graphCode, message: t('api_error_graph', { code: error.graphCode }) };
	return { code: 0, message: t('error_graph_unreachable') };
}

/** The template's text parameters as the recipient reads them (the full preview comes from the template model). */
function renderTemplateText(body: TemplateMessageRequest): string {
	const params: string[] = [];
	for (const component of body.template.components ?? []) {
		for (const p of (component.parameters as Array<{ text?: unknown }> | undefined) ?? []) if (typeof p.text === 'string') params.push(p.text);
	}
	return params.length ? `${body.template.name}: ${params.join(' | ')}` : body.template.name;
}
