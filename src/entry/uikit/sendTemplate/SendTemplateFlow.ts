/**
 * `/whatsapp send-template`: the modal's UIKit interactions, adapted to the modal's service
 * (core/app/sendTemplateModal.ts): opening it, its live updates and its submit. The view is drawn
 * by views.ts from what the service answers.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import {
	IUIKitResponse,
	UIKitBlockInteractionContext,
	UIKitSurfaceType,
	UIKitViewCloseInteractionContext,
	UIKitViewSubmitInteractionContext,
} from '@rocket.chat/apps-engine/definition/uikit';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { mayAgentSend } from '../../../core/app/sendTemplates';
import { ModalAction, ModalErrors, SendTemplateModal, Submitted } from '../../../core/app/sendTemplateModal';
import { Translator } from '../../../core/i18n/translate';
import { stateValue } from '../blocks';
import { appSettings, roleIdOf, userTranslator, workspaceLanguage } from '../../../adapters/factory';
import { sendTemplateModalOf } from '../../../adapters/build/templates';
import { contactOf } from '../../../adapters/rocketchat/conversations';
import { mayComeTooLate, noticeIn } from '../clientWait';
import { isNumberSelectAction, languageAction, PARAM_PREFIX, parseLanguageAction, SEND_VIEW_PREFIX, SendAction } from './ids';
import { sendTemplateView } from './views';

const crypto = require('crypto') as typeof import('crypto');

export interface FlowAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	appId: string;
	logger?: ILogger;
}

export const isSendView = (viewId: string) => viewId.startsWith(SEND_VIEW_PREFIX);

/** Whether `user` holds one of the "Roles allowed to send templates" (agentRoles setting). */
export async function canSendTemplates(read: IRead, user: IUser): Promise<boolean> {
	return mayAgentSend(appSettings(read), user.roles, roleIdOf(read));
}

const newViewId = () => `${SEND_VIEW_PREFIX}${crypto.randomBytes(8).toString('hex')}`;

function modalOf(acc: FlowAccessors, user: IUser, room?: IRoom): Promise<SendTemplateModal> {
	return sendTemplateModalOf(acc, { sender: { agent: user, appId: acc.appId, room }, newViewId });
}

/**
 * The modal's field errors on the view's blocks (a template input's block is `param:<inputId>` in
 * both); a number's on the number select the client shows (`numberBlock`).
 */
function blockErrors(errors: ModalErrors, numberBlock: string = SendAction.Number): Record<string, string> {
	const blocks: Record<string, string> = {};
	const ids: Record<string, string> = {
		number: numberBlock,
		template: SendAction.Template,
		recipient: SendAction.Recipient,
		department: SendAction.Department,
	};
	for (const [field, text] of Object.entries(errors)) if (text) blocks[ids[field] ?? field] = text;
	return blocks;
}

/**
 * Opens the modal; a notice for the user instead when it cannot open, or besides it when opening
 * took so long (`startedAt`: when the command reached the app) that the client may have dropped it.
 */
export async function openSendTemplate(
	acc: FlowAccessors,
	invocation: { user: IUser; room: IRoom; triggerId: string; t: Translator; startedAt: number },
): Promise<string | undefined> {
	const { user, room, t } = invocation;
	const contact = await contactOf(acc, room);
	const modal = await modalOf(acc, user, contact ? room : undefined);
	const opened = await modal.open({
		user,
		contact: contact && { roomId: room.id, phoneNumberId: contact.phoneNumberId, visitorLanguage: contact.visitorLanguage },
		openedIn: room.id,
		workspaceLanguage: await workspaceLanguage(acc.read),
		t,
	});
	if ('notice' in opened) return opened.notice;
	const view = sendTemplateView(opened.screen, t);
	await acc.modify
		.getUiController()
		.openSurfaceView({ ...view, type: UIKitSurfaceType.MODAL } as never, { triggerId: invocation.triggerId }, user);
	// With why the list did not come (Meta timed out, say): opening again would be as slow.
	if (mayComeTooLate(invocation.startedAt)) return [t('send_open_slow'), opened.screen.problem].filter(Boolean).join(' ');
	return undefined;
}

/** The block action as a change of the modal. */
function actionOf(actionId: string, value: string | undefined): ModalAction {
	const language = parseLanguageAction(actionId);
	if (language) return { kind: 'language', ...language, value };
	if (actionId.startsWith(PARAM_PREFIX)) return { kind: 'param', inputId: actionId.slice(PARAM_PREFIX.length), value };
	if (isNumberSelectAction(actionId)) return { kind: 'number', value };
	const kinds: Record<string, 'template' | 'search' | 'recipient' | 'department'> = {
		[SendAction.Template]: 'template',
		[SendAction.Search]: 'search',
		[SendAction.Recipient]: 'recipient',
		[SendAction.Department]: 'department',
	};
	if (kinds[actionId]) return { kind: kinds[actionId], value };
	return actionId === SendAction.Refresh ? { kind: 'refresh' } : { kind: 'other' };
}

/** Where a failed block action's notice shows (src/entry/uikit/failed.ts): under the input changed; under the template select for Refresh (a button). */
export const sendActionErrorOn = (actionId: string): string => (actionId === SendAction.Refresh ? SendAction.Template : actionId);

