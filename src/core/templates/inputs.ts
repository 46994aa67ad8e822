/**
 * What an agent must fill to send a template: one input per parameter Meta expects. Input ids name
 * the parameter in the template (`header.1`, `header.link`, `body.1`, `body.first_name`,
 * `button.0.url`...): bind.ts, rules.ts and preview.ts read the values by them. Which values the
 * modal carries from one template to another is the modal's rule (core/app/sendTemplateModal.ts
 * `fieldKey`), not these ids': `button.0.url` of two templates are two different links.
 */
import { TemplateError } from './errors';
import {
	buttonsOf,
	cardPrefix,
	cardsOf,
	componentOf,
	headerFormat,
	isPositional,
	MetaButton,
	MetaTemplate,
	NamedExample,
	otpButtonIndex,
	placeholders,
	TemplateGroup,
} from './template';

export type InputKind =
	| 'header_text'
	| 'header_media_link'
	| 'header_document_filename'
	| 'header_location_latitude'
	| 'header_location_longitude'
	| 'header_location_name'
	| 'header_location_address'
	| 'header_product_id'
	| 'header_product_catalog'
	| 'body'
	| 'button_url'
	| 'button_copy_code'
	| 'button_quick_reply'
	| 'button_flow_token'
	| 'button_otp'
	| 'button_catalog'
	| 'button_product_thumbnail'
	| 'button_product_sections'
	| 'offer_expiration';

export interface TemplateInput {
	id: string;
	kind: InputKind;
	component: 'header' | 'body' | 'button' | 'limited_time_offer';
	/** Index of the button in the template's BUTTONS component (Meta's `index` at send time). */
	index?: number;
	/** Named parameters: `{{first_name}}` -> 'first_name'. */
	paramName?: string;
	/** Positional parameters: `{{2}}` -> 2. */
	position?: number;
	/** i18n key of the label, with its parameters. */
	labelKey: string;
	labelParams: Record<string, string | number>;
	/** Meta's example value from the template definition, when it has one. */
	example?: string;
	/** False for what Meta lets a send leave out (quick-reply payload, flow token, catalog thumbnail). */
	required: boolean;
	/** Typed on several lines (a multi-product list's sections, one per line). */
	multiline?: boolean;
	/**
	 * A carousel card's input: the card's index (Meta's `card_index`, from 0). Its id is the card's own
	 * input id after `card.<index>.` (template.ts `cardPrefix`), and its other fields are the card's.
	 */
	card?: number;
}

/** An input's label in the agent's words (a card's input names its card: "Card 2: Body {{1}}"). */
export function inputLabel(input: TemplateInput, t: (key: string, params: Record<string, string | number>) => string): string {
	const label = t(input.labelKey, input.labelParams);
	return input.card === undefined ? label : t('template_input_card', { card: input.card + 1, label });
}

const MEDIA_FORMATS = ['IMAGE', 'VIDEO', 'DOCUMENT'];
const LOCATION_PARTS = ['latitude', 'longitude', 'name', 'address'] as const;

function parameterInput(
	component: 'header' | 'body',
	param: string,
	example: string | undefined,
): Pick<TemplateInput, 'id' | 'component' | 'paramName' | 'position' | 'example'> {
	return {
		id: `${component}.${param}`,
		component,
		...(isPositional(param) ? { position: Number(param) } : { paramName: param }),
		...(example !== undefined ? { example } : {}),
	};
}

const namedExample = (list: NamedExample[] | undefined, name: string) => list?.find((p) => p.param_name === name)?.example;

const firstExample = (button: MetaButton): string | undefined => (Array.isArray(button.example) ? button.example[0] : button.example);

