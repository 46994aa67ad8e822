/** The settings' parsers (src/core/app/settings.ts): what the app does with what an admin typed. */
import { settingsOf } from '../../../../src/core/app/settings';

describe('settings', () => {
	it.each([
		['v23.0', 'v23.0'],
		['v21.0', 'v21.0'],
		['23.0', 'v23.0'],
		[' v22.0 ', 'v22.0'],
		['V22.0', 'v22.0'],
		// Not a version: Graph would take it for an object id, and every call would fail as "unknown id".
		['latest', 'v23.0'],
		['v23', 'v23.0'],
		['v23.0/', 'v23.0'],
		['', 'v23.0'],
		[42, 'v23.0'],
	])('Graph API version %p is called as %p', async (raw, expected) => {
		expect(await settingsOf({ graphApiVersion: raw }).get('graphApiVersion')).toBe(expected);
	});

	it.each([
		['s3cr3t', 's3cr3t'],
		[' s3cr3t\n', 's3cr3t'],
		['a b', 'a b'],
		['   ', ''],
		[undefined, ''],
	])('the status signing secret %p signs as %p (a paste leaves spaces and line breaks around it)', async (raw, expected) => {
		expect(await settingsOf({ statusSigningSecret: raw }).get('statusSigningSecret')).toBe(expected);
	});
});
