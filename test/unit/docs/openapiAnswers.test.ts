/**
 * The answers templateMessage gives, checked against docs/templateMessage.openapi.yaml with every
 * documented object made closed (no field the document does not name): a send with failed
 * recipients (`reason`, `details`), its replay, the replay of an interrupted request, a campaign's
 * 202 and its replay, and the error answers, whose `code` must be one the document lists. The list
 * of codes is also checked against the code that writes them, so that neither drifts.
 */
import fs from 'fs';
import path from 'path';

import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';

import { LEASE_MS } from '../../../src/core/app/idempotentRequest';
import { errorAnswer } from '../../../src/core/app/sendTemplates';
import { PacerDeadlineError } from '../../../src/core/bulk/pacer';
import { requestFingerprint, parseTemplateMessageRequest } from '../../../src/core/bulk/request';
import { GraphApiError } from '../../../src/core/errors';
import { translator } from '../../../src/core/i18n/translate';
import { orderReadyBody, templatesWorld } from '../core/app/fakes-templates';

/* eslint-disable @typescript-eslint/no-explicit-any */
const ROOT = path.join(__dirname, '..', '..', '..');
const doc = parse(fs.readFileSync(path.join(ROOT, 'docs', 'templateMessage.openapi.yaml'), 'utf8'));
const post = doc.paths['/api/apps/public/{appId}/templateMessage'].post;

/** A schema with its references resolved and every object with properties closed to others. */
function closed(schema: any): any {
	if (Array.isArray(schema)) return schema.map(closed);
	if (!schema || typeof schema !== 'object') return schema;
	if (typeof schema.$ref === 'string') {
		const target = schema.$ref
			.replace(/^#\//, '')
			.split('/')
			.reduce((node: any, key: string) => node[key], doc);
		return closed(target);
	}
	const out: any = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, closed(v)]));
	if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
	return out;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
const validatorOf = (status: string, responses = post.responses) => {
	const response = closed(responses[status]);
	return ajv.compile(response.content['application/json'].schema);
};
function expectDocumented(status: number, content: unknown, responses = post.responses) {
	const validate = validatorOf(String(status), responses);
	expect([status, validate(content) ? 'documented' : validate.errors]).toEqual([status, 'documented']);
}

const en = translator('en');
const manager = ['livechat-manager'];
const body = (extra: Record<string, unknown> = {}) =>
	orderReadyBody(['5511987654321', '12025550100', '12025550101', 'not a number'], extra);

