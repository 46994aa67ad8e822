#!/usr/bin/env node
/*
 * Prepares the Deno runtime of every runnable Apps-Engine this project installs (tools/engine/engines.js:
 * the pinned @rocket.chat/apps-engine and the `apps-engine-<version>` aliases) so that it runs on this
 * project's machines, which reach the npm registry and nothing else. Run by `npm install` / `npm ci`
 * (postinstall); idempotent. For each engine:
 *
 *  1. The runtime imports jsr:@std modules (jsr is unreachable): each one its deno.jsonc maps is
 *     mapped to a small local module in ./std (STD_SHIMS), copied inside the engine folder (the
 *     runtime may only read there). 1.53-1.59 import @std/cli from jsr and `writeAll` from a deno.land
 *     URL (URL_SHIMS); 1.62 imports @std/cli, @std/io and @std/streams from jsr.
 *  2. Version-specific source fixes (SOURCE_FIXES), each applied where its broken text is found.
 *  3. Fill the runtime's Deno cache, with the Deno major version Rocket.Chat ran that engine on
 *     (engines.js: Deno 1.46.3 up to 1.59, the `deno` package's Deno 2 from 1.62) (DENO_DIR = <engine>/.deno-cache, the engine's default) from the
 *     npm registry, so that the engine's `deno run` (`--cached-only` from 1.55) works offline afterwards.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const { ROOT, denoBinDir, installedEngines } = require('./engines');

const denoBin = require.resolve('deno/bin.cjs');

/** A jsr import-map key of the runtime -> the local stand-ins that replace it (only what the runtime calls). */
const STD_SHIMS = {
	'@std/cli': { '@std/cli/parse-args': './harness-std/parse-args.ts' },
	'@std/io': { '@std/io': './harness-std/io.ts' },
	'@std/streams': { '@std/streams': './harness-std/streams.ts' },
};

/** URLs the runtime imports from deno.land (unreachable) -> local stand-ins, added to its import map. 1.53-1.59 import `writeAll` this way. */
const URL_SHIMS = {
	'https://deno.land/std@0.216.0/io/write_all.ts': './harness-std/io.ts',
};

/** Fixes to a tarball's runtime sources: where it is known to need them, and what they replace. */
const SOURCE_FIXES = [
	{
		// 1.62.0 imports the exception class as a value from a .ts file the package does not ship
		// (only the compiled .js): load the .js through the runtime's own `require`, as its other files do.
		versions: ['1.62.0'],
		file: 'handlers/app/handleUploadEvents.ts',
		broken: "import { AppsEngineException } from '@rocket.chat/apps-engine/definition/exceptions/AppsEngineException.ts';",
		fixed: [
			"import { require } from '../../lib/require.ts';",
			"const { AppsEngineException } = require('@rocket.chat/apps-engine/definition/exceptions/AppsEngineException.js');",
		].join('\n'),
	},
];

function patchImportMap(runtimeDir) {
	const shimDir = path.join(runtimeDir, 'harness-std');
	fs.mkdirSync(shimDir, { recursive: true });
	for (const file of fs.readdirSync(path.join(__dirname, 'std'))) {
		fs.copyFileSync(path.join(__dirname, 'std', file), path.join(shimDir, file));
	}
	const configPath = path.join(runtimeDir, 'deno.jsonc');
	const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
	for (const [key, shims] of Object.entries(STD_SHIMS)) {
		if (!config.imports[key]) continue;
		delete config.imports[key];
		Object.assign(config.imports, shims);
	}
	Object.assign(config.imports, URL_SHIMS);
	const left = Object.entries(config.imports).filter(([, target]) => String(target).startsWith('jsr:'));
	if (left.length) throw new Error(`${configPath}: jsr imports without a local stand-in: ${left.map(([k]) => k).join(', ')}`);
	fs.writeFileSync(configPath, JSON.stringify(config, null, '\t') + '\n');
	// The shipped lock file pins the jsr modules; the cache below writes a lock for the map above.
	fs.rmSync(path.join(runtimeDir, 'deno.lock'), { force: true });
}

function applySourceFixes(runtimeDir) {
	for (const fix of SOURCE_FIXES) {
		const file = path.join(runtimeDir, fix.file);
		if (!fs.existsSync(file)) continue;
		const source = fs.readFileSync(file, 'utf8');
		if (source.includes(fix.broken)) fs.writeFileSync(file, source.replace(fix.broken, fix.fixed));
	}
}

/** The platform package ships the binary without its execute bit (the `deno` package's install script sets it: install_api.cjs `chmodX`). */
function makeExecutable(file) {
	if (!fs.existsSync(file))
		throw new Error(`${file} is missing: Deno 1.46.3 (optionalDependency deno-1.46.3) installs on Linux x64 only`);
	fs.chmodSync(file, fs.statSync(file).mode | 0o111);
}

function fillCache(engine, runtimeDir) {
	const denoDir = process.env.DENO_DIR || path.join(engine.dir, '.deno-cache');
	const env = { ...process.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1' };
	if (engine.deno === 1) {
		// Deno 1.46.3 through the engine's own `deno` (tools/engine/deno-1/deno); Deno 1 trusts only its own
		// CA list unless told to use the system's (the registry may be reached through a proxy the system trusts).
		makeExecutable(path.join(ROOT, 'node_modules', 'deno-1.46.3', 'deno'));
		const deno1 = path.join(denoBinDir(engine), 'deno');
		execFileSync(deno1, ['cache', '--config=deno.jsonc', 'main.ts'], {
			cwd: runtimeDir,
			env: { ...env, DENO_TLS_CA_STORE: 'system,mozilla' },
			stdio: 'inherit',
		});
		return denoDir;
	}
	execFileSync(process.execPath, [denoBin, 'install', '--node-modules-dir=none', '--config=deno.jsonc', '--entrypoint', 'main.ts'], {
		cwd: runtimeDir,
		env,
		stdio: 'inherit',
	});
	return denoDir;
}

for (const engine of installedEngines()) {
	if (!engine.runnable) {
		console.log(`apps-engine ${engine.version} (${engine.packageName}): type definitions only, nothing to prepare`);
		continue;
	}
	const runtimeDir = path.join(engine.dir, 'deno-runtime');
	patchImportMap(runtimeDir);
	applySourceFixes(runtimeDir);
	const denoDir = fillCache(engine, runtimeDir);
	console.log(
		`apps-engine ${engine.version} Deno ${engine.deno} runtime ready (${engine.packageName}, DENO_DIR=${path.relative(process.cwd(), denoDir)})`,
	);
}
