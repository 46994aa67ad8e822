/** A job's rounds claimed across a cluster's instances (src/core/app/roundClaims.ts). */
import {
	claimedRound,
	MemoryRoundClaims,
	ROUND_CLAIM_LIVES_MS,
	ROUND_CLAIM_RENEW_MS,
	RoundClaim,
} from '../../../../src/core/app/roundClaims';
import { RUN_STALE_AFTER_MS } from '../../../../src/core/app/runBudget';

describe('claimedRound', () => {
	it("renews a stuck round's claim no longer than RUN_STALE_AFTER_MS: then the next run, here or elsewhere, may go", async () => {
		const claims = new MemoryRoundClaims();
		const written: RoundClaim[] = [];
		const store = {
			...claims,
			claim: async (claim: RoundClaim) => (written.push(claim), claims.claim(claim)),
			claims: () => claims.claims(),
			withdraw: (tokens: string[]) => claims.withdraw(tokens),
		};
		let now = 0;
		let tick: (() => void) | undefined;
		// A round whose work never ends (a call that hangs).
		void claimedRound(
			{
				claims: store,
				clock: { now: () => now },
				newToken: () => 'stuck',
				every: (_ms, onTick) => ((tick = onTick), () => undefined),
			},
			() => new Promise(() => undefined),
		);
		for (let i = 0; i < 100 && !tick; i++) await new Promise((resolve) => setImmediate(resolve));
		for (let at = ROUND_CLAIM_RENEW_MS; at <= 2 * RUN_STALE_AFTER_MS; at += ROUND_CLAIM_RENEW_MS) {
			now = at;
			tick?.();
			await new Promise((resolve) => setImmediate(resolve));
		}
		const last = written[written.length - 1];
		expect(last.until).toBeLessThanOrEqual(RUN_STALE_AFTER_MS);
		expect(last.until).toBeGreaterThan(RUN_STALE_AFTER_MS - ROUND_CLAIM_RENEW_MS);
		expect(written.length).toBe(1 + (RUN_STALE_AFTER_MS - ROUND_CLAIM_LIVES_MS) / ROUND_CLAIM_RENEW_MS);
		// Past it, another run goes (and removes the dead claim).
		now = RUN_STALE_AFTER_MS;
		expect(await claimedRound({ claims: store, clock: { now: () => now }, newToken: () => 'next' }, async () => 'ran')).toBe('ran');
		expect(await claims.claims()).toEqual([]);
	});

	it('runs the work as it is without claims (a test, or a single runtime that claims nothing)', async () => {
		expect(await claimedRound({ clock: { now: () => 0 } }, async () => 'ran')).toBe('ran');
	});
});
