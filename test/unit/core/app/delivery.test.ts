/** The delivery round (src/core/app/delivery.ts): one at a time per runtime, its concurrency from the settings. */
import { DeliveryGate, deliverStatuses } from '../../../../src/core/app/delivery';
import { RunGate } from '../../../../src/core/app/runBudget';
import { settingsOf } from '../../../../src/core/app/settings';
import { MemoryOutboxStore, newOutboxItem } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';

const payload = (n: number) => ({ msId: `wamid.${n}`, eventId: `e${n}` }) as unknown as StatusPayload;

describe('deliverStatuses', () => {
	it('a round that finds another under way leaves at once; the one under way then says there is more', async () => {
		const gate = new DeliveryGate();
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const first = gate.run(async () => (await held, { delivered: 1, retried: 0, failed: 0, dropped: 0, more: false }));
		expect(await gate.run(async () => ({ delivered: 9, retried: 0, failed: 0, dropped: 0, more: false }))).toBe('busy');
		release();
		expect(await first).toMatchObject({ delivered: 1, more: true });
		expect(await gate.run(async () => ({ delivered: 2, retried: 0, failed: 0, dropped: 0, more: false }))).toMatchObject({
			more: false,
		});
	});

	it.each([
		[undefined, 8],
		[3, 3],
		[500, 64],
		['x', 8],
	])('status_delivery_concurrency %p: at most %p POSTs at once', async (setting, expected) => {
		const outbox = new MemoryOutboxStore<StatusPayload>();
		for (let n = 0; n < 100; n++)
			await outbox.put(newOutboxItem({ id: `e${n}`, messageKey: `m${n}`, seq: 1, payload: payload(n), now: 0 }));
		let inFlight = 0;
		let most = 0;
		const poster = {
			post: async () => {
				most = Math.max(most, ++inFlight);
				await new Promise((r) => setImmediate(r));
				inFlight--;
				return { status: 200 };
			},
		};
		const settings = settingsOf({
			statusEndpointUrl: 'https://example.com/s',
			...(setting === undefined ? {} : { statusDeliveryConcurrency: setting }),
		});
		const summary = await deliverStatuses({ outbox, settings, clock: { now: () => 0 }, poster, gate: new DeliveryGate() });
		expect(summary).toMatchObject({ delivered: 100, more: false });
		expect(most).toBe(Math.min(expected, 100));
	});
});

describe('RunGate', () => {
	it('a run still under way after staleAfterMs no longer holds the gate, and its end does not free the next run', async () => {
		let now = 0;
		const gate = new RunGate<{ more: boolean; n: number }>(1000, () => now);
		const never = gate.run(() => new Promise(() => undefined));
		void never;
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		now = 999;
		expect(await gate.run(async () => ({ more: false, n: 1 }))).toBe('busy');
		now = 1000;
		const second = gate.run(async () => (await held, { more: false, n: 2 }));
		expect(await gate.run(async () => ({ more: false, n: 3 }))).toBe('busy');
		release();
		expect(await second).toEqual({ more: true, n: 2 });
		expect(await gate.run(async () => ({ more: false, n: 4 }))).toEqual({ more: false, n: 4 });
	});

	it('a stuck run that ends after it was taken over leaves the gate to the run under way', async () => {
		let now = 0;
		const gate = new RunGate<{ more: boolean }>(1000, () => now);
		let endStuck: () => void = () => undefined;
		const stuck = gate.run(() => new Promise((r) => (endStuck = () => r({ more: false }))));
		now = 2000;
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const second = gate.run(async () => (await held, { more: false }));
		endStuck();
		await stuck;
		expect(await gate.run(async () => ({ more: false }))).toBe('busy');
		release();
		await second;
	});
});
