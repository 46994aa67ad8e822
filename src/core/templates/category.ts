import { Translator } from '../i18n/translate';

/** Meta's template categories (TemplateObject.category), by the i18n key of their name. */
const CATEGORY_KEYS: Record<string, string> = {
	MARKETING: 'template_category_marketing',
	UTILITY: 'template_category_utility',
	AUTHENTICATION: 'template_category_authentication',
};

/** A template's category in the reader's language: Meta's three by name, another as Meta wrote it, none as `-`. */
export function categoryText(category: string | undefined, t: Translator): string {
	if (!category) return '-';
	const upper = category.toUpperCase();
	return Object.prototype.hasOwnProperty.call(CATEGORY_KEYS, upper) ? t(CATEGORY_KEYS[upper]) : category;
}
