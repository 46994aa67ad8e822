/**
 * Fidelity of the harness's app log storage to Rocket.Chat's AppRealLogStorage
 * (apps/meteor/ee/server/apps/storage/AppRealLogStorage.ts): `storeEntries` inserts the entry and
 * reads it back (two MongoDB round trips), and answers the copy read back. The engine hands a
 * request's result on only once that is done (AppsEngineDenoRuntime `handleResultMessage`).
 */
import { HarnessLogStorage } from '../../../tools/harness/rc/logStorage';

/* eslint-disable @typescript-eslint/no-explicit-any */
const entry = () => ({
	appId: 'app-1',
	method: 'api:webhook:post',
	entries: [
		{ severity: 'debug', caller: 'apiHandler', args: ["webhook's api:webhook:post is being executed...", { content: { n: 1 } }] },
	],
	startTime: new Date(0),
});

afterEach(() => jest.useRealTimers());

describe('app log entries stored as Rocket.Chat stores them', () => {
	it('keeps and answers a copy: the entry read back, not the object handed in', async () => {
		const kept: any[] = [];
		const original = entry();
		const answered = await new HarnessLogStorage((e) => kept.push(e)).storeEntries(original);
		(original.entries[0].args[1] as any).content.n = 2;
		expect(kept).toEqual([answered]);
		expect(answered).not.toBe(original);
		expect(answered.entries[0].args[1]).toEqual({ content: { n: 1 } });
		expect(answered.startTime).toEqual(new Date(0));
	});

	it('takes two round trips at the persistence latency (insertOne, then findOneById) before it answers', async () => {
		jest.useFakeTimers();
		const kept: any[] = [];
		let answered = false;
		void new HarnessLogStorage((e) => kept.push(e), 5).storeEntries(entry()).then(() => (answered = true));
		await jest.advanceTimersByTimeAsync(5);
		expect([answered, kept.length]).toEqual([false, 0]);
		await jest.advanceTimersByTimeAsync(5);
		expect([answered, kept.length]).toEqual([true, 1]);
	});
});
