/**
 * `/whatsapp send-template`: the modal, its live updates and its submit. The modal's state between
 * interactions is a draft in persistence (block actions carry only the changed value).
 */
import { ILogger, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import { IUIKitResponse, UIKitBlockInteractionContext, UIKitSurfaceType, UIKitViewSubmitInteractionContext } from '@rocket.chat/apps-engine/definition/uikit';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { GraphApiError } from '../../../core/errors';
import { ConnectedNumber, displayDigits } from '../../../core/numbers/ConnectedNumber';
import { normalizePhoneNumber } from '../../../core/phone';
import { explainSendError, TemplateCatalog, TemplateGroup } from '../../../core/templates/catalog';
import { templateMessage } from '../../../core/templates/bind';
import { renderPreview, renderText } from '../../../core/templates/preview';
import { validateValues } from '../../../core/templates/rules';
import { MetaTemplate } from '../../../core/templates/template';
import { Translator } from '../../../core/i18n/translate';
import { stateValue } from '../blocks';
import { Records } from '../../../adapters/persistence/records';
import { appSettings, graphBaseUrl, graphFactory, userTranslator, workspaceLanguage } from '../../../adapters/factory';
import { MessageStore } from '../../../adapters/persistence/MessageStore';
import { NumberStore } from '../../../adapters/persistence/NumberStore';
import { postAsUser } from '../../../adapters/persistence/ownPosts';
import { Accessors, PROCESS_WEBHOOKS_JOB, recordSend } from '../../../status/queue';
import { contactOf, contactRoom } from '../../../adapters/rocketchat/conversations';
import { isLanguageAction, languageAction, PARAM_PREFIX, paramAction, SEND_VIEW_PREFIX, SendAction } from './ids';
import { PersistedTemplateCache } from '../../../adapters/persistence/TemplateCacheStore';
import { Draft, sendTemplateView } from './views';

const crypto = require('crypto') as typeof import('crypto');

export interface FlowAccessors extends Accessors {
	appId: string;
	logger?: ILogger;
}

const draftRecord = (viewId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `send-draft:${viewId}`);

export async function canSendTemplates(read: IRead, user: IUser): Promise<boolean> {
	const allowed = await appSettings(read).get('agentRoles');
	return (user.roles ?? []).some((r) => allowed.includes(r));
}

export async function templateCatalog(acc: Pick<Accessors, 'read' | 'http'> & { persistence?: IPersistence }, number: ConnectedNumber): Promise<TemplateCatalog> {
	const minutes = await appSettings(acc.read).get('templateRefreshMinutes');
	const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
	return new TemplateCatalog(new PersistedTemplateCache(acc.read.getPersistenceReader(), acc.persistence), (waba) => graph.listAllTemplates<MetaTemplate>(waba, { limit: 250 }), minutes * 60000);
}

/** "pt-BR", "pt_BR", "pt" -> the best of the template's languages. */
export function pickLanguage(languages: string[], preferred: Array<string | undefined>): string | undefined {
	const norm = (l: string) => l.replace('-', '_').toLowerCase();
	for (const p of preferred.filter((x): x is string => Boolean(x))) {
		const exact = languages.find((l) => norm(l) === norm(p));
		if (exact) return exact;
		const base = languages.find((l) => norm(l).split('_')[0] === norm(p).split('_')[0]);
		if (base) return base;
	}
	return languages[0];
}

export async function openSendTemplate(acc: FlowAccessors, user: IUser, room: IRoom, triggerId: string, t: Translator): Promise<string | undefined> {
	const numbers = await new NumberStore(acc.read.getPersistenceReader()).list();
	if (!numbers.length) return t('send_no_numbers');
	const contact = contactOf(room);
	// A contact's room answers through its own number only; outside one, the first is preselected.
	const number = contact ? numbers.find((n) => n.phoneNumberId === contact.phoneNumberId) : numbers[0];
	if (!number) return t('send_room_number_gone');
	const workspace = await workspaceLanguage(acc.read);
	const draft: Draft = {
		viewId: `${SEND_VIEW_PREFIX}${crypto.randomBytes(8).toString('hex')}`,
		userId: user.id,
		roomId: contact ? room.id : undefined,
		askRecipient: !contact,
		phoneNumberId: number.phoneNumberId,
		values: {},
		preferredLanguage: contact?.visitorLanguage ?? workspace,
	};
	const view = await buildView(acc, draft, numbers, t, false);
	await saveDraft(acc, draft);
	await acc.modify.getUiController().openSurfaceView({ ...view, type: UIKitSurfaceType.MODAL } as never, { triggerId }, user);
	return undefined;
}

async function buildView(acc: FlowAccessors, draft: Draft, numbers: ConnectedNumber[], t: Translator, refresh: boolean): Promise<Record<string, unknown>> {
	const number = numbers.find((n) => n.phoneNumberId === draft.phoneNumberId) ?? numbers[0];
	const catalog = await templateCatalog(acc, number);
	let groups: TemplateGroup[] = [];
	let problem: string | undefined;
	try {
		// A refused Graph base URL setting sends nothing: said in words rather than as an outage.
		if (!(await graphBaseUrl(acc.read)).ok) problem = t('error_graph_base_url_refused');
		else groups = await catalog.groups(number.wabaId, { refresh });
	} catch (error) {
		// Meta could not list the templates (expired token, outage...): the agent is told why.
		problem = explainListError(error, t);
	}
	const group = groups.find((g) => g.name === draft.templateName);
	if (group) {
		const offered = (language?: string) => Boolean(language) && group.languages.some((l) => l.language === language);
		// Back on a template whose language the agent chose: the client still shows (and submits) that
		// choice (its values are kept by action id), so the draft takes it again.
		const chosen = draft.chosenLanguages?.[languageAction(draft.phoneNumberId, group.name)];
		if (offered(chosen)) draft.language = chosen;
		else if (!offered(draft.language)) draft.language = pickLanguage(group.languages.map((l) => l.language), [draft.preferredLanguage]);
	}
	const template = group?.languages.find((l) => l.language === draft.language);
	return sendTemplateView(t, draft, numbers, groups, template, problem);
}

/** Why the template list could not be fetched, for people. */
export function explainListError(error: unknown, t: Translator): string {
	if (error instanceof GraphApiError) return t(explainSendError(error.graphCode).key, { code: error.graphCode });
	return t('error_graph_unreachable');
}

async function loadDraft(read: IRead, viewId: string): Promise<Draft | undefined> {
	const [draft] = (await read.getPersistenceReader().readByAssociation(draftRecord(viewId))) as Draft[];
	return draft;
}

async function saveDraft(acc: Pick<Accessors, 'read' | 'persistence'>, draft: Draft): Promise<void> {
	await new Records(acc.read.getPersistenceReader(), acc.persistence).put([draftRecord(draft.viewId)], draft);
}

export const isSendView = (viewId: string) => viewId.startsWith(SEND_VIEW_PREFIX);

/**
 * The draft of the modal `viewId`, when it is `user`'s own. Rocket.Chat's server hands the app any
 * view id a logged-in user sends to its UIKit endpoint, so another user's block action or submit
 * for this view must not read, change or send this draft. A draft without an owner (opened before
 * drafts had one) is nobody's.
 */
async function ownDraft(read: IRead, viewId: string, user: IUser): Promise<{ draft?: Draft; foreign: boolean }> {
	const draft = await loadDraft(read, viewId);
	if (!draft) return { foreign: false };
	return draft.userId === user.id ? { draft, foreign: false } : { foreign: true };
}

/**
 * Whether the template may go from `phoneNumberId`: a connected number and, in a contact's room,
 * the room's own (the contact is that number's visitor; another number would write to the contact
 * from a conversation the room does not hold). Undefined when it may, else the reason.
 */
function numberRefusal(draft: Draft, numbers: ConnectedNumber[], room: IRoom | undefined, phoneNumberId: string, t: Translator): string | undefined {
	if (!draft.askRecipient) {
		const own = numbers.find((n) => n.phoneNumberId === contactOf(room)?.phoneNumberId);
		if (!own) return t('send_room_number_gone');
		if (own.phoneNumberId !== phoneNumberId) return t('send_error_room_number', { number: `${own.verifiedName} ${own.displayPhoneNumber}`.trim() });
		return undefined;
	}
	return numbers.some((n) => n.phoneNumberId === phoneNumberId) ? undefined : t('send_error_number_gone');
}

/** A select changed, a parameter was typed, or the list is refreshed: the modal is rebuilt from the draft. */
export async function onSendAction(context: UIKitBlockInteractionContext, acc: FlowAccessors): Promise<IUIKitResponse> {
	const { actionId, value, user, container } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	// Another user's view: nothing happens (no view goes back: it would show that user's draft).
	const { draft } = await ownDraft(acc.read, container.id, user);
	if (!draft) return responder.errorResponse();
	const t = await userTranslator(acc.read, user);
	// The role is checked on every step: an agent whose role was taken away while the modal was open
	// changes nothing more in it (and cannot submit it).
	if (!(await canSendTemplates(acc.read, user))) {
		return responder.viewErrorResponse({ viewId: container.id, errors: { [SendAction.Template]: t('command_not_allowed', { command: '/whatsapp send-template' }) } });
	}
	const numbers = await new NumberStore(acc.read.getPersistenceReader()).list();
	// Only a connected number, and only outside a contact's room (a contact's room keeps its number).
	if (actionId === SendAction.Number) {
		if (value && draft.askRecipient && numbers.some((n) => n.phoneNumberId === value)) draft.phoneNumberId = value;
	}
	else if (actionId === SendAction.Template) draft.templateName = value;
	else if (isLanguageAction(actionId)) {
		// The select of this number and template: remembered for it, the draft's language if current.
		if (value) draft.chosenLanguages = { ...draft.chosenLanguages, [actionId]: value };
		if (draft.templateName && actionId === languageAction(draft.phoneNumberId, draft.templateName)) draft.language = value;
	}
	else if (actionId === SendAction.Recipient) draft.recipient = value;
	else if (actionId === SendAction.Department) draft.department = value;
	else if (actionId.startsWith(PARAM_PREFIX)) draft.values[actionId.slice(PARAM_PREFIX.length)] = value ?? '';
	// Building the view settles the language (the contact's, else the first), so the draft is saved after it.
	const view = await buildView(acc, draft, numbers, t, actionId === SendAction.Refresh);
	await saveDraft(acc, draft);
	return responder.updateModalViewResponse(view as never);
}

export async function onSendSubmit(context: UIKitViewSubmitInteractionContext, acc: FlowAccessors): Promise<IUIKitResponse> {
	const { view, user } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	const fail = (errors: Record<string, string>) => responder.viewErrorResponse({ viewId: view.id, errors });
	const { draft, foreign } = await ownDraft(acc.read, view.id, user);
	if (foreign) {
		acc.logger?.warn(`send-template: ${user.username} submitted a modal another user opened; refused`);
		return responder.errorResponse();
	}
	if (!draft) return fail({ [SendAction.Template]: t('send_expired') });
	if (!(await canSendTemplates(acc.read, user))) return fail({ [SendAction.Template]: t('command_not_allowed', { command: '/whatsapp send-template' }) });

	// What the client submits wins over the draft (the last keystrokes may not have been dispatched).
	const state = view.state as Record<string, Record<string, unknown>> | undefined;
	for (const blockId of Object.keys(state ?? {})) {
		if (blockId.startsWith(PARAM_PREFIX)) draft.values[blockId.slice(PARAM_PREFIX.length)] = stateValue(state, blockId, blockId);
	}
	for (const [action, key] of [[SendAction.Template, 'templateName'], [SendAction.Number, 'phoneNumberId'], [SendAction.Recipient, 'recipient'], [SendAction.Department, 'department']] as const) {
		const v = stateValue(state, action, action);
		if (v) draft[key] = v;
	}
	// The language is that of the select of the number and template now settled: the state keeps
	// the selects of templates picked before too (Rocket.Chat's client never drops a value). Absent
	// when the agent left it as shown, which is the draft's language.
	if (draft.templateName) {
		const language = stateValue(state, languageAction(draft.phoneNumberId, draft.templateName), languageAction(draft.phoneNumberId, draft.templateName));
		if (language) draft.language = language;
	}

	const numbers = await new NumberStore(acc.read.getPersistenceReader()).list();
	let room: IRoom | undefined = draft.roomId ? await acc.read.getRoomReader().getById(draft.roomId) : undefined;
	// The number is checked against what the caller may use, whatever the state names: the select
	// is shown outside a contact's room when there are several numbers, else the error goes on the template.
	const numberProblem = numberRefusal(draft, numbers, room, draft.phoneNumberId, t);
	const number = numberProblem ? undefined : numbers.find((n) => n.phoneNumberId === draft.phoneNumberId);
	if (!number) return fail({ [draft.askRecipient && numbers.length > 1 ? SendAction.Number : SendAction.Template]: numberProblem ?? t('send_no_numbers') });
	// Nothing goes to a refused Graph base URL (the cached template list must not hide it).
	if (!(await graphBaseUrl(acc.read)).ok) return fail({ [SendAction.Template]: t('error_graph_base_url_refused') });
	const catalog = await templateCatalog(acc, number);
	const template = draft.templateName && draft.language ? await catalog.find(number.wabaId, draft.templateName, draft.language) : undefined;
	const errors: Record<string, string> = {};
	if (!template) errors[SendAction.Template] = t('send_error_template');
	let to = '';
	if (draft.askRecipient) {
		to = normalizePhoneNumber(draft.recipient ?? '') ?? '';
		if (!to) errors[SendAction.Recipient] = t('send_error_recipient');
	} else {
		// numberRefusal found the room a contact's room of this number.
		to = contactOf(room)?.waId ?? '';
	}
	let departmentId: string | undefined = number.departmentId;
	if (draft.askRecipient && draft.department) {
		const department = await acc.read.getLivechatReader().getLivechatDepartmentByIdOrName(draft.department).catch(() => undefined);
		if (!department) errors[SendAction.Department] = t('error_department_unknown', { department: draft.department });
		departmentId = department?.id;
	}
	if (template) {
		for (const [inputId, error] of Object.entries(validateValues(template, draft.values))) errors[paramAction(inputId)] = t(error.key, error.params);
	}
	if (Object.keys(errors).length || !template) return fail(errors);

	const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
	const rendered = renderText(renderPreview(template, draft.values), t);
	const sentBase = {
		phoneNumberId: number.phoneNumberId,
		connectedWhatsAppNo: displayDigits(number.displayPhoneNumber),
		mobileNo: to,
		message: rendered,
		type: 'Template-Message' as const,
		templateName: template.name,
		templateLanguage: template.language,
		agent: user.username,
	};
	let wamid: string | undefined;
	try {
		wamid = (await graph.sendMessage(number.phoneNumberId, templateMessage(to, template, draft.values))).messages?.[0]?.id;
	} catch (error) {
		await recordSend(acc, { ...sentBase, roomId: room?.id, sentAt: new Date().toISOString() }, error);
		await acc.modify.getScheduler().scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date() });
		if (error instanceof GraphApiError) {
			await catalog.onSendError(number.wabaId, template.name, template.language, error.graphCode);
			return fail({ [SendAction.Template]: t(explainSendError(error.graphCode).key, { code: error.graphCode }) });
		}
		return fail({ [SendAction.Template]: t('error_graph_unreachable') });
	}
	// Sent: from here on a failure must not make the agent send it again, so the modal closes anyway.
	try {
		if (!room) room = await contactRoom(acc.read, acc.modify, { phoneNumberId: number.phoneNumberId, waId: to, agent: user, departmentId, appId: acc.appId });
		await recordSend(acc, { ...sentBase, wamid, roomId: room.id, sentAt: new Date().toISOString() });
		await acc.modify.getScheduler().scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date() });
		await postInRoom(acc, room, user, rendered, wamid);
		await new Records(acc.read.getPersistenceReader(), acc.persistence).removeAll([draftRecord(view.id)]);
	} catch (error) {
		acc.logger?.error(`template ${template.name} sent (${wamid ?? 'no wamid'}) but not recorded or shown in the room: ${error instanceof Error ? error.message : 'error'}`);
	}
	return responder.successResponse();
}

