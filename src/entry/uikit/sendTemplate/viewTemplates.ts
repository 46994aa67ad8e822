import { explainListError } from '../../../core/app/sendTemplates';
import { categoryText } from '../../../core/templates/category';
import { inputsFor } from '../../../core/templates/inputs';
import { TemplateGroup } from '../../../core/templates/catalog';
import { Translator } from '../../../core/i18n/translate';
import { sendTemplatesOf, TemplateAccessors } from '../../../adapters/build/templates';
import { graphBaseUrl } from '../../../adapters/factory';

/** `/whatsapp view-templates`: each connected number's approved templates, languages, category, parameter count. */
export async function describeTemplates(acc: TemplateAccessors & { appId?: string }, t: Translator): Promise<string> {
	const service = await sendTemplatesOf(acc);
	const numbers = await service.listNumbers();
	if (!numbers.length) return t('send_no_numbers');
	// A refused "Graph API base URL" setting sends nothing: said as it is, not as Meta out of reach (as the modal does).
	if (!(await graphBaseUrl(acc.read)).ok) return t('error_graph_base_url_refused');
	const lines: string[] = [];
	for (const number of numbers) {
		lines.push(t('view_templates_number', { name: number.verifiedName, display: number.displayPhoneNumber }));
		let groups: TemplateGroup[];
		try {
			groups = await (await service.catalogOf(number)).groups(number.wabaId, { refresh: true });
		} catch (error) {
			lines.push(t('send_templates_unavailable', { reason: explainListError(error, t) }));
			continue;
		}
		if (!groups.length) lines.push(t('view_templates_none'));
		for (const g of groups) {
			lines.push(
				t('view_templates_entry', {
					name: g.name,
					category: categoryText(g.category, t),
					languages: g.languages.map((l) => l.language).join(', '),
					params: inputsFor(g.languages[0]).filter((i) => i.required).length,
				}),
			);
		}
	}
	return lines.join('\n');
}
