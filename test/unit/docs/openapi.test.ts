/**
 * docs/templateMessage.openapi.yaml is read by integrators' tools: it must parse, and its request
 * schema must be a JSON Schema (OpenAPI 3.1 uses draft 2020-12) that takes its own examples and the
 * body of Rocket.Chat's published contract.
 */
import fs from 'fs';
import path from 'path';

import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';

const doc = parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'templateMessage.openapi.yaml'), 'utf8'));

describe('the OpenAPI description of templateMessage and campaigns', () => {
	it('declares both paths and their methods', () => {
		expect(doc.openapi).toBe('3.1.0');
		expect(Object.keys(doc.paths)).toEqual(['/api/apps/public/{appId}/templateMessage', '/api/apps/public/{appId}/campaign']);
		expect(Object.keys(doc.paths['/api/apps/public/{appId}/campaign'])).toEqual(['parameters', 'get', 'delete']);
	});

	it('has a request schema that takes its examples and refuses a body without numbers', () => {
		const media = doc.paths['/api/apps/public/{appId}/templateMessage'].post.requestBody.content['application/json'];
		const validate = new Ajv2020({ strict: false }).compile(media.schema);
		for (const example of Object.values(media.examples) as Array<{ value: unknown }>) expect(validate(example.value)).toBe(true);
		const published = {
			phoneNumbers: ['2368106035555'],
			connectedWhatsAppNo: '104920685899299',
			template: { name: 'ship', language: { code: 'en' } },
		};
		expect(validate({ ...published, async: true })).toBe(true);
		expect(validate({ connectedWhatsAppNo: '104920685899299', template: published.template })).toBe(false);
		// 250 numbers at most, 10,000 in campaign mode (core/bulk/request.ts).
		const numbers = (n: number) => Array.from({ length: n }, (_, i) => String(5511900000000 + i));
		expect(validate({ ...published, phoneNumbers: numbers(250) })).toBe(true);
		expect(validate({ ...published, phoneNumbers: numbers(251) })).toBe(false);
		expect(validate({ ...published, phoneNumbers: numbers(251), async: false })).toBe(false);
		expect(validate({ ...published, phoneNumbers: numbers(10000), async: true })).toBe(true);
		expect(validate({ ...published, phoneNumbers: numbers(10001), async: true })).toBe(false);
	});

	it("describes the 202 of campaign mode with a schema its example meets, and DELETE's 400", () => {
		const path = doc.paths['/api/apps/public/{appId}/templateMessage'].post.responses['202'].content['application/json'];
		const validate = new Ajv2020({ strict: false }).compile(path.schema);
		expect(validate(path.example)).toBe(true);
		expect(validate({ success: true })).toBe(false);
		expect(Object.keys(doc.paths['/api/apps/public/{appId}/campaign'].delete.responses)).toEqual(['200', '400', '403', '404', '500']);
	});
});
