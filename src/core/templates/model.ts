/**
 * The template model: what an agent must fill for a Meta template, how the values bind into the
 * `template.components` the Cloud API expects, Meta's rules for the values, and a preview of the
 * message as the recipient sees it. Plain TypeScript; messages are i18n keys with parameters.
 */

export interface MetaButton {
	type: string;
	text?: string;
	url?: string;
	example?: string[];
	otp_type?: string;
	phone_number?: string;
}

export interface MetaComponent {
	type: string;
	format?: string;
	text?: string;
	buttons?: MetaButton[];
	example?: {
		header_text?: string[];
		header_text_named_params?: Array<{ param_name: string; example: string }>;
		header_handle?: string[];
		body_text?: string[][];
		body_text_named_params?: Array<{ param_name: string; example: string }>;
	};
}

export interface MetaTemplate {
	id?: string;
	name: string;
	language: string;
	status: string;
	category?: string;
	parameter_format?: string;
	components: MetaComponent[];
}

export type InputKind =
	| 'header_text'
	| 'header_media_link'
	| 'header_document_filename'
	| 'header_location_latitude'
	| 'header_location_longitude'
	| 'header_location_name'
	| 'header_location_address'
	| 'body'
	| 'button_url'
	| 'button_copy_code'
	| 'button_quick_reply'
	| 'button_flow_token';

export interface TemplateInput {
	/** Stable across templates and languages: a value typed for `body.1` survives a switch to a template that also has `body.1`. */
	id: string;
	kind: InputKind;
	/** i18n key of the label, with its parameters. */
	labelKey: string;
	labelParams: Record<string, string | number>;
	example?: string;
	required: boolean;
	/** `{{1}}` -> 1, `{{first_name}}` -> 'first_name'. */
	param?: string;
	buttonIndex?: number;
	/** For media headers: IMAGE, VIDEO or DOCUMENT. */
	format?: string;
}

