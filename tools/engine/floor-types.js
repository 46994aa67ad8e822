#!/usr/bin/env node
/*
 * The type definitions of the oldest Apps-Engine this app supports, for `npm run typecheck:floor`.
 *
 * app.json asks for `^1.47.0`. 1.47.0 is not on the npm registry; 1.46.0 is the closest below it,
 * so the floor typecheck uses its `definition/` folder (types only). It is not a dependency: the
 * 1.46.0 package depends on `deno-bin`, whose install script downloads Deno from GitHub (out of
 * reach here), and on a `@rocket.chat/ui-kit@next` peer that the registry no longer has. `npm pack`
 * fetches the tarball from the registry (integrity-checked against it) without installing it.
 *
 * Run by `npm install` / `npm ci` (postinstall); idempotent. Writes node_modules/.engine-floor/<version>/definition.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const VERSION = '1.46.0';
const target = path.join(__dirname, '..', '..', 'node_modules', '.engine-floor', VERSION);

function fetchDefinitions() {
	if (fs.existsSync(path.join(target, 'definition', 'App.d.ts'))) return;
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-floor-'));
	try {
		const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
		const name = execFileSync(npm, ['pack', `@rocket.chat/apps-engine@${VERSION}`, '--pack-destination', work, '--silent'], {
			encoding: 'utf8',
		}).trim();
		execFileSync('tar', ['-xzf', path.join(work, name.split('\n').pop()), '-C', work, 'package/definition', 'package/package.json']);
		fs.rmSync(target, { recursive: true, force: true });
		fs.mkdirSync(path.dirname(target), { recursive: true });
		fs.renameSync(path.join(work, 'package'), target);
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

fetchDefinitions();
console.log(`engine floor types: ${path.relative(process.cwd(), target)}/definition (@rocket.chat/apps-engine@${VERSION})`);
