/**
 * The `components` of a template send a caller built (the templateMessage REST API, Rocket.Chat's
 * outbound messages), checked before anything goes to Meta: their shape by Meta's spec for send
 * components, and, when the approved template is known, against it (which components, how many
 * parameters, which button at which index). The first problem comes back as an i18n key naming
 * the component or parameter (`template.components[1].parameters[0].text`), never an exception.
 *
 * Sources (shared/contracts):
 * - Meta's OpenAPI spec, meta-openapi/business-messaging-api_v23.0.yaml `components.schemas`
 *   (TemplateComponent, HeaderComponent, BodyComponent, ButtonComponent, ParameterObject,
 *   TextParameter, CurrencyParameter/CurrencyObject, DateTimeParameter/DateTimeObject,
 *   Image/Video/DocumentParameter, MediaObject, ButtonPayloadParameter, ButtonTextParameter);
 * - Meta's Cloud API reference, /docs/whatsapp/cloud-api/reference/messages ("Parameter object":
 *   text limits per component; "Components object": button index 0 to 9; "Currency object",
 *   "Date_Time object"), and the template docs' send examples in meta-docs/ (location header,
 *   copy_code `coupon_code`, `limited_time_offer`, OTP as a `url` button, catalog/flow `action`).
 * Known defects of the spec are not followed: `TemplateComponent.index`'s pattern (Meta's own
 * examples send `"0"` and `0`) and the booleans in "Send Sample Issue Resolution Template".
 */
import {
	buttonsOf,
	cardIndexOf,
	cardsOf,
	componentOf,
	FieldError,
	headerFormat,
	isPositional,
	MAX_CARDS,
	MetaButton,
	MetaTemplate,
	otpButtonIndex,
	placeholders,
} from './template';
import { Phrase, phrase } from '../i18n/translate';
import { buttonUrl, CATALOG_ID, FORBIDDEN_WHITESPACE, LIMITS } from './rules';
import { sectionsProblem } from './productList';

type Json = Record<string, unknown>;

/**
 * Component types a send may carry (spec's TemplateComponent.type, plus Meta's LTO and carousel
 * sends). The text of `api_error_component_unknown` (i18n/*.json) lists every one: keep it in step.
 */
const COMPONENT_TYPES = ['header', 'body', 'button', 'footer', 'limited_time_offer', 'carousel'];
/** Those a carousel card's components may be. */
const CARD_COMPONENT_TYPES = ['header', 'body', 'button'];
/** Reference, Parameter object: `text` of a header parameter; of a body parameter when the template has other components, or is alone (rules.ts). */
const HEADER_TEXT_MAX = LIMITS.headerText;
const BODY_TEXT_MAX = LIMITS.bodyText;
const BODY_ONLY_TEXT_MAX = LIMITS.bodyTextAlone;
/**
 * Meta's template URL buttons take a URL of at most 2000 characters (rules.ts LIMITS.url): the
 * suffix cannot be longer, and with the template known, the whole link it makes cannot either.
 */
const URL_SUFFIX_MAX = LIMITS.url;
/**
 * The limited-time-offer page's send parameters: `expiration_time_ms` is "Offer code expiration time
 * as a UNIX timestamp in milliseconds" (13 digits now; below 10^12 is before September 2001 read as
 * milliseconds, so seconds or a duration, an offer shown as expired). As in the modal (rules.ts).
 */
const EXPIRATION_MS_MIN = 1e12;
const EXPIRATION_MS_MAX = 1e15;
/** Reference, Components object: "up to 10 buttons using index values of 0 to 9". */
const MAX_BUTTON_INDEX = 9;
/** ISO 4217 (CurrencyObject.code). */
const CURRENCY_CODE = /^[A-Z]{3}$/;
/** MediaObject.id: a media id is Meta's number; only characters that cannot name another Graph path. */
const MEDIA_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The send `sub_type` of each button type of an approved template (OTP buttons are sent as `url`). */
const SUB_TYPE_OF: Record<string, string> = {
	URL: 'url',
	OTP: 'url',
	COPY_CODE: 'copy_code',
	QUICK_REPLY: 'quick_reply',
	FLOW: 'flow',
	CATALOG: 'catalog',
	MPM: 'mpm',
};
/**
 * Button types whose button never takes a parameter (a single product's View button: Meta's SPM
 * template send names the product in the header, and no button).
 */
