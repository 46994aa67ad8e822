/**
 * The message as the recipient will see it: text header with its value, a marker for media and
 * location headers, a limited-time offer's heading and code, the body with the values in place (a
 * value not filled yet shows as its `{{placeholder}}`), the footer and the button labels, then a
 * carousel's cards, each the same way.
 */
import { translate as translateIn } from '../i18n/translate';
import {
	BindOptions,
	buttonsOf,
	cardsOf,
	cardValues,
	componentOf,
	headerFormat,
	MetaTemplate,
	placeholderPattern,
	valueOf,
	Values,
} from './template';
import { parseSections, ProductSection, sectionsText } from './productList';

/** A header that is not text: an i18n key and its parameters (`template_preview_document`, `{ name }`). */
export interface PreviewMarker {
	key: string;
	params: Record<string, string>;
}

export interface Preview {
	/** Text header with its values, or a marker for an image, video, document or location header. */
	header?: string | PreviewMarker;
	/**
	 * A limited-time offer's details as WhatsApp shows them between the header and the body (Meta's
	 * limited-time-offer page, "Offer expiration details": "a heading, an optional expiration timer,
	 * and the offer code itself"): the template's offer text and, once typed, the code of its
	 * copy-code button.
	 */
	offer?: { heading?: string; code?: PreviewMarker };
	body: string;
	footer?: string;
	/** Button labels; a button Meta lists without a text (an offer's copy-code button) as a marker. */
	buttons: Array<string | PreviewMarker>;
	/** A multi-product list's sections as typed (its MPM button opens them), once filled. */
	products?: PreviewMarker;
	/** A carousel's cards, in order, each as a message of its own (its media header, body and buttons). */
	cards?: Preview[];
}

export type Translate = (key: string, params: Record<string, string>) => string;

/** Without a translator, header markers read `[image]`, `[document: name]`... */
const BRACKETED: Translate = (key, params) =>
	`[${[key.replace(/^template_preview_/, ''), Object.values(params).filter(Boolean).join(', ')].filter(Boolean).join(': ')}]`;

/** Without a translator, the offer's and the buttons' markers read in English ("Copy code"). */
const ENGLISH: Translate = (key, params) => translateIn(undefined, key, params);

/** What a button without a text shows: WhatsApp labels a copy-code button itself. */
function buttonLabel(type: string): string | PreviewMarker {
	return type.toUpperCase() === 'COPY_CODE' ? { key: 'template_preview_copy_code', params: {} } : type;
}

function offerOf(template: MetaTemplate, values: Values): Preview['offer'] {
	const offer = componentOf(template, 'LIMITED_TIME_OFFER');
	if (!offer) return undefined;
	const copyCode = buttonsOf(template).findIndex((b) => b.type.toUpperCase() === 'COPY_CODE');
	const code = copyCode >= 0 ? valueOf(values, `button.${copyCode}.coupon`) : '';
	const heading = offer.limited_time_offer?.text;
	return {
		...(heading ? { heading } : {}),
		...(code ? { code: { key: 'template_preview_offer_code', params: { code } } } : {}),
	};
}

/**
 * The last part of a link's path when it reads as a file name (`invoice.pdf`), else '': never its
 * query, fragment, `;` parameters, user or host, nor a last part without an extension (a download
 * id or token), which may carry a signature, a password or a key.
 */
function fileNameOf(link: string): string {
	let last: string;
	try {
		last = new URL(link).pathname.split('/').pop()?.split(';')[0] ?? '';
	} catch {
		return '';
	}
	return /^[^.]+(\.[^.]+)*\.[A-Za-z0-9]{1,8}$/.test(last) ? last : '';
}

