#!/usr/bin/env node
/*
 * Rocket.Chat's composer writes an emoji picked from its picker, or completed after a colon, as a
 * shortname (`:grinning:`), and Rocket.Chat shows it through emojione, the library it uses (its
 * `emojione` dependency, 4.5; `shortnameToUnicode` turns them into characters for notifications).
 * WhatsApp would show the shortname as text. This script writes emojione's table (each shortname
 * `shortnameToUnicode` converts, and its character sequence) into src/core/outbound/emoji.ts, which the app
 * carries (an app can load no npm package at run time). `node tools/emoji-table.js` writes it;
 * `--check` exits 1 when the file is out of date.
 */
'use strict';
const path = require('path');
const { writeOrCheck } = require('./generated-file');
const emojione = require('emojione');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'src', 'core', 'outbound', 'emoji.ts');
const version = require('emojione/package.json').version;

function render() {
	const table = {};
	for (const [shortname, entry] of Object.entries(emojione.emojioneList)) {
		// Only what shortnameToUnicode converts (the primary shortnames: Rocket.Chat's picker and
		// completion write those), as the fully qualified sequence (`uc_output`, with its
		// variation selectors): a phone shows ❤️ as the emoji, not as a text glyph.
		if (emojione.shortnameToUnicode(shortname) === shortname) continue;
		table[shortname.slice(1, -1)] = String.fromCodePoint(...entry.uc_output.split('-').map((hex) => parseInt(hex, 16)));
	}
	const names = Object.keys(table).sort();
	return [
		`// Generated from emojione ${version} by tools/emoji-table.js. Do not edit.`,
		"/** Rocket.Chat's shortnames (without colons) that emojione converts, to their fully qualified emoji. */",
		'export const EMOJI: Record<string, string> = {',
		...names.map((n) => `\t${JSON.stringify(n)}: ${JSON.stringify(table[n])},`),
		'};',
		'',
	].join('\n');
}

writeOrCheck(target, render(), path.join(__dirname, 'emoji-table.js'));