const NO_PARAMETER_BUTTONS = ['PHONE_NUMBER', 'VOICE_CALL', 'SPM'];
/** The parameter type each button sub_type takes. */
const BUTTON_PARAMETER: Record<string, string> = {
	url: 'text',
	copy_code: 'coupon_code',
	quick_reply: 'payload',
	flow: 'action',
	catalog: 'action',
	mpm: 'action',
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
/** A caller's value quoted in a message: short, one line. */
const quote = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v))).replace(/\s+/g, ' ').slice(0, 40);

/** A field in error and what it should hold: a phrase of the catalog, or a literal value (`"text"`). */
const field = (path: string, expected: Phrase | string): FieldError => ({ key: 'api_error_component_field', params: { path, expected } });
const count = (component: string, expected: number, given: number): FieldError => ({
	key: 'api_error_template_params',
	params: { component, expected, given },
});

/** The button index a caller gave (`"0"`..`"9"` or 0..9), or undefined. */
function buttonIndex(value: unknown): number | undefined {
	const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d$/.test(value) ? Number(value) : NaN;
	return Number.isInteger(n) && n >= 0 && n <= MAX_BUTTON_INDEX ? n : undefined;
}

/** What the template expects at send time, or nothing when the template is unknown (shape checks only). */
interface Expectations {
	template: MetaTemplate;
	headerFormat: string;
	headerNames: string[];
	bodyNames: string[];
	bodyTextMax: number;
	buttons: MetaButton[];
	/** What the messages call a component of the template's (`body`; a carousel card's `body (card_index 1)`). */
	named: (component: string) => string;
}

function expectationsOf(template: MetaTemplate, named: (component: string) => string): Expectations {
	const bodyOnly = template.components.every((c) => c.type.toUpperCase() === 'BODY');
	return {
		template,
		named,
		headerFormat: headerFormat(template),
		headerNames: placeholders(componentOf(template, 'HEADER')?.text),
		bodyNames: placeholders(componentOf(template, 'BODY')?.text),
		bodyTextMax: bodyOnly ? BODY_ONLY_TEXT_MAX : BODY_TEXT_MAX,
		buttons: buttonsOf(template),
	};
}

/** The number of parameters a header of this format takes. */
function headerParameters(e: Expectations): number {
	if (!componentOf(e.template, 'HEADER')) return 0;
	if (e.headerFormat === 'TEXT') return e.headerNames.length;
	return ['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION', 'PRODUCT'].includes(e.headerFormat) ? 1 : 0;
}

/**
 * Whether a button of the template needs a parameter at send time (a URL with `{{1}}`, a copy code,
 * an OTP, a multi-product list's products).
 */
function buttonNeedsParameter(button: MetaButton): boolean {
	const type = (button.type ?? '').toUpperCase();
	return (type === 'URL' && placeholders(button.url).length > 0) || type === 'COPY_CODE' || type === 'OTP' || type === 'MPM';
}

/** The number of parameters a button of the template takes; undefined for a type this app does not know. */
function buttonParameters(button: MetaButton): number | undefined {
	const type = (button.type ?? '').toUpperCase();
	if (type === 'URL') return placeholders(button.url).length > 0 ? 1 : 0;
	if (NO_PARAMETER_BUTTONS.includes(type)) return 0;
	return SUB_TYPE_OF[type] ? 1 : undefined;
}

/** A text: a non-empty string of at most `max` characters, without line breaks, tabs or 5+ spaces (Meta's rule for parameters). */
function checkText(value: unknown, path: string, max: number): FieldError | undefined {
	if (!isText(value)) return field(path, phrase('expected_text'));
	if (value.length > max) return { key: 'api_error_parameter_too_long', params: { path, max, given: value.length } };
	if (FORBIDDEN_WHITESPACE.test(value)) return { key: 'api_error_parameter_whitespace', params: { path } };
	return undefined;
}

