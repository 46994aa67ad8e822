import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { SETTINGS } from '../../src/adapters/settings';
import { acceptedLanguage, phrase, translate } from '../../src/core/i18n/translate';

const ROOT = path.resolve(__dirname, '..', '..');
const dir = path.join(ROOT, 'i18n');
const languages = ['en', 'pt-BR', 'es'];
const load = (lang: string): Record<string, string> => JSON.parse(fs.readFileSync(path.join(dir, `${lang}.json`), 'utf8'));
const placeholders = (s: string) => (s.match(/__[A-Za-z0-9_]+?__/g) ?? []).sort();

describe('i18n', () => {
	it.each(languages.slice(1))('%s has exactly the English keys, with the same placeholders', (lang) => {
		const en = load('en');
		const other = load(lang);
		expect(Object.keys(other).sort()).toEqual(Object.keys(en).sort());
		for (const key of Object.keys(en)) {
			expect([key, placeholders(other[key])]).toEqual([key, placeholders(en[key])]);
			expect(other[key].trim()).not.toBe('');
		}
	});

	it('covers every i18n key the app code names', () => {
		const en = load('en');
		const files = execFileSync('find', [
			path.join(ROOT, 'src'),
			path.join(ROOT, 'WhatsAppApp.ts'),
			'-name',
			'*.ts',
			'-not',
			'-name',
			'catalog.ts',
		])
			.toString()
			.trim()
			.split('\n');
		const source = files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
		const patterns = [
			/\bt\('([a-zA-Z_]+)'/g,
			/'((?:template_|graph_)?error_[a-z0-9_]+)'/g,
			/'(template_input_[a-z_]+)'/g,
			/'(expected_[a-z0-9_]+)'/g,
			/i18n[A-Za-z]+ = '([a-z_]+)'/g,
			/i18nLabel: '([a-z_]+)'/g,
		];
		const keys = patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]));
		expect(keys.length).toBeGreaterThan(10);
		expect(keys.filter((k) => !(k in en))).toEqual([]);
	});

	it("has every setting's label, description and choices (their keys are built from the setting's id)", () => {
		const en = load('en');
		const keys = SETTINGS.flatMap((setting) => [
			setting.i18nLabel,
			setting.i18nDescription ?? '',
			...(setting.values ?? []).map((choice) => choice.i18nLabel),
		]);
		expect(keys).toContain('send_from_runtime_description');
		expect(keys.filter((key) => !(key in en))).toEqual([]);
	});

	it('src/core/i18n/catalog.ts is generated from the current i18n files', () => {
		expect(() =>
			execFileSync(process.execPath, [path.join(ROOT, 'tools', 'i18n-catalog.js'), '--check'], { stdio: 'pipe' }),
		).not.toThrow();
	});

	it('translates with placeholders and falls back to English for an unknown language', () => {
		expect(translate('pt-BR', 'command_unknown', { word: 'xyz' })).toContain('xyz');
		expect(translate('pt-BR', 'command_unknown', { word: 'xyz' })).not.toBe(translate('en', 'command_unknown', { word: 'xyz' }));
		expect(translate('de', 'close')).toBe('Close');
		expect(translate('es-MX', 'close')).toBe(load('es').close);
	});

	it('answers an HTTP caller in the Accept-Language it prefers most that the catalog has', () => {
		expect(acceptedLanguage('es')).toBe('es');
		expect(acceptedLanguage('es;q=0.9')).toBe('es');
		expect(acceptedLanguage('fr, es;q=0.8, en;q=0.5')).toBe('es');
		expect(acceptedLanguage('de-DE,pt;q=0.9,en;q=0.8')).toBe('pt-BR');
		expect(acceptedLanguage('en;q=0.5, pt-BR')).toBe('pt-BR');
		expect(acceptedLanguage('es-MX, es;q=0.9')).toBe('es');
		expect(acceptedLanguage('es;q=0, pt-BR;q=0.1')).toBe('pt-BR');
		expect(acceptedLanguage('*')).toBe('en');
		expect(acceptedLanguage('fr')).toBe('en');
		expect(acceptedLanguage('')).toBe('en');
		expect(acceptedLanguage(undefined)).toBe('en');
	});

	it("translates a phrase in a placeholder in the same language (what a field of an integrator's request should hold)", () => {
		const params = { field: 'async', type: phrase('expected_boolean') };
		expect(translate('en', 'api_error_field_type', params)).toBe('Invalid field "async": expected true or false.');
		expect(translate('es', 'api_error_field_type', params)).toBe('Campo "async" no válido: se esperaba true o false.');
		const max = { field: 'clientReference', type: phrase('expected_text_max', { max: 256 }) };
		expect(translate('pt-BR', 'api_error_field_type', max)).toBe(
			'Campo "clientReference" inválido: esperado um texto não vazio de no máximo 256 caracteres.',
		);
	});
});
