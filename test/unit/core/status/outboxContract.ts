/**
 * The outbox contract (src/core/status/outbox.ts, `OutboxStore`) as tests: every store, in memory
 * or over Rocket.Chat's persistence, passes the same suite.
 */
import { StatusPipelineError } from '../../../../src/core/status/errors';
import { deliverDue, newOutboxItem, OutboxItem, OutboxStore, Sender } from '../../../../src/core/status/outbox';

type P = { id: string };
const item = (id: string, messageKey: string, seq: number, now = 0) => newOutboxItem<P>({ id, messageKey, seq, payload: { id }, now });

export function outboxContract(name: string, makeStore: () => Promise<OutboxStore<P>> | OutboxStore<P>): void {
	describe(`${name}: the outbox contract`, () => {
		let store: OutboxStore<P>;
		beforeEach(async () => {
			store = await makeStore();
		});

		it('put is idempotent by event id, for an open item and for a failed one', async () => {
			expect(await store.put(item('e1', 'A', 1))).toBe(true);
			expect(await store.put({ ...item('e1', 'A', 1), payload: { id: 'changed' } })).toBe(false);
			expect((await store.list()).map((i) => i.payload.id)).toEqual(['e1']);
			await store.claimDue({ now: 0, limit: 10, workerId: 'w1', leaseMs: 1000 });
			await store.fail('e1', 'gone');
			expect(await store.put(item('e1', 'A', 1))).toBe(false);
			expect((await store.list()).map((i) => [i.id, i.state])).toEqual([['e1', 'failed']]);
		});

		it('claims only the head of each message, once (also when two claims run at once), and again after its lease runs out', async () => {
			for (const i of [item('a2', 'A', 2), item('b1', 'B', 1), item('a1', 'A', 1)]) await store.put(i);
			const [first, second] = await Promise.all([
				store.claimDue({ now: 0, limit: 10, workerId: 'w1', leaseMs: 1000 }),
				store.claimDue({ now: 0, limit: 10, workerId: 'w2', leaseMs: 1000 }),
			]);
			expect(first.map((i) => i.id).sort()).toEqual(['a1', 'b1']);
			expect(first.every((i) => i.state === 'inflight' && i.claimedBy === 'w1' && i.leaseUntil === 1000)).toBe(true);
			expect(second).toEqual([]);
			expect(await store.claimDue({ now: 999, limit: 10, workerId: 'w2', leaseMs: 1000 })).toEqual([]);
			expect((await store.claimDue({ now: 1000, limit: 10, workerId: 'w2', leaseMs: 1000 })).map((i) => [i.id, i.claimedBy])).toEqual(
				[
					['a1', 'w2'],
					['b1', 'w2'],
				],
			);
			await store.complete('a1');
			// a2 is the head of A now; b1's second lease ran out at 2000.
			expect((await store.claimDue({ now: 2000, limit: 5, workerId: 'w3', leaseMs: 1000 })).map((i) => i.id)).toEqual(['a2', 'b1']);
			expect(await store.claimDue({ now: 2999, limit: 5, workerId: 'w4', leaseMs: 1000 })).toEqual([]);
		});

		it('claims the oldest due first, at most `limit`', async () => {
			await store.put(item('late', 'L', 1, 50));
			await store.put(item('early', 'E', 1, 10));
			await store.put(item('future', 'F', 1, 500));
			expect((await store.claimDue({ now: 100, limit: 1, workerId: 'w', leaseMs: 1000 })).map((i) => i.id)).toEqual(['early']);
			expect((await store.claimDue({ now: 100, limit: 5, workerId: 'w', leaseMs: 1000 })).map((i) => i.id)).toEqual(['late']);
		});

		it('reschedules to pending without the lease, and fails an item', async () => {
			await store.put(item('r1', 'R', 1));
			await store.claimDue({ now: 0, limit: 1, workerId: 'w', leaseMs: 1000 });
			await store.reschedule('r1', { nextAttemptAt: 30000, attempts: 1, lastError: 'http_503' });
			const [rescheduled] = await store.list();
			expect(rescheduled).toMatchObject({ id: 'r1', state: 'pending', nextAttemptAt: 30000, attempts: 1, lastError: 'http_503' });
			expect(rescheduled.claimedBy).toBeUndefined();
			expect(rescheduled.leaseUntil).toBeUndefined();
			expect(await store.claimDue({ now: 29999, limit: 1, workerId: 'w', leaseMs: 1000 })).toEqual([]);
			await store.claimDue({ now: 30000, limit: 1, workerId: 'w', leaseMs: 1000 });
			await store.fail('r1', 'expired');
			expect(await store.list({ state: 'failed' })).toEqual([
				expect.objectContaining({ id: 'r1', state: 'failed', lastError: 'expired' }),
			]);
			expect(await store.claimDue({ now: 99999999, limit: 5, workerId: 'w', leaseMs: 1000 })).toEqual([]);
		});

		it('settling an unknown item throws outbox_unknown_item', async () => {
			await expect(store.complete('nope')).rejects.toMatchObject({ code: 'outbox_unknown_item' });
			await expect(store.reschedule('nope', { nextAttemptAt: 1, attempts: 1, lastError: 'x' })).rejects.toBeInstanceOf(
				StatusPipelineError,
			);
			await expect(store.fail('nope', 'x')).rejects.toBeInstanceOf(StatusPipelineError);
		});

		it('lists by createdAt then seq, filtered by state and message', async () => {
			await store.put(item('b2', 'B', 2, 20));
			await store.put(item('a1', 'A', 1, 10));
			await store.put(item('b1', 'B', 1, 20));
			expect((await store.list()).map((i) => i.id)).toEqual(['a1', 'b1', 'b2']);
			expect((await store.list({ messageKey: 'B', limit: 1 })).map((i) => i.id)).toEqual(['b1']);
			expect((await store.list({ state: 'failed' })).map((i) => i.id)).toEqual([]);
		});

		it('requeues failed items only, due now with no attempts', async () => {
			await store.put(item('f1', 'F', 1));
			await store.put(item('p1', 'P', 1));
			await store.claimDue({ now: 0, limit: 5, workerId: 'w', leaseMs: 1000 });
			await store.fail('f1', 'expired');
			expect(await store.requeue(['f1', 'p1', 'nope'], 5000)).toBe(1);
			expect((await store.list({ messageKey: 'F' }))[0]).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: 5000 });
		});

		it('delivers in order per message under failures (deliverDue over this store)', async () => {
			const accepted: string[] = [];
			let down = true;
			const send: Sender = async (body) => {
				if (down) return { status: 503 };
				accepted.push((JSON.parse(body) as P).id);
				return { status: 200 };
			};
			for (const i of [item('a1', 'A', 1), item('a2', 'A', 2), item('b1', 'B', 1)]) await store.put(i);
			await deliverDue({ store, now: 0, send });
			down = false;
			await deliverDue({ store, now: 10 * 60000, send });
			await deliverDue({ store, now: 20 * 60000, send });
			expect(accepted.filter((id) => id.startsWith('a'))).toEqual(['a1', 'a2']);
			expect(accepted.sort()).toEqual(['a1', 'a2', 'b1']);
			expect((await store.list()).filter((i: OutboxItem<P>) => i.state !== 'delivered')).toEqual([]);
		});
	});
}