/** MediaObject: `id` or a `link` (Meta's spec: "HTTP/HTTPS only"; Meta fetches it). */
function checkMedia(media: unknown, path: string): FieldError | undefined {
	if (!isObject(media)) return field(path, phrase('expected_media'));
	if (media.id !== undefined) {
		if (typeof media.id !== 'string' || !MEDIA_ID.test(media.id)) return field(`${path}.id`, phrase('expected_media_id'));
		if (media.link !== undefined) return field(path, phrase('expected_link_or_id'));
	} else if (media.link === undefined) return field(path, phrase('expected_media'));
	else if (!isWebLink(media.link)) return field(`${path}.link`, phrase('expected_web_link'));
	if (media.filename !== undefined && !isText(media.filename)) return field(`${path}.filename`, phrase('expected_text'));
	return undefined;
}

function isWebLink(value: unknown): boolean {
	if (typeof value !== 'string' || value.length > 2048 || /\s/.test(value)) return false;
	try {
		const url = new URL(value);
		return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
	} catch {
		return false;
	}
}

/** One header or body parameter (ParameterObject and its kinds), of one of the `allowed` types. */
function checkParameter(
	p: unknown,
	path: string,
	options: { allowed: string[]; textMax: number; named?: string[] },
): FieldError | undefined {
	if (!isObject(p)) return field(path, phrase('expected_object'));
	const quoted = options.allowed.map((t) => `"${t}"`);
	const expectedTypes = quoted.length === 1 ? quoted[0] : phrase('expected_one_of', { values: quoted.join(', ') });
	if (typeof p.type !== 'string' || !options.allowed.includes(p.type)) return field(`${path}.type`, expectedTypes);
	if (options.named) {
		if (typeof p.parameter_name !== 'string' || !options.named.includes(p.parameter_name))
			return field(`${path}.parameter_name`, phrase('expected_one_of', { values: options.named.join(', ') }));
	} else if (p.parameter_name !== undefined && typeof p.parameter_name !== 'string')
		return field(`${path}.parameter_name`, phrase('expected_string'));
	switch (p.type) {
		case 'text':
			return checkText(p.text, `${path}.text`, options.textMax);
		case 'currency': {
			const c = p.currency;
			if (!isObject(c)) return field(`${path}.currency`, phrase('expected_currency'));
			const fallback = checkText(c.fallback_value, `${path}.currency.fallback_value`, options.textMax);
			if (fallback) return fallback;
			if (typeof c.code !== 'string' || !CURRENCY_CODE.test(c.code))
				return field(`${path}.currency.code`, phrase('expected_currency_code'));
			if (typeof c.amount_1000 !== 'number' || !Number.isInteger(c.amount_1000) || Math.abs(c.amount_1000) > 2147483647)
				return field(`${path}.currency.amount_1000`, phrase('expected_amount_1000'));
			return undefined;
		}
		case 'date_time': {
			const d = p.date_time;
			if (!isObject(d)) return field(`${path}.date_time`, phrase('expected_date_time'));
			return checkText(d.fallback_value, `${path}.date_time.fallback_value`, options.textMax);
		}
		case 'location': {
			const l = p.location;
			if (!isObject(l)) return field(`${path}.location`, phrase('expected_location'));
			for (const k of ['latitude', 'longitude'] as const) {
				const v = l[k];
				const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
				if (!Number.isFinite(n) || Math.abs(n) > (k === 'latitude' ? 90 : 180))
					return field(`${path}.location.${k}`, phrase(k === 'latitude' ? 'expected_latitude' : 'expected_longitude'));
			}
			for (const k of ['name', 'address'] as const)
				if (l[k] !== undefined && typeof l[k] !== 'string') return field(`${path}.location.${k}`, phrase('expected_string'));
			return undefined;
		}
		case 'product': {
			// Meta's single-product template send: the product's id in the catalog and the catalog's id, both required.
			const product = p.product;
			if (!isObject(product)) return field(`${path}.product`, phrase('expected_product'));
			if (!isText(product.product_retailer_id) || /[\r\n\t]/.test(product.product_retailer_id))
				return field(`${path}.product.product_retailer_id`, phrase('expected_one_line_text'));
			if (typeof product.catalog_id !== 'string' || !CATALOG_ID.test(product.catalog_id))
				return field(`${path}.product.catalog_id`, phrase('expected_catalog_id'));
			return undefined;
		}
		default:
			// image, video, document (MediaObject).
			return checkMedia(p[p.type], `${path}.${p.type}`);
	}
}

