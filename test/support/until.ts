/**
 * Waits until `done()` holds, checking every few milliseconds (no fixed sleep: a slow machine only
 * waits longer); gives up with an error naming `what` after `limitMs`, so a test never goes on to
 * assert on a state it did not wait for.
 */
export async function until(done: () => boolean | Promise<boolean>, what: string, limitMs = 60000): Promise<void> {
	const started = Date.now();
	while (!(await done())) {
		if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}
