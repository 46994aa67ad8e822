/**
 * View, block and action ids shared by the number views and their handlers.
 *
 * Everything `/whatsapp numbers` and `/whatsapp connect` show is one modal at a time, `whatsapp-numbers`
 * (or `whatsapp-numbers:<random>` for one a button opened, below): the list, the connect form, the
 * edit form and the question before a disconnect. Rocket.Chat's 7/8 client
 * delivers a modal.update only to the open modal whose view id is the update's
 * (apps/meteor/client/lib/ActionManager.ts `handleServerInteraction` emits on `view.id`;
 * apps/meteor/client/uikit/hooks/useUiKitView.ts listens on the modal's own id), so an answer
 * with another id would change nothing on screen. What the modal shows now travels in its submit
 * button's action id (`NumberMode`, and the number), which the client sends back with the view.
 *
 * A form that replaces the list (a button's modal.open) gets an id of its own (`newNumbersViewId`):
 * the client draws each modal as a UiKitModal keyed by its view id (ActionManager `openModal`,
 * `props: { key: view.id }`; ui-client imperativeModal `createElement(component, { key: Math.random(),
 * ...props })`), which reads its view once, when it mounts (useUiKitView `useState(initialView)`). A
 * modal.open with the id of the modal on screen keeps that instance, and the list would stay shown.
 */
export const NUMBERS_VIEW = 'whatsapp-numbers';

const crypto = require('crypto') as typeof import('crypto');

/** An id for a numbers modal opened in place of the one on screen: `whatsapp-numbers:<random>`. */
export const newNumbersViewId = (): string => `${NUMBERS_VIEW}:${crypto.randomBytes(6).toString('hex')}`;

/** Ids of the forms before they shared the one modal: a modal still open from then is still handled. */
export const LEGACY_CONNECT_VIEW = 'whatsapp-connect';
export const LEGACY_EDIT_VIEW_PREFIX = 'whatsapp-edit:';
export const LEGACY_DISCONNECT_VIEW_PREFIX = 'whatsapp-disconnect:';

/** What the numbers modal shows. */
export enum NumberMode {
	List = 'list',
	Connect = 'connect',
	Edit = 'edit',
	/** The question before a number is disconnected (Rocket.Chat's 7/8 client never renders a button's `confirm`). */
	Disconnect = 'disconnect',
}

/** The submit button's action id: `whatsapp-numbers-submit:<mode>` or `whatsapp-numbers-submit:<mode>:<phoneNumberId>`. */
export const SUBMIT_PREFIX = 'whatsapp-numbers-submit:';

export function submitActionId(mode: NumberMode, phoneNumberId?: string): string {
	return `${SUBMIT_PREFIX}${mode}${phoneNumberId ? `:${phoneNumberId}` : ''}`;
}

/** Each connect-form field has one input block; block id and action id are the field name. */
export const CONNECT_FIELDS = [
	'phoneNumberId',
	'wabaId',
	'accessToken',
	'appSecret',
	'departmentId',
	'welcomeMessage',
	'conversationFinishedMessage',
	'offlineMessage',
] as const;

export enum NumberAction {
	Edit = 'whatsapp-number-edit',
	Disconnect = 'whatsapp-number-disconnect',
	Connect = 'whatsapp-number-connect',
}