/**
 * The `parameters` of a component: an array. Meta's Header and BodyComponent do not require it (a
 * template without variables), so absent means none; ButtonComponent requires it (`required`).
 */
function parametersOf(c: Json, path: string, required = false): unknown[] | FieldError {
	if (c.parameters === undefined && !required) return [];
	if (!Array.isArray(c.parameters)) return field(`${path}.parameters`, phrase('expected_parameters'));
	return c.parameters;
}

/**
 * An empty `parameters` array where Meta's spec wants at least one: HeaderComponent.parameters and
 * ButtonComponent.parameters have `minItems: 1` (meta-openapi/business-messaging-api_v23.0.yaml,
 * components.schemas); BodyComponent.parameters has no minimum, so a body without variables may
 * send `[]`. Refused whether the template is known or not.
 */
const emptyParameters = (path: string): FieldError => field(`${path}.parameters`, phrase('expected_parameters_some'));

const isProblem = (v: unknown): v is FieldError => isObject(v) && typeof (v as { key?: unknown }).key === 'string';

function checkHeader(c: Json, path: string, e: Expectations | undefined): FieldError | undefined {
	const params = parametersOf(c, path);
	if (isProblem(params)) return params;
	let allowed = ['text', 'image', 'video', 'document', 'location', 'product'];
	let named: string[] | undefined;
	if (e) {
		const expected = headerParameters(e);
		// No header, or one without variables (its `parameters` absent passes: nothing to send): this component has no place.
		if (!componentOf(e.template, 'HEADER') || (expected === 0 && c.parameters !== undefined))
			return { key: 'api_error_component_unexpected', params: { path, component: 'header' } };
		if (params.length !== expected) return count(e.named('header'), expected, params.length);
		allowed = [e.headerFormat === 'TEXT' ? 'text' : e.headerFormat.toLowerCase()];
		if (e.headerNames.length && !e.headerNames.every(isPositional)) named = e.headerNames;
	} else if (params.length === 0 && c.parameters !== undefined) return emptyParameters(path);
	for (let i = 0; i < params.length; i++) {
		const problem = checkParameter(params[i], `${path}.parameters[${i}]`, { allowed, textMax: HEADER_TEXT_MAX, named });
		if (problem) return problem;
	}
	return undefined;
}

function checkBody(c: Json, path: string, e: Expectations | undefined): FieldError | undefined {
	const params = parametersOf(c, path);
	if (isProblem(params)) return params;
	let named: string[] | undefined;
	if (e) {
		if (params.length !== e.bodyNames.length) return count(e.named('body'), e.bodyNames.length, params.length);
		if (!e.bodyNames.every(isPositional)) named = e.bodyNames;
	}
	const seen = new Set<string>();
	for (let i = 0; i < params.length; i++) {
		const p = params[i];
		const problem = checkParameter(p, `${path}.parameters[${i}]`, {
			allowed: ['text', 'currency', 'date_time'],
			textMax: e?.bodyTextMax ?? BODY_ONLY_TEXT_MAX,
			named,
		});
		if (problem) return problem;
		const name = (p as Json).parameter_name;
		if (named && typeof name === 'string') {
			if (seen.has(name))
				return field(`${path}.parameters[${i}].parameter_name`, phrase('expected_each_once', { values: named.join(', ') }));
			seen.add(name);
		}
	}
	return undefined;
}

