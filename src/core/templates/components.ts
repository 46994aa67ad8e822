/** Components a caller built (the REST API) checked against, and read back with, a template. */
import { componentOf, FieldError, MetaTemplate, placeholders } from './template';

/**
 * For components a caller built (the REST API): the errors against the template's parameters, as
 * i18n keys naming the component. Meta answers 132000 for a count mismatch; this says which part.
 */
export function checkComponents(template: MetaTemplate, components: Array<Record<string, unknown>> | undefined): FieldError[] {
	const errors: FieldError[] = [];
	const given = components ?? [];
	const count = (type: string, index?: number) => {
		const c = given.find((x) => String(x.type).toLowerCase() === type && (index === undefined || String(x.index) === String(index)));
		return Array.isArray(c?.parameters) ? (c?.parameters as unknown[]).length : 0;
	};
	const header = componentOf(template, 'HEADER');
	const format = (header?.format ?? '').toUpperCase();
	const expectedHeader = !header ? 0 : format === 'TEXT' ? placeholders(header.text).length : ['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'].includes(format) ? 1 : 0;
	if (count('header') !== expectedHeader) errors.push({ key: 'api_error_template_params', params: { component: 'header', expected: expectedHeader, given: count('header') } });
	const expectedBody = placeholders(componentOf(template, 'BODY')?.text).length;
	if (count('body') !== expectedBody) errors.push({ key: 'api_error_template_params', params: { component: 'body', expected: expectedBody, given: count('body') } });
	(componentOf(template, 'BUTTONS')?.buttons ?? []).forEach((button: { type: string; url?: string }, index: number) => {
		const type = button.type.toUpperCase();
		const needs = (type === 'URL' && placeholders(button.url).length > 0) || type === 'COPY_CODE' || type === 'OTP';
		if (needs && count('button', index) === 0) errors.push({ key: 'api_error_template_params', params: { component: `button ${index}`, expected: 1, given: 0 } });
	});
	return errors;
}

/** The values of components a caller built, as input values (for the preview of what was sent). */
export function valuesFromComponents(template: MetaTemplate, components: Array<Record<string, unknown>> | undefined): Record<string, string> {
	const values: Record<string, string> = {};
	for (const c of components ?? []) {
		const type = String(c.type).toLowerCase();
		const params = (Array.isArray(c.parameters) ? c.parameters : []) as Array<Record<string, unknown>>;
		const names = type === 'header' ? placeholders(componentOf(template, 'HEADER')?.text) : type === 'body' ? placeholders(componentOf(template, 'BODY')?.text) : [];
		params.forEach((p, i) => {
			const text = typeof p.text === 'string' ? p.text : typeof (p.currency as { fallback_value?: unknown })?.fallback_value === 'string' ? String((p.currency as { fallback_value: string }).fallback_value) : typeof (p.date_time as { fallback_value?: unknown })?.fallback_value === 'string' ? String((p.date_time as { fallback_value: string }).fallback_value) : undefined;
			if (text === undefined) return;
			const name = typeof p.parameter_name === 'string' ? p.parameter_name : names[i];
			if (type === 'header' || type === 'body') values[`${type}.${name}`] = text;
			else if (type === 'button') values[`button.${String(c.index)}.url`] = text;
		});
	}
	return values;
}
