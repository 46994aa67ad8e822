/**
 * The `template.components` of a Cloud API send, from the values of the inputs, in the shapes of
 * Meta's documented sends (shared/contracts/meta-docs/send-template-*.json): positional text
 * parameters in placeholder order, named ones with `parameter_name`, media headers by `link`,
 * location headers, the limited-time-offer expiration, and button components with `sub_type` and
 * `index` (a string, as the spec types it and as Meta's authentication and flow examples send it).
 */
import { whatsAppMessage, WhatsAppMessage } from '../outbound/envelope';
import { TemplateValuesError } from './errors';
import { CARDS_CATALOG_ID, inputsFor, TemplateInput } from './inputs';
import { parseSections } from './productList';
import { validateValues } from './rules';
import { BindOptions, buttonsOf, cardsOf, cardValues, headerFormat, MetaTemplate, valueOf, Values } from './template';

export type SendParameter = Record<string, unknown> & { type: string };

export interface SendComponent {
	type: 'header' | 'body' | 'button' | 'limited_time_offer' | 'carousel';
	sub_type?: 'url' | 'copy_code' | 'quick_reply' | 'flow' | 'catalog' | 'mpm';
	index?: string;
	parameters?: SendParameter[];
	/** A carousel's cards (Meta's media card carousel templates page, sending): each card's index and components. */
	cards?: Array<{ card_index: number; components: SendComponent[] }>;
}

export type TemplateMessage = WhatsAppMessage<{
	type: 'template';
	template: { name: string; language: { code: string }; components?: SendComponent[] };
}>;

const SUB_TYPES: Partial<
	Record<TemplateInput['kind'], { subType: NonNullable<SendComponent['sub_type']>; parameter: (value: string) => SendParameter }>
> = {
	button_url: { subType: 'url', parameter: (text) => ({ type: 'text', text }) },
	button_otp: { subType: 'url', parameter: (text) => ({ type: 'text', text }) },
	button_copy_code: { subType: 'copy_code', parameter: (coupon_code) => ({ type: 'coupon_code', coupon_code }) },
	button_quick_reply: { subType: 'quick_reply', parameter: (payload) => ({ type: 'payload', payload }) },
	button_flow_token: { subType: 'flow', parameter: (flow_token) => ({ type: 'action', action: { flow_token } }) },
	// Meta's "Send Catalog Template Message" (meta-openapi/send-template-request.examples.json) writes
	// `"sub_type": "CATALOG"`; the spec's ButtonComponent.sub_type enum has it as `catalog`, the case
	// this app sends every sub_type in (as sendComponents.ts `sendableComponents` does).
	button_catalog: {
		subType: 'catalog',
		parameter: (thumbnail_product_retailer_id) => ({ type: 'action', action: { thumbnail_product_retailer_id } }),
	},
};

/**
 * The components Meta expects for `values` (by input id). Values are sent trimmed; optional inputs
 * left empty are left out (but a carousel card's quick reply: ownComponents). Values Meta would
 * refuse throw a `TemplateValuesError` with an error per input id (the same as `validateValues`).
 */
export function bindComponents(template: MetaTemplate, values: Values, options: BindOptions = {}): SendComponent[] {
	const errors = validateValues(template, values, options);
	if (Object.keys(errors).length) throw new TemplateValuesError(errors);
	const components = ownComponents(template, values, options);
	// A carousel's cards follow the message's body, every card the template has, by its index (the
	// page's send syntax: "Must include a card for every card defined on the template").
	const cards = cardsOf(template);
	if (cards.length)
		components.push({
			type: 'carousel',
			cards: cards.map((card, index) => ({
				card_index: index,
				components: ownComponents(
					card,
					withCatalog(cardValues(values, index), values),
					{ ...(options.extraParameters ? { extraParameters: cardValues(options.extraParameters, index) } : {}) },
					true,
				),
			})),
		});
	return components;
}

/** A product card's values with the carousel's one catalog (inputs.ts CARDS_CATALOG_ID) as its own. */
function withCatalog(card: Values, values: Values): Values {
	return values[CARDS_CATALOG_ID] === undefined ? card : { ...card, 'header.catalog_id': values[CARDS_CATALOG_ID] };
}

/**
 * The components of a template's own inputs (a carousel card's, or a template's but its cards').
 * A card's quick reply left empty is sent with the button's text as its payload, what WhatsApp
 * reports for a quick reply sent without one: every card then gives the same components, as Meta's
 * carousel sends want ("All cards must have same components"), whichever payloads were typed.
 */
