/**
 * A template send checked against the template the WABA holds, as Meta checks it before it accepts
 * the message (synchronous errors, Meta's error-code table in shared/contracts/derived):
 *
 * - no template of that name in that language, or one not approved: 132001 ("Template does not
 *   exist": "not in that language or not approved"); paused: 132015; disabled: 132016;
 * - a header's or body's parameter count other than the template's variables: 132000, its details
 *   as the table quotes Meta's ("body: number of localizable_params (0) does not match the expected
 *   number of params (1)");
 * - a media, location or product header given no parameter of that type: 132012, details as Meta
 *   answers a missing image header ("header: Format mismatch, expected IMAGE, received UNKNOWN",
 *   community-observed, quoted by dualhook.com/docs/whatsapp-error-132012);
 * - a named template's parameter without `parameter_name`: 100 "Parameter name is missing or
 *   empty" (Meta's answer as developers report it);
 * - a URL button whose link has a variable, sent without its parameter: 131008 ("Required
 *   parameter is missing"; the details are the simulator's own words);
 * - a header's or body's text parameter with a line break, a tab or more than 4 consecutive spaces:
 *   132018 "There's an issue with the parameters in your template", details "Param text cannot
 *   have new-line/tab characters or more than 4 consecutive spaces" (a production log's, metaErrors.ts).
 *
 * A carousel's cards are checked the same way, each against the card of its `card_index`. Meta's
 * other checks of a template send are not modelled: a parameter's text length; the parameters of
 * copy-code, flow, OTP, catalog and multi-product buttons and of a limited-time offer; whether a
 * named parameter's `parameter_name` is one of the template's; the type of a text header's
 * parameter; the number of cards, and a card whose `card_index` the template lacks (not checked).
 */
import { metaError, SimResponse } from './metaErrors';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Meta's variables: positional `{{1}}` or named `{{first_name}}`. */
const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;
const MEDIA_FORMATS = ['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION', 'PRODUCT'];
/** What Meta refuses in a text parameter (132018): "new-line/tab characters or more than 4 consecutive spaces". */
const FORBIDDEN_TEXT = /[\r\n\t]| {5,}/;

/** How many distinct variables a template text holds. */
function variables(text: unknown): number {
	return new Set(Array.from(String(text ?? '').matchAll(VARIABLE), (m) => m[1])).size;
}

const upper = (v: unknown) => String(v ?? '').toUpperCase();
const ofType = (components: Any[], type: string) => components.find((c) => upper(c?.type) === type);
const sentOf = (components: Any[], type: string) => components.filter((c) => upper(c?.type) === upper(type));

function countMismatch(where: string, given: number, expected: number): SimResponse {
	return metaError(
		132000,
		`${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
	);
}

/** The refusal a set of sent components earns against the template components they fill, if any. */
function componentsRefusal(defined: Any[], sent: Any[], named: boolean, where = ''): SimResponse | undefined {
	const header = ofType(defined, 'HEADER');
	const sentHeader = sentOf(sent, 'header')[0];
	const headerParams: Any[] = Array.isArray(sentHeader?.parameters) ? sentHeader.parameters : [];
	const format = upper(header?.format);
	if (MEDIA_FORMATS.includes(format)) {
		const received = headerParams[0]?.type ? upper(headerParams[0].type) : 'UNKNOWN';
		if (received !== format) return metaError(132012, `${where}header: Format mismatch, expected ${format}, received ${received}`);
	} else {
		const expected = format === 'TEXT' ? variables(header?.text) : 0;
		if (headerParams.length !== expected) return countMismatch(`${where}header`, headerParams.length, expected);
	}
	const bodyParams: Any[] = sentOf(sent, 'body').flatMap((c) => (Array.isArray(c?.parameters) ? c.parameters : []));
	const expected = variables(ofType(defined, 'BODY')?.text);
	if (bodyParams.length !== expected) return countMismatch(`${where}body`, bodyParams.length, expected);
	const texts = [...headerParams, ...bodyParams].filter((p) => upper(p?.type) === 'TEXT');
	if (named && texts.some((p) => !p?.parameter_name)) return metaError(100, 'Parameter name is missing or empty');
	if (texts.some((p) => FORBIDDEN_TEXT.test(String(p?.text ?? '')))) return metaError(132018);
	const buttons: Any[] = ofType(defined, 'BUTTONS')?.buttons ?? [];
	for (const [index, button] of buttons.entries()) {
		if (upper(button?.type) !== 'URL' || !variables(button?.url)) continue;
		const given = sentOf(sent, 'button').find((c) => Number(c?.index) === index && String(c?.sub_type).toLowerCase() === 'url');
		if (!given?.parameters?.length)
			return metaError(131008, `${where}buttons: Button at index ${index} of type Url requires a parameter`);
	}
	return undefined;
}

/**
 * Why Meta would refuse this template send (`body.template` of a `type: template` message) given
 * the WABA's template of that name and language (`undefined`: it has none), or `undefined` when
 * Meta accepts it.
 */
export function templateRefusal(template: Any | undefined, body: Any): SimResponse | undefined {
	const send = body?.template ?? {};
	const status = upper(template?.status);
	if (!template || (status !== 'APPROVED' && status !== 'PAUSED' && status !== 'DISABLED'))
		return metaError(132001, `template name (${String(send.name)}) does not exist in ${String(send.language?.code)}`);
	if (status === 'PAUSED') return metaError(132015);
	if (status === 'DISABLED') return metaError(132016);
	const defined: Any[] = Array.isArray(template.components) ? template.components : [];
	const sent: Any[] = Array.isArray(send.components) ? send.components : [];
	const named = upper(template.parameter_format) === 'NAMED';
	const refused = componentsRefusal(defined, sent, named);
	if (refused) return refused;
	const cards: Any[] = ofType(defined, 'CAROUSEL')?.cards ?? [];
	for (const card of sentOf(sent, 'carousel').flatMap((c) => (Array.isArray(c?.cards) ? c.cards : []))) {
		const of = cards[Number(card?.card_index)];
		if (!of) continue;
		const cardRefused = componentsRefusal(of.components ?? [], card.components ?? [], named, `card ${String(card.card_index)}: `);
		if (cardRefused) return cardRefused;
	}
	return undefined;
}