describe("templateMessage's answers, as the OpenAPI document describes them", () => {
	it('a send with failed recipients (Meta refused, not started), and its replay (`replayed`)', async () => {
		const w = templatesWorld();
		w.graph.answer = (to) =>
			to === '12025550100'
				? new GraphApiError(400, {
						code: 131008,
						message: '(#131008) Required parameter is missing',
						error_data: { messaging_product: 'whatsapp', details: 'Parameter of type text is missing text value' },
					})
				: to === '12025550101'
					? new PacerDeadlineError()
					: { messaging_product: 'whatsapp', messages: [{ id: `wamid.${to}` }] };
		const first = await w.service.templateMessage({ body: body({ idempotencyKey: 'k' }), roles: manager, userId: 'u1', t: en });
		expect((first.content.results as any[]).map((r) => r.error?.reason)).toEqual([undefined, 'refused', 'not_started']);
		expectDocumented(first.status, first.content);
		const replay = await w.service.templateMessage({ body: body({ idempotencyKey: 'k' }), roles: manager, userId: 'u1', t: en });
		expect(replay.content.replayed).toBe(true);
		expectDocumented(replay.status, replay.content);
	});

	it('the replay of a request cut off after sending (`interrupted`, each unknown recipient `reason: interrupted`)', async () => {
		const w = templatesWorld();
		const parsed = parseTemplateMessageRequest(body({ idempotencyKey: 'k' }));
		if (!parsed.ok) throw new Error('bad body');
		await w.idempotency.save({
			key: 'u1:k',
			fingerprint: requestFingerprint(parsed.request),
			at: w.clock.at,
			state: 'pending',
			leaseUntil: w.clock.at + LEASE_MS,
			sent: [{ phoneNumber: '5511987654321', msId: 'wamid.1' }],
		});
		w.clock.at += LEASE_MS + 1;
		const replay = await w.service.templateMessage({ body: body({ idempotencyKey: 'k' }), roles: manager, userId: 'u1', t: en });
		expect(replay.content).toMatchObject({ replayed: true, interrupted: true });
		expectDocumented(replay.status, replay.content);
	});

	it("a campaign's 202, and its replay (`replayed`), also once the first request was cut off", async () => {
		const w = templatesWorld({ campaigns: { start: async () => 'c-1' } });
		const request = body({ idempotencyKey: 'c', async: true });
		const first = await w.service.templateMessage({ body: request, roles: manager, userId: 'u1', t: en });
		expect(first.status).toBe(202);
		expectDocumented(first.status, first.content);
		const replay = await w.service.templateMessage({ body: request, roles: manager, userId: 'u1', t: en });
		expect(replay).toEqual({ status: 202, content: { ...first.content, replayed: true } });
		expectDocumented(replay.status, replay.content);
		// The entry of a request whose answer was not kept: the campaign's 202 from its id.
		w.answers.set('u1:c', {
			...w.answers.get('u1:c')!,
			state: 'interrupted',
			status: undefined,
			content: undefined,
			campaignId: 'c-1',
		});
		const cut = await w.service.templateMessage({ body: request, roles: manager, userId: 'u1', t: en });
		expect(cut.content).toMatchObject({ campaignId: 'c-1', replayed: true });
		expectDocumented(cut.status, cut.content);
	});

	it('the error answers: the contract’s success and error, and a documented code', async () => {
		const w = templatesWorld();
		w.graph.admission = () => false;
		const refusals = await Promise.all(
			[
				{ body: body(), roles: ['user'] },
				{ body: body({ dryRun: 'yes' }), roles: manager },
				{ body: body(), roles: manager },
			].map((input) =>
				w.service.templateMessage({ ...input, t: en }).then(
					() => undefined,
					(e: unknown) => errorAnswer(e, en),
				),
			),
		);
		expect(refusals.map((a) => [a?.status, a?.content.code])).toEqual([
			[403, 'forbidden'],
			[400, 'field_type'],
			[400, 'request_too_slow'],
		]);
		for (const answer of refusals) expectDocumented(answer!.status, answer!.content);
		expectDocumented(500, errorAnswer(new Error('boom'), en).content);
		expect(validatorOf('400')({ success: false, error: 'x', code: 'not_a_documented_code' })).toBe(false);
		expect(validatorOf('400')({ success: false, error: 'x' })).toBe(false);
	});

	it("every example of an error answer is documented, the campaign's included", () => {
		const campaign = doc.paths['/api/apps/public/{appId}/campaign'];
		const errors = [
			...Object.entries(post.responses).map(([status, r]) => [status, r, post.responses] as const),
			...['get', 'delete'].flatMap((method) =>
				Object.entries(campaign[method].responses).map(([status, r]) => [status, r, campaign[method].responses] as const),
			),
		].filter(([status]) => Number(status) >= 400 && !['401', '413'].includes(status));
		expect(errors.length).toBeGreaterThan(10);
		for (const [status, response, responses] of errors) {
			const media = closed(response).content['application/json'];
			const examples = [media.example, ...Object.values(media.examples ?? {}).map((e: any) => e.value)].filter(Boolean);
			expect([status, examples.length > 0]).toEqual([status, true]);
			for (const example of examples) expectDocumented(Number(status), example, responses);
		}
	});

	it('lists exactly the codes the app writes', () => {
		const documented: string[] = doc.components.schemas.Error.properties.code.enum;
		const description: string = doc.components.schemas.Error.properties.code.description;
		for (const code of documented) expect([code, description.includes(`\`${code}\``)]).toEqual([code, true]);
		// Every refusal is an i18n key `api_error_<code>` (SendRefused), but those of a recipient's error and Rocket.Chat's 401.
		const sources = [
			'src/core/bulk/request.ts',
			'src/core/templates/sendComponents.ts',
			'src/core/templates/errors.ts',
			'src/core/app/sendTemplates.ts',
			'src/core/app/campaigns.ts',
			'src/core/app/idempotentRequest.ts',
			'src/entry/api/TemplateMessageEndpoint.ts',
			'src/entry/api/CampaignEndpoint.ts',
		].map((file) => fs.readFileSync(path.join(ROOT, file), 'utf8'));
		const notAnswers = ['graph', 'send_unknown', 'idempotency_interrupted', 'unauthenticated', 'internal'];
		const written = new Set(
			sources
				.flatMap((text) => [...text.matchAll(/'api_error_([a-z0-9_]+)'/g)].map((m) => m[1]))
				.filter((c) => !notAnswers.includes(c)),
		);
		// The three words of a template list not fetched again share one code (TemplateListUnavailable's); a 500 is `internal`.
		written.delete('template_list_token');
		written.delete('template_list_app_secret');
		written.add('internal');
		// The refused Graph API base URL's words are the modal's too (error_graph_base_url_refused), its code given.
		expect(sources[3]).toContain("new SendRefused('error_graph_base_url_refused', { status: 503, code: 'graph_base_url_refused' })");
		written.add('graph_base_url_refused');
		expect([...written].sort()).toEqual([...documented].sort());
	});
});
