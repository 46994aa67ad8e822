/**
 * The send-templates service checks the components of a send (templates/sendComponents.ts) before
 * anything goes to Meta: on the templateMessage API and on Rocket.Chat's outbound messages, with
 * the template known, and with Meta's template list out of reach (shape checks only).
 */
import { SendRefused } from '../../../../src/core/app/sendTemplates';
import { AppError, NetworkError } from '../../../../src/core/errors';
import { valuesFromComponents } from '../../../../src/core/templates/components';
import { renderPreview, renderText } from '../../../../src/core/templates/preview';
import { MetaTemplate } from '../../../../src/core/templates/template';
import { keys, READY, templatesWorld } from './fakes-templates';

const manager = ['livechat-manager'];
const request = (components: unknown, extra: Record<string, unknown> = {}) => ({
	phoneNumbers: ['5511987654321'],
	connectedWhatsAppNo: '1001',
	template: { name: 'order_ready', language: { code: 'en_US' }, components },
	...extra,
});
const twoTexts = [
	{
		type: 'body',
		parameters: [
			{ type: 'text', text: 'Ana' },
			{ type: 'text', text: '42' },
		],
	},
];

async function refusal(promise: Promise<unknown>): Promise<SendRefused> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(error).toBeInstanceOf(SendRefused);
	return error as SendRefused;
}

describe('templateMessage: components checked before the first send', () => {
	it('refuses a null parameter with 400 naming it, and sends nothing', async () => {
		const w = templatesWorld();
		const error = await refusal(
			w.service.templateMessage({
				body: request([{ type: 'body', parameters: [null, { type: 'text', text: '42' }] }]),
				roles: manager,
				t: keys,
			}),
		);
		expect([error.status, error.i18nKey, error.params]).toEqual([
			400,
			'api_error_component_field',
			{ path: 'template.components[0].parameters[0]', expected: { phrase: 'expected_object' } },
		]);
		expect(w.graph.sends).toEqual([]);
		expect(w.recorded).toEqual([]);
	});

	it.each<[string, unknown, string]>([
		[
			'a text that is a number',
			[
				{
					type: 'body',
					parameters: [
						{ type: 'text', text: 1 },
						{ type: 'text', text: '42' },
					],
				},
			],
			'api_error_component_field',
		],
		[
			'a line break in a body text',
			[
				{
					type: 'body',
					parameters: [
						{ type: 'text', text: 'A\nna' },
						{ type: 'text', text: '42' },
					],
				},
			],
			'api_error_parameter_whitespace',
		],
		['a footer', [...twoTexts, { type: 'footer', parameters: [] }], 'api_error_component_unexpected'],
		[
			'a button the template does not have',
			[...twoTexts, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'x' }] }],
			'api_error_button_unknown',
		],
	])('refuses %s (400, nothing sent), also on a dry run', async (_what, components, key) => {
		const w = templatesWorld();
		for (const dryRun of [false, true]) {
			const error = await refusal(w.service.templateMessage({ body: request(components, { dryRun }), roles: manager, t: keys }));
			expect([error.status, error.i18nKey]).toEqual([400, key]);
		}
		expect(w.graph.sends).toEqual([]);
	});

	it("with Meta's template list out of reach, still refuses what is malformed whatever the template, and sends the rest", async () => {
		const w = templatesWorld();
		w.graph.listError = new NetworkError({ detail: 'down', timedOut: false });
		const error = await refusal(
			w.service.templateMessage({ body: request([{ type: 'body', parameters: [null] }]), roles: manager, t: keys }),
		);
		expect([error.status, error.i18nKey]).toEqual([400, 'api_error_component_field']);
		const link = await refusal(
			w.service.templateMessage({
				body: request([{ type: 'header', parameters: [{ type: 'image', image: { link: 'javascript:alert(1)' } }] }]),
				roles: manager,
				t: keys,
			}),
		);
		expect(link.params).toEqual({
			path: 'template.components[0].parameters[0].image.link',
			expected: { phrase: 'expected_web_link' },
		});
		expect(w.graph.sends).toEqual([]);
		// Counting parameters needs the template: Meta checks that one.
		const sent = await w.service.templateMessage({
			body: request([{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }]),
			roles: manager,
			t: keys,
		});
		expect(sent.status).toBe(200);
		expect(w.graph.sends).toHaveLength(1);
	});
});

