#!/usr/bin/env node
/*
 * Structural figures of the app's source, for a before/after comparison of a restructuring.
 * The source is WhatsAppApp.ts plus every .ts under src/, minus the generated i18n catalog
 * (any file whose first line starts with "// Generated from i18n").
 *
 *   node tools/arch/figures.js [repoRoot] [--json]
 *
 * repoRoot defaults to the repository this script lives in; it may be any checkout, e.g. a
 * `git worktree` of an older commit. See tools/arch/README.md for what each figure means.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const root = path.resolve(args.find((a) => !a.startsWith('--')) || path.join(__dirname, '..', '..'));
const srcDir = path.join(root, 'src');
const LONG_LINE = 160;
const ENGINE = '@rocket.chat/apps-engine';

// ---- Collect the source files --------------------------------------------------------------
function walk(dir) {
	if (!fs.existsSync(dir)) return [];
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) return e.name === 'node_modules' ? [] : walk(p);
		return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
	});
}
const candidates = [path.join(root, 'WhatsAppApp.ts'), ...walk(srcDir).sort()].filter((f) => fs.existsSync(f));
const files = candidates
	.map((abs) => ({ abs, rel: path.relative(root, abs).split(path.sep).join('/'), text: fs.readFileSync(abs, 'utf8') }))
	.filter((f) => !f.text.startsWith('// Generated from i18n'));
if (!files.length) throw new Error(`no source found under ${root}`);
const known = new Set(files.map((f) => f.abs));

/** Lines of a text, not counting the empty "line" after a final newline. */
const linesOf = (text) => text.replace(/\r?\n$/, '').split(/\r?\n/);

/** Folder of a file under src/: its first segment, or core/<segment> inside src/core. */
function folderOf(abs) {
	const segs = path.relative(srcDir, abs).split(path.sep);
	if (segs[0] === '..' || path.isAbsolute(segs[0])) return null; // outside src/
	if (segs.length === 1) return '(root)';
	if (segs[0] !== 'core') return segs[0];
	return segs.length === 2 ? 'core/(root)' : `core/${segs[1]}`;
}

/** Resolves a relative specifier to a file: x.ts, x/index.ts, or x itself (x.js written for x.ts too). */
function resolve(fromAbs, spec) {
	const base = path.resolve(path.dirname(fromAbs), spec);
	const tries = [base, `${base}.ts`, path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')];
	return tries.find((p) => known.has(p)) || tries.find((p) => fs.existsSync(p) && fs.statSync(p).isFile()) || `${base}.ts`;
}

// ---- Walk every file's AST -----------------------------------------------------------------
const functions = []; // { name, where, lines }
const settings = { app: [], server: [], getValueById: { total: 0, appSettings: 0, serverSettings: 0, other: [] } };
const imports = []; // { from, spec, target (absolute path, or null for a package), typeOnly }
const longLines = { count: 0, max: 0, where: null };

/** Name of a declaration's name node (identifier, string literal, computed -> its text). */
const nameText = (n) =>
	n ? (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n) ? n.text : n.getText()) : '(anonymous)';
/** Name of the class around a node, for "Class.method". */
function owner(node) {
	for (let p = node.parent; p; p = p.parent) if (ts.isClassLike(p)) return p.name ? `${p.name.text}.` : '(class).';
	return '';
}
/** Name of a function-like node, or null when it is not a function assigned to a name. */
function functionName(node) {
	if (ts.isFunctionDeclaration(node)) return nameText(node.name);
	if (ts.isMethodDeclaration(node)) return owner(node) + nameText(node.name);
	if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return null;
	const p = node.parent;
	if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
	if (ts.isPropertyAssignment(p)) return nameText(p.name);
	if (ts.isPropertyDeclaration(p)) return owner(p) + nameText(p.name);
	return null;
}
/** True for an expression naming an IRead: `read`, `acc.read`, `this.reader`, or a variable `appRead`
 *  (but not an enum member such as `SettingId.MarkRead`). */
function isReadLike(expr) {
	if (ts.isIdentifier(expr)) return /^read(er)?$/i.test(expr.text) || /[a-z]Read(er)?$/.test(expr.text);
	return ts.isPropertyAccessExpression(expr) && /^read(er)?$/i.test(expr.name.text);
}

