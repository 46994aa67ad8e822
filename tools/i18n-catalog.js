#!/usr/bin/env node
/*
 * i18n/*.json are the source of every user-facing text. Rocket.Chat reads them for settings and
 * command descriptions; texts the app itself writes (modals, room notices, API errors) need them at
 * run time, where an app can load no files. This script writes them into src/core/i18n/catalog.ts.
 * `node tools/i18n-catalog.js` writes it; `--check` exits 1 when the file is out of date.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { writeOrCheck } = require('./generated-file');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'src', 'core', 'i18n', 'catalog.ts');

function render() {
	const dir = path.join(root, 'i18n');
	const languages = fs
		.readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.sort();
	const catalog = {};
	for (const file of languages) catalog[file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
	return [
		'// Generated from i18n/*.json by tools/i18n-catalog.js (run by `npm run package`). Do not edit.',
		'export const CATALOG: Record<string, Record<string, string>> = ' + JSON.stringify(catalog, null, '\t') + ';',
		'',
	].join('\n');
}

writeOrCheck(target, render(), path.join(__dirname, 'i18n-catalog.js'));
