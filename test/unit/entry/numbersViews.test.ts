/**
 * The numbers modal's views (src/entry/uikit/numbers/views.ts) and what they read: the callback URL
 * check (src/core/numbers/callbackUrl.ts) and the departments' names
 * (src/adapters/rocketchat/departments.ts). The end-to-end suite drives them through the engine:
 * test/e2e/foundation.test.ts ("connect, list, edit and disconnect a number").
 */
import { callbackUrlProblem } from '../../../src/core/numbers/callbackUrl';
import { ConnectedNumber } from '../../../src/core/numbers/ConnectedNumber';
import { translator } from '../../../src/core/i18n/translate';
import { departmentNames } from '../../../src/adapters/rocketchat/departments';
import { connectView, numbersView } from '../../../src/entry/uikit/numbers/views';
import { SETTLE_MS } from '../../../src/core/numbers/sightings';

/* eslint-disable @typescript-eslint/no-explicit-any */
const t = translator('en');
const NUMBER: ConnectedNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-013-3700',
	verifiedName: 'Acme',
	accessToken: 'EAAG-token',
	appSecret: '0123456789abcdef0123456789abcdef',
	departmentId: 'dep-sales-id',
	connectedAt: '2026-01-01T00:00:00.000Z',
	connectedBy: 'admin',
};
const APP = '11111111-2222-3333-4444-555555555555';
const webhook = (callbackUrl: string) => ({ callbackUrl, verifyToken: 'abc123' });
/** The texts of the view's blocks, in order. */
const textsOf = (view: Record<string, unknown>): string[] =>
	(view.blocks as any[]).flatMap((b) => (b.type === 'context' ? b.elements.map((e: any) => e.text) : b.text ? [b.text.text] : []));

describe('callbackUrlProblem', () => {
	it('accepts an absolute https URL only', () => {
		expect(callbackUrlProblem(`https://chat.example.com/api/apps/public/${APP}/webhook`)).toBeUndefined();
		expect(callbackUrlProblem(`https://chat.example.com:8443/rc/api/apps/public/${APP}/webhook`)).toBeUndefined();
		expect(callbackUrlProblem(`http://chat.example.com/api/apps/public/${APP}/webhook`)).toBe('not_https');
		expect(callbackUrlProblem(`ftp://chat.example.com/api/apps/public/${APP}/webhook`)).toBe('not_https');
		// An empty Site URL: a path alone. A Site URL without a scheme: no URL either.
		expect(callbackUrlProblem(`/api/apps/public/${APP}/webhook`)).toBe('not_absolute');
		expect(callbackUrlProblem(`chat.example.com/api/apps/public/${APP}/webhook`)).toBe('not_absolute');
		expect(callbackUrlProblem('')).toBe('not_absolute');
	});
});

describe('numbersView', () => {
	it('warns next to the callback URL when Meta would refuse it, and only then', () => {
		const ok = textsOf(numbersView({ t, numbers: [], webhook: webhook(`https://chat.example.com/api/apps/public/${APP}/webhook`) }));
		expect(ok[ok.length - 1]).toContain('callback URL `https://chat.example.com/');
		expect(ok.join('\n')).not.toContain('⚠️');

		const http = textsOf(numbersView({ t, numbers: [], webhook: webhook(`http://chat.example.com/api/apps/public/${APP}/webhook`) }));
		expect(http[http.length - 2]).toContain('callback URL `http://chat.example.com/');
		expect(http[http.length - 1]).toBe(t('webhook_url_not_https'));
		expect(http[http.length - 1]).toContain('https');
		expect(http[http.length - 1]).toContain('Site URL');

		const empty = textsOf(numbersView({ t, numbers: [], webhook: webhook(`/api/apps/public/${APP}/webhook`) }));
		expect(empty[empty.length - 1]).toBe(t('webhook_url_not_absolute'));
		expect(empty[empty.length - 1]).toContain('Site URL');
	});

	it("shows a number's department by name, its stored value where the name is unknown, and default routing without one", () => {
		const numbers = [
			NUMBER,
			{ ...NUMBER, phoneNumberId: '106540352249999', departmentId: 'dep-gone-id' },
			{ ...NUMBER, phoneNumberId: '106540352248888', departmentId: undefined },
		];
		const entries = textsOf(
			numbersView({ t, numbers, webhook: webhook('https://chat.example.com/x'), departments: { 'dep-sales-id': 'Sales' } }),
		).filter((s) => s.includes('106540352'));
		expect(entries).toHaveLength(3);
		expect(entries[0]).toContain('Sales');
		expect(entries[0]).not.toContain('dep-sales-id');
		expect(entries[1]).toContain('dep-gone-id');
		expect(entries[2]).toContain(t('numbers_no_department'));
		// Without the names (a caller that did not look them up), the stored values.
		expect(textsOf(numbersView({ t, numbers: [NUMBER], webhook: webhook('https://chat.example.com/x') })).join('\n')).toContain(
			'dep-sales-id',
		);
	});
});

