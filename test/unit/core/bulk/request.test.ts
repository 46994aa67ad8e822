import * as fs from 'fs';
import * as path from 'path';

import * as request from '../../../../src/core/bulk/request';
import { createHash } from 'crypto';

import { canonicalRequest, parseTemplateMessageRequest, requestFingerprint, sameFingerprint } from '../../../../src/core/bulk/request';
import { translate } from '../../../../src/core/i18n/translate';
import { CONTRACTS_DIR } from '../../../support/metaSpec';
import { keys, orderReadyBody, templatesWorld } from '../app/fakes-templates';

const examples = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'rocketchat', 'templateMessage.request.examples.json'), 'utf8'));
const valid = () => JSON.parse(JSON.stringify(examples['WhatsApp Cloud']));

describe('parseTemplateMessageRequest', () => {
	it("accepts Rocket.Chat's published examples that carry a connected number", () => {
		for (const name of ['WhatsApp Cloud', 'WhatsApp 360Dialog (Cloud API)']) {
			const result = parseTemplateMessageRequest(examples[name]);
			expect(result).toMatchObject({
				ok: true,
				request: {
					connectedWhatsAppNo: examples[name].connectedWhatsAppNo,
					template: { name: examples[name].template.name },
					dryRun: false,
				},
			});
		}
	});

	it('refuses the published example without connectedWhatsAppNo with the published error', () => {
		expect(parseTemplateMessageRequest(examples['Whatsapp Sandbox'])).toEqual({ ok: false, key: 'api_error_missing_connected_number' });
	});

	it('campaign mode (async: true) takes up to 10,000 numbers and refuses 10,001; async must be a boolean', () => {
		const body = valid();
		body.async = true;
		body.phoneNumbers = Array.from({ length: 10000 }, (_, i) => `155500${String(i).padStart(5, '0')}`);
		expect(parseTemplateMessageRequest(body)).toMatchObject({ ok: true, request: { async: true } });
		body.phoneNumbers.push('15559999999');
		expect(parseTemplateMessageRequest(body)).toEqual({ ok: false, key: 'api_error_too_many_phone_numbers_campaign' });
		expect(parseTemplateMessageRequest({ ...valid(), async: 'yes' })).toEqual({
			ok: false,
			key: 'api_error_field_type',
			params: { field: 'async', type: { phrase: 'expected_boolean' } },
		});
		expect(parseTemplateMessageRequest(valid())).toMatchObject({ ok: true, request: { async: false } });
	});

	it('refuses 251 numbers', () => {
		const body = valid();
		body.phoneNumbers = Array.from({ length: 251 }, (_, i) => `155500${String(i).padStart(5, '0')}`);
		expect(parseTemplateMessageRequest(body)).toEqual({ ok: false, key: 'api_error_too_many_phone_numbers' });
		body.phoneNumbers = body.phoneNumbers.slice(0, 250);
		expect(parseTemplateMessageRequest(body).ok).toBe(true);
	});

	it.each([
		[null, 'api_error_body_not_object', undefined],
		['text', 'api_error_body_not_object', undefined],
		[{ connectedWhatsAppNo: 1 }, 'api_error_field_type', 'connectedWhatsAppNo'],
		[{ connectedWhatsAppNo: '1', phoneNumbers: 'x' }, 'api_error_field_type', 'phoneNumbers'],
		[{ connectedWhatsAppNo: '1', phoneNumbers: [] }, 'api_error_no_phone_numbers', undefined],
		[{ connectedWhatsAppNo: '1', phoneNumbers: [5511] }, 'api_error_field_type', 'phoneNumbers'],
		[{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: [] }, 'api_error_field_type', 'template'],
		[{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: '' } }, 'api_error_field_type', 'template.name'],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: 'en' } },
			'api_error_field_type',
			'template.language.code',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: { code: '\u0000' } } },
			'api_error_field_type',
			'template.language.code',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'Hello World', language: { code: 'en' } } },
			'api_error_field_type',
			'template.name',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: { code: 'en', policy: 'fallback' } } },
			'api_error_field_type',
			'template.language.policy',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: { code: 'en' }, components: {} } },
			'api_error_field_type',
			'template.components',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: { code: 'en' } }, targetAgent: 7 },
			'api_error_field_type',
			'targetAgent',
		],
		[
			{
				connectedWhatsAppNo: '1',
				phoneNumbers: ['1'],
				template: { name: 'a', language: { code: 'en' } },
				clientReference: 'x'.repeat(513),
			},
			'api_error_field_too_long',
			'clientReference',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: { code: 'en' } }, idempotencyKey: ' ' },
			'api_error_field_type',
			'idempotencyKey',
		],
		[
			{ connectedWhatsAppNo: '1', phoneNumbers: ['1'], template: { name: 'a', language: { code: 'en' } }, dryRun: 'yes' },
			'api_error_field_type',
			'dryRun',
		],
	])('refuses %j with %s naming %s', (body, key, field) => {
		const result = parseTemplateMessageRequest(body);
		expect(result.ok).toBe(false);
		expect(result).toMatchObject({ key, ...(field ? { params: { field } } : {}) });
	});

	it('names the limit of a value over it, not a wrong type: connectedWhatsAppNo, a phone number, template.name and the other texts (characters), components (20)', () => {
		const over = (body: Record<string, unknown>) => parseTemplateMessageRequest({ ...valid(), ...body });
		expect(over({ connectedWhatsAppNo: '1'.repeat(65) })).toEqual({
			ok: false,
			key: 'api_error_field_too_long',
			params: { field: 'connectedWhatsAppNo', max: 64, given: 65 },
		});
		// A recipient may be a business-scoped user id (up to 135 characters).
		expect(over({ phoneNumbers: ['15550000001', `US.ENT.${'2'.repeat(128)}`] })).toMatchObject({ ok: true });
		expect(over({ phoneNumbers: ['15550000001', '2'.repeat(141)] })).toEqual({
			ok: false,
			key: 'api_error_field_too_long',
			params: { field: 'phoneNumbers[1]', max: 140, given: 141 },
		});
		// A value of the wrong type is still said so, before any length.
		expect(over({ phoneNumbers: ['2'.repeat(70), 5] })).toMatchObject({
			key: 'api_error_field_type',
			params: { field: 'phoneNumbers' },
		});
		expect(over({ template: { ...valid().template, name: 'a'.repeat(513) } })).toEqual({
			ok: false,
			key: 'api_error_field_too_long',
			params: { field: 'template.name', max: 512, given: 513 },
		});
		// The texts of 512 characters at most: the same code, whichever the field.
		for (const field of ['targetAgent', 'targetDepartment', 'clientReference', 'idempotencyKey'])
			expect(over({ [field]: 'k'.repeat(513) })).toEqual({
				ok: false,
				key: 'api_error_field_too_long',
				params: { field, max: 512, given: 513 },
			});
		const components = Array.from({ length: 21 }, () => ({ type: 'body', parameters: [] }));
		expect(over({ template: { ...valid().template, components } })).toEqual({
			ok: false,
			key: 'api_error_field_too_many',
			params: { field: 'template.components', max: 20, given: 21 },
		});
		expect(over({ template: { ...valid().template, components: [...components.slice(1), 'x'] } })).toMatchObject({
			key: 'api_error_field_type',
			params: { field: 'template.components' },
		});
		// At the limits: accepted.
		expect(over({ connectedWhatsAppNo: '1'.repeat(64), phoneNumbers: ['2'.repeat(64)] }).ok).toBe(true);
		expect(over({ template: { ...valid().template, components: components.slice(1) } }).ok).toBe(true);
	});

	it('says each limit in every language', () => {
		const params = { field: 'connectedWhatsAppNo', max: 64, given: 65 };
		expect(translate('en', 'api_error_field_too_long', params)).toBe(
			'Invalid field "connectedWhatsAppNo": at most 64 characters (the request gives 65).',
		);
		expect(translate('es', 'api_error_field_too_long', params)).toBe(
			'Campo "connectedWhatsAppNo" no válido: como máximo 64 caracteres (la solicitud trae 65).',
		);
		expect(translate('pt-BR', 'api_error_field_too_many', { field: 'template.components', max: 20, given: 21 })).toBe(
			'Campo "template.components" inválido: no máximo 20 itens (a requisição traz 21).',
		);
	});

	it('reads the extensions', () => {
		const body = {
			...valid(),
			clientReference: ' order-42 ',
			idempotencyKey: 'k1',
			dryRun: true,
			targetAgent: 'ana',
			targetDepartment: 'Sales',
		};
		expect(parseTemplateMessageRequest(body)).toMatchObject({
			ok: true,
			request: { clientReference: 'order-42', idempotencyKey: 'k1', dryRun: true, targetAgent: 'ana', targetDepartment: 'Sales' },
		});
	});

	it('reads a blank targetAgent, targetDepartment or clientReference as absent (clients send "" for fields they do not use)', () => {
		const result = parseTemplateMessageRequest({ ...valid(), targetAgent: '', targetDepartment: ' ', clientReference: '' });
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect([result.request.targetAgent, result.request.targetDepartment, result.request.clientReference]).toEqual([
			undefined,
			undefined,
			undefined,
		]);
	});

	it('fingerprints the same body the same way whatever the key order, and differently otherwise', () => {
		const a = parseTemplateMessageRequest({ ...valid(), idempotencyKey: 'k' });
		const reordered = JSON.parse(
			JSON.stringify({
				template: valid().template,
				connectedWhatsAppNo: valid().connectedWhatsAppNo,
				phoneNumbers: valid().phoneNumbers,
				idempotencyKey: 'k',
			}),
		);
		const b = parseTemplateMessageRequest(reordered);
		const c = parseTemplateMessageRequest({ ...valid(), phoneNumbers: ['15550001111'], idempotencyKey: 'k' });
		if (!a.ok || !b.ok || !c.ok) throw new Error('expected valid requests');
		expect(requestFingerprint(a.request)).toBe(requestFingerprint(b.request));
		expect(requestFingerprint(a.request)).not.toBe(requestFingerprint(c.request));
	});

	it('keeps the fingerprint of a body stored keys were made with (sorted keys, integer-like keys first, an own "__proto__", no key)', () => {
		// The value the first implementation gave: an idempotency entry stored before an update must still match its body.
		const raw = `{"phoneNumbers":["+55 11 98765-4321","15550000002"],"connectedWhatsAppNo":"106540352242922",
			"template":{"name":"order_update","language":{"code":"en_US","policy":"deterministic"},"namespace":"ns",
			"components":[{"type":"body","parameters":[{"type":"text","text":"42"},
			{"type":"currency","currency":{"fallback_value":"$1","code":"USD","amount_1000":1000}}]},
			{"sub_type":"url","type":"button","index":0,"parameters":[{"text":"A-1","type":"text"}]},
			{"type":"carousel","cards":[{"card_index":1,"10":"ten","9":"nine","b":null,"a":[true,1.5,"é"],"__proto__":{"x":1}}]}]},
			"targetAgent":"agent1","targetDepartment":"Sales","clientReference":"order-42","idempotencyKey":"order-42-notice","async":false}`;
		const parsed = parseTemplateMessageRequest(JSON.parse(raw));
		if (!parsed.ok) throw new Error('expected a valid request');
		expect(canonicalRequest(parsed.request)).toBe(
			'{"async":false,"clientReference":"order-42","connectedWhatsAppNo":"106540352242922","dryRun":false,' +
				'"phoneNumbers":["+55 11 98765-4321","15550000002"],"targetAgent":"agent1","targetDepartment":"Sales",' +
				'"template":{"components":[{"parameters":[{"text":"42","type":"text"},' +
				'{"currency":{"amount_1000":1000,"code":"USD","fallback_value":"$1"},"type":"currency"}],"type":"body"},' +
				'{"index":0,"parameters":[{"text":"A-1","type":"text"}],"sub_type":"url","type":"button"},' +
				'{"cards":[{"9":"nine","10":"ten","__proto__":{"x":1},"a":[true,1.5,"é"],"b":null,"card_index":1}],"type":"carousel"}],' +
				'"language":{"code":"en_US","policy":"deterministic"},"name":"order_update","namespace":"ns"}}',
		);
	});

	it('keeps a hash of the body, not the body (its one-time code), and matches an entry stored by the versions before', () => {
		const parsed = parseTemplateMessageRequest({ ...valid(), idempotencyKey: 'k' });
		const other = parseTemplateMessageRequest({ ...valid(), phoneNumbers: ['15550001111'], idempotencyKey: 'k' });
		if (!parsed.ok || !other.ok) throw new Error('expected valid requests');
		const fingerprint = requestFingerprint(parsed.request);
		const json = canonicalRequest(parsed.request);
		expect(fingerprint).toBe(`sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}`);
		expect(fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
		expect(sameFingerprint(fingerprint, fingerprint)).toBe(true);
		expect(sameFingerprint(json, fingerprint)).toBe(true);
		expect(sameFingerprint(canonicalRequest(other.request), fingerprint)).toBe(false);
		expect(sameFingerprint(requestFingerprint(other.request), fingerprint)).toBe(false);
	});

	it('fingerprints a component of 5,000 keys with every key, sorted', () => {
		const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
		const parsed = parseTemplateMessageRequest({ ...valid(), template: { ...valid().template, components: [wide] } });
		if (!parsed.ok) throw new Error('expected a valid request');
		const component = JSON.parse(canonicalRequest(parsed.request)).template.components[0];
		expect(component).toEqual(wide);
		expect(Object.keys(component)).toEqual(Object.keys(wide).sort());
	});
});

describe('templateMessage fingerprints a request only when idempotency applies', () => {
	afterEach(() => jest.restoreAllMocks());

	const order = (extra: Record<string, unknown> = {}) => orderReadyBody(['5511987654321'], extra);

	it('not without an idempotencyKey, nor for a dry run with one (it skips idempotency); once for a send with one', async () => {
		const fingerprint = jest.spyOn(request, 'requestFingerprint');
		const w = templatesWorld();
		const send = (extra: Record<string, unknown>) =>
			w.service.templateMessage({ body: order(extra), roles: ['livechat-manager'], userId: 'u1', t: keys });
		expect((await send({})).status).toBe(200);
		expect((await send({ idempotencyKey: 'k', dryRun: true })).content).toMatchObject({ dryRun: true });
		expect(fingerprint).not.toHaveBeenCalled();
		expect(w.answers.size).toBe(0);
		expect((await send({ idempotencyKey: 'k' })).status).toBe(200);
		expect(fingerprint).toHaveBeenCalledTimes(1);
		expect(w.answers.get('u1:k')).toMatchObject({ state: 'done', fingerprint: fingerprint.mock.results[0].value });
	});
});
