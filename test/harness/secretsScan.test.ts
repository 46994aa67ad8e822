/**
 * The secrets scan every end-to-end test ends with (stopChecked): it finds a connected number's
 * token or app secret wherever the app could have shown it, and names the place, not the secret.
 */
import { AppUnderTest, assertNoSecretShown, NUMBER } from '../../tools/harness/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
function app(shown: { logs?: unknown[]; messages?: unknown[]; notices?: unknown[]; ui?: unknown[]; answers?: unknown[] }): AppUnderTest {
	return {
		sim: { numbers: new Map([[NUMBER.phoneNumberId, NUMBER]]) },
		harness: { logs: shown.logs ?? [], world: { messages: shown.messages ?? [], notifications: (shown.notices ?? []).map((message) => ({ message })), ui: shown.ui ?? [] } },
		http: { answers: shown.answers ?? [] },
	} as any;
}

describe('the secrets scan', () => {
	it('passes when no secret shows, masked endings included', () => {
		expect(() => assertNoSecretShown(app({ logs: [{ args: ['connected ••••cdef'] }], answers: [{ status: 200, body: '{"success":true}' }] }))).not.toThrow();
	});

	it.each([
		['app log', { logs: [{ args: [`token ${NUMBER.accessToken}`] }] }],
		['room messages', { messages: [{ text: `secret ${NUMBER.appSecret}` }] }],
		['notices', { notices: [{ text: NUMBER.accessToken }] }],
		['UIKit views', { ui: [{ view: { blocks: [{ text: NUMBER.appSecret }] } }] }],
		['HTTP answers', { answers: [{ status: 400, body: `{"error":"${NUMBER.accessToken}"}` }] }],
	])('finds a secret in the %s, naming the place and not the secret', (place, shown) => {
		let message = '';
		try {
			assertNoSecretShown(app(shown));
		} catch (error) {
			message = (error as Error).message;
		}
		expect(message).toContain(place);
		expect(message).not.toContain(NUMBER.accessToken);
		expect(message).not.toContain(NUMBER.appSecret);
	});
});
