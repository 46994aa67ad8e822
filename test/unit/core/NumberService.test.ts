import { GraphApiError, NetworkError } from '../../../src/core/errors';
import { ConnectedNumber, maskSecret, normalizeForm, TOKEN_PERMISSIONS, validateForm } from '../../../src/core/numbers/ConnectedNumber';
import {
	MissRefetchMarks,
	NumberGraph,
	NumberRepository,
	NumberService,
	SUBSCRIPTIONS_GRACE_MS,
} from '../../../src/core/numbers/NumberService';

const SECRET = '0123456789abcdef0123456789abcdef';

class MemoryRepo implements NumberRepository {
	readonly items = new Map<string, ConnectedNumber>();
	async list() {
		return [...this.items.values()];
	}
	async get(id: string) {
		return this.items.get(id);
	}
	async save(n: ConnectedNumber) {
		this.items.set(n.phoneNumberId, n);
	}
	async replace(n: ConnectedNumber) {
		if (!this.items.has(n.phoneNumberId)) return false;
		this.items.set(n.phoneNumberId, n);
		return true;
	}
	async remove(id: string) {
		return this.items.delete(id);
	}
}

/** A number an earlier version saved: no proof sent with its calls then (`appSecretProven` unset). */
const LEGACY: ConnectedNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-078-3881',
	verifiedName: 'Acme',
	accessToken: 'EAAgood',
	appSecret: SECRET,
	connectedAt: '2026-01-01T00:00:00.000Z',
	connectedBy: 'admin',
};
/** Meta's refusal of a proof made with another app's secret than the token's. */
const PROOF_REFUSED = new GraphApiError(400, {
	code: 100,
	type: 'GraphMethodException',
	message: 'Invalid appsecret_proof provided in the API argument',
});

const form = (over: Partial<Record<string, string>> = {}) =>
	normalizeForm({ phoneNumberId: '106540352242922', wabaId: '102290129340398', accessToken: 'EAAgood', appSecret: SECRET, ...over });

