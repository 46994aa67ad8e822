/**
 * UIKit handlers for the numbers modal: submit of the connect / edit form, of the question before a
 * disconnect, of the list (Done), and the buttons of the list. Field errors go back to the form with
 * Rocket.Chat's viewErrorResponse (keyed by action id), so the modal stays open with the message
 * under the field.
 *
 * How Rocket.Chat's 7/8 client handles the answers (RocketChat/Rocket.Chat):
 * - apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d: a modal.update
 *   and errors are emitted on the view id they carry, and only the open modal with that id
 *   (apps/meteor/client/uikit/hooks/useUiKitView.ts) takes them: a submit is answered with the
 *   submitted view's id, the list refreshed with the clicked view's id.
 * - A modal.update keeps the values the modal was first opened with (useUiKitView seeds them once),
 *   so a form reached by an update would not send its initial values and would show what was typed
 *   in an earlier form. A button of the list therefore answers with modal.open: ModalStore.open
 *   (packages/ui-client/src/providers/ModalProvider/ModalStore.ts) replaces the list with a new modal,
 *   seeded from the form, under an id of its own (ids.ts `newNumbersViewId`: a modal.open with the id
 *   on screen would keep the list). A submit never answers with modal.open: after a submit the client
 *   disposes the submitted view, which closes the modal just opened.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IUIKitResponse, UIKitBlockInteractionContext, UIKitViewSubmitInteractionContext } from '@rocket.chat/apps-engine/definition/uikit';

import { ConnectField, normalizeForm, validateForm } from '../../../core/numbers/ConnectedNumber';
import { stateValue } from '../blocks';
import { canManageNumbers, graphBaseUrl, numberService, userTranslator, webhookInfo } from '../../../adapters/factory';
import { NumbersRoomStore } from '../../../adapters/persistence/NumbersRoomStore';
import { departmentNames } from '../../../adapters/rocketchat/departments';
import { sightingsFor } from '../../../adapters/persistence/SightingStore';
import { mayComeTooLate, noticeIn } from '../clientWait';
import { failedAnswer } from '../failed';
import {
	CONNECT_FIELDS,
	LEGACY_CONNECT_VIEW,
	LEGACY_DISCONNECT_VIEW_PREFIX,
	LEGACY_EDIT_VIEW_PREFIX,
	newNumbersViewId,
	NUMBERS_VIEW,
	NumberAction,
	NumberMode,
	SUBMIT_PREFIX,
} from './ids';
import { Translator } from '../../../core/i18n/translate';
import { connectView, disconnectView, numbersView, savedView } from './views';

export interface Accessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	appId: string;
	logger?: ILogger;
}

export function isNumberView(viewId: string): boolean {
	return (
		viewId === NUMBERS_VIEW ||
		viewId.startsWith(`${NUMBERS_VIEW}:`) ||
		viewId === LEGACY_CONNECT_VIEW ||
		viewId.startsWith(LEGACY_EDIT_VIEW_PREFIX) ||
		viewId.startsWith(LEGACY_DISCONNECT_VIEW_PREFIX)
	);
}

interface ModalState {
	mode: NumberMode;
	phoneNumberId?: string;
}

/** What the submitted modal showed: from its submit button's action id, else from an id of before. */
function modalState(view: { id: string; submit?: { actionId?: string } }): ModalState | undefined {
	const actionId = view.submit?.actionId;
	if (typeof actionId === 'string' && actionId.startsWith(SUBMIT_PREFIX)) {
		const rest = actionId.slice(SUBMIT_PREFIX.length);
		const at = rest.indexOf(':');
		const mode = (at < 0 ? rest : rest.slice(0, at)) as NumberMode;
		const phoneNumberId = at < 0 ? undefined : rest.slice(at + 1);
		if (!(Object.values(NumberMode) as string[]).includes(mode)) return undefined;
		if ((mode === NumberMode.Edit || mode === NumberMode.Disconnect) && !phoneNumberId) return undefined;
		return { mode, phoneNumberId };
	}
	if (view.id === LEGACY_CONNECT_VIEW) return { mode: NumberMode.Connect };
	if (view.id.startsWith(LEGACY_EDIT_VIEW_PREFIX))
		return { mode: NumberMode.Edit, phoneNumberId: view.id.slice(LEGACY_EDIT_VIEW_PREFIX.length) };
	if (view.id.startsWith(LEGACY_DISCONNECT_VIEW_PREFIX))
		return { mode: NumberMode.Disconnect, phoneNumberId: view.id.slice(LEGACY_DISCONNECT_VIEW_PREFIX.length) };
	return undefined;
}