/**
 * The room keeps the history: the rendered template, from the agent or the app's bot (setting).
 * No custom fields: a default Rocket.Chat refuses them. Rocket.Chat announces the post to the app
 * (IPostMessageSent) like any message, so it must not be relayed to WhatsApp a second time: a post
 * by the app's user is known by its sender; a post as the agent is announced first (ownPosts.ts).
 */
async function postInRoom(acc: FlowAccessors, room: IRoom, agent: IUser, text: string, wamid?: string): Promise<void> {
	const asBot = (await appSettings(acc.read).get('templateSentBy')) === 'bot';
	const appUser = asBot ? await acc.read.getUserReader().getAppUser() : undefined;
	const sender = appUser ?? agent;
	const builder = acc.modify.getCreator().startMessage().setRoom(room).setText(text).setSender(sender);
	const post = () => acc.modify.getCreator().finish(builder);
	const messageId = appUser ? await post() : await postAsUser(acc.read.getPersistenceReader(), acc.persistence, { roomId: room.id, senderId: agent.id, text }, post);
	// The contact may quote the template or tap its buttons: the room then shows which message it answers.
	if (wamid && messageId) await new MessageStore(acc.read.getPersistenceReader(), acc.persistence).link({ wamid, rcMessageId: messageId, roomId: room.id, at: new Date().toISOString() });
}
