/** The send-template modal as a pure function of its draft. */
import { ConnectedNumber } from '../../../core/numbers/ConnectedNumber';
import { TemplateGroup } from '../../../core/templates/catalog';
import { inputsFor } from '../../../core/templates/inputs';
import { renderPreview, renderText } from '../../../core/templates/preview';
import { MetaTemplate } from '../../../core/templates/template';
import { Translator } from '../../../core/i18n/translate';
import { actions, Block, button, context, divider, section, text } from '../blocks';
import { languageAction, paramAction, SendAction } from './ids';

export interface Draft {
	viewId: string;
	/** The user who opened the modal: the only one whose block actions and submit act on this draft. */
	userId: string;
	roomId?: string;
	/** True outside a WhatsApp contact room: the modal asks for the recipient. */
	askRecipient: boolean;
	phoneNumberId: string;
	templateName?: string;
	language?: string;
	/**
	 * The language the agent chose in each language select, by its action id (number and template):
	 * the client keeps showing, and submits, that choice when the agent comes back to the template.
	 */
	chosenLanguages?: Record<string, string>;
	values: Record<string, string>;
	recipient?: string;
	department?: string;
	preferredLanguage?: string;
}

function select(blockId: string, label: string, options: Array<{ value: string; text: string }>, initial: string | undefined, placeholder: string): Block {
	return {
		type: 'input',
		blockId,
		label: text(label),
		// Rocket.Chat's client dispatches from the element's dispatchActionConfig only (a block's
		// `dispatchAction` is never read), so the element carries it.
		element: {
			type: 'static_select',
			actionId: blockId,
			placeholder: text(placeholder),
			options: options.map((o) => ({ value: o.value, text: text(o.text) })),
			...(initial && options.some((o) => o.value === initial) ? { initialValue: initial } : {}),
			dispatchActionConfig: ['on_item_selected'],
		},
	};
}

function textInput(blockId: string, label: string, initial: string | undefined, placeholder: string | undefined, optional: boolean): Block {
	return {
		type: 'input',
		blockId,
		optional,
		label: text(label),
		element: {
			type: 'plain_text_input',
			actionId: blockId,
			...(placeholder ? { placeholder: text(placeholder) } : {}),
			...(initial ? { initialValue: initial } : {}),
			dispatchActionConfig: ['on_character_entered'],
		},
	};
}

export function sendTemplateView(t: Translator, draft: Draft, numbers: ConnectedNumber[], groups: TemplateGroup[], template: MetaTemplate | undefined, problem?: string): Record<string, unknown> {
	const blocks: Block[] = [];
	// In a contact room the template goes from the room's own number: no other is offered.
	if (numbers.length > 1 && draft.askRecipient) {
		blocks.push(select(SendAction.Number, t('send_field_number'), numbers.map((n) => ({ value: n.phoneNumberId, text: `${n.verifiedName} ${n.displayPhoneNumber}` })), draft.phoneNumberId, t('send_field_number')));
	}
	if (draft.askRecipient) {
		blocks.push(textInput(SendAction.Recipient, t('send_field_recipient'), draft.recipient, '+5511987654321', false));
		blocks.push(textInput(SendAction.Department, t('send_field_department'), draft.department, undefined, true));
	}
	if (problem) {
		blocks.push(section(t('send_templates_unavailable', { reason: problem })));
	} else if (!groups.length) {
		blocks.push(section(t('send_no_templates')));
	} else {
		blocks.push(select(SendAction.Template, t('send_field_template'), groups.map((g) => ({ value: g.name, text: `${g.name} (${g.category ?? '-'})` })), draft.templateName, t('send_field_template_placeholder')));
		const group = groups.find((g) => g.name === draft.templateName);
		if (group) blocks.push(select(languageAction(draft.phoneNumberId, group.name), t('send_field_language'), group.languages.map((l) => ({ value: l.language, text: l.language })), draft.language, t('send_field_language')));
	}
	blocks.push(actions('send-tools', [button({ actionId: SendAction.Refresh, label: t('send_refresh') })]));
	if (template) {
		for (const input of inputsFor(template)) {
			blocks.push(textInput(paramAction(input.id), t(input.labelKey, input.labelParams), draft.values[input.id], input.example, !input.required));
		}
		blocks.push(divider(), context(t('send_preview_title')), section(renderText(renderPreview(template, draft.values), t) || ' '));
	}
	return {
		id: draft.viewId,
		type: 'modal',
		title: text(t('send_title')),
		blocks,
		submit: { type: 'button', actionId: 'submit', text: text(t('send_submit')), style: 'primary' },
		close: { type: 'button', actionId: 'close', text: text(t('cancel')) },
	};
}
