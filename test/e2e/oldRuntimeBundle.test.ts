/**
 * The packaged app as the Deno runtimes of Rocket.Chat 7.0–7.9 take it (engines 1.47–1.54).
 *
 * rc-apps ships one JavaScript file per source file, so every engine bundles the app with esbuild
 * before running it (`bundleLegacyApp`, server/runtime/deno/bundler.js: the same code in 1.53.1
 * and 1.62.0). Before running the bundle, the older runtimes look for three words of deprecated
 * APIs and, when one appears, re-parse the whole bundle with acorn at ECMAScript 2017
 * (deno-runtime/lib/sanitizeDeprecatedUsage.ts and lib/ast/mod.ts of 1.53.1; 1.59 parses at
 * "latest"). esbuild's output uses newer syntax (`catch{}`), so that parse fails and the app does
 * not install. This test runs the engine's own bundling of dist/'s zip and applies that check.
 */
import fs from 'fs';

import { parse } from 'acorn';
import { AppPackageParser } from '@rocket.chat/apps-engine/server/compiler/AppPackageParser';
import { bundleLegacyApp } from '@rocket.chat/apps-engine/server/runtime/deno/bundler';

import { packagedZipPath } from '../../tools/harness/AppHarness';

/** The words that make the 1.47–1.54 runtimes re-parse the bundle (sanitizeDeprecatedUsage.ts). */
const REPARSE_TRIGGERS = ['.usernames', '.isOnline(', '.createToken('];

/** Whether the old runtimes run `source` as it is: no trigger word, or a bundle acorn parses at ES2017 with their options. */
function acceptedByOldRuntimes(source: string): { ok: boolean; triggers: string[]; error?: string } {
	const triggers = REPARSE_TRIGGERS.filter((word) => source.includes(word));
	if (!triggers.length) return { ok: true, triggers };
	try {
		parse(source, {
			ecmaVersion: 2017,
			allowReserved: true,
			allowReturnOutsideFunction: true,
			allowImportExportEverywhere: true,
			allowAwaitOutsideFunction: true,
			allowSuperOutsideMethod: true,
		});
		return { ok: true, triggers };
	} catch (error) {
		return { ok: false, triggers, error: (error as Error).message };
	}
}

async function bundledApp(): Promise<string> {
	const appPackage = await new AppPackageParser().unpackageApp(fs.readFileSync(packagedZipPath()));
	expect(Object.keys(appPackage.files).length).toBeGreaterThan(1);
	await bundleLegacyApp(appPackage);
	return appPackage.files[appPackage.info.classFile];
}

describe('the packaged app on the Deno runtimes of Rocket.Chat 7.0–7.9', () => {
	let bundle: string;
	beforeAll(async () => {
		bundle = await bundledApp();
	});

	it('bundles with the engine’s own bundler into one file the old runtimes run as it is', () => {
		expect(bundle.length).toBeGreaterThan(10000);
		expect(acceptedByOldRuntimes(bundle)).toEqual({ ok: true, triggers: [] });
	});

	it('would be refused if a trigger word appeared: the bundle is newer than ES2017', () => {
		const verdict = acceptedByOldRuntimes(`${bundle}\nfunction probe(room){return room.usernames}`);
		expect(verdict).toEqual({ ok: false, triggers: ['.usernames'], error: expect.stringMatching(/Unexpected token/) });
	});
});
