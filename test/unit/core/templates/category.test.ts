import { translator } from '../../../../src/core/i18n/translate';
import { categoryText } from '../../../../src/core/templates/category';

describe('categoryText', () => {
	it.each([
		['en', 'MARKETING', 'Marketing'],
		['en', 'UTILITY', 'Utility'],
		['en', 'authentication', 'Authentication'],
		['es', 'UTILITY', 'Utilidad'],
		['es', 'AUTHENTICATION', 'Autenticación'],
		['pt-BR', 'UTILITY', 'Utilidade'],
		['pt-BR', 'AUTHENTICATION', 'Autenticação'],
	])("names Meta's category in the reader's language (%s, %s)", (language, category, expected) => {
		expect(categoryText(category, translator(language))).toBe(expected);
	});

	it('shows a category it has no words for as Meta wrote it, and none as -', () => {
		const t = translator('es');
		expect(categoryText('TRANSACTIONAL', t)).toBe('TRANSACTIONAL');
		expect(categoryText('constructor', t)).toBe('constructor');
		expect(categoryText(undefined, t)).toBe('-');
		expect(categoryText('', t)).toBe('-');
	});
});