describe("numbersView: Meta's word on the token and the account's webhooks", () => {
	const view = (over: Partial<ConnectedNumber>, now: Date) =>
		textsOf(numbersView({ t, numbers: [{ ...NUMBER, ...over }], webhook: webhook('https://chat.example.com/x'), now }));

	it('says a token expires before its time, and expired after it, in UTC to the minute', () => {
		const number = { tokenExpiresAt: '2026-12-08T20:15:42.000Z' };
		const before = view(number, new Date('2026-12-08T20:15:41Z')).join('\n');
		expect(before).toContain("This number's access token expires on 2026-12-08 20:15 UTC (as Meta said");
		expect(before).not.toContain('expired on');
		const after = view(number, new Date('2026-12-08T20:15:42Z')).join('\n');
		expect(after).toContain("This number's access token expired on 2026-12-08 20:15 UTC (as Meta said");
		expect(after).not.toContain('expires on');
		// A value that is no time says nothing.
		expect(view({ tokenExpiresAt: 'soon' }, new Date()).join('\n')).not.toContain('access token expire');
	});

	it('names the missing permissions and the apps the webhooks go to; no app at all says only that', () => {
		const texts = view(
			{ tokenMissingPermissions: ['whatsapp_business_messaging'], webhooksToOtherApps: ['Legacy CRM (999)', '555'] },
			new Date(),
		).join('\n');
		expect(texts).toContain('its access token lacks whatsapp_business_messaging: the app needs');
		expect(texts).toContain(
			"account 102290129340398 was last saved, the Meta apps subscribed to the account's webhooks were Legacy CRM (999), 555, not the app of this number's token",
		);
		const none = view({ webhooksUnsubscribed: true, webhooksToOtherApps: ['Legacy CRM (999)'] }, new Date()).join('\n');
		expect(none).toContain('Meta said no app is subscribed');
		expect(none).not.toContain('Legacy CRM');
		expect(view({}, new Date()).join('\n')).not.toMatch(/access token (expire|lacks)|webhooks were|no app is subscribed/);
	});

	it("leaves out a note of the account's webhooks that a webhook since the save contradicts, and that note only", () => {
		const noted = {
			appSecretProven: true,
			webhooksUnsubscribed: true,
			webhooksCheckedAt: '2026-12-07T10:00:00.400Z',
			tokenMissingPermissions: ['whatsapp_business_messaging'],
		};
		const listed = (sightings: Map<string, number>) =>
			textsOf(numbersView({ t, numbers: [{ ...NUMBER, ...noted }], webhook: webhook('https://chat.example.com/x'), sightings })).join(
				'\n',
			);
		const after = Date.parse(noted.webhooksCheckedAt) + SETTLE_MS + 1;
		expect(listed(new Map([[`number:${NUMBER.phoneNumberId}`, after - 1]]))).toContain('no app is subscribed');
		const mended = listed(new Map([[`number:${NUMBER.phoneNumberId}`, after]]));
		expect(mended).not.toContain('no app is subscribed');
		expect(mended).toContain('its access token lacks whatsapp_business_messaging');
	});
});

describe('connectView', () => {
	const initialDepartment = (view: Record<string, unknown>) =>
		(view.blocks as any[]).find((b) => b.blockId === 'departmentId')?.element.initialValue;

	it("seeds the Edit form with the department's name, else its stored value", () => {
		expect(initialDepartment(connectView(t, NUMBER, { 'dep-sales-id': 'Sales' }))).toBe('Sales');
		expect(initialDepartment(connectView(t, NUMBER, {}))).toBe('dep-sales-id');
		expect(initialDepartment(connectView(t, NUMBER))).toBe('dep-sales-id');
		expect(initialDepartment(connectView(t, { ...NUMBER, departmentId: undefined }, { 'dep-sales-id': 'Sales' }))).toBe('');
		expect(initialDepartment(connectView(t))).toBeUndefined();
	});
});

describe('the connect form’s introduction', () => {
	it.each(['en', 'es', 'pt-BR'])('%s: a permanent system-user token, not the temporary one of API Setup', (language) => {
		const tr = translator(language);
		const intro = (connectView(tr).blocks as any[])[0].text.text as string;
		expect(intro).toBe(tr('connect_intro'));
		expect(intro).toContain('API Setup');
		expect(intro).toContain('24');
		expect(intro).toContain('whatsapp_business_messaging');
		expect(intro).toContain('whatsapp_business_management');
	});
});

describe('departmentNames', () => {
	it('looks each department up once by id or name; one not found or failing is left out', async () => {
		const asked: string[] = [];
		const read: any = {
			getLivechatReader: () => ({
				getLivechatDepartmentByIdOrName: async (value: string) => {
					asked.push(value);
					if (value === 'dep-broken') throw new Error('database briefly unavailable');
					return value === 'dep-sales-id' ? { id: 'dep-sales-id', name: 'Sales' } : undefined;
				},
			}),
		};
		expect(await departmentNames(read, ['dep-sales-id', undefined, 'dep-gone-id', 'dep-sales-id', 'dep-broken'])).toEqual({
			'dep-sales-id': 'Sales',
		});
		expect(asked).toEqual(['dep-sales-id', 'dep-gone-id', 'dep-broken']);
	});
});
