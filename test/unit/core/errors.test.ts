import * as fs from 'fs';
import * as path from 'path';

import { unansweredKey } from '../../../src/core/app/explain';
import { AppError, GraphApiError, isRefusedToken, mayHaveBeenSent, NetworkError } from '../../../src/core/errors';
import { translate } from '../../../src/core/i18n/translate';
import { CONTRACTS_DIR } from '../../support/metaSpec';

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8'));

describe('AppError', () => {
	it('is a real Error with a code, an HTTP status and an i18n key', () => {
		const error = new AppError({ code: 'number_unknown', message: 'no such number', status: 404, params: { id: '1' } });
		expect(error).toBeInstanceOf(Error);
		expect(error).toMatchObject({
			name: 'AppError',
			code: 'number_unknown',
			message: 'no such number',
			status: 404,
			i18nKey: 'error_number_unknown',
			params: { id: '1' },
		});
		expect(() => {
			throw error;
		}).toThrow('no such number');
	});

	it('defaults to HTTP 500', () => {
		expect(new AppError({ code: 'x', message: 'm', i18nKey: 'error_internal' })).toMatchObject({
			status: 500,
			i18nKey: 'error_internal',
		});
	});
});

describe('GraphApiError.fromResponse', () => {
	it("keeps every field of Meta's error envelope (error-codes page example)", () => {
		const raw = fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-docs/graph-error-130429.error-codes-page.json'), 'utf8');
		const error = GraphApiError.fromResponse(429, raw);
		expect(error).toBeInstanceOf(AppError);
		expect(error).toMatchObject({
			name: 'GraphApiError',
			code: 'graph_error',
			graphCode: 130429,
			subcode: 2494055,
			type: 'OAuthException',
			graphMessage: '(#130429) Rate limit hit',
			errorData: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
			fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
			httpStatus: 429,
			status: 502,
			i18nKey: 'error_graph_unavailable',
			params: { code: 130429 },
		});
		expect(error.message).toBe('Graph API error 130429: (#130429) Rate limit hit');
	});

	it('keeps the user title and message, and the transient flag', () => {
		const envelope = readJson('meta-openapi/graph-error-responses.examples.json')[
			'GET /{Version}/{Application-ID}/connected_client_businesses -> 403'
		];
		expect(GraphApiError.fromResponse(403, JSON.stringify(envelope))).toMatchObject({
			graphCode: 200,
			subcode: 1349174,
			title: 'Permission Denied',
			userMessage: "Your app doesn't have permission to access this resource",
			isTransient: undefined,
		});
		const transient = readJson('meta-openapi/graph-error-responses.examples.json')[
			'GET /{Version}/{Application-ID}/connected_client_businesses -> 500'
		];
		expect(GraphApiError.fromResponse(500, JSON.stringify(transient))).toMatchObject({
			graphCode: 2,
			isTransient: true,
			httpStatus: 500,
		});
	});

	it.each([
		['<html><body>502 Bad Gateway</body></html>', 502],
		['', 503],
		['{"data":[]}', 500],
		['null', 500],
	])('maps a body that is not an envelope (%p) to graphCode 0 with the HTTP status', (body, status) => {
		expect(GraphApiError.fromResponse(status, body)).toMatchObject({
			graphCode: 0,
			httpStatus: status,
			type: 'HttpError',
			message: `Graph API error ${status}: HTTP ${status} without a Graph error body`,
		});
	});

	it('reads a numeric-string code and ignores a non-numeric one', () => {
		expect(new GraphApiError(400, { code: '131047' })).toMatchObject({ graphCode: 131047 });
		expect(new GraphApiError(400, { code: '<CODE (integer)>' })).toMatchObject({ graphCode: 0 });
	});
});

