/**
 * UIKit handlers for the number views: submit of the connect / edit form, and the buttons of the
 * numbers list. Field errors go back to the form with Rocket.Chat's viewErrorResponse (keyed by
 * action id), so the modal stays open with the message under the field.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IUIKitResponse, UIKitBlockInteractionContext, UIKitViewSubmitInteractionContext } from '@rocket.chat/apps-engine/definition/uikit';

import { ConnectField, normalizeForm } from '../core/numbers/ConnectedNumber';
import { stateValue } from '../lib/blocks';
import { canManageNumbers, numberService, userTranslator, webhookInfo } from '../lib/services';
import { CONNECT_FIELDS, CONNECT_VIEW, DISCONNECT_VIEW_PREFIX, EDIT_VIEW_PREFIX, NumberAction } from './ids';
import { connectView, disconnectView, numbersView } from './views';

export interface Accessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	appId: string;
}

export function isNumberView(viewId: string): boolean {
	return viewId === CONNECT_VIEW || viewId.startsWith(EDIT_VIEW_PREFIX) || viewId.startsWith(DISCONNECT_VIEW_PREFIX);
}

export function isNumberAction(actionId: string): boolean {
	return (Object.values(NumberAction) as string[]).includes(actionId);
}

/** The submit of a number view: the connect / edit form, or the confirmation of a disconnect. */
export async function submitNumberView(context: UIKitViewSubmitInteractionContext, acc: Accessors): Promise<IUIKitResponse> {
	const { view } = context.getInteractionData();
	if (view.id.startsWith(DISCONNECT_VIEW_PREFIX)) return submitDisconnect(context, acc, view.id.slice(DISCONNECT_VIEW_PREFIX.length));
	return submitConnectForm(context, acc);
}

/** The admin confirmed: the number is disconnected and the list shown again. */
async function submitDisconnect(context: UIKitViewSubmitInteractionContext, acc: Accessors, phoneNumberId: string): Promise<IUIKitResponse> {
	const { user } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	if (!(await canManageNumbers(acc.read, user))) return responder.errorResponse();
	const service = await numberService(acc.read, acc.http, acc.persistence);
	const number = await service.get(phoneNumberId);
	const notice = number && (await service.disconnect(phoneNumberId)) ? t('numbers_disconnected', { display: number.displayPhoneNumber }) : undefined;
	const webhook = await webhookInfo(acc.read, acc.persistence, acc.appId);
	return responder.updateModalViewResponse(numbersView(t, await service.list(), webhook, notice) as never);
}

async function submitConnectForm(context: UIKitViewSubmitInteractionContext, acc: Accessors): Promise<IUIKitResponse> {
	const { view, user } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	if (!(await canManageNumbers(acc.read, user))) {
		return responder.viewErrorResponse({ viewId: view.id, errors: { phoneNumberId: t('command_not_allowed', { command: '/whatsapp connect' }) } });
	}
	const raw: Partial<Record<ConnectField, string>> = {};
	for (const field of CONNECT_FIELDS) raw[field] = stateValue(view.state, field, field);
	const form = normalizeForm(raw);
	const editing = view.id.startsWith(EDIT_VIEW_PREFIX) ? view.id.slice(EDIT_VIEW_PREFIX.length) : undefined;

	if (form.departmentId) {
		const department = await acc.read.getLivechatReader().getLivechatDepartmentByIdOrName(form.departmentId);
		if (!department) return responder.viewErrorResponse({ viewId: view.id, errors: { departmentId: t('error_department_unknown', { department: form.departmentId }) } });
		form.departmentId = department.id;
	}

	const service = await numberService(acc.read, acc.http, acc.persistence);
	const result = await service.connect(form, user.username, editing);
	if (!result.ok) {
		const errors: Record<string, string> = {};
		for (const [field, key] of Object.entries(result.errors)) errors[field] = t(key as string);
		return responder.viewErrorResponse({ viewId: view.id, errors });
	}
	const webhook = await webhookInfo(acc.read, acc.persistence, acc.appId);
	const notice = t(result.created ? 'connect_done' : 'connect_updated', { display: result.number.displayPhoneNumber, name: result.number.verifiedName });
	return responder.updateModalViewResponse(numbersView(t, await service.list(), webhook, notice) as never);
}

export async function handleNumberAction(context: UIKitBlockInteractionContext, acc: Accessors): Promise<IUIKitResponse> {
	const { actionId, value, user } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	if (!(await canManageNumbers(acc.read, user))) return responder.errorResponse();
	const service = await numberService(acc.read, acc.http, acc.persistence);
	switch (actionId) {
		case NumberAction.Connect:
			return responder.updateModalViewResponse(connectView(t) as never);
		case NumberAction.Edit: {
			const number = value ? await service.get(value) : undefined;
			if (!number) break;
			return responder.updateModalViewResponse(connectView(t, number) as never);
		}
		case NumberAction.Disconnect: {
			// Nothing is disconnected yet: the admin confirms in a modal (the client ignores a button's `confirm`).
			const number = value ? await service.get(value) : undefined;
			if (!number) break;
			return responder.updateModalViewResponse(disconnectView(t, number) as never);
		}
	}
	const webhook = await webhookInfo(acc.read, acc.persistence, acc.appId);
	return responder.updateModalViewResponse(numbersView(t, await service.list(), webhook) as never);
}
