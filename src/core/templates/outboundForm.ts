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
 * - its preview (`processTemplatePreviewText`) shows the value at k-1 for `{{k}}`, Meta's binding of
 *   positional parameters, whatever order the fields came in;
 * - the server passes the message to the provider as it came (ee/server/api/outbound
 *   `omnichannel/outbound/providers/:id/message`).
 * Apps-Engine's IOutboundMessage (definition/outboundCommunication/IOutboundMessage.d.ts) also types
 * `currency` and `date_time` parameters in camel case (`fallbackValue`, `amount1000`, `dateTime`),
 * where Meta's spec (meta-openapi CurrencyObject, DateTimeObject) has `fallback_value`, `amount_1000`
 * and `date_time`.
 */
import { phrase } from '../i18n/translate';
import { formCannotFill } from './inputs';
import { needsOnlyHeaderAndBody } from './sendComponents';
import { componentOf, FieldError, headerFormat, isPositional, MetaTemplate, placeholderPattern } from './template';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Whether Rocket.Chat's outbound form can fill every parameter a send of the template needs: a
 * header's and the body's, nothing else (no button value, offer expiration, carousel, product list
 * or single product, location header).
 */
export const outboundFormFills = (template: MetaTemplate): boolean =>
	needsOnlyHeaderAndBody(template) && formCannotFill(template) === undefined;

/** The distinct placeholders of a text in the order they first appear (the order of the form's fields). */
function inOrderOfAppearance(text: string | undefined): string[] {
	const found: string[] = [];
	for (const match of (text ?? '').matchAll(placeholderPattern())) if (!found.includes(match[1])) found.push(match[1]);
	return found;
}

/** A currency in Apps-Engine's camel case (`fallbackValue`, `amount1000`), none of Meta's fields given. */
const camelCurrency = (c: unknown): c is Json =>
	isObject(c) &&
	(c.fallbackValue !== undefined || c.amount1000 !== undefined) &&
	c.fallback_value === undefined &&
	c.amount_1000 === undefined;

/** One parameter of Rocket.Chat's shape in Meta's; anything else as it is (the components' check judges it). */
function metaParameter(p: unknown, mediaFormat: string): unknown {
	if (!isObject(p)) return p;
	if (p.type === 'media') {
		const format = typeof p.format === 'string' ? p.format.toLowerCase() : mediaFormat;
		return ['image', 'video', 'document'].includes(format) ? { type: format, [format]: { link: p.link } } : p;
	}
	if (p.type === 'currency' && camelCurrency(p.currency)) {
		const { fallbackValue, code, amount1000 } = p.currency;
		return { type: 'currency', currency: { fallback_value: fallbackValue, code, amount_1000: amount1000 } };
	}
	// Meta's DateTimeObject: "For Cloud API, this fallback value is always used."
	if (p.type === 'date_time' && p.date_time === undefined && isObject(p.dateTime))
		return { type: 'date_time', date_time: { fallback_value: p.dateTime.fallbackValue } };
	return p;
}

/**
 * A named template's values with their `parameter_name`, by the order of the form's fields (its
 * variables as they first appear). Positional values stay where they are: Meta binds the k-th to
 * `{{k}}`, as Rocket.Chat's preview shows them. Values that already name themselves, or do not
 * match the variables one for one, are left as they are.
 */
function named(parameters: unknown[], text: string | undefined): unknown[] {
	const names = inOrderOfAppearance(text);
	if (names.length !== parameters.length || names.every(isPositional)) return parameters;
	if (parameters.some((p) => !isObject(p) || p.parameter_name !== undefined)) return parameters;
	return parameters.map((p, i) => ({ ...(p as Json), parameter_name: names[i] }));
}

/**
 * The components of an outbound message in Meta's send shape (`components`), and, for each, its
 * index in the message as it came (`given`, for refusals that name it): a header, body or footer
 * without parameters left out (Meta's HeaderComponent takes at least one, a footer none), a media
 * link as Meta's image, video or document (by its `format`, else the template header's), camel-case
 * currency and date_time as Meta's, and, with the template known, a named template's values given
 * their names (`named`). Anything else goes on as it came, for the components' check to accept or
 * refuse (sendComponents.ts).
 */
