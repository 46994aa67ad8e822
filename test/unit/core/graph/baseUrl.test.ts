import { checkGraphBaseUrl, isLoopbackHost, META_GRAPH_BASE_URL } from '../../../../src/core/graph/baseUrl';

describe('the Graph API base URL rule', () => {
	it.each([
		['', META_GRAPH_BASE_URL],
		['   ', META_GRAPH_BASE_URL],
		['https://graph.facebook.com', 'https://graph.facebook.com'],
		['https://graph.facebook.com/', 'https://graph.facebook.com'],
		['HTTPS://Graph.Facebook.com//', 'https://graph.facebook.com'],
		['https://proxy.example.com:8443/meta/', 'https://proxy.example.com:8443/meta'],
		['http://127.0.0.1:3001', 'http://127.0.0.1:3001'],
		['http://127.45.6.7', 'http://127.45.6.7'],
		['http://127.1:3001', 'http://127.0.0.1:3001'],
		['http://localhost:3001/', 'http://localhost:3001'],
		['http://LOCALHOST', 'http://localhost'],
		['http://[::1]:3001', 'http://[::1]:3001'],
		['https://127.0.0.1:3001', 'https://127.0.0.1:3001'],
		// A Graph API version at the end, as Meta's docs write the URL: the app adds its own.
		['https://graph.facebook.com/v23.0', 'https://graph.facebook.com'],
		['https://graph.facebook.com/v19.0/', 'https://graph.facebook.com'],
		['https://graph.facebook.com/V23.0', 'https://graph.facebook.com'],
		// A proxy's path is its own.
		['https://proxy.example.com/meta/v23.0', 'https://proxy.example.com/meta/v23.0'],
		['https://proxy.example.com/v2', 'https://proxy.example.com/v2'],
	])('accepts %p as %p', (value, baseUrl) => {
		expect(checkGraphBaseUrl(value)).toEqual({ ok: true, baseUrl });
	});

	it.each([
		['http://graph.facebook.com', 'not_loopback'],
		['http://10.0.0.5:8080', 'not_loopback'],
		['http://0.0.0.0:3001', 'not_loopback'],
		['http://128.0.0.1', 'not_loopback'],
		['http://127.0.0.1.example.com', 'not_loopback'],
		['http://localhost.example.com', 'not_loopback'],
		['http://[::ffff:7f00:1]', 'not_loopback'],
		['http://[::2]', 'not_loopback'],
		['ftp://127.0.0.1', 'scheme'],
		['file:///etc/passwd', 'scheme'],
		['javascript:alert(1)', 'scheme'],
		['ws://127.0.0.1', 'scheme'],
		['graph.facebook.com', 'not_a_url'],
		['//graph.facebook.com', 'not_a_url'],
		['https://user:pass@graph.facebook.com', 'credentials'],
		['https://graph.facebook.com@evil.example.com', 'credentials'],
		['https://graph.facebook.com?x=1', 'query'],
		['https://graph.facebook.com/#x', 'query'],
		['https://graph.facebook.com?', 'query'],
	])('refuses %p (%s)', (value, reason) => {
		expect(checkGraphBaseUrl(value)).toEqual({ ok: false, reason });
	});

	it('takes a value that is not a string as empty', () => {
		expect(checkGraphBaseUrl(undefined)).toEqual({ ok: true, baseUrl: META_GRAPH_BASE_URL });
		expect(checkGraphBaseUrl(42)).toEqual({ ok: true, baseUrl: META_GRAPH_BASE_URL });
	});

	it('knows loopback hosts as the URL parser gives them', () => {
		expect(['127.0.0.1', '127.255.255.255', 'localhost', '[::1]'].map(isLoopbackHost)).toEqual([true, true, true, true]);
		expect(['127.0.0.256', '126.0.0.1', '0.0.0.0', '::1', 'example.com'].map(isLoopbackHost)).toEqual([
			false,
			false,
			false,
			false,
			false,
		]);
	});
});