function checkButton(c: Json, path: string, e: Expectations | undefined, named: (component: string) => string): FieldError | undefined {
	const index = buttonIndex(c.index);
	if (index === undefined) return field(`${path}.index`, phrase('expected_button_index'));
	const subType = typeof c.sub_type === 'string' ? c.sub_type.toLowerCase() : undefined;
	// Its own keys only: "constructor" or "__proto__" is no sub_type.
	const kind =
		subType !== undefined && Object.prototype.hasOwnProperty.call(BUTTON_PARAMETER, subType) ? BUTTON_PARAMETER[subType] : undefined;
	if (!subType || !kind)
		return field(
			`${path}.sub_type`,
			phrase('expected_one_of', {
				values: Object.keys(BUTTON_PARAMETER)
					.map((s) => `"${s}"`)
					.join(', '),
			}),
		);
	const params = parametersOf(c, path, true);
	if (isProblem(params)) return params;
	let expected: number | undefined = 1;
	let buttonType = '';
	if (e) {
		const button = e.buttons[index];
		if (!button) return { key: 'api_error_button_unknown', params: { path: `${path}.index`, index } };
		buttonType = (button.type ?? '').toUpperCase();
		const wanted = SUB_TYPE_OF[buttonType];
		expected = buttonParameters(button);
		// A phone number button, a static URL: nothing of it is sent, so no component names it (with parameters or without).
		if (expected === 0) return { key: 'api_error_button_no_parameters', params: { path, index, type: quote(button.type) } };
		if (wanted && subType !== wanted)
			return field(`${path}.sub_type`, phrase('expected_sub_type', { wanted: `"${wanted}"`, index, type: quote(button.type) }));
	}
	if (expected !== undefined && params.length !== expected) return count(named(`button ${index}`), expected, params.length);
	// A button type this app does not know takes any number of parameters, but not none.
	if (params.length === 0) return emptyParameters(path);
	for (let i = 0; i < params.length; i++) {
		const p = params[i];
		const at = `${path}.parameters[${i}]`;
		if (!isObject(p)) return field(at, phrase('expected_object'));
		if (p.type !== kind) return field(`${at}.type`, `"${kind}"`);
		if (kind === 'text') {
			// An authentication template's one-time code goes as a `url` button's text (Meta's OTP sends),
			// whether the template lists its code button as OTP or as Meta's OTP link (template.ts).
			const otp = e !== undefined && otpButtonIndex(e.template) === index;
			const problem = checkText(p.text, `${at}.text`, otp ? LIMITS.otpCode : URL_SUFFIX_MAX);
			if (problem) return problem;
			if (/\s/.test(p.text as string)) return field(`${at}.text`, phrase(otp ? 'expected_code' : 'expected_url_suffix'));
			const link = buttonType === 'URL' && e && !otp ? buttonUrl(e.template, index, p.text as string) : '';
			if (link.length > LIMITS.url)
				return { key: 'api_error_button_link_too_long', params: { path: `${at}.text`, max: LIMITS.url, given: link.length } };
		} else if (kind === 'action') {
			if (!isObject(p.action)) return field(`${at}.action`, phrase('expected_object'));
			// A multi-product list: the product heading it and its sections, by Meta's limits (productList.ts).
			if (subType === 'mpm') {
				const thumbnail = p.action.thumbnail_product_retailer_id;
				// A product id is one line, as a single product's (checkParameter).
				if (!isText(thumbnail) || /[\r\n\t]/.test(thumbnail))
					return field(`${at}.action.thumbnail_product_retailer_id`, phrase('expected_one_line_text'));
				if (sectionsProblem(p.action.sections)) return field(`${at}.action.sections`, phrase('expected_product_sections'));
				const ids = (p.action.sections as Array<{ product_items: Array<{ product_retailer_id: string }> }>).flatMap((section, i) =>
					section.product_items.map((item, j) => ({
						id: item.product_retailer_id,
						path: `${at}.action.sections[${i}].product_items[${j}]`,
					})),
				);
				const broken = ids.find(({ id }) => /[\r\n\t]/.test(id));
				if (broken) return field(`${broken.path}.product_retailer_id`, phrase('expected_one_line_text'));
			}
		} else if (kind === 'coupon_code') {
			// Meta's copy-code buttons: "Maximum 15 characters" (as the modal's LIMITS.couponCode).
			const problem = checkText(p.coupon_code, `${at}.coupon_code`, LIMITS.couponCode);
			if (problem) return problem;
		} else if (!isText(p[kind])) return field(`${at}.${kind}`, phrase('expected_text'));
	}
	return undefined;
}

