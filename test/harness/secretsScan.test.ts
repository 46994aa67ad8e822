/**
 * The secrets scan every end-to-end test ends with (stopChecked): it finds a connected number's
 * token or app secret wherever the app could have shown it, and names the place, not the secret.
 */
import { AppUnderTest, assertNoSecretShown, NUMBER } from '../../tools/harness/appUnderTest';
import { StatusSink } from '../../tools/harness/statusSink';
import { request } from '../../tools/http/client';

/* eslint-disable @typescript-eslint/no-explicit-any */
function app(shown: {
	logs?: unknown[];
	messages?: unknown[];
	notices?: unknown[];
	ui?: unknown[];
	answers?: unknown[];
	sinks?: unknown[];
}): AppUnderTest {
	return {
		sim: { numbers: new Map([[NUMBER.phoneNumberId, NUMBER]]) },
		harness: {
			logs: shown.logs ?? [],
			world: {
				messages: shown.messages ?? [],
				notifications: (shown.notices ?? []).map((message) => ({ message })),
				ui: shown.ui ?? [],
			},
		},
		http: { answers: shown.answers ?? [] },
		statusSinks: () => shown.sinks ?? [],
	} as any;
}

describe('the secrets scan', () => {
	it('passes when no secret shows, masked endings included', () => {
		expect(() =>
			assertNoSecretShown(app({ logs: [{ args: ['connected ••••cdef'] }], answers: [{ status: 200, body: '{"success":true}' }] })),
		).not.toThrow();
	});

	it.each([
		['app log', { logs: [{ args: [`token ${NUMBER.accessToken}`] }] }],
		['room messages', { messages: [{ text: `secret ${NUMBER.appSecret}` }] }],
		['notices', { notices: [{ text: NUMBER.accessToken }] }],
		['UIKit views', { ui: [{ view: { blocks: [{ text: NUMBER.appSecret }] } }] }],
		['HTTP answers', { answers: [{ status: 400, body: `{"error":"${NUMBER.accessToken}"}` }] }],
		[
			'status payloads',
			{
				sinks: [
					{ received: [{ raw: `{"msId":"wamid.1","ErrorDetails":{"message":"token ${NUMBER.accessToken}"}}`, headers: {} }] },
				],
			},
		],
		['status payloads', { sinks: [{ received: [{ raw: '{}', headers: { authorization: `Bearer ${NUMBER.accessToken}` } }] }] }],
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

	it('finds a secret a real status sink received, also when the sink answered with an error', async () => {
		const sink = new StatusSink();
		const url = await sink.start();
		try {
			const shown = app({ sinks: [sink] });
			await request(url, {
				method: 'POST',
				raw: '{"msId":"wamid.1","MessageStatus":"sent"}',
				headers: { 'Content-Type': 'application/json' },
			});
			expect(() => assertNoSecretShown(shown)).not.toThrow();
			sink.failWith = 500;
			await request(url, {
				method: 'POST',
				raw: `{"msId":"wamid.2","MessageStatus":"failed","ErrorDetails":{"secret":"${NUMBER.appSecret}"}}`,
				headers: { 'Content-Type': 'application/json' },
			});
			expect(() => assertNoSecretShown(shown)).toThrow(`status payloads shows a secret ending ${NUMBER.appSecret.slice(-4)}`);
		} finally {
			await sink.stop();
		}
	});
});
