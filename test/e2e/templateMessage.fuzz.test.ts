/**
 * Fuzzing POST templateMessage through the engine over HTTP: thousands of malformed bodies, each
 * answered with a 4xx and a clear error; never a 500, a crash, an app error, or a message sent.
 * First the request's own shape, then components and parameters against real templates.
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { fuzzReport, HUGE_STRING, int, junk, pick as pickOf, prng, Rand } from '../support/fuzz';

const VALID = {
	phoneNumbers: ['15550000001'],
	connectedWhatsAppNo: NUMBER.phoneNumberId,
	template: { name: 'hello_world', language: { code: 'en_US' } },
};

function nested(depth: number): unknown {
	let v: unknown = 'x';
	for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
	return v;
}

const REQUEST_SEED = 20261125;
const REQUEST_COUNT = 5000;
const report: string[] = [];
afterAll(() => {
	for (const line of report) console.log(line);
});

/** One malformed body: a valid request with one part broken, or something that is not a request at all. */
function malformed(rand: () => number): { raw?: string; body?: unknown } {
	const junk = [
		null,
		true,
		0,
		-1,
		1.5,
		'',
		' ',
		'x'.repeat(100000),
		[],
		{},
		[[[]]],
		{ $gt: '' },
		nested(1 + Math.floor(rand() * 60)),
		'\u0000',
		'😀'.repeat(1000),
	];
	const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
	const body = JSON.parse(JSON.stringify(VALID)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
	switch (Math.floor(rand() * 12)) {
		case 0:
			return { raw: pick(['', '{', '[1,2', 'null', '"text"', '{"a":}', '\u0000', '{"phoneNumbers": [1,2,}', 'undefined']) };
		case 1:
			return { body: pick(junk) };
		case 2:
			delete body[pick(['phoneNumbers', 'connectedWhatsAppNo', 'template'])];
			return { body };
		case 3:
			body.phoneNumbers = pick(
				[junk, ...junk.map((j) => [j]), Array.from({ length: 251 + Math.floor(rand() * 500) }, () => '15550000001')].flat(),
			);
			if (
				Array.isArray(body.phoneNumbers) &&
				body.phoneNumbers.every((p: unknown) => typeof p === 'string' && /^\d{7,15}$/.test(p)) &&
				body.phoneNumbers.length <= 250
			)
				body.phoneNumbers = 7;
			return { body };
		case 4:
			body.connectedWhatsAppNo = pick([
				...junk.filter((j) => typeof j !== 'string' || j === '' || j.length > 64),
				'999999999',
				'+0 000',
			]);
			return { body };
		case 5:
			body.template = pick(junk);
			return { body };
		case 6:
			body.template.name = pick(junk.filter((j) => typeof j !== 'string' || !j.trim() || j.length > 512));
			return { body };
		case 7:
			body.template.language = pick([...junk, { code: pick(junk) }, { code: 'en', policy: pick(junk) }]);
			return { body };
		case 8:
			body.template.components = pick(
				junk.filter((j) => !Array.isArray(j) || j.length > 0).concat([Array.from({ length: 21 }, () => ({}))] as never[]),
			);
			if (
				Array.isArray(body.template.components) &&
				body.template.components.every((c: unknown) => typeof c === 'object' && c !== null && !Array.isArray(c)) &&
				body.template.components.length <= 20
			)
				body.template.components = 'x';
			return { body };
		case 9:
			body[pick(['targetAgent', 'targetDepartment', 'clientReference', 'idempotencyKey'])] = pick(
				junk.filter((j) => j !== null && (typeof j !== 'string' || !j.trim() || j.length > 512)),
			);
			return { body };
		case 10:
			body.dryRun = pick(junk.filter((j) => typeof j !== 'boolean' && j !== null));
			return { body };
		default:
			body.targetAgent = `nobody-${Math.floor(rand() * 1e6)}`;
			return { body };
	}
}

/**
 * The bodies Rocket.Chat's JSON parser refuses before the app runs (tools/harness/HarnessHttpServer.ts,
 * body-parser's strict `json()`): malformed JSON, or JSON whose top level is not an object or array.
 */
function refusedByParser(text: string): boolean {
	// An empty body is not parsed: the app gets {}.
	if (text === '') return false;
	try {
		const value: unknown = JSON.parse(text);
		return value === null || typeof value !== 'object';
	} catch {
		return true;
	}
}
/** Rocket.Chat's 400 page for such a body (Express's final handler), answered before the app runs. */
const refusedBeforeApp = (res: { status: number; body: unknown }) =>
	res.status === 400 && typeof res.body === 'string' && res.body.includes('<pre>Bad Request</pre>');
/** The app's own refusal: a 4xx with an error message and a stable code (docs/templateMessage.openapi.yaml, components/schemas/Error). */
const refusedByApp = (res: { status: number; body: unknown }) => {
	const { error, code, success } = (res.body as { error?: unknown; code?: unknown; success?: unknown } | undefined) ?? {};
	return (
		res.status >= 400 &&
		res.status < 500 &&
		success === false &&
		typeof error === 'string' &&
		Boolean(error) &&
		typeof code === 'string' &&
		/^[a-z_]+$/.test(code)
	);
};

describe('templateMessage fuzz', () => {
	let app: AppUnderTest;
	beforeAll(async () => {
		// Bodies up to 50 MB, as Rocket.Chat 7.0-7.5 parse them: every body (the 100,000-character
		// strings among them) reaches the app's own checks; 7.6+'s 413 is tested in campaign.test.ts.
		app = await startApp({ bodyLimit: '50mb' });
		await connectNumber(app);
	});
	afterAll(async () => {
		if (app) await app.stop();
	});

	it('answers 5,000 malformed bodies with a 4xx and an error message, sending nothing', async () => {
		const rand = prng(REQUEST_SEED);
		const statuses = new Map<number, number>();
		for (let i = 0; i < REQUEST_COUNT; i++) {
			const input = malformed(rand);
			const res = await callApi(app, 'templateMessage', {
				...(input.raw !== undefined ? { raw: input.raw } : { body: input.body }),
				headers: ADMIN_AUTH,
			});
			statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
			const text = input.raw ?? JSON.stringify(input.body);
			if (refusedByParser(text) ? !refusedBeforeApp(res) : !refusedByApp(res)) {
				throw new Error(
					`body #${i} ${JSON.stringify(input).slice(0, 300)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
				);
			}
		}
		expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
		expect(app.sim.requestsTo('/messages')).toEqual([]);
		app.harness.assertNoAppErrors();
		report.push(
			fuzzReport('templateMessage request', REQUEST_SEED, {
				bodies: REQUEST_COUNT,
				...Object.fromEntries([...statuses].sort(([a], [b]) => a - b).map(([status, n]) => [`HTTP ${status}:`, n])),
				'sent to Meta': 0,
			}),
		);
	}, 300000);
});

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const COMPONENT_SEED = 20261201;
const COMPONENT_COUNT = 4000;

/** Approved templates of NUMBER's WABA (Meta's list format), each with the components a valid send needs. */
const TEMPLATES: Array<{ template: Any; components: Any[] }> = [
	{
		template: {
			id: '1',
			name: 'order_update',
			language: 'en_US',
			status: 'APPROVED',
			category: 'UTILITY',
			components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
		},
		components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
	},
	{
		template: {
			id: '2',
			name: 'fuzz_rich',
			language: 'en_US',
			status: 'APPROVED',
			category: 'MARKETING',
			components: [
				{ type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}' },
				{ type: 'BODY', text: '{{1}} paid {{2}} on {{3}}.' },
				{
					type: 'BUTTONS',
					buttons: [
						{ type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}' },
						{ type: 'QUICK_REPLY', text: 'Stop' },
						{ type: 'COPY_CODE', example: 'SAVE10' },
					],
				},
			],
		},
		components: [
			{ type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
			{
				type: 'body',
				parameters: [
					{ type: 'text', text: 'Ana' },
					{ type: 'currency', currency: { fallback_value: '$10.00', code: 'USD', amount_1000: 10000 } },
					{ type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } },
				],
			},
			{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-42' }] },
			{ type: 'button', sub_type: 'copy_code', index: '2', parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] },
		],
	},
	...(['IMAGE', 'VIDEO', 'DOCUMENT'] as const).map((format, i) => {
		const kind = format.toLowerCase();
		const media: Any = { link: `https://cdn.example.com/file.${kind === 'image' ? 'jpg' : kind === 'video' ? 'mp4' : 'pdf'}` };
		if (kind === 'document') media.filename = 'file.pdf';
		return {
			template: {
				id: String(3 + i),
				name: `fuzz_${kind}`,
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [
					{ type: 'HEADER', format },
					{ type: 'BODY', text: 'See {{1}}.' },
				],
			},
			components: [
				{ type: 'header', parameters: [{ type: kind, [kind]: media }] },
				{ type: 'body', parameters: [{ type: 'text', text: 'this' }] },
			],
		};
	}),
];

/** A copy of the valid components of the template named `name`. */
function validOf(name: string): { template: Any; components: Any[] } {
	const found = TEMPLATES.find((t) => t.template.name === name) as { template: Any; components: Any[] };
	return { template: found.template, components: JSON.parse(JSON.stringify(found.components)) };
}

/** Where a parameter-level break lands: a text parameter of a header, body or URL button, named by its path. */
function textTarget(rand: Rand, components: Any[]): { param: Any; path: string } {
	const places: Array<{ param: Any; path: string }> = [];
	components.forEach((c, i) =>
		(c.parameters as Any[]).forEach(
			(p, j) => p.type === 'text' && places.push({ param: p, path: `template.components[${i}].parameters[${j}]` }),
		),
	);
	return pickOf(rand, places);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Parameter- and component-level breaks Meta's spec and the approved template refuse (issue 12):
 * each is answered 400 with a reason naming the component or parameter (`reason`), nothing sent.
 */
function brokenParameters(rand: Rand): { kind: string; name: string; components: unknown; reason: RegExp } {
	const named = (name: string) => validOf(name);
	const at = (path: string) => new RegExp(escape(path));
	switch (int(rand, 18)) {
		case 0: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich', 'fuzz_image']));
			const c = pickOf(rand, components);
			const j = int(rand, c.parameters.length);
			c.parameters[j] = pickOf(rand, [null, 0, 1.5, true, 'text', '', [], [{ type: 'text', text: 'a' }], HUGE_STRING]);
			return {
				kind: 'a parameter not an object',
				name: template.name,
				components,
				reason: at(`template.components[${components.indexOf(c)}].parameters[${j}]`),
			};
		}
		case 1: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich', 'fuzz_video']));
			const { param, path } = textTarget(rand, components);
			const value = pickOf(rand, [42, 0, null, undefined, true, {}, [], ['a'], '', ' ', '\t']);
			if (value === undefined) delete param.text;
			else param.text = value;
			return { kind: 'text a number, null, missing, empty or blank', name: template.name, components, reason: at(`${path}.text`) };
		}
		case 2: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich', 'fuzz_document']));
			const c = pickOf(rand, components);
			const j = int(rand, c.parameters.length);
			const type = pickOf(rand, [undefined, null, 7, '', 'txt', 'TEXT', 'payload ', ['text'], { type: 'text' }]);
			if (type === undefined) delete c.parameters[j].type;
			else c.parameters[j].type = type;
			return {
				kind: 'parameter type unknown or missing',
				name: template.name,
				components,
				reason: at(`template.components[${components.indexOf(c)}].parameters[${j}].type`),
			};
		}
		case 3: {
			// CurrencyObject: fallback_value, code (ISO 4217) and amount_1000 (an integer) are all required.
			const { template, components } = named('fuzz_rich');
			const ok = { fallback_value: '$10.00', code: 'USD', amount_1000: 10000 };
			const { fallback_value, code, amount_1000 } = ok;
			components[1].parameters[1].currency = pickOf(rand, [
				null,
				'$10.00',
				[],
				{},
				{ code, amount_1000 },
				{ fallback_value, amount_1000 },
				{ fallback_value, code },
				{ ...ok, fallback_value: 10 },
				{ ...ok, fallback_value: '' },
				{ ...ok, fallback_value: HUGE_STRING },
				{ ...ok, code: 'usd' },
				{ ...ok, code: 'DOLLAR' },
				{ ...ok, code: 840 },
				{ ...ok, amount_1000: 1.5 },
				{ ...ok, amount_1000: '10000' },
				{ ...ok, amount_1000: 2 ** 40 },
				{ ...ok, amount_1000: null },
			]);
			return {
				kind: 'currency malformed',
				name: template.name,
				components,
				reason: at('template.components[1].parameters[1].currency'),
			};
		}
		case 4: {
			const { template, components } = named('fuzz_rich');
			const dateTime = components[1].parameters[2];
			if (int(rand, 3) === 0) dateTime.date_time = pickOf(rand, [null, 'May 1', 7, []]);
			else if (int(rand, 2)) delete dateTime.date_time.fallback_value;
			else dateTime.date_time.fallback_value = pickOf(rand, [null, 7, '', {}, HUGE_STRING]);
			return {
				kind: 'date_time malformed',
				name: template.name,
				components,
				reason: at('template.components[1].parameters[2].date_time'),
			};
		}
		case 5: {
			// Body texts: 32768 characters when the body is the template's only component, else 1024; header texts 60.
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich']));
			const c = pickOf(
				rand,
				components.filter((x: Any) => x.type !== 'button'),
			);
			const limit = c.type === 'header' ? 60 : template.name === 'order_update' ? 32768 : 1024;
			c.parameters[0].text = int(rand, 2) ? HUGE_STRING : 'x'.repeat(limit + 1 + int(rand, 100));
			return {
				kind: "text over Meta's length limit (up to 100 kB)",
				name: template.name,
				components,
				reason: new RegExp(
					`${escape(`template.components[${components.indexOf(c)}].parameters[0].text`)}: at most ${limit} characters`,
				),
			};
		}
		case 6: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich', 'fuzz_image']));
			const extra = int(rand, 2)
				? { type: 'footer', parameters: [{ type: 'text', text: 'x' }] }
				: { type: 'carousel', cards: [{ card_index: 0, components: [] }] };
			components.splice(int(rand, components.length + 1), 0, extra);
			return {
				kind: 'footer or carousel on a template without them',
				name: template.name,
				components,
				reason: new RegExp(`template\\.components\\[${components.indexOf(extra)}\\]: this template has no ${extra.type}`),
			};
		}
		case 7: {
			const { template, components } = named(pickOf(rand, ['fuzz_image', 'fuzz_video', 'fuzz_document']));
			const param = components[0].parameters[0];
			const media = pickOf(rand, [
				null,
				'https://cdn.example.com/a.jpg',
				{},
				{ link: 42 },
				{ link: null },
				{ link: '' },
				{ link: 'javascript:alert(1)' },
				{ link: 'ftp://cdn.example.com/a' },
				{ link: 'https://' },
				{ link: HUGE_STRING },
				{ id: '' },
				{ id: 7 },
				{ id: '../../me' },
				{ id: '1', link: 'https://cdn.example.com/a.jpg' },
			]);
			param[param.type] = media;
			return {
				kind: 'media without an http(s) link or a media id',
				name: template.name,
				components,
				reason: at(`template.components[0].parameters[0].${param.type}`),
			};
		}
		case 8: {
			const { template, components } = named('fuzz_rich');
			const button = components[2];
			if (int(rand, 2)) {
				const subType = pickOf(rand, [undefined, null, 'quick_reply', 'copy_code', 'link', 'URL ', 7, ['url']]);
				if (subType === undefined) delete button.sub_type;
				else button.sub_type = subType;
				return {
					kind: 'button sub_type wrong or missing',
					name: template.name,
					components,
					reason: at('template.components[2].sub_type'),
				};
			}
			const index = pickOf(rand, [undefined, null, '10', 10, -1, '-1', 'x', '0x', '', 1.5, ['0']]);
			if (index === undefined) delete button.index;
			else button.index = index;
			return { kind: 'button index wrong or missing', name: template.name, components, reason: at('template.components[2].index') };
		}
		case 9: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich']));
			const c = pickOf(rand, components);
			c.type = [c.type];
			return {
				kind: 'component type an array',
				name: template.name,
				components,
				reason: at(`template.components[${components.indexOf(c)}].type`),
			};
		}
		case 10: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich', 'fuzz_image']));
			const twice = pickOf(
				rand,
				components.filter((c: Any) => c.type !== 'button'),
			);
			components.push(JSON.parse(JSON.stringify(twice)));
			return {
				kind: 'header or body given twice',
				name: template.name,
				components,
				reason: new RegExp(`template\\.components\\[${components.length - 1}\\]: the ${twice.type} is given twice`),
			};
		}
		case 11: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich', 'fuzz_video']));
			const body = components.find((c: Any) => c.type === 'body');
			const j = body.parameters.findIndex((p: Any) => p.type === 'text');
			const text = pickOf(rand, [
				'a\nb',
				'\n',
				'a\r\nb',
				'a\tb',
				'a     b',
				'      ',
				'line one\n\nline two',
				`x${' '.repeat(5 + int(rand, 50))}y`,
			]);
			body.parameters[j].text = text;
			const path = `template.components[${components.indexOf(body)}].parameters[${j}].text`;
			return { kind: 'line break, tab or 5+ spaces in a body text', name: template.name, components, reason: at(path) };
		}
		case 12: {
			const { template, components } = named('fuzz_image');
			components[0].parameters[0] = pickOf(rand, [
				{ type: 'video', video: { link: 'https://cdn.example.com/a.mp4' } },
				{ type: 'document', document: { link: 'https://cdn.example.com/a.pdf' } },
				{ type: 'text', text: 'Hi' },
				{ type: 'location', location: { latitude: 1, longitude: 2 } },
			]);
			return {
				kind: 'image header given a video, document, location or text',
				name: template.name,
				components,
				reason: at('template.components[0].parameters[0].type'),
			};
		}
		case 13: {
			const { template, components } = named('fuzz_rich');
			components[2].parameters[0] = { type: 'payload', payload: 'X' };
			return {
				kind: 'payload parameter on a URL button',
				name: template.name,
				components,
				reason: at('template.components[2].parameters[0].type'),
			};
		}
		case 14: {
			const { template, components } = named(pickOf(rand, ['order_update', 'fuzz_rich']));
			const index = template.name === 'order_update' ? int(rand, 10) : 3 + int(rand, 7);
			components.push({
				type: 'button',
				sub_type: pickOf(rand, ['url', 'quick_reply', 'copy_code']),
				index: pickOf(rand, [String(index), index]),
				parameters: [{ type: 'text', text: 'x' }],
			});
			return {
				kind: 'button at an index the template does not have',
				name: template.name,
				components,
				reason: new RegExp(`this template has no button at index ${index}`),
			};
		}
		case 15: {
			const { template, components } = named('fuzz_rich');
			const button = pickOf(
				rand,
				components.filter((c: Any) => c.type === 'button'),
			);
			button.parameters.push(...Array.from({ length: 1 + int(rand, 5) }, () => JSON.parse(JSON.stringify(button.parameters[0]))));
			return {
				kind: 'extra parameters on a URL or copy-code button',
				name: template.name,
				components,
				reason: new RegExp(`the button ${button.index} of this template takes 1 parameter`),
			};
		}
		case 16: {
			// The modal's limits, in the API too: a copy code of 16+ characters, a header text with a line
			// break, a URL suffix whose link is over 2000 characters.
			const { template, components } = named('fuzz_rich');
			const which = int(rand, 3);
			const [c, j, field] = which === 0 ? [3, 0, 'coupon_code'] : which === 1 ? [0, 0, 'text'] : [2, 0, 'text'];
			components[c].parameters[j][field] =
				which === 0
					? 'C'.repeat(16 + int(rand, 100))
					: which === 1
						? pickOf(rand, ['Ana\nMaria', 'Ana\tMaria', 'Ana     Maria'])
						: 'x'.repeat(2000 - 'https://shop.example.com/track/'.length + 1 + int(rand, 100));
			return {
				kind: 'copy code over 15 characters, header text with a line break, URL button link over 2000 characters',
				name: template.name,
				components,
				reason: at(`template.components[${c}].parameters[${j}].${field}`),
			};
		}
		default: {
			// The first fuzz finding: a null body parameter of order_update was sent, then answered 500.
			const { template, components } = named('order_update');
			components[0].parameters = [null];
			return {
				kind: 'order_update body parameters [null]',
				name: template.name,
				components,
				reason: at('template.components[0].parameters[0]'),
			};
		}
	}
}

