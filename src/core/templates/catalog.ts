/**
 * A WABA's approved templates, grouped by name with their language variants, cached per WABA
 * with a refresh interval. Templates Meta pauses, disables or deletes leave the cache at once: a
 * `message_template_status_update` webhook, or a send failing with 132001 / 132015 / 132016.
 */
import { TemplateStatusEvent } from '../status/webhook';
import { explainSendError } from './errors';
import { MetaTemplate, TemplateGroup } from './template';

export { explainSendError } from './errors';
export type { TemplateGroup } from './template';

export interface CachedTemplates {
	fetchedAt: number;
	templates: MetaTemplate[];
	/** Set by a status update that may add a template: the next `list` fetches from Meta. */
	stale?: boolean;
}

/** Where the cache lives (the app persists it, so every instance of a cluster shares it). */
export interface TemplateCacheStore {
	get(wabaId: string): Promise<CachedTemplates | undefined>;
	set(wabaId: string, value: CachedTemplates): Promise<void>;
}

export class MemoryTemplateCache implements TemplateCacheStore {
	private readonly entries = new Map<string, CachedTemplates>();

	async get(wabaId: string): Promise<CachedTemplates | undefined> {
		return this.entries.get(wabaId);
	}

	async set(wabaId: string, value: CachedTemplates): Promise<void> {
		this.entries.set(wabaId, value);
	}
}

/** Events after which the template can no longer be sent (Meta's template statuses). */
export const UNSENDABLE_EVENTS = ['PAUSED', 'DISABLED', 'DELETED', 'PENDING_DELETION', 'REJECTED', 'ARCHIVED'];

/** Approved templates grouped by name (sorted), with a case-insensitive name filter. */
export function groupTemplates(templates: MetaTemplate[], search = ''): TemplateGroup[] {
	const needle = search.trim().toLowerCase();
	const byName = new Map<string, TemplateGroup>();
	for (const t of templates) {
		if (needle && !t.name.toLowerCase().includes(needle)) continue;
		const group = byName.get(t.name) ?? { name: t.name, ...(t.category ? { category: t.category } : {}), languages: [] };
		group.languages.push(t);
		byName.set(t.name, group);
	}
	return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export class TemplateCatalog {
	private readonly inFlight = new Map<string, Promise<MetaTemplate[]>>();

	/**
	 * @param fetchAll every template of a WABA, all pages (`GraphClient.listAllTemplates`)
	 * @param refreshMs how long a fetched list is used before it is fetched again
	 */
	constructor(
		private readonly store: TemplateCacheStore,
		private readonly fetchAll: (wabaId: string) => Promise<MetaTemplate[]>,
		private readonly refreshMs: number,
		private readonly now: () => number = () => Date.now(),
	) {}

	/** The approved templates of the WABA: cached unless older than the refresh interval or `refresh` is asked. */
	async list(wabaId: string, options: { refresh?: boolean } = {}): Promise<MetaTemplate[]> {
		const cached = await this.store.get(wabaId);
		if (cached && !cached.stale && !options.refresh && this.now() - cached.fetchedAt < this.refreshMs) return cached.templates;
		return this.refresh(wabaId);
	}

	/** Fetches the list from Meta now; concurrent calls for the same WABA share one fetch. */
	refresh(wabaId: string): Promise<MetaTemplate[]> {
		let pending = this.inFlight.get(wabaId);
		if (!pending) {
			pending = this.fetchApproved(wabaId).finally(() => this.inFlight.delete(wabaId));
			this.inFlight.set(wabaId, pending);
		}
		return pending;
	}

	async groups(wabaId: string, options: { refresh?: boolean; search?: string } = {}): Promise<TemplateGroup[]> {
		return groupTemplates(await this.list(wabaId, options), options.search);
	}

	/** Groups whose name contains `text`, ignoring case. */
	search(wabaId: string, text: string): Promise<TemplateGroup[]> {
		return this.groups(wabaId, { search: text });
	}

	async find(wabaId: string, name: string, language: string): Promise<MetaTemplate | undefined> {
		return (await this.list(wabaId)).find((t) => t.name === name && t.language === language);
	}

	/** Drops a template from the cache: one language, or every language when none is given. */
	async remove(wabaId: string, name: string, language?: string): Promise<void> {
		const cached = await this.store.get(wabaId);
		if (!cached) return;
		const templates = cached.templates.filter((t) => !(t.name === name && (!language || t.language === language)));
		if (templates.length !== cached.templates.length) await this.store.set(wabaId, { ...cached, templates });
	}

	/**
	 * A template status webhook (the walker's `template-status` event): a template that can no longer be sent leaves the cache at once;
	 * any other event (approved, reinstated, flagged...) makes the next `list` fetch from Meta.
	 */
	async applyStatusUpdate(update: Pick<TemplateStatusEvent, 'wabaId' | 'event' | 'templateName' | 'language'>): Promise<void> {
		if (!update.templateName) return;
		if (UNSENDABLE_EVENTS.includes(update.event.toUpperCase())) {
			await this.remove(update.wabaId, update.templateName, update.language);
			return;
		}
		const cached = await this.store.get(update.wabaId);
		if (cached) await this.store.set(update.wabaId, { ...cached, stale: true });
	}

	/** A send failed: 132001 (no such template in that language), 132015 (paused), 132016 (disabled) remove it. */
	async onSendError(failure: { wabaId: string; name: string; language: string; code: number }): Promise<void> {
		const { wabaId, name, language, code } = failure;
		if (explainSendError(code).removesTemplate) await this.remove(wabaId, name, language);
	}

	private async fetchApproved(wabaId: string): Promise<MetaTemplate[]> {
		const templates = (await this.fetchAll(wabaId)).filter((t) => String(t.status).toUpperCase() === 'APPROVED');
		await this.store.set(wabaId, { fetchedAt: this.now(), templates });
		return templates;
	}
}
