/**
 * Rocket.Chat's outbound messages (Rocket.Chat 7.10+, the app as its outbound phone provider): which
 * templates Rocket.Chat's outbound form can fill, and the components it builds, turned into Meta's.
 *
 * Rocket.Chat's form (RocketChat/Rocket.Chat apps/meteor/client/components/Omnichannel/
 * OutboundMessage/utils/template.ts `extractParameterMetadata`, and outbound-message.ts
 * `formatOutboundMessagePayload`) reads the components the provider listed (header, body, footer):
 * - it asks for one value per distinct `{{…}}` of a component's text, in the order they first
 *   appear, and for a media link when a header's format is not text; nothing else (no button, offer
 *   or carousel field);
 * - it sends one component per listed component, parameters or none (`{type: 'footer', parameters: []}`),
 *   each value as `{type: 'text', text}`, a header's link as `{type: 'media', link, format}`;
 * - the server passes the message to the provider as it came (ee/server/api/outbound
 *   `omnichannel/outbound/providers/:id/message`).
 * Apps-Engine's IOutboundMessage (definition/outboundCommunication/IOutboundMessage.d.ts) also types
 * `currency` and `date_time` parameters in camel case (`fallbackValue`, `amount1000`, `dateTime`),
 * where Meta's spec (meta-openapi CurrencyObject, DateTimeObject) has `fallback_value`, `amount_1000`
 * and `date_time`.
 */
import { needsOnlyHeaderAndBody } from './sendComponents';
import { componentOf, headerFormat, isPositional, MetaTemplate, placeholderPattern } from './template';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether Rocket.Chat's outbound form can fill every parameter a send of the template needs. */
export const outboundFormFills = (template: MetaTemplate): boolean => needsOnlyHeaderAndBody(template);

/** The distinct placeholders of a text in the order they first appear (the order of the form's fields). */
function inOrderOfAppearance(text: string | undefined): string[] {
	const found: string[] = [];
	for (const match of (text ?? '').matchAll(placeholderPattern())) if (!found.includes(match[1])) found.push(match[1]);
	return found;
}

/** One parameter of Rocket.Chat's shape in Meta's; anything else as it is (the components' check judges it). */
function metaParameter(p: unknown, mediaFormat: string): unknown {
	if (!isObject(p)) return p;
	if (p.type === 'media' && typeof p.link === 'string') {
		const format = typeof p.format === 'string' ? p.format.toLowerCase() : mediaFormat;
		return ['image', 'video', 'document'].includes(format) ? { type: format, [format]: { link: p.link } } : p;
	}
	if (p.type === 'currency' && isObject(p.currency) && p.currency.fallback_value === undefined) {
		const { fallbackValue, code, amount1000 } = p.currency;
		return { type: 'currency', currency: { fallback_value: fallbackValue, code, amount_1000: amount1000 } };
	}
	// Meta's DateTimeObject: "For Cloud API, this fallback value is always used."
	if (p.type === 'date_time' && p.date_time === undefined && isObject(p.dateTime))
		return { type: 'date_time', date_time: { fallback_value: p.dateTime.fallbackValue } };
	return p;
}

/**
 * The form's values of a header or body in the order Meta binds them: a positional template's value
 * for `{{k}}` at k-1 (the form lists them as they appear in the text), a named template's with its
 * `parameter_name`. Values that already name themselves, or do not match the template's variables
 * one for one, are left as they are.
 */
function bound(parameters: unknown[], text: string | undefined): unknown[] {
	const names = inOrderOfAppearance(text);
	if (names.length !== parameters.length || parameters.some((p) => !isObject(p) || p.parameter_name !== undefined)) return parameters;
	if (names.every(isPositional)) {
		const ordered = names.map((name) => Number(name));
		if (ordered.some((n, i) => n !== i + 1) && [...ordered].sort((a, b) => a - b).every((n, i) => n === i + 1))
			return ordered.map((_n, i) => parameters[names.indexOf(String(i + 1))]);
		return parameters;
	}
	return parameters.map((p, i) => ({ ...(p as Json), parameter_name: names[i] }));
}

/**
 * The components of an outbound message in Meta's send shape: a header, body or footer without
 * parameters left out (Meta's HeaderComponent takes at least one, a footer none), a media link as
 * Meta's image, video or document, camel-case currency and date_time as Meta's, and, with the
 * template known, the form's values bound to its variables (`bound`). Anything else goes on as it
 * came, for the components' check to accept or refuse (sendComponents.ts).
 */
export function metaComponentsOf(components: unknown, template: MetaTemplate | undefined): unknown {
	if (!Array.isArray(components)) return components;
	const mediaFormat = template ? headerFormat(template).toLowerCase() : '';
	return components.flatMap((c: unknown) => {
		if (!isObject(c) || typeof c.type !== 'string' || !Array.isArray(c.parameters)) return [c];
		const type = c.type.toLowerCase();
		if (['header', 'body', 'footer'].includes(type) && c.parameters.length === 0) return [];
		if (type !== 'header' && type !== 'body') return [c];
		const parameters = c.parameters.map((p: unknown) => metaParameter(p, mediaFormat));
		const own = template ? componentOf(template, type === 'header' ? 'HEADER' : 'BODY') : undefined;
		return [{ ...c, parameters: own?.text !== undefined ? bound(parameters, own.text) : parameters }];
	});
}
