/** View, block and action ids of the send-template modal, shared by the builder and the handlers. */
export const SEND_VIEW_PREFIX = 'whatsapp-send-template:';

export enum SendAction {
	Number = 'send-number',
	Template = 'send-template',
	Language = 'send-language',
	Refresh = 'send-refresh',
	Recipient = 'send-recipient',
	Department = 'send-department',
}

/** Template inputs use `param:<inputId>` as block and action id (`param:body.1`). */
export const PARAM_PREFIX = 'param:';
export const paramAction = (inputId: string) => `${PARAM_PREFIX}${inputId}`;