/** The example of a URL button's suffix: Meta gives the full example link, the agent types what replaces `{{1}}`. */
function urlSuffixExample(button: MetaButton): string | undefined {
	const full = firstExample(button);
	const prefix = (button.url ?? '').split(/\{\{/)[0];
	return full !== undefined && prefix && full.startsWith(prefix) ? full.slice(prefix.length) : full;
}

function headerInputs(template: MetaTemplate): TemplateInput[] {
	const header = componentOf(template, 'HEADER');
	const format = headerFormat(template);
	if (!header) return [];
	if (format === 'TEXT') {
		return placeholders(header.text).map((p) => ({
			...parameterInput(
				'header',
				p,
				isPositional(p) ? header.example?.header_text?.[Number(p) - 1] : namedExample(header.example?.header_text_named_params, p),
			),
			kind: 'header_text',
			labelKey: 'template_input_header_text',
			labelParams: { name: p },
			required: true,
		}));
	}
	if (MEDIA_FORMATS.includes(format)) {
		const inputs: TemplateInput[] = [
			{
				id: 'header.link',
				kind: 'header_media_link',
				component: 'header',
				labelKey: `template_input_header_${format.toLowerCase()}`,
				labelParams: {},
				example: 'https://',
				required: true,
			},
		];
		// Meta makes the file name optional, but shows a document without one as "Untitled": the app asks for it.
		if (format === 'DOCUMENT')
			inputs.push({
				id: 'header.filename',
				kind: 'header_document_filename',
				component: 'header',
				labelKey: 'template_input_header_filename',
				labelParams: {},
				example: 'document.pdf',
				required: true,
			});
		return inputs;
	}
	if (format === 'PRODUCT') {
		// Meta's single-product template send (and each card of a product card carousel): the product
		// by its id in the catalog (Commerce Manager's "Content ID") and the catalog's id, both required.
		return [
			{ id: 'header.product_retailer_id', kind: 'header_product_id', labelKey: 'template_input_product_id' },
			{ id: 'header.catalog_id', kind: 'header_product_catalog', labelKey: 'template_input_catalog_id' },
		].map((input) => ({ ...input, kind: input.kind as InputKind, component: 'header' as const, labelParams: {}, required: true }));
	}
	if (format === 'LOCATION') {
		return LOCATION_PARTS.map((part) => ({
			id: `header.${part}`,
			kind: `header_location_${part}` as const,
			component: 'header' as const,
			labelKey: `template_input_location_${part}`,
			labelParams: {},
			required: true,
		}));
	}
	return [];
}

function bodyInputs(template: MetaTemplate): TemplateInput[] {
	const body = componentOf(template, 'BODY');
	const otpButton = otpButtonIndex(template);
	return placeholders(body?.text).map((p, i): TemplateInput => {
		const base = parameterInput(
			'body',
			p,
			isPositional(p) ? body?.example?.body_text?.[0]?.[Number(p) - 1] : namedExample(body?.example?.body_text_named_params, p),
		);
		// Authentication templates: the body's one parameter is the code, which the code button repeats
		// (listed by Meta as OTP or, once created, as a URL button to whatsapp.com/otp: template.ts).
		if (otpButton >= 0 && i === 0)
			return { ...base, kind: 'button_otp', index: otpButton, labelKey: 'template_input_otp', labelParams: {}, required: true };
		return { ...base, kind: 'body', labelKey: 'template_input_body', labelParams: { name: p }, required: true };
	});
}

function buttonInputs(template: MetaTemplate): TemplateInput[] {
	const inputs: TemplateInput[] = [];
	const otpButton = otpButtonIndex(template);
	buttonsOf(template).forEach((button, index) => {
		const type = button.type.toUpperCase();
		// The one-time code is asked once, with the body (bodyInputs); its button takes the same value.
		if (index === otpButton) return;
		const label = { index: index + 1, text: button.text ?? '' };
		const base = { component: 'button' as const, index };
		if (type === 'URL' && placeholders(button.url).length) {
			inputs.push({
				...base,
				id: `button.${index}.url`,
				kind: 'button_url',
				labelKey: 'template_input_button_url',
				labelParams: { ...label, url: button.url ?? '' },
				example: urlSuffixExample(button),
				required: true,
			});
		} else if (type === 'COPY_CODE') {
			inputs.push({
				...base,
				id: `button.${index}.coupon`,
				kind: 'button_copy_code',
				labelKey: 'template_input_button_coupon',
				labelParams: label,
				example: firstExample(button),
				required: true,
			});
		} else if (type === 'QUICK_REPLY') {
			// Optional: without a button component WhatsApp reports the button's text as the payload.
			inputs.push({
				...base,
				id: `button.${index}.payload`,
				kind: 'button_quick_reply',
				labelKey: 'template_input_button_payload',
				labelParams: label,
				example: button.text,
				required: false,
			});
		} else if (type === 'FLOW') {
			// Optional: Meta uses the token "unused" when none is sent.
			inputs.push({
				...base,
				id: `button.${index}.flow_token`,
				kind: 'button_flow_token',
				labelKey: 'template_input_button_flow',
				labelParams: label,
				required: false,
			});
		} else if (type === 'CATALOG') {
			// Optional. Meta's catalog templates page (sending): `thumbnail_product_retailer_id` is
			// "Optional. Item SKU number. Labeled as Content ID in the Commerce Manager. The thumbnail of
			// this item will be used as the message's header image. If the `parameters` object is
			// omitted, the product image of the first item in your catalog will be used."
			inputs.push({
				...base,
				id: `button.${index}.thumbnail`,
				kind: 'button_catalog',
				labelKey: 'template_input_button_catalog',
				labelParams: label,
				required: false,
			});
		} else if (type === 'MPM') {
			// Meta's multi-product message templates (sending): the product whose image heads the
			// message, and the sections of products the button opens (productList.ts), both required.
			inputs.push(
				{
					...base,
					id: `button.${index}.thumbnail`,
					kind: 'button_product_thumbnail',
					labelKey: 'template_input_button_product_thumbnail',
					labelParams: label,
					required: true,
				},
				{
					...base,
					id: `button.${index}.sections`,
					kind: 'button_product_sections',
					labelKey: 'template_input_button_product_sections',
					labelParams: label,
					// Words in no language: a placeholder is shown as it is.
					example: 'A: sku-1, sku-2',
					required: true,
					multiline: true,
				},
			);
		}
	});
	return inputs;
}

function offerInputs(template: MetaTemplate): TemplateInput[] {
	if (!componentOf(template, 'LIMITED_TIME_OFFER')?.limited_time_offer?.has_expiration) return [];
	return [
		{
			id: 'offer.expiration',
			kind: 'offer_expiration',
			component: 'limited_time_offer',
			labelKey: 'template_input_offer_expiration',
			labelParams: {},
			required: true,
		},
	];
}

/** What the modal says of a template it cannot fill (formCannotFill): it goes through the templateMessage API, which takes it. */
export const UNSUPPORTED_KEY = 'send_template_unsupported';

/**
 * What a template needs that the agent's form cannot ask for, if anything: the cards of a carousel
 * Meta lists without them. Meta refuses a send without them; the integrators' API (templateMessage)
 * takes them as components. Carousels of media or product cards are filled here card by card, a
 * single product (a PRODUCT header, Meta's SPM templates) by its product and catalog ids, a
 * multi-product list (an MPM button) by its thumbnail product and its sections, and a catalog
 * template (CATALOG button) by its one optional parameter (buttonInputs).
 */
export function formCannotFill(template: MetaTemplate): 'carousel' | undefined {
	return componentOf(template, 'CAROUSEL') && !cardsOf(template).length ? 'carousel' : undefined;
}

/** The inputs of a template's own components (for a carousel template, its message body's). */
const ownInputs = (template: MetaTemplate): TemplateInput[] => [
	...headerInputs(template),
	...bodyInputs(template),
	...offerInputs(template),
	...buttonInputs(template),
];

/**
 * The input of a product card carousel's catalog: asked once, for every card, and sent in each
 * card's header. A WhatsApp Business Account has one connected catalog (Meta's product card
 * carousel templates need "an ecommerce product catalog ... connected to your WhatsApp Business
 * Account"; its interactive product carousels say "each card must reference the same catalog_id").
 * The API (templateMessage) still takes a catalog per card.
 */
export const CARDS_CATALOG_ID = 'cards.catalog_id';

/**
 * A carousel template's cards' inputs, card by card, each card's as a template's (`card`, and its
 * id after `card.<index>.`), but product cards' catalog: one input before the cards (CARDS_CATALOG_ID).
 */
function cardInputs(template: MetaTemplate): TemplateInput[] {
	const cards = cardsOf(template).flatMap((card, index) =>
		ownInputs(card).map((input) => ({ ...input, id: `${cardPrefix(index)}${input.id}`, card: index })),
	);
	const catalog = cards.find((input) => input.kind === 'header_product_catalog');
	if (!catalog) return cards;
	const shared: TemplateInput = { ...catalog, id: CARDS_CATALOG_ID, labelKey: 'template_input_cards_catalog_id' };
	delete shared.card;
	return [shared, ...cards.filter((input) => input.kind !== 'header_product_catalog')];
}

/**
 * The inputs of a template, header first, then body, offer expiration and buttons (the order of the
 * message), then a carousel's cards, each in that order. Given a group of language variants, the
 * inputs of one language; a language the group does not have is a `TemplateError`.
 */
export function inputsFor(template: MetaTemplate): TemplateInput[];
export function inputsFor(group: TemplateGroup, language: string): TemplateInput[];
export function inputsFor(source: MetaTemplate | TemplateGroup, language?: string): TemplateInput[] {
	const template = 'languages' in source ? languageOf(source, language ?? '') : source;
	return [...ownInputs(template), ...cardInputs(template)];
}

/** The variant of a group in `language`, or a `TemplateError`. */
export function languageOf(group: TemplateGroup, language: string): MetaTemplate {
	const template = group.languages.find((t) => t.language === language);
	if (!template) throw new TemplateError('template_language_missing', { name: group.name, language });
	return template;
}