/**
 * One component- or parameter-level break of a valid send, named. Every kind here is refused by the
 * app before anything reaches Meta: the request's structure below, the parameters in brokenParameters.
 */
function brokenComponents(rand: Rand): { kind: string; name: string; components: unknown; reason?: RegExp } {
	if (int(rand, 2)) return brokenParameters(rand);
	const { template, components: valid } = pickOf(rand, TEMPLATES);
	const components = JSON.parse(JSON.stringify(valid)) as Any[];
	const withParams = components.filter((c) => Array.isArray(c.parameters) && c.parameters.length);
	const target = pickOf(rand, withParams);
	const result = (kind: string, value: unknown = components) => ({ kind, name: template.name, components: value });
	switch (int(rand, 9)) {
		case 0:
			return result(
				'components not an array',
				pickOf(rand, [null, 0, true, 'body', HUGE_STRING, {}, { type: 'body' }, { 0: components[0], length: 1 }]),
			);
		case 1:
			components[int(rand, components.length)] = pickOf(rand, [null, 1, 'body', [], [components[0]], HUGE_STRING]);
			return result('a component not an object');
		case 2:
			return result(
				'more than 20 components',
				Array.from({ length: 21 + int(rand, 2000) }, (_, i) => components[i % components.length]),
			);
		case 3:
			delete target.parameters;
			return result('parameters missing');
		case 4:
			target.parameters = int(rand, 2)
				? pickOf(rand, [null, 0, 'x', HUGE_STRING, {}, { 0: { type: 'text', text: 'a' } }, true])
				: ([junk(rand, 3)].find((v) => !Array.isArray(v)) ?? 'x');
			return result('parameters not an array');
		case 5: {
			// Header and body parameters are counted exactly; a button's only when it has none (below).
			const counted = pickOf(
				rand,
				withParams.filter((c) => c.type === 'header' || c.type === 'body'),
			);
			if (int(rand, 2)) counted.parameters.pop();
			else
				counted.parameters.push(
					...Array.from({ length: 1 + (int(rand, 3) ? int(rand, 5) : 1000 + int(rand, 4000)) }, () => ({
						type: 'text',
						text: 'extra',
					})),
				);
			return result('header or body parameter count wrong (one short, or a few to thousands too many)');
		}
		case 6:
			target.type = pickOf(rand, ['footer', 'carousel', 'HEADERS', 'bodyx', '', 7, null, { type: 'body' }]);
			return result('component type unknown');
		case 7: {
			const button = components.find((c) => c.type === 'button' && c.sub_type === 'url');
			if (!button)
				return result(
					'component type unknown',
					components.map((c) => (c === target ? { ...c, type: 'button' } : c)),
				);
			if (int(rand, 2)) components.splice(components.indexOf(button), 1);
			else button.index = pickOf(rand, ['1', '7', -1, 'x', null, 1.5, '', '00x']);
			return result('required URL button missing or at another index');
		}
		default:
			target.parameters = [];
			return result('parameters empty');
	}
}

