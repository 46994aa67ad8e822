/*
 * Jest set-up (setupFiles): the engine APPS_ENGINE selects spawns the Deno that Rocket.Chat ran it on.
 * Engines below 1.60 ran on Deno 1.x: tools/engine/deno-1 goes first on PATH, before node_modules/.bin
 * (whose `deno` is Deno 2, for 1.62), so that the harness, which puts node_modules/.bin on PATH when
 * it is missing, finds it there already and leaves the order alone.
 */
'use strict';
const path = require('path');

const { ROOT, denoBinDir, selectedEngine } = require('./engines');

const first = denoBinDir(selectedEngine());
if (first) {
	const bin = path.join(ROOT, 'node_modules', '.bin');
	const rest = (process.env.PATH || '').split(path.delimiter).filter((dir) => dir !== first && dir !== bin);
	process.env.PATH = [first, bin, ...rest].join(path.delimiter);
}