describe('sendOutbound: components from Rocket.Chat checked before the send', () => {
	it('throws a 400 AppError with the words of the problem, sending nothing', async () => {
		const w = templatesWorld();
		const error = await w.service
			.sendOutbound({
				providerNumber: '1001',
				to: '5511987654321',
				template: {
					name: 'order_ready',
					language: { code: 'en_US' },
					components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text' }] }],
				},
				routing: {},
				t: keys,
			})
			.then(
				() => undefined,
				(e: unknown) => e,
			);
		expect(error).toBeInstanceOf(AppError);
		expect([(error as AppError).status, (error as AppError).code, (error as AppError).message]).toEqual([
			400,
			'invalid_components',
			'api_error_component_field {"path":"template.components[0].parameters[1].text","expected":{"phrase":"expected_text"}}',
		]);
		expect(w.graph.sends).toEqual([]);
	});
});

describe('valuesFromComponents', () => {
	it('reads any shape without throwing, skipping what is not a parameter with a text', () => {
		const junk = [
			null,
			1,
			'body',
			[],
			{ type: 'body', parameters: [null, { type: 'text', text: 'Ana' }, 1, 'x', [], { type: 'currency', currency: null }] },
			{ type: 7, parameters: {} },
			{ type: 'button', index: '0', parameters: [undefined] },
		];
		expect(valuesFromComponents(READY, junk)).toEqual({ 'body.2': 'Ana' });
		for (const components of [null, 'x', 7, {}, undefined]) expect(valuesFromComponents(READY, components)).toEqual({});
	});

	it("reads a header's file (its name shown, as the modal's preview shows it) and place, and a copy-code button's code", () => {
		const invoice: MetaTemplate = {
			name: 'invoice',
			language: 'en',
			status: 'APPROVED',
			components: [
				{ type: 'HEADER', format: 'DOCUMENT' },
				{ type: 'BODY', text: 'Your invoice {{1}}' },
			],
		};
		const sent = [
			{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://files.example.com/inv/77.pdf?sig=1' } }] },
			{ type: 'body', parameters: [{ type: 'text', text: 'INV-77' }] },
		];
		expect(valuesFromComponents(invoice, sent)).toEqual({
			'header.link': 'https://files.example.com/inv/77.pdf?sig=1',
			'body.1': 'INV-77',
		});
		expect(renderText(renderPreview(invoice, valuesFromComponents(invoice, sent)))).toBe('*[document: 77.pdf]*\nYour invoice INV-77');
		// Only a last part that reads as a file name: never a link's user, host, query or a download token.
		const document = (link: string) => [{ type: 'header', parameters: [{ type: 'document', document: { link } }] }];
		for (const link of [
			'https://user:pass@files.example.com',
			'https://api.example.com/dl/sk_abc123',
			'https://x.example/a.pdf;jsessionid=S3CR3T',
		])
			expect(renderText(renderPreview(invoice, valuesFromComponents(invoice, document(link)))).split('\n')[0]).toBe(
				link.endsWith('S3CR3T') ? '*[document: a.pdf]*' : '*[document]*',
			);
		const named = [{ type: 'header', parameters: [{ type: 'document', document: { id: '1013', filename: 'March.pdf' } }] }];
		expect(valuesFromComponents(invoice, named)).toEqual({ 'header.filename': 'March.pdf' });
		const place = [
			{
				type: 'header',
				parameters: [
					{ type: 'location', location: { latitude: 1, longitude: 2, name: 'Shop\n\n*Pay here*', address: 'Main St 1' } },
				],
			},
		];
		expect(valuesFromComponents(invoice, place)).toEqual({ 'header.name': 'Shop *Pay here*', 'header.address': 'Main St 1' });
		const coupon = [
			{ type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'CARIBE25' }] },
		];
		expect(valuesFromComponents(invoice, coupon)).toEqual({ 'button.0.coupon': 'CARIBE25' });
	});
});