describe('templateMessage fuzz: components and parameters', () => {
	let app: AppUnderTest;
	beforeAll(async () => {
		// Bodies up to 50 MB, as Rocket.Chat 7.0-7.5 parse them: every body (the 100,000-character
		// strings among them) reaches the app's own checks; 7.6+'s 413 is tested in campaign.test.ts.
		app = await startApp({ bodyLimit: '50mb' });
		app.sim.setTemplates(
			NUMBER.wabaId,
			TEMPLATES.map((t) => t.template),
		);
		await connectNumber(app);
	});
	afterAll(() => stopChecked(app));

	const send = (name: string, components: unknown) =>
		callApi(app, 'templateMessage', {
			body: {
				phoneNumbers: ['15550000001'],
				connectedWhatsAppNo: NUMBER.phoneNumberId,
				template: { name, language: { code: 'en_US' }, components },
			},
			headers: ADMIN_AUTH,
		});

	it(`answers ${COMPONENT_COUNT.toLocaleString('en')} sends with broken components or parameters with a 4xx and a reason, sending nothing`, async () => {
		// Each template's valid components are sent (Meta's spec accepts them), so a refusal below is about the break.
		for (const { template, components } of TEMPLATES) {
			const res = await send(template.name, components);
			expect([res.status, res.body.results?.[0]?.msId]).toEqual([200, expect.stringMatching(/^wamid\./)]);
		}
		const sent = app.sim.requestsTo('/messages').length;
		expect(sent).toBe(TEMPLATES.length);

		const rand = prng(COMPONENT_SEED);
		const statuses = new Map<number, number>();
		const kinds = new Map<string, number>();
		// Ten at a time (they are independent); after each ten, Meta has still received nothing new.
		for (let done = 0; done < COMPONENT_COUNT; done += 10) {
			const inputs = Array.from({ length: Math.min(10, COMPONENT_COUNT - done) }, () => brokenComponents(rand));
			const answers = await Promise.all(inputs.map((input) => send(input.name, input.components)));
			answers.forEach((res, j) => {
				const input = inputs[j];
				kinds.set(input.kind, (kinds.get(input.kind) ?? 0) + 1);
				statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
				const refusedAsExpected =
					refusedByApp(res) && (input.reason ? res.status === 400 && input.reason.test(String(res.body?.error)) : true);
				if (!refusedAsExpected || app.sim.requestsTo('/messages').length !== sent) {
					throw new Error(
						`case #${done + j} (seed ${COMPONENT_SEED}) ${input.kind} ${JSON.stringify(input).slice(0, 400)} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`,
					);
				}
			});
		}
		expect(app.sim.requestsTo('/messages')).toHaveLength(sent);
		app.harness.assertNoAppErrors();
		report.push(
			fuzzReport('templateMessage components', COMPONENT_SEED, {
				sends: COMPONENT_COUNT,
				...Object.fromEntries([...statuses].sort(([a], [b]) => a - b).map(([status, n]) => [`HTTP ${status}:`, n])),
				'sent to Meta': app.sim.requestsTo('/messages').length - sent,
			}),
			`templateMessage components fuzz kinds: ${[...kinds]
				.sort()
				.map(([k, n]) => `${k} ${n}`)
				.join(', ')}`,
		);
	}, 300000);
});
