/**
 * The layers as the imports draw them (docs/architecture.md). Lint refuses an import that climbs a
 * layer (eslint.config.js, eslint-plugin-boundaries); this test adds what lint does not see: no two
 * folders of src/ import each other, directly or around a loop, and src/core reaches nothing
 * outside itself.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const full = path.join(dir, entry.name);
		return entry.isDirectory() ? sources(full) : entry.name.endsWith('.ts') ? [full] : [];
	});
}

/** Every import of a file: relative ones resolved to a file, others as written. */
function importsOf(file: string): string[] {
	const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
	const requires = [...fs.readFileSync(file, 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]);
	return [...importedFiles.map((i) => i.fileName), ...requires].map((spec) => {
		if (!spec.startsWith('.')) return spec;
		const base = path.resolve(path.dirname(file), spec);
		return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate)) ?? base;
	});
}

const files = [path.join(root, 'WhatsAppApp.ts'), ...sources(path.join(root, 'src'))];
const folderOf = (file: string) => path.relative(root, path.dirname(file)) || '.';

/** Folder -> the folders it imports from. */
function folderGraph(): Map<string, Set<string>> {
	const graph = new Map<string, Set<string>>();
	for (const file of files) {
		const from = folderOf(file);
		for (const target of importsOf(file).filter((spec) => spec.startsWith(root))) {
			const to = folderOf(target);
			if (to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
		}
	}
	return graph;
}

/** Strongly connected components of more than one folder (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
	let index = 0;
	const indices = new Map<string, number>();
	const low = new Map<string, number>();
	const stack: string[] = [];
	const found: string[][] = [];
	const visit = (node: string) => {
		indices.set(node, index);
		low.set(node, index++);
		stack.push(node);
		for (const next of graph.get(node) ?? []) {
			if (!indices.has(next)) {
				visit(next);
				low.set(node, Math.min(low.get(node)!, low.get(next)!));
			} else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
		}
		if (low.get(node) === indices.get(node)) {
			const component: string[] = [];
			let member: string;
			do {
				member = stack.pop()!;
				component.push(member);
			} while (member !== node);
			if (component.length > 1) found.push(component.sort());
		}
	};
	for (const node of graph.keys()) if (!indices.has(node)) visit(node);
	return found;
}

describe('architecture', () => {
	it('no folder of src/ is in an import cycle with another', () => {
		expect(cycles(folderGraph())).toEqual([]);
	});

	it('finds a cycle when there is one (the check can fail)', () => {
		const graph = new Map([
			['src/a', new Set(['src/b'])],
			['src/b', new Set(['src/c'])],
			['src/c', new Set(['src/a'])],
			['src/d', new Set(['src/a'])],
		]);
		expect(cycles(graph)).toEqual([['src/a', 'src/b', 'src/c']]);
	});

	it('src/core imports nothing outside src/core but node built-ins', () => {
		const core = path.join(root, 'src', 'core') + path.sep;
		const leaving = files
			.filter((file) => file.startsWith(core))
			.flatMap((file) => importsOf(file).map((spec) => ({ file: path.relative(root, file), spec })))
			.filter(({ spec }) => !spec.startsWith(core) && !['crypto', 'buffer'].includes(spec));
		expect(leaving).toEqual([]);
	});
});
