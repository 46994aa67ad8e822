/** View, block and action ids shared by the number views and their handlers. */
export const CONNECT_VIEW = 'whatsapp-connect';
/** Edit views carry the edited number: `whatsapp-edit:<phoneNumberId>`. */
export const EDIT_VIEW_PREFIX = 'whatsapp-edit:';
export const NUMBERS_VIEW = 'whatsapp-numbers';
/**
 * The confirmation before a number is disconnected carries the number: `whatsapp-disconnect:<phoneNumberId>`.
 * Rocket.Chat's 7/8 client never renders a button's `confirm`, so the question is a modal of its own.
 */
export const DISCONNECT_VIEW_PREFIX = 'whatsapp-disconnect:';

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
