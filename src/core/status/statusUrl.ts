/**
 * The Message Status Endpoint URL setting, checked before any POST: an absolute http or https URL
 * (read with the WHATWG URL parser, as Rocket.Chat's fetch reads it), without a user name or
 * password in it (fetch refuses such a URL: every POST would fail as a network error, with no word
 * of why). A query is kept (receivers often take a token there). Plain http is the admin's choice
 * (a receiver on the server's own network); the README recommends https.
 */

export type StatusUrlRefusal = 'status_url_not_absolute' | 'status_url_scheme' | 'status_url_credentials';

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
	if (url.username || url.password) return { kind: 'refused', reason: 'status_url_credentials' };
	return { kind: 'ok', url: url.href };
}