for (const file of files) {
	const sf = ts.createSourceFile(file.abs, file.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
	const lineOf = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
	const where = (node) => `${file.rel}:${lineOf(node)}`;
	linesOf(file.text).forEach((line, i) => {
		if (line.length > LONG_LINE) longLines.count++;
		if (line.length > longLines.max) Object.assign(longLines, { max: line.length, where: `${file.rel}:${i + 1}` });
	});
	const addImport = (node, spec, typeOnly) => {
		const target = spec.startsWith('.') ? resolve(file.abs, spec) : null;
		imports.push({ from: file.abs, spec, target, typeOnly, where: where(node) });
	};

	const visit = (node) => {
		const name = functionName(node);
		if (name) {
			const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
			functions.push({ name, where: where(node), lines: end - lineOf(node) + 1 });
		}
		// import ... from / import type ... from / export ... from / import x = require(...)
		if (
			(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
			node.moduleSpecifier &&
			ts.isStringLiteral(node.moduleSpecifier)
		) {
			const typeOnly = ts.isImportDeclaration(node) ? Boolean(node.importClause && node.importClause.isTypeOnly) : node.isTypeOnly;
			addImport(node, node.moduleSpecifier.text, typeOnly);
		}
		if (
			ts.isImportEqualsDeclaration(node) &&
			ts.isExternalModuleReference(node.moduleReference) &&
			ts.isStringLiteral(node.moduleReference.expression)
		) {
			addImport(node, node.moduleReference.expression.text, node.isTypeOnly);
		}
		if (ts.isCallExpression(node)) {
			const callee = node.expression;
			const arg = (i) => (node.arguments[i] ? node.arguments[i].getText(sf) : '');
			// import('x') / require('x')
			if (
				(callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) &&
				node.arguments[0] &&
				ts.isStringLiteral(node.arguments[0])
			) {
				addImport(node, node.arguments[0].text, false);
			}
			// setting(read, SettingId.X): the app's settings helper
			if (ts.isIdentifier(callee) && callee.text === 'setting' && node.arguments[0] && isReadLike(node.arguments[0])) {
				settings.app.push({ where: where(node), via: 'setting()', id: arg(1) });
			}
			if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'getServerSettings') {
				settings.server.push({ where: where(node) });
			}
			if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'getValueById') {
				const receiver = callee.expression.getText(sf);
				const g = settings.getValueById;
				g.total++;
				if (/getSettings\(\)\s*$/.test(receiver)) {
					g.appSettings++;
					settings.app.push({ where: where(node), via: 'getSettings().getValueById()', id: arg(0) });
				} else if (/getServerSettings\(\)\s*$/.test(receiver)) g.serverSettings++;
				else g.other.push(where(node));
			}
		}
		ts.forEachChild(node, visit);
	};
	visit(sf);
}

// ---- Folder graph of src/ ------------------------------------------------------------------
const edges = new Map(); // folder -> Map(folder -> number of imports)
const folders = new Set(files.map((f) => folderOf(f.abs)).filter(Boolean));
for (const imp of imports) {
	const a = folderOf(imp.from);
	const b = imp.target && folderOf(imp.target);
	if (!a || !b || a === b) continue;
	if (!edges.has(a)) edges.set(a, new Map());
	edges.get(a).set(b, (edges.get(a).get(b) || 0) + 1);
}

/** Strongly connected components (Tarjan); those of more than one folder are import cycles. */
function components(nodes) {
	let counter = 0;
	const index = new Map(),
		low = new Map(),
		stack = [],
		onStack = new Set(),
		out = [];
	const connect = (v) => {
		index.set(v, counter);
		low.set(v, counter++);
		stack.push(v);
		onStack.add(v);
		for (const w of (edges.get(v) || new Map()).keys()) {
			if (!index.has(w)) {
				connect(w);
				low.set(v, Math.min(low.get(v), low.get(w)));
			} else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
		}
		if (low.get(v) !== index.get(v)) return;
		const scc = [];
		let w;
		do {
			w = stack.pop();
			onStack.delete(w);
			scc.push(w);
		} while (w !== v);
		out.push(scc.sort());
	};
	[...nodes].sort().forEach((v) => index.has(v) || connect(v));
	return out;
}
const cycles = components(folders).filter((c) => c.length > 1);

