import { asGiven, metaComponentsOf, outboundFormFills, outboundMessageProblem } from '../../../../src/core/templates/outboundForm';
import { checkSendComponents } from '../../../../src/core/templates/sendComponents';
import { MetaTemplate } from '../../../../src/core/templates/template';
import { formFields, formMessage, ListedComponent } from '../../../support/outboundForm';
import {
	carousel,
	catalogOffer,
	coupon,
	fallSale,
	invoice,
	lto,
	orderDelivery,
	orderNamed,
	orderPositional,
	promo,
	reservation,
	specErrors,
	survey,
	trailer,
	verification,
	verificationListed,
} from './fixtures';

/** The components the provider lists for a template (OutboundProvider.ts): header, body and footer, in lower case. */
const listed = (t: MetaTemplate): ListedComponent[] =>
	t.components
		.filter((c) => ['HEADER', 'BODY', 'FOOTER'].includes(c.type.toUpperCase()))
		.map((c) => ({
			type: c.type.toLowerCase(),
			format: c.type.toUpperCase() === 'HEADER' ? (c.format ?? 'TEXT').toLowerCase() : undefined,
			text: c.text,
		}));

/** The form's message for `t`, every field filled: a text's field with its placeholder's name, a media field with a link. */
function filled(t: MetaTemplate): { components: unknown } {
	const components = listed(t);
	const values = Object.fromEntries(
		formFields(components).map((f) => [
			f.id,
			f.type === 'media' ? 'https://files.example.com/header.pdf' : `v-${f.id.replace(/\W/g, '')}`,
		]),
	);
	const message = formMessage({ name: t.name, language: t.language, components, to: '5511987654321', sender: '+15550783881', values });
	return message.template as { components: unknown };
}

/** The components in Meta's shape (metaComponentsOf's `components`). */
const metaOf = (components: unknown, template: MetaTemplate | undefined): unknown => metaComponentsOf(components, template).components;

