import { CATALOG } from './catalog';

export const DEFAULT_LANGUAGE = 'en';

/** The catalog language of `language`, exactly or by its base language ("es-MX" gives "es"); undefined when the catalog has none. */
function catalogMatch(language: string): string | undefined {
	if (CATALOG[language]) return language;
	const base = language.split(/[-_]/)[0].toLowerCase();
	return Object.keys(CATALOG).find((l) => l.toLowerCase() === language.toLowerCase() || l.split('-')[0] === base);
}

/** The catalog language for a Rocket.Chat language code ("pt-BR", "pt", "es-MX", "en-US"...). */
export function resolveLanguage(language: string | undefined): string {
	return (language && catalogMatch(language)) || DEFAULT_LANGUAGE;
}

/**
 * The catalog language an HTTP `Accept-Language` header asks for (RFC 9110 section 12.5.4): its
 * tags by weight (`q`, 1 when absent; order breaks ties), the first the catalog has; English when
 * none is ("*", unknown languages, no header).
 */
export function acceptedLanguage(header: string | undefined): string {
	const tags = (header ?? '')
		.split(',')
		.map((part, order) => {
			const [tag, ...options] = part.trim().split(';');
			const q = options.map((o) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(o)?.[1]).find((v) => v !== undefined);
			return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), order };
		})
		.filter((t) => t.tag && t.tag !== '*' && t.q > 0)
		.sort((a, b) => b.q - a.q || a.order - b.order);
	for (const { tag } of tags) {
		const match = catalogMatch(tag);
		if (match) return match;
	}
	return DEFAULT_LANGUAGE;
}

/** Another text of the catalog in a placeholder (what a field should hold, say): translated in the same language. */
export interface Phrase {
	phrase: string;
	params?: Record<string, string | number>;
}

export const phrase = (key: string, params?: Record<string, string | number>): Phrase =>
	params ? { phrase: key, params } : { phrase: key };

export type Params = Record<string, string | number | Phrase>;

/** Translates `key`, filling `__name__` placeholders (Rocket.Chat's i18n syntax). Falls back to English, then to the key. */
export function translate(language: string | undefined, key: string, params: Params = {}): string {
	const text = CATALOG[resolveLanguage(language)]?.[key] ?? CATALOG[DEFAULT_LANGUAGE]?.[key] ?? key;
	return text.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => {
		const value = params[name];
		if (value === undefined) return whole;
		return typeof value === 'object' ? translate(language, value.phrase, value.params) : String(value);
	});
}

/** A translator bound to one language. */
export type Translator = (key: string, params?: Params) => string;

export function translator(language: string | undefined): Translator {
	return (key, params) => translate(language, key, params);
}
