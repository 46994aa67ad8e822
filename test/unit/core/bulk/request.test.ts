import * as fs from 'fs';
import * as path from 'path';

import { parseTemplateMessageRequest, requestFingerprint } from '../../../../src/core/bulk/request';
import { CONTRACTS_DIR } from '../../../support/metaSpec';

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
			'api_error_field_type',
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
});
