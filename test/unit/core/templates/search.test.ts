import { translator } from '../../../../src/core/i18n/translate';
import { categoryText } from '../../../../src/core/templates/category';
import { matchesSearch, narrowTemplates, searchWords } from '../../../../src/core/templates/search';
import { TemplateSummary } from '../../../../src/core/templates/templateIndex';

const s = (name: string, category = 'UTILITY', languages = ['en_US']): TemplateSummary => ({ name, category, languages });
const SUMMARIES = [
	s('account_update'),
	s('order_delivered', 'UTILITY', ['en_US', 'pt_BR']),
	s('order_shipped', 'UTILITY', ['es']),
	s('promo_summer', 'MARKETING', ['pt_BR']),
	s('reorder_reminder', 'MARKETING', ['en_US']),
	s('verification_code', 'AUTHENTICATION', ['en_US', 'es']),
];
const names = (list: TemplateSummary[]) => list.map((x) => x.name);

describe('the template search', () => {
	it('reads words, ignoring case and extra spaces; a hyphenated language code reads as Meta writes it', () => {
		expect(searchWords('  Order   PT-br ')).toEqual(['order', 'pt_br']);
		expect(searchWords(undefined)).toEqual([]);
		expect(searchWords('   ')).toEqual([]);
	});

	it('matches each word in the name, or at the start of the category or a language', () => {
		const [, delivered, shipped] = SUMMARIES;
		expect(matchesSearch(delivered, ['deliv'])).toBe(true);
		expect(matchesSearch(delivered, ['order', 'pt'])).toBe(true);
		expect(matchesSearch(shipped, ['order', 'pt'])).toBe(false);
		expect(matchesSearch(shipped, ['util'])).toBe(true);
		expect(matchesSearch(shipped, ['tility'])).toBe(false);
		expect(matchesSearch(delivered, ['pt_br'])).toBe(true);
		expect(matchesSearch(delivered, ['br'])).toBe(false);
	});

	it("matches the start of the category in the reader's language too", () => {
		const spanish = (category: string) => categoryText(category, translator('es'));
		expect(names(narrowTemplates(SUMMARIES, 'utilidad', { limit: 10, categoryName: spanish }).shown)).toEqual([
			'account_update',
			'order_delivered',
			'order_shipped',
		]);
		expect(names(narrowTemplates(SUMMARIES, 'autent', { limit: 10, categoryName: spanish }).shown)).toEqual(['verification_code']);
		// Typed without its accent, or with it.
		for (const typed of ['Autenticacion', 'autenticación'])
			expect(names(narrowTemplates(SUMMARIES, typed, { limit: 10, categoryName: spanish }).shown)).toEqual(['verification_code']);
		// Meta's own word still finds them; without the reader's names, only Meta's.
		expect(names(narrowTemplates(SUMMARIES, 'authentication', { limit: 10, categoryName: spanish }).shown)).toEqual([
			'verification_code',
		]);
		expect(names(narrowTemplates(SUMMARIES, 'utilidad', { limit: 10 }).shown)).toEqual([]);
	});

	it('narrows the list: exact name first, then names starting with the first word, then the rest, each in name order', () => {
		expect(names(narrowTemplates(SUMMARIES, 'order', { limit: 10 }).shown)).toEqual([
			'order_delivered',
			'order_shipped',
			'reorder_reminder',
		]);
		expect(names(narrowTemplates(SUMMARIES, 'order shipped', { limit: 10 }).shown)).toEqual(['order_shipped']);
		expect(names(narrowTemplates(SUMMARIES, 'marketing', { limit: 10 }).shown)).toEqual(['promo_summer', 'reorder_reminder']);
		expect(names(narrowTemplates(SUMMARIES, 'es', { limit: 10 }).shown)).toEqual(['order_shipped', 'verification_code']);
		expect(narrowTemplates(SUMMARIES, 'nothing like it', { limit: 10 })).toEqual({ shown: [], matching: 0, hidden: 0 });
		expect(narrowTemplates(SUMMARIES, '', { limit: 10 })).toEqual({ shown: SUMMARIES, matching: 6, hidden: 0 });
	});

	it('offers at most `limit` names and says how many matches it leaves out', () => {
		expect(narrowTemplates(SUMMARIES, undefined, { limit: 4 })).toEqual({ shown: SUMMARIES.slice(0, 4), matching: 6, hidden: 2 });
		const many = Array.from({ length: 3000 }, (_, i) => s(`template_${String(i).padStart(4, '0')}`));
		const narrowed = narrowTemplates(many, '012', { limit: 100 });
		expect(names(narrowed.shown)).toEqual([
			'template_0012',
			...Array.from({ length: 10 }, (_, i) => `template_012${i}`),
			'template_1012',
			'template_2012',
		]);
		expect(narrowed).toMatchObject({ matching: 13, hidden: 0 });
	});

	it('always offers the chosen template: in its place when it matches, else first', () => {
		expect(names(narrowTemplates(SUMMARIES, 'order', { limit: 10, keep: 'order_shipped' }).shown)).toEqual([
			'order_delivered',
			'order_shipped',
			'reorder_reminder',
		]);
		const kept = narrowTemplates(SUMMARIES, 'order', { limit: 2, keep: 'promo_summer' });
		expect(names(kept.shown)).toEqual(['promo_summer', 'order_delivered']);
		expect(kept).toMatchObject({ matching: 3, hidden: 2 });
		expect(names(narrowTemplates(SUMMARIES, 'zzz', { limit: 5, keep: 'promo_summer' }).shown)).toEqual(['promo_summer']);
		expect(names(narrowTemplates(SUMMARIES, 'zzz', { limit: 5, keep: 'gone' }).shown)).toEqual([]);
	});
});
