/** Graph API conventions shared by the simulator's edges: field selection and cursor pagination. */
import { URL } from 'url';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Meta's page size when `limit` is absent. */
export const DEFAULT_LIMIT = 25;
/** The largest `limit` the spec documents for a WABA edge (`phone_numbers.limit.maximum`). */
export const MAX_LIMIT = 100;

/** `fields=a, b,c` as a list. */
export function splitFields(fields: string): string[] {
	return fields
		.split(',')
		.map((f) => f.trim())
		.filter(Boolean);
}

/** Graph field selection: the requested fields present on the object, in request order, and always `id`. */
export function select(object: Record<string, unknown>, fields: string[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const f of fields) if (object[f] !== undefined) out[f] = object[f];
	if (object.id !== undefined) out.id = object.id;
	return out;
}

/** Opaque cursors, like Graph's base64 ones. */
function encodeCursor(index: number): string {
	return Buffer.from(`sim-cursor:${index}`).toString('base64');
}

function decodeCursor(cursor: string): number {
	const match = /^sim-cursor:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
	return match ? Number(match[1]) : 0;
}

/**
 * Graph cursor pagination: `paging.cursors.before/after` name the first and last item of the page;
 * `next`/`previous` are absolute URLs on `baseUrl` (`edgePath` with the same query), present only
 * when there is such a page.
 */
export function page(
	items: unknown[],
	query: Record<string, string>,
	edgePath: string,
	baseUrl: string,
): { data: unknown[]; paging?: Any } {
	const limit = Math.min(Number(query.limit) > 0 ? Math.floor(Number(query.limit)) : DEFAULT_LIMIT, MAX_LIMIT);
	let start = 0;
	if (query.after) start = decodeCursor(query.after) + 1;
	else if (query.before) start = Math.max(0, decodeCursor(query.before) - limit);
	const end = query.before && !query.after ? Math.min(decodeCursor(query.before), start + limit) : start + limit;
	const data = items.slice(start, end);
	if (!data.length) return { data };
	const cursors = { before: encodeCursor(start), after: encodeCursor(start + data.length - 1) };
	const link = (key: 'after' | 'before', cursor: string): string => {
		const url = new URL(edgePath, baseUrl);
		for (const [k, v] of Object.entries(query)) if (k !== 'after' && k !== 'before') url.searchParams.set(k, v);
		url.searchParams.set('limit', String(limit));
		url.searchParams.set(key, cursor);
		return url.toString();
	};
	const paging: Any = { cursors };
	if (start + data.length < items.length) paging.next = link('after', cursors.after);
	if (start > 0) paging.previous = link('before', cursors.before);
	return { data, paging };
}