export function isNumberAction(actionId: string): boolean {
	return (Object.values(NumberAction) as string[]).includes(actionId);
}

/** The submit of the numbers modal: the connect / edit form, the confirmation of a disconnect, or Done under the list. */
export async function submitNumberView(context: UIKitViewSubmitInteractionContext, acc: Accessors): Promise<IUIKitResponse> {
	const { view } = context.getInteractionData();
	const state = modalState(view as never);
	switch (state?.mode) {
		case NumberMode.Disconnect:
			return submitDisconnect(context, acc, state.phoneNumberId as string);
		case NumberMode.Connect:
		case NumberMode.Edit:
			return submitConnectForm(context, acc, state.phoneNumberId);
	}
	// Done under the list (or a view this app does not know): the client closes the modal.
	return context.getInteractionResponder().successResponse();
}

/** The list, as an update of the modal `viewId` the user acted in. */
async function listUpdate(acc: Accessors, view: { t: Translator; viewId: string; notice?: string }): Promise<Record<string, unknown>> {
	const service = await numberService(acc.read, acc.http, acc.persistence);
	const webhook = await webhookInfo(acc.read, acc.persistence, acc.appId);
	const numbers = await service.list();
	const [departments, sightings] = await Promise.all([
		departmentNames(
			acc.read,
			numbers.map((n) => n.departmentId),
		),
		sightingsFor(acc.read.getPersistenceReader(), numbers),
	]);
	return { ...numbersView({ t: view.t, numbers, webhook, notice: view.notice, departments, sightings }), id: view.viewId };
}

/**
 * The list after a change was saved. When it cannot be drawn (a storage read failed), the change's
 * outcome alone, and where to see the list: the admin must not be told to try again what was done.
 */
async function listAfterSave(acc: Accessors, view: { t: Translator; viewId: string; notice?: string }): Promise<Record<string, unknown>> {
	try {
		return await listUpdate(acc, view);
	} catch (error) {
		acc.logger?.error(`numbers: the list after a saved change not drawn: ${error instanceof Error ? error.name : 'error'}`);
		return { ...savedView(view.t, view.notice), id: view.viewId };
	}
}

/** The words for a user who may not manage numbers (any more). */
const notAllowed = (t: Translator) => ({ title: t('numbers_title'), notice: t('command_not_allowed', { command: '/whatsapp numbers' }) });

/** The admin confirmed: the number is disconnected and the list shown again. */
async function submitDisconnect(
	context: UIKitViewSubmitInteractionContext,
	acc: Accessors,
	phoneNumberId: string,
): Promise<IUIKitResponse> {
	const { user, view } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	// The role taken while the question was open: said on it (the number stays connected), not a modal that just closes.
	if (!(await canManageNumbers(acc.read, user))) return failedAnswer(context, { kind: 'submit', view: view as never }, t, notAllowed(t));
	const service = await numberService(acc.read, acc.http, acc.persistence);
	const number = await service.get(phoneNumberId);
	const notice =
		number && (await service.disconnect(phoneNumberId)) ? t('numbers_disconnected', { display: number.displayPhoneNumber }) : undefined;
	return responder.updateModalViewResponse((await listAfterSave(acc, { t, viewId: view.id, notice })) as never);
}

