// @ts-check
const eslint = require('@eslint/js');
const tseslint = require('typescript-eslint');

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
		languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
		rules: { '@typescript-eslint/no-require-imports': 'off' },
	},
	{
		// The app runs inside Rocket.Chat's Deno runtime, where only node built-ins may be loaded.
		files: ['WhatsAppApp.ts', 'src/**/*.ts'],
		rules: { 'no-console': 'error' },
	},
);
