/**
 * What the fuzz suites share: a seeded PRNG (so a failure reproduces from the seed the suite
 * prints), picks, hostile values, and the line each suite prints with its counts.
 */

/** Deterministic PRNG (mulberry32): numbers in [0, 1). */
export function prng(seed: number): () => number {
	return () => {
		seed |= 0;
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export type Rand = () => number;

export const int = (rand: Rand, below: number): number => Math.floor(rand() * below);
export const pick = <T>(rand: Rand, list: readonly T[]): T => list[int(rand, list.length)];
export const chance = (rand: Rand, p: number): boolean => rand() < p;

/** `depth` levels of arrays and objects around 'x'. */
export function nested(depth: number): unknown {
	let v: unknown = 'x';
	for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
	return v;
}

/** How deep `value` nests (a scalar is 0, `[]` and `{}` are 1). */
export function depthOf(value: unknown): number {
	if (typeof value !== 'object' || value === null) return 0;
	let deepest = 0;
	for (const member of Object.values(value)) deepest = Math.max(deepest, depthOf(member));
	return deepest + 1;
}

/** The 100 kB string of the hostile values (one instance: cheap to pick again and again). */
export const HUGE_STRING = 'x'.repeat(100000);

/**
 * A hostile JSON value: wrong types, empty and huge strings, control characters, astral
 * characters, operators, prototype-looking keys, nesting (at most `maxDepth` levels, 40 by default)
 * and big arrays (up to 5,000 entries).
 */
export function junk(rand: Rand, maxDepth = 40): unknown {
	switch (int(rand, 22)) {
		case 0:
			return null;
		case 1:
			return pick(rand, [true, false]);
		case 2:
			return pick(rand, [0, -1, 1.5, 1e308, -1e-308, 2 ** 53 + 1, 4294967296]);
		case 3:
			return '';
		case 4:
			return pick(rand, [' ', '\t\n', '\u0000', '\u202e', '\ud800', 'null', 'undefined', 'NaN', '[object Object]']);
		case 5:
			// A quarter of the long strings are 100 kB: hostile, but not every time (the suites stay fast).
			return chance(rand, 0.25) ? HUGE_STRING : 'x'.repeat(int(rand, 5000));
		case 6:
			return '😀'.repeat(1 + int(rand, 2000));
		case 7:
			return [];
		case 8:
			return {};
		case 9:
			return nested(1 + int(rand, maxDepth));
		case 10:
			return { $gt: '' };
		case 11:
			// No `__proto__` key: the engine's transport refuses it before the app sees it (README, testing).
			return { constructor: { prototype: { polluted: true } }, toString: 'x', hasOwnProperty: null };
		case 12:
			return Array.from({ length: chance(rand, 0.25) ? 1000 + int(rand, 4000) : int(rand, 200) }, (_, i) => (i % 3 ? i : null));
		case 13:
			return Array.from({ length: 1 + int(rand, 20) }, () => junk(rand, Math.max(0, maxDepth - 1)));
		case 14:
			return `wamid.${'A'.repeat(int(rand, 200))}`;
		case 15:
			return String(int(rand, 1e15));
		case 16:
			return '<script>alert(1)</script>';
		case 17:
			return '../../etc/passwd';
		case 18:
			return '%s%n%x{{1}}${x}';
		case 19:
			return { id: junk(rand, 0), status: junk(rand, 0) };
		case 20:
			return -0;
		default:
			return 'ok';
	}
}

/** The line a fuzz suite prints: its name, seed and counts (shown in `npm test`'s output). */
export function fuzzReport(suite: string, seed: number, counts: Record<string, number | string>): string {
	return `${suite} fuzz (seed ${seed}): ${Object.entries(counts)
		.map(([k, v]) => `${k} ${v}`)
		.join(', ')}`;
}