describe('NetworkError', () => {
	it('says whether the call timed out', () => {
		expect(new NetworkError({ detail: 'ETIMEDOUT', timedOut: true })).toMatchObject({
			name: 'NetworkError',
			code: 'network_timeout',
			timedOut: true,
			message: 'Graph API timed out: ETIMEDOUT',
			i18nKey: 'error_graph_timed_out',
			status: 502,
		});
		expect(new NetworkError({ detail: 'ECONNREFUSED', timedOut: false })).toMatchObject({
			code: 'network_error',
			timedOut: false,
			reached: false,
			message: 'Graph API unreachable: ECONNREFUSED',
		});
	});

	it('says whether the request may have reached the server: after a timeout or a connection lost once made, not before', () => {
		expect(new NetworkError({ detail: 'no answer in 10 s', timedOut: true }).reached).toBe(true);
		expect(new NetworkError({ detail: 'read ECONNRESET', timedOut: false })).toMatchObject({
			reached: true,
			message: 'Graph API connection lost: read ECONNRESET',
			i18nKey: 'error_graph_connection_lost',
		});
		expect(new NetworkError({ detail: 'getaddrinfo ENOTFOUND graph.facebook.com', timedOut: false }).reached).toBe(false);
		// The caller's reading (the error's code as well as its message) wins.
		expect(new NetworkError({ detail: 'failed', timedOut: false, reached: false }).reached).toBe(false);
		expect(new NetworkError({ detail: 'slow', timedOut: true, reached: false }).reached).toBe(true);
		expect([
			mayHaveBeenSent(new NetworkError({ detail: 'socket hang up', timedOut: false })),
			mayHaveBeenSent(new NetworkError({ detail: 'connect ECONNREFUSED 157.240.0.35:443', timedOut: false })),
		]).toEqual([true, false]);
		// An answer that was not Meta's: a server error or a success says nothing of what Meta did; a 4xx page is a refusal.
		expect([502, 200, 204, 404, 400, 301].map((status) => mayHaveBeenSent(GraphApiError.fromResponse(status, '<html>')))).toEqual([
			true,
			true,
			true,
			false,
			false,
			false,
		]);
		// Meta's own error envelope is Meta's refusal, whatever its status.
		expect(mayHaveBeenSent(GraphApiError.fromResponse(500, '{"error":{"code":131000,"message":"Something went wrong"}}'))).toBe(false);
	});
});

describe('NetworkError of a refused certificate', () => {
	it("says so in Node's and Deno's words (nothing sent), and not for a certificate named in a URL, a timeout or a connection lost", () => {
		for (const detail of [
			'request to https://graph.facebook.com/v23.0/1/messages failed, reason: unable to verify the first certificate',
			'request to https://graph.facebook.com/… failed, reason: self-signed certificate in certificate chain SELF_SIGNED_CERT_IN_CHAIN',
			'certificate has expired CERT_HAS_EXPIRED',
			"Hostname/IP does not match certificate's altnames: Host: graph.facebook.com. is not in the cert's altnames ERR_TLS_CERT_ALTNAME_INVALID",
			'error sending request for url (https://graph.facebook.com/v23.0/1/messages): client error (Connect): invalid peer certificate: UnknownIssuer',
			'invalid peer certificate: NotValidForName',
		]) {
			const error = new NetworkError({ detail, timedOut: false });
			expect([detail, error.reached, error.i18nKey]).toEqual([detail, false, 'error_graph_certificate']);
			expect(unansweredKey(error, 'integrator')).toBe('error_graph_certificate');
			expect(unansweredKey(error, 'agent')).toBe('error_graph_certificate');
		}
		// Not a refused server certificate: a URL or host name holding the word, a TLS alert (the server
		// refusing this side's certificate), a name not found.
		for (const detail of [
			'connect ECONNREFUSED 127.0.0.1:443 https://certificate.example/',
			'getaddrinfo ENOTFOUND certificate-proxy.corp',
			'error sending request for url (https://graph.facebook.com/x): client error (Connect): dns error: failed to lookup address information: self-signed.internal',
			'write EPROTO 0010:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required',
			'SSL alert number 42: sslv3 alert bad certificate',
			'client error (Connect): received fatal alert: CertificateRequired',
		])
			expect([detail, new NetworkError({ detail, timedOut: false }).i18nKey]).toEqual([detail, 'error_graph_unreachable']);
		expect(new NetworkError({ detail: 'certificate check timed out', timedOut: true }).i18nKey).toBe('error_graph_timed_out');
		expect(new NetworkError({ detail: 'certificate', timedOut: false, reached: true }).i18nKey).toBe('error_graph_connection_lost');
		expect(unansweredKey(new NetworkError({ detail: 'getaddrinfo ENOTFOUND graph.facebook.com', timedOut: false }), 'agent')).toBe(
			'error_graph_unreachable',
		);
		expect(translate('en', 'error_graph_certificate')).toMatch(
			/^Meta's API could not be reached from this server: the TLS certificate/,
		);
	});
});

describe('isRefusedToken', () => {
	it('is true for the codes by which Meta refuses the access token itself: 190 and 102 (API Session)', () => {
		expect([190, 102].map(isRefusedToken)).toEqual([true, true]);
		// AuthException (0) is "no code known" to callers; a permission error is not a refused token.
		expect([0, 10, 200, 100, 131000, undefined].map((code) => isRefusedToken(code))).toEqual([
			false,
			false,
			false,
			false,
			false,
			false,
		]);
	});
});