function graph(overrides: Partial<NumberGraph> = {}): NumberGraph {
	return {
		getPhoneNumber: async (id) => ({ id, display_phone_number: '+1 555-078-3881', verified_name: 'Acme' }),
		listPhoneNumbers: async () => [{ id: '106540352242922' }],
		listSubscribedApps: async () => [{ whatsapp_business_api_data: { id: '1234567890123456' } }],
		debugToken: async () => ({ appId: '1234567890123456', scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'] }),
		...overrides,
	};
}

describe('connect form rules', () => {
	it('reports each wrong field', () => {
		expect(validateForm(form({ phoneNumberId: '+1 555', wabaId: 'abc', accessToken: 'EA AB', appSecret: 'short' }))).toEqual({
			phoneNumberId: 'error_phone_number_id_format',
			wabaId: 'error_waba_id_format',
			accessToken: 'error_access_token_whitespace',
			appSecret: 'error_app_secret_format',
		});
		expect(validateForm(form({ accessToken: '', appSecret: '' }))).toEqual({
			accessToken: 'error_access_token_required',
			appSecret: 'error_app_secret_required',
		});
		expect(validateForm(form())).toEqual({});
		// An invisible character pasted with the token (a zero-width space, a no-break space): refused too.
		for (const accessToken of ['EAAB\u200bCD', 'EAAB\u00a0CD', 'EAABçCD'])
			expect(validateForm(form({ accessToken }))).toEqual({ accessToken: 'error_access_token_whitespace' });
	});

	it('masks secrets to their last four characters', () => {
		expect(maskSecret(SECRET)).toBe('••••cdef');
		expect(maskSecret('abc')).toBe('••••');
	});
});

describe('NumberService.connect', () => {
	it('saves a number Meta confirms, with its display number and name', async () => {
		const repo = new MemoryRepo();
		const service = new NumberService(
			repo,
			() => graph(),
			() => new Date('2026-01-01T00:00:00Z'),
		);
		const result = await service.connect(form({ departmentId: 'dept-1' }), 'admin');
		expect(result).toMatchObject({
			ok: true,
			created: true,
			number: {
				displayPhoneNumber: '+1 555-078-3881',
				verifiedName: 'Acme',
				departmentId: 'dept-1',
				connectedAt: '2026-01-01T00:00:00.000Z',
				connectedBy: 'admin',
			},
		});
		expect(repo.items.size).toBe(1);
	});

	it('notes a WABA no app is subscribed to, and saves the number whatever Meta answers of its subscriptions', async () => {
		const saved = async (listSubscribedApps: NumberGraph['listSubscribedApps']) => {
			const result = await new NumberService(new MemoryRepo(), () => graph({ listSubscribedApps })).connect(form(), 'admin');
			if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
			return result.number;
		};
		expect((await saved(async () => [])).webhooksUnsubscribed).toBe(true);
		for (const answer of [
			async () => [{ whatsapp_business_api_data: { id: '1' } }],
			// Meta's answer held no list, or the question failed (a permission, a timeout): nothing is said.
			async () => undefined,
			async () => Promise.reject(new GraphApiError(403, { code: 200 })),
			async () => Promise.reject(new NetworkError({ detail: 'no answer in 10 s', timedOut: true })),
		])
			expect(await saved(answer)).not.toHaveProperty('webhooksUnsubscribed');
		// An edit after the admin subscribed an app clears the note.
		const repo = new MemoryRepo();
		let apps: unknown[] = [];
		const service = new NumberService(repo, () => graph({ listSubscribedApps: async () => apps }));
		await service.connect(form(), 'admin');
		expect((await repo.get('106540352242922'))?.webhooksUnsubscribed).toBe(true);
		apps = [{ whatsapp_business_api_data: { id: '1' } }];
		expect(await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922')).toMatchObject({ ok: true });
		expect(await repo.get('106540352242922')).not.toHaveProperty('webhooksUnsubscribed');
	});

	it("dates each note of the account's webhooks with Meta's list it came from (webhooksCheckedAt), kept with the note", async () => {
		const repo = new MemoryRepo();
		let answer: () => Promise<unknown[] | undefined> = async () => [];
		let now = new Date('2026-12-07T10:00:00.400Z');
		const service = new NumberService(
			repo,
			() =>
				graph({
					listSubscribedApps: () => answer(),
					listPhoneNumbers: async () => [{ id: '106540352242922' }, { id: '106540352242923' }],
				}),
			() => now,
		);
		await service.connect(form(), 'admin');
		expect(repo.items.get('106540352242922')).toMatchObject({
			webhooksUnsubscribed: true,
			webhooksCheckedAt: '2026-12-07T10:00:00.400Z',
		});
		// Without an answer, the number keeps its note and its time; a new number of the account takes the
		// account's note dated now (what webhooks showed of its ID before does not count).
		answer = () => Promise.reject(new GraphApiError(500, { code: 2 }));
		now = new Date('2026-12-07T11:00:00.000Z');
		await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922');
		expect(repo.items.get('106540352242922')).toMatchObject({
			webhooksUnsubscribed: true,
			webhooksCheckedAt: '2026-12-07T10:00:00.400Z',
		});
		await service.connect(form({ phoneNumberId: '106540352242923' }), 'admin');
		expect(repo.items.get('106540352242923')).toMatchObject({
			webhooksUnsubscribed: true,
			webhooksCheckedAt: '2026-12-07T11:00:00.000Z',
		});
		// A later list that says the same dates the note anew, on the account's other number too.
		answer = async () => [];
		now = new Date('2026-12-07T12:00:00.000Z');
		await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922');
		expect([...repo.items.values()].map((n) => [n.phoneNumberId, n.webhooksUnsubscribed, n.webhooksCheckedAt])).toEqual([
			['106540352242922', true, '2026-12-07T12:00:00.000Z'],
			['106540352242923', true, '2026-12-07T12:00:00.000Z'],
		]);
		// The token's app subscribed: neither note nor time is kept.
		answer = async () => [{ whatsapp_business_api_data: { id: '1234567890123456' } }];
		await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922');
		for (const n of repo.items.values()) expect(Object.keys(n).filter((k) => k.startsWith('webhooks'))).toEqual([]);
	});

	it('an edit that changes the ID, without an answer, keeps the note of other apps dated anew', async () => {
		const repo = new MemoryRepo();
		let answer: () => Promise<unknown[] | undefined> = async () => [{ whatsapp_business_api_data: { id: '999', name: 'Legacy CRM' } }];
		let now = new Date('2026-12-07T10:00:00.000Z');
		const service = new NumberService(
			repo,
			() =>
				graph({
					listSubscribedApps: () => answer(),
					listPhoneNumbers: async () => [{ id: '106540352242922' }, { id: '106540352242925' }],
				}),
			() => now,
		);
		await service.connect(form(), 'admin');
		expect(repo.items.get('106540352242922')).toMatchObject({
			webhooksToOtherApps: ['Legacy CRM (999)'],
			webhooksCheckedAt: '2026-12-07T10:00:00.000Z',
		});
		answer = () => Promise.reject(new GraphApiError(500, { code: 2 }));
		now = new Date('2026-12-07T12:00:00.000Z');
		expect(
			await service.connect(form({ phoneNumberId: '106540352242925', accessToken: '', appSecret: '' }), 'admin', '106540352242922'),
		).toMatchObject({ ok: true });
		expect([...repo.items.values()].map((n) => [n.phoneNumberId, n.webhooksToOtherApps, n.webhooksCheckedAt])).toEqual([
			['106540352242925', ['Legacy CRM (999)'], '2026-12-07T12:00:00.000Z'],
		]);
	});

	it('keeps the note when the answer fails, and gives every number of the WABA the answer that came', async () => {
		const repo = new MemoryRepo();
		let answer: () => Promise<unknown[] | undefined> = async () => [];
		const service = new NumberService(repo, () => graph({ listSubscribedApps: () => answer() }));
		await service.connect(form(), 'admin');
		// A second number of the same WABA, and one of another WABA.
		await repo.save({ ...(await repo.get('106540352242922'))!, phoneNumberId: '222' });
		const otherWaba = { ...(await repo.get('106540352242922'))!, phoneNumberId: '333', wabaId: '999' };
		await repo.save(otherWaba);
		const notes = async () => [...repo.items.values()].map((n) => [n.phoneNumberId, !!n.webhooksUnsubscribed]);
		expect(await notes()).toEqual([
			['106540352242922', true],
			['222', true],
			['333', true],
		]);
		const edit = () => service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922');
		// Meta could not say: the note stays.
		answer = () => Promise.reject(new GraphApiError(403, { code: 200 }));
		expect(await edit()).toMatchObject({ ok: true });
		expect(await notes()).toEqual([
			['106540352242922', true],
			['222', true],
			['333', true],
		]);
		// An app is subscribed now: both numbers of the WABA lose the note, the other WABA's keeps it.
		answer = async () => [{ whatsapp_business_api_data: { id: '1' } }];
		expect(await edit()).toMatchObject({ ok: true });
		expect(await notes()).toEqual([
			['106540352242922', false],
			['222', false],
			['333', true],
		]);
		expect(repo.items.get('222')).not.toHaveProperty('webhooksUnsubscribed');
	});

	it("sets the note on the account's other numbers too, and a number without an answer takes the account's note", async () => {
		const repo = new MemoryRepo();
		let answer: () => Promise<unknown[] | undefined> = async () => [{ whatsapp_business_api_data: { id: '1' } }];
		const service = new NumberService(repo, () =>
			graph({
				listSubscribedApps: () => answer(),
				listPhoneNumbers: async () => [{ id: '106540352242922' }, { id: '106540352242923' }, { id: '106540352242924' }],
			}),
		);
		expect(await service.connect(form({ phoneNumberId: '106540352242923' }), 'admin')).toMatchObject({ ok: true });
		expect(repo.items.get('106540352242923')).not.toHaveProperty('webhooksUnsubscribed');
		answer = async () => [];
		await service.connect(form(), 'admin');
		expect(repo.items.get('106540352242923')?.webhooksUnsubscribed).toBe(true);
		// A number connected to that account while Meta cannot say takes the account's note.
		answer = () => Promise.reject(new GraphApiError(500, { code: 2 }));
		await service.connect(form({ phoneNumberId: '106540352242924' }), 'admin');
		expect(repo.items.get('106540352242924')?.webhooksUnsubscribed).toBe(true);
		// An edit that moves a number to an account with no note, without an answer, drops it.
		expect(
			await service.connect(
				form({ phoneNumberId: '106540352242924', wabaId: '102290129340555', accessToken: '', appSecret: '' }),
				'admin',
				'106540352242924',
			),
		).toMatchObject({ ok: true });
		expect(repo.items.get('106540352242924')).not.toHaveProperty('webhooksUnsubscribed');
		// A failure while the other numbers are noted does not undo the save.
		answer = async () => [{ whatsapp_business_api_data: { id: '1' } }];
		repo.list = async () => Promise.reject(new Error('persistence down'));
		expect(await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922')).toMatchObject({ ok: true });
		expect(repo.items.get('106540352242922')).not.toHaveProperty('webhooksUnsubscribed');
		expect(repo.items.get('106540352242923')?.webhooksUnsubscribed).toBe(true);
	});

	it('never brings back a number disconnected while the note is spread', async () => {
		const repo = new MemoryRepo();
		const service = new NumberService(repo, () => graph({ listSubscribedApps: async () => [] }));
		await service.connect(form(), 'admin');
		await repo.save({ ...repo.items.get('106540352242922')!, phoneNumberId: '222', webhooksUnsubscribed: undefined });
		// The list still shows 222, which is disconnected before it is noted.
		const listed = [...repo.items.values()];
		repo.list = async () => listed;
		await repo.remove('222');
		expect(await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922')).toMatchObject({ ok: true });
		expect(repo.items.has('222')).toBe(false);
	});

	it('notes a token that expires and the WhatsApp permissions it lacks, and nothing of a permanent token with both', async () => {
		const saved = async (debugToken: NumberGraph['debugToken']) => {
			const result = await new NumberService(new MemoryRepo(), () => graph({ debugToken })).connect(form(), 'admin');
			if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
			return result.number;
		};
		expect(await saved(async () => ({ appId: '1', expiresAt: 1765224000, scopes: ['whatsapp_business_management'] }))).toMatchObject({
			tokenExpiresAt: '2025-12-08T20:00:00.000Z',
			tokenMissingPermissions: ['whatsapp_business_messaging'],
		});
		expect(await saved(async () => ({ scopes: [] }))).toMatchObject({ tokenMissingPermissions: TOKEN_PERMISSIONS });
		for (const answer of [
			async () => ({ appId: '1', scopes: [...TOKEN_PERMISSIONS, 'business_management'] }),
			// No permissions listed, no answer, a failed question: nothing is said.
			async () => ({ appId: '1' }),
			async () => undefined,
			async () => Promise.reject(new GraphApiError(400, { code: 100 })),
		]) {
			const number = await saved(answer);
			expect([number.tokenExpiresAt, number.tokenMissingPermissions]).toEqual([undefined, undefined]);
			// Only the token's app, when Meta named it.
			expect(Object.keys(number).filter((k) => k.startsWith('token'))).toEqual(number.tokenAppId === '1' ? ['tokenAppId'] : []);
		}
	});

	it("keeps the token's notes without an answer for the same token only", async () => {
		const repo = new MemoryRepo();
		let answer: NumberGraph['debugToken'] = async () => ({ expiresAt: 1765224000, scopes: ['whatsapp_business_management'] });
		const service = new NumberService(repo, () => graph({ debugToken: () => answer() }));
		await service.connect(form(), 'admin');
		const notes = () => {
			const n = repo.items.get('106540352242922')!;
			return [n.tokenExpiresAt, n.tokenMissingPermissions];
		};
		expect(notes()).toEqual(['2025-12-08T20:00:00.000Z', ['whatsapp_business_messaging']]);
		answer = async () => Promise.reject(new GraphApiError(500, { code: 2 }));
		// An edit that keeps the token (empty field, or the same typed again): the notes stay.
		for (const accessToken of ['', 'EAAgood']) {
			expect(await service.connect(form({ accessToken, appSecret: '' }), 'admin', '106540352242922')).toMatchObject({ ok: true });
			expect(notes()).toEqual(['2025-12-08T20:00:00.000Z', ['whatsapp_business_messaging']]);
		}
		// A new token: what was said of the old one goes.
		expect(await service.connect(form({ accessToken: 'EAAnew', appSecret: '' }), 'admin', '106540352242922')).toMatchObject({
			ok: true,
		});
		expect(notes()).toEqual([undefined, undefined]);
	});

	it("notes an account whose webhooks go to other apps than the token's, when Meta told both", async () => {
		const saved = async (apps: unknown[] | undefined, token: Awaited<ReturnType<NumberGraph['debugToken']>>) => {
			const result = await new NumberService(new MemoryRepo(), () =>
				graph({ listSubscribedApps: async () => apps, debugToken: async () => token }),
			).connect(form(), 'admin');
			if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
			return result.number.webhooksToOtherApps;
		};
		const legacy = {
			whatsapp_business_api_data: { id: '999', name: 'Legacy CRM', link: 'https://www.facebook.com/games/?app_id=999' },
		};
		expect(await saved([legacy, { whatsapp_business_api_data: { id: 555 } }], { appId: '123' })).toEqual(['Legacy CRM (999)', '555']);
		// The token's app among them, an entry Meta gave no app ID, the token's app not told, no list: nothing.
		expect(await saved([legacy, { whatsapp_business_api_data: { id: '123' } }], { appId: '123' })).toBeUndefined();
		expect(await saved([legacy, {}], { appId: '123' })).toBeUndefined();
		expect(await saved([legacy], { scopes: TOKEN_PERMISSIONS })).toBeUndefined();
		expect(await saved([legacy], undefined)).toBeUndefined();
		expect(await saved(undefined, { appId: '123' })).toBeUndefined();
		// No app at all: the account's note, not this one.
		const none = await new NumberService(new MemoryRepo(), () =>
			graph({ listSubscribedApps: async () => [], debugToken: async () => ({ appId: '123' }) }),
		).connect(form(), 'admin');
		expect(none).toMatchObject({ ok: true, number: { webhooksUnsubscribed: true } });
		expect((none as { number: ConnectedNumber }).number).not.toHaveProperty('webhooksToOtherApps');
	});

	it("does not note other apps for a number saved without the secret's proof (its token may be of another app)", async () => {
		const repo = new MemoryRepo();
		const legacy = LEGACY;
		await repo.save(legacy);
		const refusal = PROOF_REFUSED;
		const service = new NumberService(repo, (credentials) =>
			graph({
				...(credentials.appSecretProven ? { getPhoneNumber: async () => Promise.reject(refusal) } : {}),
				listSubscribedApps: async () => [{ whatsapp_business_api_data: { id: '999', name: 'Legacy CRM' } }],
				debugToken: async () => ({ appId: '123' }),
			}),
		);
		expect(await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', legacy.phoneNumberId)).toMatchObject({ ok: true });
		expect(repo.items.get(legacy.phoneNumberId)).not.toHaveProperty('appSecretProven');
		expect(repo.items.get(legacy.phoneNumberId)).not.toHaveProperty('webhooksToOtherApps');
	});

	it("notes the list on the account's other numbers by each one's own token's app (proven ones only)", async () => {
		const repo = new MemoryRepo();
		let apps: unknown[] = [{ whatsapp_business_api_data: { id: '999', name: 'Legacy CRM' } }];
		const service = new NumberService(repo, () =>
			graph({ listSubscribedApps: async () => apps, debugToken: async () => ({ appId: '123' }) }),
		);
		await service.connect(form(), 'admin');
		const first = repo.items.get('106540352242922')!;
		// 222: another token of the same app; 333: a token of another app (777), its old note; 444 saved
		// without the proof; 555 before its token's app was known (the first's token: it learns the app).
		await repo.save({ ...first, phoneNumberId: '222', accessToken: 'EAAsecond', webhooksToOtherApps: undefined });
		await repo.save({
			...first,
			phoneNumberId: '333',
			accessToken: 'EAAother',
			tokenAppId: '777',
			webhooksToOtherApps: ['Old note (1)'],
		});
		await repo.save({ ...first, phoneNumberId: '444', appSecretProven: undefined, webhooksToOtherApps: undefined });
		await repo.save({ ...first, phoneNumberId: '555', tokenAppId: undefined, webhooksToOtherApps: ['Old note (1)'] });
		const notes = () => [...repo.items.values()].map((n) => [n.phoneNumberId, n.webhooksToOtherApps]);
		const edit = () => service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922');
		expect(await edit()).toMatchObject({ ok: true });
		expect(notes()).toEqual([
			['106540352242922', ['Legacy CRM (999)']],
			['222', ['Legacy CRM (999)']],
			['333', ['Legacy CRM (999)']],
			['444', undefined],
			['555', ['Legacy CRM (999)']],
		]);
		expect([...repo.items.values()].map((n) => n.tokenAppId)).toEqual(['123', '123', '777', '123', '123']);
		// The first token's app subscribed: its numbers lose the note; the other app's number keeps it.
		apps = [...apps, { whatsapp_business_api_data: { id: '123', name: 'Rocket.Chat' } }];
		expect(await edit()).toMatchObject({ ok: true });
		expect(notes()).toEqual([
			['106540352242922', undefined],
			['222', undefined],
			['333', ['Legacy CRM (999)', 'Rocket.Chat (123)']],
			['444', undefined],
			['555', undefined],
		]);
		// No app at all: every number of the account says that instead.
		apps = [];
		expect(await edit()).toMatchObject({ ok: true });
		expect([...repo.items.values()].map((n) => [n.phoneNumberId, n.webhooksUnsubscribed, n.webhooksToOtherApps])).toEqual([
			['106540352242922', true, undefined],
			['222', true, undefined],
			['333', true, undefined],
			['444', true, undefined],
			['555', true, undefined],
		]);
	});

	it("an edit Meta told nothing of the token keeps the token's app of the same token, and compares the list with it", async () => {
		const repo = new MemoryRepo();
		let apps: unknown[] = [{ whatsapp_business_api_data: { id: '999', name: 'Legacy CRM' } }];
		let token: NumberGraph['debugToken'] = async () => ({ appId: '123' });
		const service = new NumberService(repo, () => graph({ listSubscribedApps: async () => apps, debugToken: () => token() }));
		await service.connect(form(), 'admin');
		expect(repo.items.get('106540352242922')).toMatchObject({ tokenAppId: '123', webhooksToOtherApps: ['Legacy CRM (999)'] });
		// Meta does not say now; the admin subscribed the token's app meanwhile: the note goes.
		token = async () => Promise.reject(new GraphApiError(400, { code: 100 }));
		apps = [...apps, { whatsapp_business_api_data: { id: '123', name: 'Rocket.Chat' } }];
		expect(await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', '106540352242922')).toMatchObject({ ok: true });
		expect(repo.items.get('106540352242922')).toMatchObject({ tokenAppId: '123' });
		expect(repo.items.get('106540352242922')).not.toHaveProperty('webhooksToOtherApps');
		// A new token Meta says nothing of: its app is not known, and nothing is said of it.
		apps = [{ whatsapp_business_api_data: { id: '999', name: 'Legacy CRM' } }];
		expect(await service.connect(form({ accessToken: 'EAAnew', appSecret: '' }), 'admin', '106540352242922')).toMatchObject({
			ok: true,
		});
		expect(Object.keys(repo.items.get('106540352242922')!).filter((k) => /^token|OtherApps/.test(k))).toEqual([]);
	});

	it('starts the grace for the subscriptions only once the checks are done', async () => {
		jest.useFakeTimers();
		try {
			const repo = new MemoryRepo();
			const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
			const service = new NumberService(repo, () =>
				graph({
					getPhoneNumber: (id) => after(3000, { id, display_phone_number: '+1 555-078-3881' }),
					listSubscribedApps: () => after(2000, []),
				}),
			);
			const connecting = service.connect(form(), 'admin');
			await jest.advanceTimersByTimeAsync(3000);
			expect(await connecting).toMatchObject({ ok: true });
			expect(repo.items.get('106540352242922')?.webhooksUnsubscribed).toBe(true);
		} finally {
			jest.useRealTimers();
		}
	});

	it('waits for the subscriptions a moment only once the checks are done', async () => {
		jest.useFakeTimers();
		try {
			const repo = new MemoryRepo();
			const service = new NumberService(repo, () =>
				graph({
					listSubscribedApps: () => new Promise<unknown[]>(() => undefined),
					debugToken: () => new Promise<undefined>(() => undefined),
				}),
			);
			let done = false;
			const connecting = service.connect(form(), 'admin').then((result) => ((done = true), result));
			await jest.advanceTimersByTimeAsync(SUBSCRIPTIONS_GRACE_MS - 1);
			expect(done).toBe(false);
			await jest.advanceTimersByTimeAsync(1);
			expect(await connecting).toMatchObject({ ok: true });
			expect(await repo.get('106540352242922')).not.toHaveProperty('webhooksUnsubscribed');
		} finally {
			jest.useRealTimers();
		}
	});

	it("does not let the subscriptions' failure stand for a failed check", async () => {
		const service = new NumberService(new MemoryRepo(), () =>
			graph({
				getPhoneNumber: async () => Promise.reject(new Error('ECONNRESET')),
				listSubscribedApps: async () => Promise.reject(new GraphApiError(401, { code: 190 })),
			}),
		);
		expect(await service.connect(form(), 'admin')).toEqual({ ok: false, errors: { phoneNumberId: 'error_graph_unreachable' } });
	});

	it.each([
		[new GraphApiError(401, { code: 190 }), { accessToken: 'error_access_token_rejected' }],
		[new GraphApiError(403, { code: 200 }), { accessToken: 'error_access_token_permissions' }],
		[new GraphApiError(400, { code: 100 }), { phoneNumberId: 'error_phone_number_id_unknown' }],
		[
			new GraphApiError(400, {
				code: 100,
				type: 'GraphMethodException',
				message: 'Invalid appsecret_proof provided in the API argument',
			}),
			{ appSecret: 'error_app_secret_refused' },
		],
		[new Error('ECONNREFUSED'), { phoneNumberId: 'error_graph_unreachable' }],
		[new NetworkError({ detail: 'no answer in 10 s', timedOut: true }), { phoneNumberId: 'error_graph_timed_out' }],
		[new NetworkError({ detail: 'socket hang up', timedOut: false }), { phoneNumberId: 'error_graph_connection_lost' }],
		[
			new NetworkError({ detail: 'getaddrinfo ENOTFOUND graph.facebook.com', timedOut: false }),
			{ phoneNumberId: 'error_graph_unreachable' },
		],
	])('explains a failed check (%p) on the right field and saves nothing', async (error, errors) => {
		const repo = new MemoryRepo();
		const service = new NumberService(repo, () => graph({ getPhoneNumber: async () => Promise.reject(error) }));
		expect(await service.connect(form(), 'admin')).toEqual({ ok: false, errors });
		expect(repo.items.size).toBe(0);
	});

	it('refuses a number that is not in the WABA, and an unknown WABA', async () => {
		const notOwned = new NumberService(new MemoryRepo(), () => graph({ listPhoneNumbers: async () => [{ id: '999999' }] }));
		expect(await notOwned.connect(form(), 'admin')).toEqual({ ok: false, errors: { wabaId: 'error_number_not_in_waba' } });
		const unknown = new NumberService(new MemoryRepo(), () =>
			graph({ listPhoneNumbers: async () => Promise.reject(new GraphApiError(400, { code: 100 })) }),
		);
		expect(await unknown.connect(form(), 'admin')).toEqual({ ok: false, errors: { wabaId: 'error_waba_id_unknown' } });
	});

	it("asks Meta its questions at once, and reports the number's own answer first when both checks fail", async () => {
		const asked: string[] = [];
		let answer!: () => void;
		const answered = new Promise<void>((resolve) => (answer = resolve));
		const service = new NumberService(new MemoryRepo(), () =>
			graph({
				getPhoneNumber: async (id) => (asked.push('phone'), await answered, { id, display_phone_number: '+1 555-078-3881' }),
				listPhoneNumbers: async () => (asked.push('waba'), await answered, [{ id: '106540352242922' }]),
				listSubscribedApps: async () => (asked.push('subscriptions'), await answered, []),
				debugToken: async () => (asked.push('token'), await answered, undefined),
			}),
		);
		const connecting = service.connect(form(), 'admin');
		// No question has its answer yet, and all were asked.
		await new Promise((resolve) => setImmediate(resolve));
		expect(asked).toEqual(['phone', 'waba', 'subscriptions', 'token']);
		answer();
		expect(await connecting).toMatchObject({ ok: true, number: { displayPhoneNumber: '+1 555-078-3881' } });

		// Both refused: the number's answer wins, though it comes last.
		const later = <T>(error: Error) => new Promise<T>((_resolve, reject) => setTimeout(() => reject(error), 5));
		const bothFail = new NumberService(new MemoryRepo(), () =>
			graph({
				getPhoneNumber: () => later(new GraphApiError(401, { code: 190 })),
				listPhoneNumbers: async () => Promise.reject(new GraphApiError(400, { code: 100 })),
			}),
		);
		expect(await bothFail.connect(form(), 'admin')).toEqual({ ok: false, errors: { accessToken: 'error_access_token_rejected' } });
		// The number's call got no answer, the account's got Meta's refusal of the token: Meta's answer is the one reported.
		const meta = new NumberService(new MemoryRepo(), () =>
			graph({
				getPhoneNumber: async () => Promise.reject(new Error('ECONNRESET')),
				listPhoneNumbers: () => later(new GraphApiError(401, { code: 190 })),
			}),
		);
		expect(await meta.connect(form(), 'admin')).toEqual({ ok: false, errors: { accessToken: 'error_access_token_rejected' } });
		// A proxy's page for the number, Meta's refusal of the app secret for the account: the refusal is reported.
		const proxied = new NumberService(new MemoryRepo(), () =>
			graph({
				getPhoneNumber: async () => Promise.reject(GraphApiError.fromResponse(502, '<html>Bad Gateway</html>')),
				listPhoneNumbers: () =>
					later(
						new GraphApiError(400, {
							code: 100,
							type: 'GraphMethodException',
							message: 'Invalid appsecret_proof provided in the API argument',
						}),
					),
			}),
		);
		expect(await proxied.connect(form(), 'admin')).toEqual({ ok: false, errors: { appSecret: 'error_app_secret_refused' } });
		const wabaFails = new NumberService(new MemoryRepo(), () =>
			graph({ listPhoneNumbers: async () => Promise.reject(new Error('ECONNRESET')) }),
		);
		expect(await wabaFails.connect(form(), 'admin')).toEqual({ ok: false, errors: { wabaId: 'error_graph_unreachable' } });
		// A call that throws before it is under way is a failed check too, not an error of the service.
		const throws = new NumberService(new MemoryRepo(), () =>
			graph({
				getPhoneNumber: () => {
					throw new Error('ECONNREFUSED');
				},
			}),
		);
		expect(await throws.connect(form(), 'admin')).toEqual({ ok: false, errors: { phoneNumberId: 'error_graph_unreachable' } });
	});

	it('does not call Meta when the form is invalid, and refuses a duplicate', async () => {
		const calls: string[] = [];
		const service = new NumberService(new MemoryRepo(), () => graph({ getPhoneNumber: async (id) => (calls.push(id), { id }) }));
		expect((await service.connect(form({ appSecret: 'nope' }), 'admin')).ok).toBe(false);
		expect(calls).toEqual([]);
		expect((await service.connect(form(), 'admin')).ok).toBe(true);
		expect(await service.connect(form(), 'admin')).toEqual({ ok: false, errors: { phoneNumberId: 'error_number_already_connected' } });
	});

	it('keeps stored secrets when an edit leaves them empty', async () => {
		const repo = new MemoryRepo();
		const credentials: Array<{ accessToken: string; appSecret: string }> = [];
		const service = new NumberService(repo, (asked) => (credentials.push(asked), graph()));
		await service.connect(form(), 'admin');
		const edited = await service.connect(form({ accessToken: '', appSecret: '', welcomeMessage: 'Hi!' }), 'other', '106540352242922');
		expect(edited).toMatchObject({
			ok: true,
			created: false,
			number: { accessToken: 'EAAgood', appSecret: SECRET, welcomeMessage: 'Hi!', connectedBy: 'admin' },
		});
		// The edit is checked with the stored token and secret, their proof sent (GraphClient `appSecretProof`).
		expect(credentials).toEqual([
			{ accessToken: 'EAAgood', appSecret: SECRET, appSecretProven: true },
			{ accessToken: 'EAAgood', appSecret: SECRET, appSecretProven: true },
		]);
		expect(repo.items.get('106540352242922')).toMatchObject({ appSecretProven: true });
	});

	it('saves the edit of a number an earlier version saved (no proof sent then) without the proof when Meta refuses it and its credentials are left as they were', async () => {
		const repo = new MemoryRepo();
		const legacy = LEGACY;
		await repo.save(legacy);
		const proofRefused = PROOF_REFUSED;
		const asked: Array<boolean | undefined> = [];
		// The token is of another Meta app than the secret: Meta refuses the proof, and takes the token alone.
		const service = new NumberService(repo, (credentials) => {
			asked.push(credentials.appSecretProven);
			return credentials.appSecretProven ? graph({ getPhoneNumber: async () => Promise.reject(proofRefused) }) : graph();
		});
		const edited = await service.connect(
			form({ accessToken: '', appSecret: '', welcomeMessage: 'Hi!' }),
			'admin',
			legacy.phoneNumberId,
		);
		expect(edited).toMatchObject({ ok: true, number: { welcomeMessage: 'Hi!', accessToken: 'EAAgood', appSecret: SECRET } });
		expect(repo.items.get(legacy.phoneNumberId)?.appSecretProven).toBeUndefined();
		expect(asked).toEqual([true, false]);
		// A secret typed in the edit is checked with its proof only: Meta's refusal is the admin's to read.
		expect(await service.connect(form({ accessToken: '', appSecret: SECRET }), 'admin', legacy.phoneNumberId)).toEqual({
			ok: false,
			errors: { appSecret: 'error_app_secret_refused' },
		});
		expect(asked).toEqual([true, false, true]);
		// A number Meta took the proof for is never saved without it.
		await repo.save({ ...legacy, appSecretProven: true });
		expect(await service.connect(form({ accessToken: '', appSecret: '' }), 'admin', legacy.phoneNumberId)).toEqual({
			ok: false,
			errors: { appSecret: 'error_app_secret_refused' },
		});
		expect(asked).toEqual([true, false, true, true]);
	});

	it('checks an edit of the token or the secret alone with the other one stored, and says which field Meta refused', async () => {
		const repo = new MemoryRepo();
		const credentials: Array<{ accessToken: string; appSecret: string }> = [];
		const proofRefused = new GraphApiError(400, {
			code: 100,
			type: 'GraphMethodException',
			message: 'Invalid appsecret_proof provided in the API argument',
		});
		let refuse = false;
		const service = new NumberService(repo, (asked) => {
			credentials.push({ accessToken: asked.accessToken, appSecret: asked.appSecret });
			return refuse ? graph({ getPhoneNumber: async () => Promise.reject(proofRefused) }) : graph();
		});
		await service.connect(form(), 'admin');
		const other = 'fedcba9876543210fedcba9876543210';
		refuse = true;
		// A new token of another Meta app, the secret kept: the token's field.
		expect(await service.connect(form({ accessToken: 'EAAother', appSecret: '' }), 'admin', '106540352242922')).toEqual({
			ok: false,
			errors: { accessToken: 'error_access_token_other_app' },
		});
		// A new secret, the token kept (or both typed): the secret's field.
		expect(await service.connect(form({ accessToken: '', appSecret: other }), 'admin', '106540352242922')).toEqual({
			ok: false,
			errors: { appSecret: 'error_app_secret_refused' },
		});
		expect(await service.connect(form({ accessToken: 'EAAother', appSecret: other }), 'admin', '106540352242922')).toEqual({
			ok: false,
			errors: { appSecret: 'error_app_secret_refused' },
		});
		expect(credentials.slice(1)).toEqual([
			{ accessToken: 'EAAother', appSecret: SECRET },
			{ accessToken: 'EAAgood', appSecret: other },
			{ accessToken: 'EAAother', appSecret: other },
		]);
		expect(repo.items.get('106540352242922')).toMatchObject({ accessToken: 'EAAgood', appSecret: SECRET });
	});

	it('an edit that changes the ID and fails to save keeps the number as it was, secrets included', async () => {
		const repo = new MemoryRepo();
		const service = new NumberService(repo, () =>
			graph({ listPhoneNumbers: async () => [{ id: '106540352242922' }, { id: '106540352242923' }] }),
		);
		await service.connect(form(), 'admin');
		const before = [...repo.items.values()];
		repo.save = async () => Promise.reject(new Error('database down'));
		await expect(service.connect(form({ phoneNumberId: '106540352242923' }), 'admin', '106540352242922')).rejects.toThrow(
			'database down',
		);
		expect([...repo.items.values()]).toEqual(before);
	});

	it("refuses an edit that changes the ID to another connected number's, and changes neither", async () => {
		const repo = new MemoryRepo();
		const service = new NumberService(repo, () =>
			graph({ listPhoneNumbers: async () => [{ id: '106540352242922' }, { id: '106540352242999' }] }),
		);
		await service.connect(form(), 'admin');
		await service.connect(form({ phoneNumberId: '106540352242999', welcomeMessage: 'Other' }), 'admin');
		const before = [...repo.items.values()];
		expect(await service.connect(form({ phoneNumberId: '106540352242999' }), 'admin', '106540352242922')).toEqual({
			ok: false,
			errors: { phoneNumberId: 'error_number_already_connected' },
		});
		expect([...repo.items.values()]).toEqual(before);
		// An ID no other number holds goes on to Meta's checks (here: not in the WABA).
		const moved = await service.connect(form({ phoneNumberId: '106540352242923' }), 'admin', '106540352242922');
		expect(moved).toMatchObject({ ok: false, errors: { wabaId: 'error_number_not_in_waba' } });
	});

	describe("forgets the WABA's mark of a failed template list fetch once the number is saved", () => {
		/** The template cache's marks: which WABAs were forgotten, or a store that fails. */
		const marks = (fails = false) => {
			const forgotten: string[] = [];
			const port: MissRefetchMarks = {
				forgetMissRefetch: async (wabaId) => {
					forgotten.push(wabaId);
					if (fails) throw new Error('persistence down');
				},
			};
			return { forgotten, port };
		};
		const at = () => new Date('2026-01-01T00:00:00Z');

		it('on a new number and on an edit', async () => {
			const repo = new MemoryRepo();
			const { forgotten, port } = marks();
			const service = new NumberService(repo, () => graph(), at, port);
			expect((await service.connect(form(), 'admin')).ok).toBe(true);
			expect(forgotten).toEqual(['102290129340398']);
			// An edit (here a new token) saves the number again: its WABA's mark goes again.
			const edited = await service.connect(form({ accessToken: 'EAAnew', appSecret: '' }), 'admin', '106540352242922');
			expect(edited).toMatchObject({ ok: true, created: false, number: { accessToken: 'EAAnew' } });
			expect(forgotten).toEqual(['102290129340398', '102290129340398']);
		});

		it('on an edit that moves the number to another WABA: the marks of both', async () => {
			const repo = new MemoryRepo();
			const { forgotten, port } = marks();
			const service = new NumberService(repo, () => graph(), at, port);
			expect((await service.connect(form(), 'admin')).ok).toBe(true);
			const moved = await service.connect(
				form({ wabaId: '999000111222333', accessToken: '', appSecret: '' }),
				'admin',
				'106540352242922',
			);
			expect(moved).toMatchObject({ ok: true, number: { wabaId: '999000111222333' } });
			expect(forgotten).toEqual(['102290129340398', '999000111222333', '102290129340398']);
		});

		it('not when Meta refuses the credentials (nothing is saved)', async () => {
			const { forgotten, port } = marks();
			const refused = new NumberService(
				new MemoryRepo(),
				() => graph({ getPhoneNumber: async () => Promise.reject(new GraphApiError(401, { code: 190 })) }),
				at,
				port,
			);
			expect(await refused.connect(form(), 'admin')).toEqual({ ok: false, errors: { accessToken: 'error_access_token_rejected' } });
			const notOwned = new NumberService(new MemoryRepo(), () => graph({ listPhoneNumbers: async () => [] }), at, port);
			expect((await notOwned.connect(form(), 'admin')).ok).toBe(false);
			expect(forgotten).toEqual([]);
		});

		it('best effort: a store that fails to forget still leaves the number connected', async () => {
			const repo = new MemoryRepo();
			const { forgotten, port } = marks(true);
			const service = new NumberService(repo, () => graph(), at, port);
			expect(await service.connect(form(), 'admin')).toMatchObject({ ok: true, created: true });
			expect(forgotten).toEqual(['102290129340398']);
			expect(repo.items.size).toBe(1);
		});
	});
});
