/**
 * One run of a job at a time across the instances of a cluster. Agenda runs one run of a job name at
 * a time in an instance, and the runtime's gate (runBudget.ts RunGate) keeps a runtime's runs apart,
 * but each instance takes due jobs: two instances' delivery rounds would list the same due events
 * and POST each twice, and two processing runs would handle one contact's messages side by side, out
 * of order. So a run claims its round in the app's storage, which the instances share (`RoundClaims`),
 * and leaves ('elsewhere') when another instance's round of the same job is under way.
 */
import { realEvery } from './cancelWatch';
import { Clock } from './ports';
import { RUN_STALE_AFTER_MS } from './runBudget';

const crypto = require('crypto') as typeof import('crypto');

/** A round's claim (`RoundClaims`): its own token, and until when it counts when the round never withdraws it. */
export interface RoundClaim {
	token: string;
	until: number;
}

/**
 * The rounds of one job under way on the instances of a cluster, in the app's storage. A round
 * writes its claim, then reads the claims; another live one, and it leaves (both may leave: the
 * instance asks for a round again soon, ELSEWHERE_RETRY_MS). Any two rounds that both went on would
 * each have read the other's claim, written before its read. The claim is renewed while the round
 * runs and withdrawn when it ends.
 */
export interface RoundClaims {
	/** Writes the round's claim, or renews it (the same token: one claim per round). */
	claim(claim: RoundClaim): Promise<void>;
	claims(): Promise<RoundClaim[]>;
	/** Removes these tokens' claims (the round's own, or those of rounds that died). */
	withdraw(tokens: string[]): Promise<void>;
}

/**
 * How long a claim counts from when it was written or last renewed, should its round never withdraw
 * it (its runtime died): four renewals, so that a round whose renewal is late, or an instance whose
 * clock is some seconds off, is not taken for dead.
 */
export const ROUND_CLAIM_LIVES_MS = 60000;
/** A round renews its claim this often while it runs (its calls may be slow): it lives ROUND_CLAIM_LIVES_MS from the last. */
export const ROUND_CLAIM_RENEW_MS = 15000;
/** A round that left because another instance's was under way is asked for again this long after. */
export const ELSEWHERE_RETRY_MS = 1000;

/** What a job needs to claim its rounds. */
export interface ClaimPorts {
	/** The rounds under way on the cluster's instances; without it, only this runtime's are known. */
	claims?: RoundClaims;
	clock: Clock;
	/** A round's token (random by default). */
	newToken?: () => string;
	/** Calls `tick` every `ms` of real time until the function it answers is called (real timers by default): the claim's renewal. */
	every?: (ms: number, tick: () => void) => () => void;
}

/** `RoundClaims` in memory: for tests, and the reference for the persistence adapter. */
export class MemoryRoundClaims implements RoundClaims {
	private readonly byToken = new Map<string, RoundClaim>();

	async claim(claim: RoundClaim): Promise<void> {
		this.byToken.set(claim.token, { ...claim });
	}

	async claims(): Promise<RoundClaim[]> {
		return [...this.byToken.values()].map((claim) => ({ ...claim }));
	}

	async withdraw(tokens: string[]): Promise<void> {
		for (const token of tokens) this.byToken.delete(token);
	}
}

/**
 * `work` as a claimed round: 'elsewhere' (and nothing done) when another instance's round is under
 * way. Without `claims`, `work` runs as it is.
 */
export async function claimedRound<T>(ports: ClaimPorts, work: () => Promise<T>): Promise<T | 'elsewhere'> {
	const claims = ports.claims;
	if (!claims) return work();
	const token = (ports.newToken ?? newToken)();
	if (!(await claimRound(claims, token, ports.clock))) return 'elsewhere';
	const renewal = keepClaim(claims, token, ports);
	try {
		return await work();
	} finally {
		// A renewal under way ends first: written after the withdrawal, it would keep the others off.
		await renewal();
		// Left behind (a withdrawal that failed), the claim keeps other instances' rounds off for ROUND_CLAIM_LIVES_MS at most.
		await claims.withdraw([token]).catch(() => undefined);
	}
}

const newToken = () => crypto.randomBytes(12).toString('hex');

/** Whether this round (`token`) may go: its claim written, no other live claim read after it. Dead rounds' claims are removed. */
async function claimRound(claims: RoundClaims, token: string, clock: Clock): Promise<boolean> {
	try {
		await claims.claim({ token, until: clock.now() + ROUND_CLAIM_LIVES_MS });
		const now = clock.now();
		const others = (await claims.claims()).filter((claim) => claim.token !== token);
		if (others.some((claim) => claim.until > now)) {
			await claims.withdraw([token]).catch(() => undefined);
			return false;
		}
		if (others.length) await claims.withdraw(others.map((claim) => claim.token)).catch(() => undefined);
		return true;
	} catch (error) {
		await claims.withdraw([token]).catch(() => undefined);
		throw error;
	}
}

/**
 * Renews the round's claim every ROUND_CLAIM_RENEW_MS until the function it answers is called, which
 * resolves once no renewal is under way; for RUN_STALE_AFTER_MS at most: a round still under way then
 * is stuck (a call that never ends), and the runtime's gate lets the next run in (runBudget.ts), so
 * its claim must let that run, or another instance's, in too.
 */
function keepClaim(claims: RoundClaims, token: string, ports: Pick<ClaimPorts, 'clock' | 'every'>): () => Promise<void> {
	let renewing: Promise<void> = Promise.resolve();
	let renewals = Math.floor((RUN_STALE_AFTER_MS - ROUND_CLAIM_LIVES_MS) / ROUND_CLAIM_RENEW_MS);
	const stop = (ports.every ?? realEvery)(ROUND_CLAIM_RENEW_MS, () => {
		if (renewals-- <= 0) return;
		// A renewal that fails is tried at the next tick; the claim lives on meanwhile.
		renewing = renewing.then(() => claims.claim({ token, until: ports.clock.now() + ROUND_CLAIM_LIVES_MS }).catch(() => undefined));
	});
	return () => {
		stop();
		return renewing;
	};
}