/** Whether the template's limited-time offer shows an expiration, which each send then gives (the modal's `offer.expiration`). */
const offerExpires = (template: MetaTemplate): boolean =>
	componentOf(template, 'LIMITED_TIME_OFFER')?.limited_time_offer?.has_expiration === true;

/**
 * LTO components: only on templates that have them. An offer's one parameter is checked, its
 * expiration in milliseconds (required when the template's offer shows one).
 */
function checkOther(type: string, c: Json, path: string, e: Expectations | undefined): FieldError | undefined {
	if (type === 'footer') return { key: 'api_error_component_unexpected', params: { path, component: 'footer' } };
	if (e && !componentOf(e.template, 'LIMITED_TIME_OFFER'))
		return { key: 'api_error_component_unexpected', params: { path, component: type } };
	const params = parametersOf(c, path);
	if (isProblem(params)) return params;
	const expires = e !== undefined && offerExpires(e.template);
	const offer =
		params.length === 1 && isObject(params[0]) && params[0].type === 'limited_time_offer' ? params[0].limited_time_offer : undefined;
	if (!isObject(offer)) return field(`${path}.parameters`, phrase('expected_lto'));
	const given = offer.expiration_time_ms;
	const expiration = typeof given === 'string' && /^[1-9]\d{12,14}$/.test(given) ? Number(given) : given;
	if (
		(given !== undefined || expires) &&
		!(
			typeof expiration === 'number' &&
			Number.isInteger(expiration) &&
			expiration >= EXPIRATION_MS_MIN &&
			expiration < EXPIRATION_MS_MAX
		)
	)
		return field(`${path}.parameters[0].limited_time_offer.expiration_time_ms`, phrase('expected_expiration_ms'));
	return undefined;
}

/**
 * Whether the check below asks nothing of a send of the template but its header's and body's
 * parameters, a header's being text or a media link: no button parameter (a multi-product list's
 * products among them), no offer expiration, no carousel cards, no location.
 */
export function needsOnlyHeaderAndBody(template: MetaTemplate): boolean {
	const header = headerFormat(template);
	if (componentOf(template, 'HEADER') && !['', 'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT'].includes(header)) return false;
	if (offerExpires(template) || componentOf(template, 'CAROUSEL')) return false;
	return !buttonsOf(template).some(buttonNeedsParameter);
}

/**
 * The first problem of a send's components, or undefined when Meta's spec and the template accept
 * them. `template` undefined (the template list out of reach): the template-independent checks only.
 */
export function checkSendComponents(template: MetaTemplate | undefined, components: unknown): FieldError | undefined {
	return checkComponents(template, components ?? [], 'template.components', (component) => component);
}

/**
 * `checkSendComponents` of the components at `root` (a send's, or a carousel card's), `named` giving
 * what the messages call a component of theirs (`body`, or a card's `body (card_index 1)`).
 */
