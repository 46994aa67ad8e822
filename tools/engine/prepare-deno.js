#!/usr/bin/env node
/*
 * Prepares @rocket.chat/apps-engine 1.62.0's Deno runtime so that it runs on this project's machines,
 * which reach the npm registry and nothing else. Run by `npm install` / `npm ci` (postinstall); idempotent.
 *
 *  1. The runtime imports three jsr:@std modules (jsr is unreachable): map them to the small local
 *     modules in ./std, copied inside the engine folder (the runtime may only read there).
 *  2. The 1.62.0 tarball imports `definition/exceptions/AppsEngineException.ts` as a value, but ships
 *     only the compiled .js: load the .js through the runtime's own `require`, as its other files do.
 *  3. Fill the runtime's Deno cache (DENO_DIR = <engine>/.deno-cache, the engine's default) from the
 *     npm registry, so the engine's `deno run --cached-only` works offline afterwards.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const engineDir = path.dirname(require.resolve('@rocket.chat/apps-engine/package.json'));
const runtimeDir = path.join(engineDir, 'deno-runtime');
const configPath = path.join(runtimeDir, 'deno.jsonc');
const denoBin = require.resolve('deno/bin.cjs');
const denoDir = process.env.DENO_DIR || path.join(engineDir, '.deno-cache');

function patchImportMap() {
	const shimDir = path.join(runtimeDir, 'harness-std');
	fs.mkdirSync(shimDir, { recursive: true });
	for (const file of fs.readdirSync(path.join(__dirname, 'std'))) {
		fs.copyFileSync(path.join(__dirname, 'std', file), path.join(shimDir, file));
	}
	const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
	delete config.imports['@std/cli'];
	config.imports['@std/cli/parse-args'] = './harness-std/parse-args.ts';
	config.imports['@std/io'] = './harness-std/io.ts';
	config.imports['@std/streams'] = './harness-std/streams.ts';
	fs.writeFileSync(configPath, JSON.stringify(config, null, '\t') + '\n');
	// The shipped lock file pins the jsr modules; the cache below writes a lock for the map above.
	fs.rmSync(path.join(runtimeDir, 'deno.lock'), { force: true });
}

function patchUploadHandler() {
	const file = path.join(runtimeDir, 'handlers', 'app', 'handleUploadEvents.ts');
	const source = fs.readFileSync(file, 'utf8');
	const broken = "import { AppsEngineException } from '@rocket.chat/apps-engine/definition/exceptions/AppsEngineException.ts';";
	if (!source.includes(broken)) return;
	const fixed = [
		"import { require } from '../../lib/require.ts';",
		"const { AppsEngineException } = require('@rocket.chat/apps-engine/definition/exceptions/AppsEngineException.js');",
	].join('\n');
	fs.writeFileSync(file, source.replace(broken, fixed));
}

function fillCache() {
	execFileSync(process.execPath, [denoBin, 'install', '--node-modules-dir=none', `--config=${configPath}`, '--entrypoint', 'main.ts'], {
		cwd: runtimeDir,
		env: { ...process.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: '1' },
		stdio: 'inherit',
	});
}

patchImportMap();
patchUploadHandler();
fillCache();
console.log(`apps-engine Deno runtime ready (DENO_DIR=${denoDir})`);
