/**
 * The Graph API base URL setting: where every Cloud API call goes, each with a number's access
 * token. Only https is accepted, or a loopback address (127.0.0.0/8, localhost, [::1]) over http or
 * https for a local simulator (the sandbox, the tests). Anything else (plain http to another host,
 * another scheme, credentials, a query or fragment, not a URL) is refused: the app then sends
 * nothing at all, rather than a token in clear text or somewhere the admin did not mean.
 *
 * The value is read with the WHATWG URL parser, the one Rocket.Chat's fetch uses, so the host
 * checked is the host called (`http://127.1` is 127.0.0.1, `http://127.0.0.1.example.com` is not
 * loopback). The URL used is the parsed one: origin and path, without trailing slashes, nor a Graph
 * API version at the end of Meta's own (`https://graph.facebook.com/v23.0`).
 */

export const META_GRAPH_BASE_URL = 'https://graph.facebook.com';

export type GraphBaseUrlRefusal = 'not_a_url' | 'scheme' | 'not_loopback' | 'credentials' | 'query';

export type GraphBaseUrlCheck = { ok: true; baseUrl: string } | { ok: false; reason: GraphBaseUrlRefusal };

/** Whether `hostname` (as the URL parser gives it) is a loopback address: 127.0.0.0/8, localhost or [::1]. */
export function isLoopbackHost(hostname: string): boolean {
	const host = hostname.toLowerCase();
	if (host === 'localhost' || host === '[::1]') return true;
	const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
	return Boolean(octets && Number(octets[1]) === 127 && octets.slice(2).every((o) => Number(o) <= 255));
}

/** The base URL to call for the setting's `value` (empty: Meta's), or why it is refused. */
export function checkGraphBaseUrl(value: unknown): GraphBaseUrlCheck {
	const text = typeof value === 'string' ? value.trim() : '';
	if (!text) return { ok: true, baseUrl: META_GRAPH_BASE_URL };
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return { ok: false, reason: 'not_a_url' };
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: 'scheme' };
	if (url.username || url.password) return { ok: false, reason: 'credentials' };
	if (url.search || url.hash || text.includes('?') || text.includes('#')) return { ok: false, reason: 'query' };
	if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) return { ok: false, reason: 'not_loopback' };
	// Meta's own URL with a Graph API version (Meta's docs show `https://graph.facebook.com/v23.0`):
	// the app adds the version setting's, and a second one would be taken for an object id. (A
	// proxy's path is its own, and stays as written.)
	const base = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
	return { ok: true, baseUrl: url.hostname === 'graph.facebook.com' ? base.replace(/\/v\d+\.\d+$/i, '') : base };
}
