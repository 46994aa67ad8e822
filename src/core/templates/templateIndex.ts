/**
 * The shape of a WABA's cached template list. Meta's default is 250 template names per account,
 * each in many languages: thousands of templates, megabytes of components. Reading all of them for
 * every step of the send-template modal is too slow, so the cache is kept as
 * - an index: when it was fetched, and each name's category and languages (what a list or a search
 *   needs), in the order Meta listed them;
 * - shards: the templates themselves, each name (all its languages) in the shard its name hashes to,
 *   about `TEMPLATES_PER_SHARD` templates a shard. One template's detail is one shard read.
 * Every shard carries the `fetchedAt` of the list it was written from, so a reader can tell a shard
 * of another fetch (written by a refresh running meanwhile) from its index's own.
 */
import { MetaTemplate } from './template';

/** One template name as the index lists it. */
export interface TemplateSummary {
	name: string;
	category?: string;
	/** The approved languages of the name, in Meta's order. */
	languages: string[];
}

export interface TemplateIndex {
	/** When the fetch of this list began (the catalog's clock): the list is Meta's as of then, or later. */
	fetchedAt: number;
	/** Set by a status update that may add a template: the next read fetches from Meta. */
	stale?: boolean;
	/**
	 * When the cache last learnt of a change to the list without fetching it (a template status
	 * webhook, a send Meta refused for its template): a list whose fetch began before then may
	 * predate the change, and is stored stale (`writeCache`).
	 */
	changedAt?: number;
	/** How many shards hold the templates (shard ids 0 .. shards - 1). */
	shards: number;
	/** In the order of Meta's list (of each name's first template). */
	templates: TemplateSummary[];
}

export interface TemplateShard {
	/** The `fetchedAt` of the index this shard was written with. */
	fetchedAt: number;
	templates: MetaTemplate[];
}

export const TEMPLATES_PER_SHARD = 100;

export const shardCount = (templates: number): number => Math.max(1, Math.ceil(templates / TEMPLATES_PER_SHARD));

/** The shard of a template name: FNV-1a of the name, modulo the shard count. */
export function shardOf(name: string, shards: number): number {
	let hash = 0x811c9dc5;
	for (let i = 0; i < name.length; i++) {
		hash ^= name.charCodeAt(i);
		hash = Math.imul(hash, 0x01000193) >>> 0;
	}
	return hash % shards;
}

/** Template names in code point order (Meta's names are lower-case letters, digits and underscores). */
export const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The index of a template list (names and each name's languages in the list's order). */
export function buildIndex(templates: MetaTemplate[], fetchedAt: number, shards = shardCount(templates.length)): TemplateIndex {
	const names = new Map<string, TemplateSummary>();
	for (const t of templates) {
		const summary = names.get(t.name) ?? { name: t.name, ...(t.category ? { category: t.category } : {}), languages: [] };
		if (!summary.languages.includes(t.language)) summary.languages.push(t.language);
		names.set(t.name, summary);
	}
	return { fetchedAt, shards, templates: [...names.values()] };
}

/** The templates of each shard (every shard id present, empty ones included). */
export function splitShards(templates: MetaTemplate[], shards: number): MetaTemplate[][] {
	const split: MetaTemplate[][] = Array.from({ length: shards }, () => []);
	for (const t of templates) split[shardOf(t.name, shards)].push(t);
	return split;
}

/** The index's templates in its order (each name's languages together), from the shards' contents. */
export function inIndexOrder(index: TemplateIndex, templates: MetaTemplate[]): MetaTemplate[] {
	const byKey = new Map(templates.map((t) => [`${t.name}\u0000${t.language}`, t]));
	const ordered: MetaTemplate[] = [];
	for (const summary of index.templates) {
		for (const language of summary.languages) {
			const template = byKey.get(`${summary.name}\u0000${language}`);
			if (template) ordered.push(template);
		}
	}
	return ordered;
}

/**
 * The index's summaries as one string, a line per name (`name \t category \t lang,lang`), for the
 * persisted record: one string crosses the engine's bridge and decodes far faster than thousands of
 * objects. Meta's names are lower-case letters, digits and underscores and its languages and
 * categories codes, so no field holds a separator; should one, the summaries stay objects (undefined).
 */
export function encodeSummaries(summaries: TemplateSummary[]): string | undefined {
	const clean = (value: string) => !/[\t\n,]/.test(value);
	const ok = summaries.every((s) => clean(s.name) && clean(s.category ?? '') && s.languages.every(clean));
	return ok ? summaries.map((s) => `${s.name}\t${s.category ?? ''}\t${s.languages.join(',')}`).join('\n') : undefined;
}

export function decodeSummaries(encoded: string): TemplateSummary[] {
	if (!encoded) return [];
	return encoded.split('\n').map((line) => {
		const [name, category, languages] = line.split('\t');
		return { name, ...(category ? { category } : {}), languages: languages ? languages.split(',') : [] };
	});
}
