/**
 * A WABA's approved templates, grouped by name with their languages, cached with a refresh
 * interval. Templates Meta pauses, disables or deletes leave the cache at once (a
 * `message_template_status_update` webhook, or errors 132015 / 132016 / 132001 on a send).
 */
import { MetaTemplate } from './model';

export interface TemplateGroup {
	name: string;
	category?: string;
	languages: MetaTemplate[];
}

export interface CachedTemplates {
	fetchedAt: number;
	templates: MetaTemplate[];
}

/** Where the cache lives (the app persists it, so every instance of a cluster shares it). */
export interface TemplateCacheStore {
	get(wabaId: string): Promise<CachedTemplates | undefined>;
	set(wabaId: string, value: CachedTemplates): Promise<void>;
}

export const REMOVING_ERRORS = [132001, 132015, 132016];
const REMOVING_EVENTS = ['PAUSED', 'DISABLED', 'DELETED', 'REJECTED', 'PENDING_DELETION', 'FLAGGED'];

export class TemplateCatalog {
	constructor(
		private readonly store: TemplateCacheStore,
		private readonly fetchAll: (wabaId: string) => Promise<MetaTemplate[]>,
		private readonly refreshMs: number,
		private readonly now: () => number = () => Date.now(),
	) {}

	/** The approved templates of the WABA, from the cache unless it is older than the refresh interval (or `refresh`). */
	async list(wabaId: string, options: { refresh?: boolean } = {}): Promise<MetaTemplate[]> {
		const cached = await this.store.get(wabaId);
		if (cached && !options.refresh && this.now() - cached.fetchedAt < this.refreshMs) return cached.templates;
		const templates = (await this.fetchAll(wabaId)).filter((t) => String(t.status).toUpperCase() === 'APPROVED');
		await this.store.set(wabaId, { fetchedAt: this.now(), templates });
		return templates;
	}

	async groups(wabaId: string, options: { refresh?: boolean; search?: string } = {}): Promise<TemplateGroup[]> {
		const search = (options.search ?? '').trim().toLowerCase();
		const byName = new Map<string, TemplateGroup>();
		for (const t of await this.list(wabaId, options)) {
			if (search && !t.name.toLowerCase().includes(search)) continue;
			const group = byName.get(t.name) ?? { name: t.name, category: t.category, languages: [] };
			group.languages.push(t);
			byName.set(t.name, group);
		}
		return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
	}

	async find(wabaId: string, name: string, language: string): Promise<MetaTemplate | undefined> {
		return (await this.list(wabaId)).find((t) => t.name === name && t.language === language);
	}

	/** Drops a template (one language, or all) from the cache. */
	async remove(wabaId: string, name: string, language?: string): Promise<void> {
		const cached = await this.store.get(wabaId);
		if (!cached) return;
		const templates = cached.templates.filter((t) => !(t.name === name && (!language || t.language === language)));
		if (templates.length !== cached.templates.length) await this.store.set(wabaId, { ...cached, templates });
	}

	/** A `message_template_status_update` event: anything but approval removes the template. */
	async applyStatusUpdate(wabaId: string, event: string, name?: string, language?: string): Promise<void> {
		if (!name) return;
		if (REMOVING_EVENTS.includes(event.toUpperCase())) await this.remove(wabaId, name, language);
		else if (event.toUpperCase() === 'APPROVED') {
			const cached = await this.store.get(wabaId);
			if (cached) await this.store.set(wabaId, { ...cached, fetchedAt: 0 });
		}
	}

	/** A send failed: the errors that mean "this template is gone or unusable" remove it. */
	async onSendError(wabaId: string, name: string, language: string, code: number): Promise<void> {
		if (REMOVING_ERRORS.includes(code)) await this.remove(wabaId, name, code === 132001 ? language : undefined);
	}
}

/** Cloud API error codes explained for people, with the next step (i18n keys). */
export function explainSendError(code: number): { key: string; retryable: boolean } {
	const known: Record<number, { key: string; retryable: boolean }> = {
		131047: { key: 'graph_error_131047', retryable: false },
		132000: { key: 'graph_error_132000', retryable: false },
		132001: { key: 'graph_error_132001', retryable: false },
		132015: { key: 'graph_error_132015', retryable: false },
		132016: { key: 'graph_error_132016', retryable: false },
		131026: { key: 'graph_error_131026', retryable: false },
		130429: { key: 'graph_error_130429', retryable: true },
		131056: { key: 'graph_error_131056', retryable: true },
		190: { key: 'graph_error_190', retryable: false },
	};
	return known[code] ?? { key: 'graph_error_other', retryable: false };
}
