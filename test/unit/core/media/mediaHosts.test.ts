import { isLoopbackHost, isMetaMediaUrl } from '../../../../src/core/media/mediaHosts';

const GRAPH = 'https://graph.facebook.com';

describe('where a contact’s media may be downloaded from (the access token goes with it)', () => {
	it('takes Meta’s media hosts, over https on the default port', () => {
		// As in Meta's documentation and a real webhook capture (../shared/contracts/third-party-captures).
		expect(
			isMetaMediaUrl(
				'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=27251809591111687&source=webhook&ext=1778767167&hash=ARkm',
				GRAPH,
			),
		).toBe(true);
		expect(isMetaMediaUrl('https://LOOKASIDE.FBSBX.COM:443/whatsapp_business/attachments/?mid=1', GRAPH)).toBe(true);
		// Meta's CDN, as in Meta's OpenAPI spec for its other downloads.
		expect(isMetaMediaUrl('https://scontent-iad3-1.xx.fbcdn.net/m1/v/t6/An-H7T8?ccb=10-5', GRAPH)).toBe(true);
	});

	it('refuses every other host, and tricks that name Meta’s host without going there', () => {
		for (const url of [
			'http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1',
			'https://lookaside.fbsbx.com:8443/whatsapp_business/attachments/?mid=1',
			'https://lookaside.fbsbx.com.evil.example/x',
			'https://evil.example/lookaside.fbsbx.com/x',
			'https://lookaside.fbsbx.com@evil.example/x',
			'https://user:pass@lookaside.fbsbx.com/x',
			'https://evil.example\\@lookaside.fbsbx.com/x',
			'https://evilfbsbx.com/x',
			'https://other.fbsbx.com/x',
			'https://fbcdn.net/x',
			'https://evilfbcdn.net/x',
			'https://fbcdn.net.evil.example/x',
			'https://graph.facebook.com/v23.0/123',
			'https://127.0.0.1/x',
			'http://127.0.0.1:3000/whatsapp_business/attachments/?mid=1',
			'file:///etc/passwd',
			'lookaside.fbsbx.com/x',
			'',
		]) {
			expect([url, isMetaMediaUrl(url, GRAPH)]).toEqual([url, false]);
		}
	});

	it('takes the origin of a loopback Graph API (the simulator, tests, the sandbox), and only that origin', () => {
		const local = 'http://127.0.0.1:41234';
		expect(isMetaMediaUrl('http://127.0.0.1:41234/whatsapp_business/attachments/?mid=1', local)).toBe(true);
		expect(isMetaMediaUrl('https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1', local)).toBe(true);
		expect(isMetaMediaUrl('http://localhost:41234/x', 'http://localhost:41234')).toBe(true);
		expect(isMetaMediaUrl('http://[::1]:41234/x', 'http://[::1]:41234/')).toBe(true);
		expect(isMetaMediaUrl('http://127.0.0.2:41234/x', local)).toBe(false);
		// Another port is another server, and another scheme another origin.
		expect(isMetaMediaUrl('http://127.0.0.1:41235/x', local)).toBe(false);
		expect(isMetaMediaUrl('https://127.0.0.1:41234/x', local)).toBe(false);
		expect(isMetaMediaUrl('http://evil.example/x', local)).toBe(false);
		expect(isMetaMediaUrl('http://127.0.0.1@evil.example/x', local)).toBe(false);
		// A Graph API elsewhere (a proxy over https) does not make its own host a media host.
		expect(isMetaMediaUrl('https://graph.proxy.example/whatsapp_business/attachments/?mid=1', 'https://graph.proxy.example')).toBe(
			false,
		);
	});

	it('knows loopback addresses as the URL parser writes them', () => {
		for (const host of ['localhost', '127.0.0.1', '127.10.0.3', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
		for (const host of ['10.0.0.1', '128.0.0.1', 'localhost.evil.example', '[::2]', '0.0.0.0'])
			expect(isLoopbackHost(host)).toBe(false);
		expect(new URL('http://127.1:9/').hostname).toBe('127.0.0.1');
	});
});
