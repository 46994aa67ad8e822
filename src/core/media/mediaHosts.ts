/**
 * Where a contact's media may be downloaded from. The download carries the number's access token
 * (Meta's media URLs need it), so the URL that `GET /{Media-ID}` answered with is followed only
 * when it points at Meta's media hosts:
 * - `lookaside.fbsbx.com`, Meta's WhatsApp media host: the URL of "Retrieve Media URL" in Meta's
 *   documentation and in real webhook captures is `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=...`;
 * - `*.fbcdn.net`, Meta's content delivery network, where Meta's API serves its other downloads
 *   (QR code images, Flow assets, ad images: `https://scontent-iad3-1.xx.fbcdn.net/...` in Meta's
 *   OpenAPI spec);
 * over https on the default port, with no user name or password in the URL.
 *
 * A local Cloud API (the simulator, tests, the sandbox) serves media from its own address: when the
 * Graph base URL's host is a loopback address (localhost, 127.0.0.0/8, [::1]), media on that same
 * origin (scheme, host and port) is allowed too: not another port, which is another server. The Graph base URL setting accepts only https or a
 * loopback address, so no other plain-http host can be configured.
 *
 * Plain TypeScript; the URLs are parsed as the WHATWG URL parser does, the parser Rocket.Chat's
 * HTTP client uses, so `https://lookaside.fbsbx.com@evil.example/` or a backslash trick cannot mean
 * one host here and another there.
 */

/** Meta's WhatsApp media host. */
export const META_MEDIA_HOST = 'lookaside.fbsbx.com';
/** Meta's CDN: a host under it. */
export const META_CDN_DOMAIN = '.fbcdn.net';

function parse(
	url: string,
): { protocol: string; host: string; hostname: string; port: string; username: string; password: string } | undefined {
	try {
		return new URL(url);
	} catch {
		return undefined;
	}
}

/** localhost, 127.0.0.0/8 or [::1] (as the URL parser normalizes them: `127.1` is 127.0.0.1). */
export function isLoopbackHost(hostname: string): boolean {
	return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** Whether the access token may go with a download of `url`, for a Graph API at `graphBaseUrl`. */
export function isMetaMediaUrl(url: string, graphBaseUrl: string): boolean {
	const target = parse(url);
	if (!target || target.username || target.password) return false;
	const host = target.hostname.toLowerCase();
	if (
		target.protocol === 'https:' &&
		target.port === '' &&
		(host === META_MEDIA_HOST || (host.endsWith(META_CDN_DOMAIN) && host.length > META_CDN_DOMAIN.length))
	)
		return true;
	const graph = parse(graphBaseUrl);
	if (!graph || !isLoopbackHost(graph.hostname.toLowerCase())) return false;
	return (
		(target.protocol === 'http:' || target.protocol === 'https:') &&
		target.protocol === graph.protocol &&
		target.host.toLowerCase() === graph.host.toLowerCase()
	);
}

/** The host of `url`, for a log line (never the whole URL). */
export function urlHost(url: string): string {
	return parse(url)?.hostname ?? '(not a URL)';
}