export interface FieldError {
	key: string;
	params?: Record<string, string | number>;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** Placeholders of a text in the order Meta binds them: numeric order for positional, first appearance for named. */
export function placeholders(text: string | undefined): string[] {
	const found: string[] = [];
	const re = new RegExp(PLACEHOLDER.source, 'g');
	for (let m = re.exec(text ?? ''); m; m = re.exec(text ?? '')) if (!found.includes(m[1])) found.push(m[1]);
	return found.every((p) => /^\d+$/.test(p)) ? found.sort((a, b) => Number(a) - Number(b)) : found;
}

const component = (t: MetaTemplate, type: string) => t.components.find((c) => c.type.toUpperCase() === type);
const isAuthentication = (t: MetaTemplate) => (t.category ?? '').toUpperCase() === 'AUTHENTICATION';

function namedExample(list: Array<{ param_name: string; example: string }> | undefined, name: string): string | undefined {
	return list?.find((p) => p.param_name === name)?.example;
}

export function inputsFor(template: MetaTemplate): TemplateInput[] {
	const inputs: TemplateInput[] = [];
	const header = component(template, 'HEADER');
	const format = (header?.format ?? '').toUpperCase();
	if (header && format === 'TEXT') {
		for (const p of placeholders(header.text)) {
			const example = /^\d+$/.test(p) ? header.example?.header_text?.[Number(p) - 1] : namedExample(header.example?.header_text_named_params, p);
			inputs.push({ id: `header.${p}`, kind: 'header_text', labelKey: 'template_input_header_text', labelParams: { name: p }, example, required: true, param: p });
		}
	} else if (header && ['IMAGE', 'VIDEO', 'DOCUMENT'].includes(format)) {
		inputs.push({ id: 'header.link', kind: 'header_media_link', labelKey: `template_input_header_${format.toLowerCase()}`, labelParams: {}, example: 'https://', required: true, format });
		if (format === 'DOCUMENT') inputs.push({ id: 'header.filename', kind: 'header_document_filename', labelKey: 'template_input_header_filename', labelParams: {}, example: 'document.pdf', required: true });
	} else if (header && format === 'LOCATION') {
		for (const part of ['latitude', 'longitude', 'name', 'address'] as const) {
			inputs.push({ id: `header.${part}`, kind: `header_location_${part}` as InputKind, labelKey: `template_input_location_${part}`, labelParams: {}, required: true });
		}
	}
	const body = component(template, 'BODY');
	const bodyParams = placeholders(body?.text);
	bodyParams.forEach((p, i) => {
		const example = /^\d+$/.test(p) ? body?.example?.body_text?.[0]?.[Number(p) - 1] : namedExample(body?.example?.body_text_named_params, p);
		const labelKey = isAuthentication(template) && i === 0 ? 'template_input_otp' : 'template_input_body';
		inputs.push({ id: `body.${p}`, kind: 'body', labelKey, labelParams: { name: p }, example, required: true, param: p });
	});
	const buttons = component(template, 'BUTTONS')?.buttons ?? [];
	buttons.forEach((button, index) => {
		const type = button.type.toUpperCase();
		const label = { index: index + 1, text: button.text ?? '' };
		if (type === 'URL' && placeholders(button.url).length) {
			inputs.push({ id: `button.${index}.url`, kind: 'button_url', labelKey: 'template_input_button_url', labelParams: { ...label, url: button.url ?? '' }, example: button.example?.[0], required: true, buttonIndex: index });
		} else if (type === 'COPY_CODE') {
			inputs.push({ id: `button.${index}.coupon`, kind: 'button_copy_code', labelKey: 'template_input_button_coupon', labelParams: label, example: button.example?.[0], required: true, buttonIndex: index });
		} else if (type === 'QUICK_REPLY') {
			inputs.push({ id: `button.${index}.payload`, kind: 'button_quick_reply', labelKey: 'template_input_button_payload', labelParams: label, example: button.text, required: false, buttonIndex: index });
		} else if (type === 'FLOW') {
			inputs.push({ id: `button.${index}.flow_token`, kind: 'button_flow_token', labelKey: 'template_input_button_flow', labelParams: label, required: false, buttonIndex: index });
		}
	});
	return inputs;
}

type Values = Record<string, string | undefined>;
const value = (values: Values, id: string) => (values[id] ?? '').trim();

/** The `template.components` of a send, from the filled values (Meta's shapes; see shared/contracts). */
export function bindComponents(template: MetaTemplate, values: Values): Array<Record<string, unknown>> {
	const out: Array<Record<string, unknown>> = [];
	const named = (template.parameter_format ?? '').toUpperCase() === 'NAMED';
	const textParam = (p: string, id: string) => ({ type: 'text', ...(named && !/^\d+$/.test(p) ? { parameter_name: p } : {}), text: value(values, id) });

	const header = component(template, 'HEADER');
	const format = (header?.format ?? '').toUpperCase();
	if (header && format === 'TEXT' && placeholders(header.text).length) {
		out.push({ type: 'header', parameters: placeholders(header.text).map((p) => textParam(p, `header.${p}`)) });
	} else if (header && (format === 'IMAGE' || format === 'VIDEO')) {
		const kind = format.toLowerCase();
		out.push({ type: 'header', parameters: [{ type: kind, [kind]: { link: value(values, 'header.link') } }] });
	} else if (header && format === 'DOCUMENT') {
		out.push({ type: 'header', parameters: [{ type: 'document', document: { link: value(values, 'header.link'), filename: value(values, 'header.filename') } }] });
	} else if (header && format === 'LOCATION') {
		const location = { latitude: value(values, 'header.latitude'), longitude: value(values, 'header.longitude'), name: value(values, 'header.name'), address: value(values, 'header.address') };
		out.push({ type: 'header', parameters: [{ type: 'location', location }] });
	}

	const body = component(template, 'BODY');
	const bodyParams = placeholders(body?.text);
	if (bodyParams.length) out.push({ type: 'body', parameters: bodyParams.map((p) => textParam(p, `body.${p}`)) });

	const buttons = component(template, 'BUTTONS')?.buttons ?? [];
	buttons.forEach((button, index) => {
		const type = button.type.toUpperCase();
		const base = { type: 'button', index: String(index) };
		if (type === 'URL' && placeholders(button.url).length) {
			out.push({ ...base, sub_type: 'url', parameters: [{ type: 'text', text: value(values, `button.${index}.url`) }] });
		} else if (type === 'COPY_CODE') {
			out.push({ ...base, sub_type: 'copy_code', parameters: [{ type: 'coupon_code', coupon_code: value(values, `button.${index}.coupon`) }] });
		} else if (type === 'QUICK_REPLY' && value(values, `button.${index}.payload`)) {
			out.push({ ...base, sub_type: 'quick_reply', parameters: [{ type: 'payload', payload: value(values, `button.${index}.payload`) }] });
		} else if (type === 'FLOW' && value(values, `button.${index}.flow_token`)) {
			out.push({ ...base, sub_type: 'flow', parameters: [{ type: 'action', action: { flow_token: value(values, `button.${index}.flow_token`) } }] });
		} else if (type === 'OTP') {
			// Authentication templates: the one-time code of the body goes into the button too.
			out.push({ ...base, sub_type: 'url', parameters: [{ type: 'text', text: value(values, `body.${bodyParams[0] ?? '1'}`) }] });
		}
	});
	return out;
}

export function templateMessage(to: string, template: MetaTemplate, values: Values): Record<string, unknown> {
	const components = bindComponents(template, values);
	return {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		to,
		type: 'template',
		template: { name: template.name, language: { code: template.language }, ...(components.length ? { components } : {}) },
	};
}

const HTTP_URL = /^https?:\/\/[^\s/?#]+\.[^\s]*$/i;
const TEXT_KINDS: InputKind[] = ['header_text', 'body', 'button_url'];
export const LIMITS = { headerText: 60, bodyText: 1024, couponCode: 15, urlSuffix: 2000 };

/** Meta's rules for the values, as errors per input id (none: the values can be sent). */
export function validateValues(template: MetaTemplate, values: Values): Record<string, FieldError> {
	const errors: Record<string, FieldError> = {};
	for (const input of inputsFor(template)) {
		const raw = values[input.id] ?? '';
		const v = raw.trim();
		if (!v) {
			if (input.required) errors[input.id] = { key: 'template_error_required' };
			continue;
		}
		if (TEXT_KINDS.includes(input.kind) && (/[\n\t]/.test(raw) || / {5,}/.test(raw))) {
			errors[input.id] = { key: 'template_error_whitespace' };
			continue;
		}
		if (input.kind === 'header_media_link' && !HTTP_URL.test(v)) errors[input.id] = { key: 'template_error_link' };
		if (input.kind === 'button_copy_code' && v.length > LIMITS.couponCode) errors[input.id] = { key: 'template_error_too_long', params: { max: LIMITS.couponCode } };
		if (input.kind === 'header_location_latitude' && !(Math.abs(Number(v)) <= 90 && v !== '')) errors[input.id] = { key: 'template_error_latitude' };
		if (input.kind === 'header_location_longitude' && !(Math.abs(Number(v)) <= 180 && v !== '')) errors[input.id] = { key: 'template_error_longitude' };
		if (input.kind === 'button_url') {
			const button = component(template, 'BUTTONS')?.buttons?.[input.buttonIndex as number];
			const url = (button?.url ?? '').replace(PLACEHOLDER, v);
			if (!HTTP_URL.test(url) || /\s/.test(v)) errors[input.id] = { key: 'template_error_url', params: { url } };
		}
	}
	const preview = renderPreview(template, values);
	const headerInput = inputsFor(template).find((i) => i.kind === 'header_text');
	if (headerInput && !errors[headerInput.id] && (preview.header ?? '').length > LIMITS.headerText) errors[headerInput.id] = { key: 'template_error_header_length', params: { max: LIMITS.headerText } };
	const firstBody = inputsFor(template).find((i) => i.kind === 'body' && !errors[i.id]);
	if (firstBody && preview.body.length > LIMITS.bodyText) errors[firstBody.id] = { key: 'template_error_body_length', params: { max: LIMITS.bodyText } };
	return errors;
}

export interface Preview {
	header?: string;
	body: string;
	footer?: string;
	buttons: string[];
}

/** The message as the recipient sees it; a value not filled yet shows as its `{{placeholder}}`. */
export function renderPreview(template: MetaTemplate, values: Values): Preview {
	const fill = (text: string, prefix: string) => text.replace(PLACEHOLDER, (whole, p: string) => value(values, `${prefix}.${p}`) || whole);
	const header = component(template, 'HEADER');
	const format = (header?.format ?? '').toUpperCase();
	let headerText: string | undefined;
	if (header && format === 'TEXT') headerText = fill(header.text ?? '', 'header');
	else if (header && ['IMAGE', 'VIDEO'].includes(format)) headerText = `[${format.toLowerCase()}] ${value(values, 'header.link')}`.trim();
	else if (header && format === 'DOCUMENT') headerText = `[document] ${value(values, 'header.filename') || value(values, 'header.link')}`.trim();
	else if (header && format === 'LOCATION') headerText = `[location] ${[value(values, 'header.name'), value(values, 'header.address')].filter(Boolean).join(', ')}`.trim();
	const footer = component(template, 'FOOTER')?.text;
	const buttons = (component(template, 'BUTTONS')?.buttons ?? []).map((b) => b.text ?? b.type);
	return { ...(headerText !== undefined ? { header: headerText } : {}), body: fill(component(template, 'BODY')?.text ?? '', 'body'), ...(footer ? { footer } : {}), buttons };
}

/** The preview as one message text (what the room shows of a sent template). */
export function renderText(preview: Preview): string {
	return [preview.header ? `*${preview.header}*` : '', preview.body, preview.footer ? `_${preview.footer}_` : '', preview.buttons.map((b) => `[${b}]`).join(' ')].filter(Boolean).join('\n');
}