function checkComponents(
	template: MetaTemplate | undefined,
	given: unknown,
	root: string,
	named: (component: string) => string,
	inCard = false,
): FieldError | undefined {
	if (!Array.isArray(given)) return field(root, phrase('expected_objects'));
	const e = template ? expectationsOf(template, named) : undefined;
	const seen = new Set<string>();
	for (let i = 0; i < given.length; i++) {
		const c = given[i];
		const path = `${root}[${i}]`;
		if (!isObject(c)) return field(path, phrase('expected_object'));
		if (typeof c.type !== 'string') return field(`${path}.type`, phrase('expected_one_of', { values: '"header", "body", "button"' }));
		const type = c.type.toLowerCase();
		if (!COMPONENT_TYPES.includes(type))
			return { key: 'api_error_component_unknown', params: { path: `${path}.type`, type: quote(c.type) } };
		// A carousel card holds a header, a body and buttons, nothing else (its page's send syntax).
		if (inCard && !CARD_COMPONENT_TYPES.includes(type))
			return { key: 'api_error_component_unexpected', params: { path, component: type } };
		const index = buttonIndex(c.index);
		const which = type === 'button' ? (index === undefined ? undefined : `button ${index}`) : type;
		if (which && seen.has(which)) return { key: 'api_error_component_repeated', params: { path, component: which } };
		const problem =
			type === 'header'
				? checkHeader(c, path, e)
				: type === 'body'
					? checkBody(c, path, e)
					: type === 'button'
						? checkButton(c, path, e, named)
						: type === 'carousel'
							? checkCarousel(c, path, e)
							: checkOther(type, c, path, e);
		if (problem) return problem;
		if (which) seen.add(which);
	}
	if (!e) return undefined;
	// What the template needs that the request left out (Meta's 132000).
	const header = headerParameters(e);
	if (header > 0 && !seen.has('header')) return count(e.named('header'), header, 0);
	if (e.bodyNames.length > 0 && !seen.has('body')) return count(e.named('body'), e.bodyNames.length, 0);
	// An offer with an expiration takes its date at send time (as the modal asks for it); a carousel its cards.
	if (offerExpires(e.template) && !seen.has('limited_time_offer'))
		return { key: 'api_error_component_missing', params: { component: 'limited_time_offer' } };
	if (componentOf(e.template, 'CAROUSEL') && !seen.has('carousel'))
		return { key: 'api_error_component_missing', params: { component: 'carousel' } };
	for (let index = 0; index < e.buttons.length; index++)
		if (buttonNeedsParameter(e.buttons[index]) && !seen.has(`button ${index}`)) return count(e.named(`button ${index}`), 1, 0);
	return undefined;
}

/**
 * The components a card gives, by kind (`body`, `button 1`, a product card's `header (product)`...),
 * sorted: what Meta wants the same for every card, in whatever order they are given.
 */
function cardShape(components: unknown[]): string {
	const kinds = components.map((c) => {
		const type = isObject(c) && typeof c.type === 'string' ? c.type.toLowerCase() : '?';
		if (type === 'button' && isObject(c)) return `button ${String(buttonIndex(c.index) ?? c.index)}`;
		const product =
			isObject(c) && Array.isArray(c.parameters) && c.parameters.some((p: unknown) => isObject(p) && p.type === 'product');
		return type === 'header' && product ? 'header (product)' : type;
	});
	return kinds.sort().join(', ') || '-';
}

/** What a card of the template takes parameters for (`body`, `button 1`...): the components a send of it must give. */
function neededShape(card: MetaTemplate, named: (component: string) => string): string {
	const e = expectationsOf(card, named);
	const needed = [
		...(headerParameters(e) > 0 ? ['header'] : []),
		...(e.bodyNames.length > 0 ? ['body'] : []),
		...e.buttons.flatMap((button, index) => (buttonNeedsParameter(button) ? [`button ${index}`] : [])),
	];
	return needed.join(', ');
}

/**
 * A carousel: its cards, 1 to 10, each with a `card_index` (0 to 9, each once) and its components,
 * the same components in every card (Meta's media card carousel templates page, sending: "All cards
 * must have same components. Must include a card for every card defined on the template"; "An
 * approved template can only be used to send the same number of cards as defined during its
 * creation"). With the template known, the request gives every card it lists, no other, and each
 * card's components are checked as a template's against that card (a media card's image or video,
 * a product card's product, its body's parameters, its buttons'); without it, for their shape.
 */