// Imports leaving src/core: packages (apps-engine, node built-ins, ...) or app files outside it.
const inCore = (abs) => (folderOf(abs) || '').startsWith('core/');
const coreImports = imports.filter((i) => inCore(i.from));
const leaving = coreImports.filter((i) => !i.target || !inCore(i.target));
const byTarget = {};
for (const i of leaving) {
	const key = i.target ? path.relative(root, i.target).split(path.sep).join('/') : i.spec.startsWith(ENGINE) ? ENGINE : i.spec;
	byTarget[key] = (byTarget[key] || 0) + 1;
}
const engineInCore = coreImports.filter((i) => i.spec === ENGINE || i.spec.startsWith(`${ENGINE}/`));

// ---- Report --------------------------------------------------------------------------------
const lineCounts = files.map((f) => ({ file: f.rel, lines: linesOf(f.text).length }));
const result = {
	root,
	files: files.length,
	lines: lineCounts.reduce((s, f) => s + f.lines, 0),
	largestFiles: [...lineCounts].sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file)).slice(0, 8),
	longestFunctions: [...functions].sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where)).slice(0, 5),
	longLines: { over: LONG_LINE, ...longLines },
	settings: { appReads: settings.app.length, serverSettingsCalls: settings.server.length, ...settings },
	folderGraph: Object.fromEntries([...edges].sort().map(([a, m]) => [a, Object.fromEntries([...m].sort())])),
	folderCycles: cycles,
	coreImportsLeavingCore: { total: leaving.length, typeOnly: leaving.filter((i) => i.typeOnly).length, byTarget },
	engineImportsInCore: { total: engineInCore.length, where: engineInCore.map((i) => i.where) },
	// Relative imports that match no file: the graph above misses them (should stay empty).
	unresolvedImports: imports.filter((i) => i.target && !fs.existsSync(i.target)).map((i) => `${i.where} ${i.spec}`),
};

if (asJson) {
	console.log(JSON.stringify(result, null, 2));
} else {
	const out = [];
	const list = (items) => items.forEach((s) => out.push(`    ${s}`));
	out.push(`Root: ${root}`);
	out.push(`1. Source files: ${result.files}, lines: ${result.lines}`);
	out.push('2. Largest files (lines):');
	list(result.largestFiles.map((f) => `${String(f.lines).padStart(5)}  ${f.file}`));
	out.push('3. Longest functions (lines):');
	list(result.longestFunctions.map((f) => `${String(f.lines).padStart(5)}  ${f.name}  (${f.where})`));
	out.push(`4. Lines over ${LONG_LINE} characters: ${longLines.count}; longest: ${longLines.max} (${longLines.where})`);
	out.push(`5. App settings reads: ${settings.app.length}`);
	list(settings.app.map((s) => `${s.where}  ${s.via} ${s.id}`));
	out.push(`   Server settings reads (getServerSettings() calls): ${settings.server.length}`);
	list(settings.server.map((s) => s.where));
	const g = settings.getValueById;
	out.push(
		`   getValueById( call sites: ${g.total} (on getSettings(): ${g.appSettings}, on getServerSettings(): ${g.serverSettings}, other: ${g.other.length}${g.other.length ? ` at ${g.other.join(', ')}` : ''})`,
	);
	out.push(`6. Folder import graph of src/ (${folders.size} folders; importer -> imported (imports)):`);
	for (const [a, m] of Object.entries(result.folderGraph))
		list([
			`${a} -> ${Object.entries(m)
				.map(([b, n]) => `${b} (${n})`)
				.join(', ')}`,
		]);
	out.push(`   Folder import cycles: ${cycles.length}`);
	list(cycles.map((c) => `[${c.join(', ')}]`));
	const lc = result.coreImportsLeavingCore;
	out.push(`   Imports from src/core to outside src/core: ${lc.total} (type-only: ${lc.typeOnly})`);
	list(
		Object.entries(byTarget)
			.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
			.map(([t, n]) => `${String(n).padStart(3)}  ${t}`),
	);
	out.push(`7. Imports of '${ENGINE}' inside src/core: ${engineInCore.length}`);
	list(result.engineImportsInCore.where);
	if (result.unresolvedImports.length) out.push(`Unresolved relative imports: ${result.unresolvedImports.length}`);
	list(result.unresolvedImports);
	console.log(out.join('\n'));
}
