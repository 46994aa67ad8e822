/**
 * The contracts of the small stores (core/app ports): the send-template drafts, the contacts'
 * windows and the idempotency answers. The in-memory twins the services' tests use and the stores
 * over Rocket.Chat's persistence pass the same suites.
 */
import { Draft, Drafts } from '../../../../../src/core/app/sendTemplateModal';
import { Idempotency, StoredAnswer } from '../../../../../src/core/app/sendTemplatesPorts';
import { Windows } from '../../../../../src/core/app/window';

const draft = (viewId: string, fields: Partial<Draft> = {}): Draft => ({
	viewId,
	userId: 'agent-1',
	askRecipient: true,
	phoneNumberId: '111',
	values: {},
	...fields,
});

export function draftsContract(name: string, makeDrafts: () => Promise<Drafts> | Drafts): void {
	describe(`${name}: the drafts contract`, () => {
		it('keeps one draft per view, replaced on save, gone once removed', async () => {
			const drafts = await makeDrafts();
			expect(await drafts.load('v1')).toBeUndefined();
			await drafts.save(draft('v1'));
			await drafts.save(draft('v2', { templateName: 'other' }));
			await drafts.save(draft('v1', { templateName: 'order_update', values: { 'body.1': 'INV-7' } }));
			expect(await drafts.load('v1')).toMatchObject({ viewId: 'v1', templateName: 'order_update', values: { 'body.1': 'INV-7' } });
			expect(await drafts.load('v2')).toMatchObject({ viewId: 'v2', templateName: 'other' });
			await drafts.remove('v1');
			expect(await drafts.load('v1')).toBeUndefined();
			expect(await drafts.load('v2')).toBeDefined();
			await drafts.remove('v1');
		});
	});
}

export function windowsContract(name: string, makeWindows: () => Promise<Windows> | Windows): void {
	describe(`${name}: the windows contract`, () => {
		it('keeps one window per contact token, replaced on put', async () => {
			const windows = await makeWindows();
			expect(await windows.get('whatsapp:111:55')).toBeUndefined();
			await windows.put('whatsapp:111:55', { at: 1000, wamid: 'w1' });
			await windows.put('whatsapp:222:55', { at: 2000 });
			await windows.put('whatsapp:111:55', { at: 3000, wamid: 'w3', noticeFor: 3000 });
			expect(await windows.get('whatsapp:111:55')).toMatchObject({ at: 3000, wamid: 'w3', noticeFor: 3000 });
			expect(await windows.get('whatsapp:222:55')).toMatchObject({ at: 2000 });
		});
	});
}

export function idempotencyContract(name: string, makeIdempotency: () => Promise<Idempotency> | Idempotency, windowMs: number): void {
	const pending = (key: string, at: number): StoredAnswer => ({
		key,
		fingerprint: 'f1',
		at,
		state: 'pending',
		leaseUntil: at + 60000,
		sent: [],
	});

	describe(`${name}: the idempotency contract`, () => {
		it('answers the entry of a key within its window, and none after it', async () => {
			const store = await makeIdempotency();
			const at = 1_000_000;
			expect(await store.find('k1', at)).toBeUndefined();
			await store.save({ key: 'k1', fingerprint: 'f1', state: 'done', status: 200, content: { success: true }, at });
			await store.save({ key: 'k2', fingerprint: 'f2', state: 'done', status: 400, content: { success: false }, at });
			expect(await store.find('k1', at + 1)).toMatchObject({ key: 'k1', fingerprint: 'f1', status: 200, content: { success: true } });
			expect(await store.find('k2', at + windowMs - 1)).toMatchObject({ key: 'k2', status: 400 });
			expect(await store.find('k1', at + windowMs)).toBeUndefined();
		});

		it('answers no expired entry: a new reservation of its key wins, and is the one found', async () => {
			const store = await makeIdempotency();
			await store.save(pending('k1', 0));
			expect(await store.find('k1', windowMs)).toBeUndefined();
			expect(await store.reserve({ ...pending('k1', windowMs), fingerprint: 'f2' }, windowMs)).toBeUndefined();
			expect(await store.find('k1', windowMs + 1)).toMatchObject({ at: windowMs, fingerprint: 'f2' });
		});

		it('reserves a key once: among parallel reservations exactly one wins, the others get its entry', async () => {
			const store = await makeIdempotency();
			const at = 5000;
			const outcomes = await Promise.all([1, 2, 3, 4].map((n) => store.reserve({ ...pending('k1', at), fingerprint: `f${n}` }, at)));
			const winners = outcomes.filter((o) => o === undefined);
			expect(winners).toHaveLength(1);
			const holder = (await store.find('k1', at)) as StoredAnswer;
			for (const o of outcomes.filter(Boolean))
				expect(o).toMatchObject({ key: 'k1', state: 'pending', fingerprint: holder.fingerprint });
			expect(await store.reserve(pending('k2', at), at)).toBeUndefined();
		});

		it('replaces the entry on save (progress, then the answer), frees it on release, and a late release of it never frees another reservation', async () => {
			const store = await makeIdempotency();
			const at = 7000;
			const mine = { ...pending('k1', at), id: 'r1' };
			expect(await store.reserve(mine, at)).toBeUndefined();
			await store.save({ ...mine, sent: [{ phoneNumber: '5511', msId: 'wamid.1' }] });
			expect(await store.find('k1', at)).toMatchObject({ state: 'pending', sent: [{ phoneNumber: '5511', msId: 'wamid.1' }] });
			await store.save({ key: 'k1', fingerprint: 'f1', at, id: 'r1', state: 'done', status: 200, content: { success: true } });
			expect(await store.find('k1', at)).toMatchObject({ state: 'done', status: 200 });
			await store.release(mine);
			expect(await store.find('k1', at)).toBeUndefined();
			// Another reservation of the key: a release of the first, late, leaves it.
			expect(await store.reserve({ ...pending('k1', at), id: 'r2' }, at)).toBeUndefined();
			await store.release(mine);
			expect(await store.find('k1', at)).toMatchObject({ id: 'r2', state: 'pending' });
		});

		it('sweeps the entries expired for a day, and no live one', async () => {
			const store = await makeIdempotency();
			await store.save(pending('old-1', 0));
			await store.save(pending('old-2', 10));
			await store.save(pending('new', 2.5 * windowMs));
			expect(await store.sweep(3 * windowMs)).toBe(2);
			expect(await store.find('new', 3 * windowMs)).toBeDefined();
			expect(await store.sweep(3 * windowMs)).toBe(0);
		});
	});
}
