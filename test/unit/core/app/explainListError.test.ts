/**
 * Why a template list could not be fetched (core/app/sendTemplates.ts `explainListError`), as the
 * modal and `/whatsapp view-templates` say it: a refused list is not worded as a refused message.
 */
import { explainListError } from '../../../../src/core/app/sendTemplates';
import { GraphApiError, NetworkError } from '../../../../src/core/errors';
import { translator } from '../../../../src/core/i18n/translate';
import { TemplateListUnavailable } from '../../../../src/core/templates/errors';

const en = translator('en');

describe('explainListError', () => {
	it('words an error code of the list as a refused template list, not as a refused message, in every language', () => {
		const refused = new GraphApiError(400, { code: 100, message: 'Invalid parameter' });
		expect(explainListError(refused, en)).toBe('Meta refused the template list (error 100).');
		for (const language of ['en', 'es', 'pt-BR']) {
			const text = explainListError(refused, translator(language));
			expect(text).toContain('100');
			expect(text).toBe(translator(language)('graph_error_template_list', { code: 100 }));
			expect(text).not.toBe(translator(language)('graph_error_other', { code: 100 }));
		}
		// Meta's error 0 (no envelope: an HTML 502, say) is a refused list too.
		expect(explainListError(GraphApiError.fromResponse(502, '<html>'), en)).toBe('Meta refused the template list (error 0).');
	});

	it('keeps the words that fit a list: an expired token, Meta busy; out of reach', () => {
		expect(explainListError(new GraphApiError(401, { code: 190 }), en)).toBe(en('graph_error_190', { code: 190 }));
		// API Session (102): the token expired, was revoked or is invalid, as 190.
		expect(explainListError(new GraphApiError(401, { code: 102 }), en)).toBe(en('graph_error_190', { code: 102 }));
		expect(explainListError(new GraphApiError(503, { code: 131000 }), en)).toBe(en('graph_error_temporary', { code: 131000 }));
		expect(explainListError(new GraphApiError(429, { code: 4 }), en)).toBe(en('graph_error_temporary', { code: 4 }));
		expect(explainListError(new NetworkError({ detail: 'ECONNREFUSED', timedOut: false }), en)).toBe(en('error_graph_unreachable'));
		// No answer in time is not a network that refused the call, nor a connection lost.
		expect(explainListError(new NetworkError({ detail: 'no answer in 10 s', timedOut: true }), en)).toBe(
			"Meta's API did not answer in time. Try again in a moment.",
		);
		expect(explainListError(new NetworkError({ detail: 'read ECONNRESET', timedOut: false }), en)).toBe(
			en('error_graph_connection_lost'),
		);
		expect(explainListError(new Error('boom'), en)).toBe(en('error_graph_unreachable'));
	});

	it('names the template a list fetched again for it could not check, in every language', () => {
		const unavailable = new TemplateListUnavailable({ name: 'order_ready', language: 'pt_BR' });
		expect(explainListError(unavailable, en)).toBe(
			'The template list could not be fetched from Meta to check template "order_ready" (pt_BR) again; try again in a minute.',
		);
		for (const language of ['es', 'pt-BR']) {
			const text = explainListError(unavailable, translator(language));
			expect(text).toContain('"order_ready" (pt_BR)');
			expect(text).not.toBe(en('api_error_template_list_unavailable', { name: 'order_ready', language: 'pt_BR' }));
		}
	});
});
