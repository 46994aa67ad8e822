/** Components a caller built (the REST API), read back with a template (they are checked in sendComponents.ts). */
import { sectionsFrom, sectionsText } from './productList';
import { cardIndexOf, cardPrefix, cardsOf, componentOf, MetaTemplate, placeholders } from './template';

/** The first string of `candidates`, or undefined. */
const firstString = (...candidates: unknown[]): string | undefined => candidates.find((v): v is string => typeof v === 'string');
const asRecord = (v: unknown): Record<string, unknown> =>
	typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
/** On one line: a room message shows it. */
const oneLine = (v: string): string => v.replace(/\s+/g, ' ').trim();

/**
 * The values of components a caller built, as input values (for the preview of what was sent): the
 * header's and body's texts, a header's media file name and link, its place or its product, a URL
 * button's suffix, a copy-code button's code and a multi-product list's thumbnail and sections,
 * under the ids of the modal's inputs (inputs.ts), a carousel card's the same way under its card's
 * (`card.0.body.1`). Safe on any shape: what is not a component or a parameter it knows is skipped.
 */
export function valuesFromComponents(template: MetaTemplate, components: unknown): Record<string, string> {
	const values: Record<string, string> = {};
	for (const item of Array.isArray(components) ? components : []) {
		const c = asRecord(item);
		const type = typeof c.type === 'string' ? c.type.toLowerCase() : '';
		if (type === 'carousel') {
			const cards = cardsOf(template);
			for (const entry of Array.isArray(c.cards) ? c.cards : []) {
				const card = asRecord(entry);
				const index = cardIndexOf(card.card_index);
				if (index === undefined || !cards[index]) continue;
				for (const [id, value] of Object.entries(valuesFromComponents(cards[index], card.components)))
					values[`${cardPrefix(index)}${id}`] = value;
			}
			continue;
		}
		const params = Array.isArray(c.parameters) ? (c.parameters as unknown[]) : [];
		const names =
			type === 'header'
				? placeholders(componentOf(template, 'HEADER')?.text)
				: type === 'body'
					? placeholders(componentOf(template, 'BODY')?.text)
					: [];
		params.forEach((param, i) => {
			const p = asRecord(param);
			if (type === 'header' && (p.type === 'image' || p.type === 'video' || p.type === 'document' || p.type === 'location')) {
				const media = asRecord(p[p.type]);
				const fields = p.type === 'location' ? ['name', 'address'] : ['link', 'filename'];
				// On one line: a room message shows them, and the components' check does not refuse line breaks in them.
				for (const field of fields)
					if (typeof media[field] === 'string') values[`header.${field}`] = oneLine(media[field] as string);
				return;
			}
			if (type === 'header' && p.type === 'product') {
				const product = asRecord(p.product);
				for (const field of ['product_retailer_id', 'catalog_id'])
					if (typeof product[field] === 'string') values[`header.${field}`] = oneLine(product[field] as string);
				return;
			}
			if (type === 'button' && p.type === 'action' && Array.isArray(asRecord(p.action).sections)) {
				// A multi-product list: its sections on the lines the modal's input takes (productList.ts).
				const action = asRecord(p.action);
				values[`button.${String(c.index)}.sections`] = sectionsText(sectionsFrom(action.sections));
				if (typeof action.thumbnail_product_retailer_id === 'string')
					values[`button.${String(c.index)}.thumbnail`] = oneLine(action.thumbnail_product_retailer_id);
				return;
			}
			if (type === 'button' && typeof p.coupon_code === 'string') {
				values[`button.${String(c.index)}.coupon`] = p.coupon_code;
				return;
			}
			const text = firstString(p.text, asRecord(p.currency).fallback_value, asRecord(p.date_time).fallback_value);
			if (text === undefined) return;
			const name = typeof p.parameter_name === 'string' ? p.parameter_name : names[i];
			if ((type === 'header' || type === 'body') && name !== undefined) values[`${type}.${name}`] = text;
			else if (type === 'button') values[`button.${String(c.index)}.url`] = text;
		});
	}
	return values;
}
