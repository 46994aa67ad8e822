/**
 * The app's clock (src/adapters/persistence/clock.ts) through the engine: the harness's test-only clock
 * record exists before the app's first call, and the app follows it; on a server, where there is no
 * such record (a harness started with `realClock`), the app looks for it once per runtime, not once
 * per webhook or job run.
 */
import { TEST_CLOCK_OFFSET } from '../../src/adapters/persistence/clock';
import { AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/** Counts the persistence reads that name the clock record, from now on. */
function clockReads(app: AppUnderTest): () => number {
	const bridge = app.harness.bridges.getPersistenceBridge();
	const read = bridge.readByAssociations;
	let count = 0;
	bridge.readByAssociations = (associations: Array<{ id: string }>, ...rest: unknown[]) => {
		if (associations.some((a) => a.id === TEST_CLOCK_OFFSET)) count++;
		return read(associations, ...rest);
	};
	return () => count;
}

const clockRecord = (app: AppUnderTest) =>
	app.harness.world.persistence.find((r) => r.appId === app.harness.appId && r.associations.some((a) => a.id === TEST_CLOCK_OFFSET));

/** A signed webhook of one `sent` status for a message the app does not know; acknowledged with 200. */
async function webhook(app: AppUnderTest, n: number): Promise<void> {
	const payload = app.sim.statusPayload(NUMBER.phoneNumberId, [
		{ wamid: `wamid.clock-${n}`, status: 'sent', recipient: '5511987654321' },
	]);
	expect((await app.sim.deliverRaw(payload, NUMBER.appSecret)).status).toBe(200);
}

describe("the app's clock", () => {
	let app: AppUnderTest | undefined;
	afterEach(async () => {
		await stopChecked(app);
		app = undefined;
	});

	it("in the harness, the record is there before the app's first call, and the app reads it at every run", async () => {
		app = await startApp();
		expect(clockRecord(app)?.data).toEqual({ offsetMs: 0 });
		await connectNumber(app);
		const reads = clockReads(app);
		await webhook(app, 1);
		await webhook(app, 2);
		expect(reads()).toBe(2);
		const before = Date.now();
		await app.harness.scheduler.advance(60000);
		// The scheduler's time is at least `before` + 60 s; the record says how far ahead of real time.
		expect((clockRecord(app)?.data as { offsetMs: number }).offsetMs).toBeGreaterThanOrEqual(before + 60000 - Date.now());
	});

	it('on a server (no record), the app looks for it once per runtime: webhooks and job runs after that read it no more', async () => {
		app = await startApp({ realClock: true });
		expect(clockRecord(app)).toBeUndefined();
		const reads = clockReads(app);
		await connectNumber(app);
		for (let n = 0; n < 3; n++) await webhook(app, n);
		await app.harness.scheduler.runDue();
		await webhook(app, 3);
		// connectNumber's handlers may have looked first; at most one look in all.
		expect(reads()).toBeLessThanOrEqual(1);
		expect(clockRecord(app)).toBeUndefined();
		// Its time cannot move: the app would not follow.
		await expect(app.harness.scheduler.advance(60000)).rejects.toThrow('real clock');
	});
});
