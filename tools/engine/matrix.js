#!/usr/bin/env node
/*
 * `npm run test:engines`: the end-to-end suite on each runnable engine, and the typecheck at the
 * ceiling, as one table (version x suites and tests passed/failed, and time).
 *
 *   node tools/engine/matrix.js [test paths...]
 *
 * - Engines: MATRIX_ENGINES (comma-separated versions), by default every runnable installed engine
 *   (tools/engine/engines.js: 1.53.1, 1.59.0 and the pinned 1.62.0), one after the other, each with
 *   `APPS_ENGINE=<version> jest <paths>` (the packaged zip must exist: `npm run package` first).
 * - Paths: the arguments, by default test/e2e and test/harness (everything that runs the engine).
 * - The ceiling: 1.66.0, the newest engine, ships only type definitions on npm, so it is typechecked
 *   (tsconfig.ceiling.json), not run. MATRIX_CEILING=0 leaves it out.
 *
 * Each engine's jest output goes to a log file (printed at the end with the failing tests); the exit
 * code is 1 when any row failed.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const { ROOT, installedEngines } = require('./engines');

const DEFAULT_PATHS = ['test/e2e', 'test/harness'];
const CEILING_CONFIG = 'tsconfig.ceiling.json';

function enginesToRun() {
	const runnable = installedEngines().filter((e) => e.runnable);
	if (!process.env.MATRIX_ENGINES) return runnable;
	return process.env.MATRIX_ENGINES.split(',').map((version) => {
		const engine = runnable.find((e) => e.version === version.trim());
		if (!engine)
			throw new Error(`MATRIX_ENGINES: ${version} is not a runnable installed engine (${runnable.map((e) => e.version).join(', ')})`);
		return engine;
	});
}

function runJest(engine, paths, logDir) {
	const outputFile = path.join(logDir, `jest-${engine.version}.json`);
	const logFile = path.join(logDir, `jest-${engine.version}.log`);
	const started = Date.now();
	const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
	const run = spawnSync(process.execPath, [jest, '--json', `--outputFile=${outputFile}`, ...paths], {
		cwd: ROOT,
		env: { ...process.env, APPS_ENGINE: engine.version },
		encoding: 'utf8',
		maxBuffer: 256 * 1024 * 1024,
	});
	fs.writeFileSync(logFile, `${run.stdout}\n${run.stderr}`);
	const seconds = (Date.now() - started) / 1000;
	if (!fs.existsSync(outputFile))
		return { label: labelOf(engine), ok: false, seconds, note: `jest did not report (exit ${run.status})`, logFile };
	const r = JSON.parse(fs.readFileSync(outputFile, 'utf8'));
	const failedTests = r.testResults.flatMap((s) =>
		s.assertionResults.filter((a) => a.status === 'failed').map((a) => `${path.relative(ROOT, s.name)}: ${a.fullName}`),
	);
	const brokenSuites = r.testResults.filter((s) => s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed'));
	return {
		label: labelOf(engine),
		ok: r.success,
		seconds,
		suites: `${r.numPassedTestSuites} passed, ${r.numFailedTestSuites} failed`,
		tests: `${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ''}`,
		failures: [...failedTests, ...brokenSuites.map((s) => `${path.relative(ROOT, s.name)}: ${String(s.message).split('\n')[0]}`)],
		logFile,
	};
}

function labelOf(engine) {
	return `${engine.version}${engine.pinned ? ' (pinned)' : ''} on Deno ${engine.deno}`;
}

function typecheckCeiling() {
	const ceiling = installedEngines().find((e) => !e.runnable);
	if (!ceiling || !fs.existsSync(path.join(ROOT, CEILING_CONFIG))) return undefined;
	const started = Date.now();
	const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
	const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', CEILING_CONFIG], { cwd: ROOT, encoding: 'utf8' });
	const errors = (run.stdout.match(/error TS\d+/g) || []).length;
	return {
		label: `${ceiling.version} (types only)`,
		ok: run.status === 0,
		seconds: (Date.now() - started) / 1000,
		suites: 'typecheck',
		tests: run.status === 0 ? 'no error' : `${errors} errors`,
		failures: run.status === 0 ? [] : run.stdout.split('\n').filter(Boolean).slice(0, 20),
	};
}

function printTable(rows) {
	const header = ['engine', 'result', 'suites', 'tests', 'time'];
	const lines = rows.map((r) => [r.label, r.ok ? 'PASS' : 'FAIL', r.suites ?? r.note ?? '', r.tests ?? '', `${Math.round(r.seconds)} s`]);
	const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
	const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	console.log([row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n'));
}

function main() {
	const paths = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_PATHS;
	const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-matrix-'));
	const started = Date.now();
	const rows = [];
	for (const engine of enginesToRun()) {
		console.log(`engine ${labelOf(engine)}: jest ${paths.join(' ')} ...`);
		const result = runJest(engine, paths, logDir);
		console.log(`  ${result.ok ? 'passed' : `FAILED (log: ${result.logFile})`} in ${Math.round(result.seconds)} s`);
		rows.push(result);
	}
	if (process.env.MATRIX_CEILING !== '0') {
		console.log(`ceiling: tsc -p ${CEILING_CONFIG} ...`);
		const ceiling = typecheckCeiling();
		if (ceiling) rows.push(ceiling);
	}
	console.log(`\nApps-Engine matrix (${paths.join(' ')}), ${Math.round((Date.now() - started) / 1000)} s in all:\n`);
	printTable(rows);
	for (const r of rows.filter((x) => x.failures && x.failures.length)) {
		console.log(`\n${r.label} failures:\n${r.failures.map((f) => `  - ${f}`).join('\n')}`);
	}
	const ok = rows.every((r) => r.ok);
	// A failed run keeps its logs (their paths are printed above); a green run leaves nothing behind.
	if (ok) fs.rmSync(logDir, { recursive: true, force: true });
	process.exitCode = ok ? 0 : 1;
}

main();
