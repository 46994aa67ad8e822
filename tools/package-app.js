#!/usr/bin/env node
/*
 * `npm run package`: builds dist/<nameSlug>_<version>.zip with the real `rc-apps package`.
 * rc-apps compiles every .ts below the folder it runs in (tests and tools included), so the app's own
 * files are staged in build/app first, with node_modules linked so the compiler finds TypeScript and
 * the engine definitions.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const stage = path.join(root, 'build', 'app');
const SHIPPED = ['app.json', 'WhatsAppApp.ts', 'src', 'i18n', 'icon.png', 'package.json', 'tsconfig.json'];

fs.rmSync(stage, { recursive: true, force: true });
fs.mkdirSync(stage, { recursive: true });
for (const entry of SHIPPED) {
	fs.cpSync(path.join(root, entry), path.join(stage, entry), { recursive: true });
}
fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');

// rc-apps rewrites app.json's requiredApiVersion to the engine range of package.json. The project pins
// the engine it builds and tests with (1.62.0); the app itself declares the floor it supports.
const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'));
const stagedPackagePath = path.join(stage, 'package.json');
const stagedPackage = JSON.parse(fs.readFileSync(stagedPackagePath, 'utf8'));
stagedPackage.devDependencies['@rocket.chat/apps-engine'] = app.requiredApiVersion;
fs.writeFileSync(stagedPackagePath, JSON.stringify(stagedPackage, null, 2) + '\n');

const cli = path.join(root, 'node_modules', '@rocket.chat', 'apps-cli', 'bin', 'run');
execFileSync(process.execPath, [cli, 'package'], { cwd: stage, stdio: 'inherit' });

const zipName = `${app.nameSlug}_${app.version}.zip`;
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
fs.copyFileSync(path.join(stage, 'dist', zipName), path.join(root, 'dist', zipName));
console.log(`packaged dist/${zipName}`);
