/** View, block and action ids of the send-template modal, shared by the builder and the handlers. */
export const SEND_VIEW_PREFIX = 'whatsapp-send-template:';

export enum SendAction {
	Number = 'send-number',
	Template = 'send-template',
	Search = 'send-search',
	Refresh = 'send-refresh',
	Recipient = 'send-recipient',
	Department = 'send-department',
}

/**
 * Template inputs use `param:<fieldKey>` as block and action id (`param:body.1`,
 * `param:106540352242922/order_ready/button.0.url`): core/app/sendTemplateModal.ts `fieldKey` says
 * which values are carried from one template to another.
 */
export const PARAM_PREFIX = 'param:';
export const paramAction = (inputId: string) => `${PARAM_PREFIX}${inputId}`;

/**
 * The language select is a different element for each number and template
 * (`send-language:<phoneNumberId>:<template>`, block id alike). Rocket.Chat's client seeds an
 * element's value once, keyed by action id, and keeps it across view updates
 * (apps/meteor/client/uikit/hooks/useUiKitView.ts; fuselage-ui-kit useUiKitState.ts @
 * 000eb1dac36a6dc92cbaad4233003e1b24095f7e): one shared id would keep showing, and submitting, the
 * language of the template picked before. A new template (or number) brings a fresh select showing
 * its own language. Meta's template names are lower case letters, digits and underscores, and
 * phone number ids are digits, so the parts never contain the separator.
 */
export const LANGUAGE_PREFIX = 'send-language:';
export const languageAction = (phoneNumberId: string, template: string) => `${LANGUAGE_PREFIX}${phoneNumberId}:${template}`;
export const isLanguageAction = (id: string) => id.startsWith(LANGUAGE_PREFIX);
/** The number and template of a language select's action id. */
export function parseLanguageAction(id: string): { phoneNumberId: string; templateName: string } | undefined {
	if (!isLanguageAction(id)) return undefined;
	const [phoneNumberId, ...name] = id.slice(LANGUAGE_PREFIX.length).split(':');
	return { phoneNumberId, templateName: name.join(':') };
}

/**
 * The number select (outside a contact's room, with several numbers) is a different element each
 * time the set of numbers it offers changes (`send-number:<version>`, block id alike; the draft's
 * `numberSelectVersion`): the client keeps the value of an element it drew once (see the language
 * select), so a number disconnected while the form was open would otherwise stay shown, and
 * submitted, under the old id, as would the choice made in a set that comes back. A new set brings
 * a fresh select showing the number the form sends from. A bare `send-number` is the id of views
 * drawn before.
 */
const NUMBER_PREFIX = `${SendAction.Number}:`;
export const numberAction = (version: number) => `${NUMBER_PREFIX}${version}`;
export const isNumberSelectAction = (id: string) => id === SendAction.Number || id.startsWith(NUMBER_PREFIX);
