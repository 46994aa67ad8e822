/**
 * The webhook callback URL shown to admins (the server's Site URL and the app's endpoint) as Meta
 * will take it. Meta calls it only over https, on a server with a valid TLS certificate ("Your
 * webhook endpoint server must have a valid TLS or SSL digital security certificate, correctly
 * configured and installed. Self-signed certificates are not supported.": Meta's "Create a webhook
 * endpoint", developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/create-webhook-endpoint).
 * An empty Site URL gives a path alone, which is no URL at all; `http://` is refused by the App
 * Dashboard. What the app can see is the scheme: whether the certificate is valid only Meta finds out.
 */

/** Why Meta will not accept the callback URL: not an absolute URL (no Site URL), or not https. */
export type CallbackUrlProblem = 'not_absolute' | 'not_https';

/** The i18n key of the warning shown next to the URL for each problem. */
export const CALLBACK_URL_WARNINGS: Record<CallbackUrlProblem, string> = {
	not_absolute: 'webhook_url_not_absolute',
	not_https: 'webhook_url_not_https',
};

/** What is wrong with `url` for Meta, or undefined when it is an absolute https URL. */
export function callbackUrlProblem(url: string): CallbackUrlProblem | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return 'not_absolute';
	}
	if (!parsed.hostname) return 'not_absolute';
	return parsed.protocol === 'https:' ? undefined : 'not_https';
}
