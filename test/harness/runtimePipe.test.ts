/**
 * A write to the app's Deno subprocess after it is gone (the liveness ping while the runtime stops
 * or restarts) fails with EPIPE on the subprocess's stdin. The host hears it; the test file goes on.
 */
import { AppHarness } from '../../tools/harness/AppHarness';
import { runtimeControllerOf } from '../../tools/harness/engineVersion';

/* eslint-disable @typescript-eslint/no-explicit-any */

describe("the harness and the app's Deno subprocess", () => {
	let harness: AppHarness;
	beforeAll(async () => {
		harness = await AppHarness.start();
	});
	afterAll(async () => {
		await harness.stop();
	});

	it('hears a write to a subprocess already gone instead of crashing the process, also after a restart', async () => {
		const controller: any = runtimeControllerOf((harness as any).manager.getOneById(harness.appId));
		const first = controller.deno;
		// What a write to a closed pipe does: an 'error' event on the stream. Without a listener,
		// Node throws it (an uncaught exception that ends the test file).
		first.stdin.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
		expect(harness.pipeErrors).toEqual(['write EPIPE']);
		// A restart spawns a new subprocess: it is listened to as well.
		controller.spawnProcess();
		expect(controller.deno).not.toBe(first);
		controller.deno.stdin.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
		expect(harness.pipeErrors).toEqual(['write EPIPE', 'write EPIPE']);
		first.kill('SIGKILL');
	});
});
