/**
 * Meta's rules for the values of a template send, checked before sending so that the agent sees
 * an error on the input at fault instead of a Graph error on the whole message. Sources: Cloud API
 * messages reference (text parameter: header 60 characters; body 1024 characters when the message
 * has other components, 32768 when the body is all there is, read here as "the template has
 * nothing but a body"; coupon and one-time codes at most 15 characters; URL buttons at most 2000
 * characters) and the details of Meta's template parameter error 132018 ("Param text cannot have
 * new-line/tab characters or more than 4 consecutive spaces").
 */
import { inputsFor, InputKind, TemplateInput } from './inputs';
import { parseSections, sectionsProblem } from './productList';
import { BindOptions, buttonsOf, cardsOf, ExtraParameter, FieldError, MetaTemplate, placeholderPattern, valueOf, Values } from './template';

export const LIMITS = { headerText: 60, bodyText: 1024, bodyTextAlone: 32768, couponCode: 15, otpCode: 15, url: 2000 };

/** Absolute http(s) link with a dotted host; no whitespace anywhere. */
const HTTP_URL = /^https?:\/\/[^\s/?#:@.]+(\.[^\s/?#:@.]+)+(:\d{1,5})?([/?#]\S*)?$/i;
const DECIMAL = /^[-+]?\d+(\.\d+)?$/;
/** A commerce catalog's id: Meta's number, as a string (Commerce Manager shows it under the catalog's name). */
export const CATALOG_ID = /^\d{1,32}$/;
/**
 * The offer's expiration: Meta's limited-time-offer page (sending) types `expiration_time_ms` as
 * "Offer code expiration time as a UNIX timestamp in milliseconds", example `1698562800000` (13
 * digits). A count below 10^12 is before September 2001 read as milliseconds: it is seconds (10
 * digits now) or a duration, and the offer would show as expired. The same page's example request
 * sends `1209600000`, which is 14 days written in milliseconds (1970-01-15 as a timestamp), against
 * its own parameter table: the table is followed and that value is refused, with the reason.
 */
const EXPIRATION_MS = /^\d{13,15}$/;
const EXPIRATION_TOO_SHORT = /^\d{1,12}$/;
/**
 * What Meta refuses inside a text parameter: its 132018 "There's an issue with the parameters in your
 * template", details "Param text cannot have new-line/tab characters or more than 4 consecutive
 * spaces" (as production logs quote Meta's answer: schemalabz/opencouncil#780,
 * netflie/whatsapp-cloud-api#201). The modal checks every text it sends; the API too (sendComponents.ts).
 */
export const FORBIDDEN_WHITESPACE = /[\r\n\t]| {5,}/;
const TEXT_KINDS: InputKind[] = [
	'header_text',
	'body',
	'button_otp',
	'button_url',
	'button_copy_code',
	'header_product_id',
	'button_product_thumbnail',
];

export const isHttpUrl = (value: string): boolean => HTTP_URL.test(value);

/** The link a URL button opens with `suffix` in place of its `{{1}}`. */
export function buttonUrl(template: MetaTemplate, index: number, suffix: string): string {
	return (buttonsOf(template)[index]?.url ?? '').replace(placeholderPattern(), () => suffix);
}

function maxLength(template: MetaTemplate, input: TemplateInput): number | undefined {
	switch (input.kind) {
		case 'header_text':
			return LIMITS.headerText;
		case 'body':
			return template.components.length > 1 ? LIMITS.bodyText : LIMITS.bodyTextAlone;
		case 'button_copy_code':
			return LIMITS.couponCode;
		case 'button_otp':
			return LIMITS.otpCode;
		default:
			return undefined;
	}
}

function inRange(value: string, limit: number): boolean {
	return DECIMAL.test(value) && Math.abs(Number(value)) <= limit;
}

function checkExtra(input: TemplateInput, extra: ExtraParameter): FieldError | undefined {
	const ok =
		input.kind === 'body' &&
		((extra.type === 'currency' &&
			typeof extra.currency?.fallback_value === 'string' &&
			typeof extra.currency.code === 'string' &&
			Number.isInteger(extra.currency.amount_1000)) ||
			(extra.type === 'date_time' && typeof extra.date_time?.fallback_value === 'string'));
	return ok ? undefined : { key: 'template_error_parameter_type' };
}

function checkValue(template: MetaTemplate, input: TemplateInput, value: string): FieldError | undefined {
	if (TEXT_KINDS.includes(input.kind) && FORBIDDEN_WHITESPACE.test(value)) return { key: 'template_error_whitespace' };
	const max = maxLength(template, input);
	if (max !== undefined && value.length > max) return { key: 'template_error_too_long', params: { max } };
	switch (input.kind) {
		case 'header_media_link':
			return isHttpUrl(value) ? undefined : { key: 'template_error_link' };
		case 'header_product_catalog':
			return CATALOG_ID.test(value) ? undefined : { key: 'template_error_catalog_id' };
		case 'button_product_sections':
			return sectionsProblem(parseSections(value));
		case 'header_location_latitude':
			return inRange(value, 90) ? undefined : { key: 'template_error_latitude' };
		case 'header_location_longitude':
			return inRange(value, 180) ? undefined : { key: 'template_error_longitude' };
		case 'offer_expiration':
			if (EXPIRATION_MS.test(value)) return undefined;
			// A value of seconds since 1970 (10 digits, from 2017 on) gets its value in milliseconds as the
			// example; anything else short (a duration, 14 days as Meta's example sends) is no date at all.
			return EXPIRATION_TOO_SHORT.test(value) && value.length === 10 && Number(value) >= 1500000000
				? { key: 'template_error_expiration_ms', params: { value, example: `${value}000` } }
				: { key: 'template_error_expiration' };
		case 'button_url': {
			const url = buttonUrl(template, input.index ?? 0, value);
			if (url.length > LIMITS.url) return { key: 'template_error_too_long', params: { max: LIMITS.url } };
			return isHttpUrl(url) ? undefined : { key: 'template_error_url', params: { url } };
		}
		default:
			return undefined;
	}
}

/**
 * Meta's rules for the values, as an error per input id; `{}` means the values can be sent.
 * Values are checked trimmed (as they are sent). Values of ids the template does not have are ignored.
 */
export function validateValues(template: MetaTemplate, values: Values, options: BindOptions = {}): Record<string, FieldError> {
	const errors: Record<string, FieldError> = {};
	const cards = cardsOf(template);
	for (const input of inputsFor(template)) {
		const extra = options.extraParameters?.[input.id];
		const value = valueOf(values, input.id);
		// A carousel card's input is checked against its card (its body's length limit, its URL buttons).
		const own = input.card === undefined ? template : cards[input.card];
		const error = extra
			? checkExtra(input, extra)
			: value
				? checkValue(own, input, value)
				: input.required
					? { key: 'template_error_required' }
					: undefined;
		if (error) errors[input.id] = error;
	}
	return errors;
}