export function metaComponentsOf(components: unknown, template: MetaTemplate | undefined): { components: unknown; given: number[] } {
	if (!Array.isArray(components)) return { components, given: [] };
	const mediaFormat = template ? headerFormat(template).toLowerCase() : '';
	const out: unknown[] = [];
	const given: number[] = [];
	components.forEach((c: unknown, index) => {
		let sent = c;
		if (isObject(c) && typeof c.type === 'string' && Array.isArray(c.parameters)) {
			const type = c.type.toLowerCase();
			if (['header', 'body', 'footer'].includes(type) && c.parameters.length === 0) return;
			if (type === 'header' || type === 'body') {
				const parameters = c.parameters.map((p: unknown) => metaParameter(p, mediaFormat));
				const own = template ? componentOf(template, type === 'header' ? 'HEADER' : 'BODY') : undefined;
				sent = { ...c, parameters: own?.text !== undefined ? named(parameters, own.text) : parameters };
			}
		}
		out.push(sent);
		given.push(index);
	});
	return { components: out, given };
}

/**
 * The rest of a parameter's path in a refusal (`.document.link`, `.currency.amount_1000`) as the
 * parameter was posted, when it came in Rocket.Chat's shape and was turned into Meta's (`metaParameter`).
 */
function postedField(rest: string, posted: unknown): string {
	if (!isObject(posted)) return rest;
	if (posted.type === 'media')
		return rest
			.replace(/^\.(image|video|document)(\.link)?\b/, '.link')
			.replace(/^\.type$/, typeof posted.format === 'string' ? '.format' : '.type');
	if (posted.type === 'currency' && camelCurrency(posted.currency))
		return rest
			.replace(/^\.currency\.fallback_value\b/, '.currency.fallbackValue')
			.replace(/^\.currency\.amount_1000\b/, '.currency.amount1000');
	if (posted.type === 'date_time' && posted.date_time === undefined && isObject(posted.dateTime))
		return rest.replace(/^\.date_time(\.fallback_value)?\b/, (_whole, value?: string) =>
			value ? '.dateTime.fallbackValue' : '.dateTime',
		);
	return rest;
}

/**
 * A refusal of `metaComponentsOf`'s components naming the field as it was posted: the component by
 * its index in the message as it came (`given`), and a parameter Rocket.Chat's shape turned into
 * Meta's by its own fields (`posted`: the components as they came).
 */
export function asGiven(problem: FieldError, given: number[], posted?: unknown): FieldError {
	const path = problem.params?.path;
	if (typeof path !== 'string') return problem;
	const match = /^template\.components\[(\d+)\](\.parameters\[(\d+)\])?(.*)$/.exec(path);
	const index = match ? given[Number(match[1])] : undefined;
	if (!match || index === undefined) return problem;
	const component = Array.isArray(posted) && isObject(posted[index]) ? posted[index] : undefined;
	const parameter = match[3] !== undefined && Array.isArray(component?.parameters) ? component.parameters[Number(match[3])] : undefined;
	const rest = match[3] !== undefined ? `${match[2]}${postedField(match[4], parameter)}` : match[4];
	const renamed = `template.components[${index}]${rest}`;
	return renamed === path ? problem : { ...problem, params: { ...problem.params, path: renamed } };
}

/**
 * The first field of an outbound message the provider cannot read, or undefined. Rocket.Chat's
 * endpoint (`omnichannel/outbound/providers/:id/message`) checks little of the message's body (its
 * schema has required only `to` and `type` in some versions), and integrators call it too.
 */
export function outboundMessageProblem(message: { providerNumber?: unknown; to?: unknown; template?: unknown }): FieldError | undefined {
	const problem = (field: string, type: string): FieldError => ({ key: 'api_error_field_type', params: { field, type: phrase(type) } });
	if (typeof message.providerNumber !== 'string') return problem('templateProviderPhoneNumber', 'expected_string');
	if (typeof message.to !== 'string') return problem('to', 'expected_string');
	const template = message.template;
	if (!isObject(template)) return problem('template', 'expected_object');
	if (typeof template.name !== 'string' || !template.name.trim()) return problem('template.name', 'expected_text');
	if (!isObject(template.language) || typeof template.language.code !== 'string' || !template.language.code.trim())
		return problem('template.language.code', 'expected_language_code');
	return undefined;
}
