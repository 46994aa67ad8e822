/**
 * The error answers the REST endpoints build themselves, before any service runs
 * (src/entry/api/TemplateMessageEndpoint.ts, CampaignEndpoint.ts): each carries the contract's
 * `success` and `error` and a stable `code` (docs/templateMessage.openapi.yaml). The services'
 * refusals go through the same `errorAnswer` (test/unit/core/app/sendTemplatesAnswers.test.ts); the
 * end-to-end suites drive both through the engine (test/e2e/templateMessage.test.ts).
 */
import { CampaignEndpoint } from '../../../src/entry/api/CampaignEndpoint';
import { TemplateMessageEndpoint } from '../../../src/entry/api/TemplateMessageEndpoint';

/* eslint-disable @typescript-eslint/no-explicit-any */
const app: any = { getLogger: () => ({ error: () => undefined }) };
const user = { id: 'u1', username: 'admin', roles: ['admin'] };
const none: any = {};

describe('the endpoints’ own error answers', () => {
	it('templateMessage: a body not sent as JSON answers 415 with the code content_type', async () => {
		const answer = await new TemplateMessageEndpoint(app).post(
			{ headers: { 'content-type': 'text/plain' }, content: 'x', user } as any,
			none,
			none,
			none,
			none,
			none,
		);
		expect(answer).toEqual({
			status: 415,
			content: {
				success: false,
				code: 'content_type',
				error: 'Send the request body as JSON, with the header Content-Type: application/json. Rocket.Chat passes any other body to the app as form fields or as nothing.',
			},
		});
	});

	it('campaign: no id answers 400 campaign_missing_id; an id over 64 characters names the limit (not "missing"), field_too_long', async () => {
		const endpoint = new CampaignEndpoint(app);
		const get = (query: Record<string, string>, language = 'en') =>
			endpoint.get({ headers: { 'accept-language': language }, query, content: {}, user } as any, none, none, none, none, none);
		expect(await get({})).toEqual({
			status: 400,
			content: {
				success: false,
				code: 'campaign_missing_id',
				error: 'Error! Missing "id" of the campaign (query parameter id, or "id" in the body).',
			},
		});
		expect(await get({ id: 'c'.repeat(65) })).toEqual({
			status: 400,
			content: { success: false, code: 'field_too_long', error: 'Invalid field "id": at most 64 characters (the request gives 65).' },
		});
		expect((await get({ id: 'c'.repeat(65) }, 'pt-BR')).content).toMatchObject({
			error: 'Campo "id" inválido: no máximo 64 caracteres (a requisição traz 65).',
		});
	});
});