function headerOf(template: MetaTemplate, fill: (text: string, prefix: string) => string, values: Values): Preview['header'] {
	const format = headerFormat(template);
	const value = (id: string) => valueOf(values, id);
	if (format === 'TEXT') return fill(componentOf(template, 'HEADER')?.text ?? '', 'header');
	if (format === 'IMAGE' || format === 'VIDEO') return { key: `template_preview_${format.toLowerCase()}`, params: {} };
	if (format === 'DOCUMENT')
		return {
			key: 'template_preview_document',
			params: { name: value('header.filename') || fileNameOf(value('header.link')) },
		};
	if (format === 'PRODUCT') return { key: 'template_preview_product', params: { id: value('header.product_retailer_id') } };
	if (format === 'LOCATION')
		return {
			key: 'template_preview_location',
			params: { place: [value('header.name'), value('header.address')].filter(Boolean).join(', ') },
		};
	return undefined;
}

/** A multi-product list's sections on one line (`A: a, b; B: c`), once there are any. */
export function productsMarker(sections: ProductSection[]): PreviewMarker | undefined {
	return sections.length
		? { key: 'template_preview_products', params: { sections: sectionsText(sections).replace(/\n/g, '; ') } }
		: undefined;
}

/** A marker's words: translated, else bracketed (`[products: A: a, b]`). */
export const markerText = (marker: PreviewMarker, translate?: Translate): string => (translate ?? BRACKETED)(marker.key, marker.params);

export function renderPreview(template: MetaTemplate, values: Values, options: BindOptions = {}): Preview {
	const shown = (id: string) => {
		const extra = options.extraParameters?.[id];
		return extra ? (extra.type === 'currency' ? extra.currency.fallback_value : extra.date_time.fallback_value) : valueOf(values, id);
	};
	const fill = (text: string, prefix: string) =>
		text.replace(placeholderPattern(), (whole, p: string) => shown(`${prefix}.${p}`) || whole);
	const header = headerOf(template, fill, values);
	const offer = offerOf(template, values);
	const footer = componentOf(template, 'FOOTER')?.text;
	const listed = buttonsOf(template).findIndex((b) => b.type.toUpperCase() === 'MPM');
	const products = productsMarker(listed >= 0 ? parseSections(valueOf(values, `button.${listed}.sections`)) : []);
	const cards = cardsOf(template).map((card, index) =>
		renderPreview(card, cardValues(values, index), {
			...(options.extraParameters ? { extraParameters: cardValues(options.extraParameters, index) } : {}),
		}),
	);
	return {
		...(header !== undefined ? { header } : {}),
		...(offer ? { offer } : {}),
		body: fill(componentOf(template, 'BODY')?.text ?? '', 'body'),
		...(footer ? { footer } : {}),
		buttons: buttonsOf(template).map((b) => b.text ?? buttonLabel(b.type)),
		...(products ? { products } : {}),
		...(cards.length ? { cards } : {}),
	};
}

/**
 * The preview as one room message: *header*, *offer heading*, offer code, body, _footer_, [button]
 * [button], a multi-product list's sections, then each carousel card after a line naming it
 * (`Card 1 of 3`), the same way.
 */
export function renderText(preview: Preview, translate?: Translate): string {
	const header =
		typeof preview.header === 'object' ? (translate ?? BRACKETED)(preview.header.key, preview.header.params) : preview.header;
	const words = translate ?? ENGLISH;
	const label = (b: string | PreviewMarker) => (typeof b === 'object' ? words(b.key, b.params) : b);
	return [
		header ? `*${header}*` : '',
		preview.offer?.heading ? `*${preview.offer.heading}*` : '',
		preview.offer?.code ? label(preview.offer.code) : '',
		preview.body,
		preview.footer ? `_${preview.footer}_` : '',
		preview.buttons.map((b) => `[${label(b)}]`).join(' '),
		preview.products ? markerText(preview.products, translate) : '',
		...(preview.cards ?? []).map((card, index, cards) =>
			[
				`— ${words('template_preview_card', { number: String(index + 1), total: String(cards.length) })} —`,
				renderText(card, translate),
			].join('\n'),
		),
	]
		.filter(Boolean)
		.join('\n');
}
