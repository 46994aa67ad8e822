const fs = require('fs');
const path = require('path');

const { selectedEngine } = require('./tools/engine/engines');

/**
 * `APPS_ENGINE=<version>` runs the tests on another installed engine (tools/engine/engines.js): the
 * engine's modules are mapped to its `apps-engine-<version>` alias package. Types still compile against
 * the pinned engine. A harness import of a bridge module the older engine lacks maps to a stand-in.
 */
function engineModuleMapper() {
	const engine = selectedEngine();
	if (engine.pinned) return {};
	const bridges = path.join('server', 'bridges');
	const absent = ['ExperimentalBridge', 'OutboundMessagesBridge'].filter(
		(name) => !fs.existsSync(path.join(engine.dir, bridges, `${name}.js`)),
	);
	return {
		...Object.fromEntries(
			absent.map((name) => [`^@rocket\\.chat/apps-engine/server/bridges/${name}$`, '<rootDir>/tools/engine/absent-bridges.js']),
		),
		'^@rocket\\.chat/apps-engine/(.*)$': `<rootDir>/node_modules/${engine.packageName}/$1`,
	};
}

/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	moduleNameMapper: engineModuleMapper(),
	// The selected engine's Deno first on PATH (Deno 1.46.3 for engines below 1.60).
	setupFiles: ['<rootDir>/tools/engine/jest-engine.js'],
	// End-to-end suites start a Deno process each; two workers fit this project's 2-core machines.
	maxWorkers: 2,
	testTimeout: 60000,
	// The harness's and the simulator's fidelity suites run first (tools/jest-sequencer.js).
	testSequencer: '<rootDir>/tools/jest-sequencer.js',
	// A failed set-up must not leave CI waiting on a Deno subprocess or a loopback server.
	forceExit: true,
};
