/**
 * The outbox contract (src/core/status/outbox.ts, `OutboxStore`) as tests: every store, in memory
 * or over Rocket.Chat's persistence, passes the same suite.
 */
import { deliverDue, newOutboxItem, OutboxItem, OutboxStore, Sender } from '../../../../src/core/status/outbox';

type P = { id: string };
const item = (id: string, messageKey: string, seq: number, now = 0) => newOutboxItem<P>({ id, messageKey, seq, payload: { id }, now });
const none = { delivered: [], retried: [], failed: [] };

/** Every open item, page by page, as a delivery run reads them. */
async function openItems(store: OutboxStore<P>): Promise<string[][]> {
	const pages = await store.pages();
	return Promise.all(pages.map(async (page) => (await store.pageItems(page)).map((i) => i.id)));
}

/**
 * `pageSize`: the store's page size, for the tests of pages; `makeStore` builds a store of that size,
 * and `writer` another writer over the same storage (a store instance is one handler run's writer).
 */
export function outboxContract(
	name: string,
	makeStore: (pageSize: number) => Promise<OutboxStore<P>> | OutboxStore<P>,
	writer?: (store: OutboxStore<P>) => OutboxStore<P>,
): void {
	describe(`${name}: the outbox contract`, () => {
		let store: OutboxStore<P>;
		beforeEach(async () => {
			store = await makeStore(3);
		});

		it('lists the open items in pages of at most the page size, in the order they were put', async () => {
			for (const id of ['a1', 'b1', 'a2', 'c1', 'b2']) await store.put(item(id, id[0], Number(id[1])));
			expect(await openItems(store)).toEqual([
				['a1', 'b1', 'a2'],
				['c1', 'b2'],
			]);
		});

		it('puts many items at once as one by one: the same pages, in order, after what was put before', async () => {
			await store.put(item('a1', 'A', 1));
			await store.putMany(['b1', 'a2', 'c1', 'b2', 'd1'].map((id) => item(id, id[0].toUpperCase(), Number(id[1]))));
			expect(await openItems(store)).toEqual([
				['a1', 'b1', 'a2'],
				['c1', 'b2', 'd1'],
			]);
			await store.putMany([]);
			await store.put(item('e1', 'E', 1));
			expect((await openItems(store)).flat()).toEqual(['a1', 'b1', 'a2', 'c1', 'b2', 'd1', 'e1']);
		});

		it('settles items put together one by one: the delivered leave, the retried stay with their schedule, the rest as they were', async () => {
			await store.putMany(['d1', 'r1', 'k1'].map((id) => item(id, id.toUpperCase(), 1)));
			const [page] = await store.pages();
			const read = await store.pageItems(page);
			await store.settle(page, read, {
				...none,
				delivered: ['d1'],
				retried: [{ item: read[1], next: { nextAttemptAt: 30000, attempts: 1, lastError: 'HTTP 503' } }],
			});
			expect(await openItems(store)).toEqual([['r1', 'k1']]);
			expect((await store.list()).map((i) => [i.id, i.state, i.attempts, i.nextAttemptAt])).toEqual([
				['r1', 'pending', 1, 30000],
				['k1', 'pending', 0, 0],
			]);
			const again = await store.pageItems(page);
			await store.settle(page, again, { ...none, delivered: ['r1'], failed: [{ item: again[1], lastError: 'expired' }] });
			expect((await openItems(store)).flat()).toEqual([]);
			expect((await store.list()).map((i) => [i.id, i.state])).toEqual([['k1', 'failed']]);
			expect(await store.requeue(['k1'], 40000)).toBe(1);
			const accepted: string[] = [];
			await deliverDue({ store, now: 40000, send: async (body) => (accepted.push((JSON.parse(body) as P).id), { status: 200 }) });
			expect(accepted).toEqual(['k1']);
			expect(await store.list()).toEqual([]);
		});

		it('settles a page: delivered items leave storage, retried ones are pending with their schedule, failed ones kept as failed', async () => {
			for (const id of ['d1', 'r1', 'f1']) await store.put(item(id, id, 1));
			const [page] = await store.pages();
			const read = await store.pageItems(page);
			const [, r1, f1] = read;
			await store.settle(page, read, {
				delivered: ['d1'],
				retried: [{ item: r1, next: { nextAttemptAt: 30000, attempts: 1, lastError: 'HTTP 503' } }],
				failed: [{ item: f1, lastError: 'expired' }],
			});
			expect(await openItems(store)).toEqual([['r1']]);
			expect((await store.list()).map((i) => [i.id, i.state, i.attempts, i.nextAttemptAt, i.lastError])).toEqual([
				['r1', 'pending', 1, 30000, 'HTTP 503'],
				['f1', 'failed', 0, 0, 'expired'],
			]);
		});

		it('keeps what was put in a page after a run read it', async () => {
			await store.put(item('x1', 'X', 1));
			const [page] = await store.pages();
			const read = await store.pageItems(page);
			await store.put(item('x2', 'X', 2));
			await store.settle(page, read, { ...none, delivered: ['x1'] });
			expect(await openItems(store)).toEqual([['x2']]);
		});

		it('a full page that was all delivered goes, and the next one is listed', async () => {
			for (let i = 1; i <= 4; i++) await store.put(item(`m${i}`, `m${i}`, 1));
			const [first] = await store.pages();
			const read = await store.pageItems(first);
			await store.settle(first, read, { ...none, delivered: read.map((i) => i.id) });
			expect(await openItems(store)).toEqual([['m4']]);
			expect(await store.list()).toEqual([expect.objectContaining({ id: 'm4', state: 'pending' })]);
		});

		if (writer)
			it("two writers' items are in pages of their own, and a run delivers across them", async () => {
				const other = writer(store);
				await store.put(item('a1', 'A', 1, 0));
				await other.put(item('a2', 'A', 2, 1));
				await store.put(item('b1', 'B', 1, 2));
				expect(await openItems(store)).toEqual([['a1', 'b1'], ['a2']]);
				const accepted: string[] = [];
				await deliverDue({ store, now: 10, send: async (body) => (accepted.push((JSON.parse(body) as P).id), { status: 200 }) });
				expect(accepted.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2']);
				expect((await openItems(store)).flat()).toEqual([]);
			});

		it('lists by createdAt then seq, filtered by state and message', async () => {
			await store.put(item('b2', 'B', 2, 20));
			await store.put(item('a1', 'A', 1, 10));
			await store.put(item('b1', 'B', 1, 20));
			expect((await store.list()).map((i) => i.id)).toEqual(['a1', 'b1', 'b2']);
			expect((await store.list({ messageKey: 'B', limit: 1 })).map((i) => i.id)).toEqual(['b1']);
			expect((await store.list({ state: 'failed' })).map((i) => i.id)).toEqual([]);
		});

		it('requeues failed items only, due now with no attempts, in a page again', async () => {
			await store.put(item('f1', 'F', 1));
			await store.put(item('p1', 'P', 1));
			const [page] = await store.pages();
			const read = await store.pageItems(page);
			await store.settle(page, read, { ...none, failed: [{ item: read[0], lastError: 'expired' }] });
			expect(await store.requeue(['f1', 'p1', 'nope'], 5000)).toBe(1);
			expect((await store.list({ messageKey: 'F' }))[0]).toMatchObject({
				state: 'pending',
				attempts: 0,
				nextAttemptAt: 5000,
				requeuedAt: 5000,
			});
			expect((await openItems(store)).flat().sort()).toEqual(['f1', 'p1']);
		});

		it('delivers in order per message under failures, each event once (deliverDue over this store)', async () => {
			const accepted: string[] = [];
			let down = true;
			const send: Sender = async (body) => {
				if (down) return { status: 503 };
				accepted.push((JSON.parse(body) as P).id);
				return { status: 200 };
			};
			for (const i of [item('a1', 'A', 1), item('a2', 'A', 2), item('b1', 'B', 1), item('a3', 'A', 3), item('c1', 'C', 1)])
				await store.put(i);
			await deliverDue({ store, now: 0, send });
			down = false;
			await deliverDue({ store, now: 10 * 60000, send });
			await deliverDue({ store, now: 20 * 60000, send });
			expect(accepted.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
			expect(accepted.sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'c1']);
			expect((await store.list()).filter((i: OutboxItem<P>) => i.state !== 'delivered')).toEqual([]);
			expect((await openItems(store)).flat()).toEqual([]);
		});
	});
}
