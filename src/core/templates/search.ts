/**
 * The send-template modal's search: what a few typed words narrow a WABA's template names to.
 * Each word (case ignored) must be in the name, or begin its category (as Meta names it, or in the
 * reader's language) or one of its languages ("order pt" finds order_update in pt_BR; "marketing"
 * every marketing template, and "utilidad" every utility one for a Spanish reader). Names equal to
 * the search, then names beginning with its first word, come first; each part in name order.
 */
import { TemplateSummary } from './templateIndex';

/**
 * How many templates the template select offers at most. Rocket.Chat's UIKit types set no limit
 * on a static_select's options (@rocket.chat/ui-kit 0.37.0 StaticSelectElement.d.ts); Slack's Block
 * Kit, whose shape UIKit follows, allows 100. Every option goes into every modal update the client
 * draws, so the select shows at most this many and the search field reaches the others.
 */
export const TEMPLATE_OPTIONS = 100;

/** The lower-case words of a search; a hyphen in a language code ("pt-BR") reads as Meta's underscore. */
export const searchWords = (search: string | undefined): string[] =>
	(search ?? '')
		.toLowerCase()
		.split(/\s+/)
		.filter(Boolean)
		.map((w) => w.replace(/-/g, '_'));

/** Without its accents ("autenticación" as "autenticacion"): a word typed without them still matches. */
const unaccented = (text: string): string => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');

/** A category's name in the reader's language (category.ts `categoryText`), which a search word may begin too. */
export type CategoryName = (category: string) => string;

function wordMatches(summary: TemplateSummary, word: string, categoryName?: CategoryName): boolean {
	if (summary.name.toLowerCase().includes(word)) return true;
	const category = summary.category ?? '';
	if (category.toLowerCase().startsWith(word)) return true;
	if (category && categoryName && unaccented(categoryName(category).toLowerCase()).startsWith(unaccented(word))) return true;
	return summary.languages.some((l) => l.toLowerCase().startsWith(word));
}

export const matchesSearch = (summary: TemplateSummary, words: string[], categoryName?: CategoryName): boolean =>
	words.every((w) => wordMatches(summary, w, categoryName));

function rank(summary: TemplateSummary, words: string[]): number {
	const name = summary.name.toLowerCase();
	if (name === words.join('_')) return 0;
	return name.startsWith(words[0]) ? 1 : 2;
}

export interface Narrowed {
	/** What the select offers: at most `limit` matches, ranked, and the kept name (first) whatever the search. */
	shown: TemplateSummary[];
	/** How many names match the search, and how many of them the select does not offer. */
	matching: number;
	hidden: number;
}

/**
 * The names of `summaries` (sorted by name) that match `search`, ranked, at most `limit`. `keep`
 * (the chosen template) is always offered: Rocket.Chat's select shows its value's label only when
 * the value is among its options (fuselage SelectLegacy.tsx, `options.find(... === internalValue)`).
 */
export function narrowTemplates(
	summaries: TemplateSummary[],
	search: string | undefined,
	options: { limit: number; keep?: string; categoryName?: CategoryName },
): Narrowed {
	const words = searchWords(search);
	const matches = words.length ? summaries.filter((s) => matchesSearch(s, words, options.categoryName)) : summaries;
	const ranked = words.length ? [...matches].sort((a, b) => rank(a, words) - rank(b, words)) : matches;
	let shown = ranked.slice(0, options.limit);
	const kept = options.keep ? summaries.find((s) => s.name === options.keep) : undefined;
	// The chosen one stays in its place when the search shows it, else it comes first.
	if (kept && !shown.includes(kept)) shown = [kept, ...shown.slice(0, options.limit - 1)];
	const offered = shown.filter((s) => s !== kept || matches.includes(kept)).length;
	return { shown, matching: matches.length, hidden: matches.length - offered };
}