describe("Rocket.Chat's outbound form", () => {
	const templates: Array<[MetaTemplate, boolean]> = [
		[reservation, true], // image header, named body, footer, static URL, phone and quick-reply buttons
		[coupon, true], // text header with {{1}}, positional body, footer, static URL, quick reply
		[fallSale, true], // text header without variables, footer, quick reply
		[orderNamed, true],
		[orderPositional, true],
		[invoice, true], // document header, footer
		[catalogOffer, true], // a catalog button takes no parameter
		[survey, true], // a flow button takes no parameter
		[orderDelivery, false], // a location header: the form asks for a link
		[verification, false], // the OTP button's code
		[verificationListed, false],
		[lto, false], // the offer's expiration and the copy code
		[promo, false], // a URL button's suffix
		[trailer, false],
		// Meta's SPM template: the form has no field for a product and its catalog.
		[
			{
				...reservation,
				name: 'back_in_stock',
				components: [
					{ type: 'HEADER', format: 'PRODUCT' },
					{ type: 'BODY', text: 'Back in stock!' },
				],
			},
			false,
		],
		[carousel, false], // each card's media, parameters and buttons
	];

	const cases = templates.map(([template, fills]) => ({
		label: `${template.name} (${template.parameter_format ?? template.category})`,
		template,
		fills,
	}));

	it.each(cases)('lists $label exactly when the components the form builds for it pass the send check', ({ template, fills }) => {
		expect(outboundFormFills(template)).toBe(fills);
		const components = metaOf(filled(template).components, template);
		expect(checkSendComponents(template, components)).toEqual(fills ? undefined : expect.objectContaining({ key: expect.any(String) }));
	});

	it.each(cases.filter((c) => c.fills))("sends what Meta's spec takes for $label", ({ template }) => {
		const components = metaOf(filled(template).components, template);
		const body = {
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '5511987654321',
			type: 'template',
			template: { name: template.name, language: { code: template.language }, components },
		};
		expect(specErrors(body)).toEqual([]);
	});

	it("turns the form's components into Meta's: none without parameters, a media link as the header's format, named values with their names", () => {
		expect(metaOf(filled(reservation).components, reservation)).toEqual([
			{ type: 'header', parameters: [{ type: 'image', image: { link: 'https://files.example.com/header.pdf' } }] },
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'v-bodynumber_of_guests', parameter_name: 'number_of_guests' },
					{ type: 'text', text: 'v-bodyday', parameter_name: 'day' },
					{ type: 'text', text: 'v-bodydate', parameter_name: 'date' },
					{ type: 'text', text: 'v-bodytime', parameter_name: 'time' },
				],
			},
		]);
		// A text header without variables and the footer: the form sends them with no parameters, Meta takes neither.
		expect(filled(fallSale).components).toEqual([
			{ type: 'header', parameters: [] },
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'v-body1' },
					{ type: 'text', text: 'v-body2' },
				],
			},
			{ type: 'footer', parameters: [] },
		]);
		expect(metaOf(filled(fallSale).components, fallSale)).toEqual([
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'v-body1' },
					{ type: 'text', text: 'v-body2' },
				],
			},
		]);
		// Without the template (Meta's list out of reach) a link goes by the format the form gave.
		expect(
			metaOf([{ type: 'header', parameters: [{ type: 'media', link: 'https://x.example/a.mp4', format: 'video' }] }], undefined),
		).toEqual([{ type: 'header', parameters: [{ type: 'video', video: { link: 'https://x.example/a.mp4' } }] }]);
	});

	it("keeps positional values where the form put them, Meta's binding and Rocket.Chat's preview, when the text names them out of order", () => {
		const swapped: MetaTemplate = { ...orderPositional, components: [{ type: 'BODY', text: 'Order {{2}} is ready, {{1}}.' }] };
		// The form lists its fields as they appear; its preview shows the value at k-1 for {{k}}, as Meta binds them.
		const fields = formFields(listed(swapped));
		expect(fields.map((f) => f.id)).toEqual(['body.{{2}}', 'body.{{1}}']);
		const message = formMessage({
			name: swapped.name,
			language: swapped.language,
			components: listed(swapped),
			to: '1',
			sender: '2',
			values: { 'body.{{2}}': 'Ana', 'body.{{1}}': '42' },
		});
		expect(metaOf((message.template as { components: unknown }).components, swapped)).toEqual([
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'Ana' },
					{ type: 'text', text: '42' },
				],
			},
		]);
	});

	it('does not list a multi-product template: its sections are no field of the form, and Meta refuses a send without them', () => {
		const picks: MetaTemplate = {
			name: 'our_picks',
			language: 'en_US',
			status: 'APPROVED',
			category: 'MARKETING',
			components: [
				{ type: 'HEADER', format: 'TEXT', text: 'Our picks' },
				{ type: 'BODY', text: 'Hi {{1}}, see what we chose for you.' },
				{ type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] },
			],
		};
		expect(outboundFormFills(picks)).toBe(false);
	});

	it('names a refused component by its place in the message the form posted, not among those sent on', () => {
		const form = [
			{ type: 'header', parameters: [] },
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'a\nb' },
					{ type: 'text', text: 'c' },
				],
			},
			{ type: 'footer', parameters: [] },
		];
		const { components, given } = metaComponentsOf(form, fallSale);
		expect(given).toEqual([1]);
		const problem = checkSendComponents(fallSale, components);
		if (!problem) throw new Error('expected a refusal');
		expect(problem.params?.path).toBe('template.components[0].parameters[0].text');
		expect(asGiven(problem, given)).toEqual({
			key: 'api_error_parameter_whitespace',
			params: { path: 'template.components[1].parameters[0].text' },
		});
		// A parameter posted in Rocket.Chat's shape is named by its own fields.
		const refusedAt = (template: MetaTemplate, posted: unknown[]) => {
			const meta = metaComponentsOf(posted, template);
			const found = checkSendComponents(template, meta.components);
			return found && asGiven(found, meta.given, posted).params?.path;
		};
		const header = (parameter: object) => [
			{ type: 'header', parameters: [parameter] },
			{ type: 'footer', parameters: [] },
		];
		expect(refusedAt(invoice, header({ type: 'media', link: 'ftp://x/y.pdf', format: 'document' }))).toBe(
			'template.components[0].parameters[0].link',
		);
		expect(refusedAt(invoice, header({ type: 'media', link: 'https://x.example/y.jpg', format: 'image' }))).toBe(
			'template.components[0].parameters[0].format',
		);
		const total: MetaTemplate = { ...orderPositional, components: [{ type: 'BODY', text: 'Total {{1}}' }] };
		const body = (parameter: object) => [
			{ type: 'header', parameters: [] },
			{ type: 'body', parameters: [parameter] },
		];
		expect(refusedAt(total, body({ type: 'currency', currency: { fallbackValue: '$1.50', code: 'USD', amount1000: 1.5 } }))).toBe(
			'template.components[1].parameters[0].currency.amount1000',
		);
		expect(refusedAt(total, body({ type: 'date_time', dateTime: { fallbackValue: '' } }))).toBe(
			'template.components[1].parameters[0].dateTime.fallbackValue',
		);
		expect(refusedAt(total, body({ type: 'date_time', dateTime: {} }))).toBe(
			'template.components[1].parameters[0].dateTime.fallbackValue',
		);
		// A media parameter without a link is named by its missing link, not by its format.
		expect(refusedAt(invoice, header({ type: 'media', format: 'document' }))).toBe('template.components[0].parameters[0].link');
		// Meta's own shapes keep Meta's names, even with a field missing.
		expect(refusedAt(total, body({ type: 'currency', currency: { code: 'USD', amount_1000: 1000 } }))).toBe(
			'template.components[1].parameters[0].currency.fallback_value',
		);
		expect(refusedAt(total, body({ type: 'currency', currency: { fallback_value: '$1.50', code: 'USD', amount_1000: 1.5 } }))).toBe(
			'template.components[1].parameters[0].currency.amount_1000',
		);
		// A refusal naming no component is left as it is.
		const count = { key: 'api_error_template_params', params: { component: 'body', expected: 2, given: 0 } };
		expect(asGiven(count, given)).toBe(count);
	});

	it('names the first field of an outbound message it cannot read', () => {
		const ok = { providerNumber: '+15550783881', to: '5511987654321', template: { name: 'ship', language: { code: 'en' } } };
		expect(outboundMessageProblem(ok)).toBeUndefined();
		const field = (message: object) => outboundMessageProblem(message)?.params?.field;
		expect(field({ ...ok, providerNumber: undefined })).toBe('templateProviderPhoneNumber');
		expect(field({ ...ok, to: 5511 })).toBe('to');
		expect(field({ ...ok, template: null })).toBe('template');
		expect(field({ ...ok, template: { name: ' ', language: { code: 'en' } } })).toBe('template.name');
		expect(field({ ...ok, template: { name: 'ship' } })).toBe('template.language.code');
		expect(outboundMessageProblem({})).toEqual({
			key: 'api_error_field_type',
			params: { field: 'templateProviderPhoneNumber', type: { phrase: 'expected_string' } },
		});
	});

	it("turns Apps-Engine's camel-case currency and date_time into Meta's, and leaves Meta's shapes and anything else as given", () => {
		const given = [
			{
				type: 'body',
				parameters: [
					{ type: 'currency', currency: { fallbackValue: '$100.99', code: 'USD', amount1000: 100990 } },
					{ type: 'date_time', dateTime: { fallbackValue: 'February 25, 1977', year: 1977 } },
				],
			},
		];
		expect(metaOf(given, undefined)).toEqual([
			{
				type: 'body',
				parameters: [
					{ type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
					{ type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } },
				],
			},
		]);
		const meta = [
			{ type: 'body', parameters: [{ type: 'currency', currency: { fallback_value: '$1', code: 'USD', amount_1000: 1000 } }] },
			{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'STOP' }] },
		];
		expect(metaOf(meta, undefined)).toEqual(meta);
		expect(metaComponentsOf('x', undefined)).toEqual({ components: 'x', given: [] });
		expect(metaComponentsOf(undefined, undefined)).toEqual({ components: undefined, given: [] });
		// A body with parameters the template needs, sent empty: left out, and the check names what is missing.
		const none = metaOf([{ type: 'body', parameters: [] }], orderPositional);
		expect(checkSendComponents(orderPositional, none)).toEqual({
			key: 'api_error_template_params',
			params: { component: 'body', expected: 2, given: 0 },
		});
	});
});
