/**
 * The message as the recipient will see it: text header with its value, a marker for media and
 * location headers, the body with the values in place (a value not filled yet shows as its
 * `{{placeholder}}`), the footer and the button labels.
 */
import { BindOptions, buttonsOf, componentOf, headerFormat, MetaTemplate, placeholderPattern, valueOf, Values } from './template';

/** A header that is not text: an i18n key and its parameters (`template_preview_document`, `{ name }`). */
export interface PreviewMarker {
	key: string;
	params: Record<string, string>;
}

export interface Preview {
	/** Text header with its values, or a marker for an image, video, document or location header. */
	header?: string | PreviewMarker;
	body: string;
	footer?: string;
	buttons: string[];
}

export type Translate = (key: string, params: Record<string, string>) => string;

/** Without a translator, markers read `[image]`, `[document: name]`... */
const BRACKETED: Translate = (key, params) =>
	`[${[key.replace(/^template_preview_/, ''), Object.values(params).filter(Boolean).join(', ')].filter(Boolean).join(': ')}]`;

function headerOf(template: MetaTemplate, fill: (text: string, prefix: string) => string, values: Values): Preview['header'] {
	const format = headerFormat(template);
	const value = (id: string) => valueOf(values, id);
	if (format === 'TEXT') return fill(componentOf(template, 'HEADER')?.text ?? '', 'header');
	if (format === 'IMAGE' || format === 'VIDEO') return { key: `template_preview_${format.toLowerCase()}`, params: {} };
	if (format === 'DOCUMENT')
		return {
			key: 'template_preview_document',
			params: { name: value('header.filename') || value('header.link').split(/[?#]/)[0].split('/').pop() || '' },
		};
	if (format === 'LOCATION')
		return {
			key: 'template_preview_location',
			params: { place: [value('header.name'), value('header.address')].filter(Boolean).join(', ') },
		};
	return undefined;
}

export function renderPreview(template: MetaTemplate, values: Values, options: BindOptions = {}): Preview {
	const shown = (id: string) => {
		const extra = options.extraParameters?.[id];
		return extra ? (extra.type === 'currency' ? extra.currency.fallback_value : extra.date_time.fallback_value) : valueOf(values, id);
	};
	const fill = (text: string, prefix: string) =>
		text.replace(placeholderPattern(), (whole, p: string) => shown(`${prefix}.${p}`) || whole);
	const header = headerOf(template, fill, values);
	const footer = componentOf(template, 'FOOTER')?.text;
	return {
		...(header !== undefined ? { header } : {}),
		body: fill(componentOf(template, 'BODY')?.text ?? '', 'body'),
		...(footer ? { footer } : {}),
		buttons: buttonsOf(template).map((b) => b.text ?? b.type),
	};
}

/** The preview as one room message: *header*, body, _footer_, [button] [button]. */
export function renderText(preview: Preview, translate: Translate = BRACKETED): string {
	const header = typeof preview.header === 'object' ? translate(preview.header.key, preview.header.params) : preview.header;
	return [
		header ? `*${header}*` : '',
		preview.body,
		preview.footer ? `_${preview.footer}_` : '',
		preview.buttons.map((b) => `[${b}]`).join(' '),
	]
		.filter(Boolean)
		.join('\n');
}
