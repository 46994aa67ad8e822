// @ts-check
const eslint = require('@eslint/js');
const tseslint = require('typescript-eslint');
const boundaries = require('eslint-plugin-boundaries');

module.exports = tseslint.config(
	{ ignores: ['node_modules/', 'dist/', 'build/', 'coverage/', 'tools/engine/std/'] },
	eslint.configs.recommended,
	...tseslint.configs.recommended,
	{
		files: ['**/*.ts'],
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
			'@typescript-eslint/no-require-imports': 'off',
			'no-console': 'off',
		},
	},
	{
		files: ['**/*.js'],
		languageOptions: {
			sourceType: 'commonjs',
			globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
		},
		rules: { '@typescript-eslint/no-require-imports': 'off' },
	},
	{
		// The app runs inside Rocket.Chat's Deno runtime, where only node built-ins may be loaded.
		files: ['WhatsAppApp.ts', 'src/**/*.ts'],
		rules: { 'no-console': 'error' },
	},
	{
		// The layers, top to bottom (docs/architecture.md): the app class wires; entry points adapt
		// engine calls; adapters implement the ports over the engine's accessors; the application
		// services put each feature's steps together; the domain core is plain TypeScript. An import
		// may only go down (or stay in its layer); the core never reaches Apps-Engine.
		files: ['WhatsAppApp.ts', 'src/**/*.ts'],
		plugins: { boundaries },
		settings: {
			'import/resolver': { node: { extensions: ['.ts'] } },
			'boundaries/include': ['WhatsAppApp.ts', 'src/**/*.ts'],
			'boundaries/elements': [
				{ type: 'app', pattern: 'WhatsAppApp.ts', mode: 'full' },
				{ type: 'entry', pattern: 'src/entry/**', mode: 'full' },
				{ type: 'adapters', pattern: 'src/adapters/**', mode: 'full' },
				{ type: 'services', pattern: 'src/core/app/**', mode: 'full' },
				{ type: 'core', pattern: 'src/core/**', mode: 'full' },
			],
		},
		rules: {
			'boundaries/no-unknown-files': 'error',
			'boundaries/dependencies': [
				'error',
				{
					default: 'disallow',
					rules: [
						{ from: { type: 'app' }, allow: { to: { type: ['entry', 'adapters', 'services', 'core'] } } },
						{ from: { type: 'entry' }, allow: { to: { type: ['entry', 'adapters', 'services', 'core'] } } },
						{ from: { type: 'adapters' }, allow: { to: { type: ['adapters', 'services', 'core'] } } },
						{ from: { type: 'services' }, allow: { to: { type: ['services', 'core'] } } },
						{ from: { type: 'core' }, allow: { to: { type: 'core' } } },
					],
				},
			],
		},
	},
	{
		files: ['src/core/**/*.ts'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['@rocket.chat/*'],
							message: 'The core is plain TypeScript: Apps-Engine stays in src/adapters and src/entry.',
						},
					],
				},
			],
		},
	},
);