async function submitConnectForm(
	context: UIKitViewSubmitInteractionContext,
	acc: Accessors,
	editing: string | undefined,
): Promise<IUIKitResponse> {
	const startedAt = Date.now();
	const { view, user } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	if (!(await canManageNumbers(acc.read, user))) {
		return responder.viewErrorResponse({
			viewId: view.id,
			errors: { phoneNumberId: t('command_not_allowed', { command: '/whatsapp connect' }) },
		});
	}
	const raw: Partial<Record<ConnectField, string>> = {};
	for (const field of CONNECT_FIELDS) raw[field] = stateValue(view.state, field, field);
	const form = normalizeForm(raw);

	// The Edit form shows the number's department by name (connectView): that name, left as it was,
	// is the department stored, kept by its ID (another department may have the same name).
	const stored = editing ? (await (await numberService(acc.read, acc.http, acc.persistence)).get(editing))?.departmentId : undefined;
	const unchanged = stored && form.departmentId && (await departmentNames(acc.read, [stored]))[stored] === form.departmentId;
	if (unchanged) form.departmentId = stored;
	else if (form.departmentId) {
		const department = await acc.read.getLivechatReader().getLivechatDepartmentByIdOrName(form.departmentId);
		if (!department) {
			// With the form's other mistakes, each under its field: not one per submit.
			const existing = editing ? await (await numberService(acc.read, acc.http, acc.persistence)).get(editing) : undefined;
			const errors: Record<string, string> = {};
			for (const [field, key] of Object.entries(validateForm(form, existing))) errors[field] = t(key as string);
			errors.departmentId = t('error_department_unknown', { department: form.departmentId });
			return responder.viewErrorResponse({ viewId: view.id, errors });
		}
		form.departmentId = department.id;
	}

	// A refused "Graph API base URL" setting: the credentials cannot be checked (nothing is sent), and
	// the admin is told so rather than that Meta could not be reached.
	if (!(await graphBaseUrl(acc.read)).ok)
		return responder.viewErrorResponse({ viewId: view.id, errors: { phoneNumberId: t('error_graph_base_url_refused') } });
	const service = await numberService(acc.read, acc.http, acc.persistence);
	const result = await service.connect(form, user.username, editing);
	const errors: Record<string, string> = {};
	if (!result.ok) for (const [field, key] of Object.entries(result.errors)) errors[field] = t(key as string);
	const notice = result.ok
		? t(result.created ? 'connect_done' : 'connect_updated', {
				display: result.number.displayPhoneNumber,
				name: result.number.verifiedName,
			})
		: undefined;
	const response = notice
		? responder.updateModalViewResponse((await listAfterSave(acc, { t, viewId: view.id, notice })) as never)
		: responder.viewErrorResponse({ viewId: view.id, errors });
	// Meta was slow to answer: the client may close the form with its timeout error, and the admin
	// reads the outcome in the room the numbers modal was last opened from.
	if (mayComeTooLate(startedAt)) {
		const reasons = Object.entries(errors).map(([field, text]) => `${t(`connect_field_${field}`)}: ${text}`);
		const text = notice
			? t('numbers_slow_saved', { outcome: notice })
			: t('numbers_slow_refused', { reasons: reasons.join(' '), command: editing ? '/whatsapp numbers' : '/whatsapp connect' });
		const roomId = await new NumbersRoomStore(acc.read.getPersistenceReader(), acc.persistence).get(user.id).catch(() => undefined);
		if (roomId) await noticeIn(acc, { user, roomId, text, what: 'numbers' });
		else acc.logger?.warn('numbers: a slow connect form got no notice: no room is known for the admin');
	}
	return response;
}

export async function handleNumberAction(context: UIKitBlockInteractionContext, acc: Accessors): Promise<IUIKitResponse> {
	const { actionId, value, user, container } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	// The role taken while the list was open: said in a small modal, not a click that does nothing.
	if (!(await canManageNumbers(acc.read, user)))
		return failedAnswer(context, { kind: 'action', viewId: container?.id ?? NUMBERS_VIEW }, t, notAllowed(t));
	const service = await numberService(acc.read, acc.http, acc.persistence);
	// A form opens as a new modal (an id of its own, newNumbersViewId), seeded from its own initial values; see the header.
	switch (actionId) {
		case NumberAction.Connect:
			return responder.openModalViewResponse({ ...connectView(t), id: newNumbersViewId() } as never);
		case NumberAction.Edit: {
			const number = value ? await service.get(value) : undefined;
			if (!number) break;
			const departments = await departmentNames(acc.read, [number.departmentId]);
			return responder.openModalViewResponse({ ...connectView(t, number, departments), id: newNumbersViewId() } as never);
		}
		case NumberAction.Disconnect: {
			// Nothing is disconnected yet: the admin confirms in a modal (the client ignores a button's `confirm`).
			const number = value ? await service.get(value) : undefined;
			if (!number) break;
			return responder.openModalViewResponse({ ...disconnectView(t, number), id: newNumbersViewId() } as never);
		}
	}
	// The number is gone meanwhile: the list the user clicked in is refreshed.
	return responder.updateModalViewResponse((await listUpdate(acc, { t, viewId: container?.id ?? NUMBERS_VIEW })) as never);
}
