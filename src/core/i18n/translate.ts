import { CATALOG } from './catalog';

export const DEFAULT_LANGUAGE = 'en';

/** The catalog language for a Rocket.Chat language code ("pt-BR", "pt", "es-MX", "en-US"...). */
export function resolveLanguage(language: string | undefined): string {
	if (!language) return DEFAULT_LANGUAGE;
	if (CATALOG[language]) return language;
	const base = language.split(/[-_]/)[0].toLowerCase();
	const match = Object.keys(CATALOG).find((l) => l.toLowerCase() === language.toLowerCase() || l.split('-')[0] === base);
	return match ?? DEFAULT_LANGUAGE;
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
