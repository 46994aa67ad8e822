/**
 * The Message Status Endpoint URL setting, checked before any POST: an absolute http or https URL,
 * read with the WHATWG URL parser. A query is kept (receivers often take a token there), and so are
 * a user name and password: Rocket.Chat's HTTP bridge (serverFetch, node-fetch 2) sends them as
 * Basic authentication. Plain http is the admin's choice (a receiver on the server's own network);
 * the README recommends https.
 */

export type StatusUrlRefusal = 'status_url_not_absolute' | 'status_url_scheme';

/** None set (nothing is forwarded), the URL to POST to, or why the value is refused. */
export type StatusUrlCheck = { kind: 'none' } | { kind: 'ok'; url: string } | { kind: 'refused'; reason: StatusUrlRefusal };

export function checkStatusUrl(value: string): StatusUrlCheck {
	const text = value.trim();
	if (!text) return { kind: 'none' };
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return { kind: 'refused', reason: 'status_url_not_absolute' };
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') return { kind: 'refused', reason: 'status_url_scheme' };
	return { kind: 'ok', url: text };
}
