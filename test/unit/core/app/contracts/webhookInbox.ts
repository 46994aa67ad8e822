/**
 * The webhook inbox contract (src/core/app/webhookBatch.ts, `WebhookInbox`) as tests: the in-memory
 * inbox and the one over Rocket.Chat's persistence pass the same suite.
 */
import { InboxEntry, WebhookInbox } from '../../../../../src/core/app/webhookBatch';

const entry = (id: string, fields: Partial<InboxEntry> = {}): InboxEntry => ({
	id,
	appId: 'app-1',
	events: [{ kind: 'template-status', wabaId: 'waba-1', event: 'PAUSED', templateName: id }],
	scope: { phoneNumberIds: ['pn-1'], wabaIds: ['waba-1'] },
	receivedAt: 1000,
	...fields,
});
/** When the tests' entries are stored. */
const STORED = { now: 1000 };
const HOUR = 3600000;
const ids = async (inbox: WebhookInbox) => (await inbox.list()).map((e) => e.id).sort();

/** An inbox under test, and what an `add` whose process died between its two writes leaves in it. */
export interface InboxUnderTest {
	inbox: WebhookInbox;
	interruptedAdd(entry: InboxEntry, options: { now: number }): Promise<void>;
}

export function webhookInboxContract(name: string, makeInbox: () => Promise<InboxUnderTest> | InboxUnderTest): void {
	describe(`${name}: the webhook inbox contract`, () => {
		let inbox: WebhookInbox;
		let interruptedAdd: InboxUnderTest['interruptedAdd'];
		beforeEach(async () => {
			({ inbox, interruptedAdd } = await makeInbox());
		});

		it('keeps what was added, as it was added; lists copies of the heads, without their events', async () => {
			await inbox.add(entry('a', { attempts: 2, nextAttemptAt: 5000, waitingSince: 900 }), STORED);
			await inbox.add(entry('b'), STORED);
			expect(await ids(inbox)).toEqual(['a', 'b']);
			const [a] = (await inbox.list()).filter((e) => e.id === 'a');
			const { events: _events, ...head } = entry('a', { attempts: 2, nextAttemptAt: 5000, waitingSince: 900 });
			expect(a).toEqual(head);
			a.attempts = 7;
			expect((await inbox.list()).find((e) => e.id === 'a')?.attempts).toBe(2);
			expect(await inbox.claim('a', { now: 6000, leaseMs: 300 })).toEqual({
				...entry('a', { attempts: 2, nextAttemptAt: 5000, waitingSince: 900 }),
				claimedUntil: 6300,
			});
		});

		it('claims an entry, with its events, for one run until its lease ends', async () => {
			await inbox.add(entry('a'), STORED);
			const claimed = await inbox.claim('a', { now: 2000, leaseMs: 300 });
			expect(claimed).toEqual({ ...entry('a'), claimedUntil: 2300 });
			expect(await inbox.claim('a', { now: 2299, leaseMs: 300 })).toBeUndefined();
			expect((await inbox.list())[0].claimedUntil).toBe(2300);
			expect(await inbox.claim('a', { now: 2300, leaseMs: 300 })).toEqual({ ...entry('a'), claimedUntil: 2600 });
			expect(await inbox.claim('gone', { now: 2300, leaseMs: 300 })).toBeUndefined();
		});

		it('saves an entry in place of the stored one, events included, and never brings back one that is gone', async () => {
			await inbox.add(entry('a'), STORED);
			const claimed = (await inbox.claim('a', { now: 2000, leaseMs: 300 }))!;
			const { claimedUntil: _claimed, ...rest } = claimed;
			const left = [{ kind: 'template-status', wabaId: 'waba-1', event: 'APPROVED', templateName: 'left' }] as InboxEntry['events'];
			await inbox.save({ ...rest, attempts: 1, nextAttemptAt: 2030, events: left });
			const { events: _events, ...head } = entry('a');
			expect(await inbox.list()).toEqual([{ ...head, attempts: 1, nextAttemptAt: 2030 }]);
			expect(await inbox.claim('a', { now: 2030, leaseMs: 300 })).toEqual({
				...entry('a'),
				attempts: 1,
				nextAttemptAt: 2030,
				events: left,
				claimedUntil: 2330,
			});
			await inbox.remove('a');
			await inbox.save(entry('a'));
			expect(await inbox.list()).toEqual([]);
			expect(await inbox.claim('a', { now: 9000, leaseMs: 300 })).toBeUndefined();
		});

		it('removes one entry, and ignores an unknown id', async () => {
			await inbox.add(entry('a'), STORED);
			await inbox.add(entry('b'), STORED);
			await inbox.remove('a');
			await inbox.remove('nope');
			expect(await ids(inbox)).toEqual(['b']);
		});

		it("answers every stored entry's events (as last saved, not a removed one's), claiming none", async () => {
			expect(await inbox.events()).toEqual([]);
			const saved = [{ kind: 'template-status', wabaId: 'waba-1', event: 'APPROVED', templateName: 'saved' }] as InboxEntry['events'];
			await inbox.add(entry('a'), STORED);
			await inbox.add(entry('b'), STORED);
			await inbox.add(entry('c'), STORED);
			await inbox.save({ ...entry('b'), events: saved });
			await inbox.remove('c');
			const events = await inbox.events();
			expect(events).toHaveLength(2);
			expect(events).toEqual(expect.arrayContaining([...entry('a').events, ...saved]));
			(events[0] as { templateName: string }).templateName = 'changed';
			expect((await inbox.events()).map((e) => (e as { templateName: string }).templateName).sort()).toEqual(['a', 'saved']);
			expect((await inbox.list()).map((e) => e.claimedUntil)).toEqual([undefined, undefined]);
			expect(await inbox.claim('a', { now: 2000, leaseMs: 300 })).toEqual({ ...entry('a'), claimedUntil: 2300 });
		});

		it('sweeps the events an add left without its entry once they are old enough; younger ones may be an add under way', async () => {
			await interruptedAdd(entry('x'), STORED);
			expect(await inbox.list()).toEqual([]);
			expect(await inbox.sweepOrphans(1000 + HOUR - 1, HOUR)).toBe(0);
			expect(await inbox.sweepOrphans(1000 + HOUR, HOUR)).toBe(1);
			expect(await inbox.sweepOrphans(1000 + HOUR, HOUR)).toBe(0);
		});

		it("sweeps nothing while the inbox holds an entry, and never an entry's own events", async () => {
			await inbox.add(entry('a'), STORED);
			await interruptedAdd(entry('x'), STORED);
			expect(await inbox.sweepOrphans(1000 + 10 * HOUR, HOUR)).toBe(0);
			expect(await inbox.claim('a', { now: 1000 + 10 * HOUR, leaseMs: 300 })).toEqual({
				...entry('a'),
				claimedUntil: 1000 + 10 * HOUR + 300,
			});
			await inbox.remove('a');
			// The leftover was kept: the next sweep, with the inbox empty, takes it (and nothing else is left).
			expect(await inbox.sweepOrphans(1000 + 10 * HOUR, HOUR)).toBe(1);
			expect(await inbox.list()).toEqual([]);
		});
	});
}