function checkCarousel(c: Json, path: string, e: Expectations | undefined): FieldError | undefined {
	if (e && !componentOf(e.template, 'CAROUSEL'))
		return { key: 'api_error_component_unexpected', params: { path, component: 'carousel' } };
	const given = c.cards;
	if (!Array.isArray(given) || given.length === 0 || given.length > MAX_CARDS || !given.every(isObject))
		return field(`${path}.cards`, phrase('expected_cards'));
	const cards = e ? cardsOf(e.template) : [];
	// Whether the cards must give the same components: always without the template; with it, when its
	// cards take the same parameters (a card whose body has no variable gives no body component, so
	// cards Meta approved with different variables differ, and only Meta can judge them).
	const alike = new Set(cards.map((card) => neededShape(card, e?.named ?? ((part) => part)))).size <= 1;
	const seen = new Set<number>();
	let first: string | undefined;
	for (let i = 0; i < given.length; i++) {
		const card = given[i] as Json;
		const at = `${path}.cards[${i}]`;
		const index = cardIndexOf(card.card_index);
		if (index === undefined) return field(`${at}.card_index`, phrase('expected_card_index'));
		if (seen.has(index)) return { key: 'api_error_component_repeated', params: { path: at, component: `card_index ${index}` } };
		seen.add(index);
		if (!Array.isArray(card.components)) return field(`${at}.components`, phrase('expected_objects'));
		if (cards.length && index >= cards.length)
			return { key: 'api_error_card_unknown', params: { path: `${at}.card_index`, index, count: cards.length } };
		const problem = checkComponents(cards[index], card.components, `${at}.components`, (part) => `${part} (card_index ${index})`, true);
		if (problem) return problem;
		const shape = cardShape(card.components);
		if (first === undefined) first = shape;
		else if (alike && shape !== first)
			return { key: 'api_error_carousel_components', params: { path: `${at}.components`, given: shape, expected: first } };
	}
	if (cards.length && seen.size !== cards.length)
		return { key: 'api_error_carousel_cards', params: { path: `${path}.cards`, expected: cards.length, given: seen.size } };
	return undefined;
}

/**
 * The components as they go to Meta, once checkSendComponents accepted them: it reads a component's
 * `type` and a button's `sub_type` in any case and a button's `index` as `"0"`..`"9"` or 0..9, while
 * Meta's spec (TemplateComponent, ButtonComponent) lists the types and sub_types in lower case only
 * and types the index a string. So those three are sent that way, an offer's expiration given as
 * digits as a number (Meta's limited-time-offer page: a UNIX timestamp in milliseconds), a carousel
 * card's index as a number (its send syntax) and its components the same way; everything else
 * exactly as given (the parameters' own `type` is checked exactly, in lower case, so it is already so).
 */
export function sendableComponents<C extends Record<string, unknown>>(components: C[]): C[] {
	return components.map((c) => {
		if (!isObject(c) || typeof c.type !== 'string') return c;
		const type = c.type.toLowerCase();
		const out: Json = { ...c, type };
		if (type === 'button') {
			if (typeof c.sub_type === 'string') out.sub_type = c.sub_type.toLowerCase();
			const index = buttonIndex(c.index);
			if (index !== undefined) out.index = String(index);
		}
		// A carousel's cards: each index as the integer Meta's send syntax types it, each card's components as these.
		if (type === 'carousel' && Array.isArray(c.cards))
			out.cards = c.cards.map((card: unknown) => {
				if (!isObject(card)) return card;
				const index = cardIndexOf(card.card_index);
				return {
					...card,
					...(index === undefined ? {} : { card_index: index }),
					...(Array.isArray(card.components) ? { components: sendableComponents(card.components as Json[]) } : {}),
				};
			});
		// An offer's expiration given as digits goes as the number Meta's table types it (the modal's too).
		if (type === 'limited_time_offer' && Array.isArray(c.parameters))
			out.parameters = c.parameters.map((p: unknown) => {
				const offer = isObject(p) ? p.limited_time_offer : undefined;
				return isObject(offer) && typeof offer.expiration_time_ms === 'string' && /^\d+$/.test(offer.expiration_time_ms)
					? { ...(p as Json), limited_time_offer: { ...offer, expiration_time_ms: Number(offer.expiration_time_ms) } }
					: p;
			});
		return out as C;
	});
}