function ownComponents(template: MetaTemplate, values: Values, options: BindOptions, card = false): SendComponent[] {
	// A product carousel's one catalog goes in its cards (withCatalog), not in the message's header.
	const inputs = inputsFor(template).filter((input) => input.card === undefined && input.id !== CARDS_CATALOG_ID);
	const quickReplyText = (id: string) => {
		const input = card ? inputs.find((i) => i.id === id && i.kind === 'button_quick_reply') : undefined;
		return input ? (buttonsOf(template)[input.index ?? 0]?.text ?? '') : '';
	};
	const value = (id: string) => valueOf(values, id) || quickReplyText(id);
	const textParameter = (input: TemplateInput): SendParameter => ({
		...(options.extraParameters?.[input.id] ?? { type: 'text', text: value(input.id) }),
		...(input.paramName ? { parameter_name: input.paramName } : {}),
	});
	const components: SendComponent[] = [];

	const format = headerFormat(template);
	const header = inputs.filter((i) => i.component === 'header');
	if (format === 'TEXT' && header.length) {
		components.push({ type: 'header', parameters: header.map(textParameter) });
	} else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT') {
		const media: Record<string, string> = { link: value('header.link') };
		if (format === 'DOCUMENT') media.filename = value('header.filename');
		const type = format.toLowerCase();
		components.push({ type: 'header', parameters: [{ type, [type]: media }] });
	} else if (format === 'PRODUCT') {
		// Meta's "Sending single-product message templates": the product and its catalog, in the header.
		const product = { product_retailer_id: value('header.product_retailer_id'), catalog_id: value('header.catalog_id') };
		components.push({ type: 'header', parameters: [{ type: 'product', product }] });
	} else if (format === 'LOCATION') {
		const location = {
			latitude: value('header.latitude'),
			longitude: value('header.longitude'),
			name: value('header.name'),
			address: value('header.address'),
		};
		components.push({ type: 'header', parameters: [{ type: 'location', location }] });
	}

	const body = inputs.filter((i) => i.component === 'body');
	if (body.length) components.push({ type: 'body', parameters: body.map(textParameter) });

	if (inputs.some((i) => i.kind === 'offer_expiration')) {
		const expiration_time_ms = Number(value('offer.expiration'));
		components.push({
			type: 'limited_time_offer',
			parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms } }],
		});
	}

	// The one-time code of an authentication template goes in the body and in its code button (a URL
	// button, however Meta lists it). Optional inputs left empty send no button component (but a
	// carousel card's quick reply, above): a catalog button then shows the catalog's first item (Meta's
	// catalog templates page).
	const buttons = inputs.filter((i) => (i.component === 'button' || i.kind === 'button_otp') && value(i.id));
	for (const input of buttons.sort((a, b) => (a.index ?? 0) - (b.index ?? 0))) {
		// A multi-product list: its thumbnail product and its sections in one `action` (productList.ts).
		if (input.kind === 'button_product_sections') {
			const action = {
				thumbnail_product_retailer_id: value(`button.${input.index ?? 0}.thumbnail`),
				sections: parseSections(value(input.id)),
			};
			components.push({ type: 'button', sub_type: 'mpm', index: String(input.index ?? 0), parameters: [{ type: 'action', action }] });
			continue;
		}
		const shape = SUB_TYPES[input.kind];
		if (shape)
			components.push({
				type: 'button',
				sub_type: shape.subType,
				index: String(input.index ?? 0),
				parameters: [shape.parameter(value(input.id))],
			});
	}
	return components;
}

/** The Cloud API body of a template send (POST /{Phone-Number-ID}/messages). */
export function buildTemplateMessage(message: {
	to: string;
	name: string;
	language: string;
	components?: SendComponent[];
}): TemplateMessage {
	const { to, name, language, components } = message;
	return whatsAppMessage({
		to,
		content: {
			type: 'template' as const,
			template: { name, language: { code: language }, ...(components?.length ? { components } : {}) },
		},
	});
}

/** `buildTemplateMessage` for a template and the values of its inputs (throws `TemplateValuesError`). */
export function templateMessage(send: { to: string; template: MetaTemplate; values: Values; options?: BindOptions }): TemplateMessage {
	const { to, template, values, options = {} } = send;
	return buildTemplateMessage({
		to,
		name: template.name,
		language: template.language,
		components: bindComponents(template, values, options),
	});
}
