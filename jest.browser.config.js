/**
 * `npm run test:browser`: the web console in a real browser (Debian's Chromium driven by playwright-core).
 * Its own config: `npm test`'s jest.config.js matches `*.test.ts` only, so these `*.browser.ts` files stay out of it.
 */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/browser'],
	testMatch: ['**/*.browser.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	setupFiles: ['<rootDir>/tools/engine/jest-engine.js'],
	// One sandbox (a Deno process) and one browser at a time.
	maxWorkers: 1,
	testTimeout: 240000,
	forceExit: true,
};
