/** The send-template modal as a pure function of its draft. */
import { ModalScreen } from '../../../core/app/sendTemplateModal';
import { inputsFor } from '../../../core/templates/inputs';
import { renderPreview, renderText } from '../../../core/templates/preview';
import { Translator } from '../../../core/i18n/translate';
import { actions, Block, button, context, divider, section, text } from '../blocks';
import { languageAction, paramAction, SendAction } from './ids';

interface SelectSpec {
	blockId: string;
	label: string;
	options: Array<{ value: string; text: string }>;
	initial?: string;
	placeholder: string;
}

function select(spec: SelectSpec): Block {
	const { blockId, label, options, initial, placeholder } = spec;
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

interface TextInputSpec {
	blockId: string;
	label: string;
	initial?: string;
	placeholder?: string;
	optional: boolean;
}

function textInput(spec: TextInputSpec): Block {
	const { blockId, label, initial, placeholder, optional } = spec;
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

export function sendTemplateView(screen: ModalScreen, t: Translator): Record<string, unknown> {
	const { draft, numbers, groups, template, problem } = screen;
	const blocks: Block[] = [];
	// In a contact room the template goes from the room's own number: no other is offered.
	if (numbers.length > 1 && draft.askRecipient) {
		const options = numbers.map((n) => ({ value: n.phoneNumberId, text: `${n.verifiedName} ${n.displayPhoneNumber}` }));
		blocks.push(
			select({
				blockId: SendAction.Number,
				label: t('send_field_number'),
				options,
				initial: draft.phoneNumberId,
				placeholder: t('send_field_number'),
			}),
		);
	}
	if (draft.askRecipient) {
		blocks.push(
			textInput({
				blockId: SendAction.Recipient,
				label: t('send_field_recipient'),
				initial: draft.recipient,
				placeholder: '+5511987654321',
				optional: false,
			}),
		);
		blocks.push(
			textInput({ blockId: SendAction.Department, label: t('send_field_department'), initial: draft.department, optional: true }),
		);
	}
	if (problem) {
		blocks.push(section(t('send_templates_unavailable', { reason: problem })));
	} else if (!groups.length) {
		blocks.push(section(t('send_no_templates')));
	} else {
		const options = groups.map((g) => ({ value: g.name, text: `${g.name} (${g.category ?? '-'})` }));
		blocks.push(
			select({
				blockId: SendAction.Template,
				label: t('send_field_template'),
				options,
				initial: draft.templateName,
				placeholder: t('send_field_template_placeholder'),
			}),
		);
		const group = groups.find((g) => g.name === draft.templateName);
		if (group) {
			const languages = group.languages.map((l) => ({ value: l.language, text: l.language }));
			blocks.push(
				select({
					blockId: languageAction(draft.phoneNumberId, group.name),
					label: t('send_field_language'),
					options: languages,
					initial: draft.language,
					placeholder: t('send_field_language'),
				}),
			);
		}
	}
	blocks.push(actions('send-tools', [button({ actionId: SendAction.Refresh, label: t('send_refresh') })]));
	if (template) {
		for (const input of inputsFor(template)) {
			blocks.push(
				textInput({
					blockId: paramAction(input.id),
					label: t(input.labelKey, input.labelParams),
					initial: draft.values[input.id],
					placeholder: input.example,
					optional: !input.required,
				}),
			);
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