/** A select changed, a parameter was typed, or the list is refreshed: the modal is rebuilt from the draft. */
export async function onSendAction(context: UIKitBlockInteractionContext, acc: FlowAccessors): Promise<IUIKitResponse> {
	const startedAt = Date.now();
	const { actionId, value, user, container } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	const result = await (await modalOf(acc, user)).act({ viewId: container.id, user, action: actionOf(actionId, value), t });
	// Another user's view: nothing happens (no view goes back: it would show that user's draft).
	if (result.kind === 'ignored') return responder.errorResponse();
	if (result.kind === 'refused') return responder.viewErrorResponse({ viewId: container.id, errors: blockErrors(result.errors) });
	const response = responder.updateModalViewResponse(sendTemplateView(result.screen, t) as never);
	// The client may drop this update (a number's template list Meta was slow to give, say): the form
	// then shows what it showed before, and the agent reads why in the room. (A refusal comes from the
	// app's own records, never from Meta, and is not slow.)
	if (mayComeTooLate(startedAt) && result.openedIn) {
		const text = [t('send_update_slow'), result.screen.problem].filter(Boolean).join(' ');
		await noticeIn(acc, { user, roomId: result.openedIn, text, what: 'send-template' });
	}
	return response;
}

/** The block ids of the view the client submitted (it carries its blocks), when it says them. */
function blockIdsOf(view: { blocks?: unknown }): string[] | undefined {
	if (!Array.isArray(view.blocks)) return undefined;
	return (view.blocks as Array<{ blockId?: unknown } | null | undefined>).map((block) => String(block?.blockId ?? ''));
}

/**
 * The number select the submitted view draws; else (no select drawn, or a view without its blocks)
 * the first number select the state has a value of, for the modal's service to check.
 */
function numberBlockOf(view: { state?: unknown; blocks?: unknown }): string | undefined {
	const drawn = blockIdsOf(view)?.find(isNumberSelectAction);
	return drawn ?? Object.keys((view.state as Record<string, unknown> | undefined) ?? {}).find(isNumberSelectAction);
}

/** What the client submitted: the values of the view's inputs (the last keystrokes may not have been dispatched). */
function submittedOf(view: { state?: unknown; blocks?: unknown }): Submitted {
	const { state } = view;
	const values: Record<string, string> = {};
	for (const blockId of Object.keys((state as Record<string, unknown> | undefined) ?? {})) {
		if (blockId.startsWith(PARAM_PREFIX)) values[blockId.slice(PARAM_PREFIX.length)] = stateValue(state, blockId, blockId);
	}
	const field = (action: SendAction) => stateValue(state, action, action) || undefined;
	const number = numberBlockOf(view);
	// A text field the agent cleared is submitted empty: that is its value, even when the action that
	// would have told the draft never came (Rocket.Chat's client debounces one action for the whole
	// modal, and a keystroke elsewhere cancels it). Absent: the client sent no state for it.
	const typed = (action: SendAction) =>
		typeof (state as Record<string, Record<string, unknown>> | undefined)?.[action]?.[action] === 'string'
			? stateValue(state, action, action)
			: undefined;
	return {
		values,
		fields: {
			templateName: field(SendAction.Template),
			// The value of the select drawn now: none when the agent left it as shown (a select drawn
			// after the first view has no value in the state until changed).
			phoneNumberId: number ? stateValue(state, number, number) || undefined : undefined,
			recipient: typed(SendAction.Recipient),
			department: typed(SendAction.Department),
		},
		languageOf: (phoneNumberId, templateName) => {
			const id = languageAction(phoneNumberId, templateName);
			return stateValue(state, id, id) || undefined;
		},
		// The form the client shows: the submit carries its view, blocks and all.
		shownFields: blockIdsOf(view)
			?.filter((id) => id.startsWith(PARAM_PREFIX))
			.map((id) => id.slice(PARAM_PREFIX.length)),
	};
}

export async function onSendSubmit(context: UIKitViewSubmitInteractionContext, acc: FlowAccessors): Promise<IUIKitResponse> {
	const startedAt = Date.now();
	const { view, user } = context.getInteractionData();
	const responder = context.getInteractionResponder();
	const t = await userTranslator(acc.read, user);
	const result = await (await modalOf(acc, user)).submit({ viewId: view.id, user, submitted: submittedOf(view), t });
	if (result.kind === 'foreign') return responder.errorResponse();
	// The client may have given up on this answer: the agent reads the outcome in the room too.
	if (mayComeTooLate(startedAt) && result.openedIn) {
		const text =
			result.kind === 'sent'
				? t('send_slow_sent')
				: t('send_slow_refused', { reasons: Object.values(result.errors).filter(Boolean).join(' ') });
		await noticeIn(acc, { user, roomId: result.openedIn, text, what: 'send-template' });
	}
	if (result.kind === 'refused')
		return responder.viewErrorResponse({ viewId: view.id, errors: blockErrors(result.errors, numberBlockOf(view)) });
	return responder.successResponse();
}

/** The agent closed the modal: its draft goes (Rocket.Chat sends this for Cancel, the × and Escape). */
export async function onSendClosed(context: UIKitViewCloseInteractionContext, acc: FlowAccessors): Promise<IUIKitResponse> {
	const { view, user } = context.getInteractionData();
	await (await modalOf(acc, user)).close({ viewId: view.id, user });
	return context.getInteractionResponder().successResponse();
}
