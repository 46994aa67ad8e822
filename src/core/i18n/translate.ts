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

export type Params = Record<string, string | number>;

/** Translates `key`, filling `__name__` placeholders (Rocket.Chat's i18n syntax). Falls back to English, then to the key. */
export function translate(language: string | undefined, key: string, params: Params = {}): string {
	const text = CATALOG[resolveLanguage(language)]?.[key] ?? CATALOG[DEFAULT_LANGUAGE]?.[key] ?? key;
	return text.replace(/__([A-Za-z0-9_]+?)__/g, (whole, name: string) => (params[name] !== undefined ? String(params[name]) : whole));
}

/** A translator bound to one language. */
export type Translator = (key: string, params?: Params) => string;

export function translator(language: string | undefined): Translator {
	return (key, params) => translate(language, key, params);
}
