/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	// End-to-end suites start a Deno process each; two workers fit this project's 2-core machines.
	maxWorkers: 2,
	testTimeout: 60000,
	// The harness's and the simulator's fidelity suites run first (tools/jest-sequencer.js).
	testSequencer: '<rootDir>/tools/jest-sequencer.js',
	// A failed set-up must not leave CI waiting on a Deno subprocess or a loopback server.
	forceExit: true,
};
