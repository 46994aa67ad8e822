/**
 * Meta's message template as the Graph API lists it (GET /{WABA-ID}/message_templates), and the
 * few readers of it the rest of the template model shares. Component and button types are
 * upper case in Meta's listings (HEADER, BODY, FOOTER, BUTTONS; URL, QUICK_REPLY, COPY_CODE...).
 */

import type { Params } from '../i18n/translate';

export interface NamedExample {
	param_name: string;
	example: string;
}

export interface MetaButton {
	type: string;
	text?: string;
	/** URL buttons: the link, with `{{1}}` where the suffix given at send time goes. */
	url?: string;
	/** URL buttons: full example links; COPY_CODE buttons: the example code (Meta lists it as a string or an array). */
	example?: string[] | string;
	otp_type?: string;
	phone_number?: string;
	flow_id?: string;
}

export interface MetaComponent {
	type: string;
	/** HEADER: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION. */
	format?: string;
	text?: string;
	buttons?: MetaButton[];
	example?: {
		header_text?: string[];
		header_text_named_params?: NamedExample[];
		header_handle?: string[];
		body_text?: string[][];
		body_text_named_params?: NamedExample[];
	};
	/** LIMITED_TIME_OFFER components. */
	limited_time_offer?: { text?: string; has_expiration?: boolean };
	/** CAROUSEL components: the cards, each with its own components (a media HEADER, a BODY, BUTTONS). */
	cards?: Array<{ components?: MetaComponent[] }>;
}

export interface MetaTemplate {
	id?: string;
	name: string;
	language: string;
	status: string;
	category?: string;
	/** POSITIONAL (`{{1}}`, Meta's default) or NAMED (`{{first_name}}`). */
	parameter_format?: string;
	components: MetaComponent[];
}

/** One template name with its approved language variants. */
export interface TemplateGroup {
	name: string;
	category?: string;
	languages: MetaTemplate[];
}

/** An error of one input, as an i18n key and its parameters. */
export interface FieldError {
	key: string;
	params?: Params;
}

/** Values typed for inputs, by input id (`body.1`, `header.link`...). */
export type Values = Record<string, string | undefined>;

/** Typed parameters a caller may give instead of text for body inputs (REST use), in Meta's shape. */
export type ExtraParameter =
	| { type: 'currency'; currency: { fallback_value: string; code: string; amount_1000: number } }
	| { type: 'date_time'; date_time: { fallback_value: string } & Record<string, unknown> };

export interface BindOptions {
	/** By input id (`body.2`): a currency or date_time parameter sent in place of the text value. */
	extraParameters?: Record<string, ExtraParameter>;
}

const PLACEHOLDER_SOURCE = '\\{\\{\\s*([A-Za-z0-9_]+)\\s*\\}\\}';

/** A fresh global regexp of `{{1}}` / `{{first_name}}` placeholders (capture 1 is the name). */
export const placeholderPattern = (): RegExp => new RegExp(PLACEHOLDER_SOURCE, 'g');

export const isPositional = (param: string): boolean => /^\d+$/.test(param);

/**
 * The distinct placeholders of a text in the order Meta binds parameters to them: numeric order
 * for positional ones (the first parameter fills `{{1}}` wherever it is), order of first
 * appearance for named ones (bound by `parameter_name`, so the order is only cosmetic).
 */
export function placeholders(text: string | undefined): string[] {
	const found: string[] = [];
	for (const match of (text ?? '').matchAll(placeholderPattern())) if (!found.includes(match[1])) found.push(match[1]);
	return found.every(isPositional) ? found.sort((a, b) => Number(a) - Number(b)) : found;
}

export function componentOf(
	template: MetaTemplate,
	type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS' | 'LIMITED_TIME_OFFER' | 'CAROUSEL',
): MetaComponent | undefined {
	return template.components.find((c) => c.type.toUpperCase() === type);
}

/**
 * A carousel template's cards, each read as a template of its own (the template's name, language and
 * parameter format, the card's components), in card order; [] for any other template. Meta's media
 * card carousel templates page: "Carousel templates consist of a message body text and up to 10
 * product media cards. Each card in the template has an image or video header asset and can
 * optionally include a body text and up to two buttons", and "An approved template can only be used
 * to send the same number of cards as defined during its creation".
 */
export function cardsOf(template: MetaTemplate): MetaTemplate[] {
	const cards = componentOf(template, 'CAROUSEL')?.cards;
	return Array.isArray(cards)
		? cards.map((card) => ({ ...template, components: Array.isArray(card?.components) ? card.components : [] }))
		: [];
}

export const headerFormat = (template: MetaTemplate): string => (componentOf(template, 'HEADER')?.format ?? '').toUpperCase();

export const buttonsOf = (template: MetaTemplate): MetaButton[] => componentOf(template, 'BUTTONS')?.buttons ?? [];

export const isAuthentication = (template: MetaTemplate): boolean => (template.category ?? '').toUpperCase() === 'AUTHENTICATION';

/** Where WhatsApp's one-time-password buttons link to (the copy-code button as Meta lists it). */
export const OTP_LINK_PREFIX = 'https://www.whatsapp.com/otp/';

/**
 * The index of an authentication template's one-time-code button, or -1. Meta's copy-code
 * authentication page: "in your template creation request the button `type` is designated as `OTP`,
 * but upon creation the button `type` will be set to `URL`", and a GET of the template lists it as
 * a URL button to `https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&...&code=otp{{1}}`. Both
 * shapes are the code button; a send gives the code to the body and to this button (sub_type url).
 */
export function otpButtonIndex(template: MetaTemplate): number {
	if (!isAuthentication(template)) return -1;
	return buttonsOf(template).findIndex((b) => {
		const type = (b.type ?? '').toUpperCase();
		return type === 'OTP' || (type === 'URL' && (b.url ?? '').startsWith(OTP_LINK_PREFIX));
	});
}

/** Meta's media card carousel templates page: "up to 10 product media cards". */
export const MAX_CARDS = 10;

/** A card's `card_index` as a caller gave it (0 to 9, or its digit as a string, as button indexes are taken), or undefined. */
export function cardIndexOf(value: unknown): number | undefined {
	const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d$/.test(value) ? Number(value) : NaN;
	return Number.isInteger(n) && n >= 0 && n < MAX_CARDS ? n : undefined;
}

/** Where a carousel card's inputs' ids start (`card.0.header.link`, `card.1.body.1`...): the card's index, Meta's `card_index`. */
export const cardPrefix = (index: number): string => `card.${index}.`;

/** The values of a carousel card's inputs under the card's own ids (`body.1`), from the template's (`card.0.body.1`). */
export function cardValues<T>(values: Record<string, T>, index: number): Record<string, T> {
	const prefix = cardPrefix(index);
	const own: Record<string, T> = {};
	for (const [id, value] of Object.entries(values)) if (id.startsWith(prefix)) own[id.slice(prefix.length)] = value;
	return own;
}

/** The trimmed value of an input ('' when absent). */
export const valueOf = (values: Values, id: string): string => (values[id] ?? '').trim();
