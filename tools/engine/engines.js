/*
 * The Apps-Engine versions this project installs, and which one a test run uses.
 *
 * The pinned engine is `@rocket.chat/apps-engine` (package-lock decides its version; the app is
 * packaged and typechecked against it). Other engines are devDependencies under npm aliases,
 * `"apps-engine-<version>": "npm:@rocket.chat/apps-engine@<version>"`. An engine is runnable when its
 * tarball ships the server half (`server/`, `deno-runtime/`): the npm registry has that up to 1.62.0;
 * 1.65.1 and 1.66.0 ship only `definition/` (types), so they are typechecked, not run.
 *
 * `APPS_ENGINE=<version>` selects the engine the tests run on (jest.config.js maps
 * `@rocket.chat/apps-engine/*` to it); unset, they run on the pinned one.
 *
 * Plain CommonJS, read by jest.config.js, prepare-deno.js and matrix.js.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const PINNED = '@rocket.chat/apps-engine';
const ALIAS = /^npm:@rocket\.chat\/apps-engine@(\d+\.\d+\.\d+)$/;

/**
 * @typedef {{ version: string, packageName: string, dir: string, runnable: boolean, pinned: boolean, deno: 1 | 2 | undefined }} Engine
 * `deno`: the Deno major version Rocket.Chat ran the engine on. Engines that run `deno-runtime/main.ts`
 * from inside node_modules (up to 1.59; their deno.lock is version 3) ran on Deno 1.x; from 1.62 the
 * engine links the runtime out of node_modules and passes `--config`, because Deno 2 refuses to run
 * TypeScript inside node_modules.
 */

/** @returns {Engine | undefined} */
function engineIn(packageName, pinned) {
	const dir = path.join(ROOT, 'node_modules', packageName);
	const manifest = path.join(dir, 'package.json');
	if (!fs.existsSync(manifest)) return undefined;
	const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
	const runnable = fs.existsSync(path.join(dir, 'deno-runtime', 'main.ts')) && fs.existsSync(path.join(dir, 'server', 'AppManager.js'));
	return { version, packageName, dir, runnable, pinned, deno: runnable ? denoMajorOf(dir) : undefined };
}

function denoMajorOf(dir) {
	const runtime = fs.readFileSync(path.join(dir, 'server', 'runtime', 'deno', 'AppsEngineDenoRuntime.js'), 'utf8');
	return runtime.includes('getDenoConfigPath') ? 2 : 1;
}

/** The folder to put first on PATH so that the engine's `deno` is the Deno it ran on (undefined: node_modules/.bin's Deno 2). */
function denoBinDir(engine) {
	return engine.deno === 1 ? path.join(__dirname, 'deno-1') : undefined;
}

/** Every engine package.json declares (the pinned one and the aliases), as installed, oldest first. */
function installedEngines() {
	const { devDependencies = {} } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	const aliases = Object.entries(devDependencies)
		.filter(([, spec]) => ALIAS.test(spec))
		.map(([name]) => engineIn(name, false));
	const all = [engineIn(PINNED, true), ...aliases].filter(Boolean);
	return all.sort((a, b) => compareVersions(a.version, b.version));
}

function compareVersions(a, b) {
	const [x, y] = [a, b].map((v) => v.split('.').map(Number));
	for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
	return 0;
}

/** The engine `APPS_ENGINE` names (the pinned one when unset); throws on a version that is not installed or cannot run. */
function selectedEngine(env = process.env) {
	const engines = installedEngines();
	const wanted = env.APPS_ENGINE;
	if (!wanted) return engines.find((e) => e.pinned);
	const engine = engines.find((e) => e.version === wanted);
	if (!engine) {
		throw new Error(
			`APPS_ENGINE=${wanted}: not installed; installed: ${engines.map((e) => e.version).join(', ')} (package.json devDependencies)`,
		);
	}
	if (!engine.runnable) throw new Error(`APPS_ENGINE=${wanted}: its npm package ships only type definitions, no server or Deno runtime`);
	return engine;
}

module.exports = { ROOT, installedEngines, selectedEngine, compareVersions, denoBinDir };
