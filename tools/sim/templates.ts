/** Message templates: each WABA's list, as Meta returns it from `GET /{WABA-ID}/message_templates`. */
import * as fs from 'fs';
import * as path from 'path';

import { CONTRACTS_DIR } from './contracts';
import { page, select, splitFields } from './graph';
import { SimResponse } from './metaErrors';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The template lists of Meta's docs and spec that `loadFixtures` serves. */
export const TEMPLATE_FIXTURES = [
	'meta-docs/templates-list-default-fields.response.json',
	'meta-docs/templates-list-graph-reference-v16.response.json',
	'meta-openapi/message-templates-list-response.example.json',
];

export class Templates {
	/** Templates by WABA id, as Meta returns them (name, language, status, category, id, components, parameter_format). */
	readonly byWaba = new Map<string, Any[]>();

	set(wabaId: string, templates: Any[]): void {
		this.byWaba.set(wabaId, templates);
	}

	/** The WABA's template of that name and language, if it has one. */
	find(wabaId: string, name: unknown, language: unknown): Any | undefined {
		return (this.byWaba.get(wabaId) ?? []).find((t) => t.name === name && t.language === language);
	}

	/** An empty list for a WABA that has none yet. */
	ensure(wabaId: string): void {
		if (!this.byWaba.has(wabaId)) this.byWaba.set(wabaId, []);
	}

	/** Loads the template lists of Meta's docs and spec (shared/contracts), each name+language once. */
	loadFixtures(wabaId: string, contractsDir: string = CONTRACTS_DIR): void {
		const all: Any[] = [];
		for (const file of TEMPLATE_FIXTURES) {
			const data = JSON.parse(fs.readFileSync(path.join(contractsDir, file), 'utf8'));
			for (const t of data.data ?? []) if (!all.some((x) => x.name === t.name && x.language === t.language)) all.push(t);
		}
		this.set(wabaId, all);
	}

	/** One page of the WABA's templates: filters `status` (comma list, any case), `category`, `name` (substring), `language`, then `fields`. */
	list(wabaId: string, query: Record<string, string>, edgePath: string, baseUrl: string): SimResponse {
		let list = this.byWaba.get(wabaId) ?? [];
		if (query.status) {
			const statuses = query.status.toUpperCase().split(',');
			list = list.filter((t) => statuses.includes(String(t.status).toUpperCase()));
		}
		if (query.category) list = list.filter((t) => String(t.category).toUpperCase() === query.category.toUpperCase());
		if (query.name) list = list.filter((t) => String(t.name).includes(query.name));
		if (query.language) list = list.filter((t) => t.language === query.language);
		const fields = query.fields ? splitFields(query.fields) : undefined;
		const items = list.map((t) => (fields ? select(t, fields) : t));
		return { status: 200, payload: page(items, query, edgePath, baseUrl) };
	}
}
