/** The send-template modal as a pure function of its draft. */
import { fieldKey, ModalScreen, templateValues } from '../../../core/app/sendTemplateModal';
import { shownValues } from '../../../core/app/sendTemplates';
import { categoryText } from '../../../core/templates/category';
import { isAuthentication } from '../../../core/templates/template';
import { formCannotFill, inputLabel, inputsFor, UNSUPPORTED_KEY } from '../../../core/templates/inputs';
import { renderPreview, renderText } from '../../../core/templates/preview';
import { Translator } from '../../../core/i18n/translate';
import { TEMPLATE_OPTIONS } from '../../../core/templates/search';
import { actions, Block, button, context, divider, section, text } from '../blocks';
import { languageAction, numberAction, paramAction, SendAction } from './ids';

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
	/** Several lines (Rocket.Chat's UIKit renders a text area). */
	multiline?: boolean;
}

function textInput(spec: TextInputSpec): Block {
	const { blockId, label, initial, placeholder, optional, multiline } = spec;
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
			...(multiline ? { multiline: true } : {}),
			dispatchActionConfig: ['on_character_entered'],
		},
	};
}

/** The number (outside a contact's room, when there are several), the recipient and the department. */
function recipientBlocks(screen: ModalScreen, t: Translator): Block[] {
	const { draft, numbers } = screen;
	// In a contact room the template goes from the room's own number, to the room's contact: nothing is asked.
	if (!draft.askRecipient) return [];
	const blocks: Block[] = [];
	if (numbers.length > 1) {
		const options = numbers.map((n) => ({ value: n.phoneNumberId, text: `${n.verifiedName} ${n.displayPhoneNumber}` }));
		const label = t('send_field_number');
		const blockId = numberAction(draft.numberSelectVersion ?? 0);
		blocks.push(select({ blockId, label, options, initial: draft.phoneNumberId, placeholder: label }));
	}
	const recipient = {
		blockId: SendAction.Recipient,
		label: t('send_field_recipient'),
		initial: draft.recipient,
		placeholder: '+5511987654321',
	};
	blocks.push(textInput({ ...recipient, optional: false }));
	blocks.push(
		textInput({ blockId: SendAction.Department, label: t('send_field_department'), initial: draft.department, optional: true }),
	);
	return blocks;
}

/**
 * The template search, shown when the number has more templates than the select offers (or a search
 * is typed). Rocket.Chat's client sends a block action for a plain_text_input with
 * `on_character_entered` (fuselage-ui-kit useUiKitState.ts @ 000eb1dac36a6dc92cbaad4233003e1b24095f7e),
 * debounced by 700 ms (apps/meteor/client/views/modal/uikit/UiKitModal.tsx @
 * e7a9e637856272ecedcb26f2f0ee0a3563bfb505): the app answers with the narrowed list. The select
 * itself is fuselage's SelectFiltered (fuselage-ui-kit StaticSelectElement.tsx @
 * 0fd718cd03c77f27dad08f03b828d217b5f5794e), whose own type-ahead filters only the options it was
 * sent: typing there narrows further without a round trip.
 */
function searchBlocks(screen: ModalScreen, t: Translator): Block[] {
	const { draft, matching, hidden, total } = screen;
	if (total <= TEMPLATE_OPTIONS && !draft.search) return [];
	const search = textInput({
		blockId: SendAction.Search,
		label: t('send_field_search'),
		initial: draft.search,
		placeholder: t('send_search_placeholder'),
		optional: true,
	});
	if (!matching) return [search, context(t('send_search_none', { search: (draft.search ?? '').trim() }))];
	return hidden ? [search, context(t('send_templates_shown', { shown: matching - hidden, matching }))] : [search];
}

/**
 * The template select and the language select of the chosen template, after why the list is not
 * there or not complete, if so. The select is always drawn, with whatever the number's list gave
 * (maybe nothing): Rocket.Chat's client shows a field error only on a block the view has, and a
 * submit's error on the template (the list out of reach, a template whose fields could not be shown)
 * must be seen.
 */
function templateBlocks(screen: ModalScreen, t: Translator): Block[] {
	const { draft, templates, total, problem } = screen;
	const notice = problem
		? [section(t('send_templates_unavailable', { reason: problem }))]
		: !total
			? [section(t('send_no_templates'))]
			: [];
	// The select stays when a search matches nothing: a field error on the template still has its place.
	const blocks = [...notice, ...(total ? searchBlocks(screen, t) : [])];
	const options = templates.map((g) => ({ value: g.name, text: `${g.name} (${categoryText(g.category, t)})` }));
	const placeholder = t('send_field_template_placeholder');
	blocks.push(
		select({ blockId: SendAction.Template, label: t('send_field_template'), options, initial: draft.templateName, placeholder }),
	);
	const group = templates.find((g) => g.name === draft.templateName);
	if (group) {
		const languages = group.languages.map((l) => ({ value: l, text: l }));
		const label = t('send_field_language');
		const blockId = languageAction(draft.phoneNumberId, group.name);
		blocks.push(select({ blockId, label, options: languages, initial: draft.language, placeholder: label }));
	}
	return blocks;
}

/** The chosen template's inputs and its live preview. */
function inputBlocks(screen: ModalScreen, t: Translator): Block[] {
	const { draft, template } = screen;
	if (!template) return [];
	const unfillable = formCannotFill(template);
	if (unfillable) return [context(t(UNSUPPORTED_KEY))];
	// An authentication template's values are a customer's one-time code, which the view never carries:
	// Rocket.Chat's app runtime logs every view an app answers with (deno-runtime handlers/app/handler.ts,
	// "was successfully called! The result is:"), and the app's logs are stored. The field keeps what was
	// typed without it (the client holds the values typed, useUiKitView), and the preview masks it.
	const secret = isAuthentication(template);
	// Block and action ids by field key: a value is carried to another template only where it means the same.
	const blocks = inputsFor(template).map((input) => {
		const key = fieldKey(draft.phoneNumberId, template, input);
		const label = inputLabel(input, t);
		return textInput({
			blockId: paramAction(key),
			label,
			initial: secret ? undefined : draft.values[key],
			placeholder: input.example,
			optional: !input.required,
			multiline: input.multiline,
		});
	});
	const preview = renderText(renderPreview(template, shownValues(template, templateValues(draft, template))), t) || ' ';
	return [...blocks, divider(), context(t('send_preview_title')), section(preview)];
}

export function sendTemplateView(screen: ModalScreen, t: Translator): Record<string, unknown> {
	const refresh = actions('send-tools', [button({ actionId: SendAction.Refresh, label: t('send_refresh') })]);
	return {
		id: screen.draft.viewId,
		type: 'modal',
		title: text(t('send_title')),
		blocks: [...recipientBlocks(screen, t), ...templateBlocks(screen, t), refresh, ...inputBlocks(screen, t)],
		submit: { type: 'button', actionId: 'submit', text: text(t('send_submit')), style: 'primary' },
		close: { type: 'button', actionId: 'close', text: text(t('cancel')) },
	};
}
