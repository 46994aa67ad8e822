/**
 * A multi-product message template's list of products (its MPM button's `action` at send time):
 * the product whose image heads the message (`thumbnail_product_retailer_id`) and 1 to 10 sections
 * of products, 30 products at most in all, each section titled (24 characters at most) when there
 * are several. Sources: Meta's multi-product message templates page (sending: the button component
 * `{"type": "button", "sub_type": "mpm", "index": 0, "parameters": [{"type": "action", "action":
 * {"thumbnail_product_retailer_id", "sections": [{"title", "product_items": [{"product_retailer_id"}]}]}}]}`),
 * and its section object's limits (as Meta's interactive multi-product messages state them: "Minimum
 * of 1, maximum of 10" sections, up to 30 products, a title "Required if the message has more than
 * one section. Maximum length: 24 characters"; the whatsapp-api-js library's MPM template button,
 * MPMComponent, holds a template send to the same: 1 to 10 sections, under 30 products, a title on
 * each when there are several).
 *
 * The modal asks for the sections as text, one section per line: `Title: id, id, id` (a single
 * section may leave its title out: `id, id`). A title ends at its first colon followed by a space
 * (an id may hold a colon, `SKU:1`); an id cannot hold a comma, nor a title a colon and a space.
 */
export const PRODUCT_LIST_LIMITS = { sections: 10, products: 30, title: 24 };

export interface ProductSection {
	title?: string;
	product_items: Array<{ product_retailer_id: string }>;
}

export interface ProductListProblem {
	/** i18n key (`template_error_product_*`) and its parameters. */
	key: string;
	params?: Record<string, string | number>;
}

/**
 * A line's title: what comes before its first colon that a space or the line's end follows
 * (`Summer: a, b`; `Deals 10:30: a`), so that an id holding a colon (`SKU:1, SKU:2`) is not read
 * as a title.
 */
const TITLED = /^(.*?):(?:\s|$)/;

/** The sections the agent wrote, one per non-empty line: `Title: id, id` or `id, id`; ids trimmed, empty ones left out. */
export function parseSections(text: string): ProductSection[] {
	return text
		.split(/\r?\n/)
		.map((line) => line.trim())
		.filter(Boolean)
		.map((line) => {
			const titled = TITLED.exec(line);
			const title = titled ? titled[1].trim() : '';
			const ids = (titled ? line.slice(titled[0].length) : line)
				.split(',')
				.map((id) => id.trim())
				.filter(Boolean);
			return { ...(title ? { title } : {}), product_items: ids.map((product_retailer_id) => ({ product_retailer_id })) };
		});
}

/**
 * The sections of a caller's `action.sections` (any shape, for a record of what was sent): titles
 * and ids that are strings, each on one line; anything else left out.
 */
export function sectionsFrom(value: unknown): ProductSection[] {
	const oneLine = (v: string) => v.replace(/\s+/g, ' ').trim();
	return (Array.isArray(value) ? value : []).filter(isObject).map((section) => ({
		...(typeof section.title === 'string' ? { title: oneLine(section.title) } : {}),
		product_items: (Array.isArray(section.product_items) ? section.product_items : [])
			.map((item) => (isObject(item) ? item.product_retailer_id : undefined))
			.filter((id): id is string => typeof id === 'string')
			.map((id) => ({ product_retailer_id: oneLine(id) })),
	}));
}

/** The text `parseSections` reads back as `sections` (a room message's record of an API send). */
export function sectionsText(sections: ProductSection[]): string {
	return sections
		.map((s) => `${s.title ? `${s.title}: ` : ''}${s.product_items.map((p) => p.product_retailer_id).join(', ')}`)
		.join('\n');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * The first problem of `sections` against Meta's limits, or undefined. `sections` may come from a
 * caller (any shape): each must be an object with a non-empty `product_items` list of objects whose
 * `product_retailer_id` is a non-empty string, and a `title` that is a string when given.
 */
export function sectionsProblem(sections: unknown): ProductListProblem | undefined {
	if (!Array.isArray(sections) || sections.length === 0) return { key: 'template_error_product_list_empty' };
	if (sections.length > PRODUCT_LIST_LIMITS.sections)
		return { key: 'template_error_product_sections', params: { max: PRODUCT_LIST_LIMITS.sections, given: sections.length } };
	let products = 0;
	for (const [i, section] of sections.entries()) {
		const number = i + 1;
		if (!isObject(section) || !Array.isArray(section.product_items) || section.product_items.length === 0)
			return { key: 'template_error_product_section_empty', params: { section: number } };
		if (!section.product_items.every((p) => isObject(p) && isText(p.product_retailer_id)))
			return { key: 'template_error_product_section_empty', params: { section: number } };
		products += section.product_items.length;
		const title = section.title;
		if (title !== undefined && typeof title !== 'string') return { key: 'template_error_product_title', params: { section: number } };
		if (typeof title === 'string' && title.length > PRODUCT_LIST_LIMITS.title)
			return { key: 'template_error_product_title_long', params: { section: number, max: PRODUCT_LIST_LIMITS.title } };
		if (sections.length > 1 && !isText(title)) return { key: 'template_error_product_title', params: { section: number } };
	}
	if (products > PRODUCT_LIST_LIMITS.products)
		return { key: 'template_error_product_count', params: { max: PRODUCT_LIST_LIMITS.products, given: products } };
	return undefined;
}
