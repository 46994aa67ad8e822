import { GraphApiError, NetworkError } from '../../../src/core/errors';
import { GraphClient, HttpPort, HttpRequest, HttpResponse } from '../../../src/core/graph/GraphClient';

const TOKEN = 'EAAtoken-secret-123';

function fakePort(responses: Array<HttpResponse | Error>): HttpPort & { sent: HttpRequest[] } {
	const sent: HttpRequest[] = [];
	return {
		sent,
		async send(req) {
			sent.push(req);
			const next = responses.shift();
			if (!next) throw new Error('no response scripted');
			if (next instanceof Error) throw next;
			return next;
		},
	};
}

describe('GraphClient', () => {
	it('sends a message with the exact request Meta expects', async () => {
		const port = fakePort([{ status: 200, body: '{"messaging_product":"whatsapp","contacts":[{"input":"15551234567","wa_id":"15551234567"}],"messages":[{"id":"wamid.X"}]}' }]);
		const client = new GraphClient({ http: port, accessToken: TOKEN, baseUrl: 'http://127.0.0.1:9/', version: 'v23.0', timeoutMs: 5000 });
		const payload = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '15551234567', type: 'text', text: { body: 'hi' } };
		const result = await client.sendMessage('106540352242922', payload);
		expect(result.messages[0].id).toBe('wamid.X');
		expect(port.sent).toEqual([
			{
				method: 'POST',
				url: 'http://127.0.0.1:9/v23.0/106540352242922/messages',
				headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
				body: JSON.stringify(payload),
				timeoutMs: 5000,
			},
		]);
	});

	it('asks for a phone number with its fields', async () => {
		const port = fakePort([{ status: 200, body: '{"id":"1","display_phone_number":"+1 555","verified_name":"Acme"}' }]);
		await new GraphClient({ http: port, accessToken: TOKEN }).getPhoneNumber('106540352242922');
		expect(port.sent[0].url).toBe('https://graph.facebook.com/v23.0/106540352242922?fields=id%2Cdisplay_phone_number%2Cverified_name%2Cquality_rating');
		expect(port.sent[0].method).toBe('GET');
		expect(port.sent[0].body).toBeUndefined();
	});

	it('follows paging.next through every page of templates', async () => {
		const page = (names: string[], after?: string) => ({
			status: 200,
			body: JSON.stringify({ data: names.map((name) => ({ name })), paging: { cursors: { before: 'b', after: after ?? 'end' }, ...(after ? { next: `https://graph.facebook.com/v23.0/1/message_templates?after=${after}` } : {}) } }),
		});
		const port = fakePort([page(['a', 'b'], 'c1'), page(['c'], 'c2'), page(['d'])]);
		const all = await new GraphClient({ http: port, accessToken: TOKEN }).listAllTemplates('102290129340398', { limit: 2, status: 'APPROVED' });
		expect(all.map((t) => t.name)).toEqual(['a', 'b', 'c', 'd']);
		expect(port.sent.map((r) => r.url)).toEqual([
			'https://graph.facebook.com/v23.0/102290129340398/message_templates?limit=2&status=APPROVED',
			'https://graph.facebook.com/v23.0/102290129340398/message_templates?limit=2&status=APPROVED&after=c1',
			'https://graph.facebook.com/v23.0/102290129340398/message_templates?limit=2&status=APPROVED&after=c2',
		]);
	});

	it('turns Meta error envelopes into GraphApiError with Meta code, subcode and trace id', async () => {
		const envelope = { error: { message: 'Error validating access token', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: 'Atrace' } };
		const port = fakePort([{ status: 401, body: JSON.stringify(envelope) }]);
		const promise = new GraphClient({ http: port, accessToken: TOKEN }).getPhoneNumber('1');
		await expect(promise).rejects.toBeInstanceOf(GraphApiError);
		await expect(promise).rejects.toMatchObject({ graphCode: 190, subcode: 463, type: 'OAuthException', fbtraceId: 'Atrace', httpStatus: 401 });
	});

	it('maps a non-JSON 502 page to a GraphApiError keeping the HTTP status', async () => {
		const port = fakePort([{ status: 502, body: '<html>Bad Gateway</html>' }]);
		await expect(new GraphClient({ http: port, accessToken: TOKEN }).getPhoneNumber('1')).rejects.toMatchObject({ graphCode: 0, httpStatus: 502 });
	});

	it('maps a transport failure to NetworkError without the token in its message', async () => {
		const port = fakePort([new Error(`connect ECONNREFUSED while sending Bearer ${TOKEN}`)]);
		const promise = new GraphClient({ http: port, accessToken: TOKEN }).getPhoneNumber('1');
		await expect(promise).rejects.toBeInstanceOf(NetworkError);
		await expect(promise).rejects.toThrow(/ECONNREFUSED/);
		await expect(new GraphClient({ http: fakePort([new Error(`x ${TOKEN}`)]), accessToken: TOKEN }).getPhoneNumber('1')).rejects.not.toThrow(TOKEN);
	});
});
