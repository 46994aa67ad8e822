/**
 * The delivery round to the Message Status Endpoint URL: due events, in order per message, several
 * messages at once (as many as the receiver keeps up with, deliveryLimit.ts, up to the
 * `statusDeliveryConcurrency` setting), signed when a signing secret is set,
 * within a run's time budget (runBudget.ts). One round at a time per runtime (`DeliveryGate`), and
 * one at a time across the instances of a cluster (`RoundClaims`).
 */
import { DeliveryLimit } from '../status/deliveryLimit';
import { realEvery } from './cancelWatch';
import { deliverDue, DeliverySummary, RecentIds } from '../status/outbox';
import { checkStatusUrl } from '../status/statusUrl';
import { Clock, StatusOutbox } from './ports';
import { RUN_BUDGET_MS, RunGate, wallClock } from './runBudget';
import { SettingsReader } from './settings';

const crypto = require('crypto') as typeof import('crypto');

/** Per POST: a slower answer is a failed attempt. Under the run budget, so the last POST of a run ends in time. */
export const DELIVERY_TIMEOUT_MS = 10000;

/** POSTs a status event to the Message Status Endpoint URL; resolves with the HTTP status. */
export interface StatusPoster {
	post(request: { url: string; body: string; headers: Record<string, string>; timeoutMs: number }): Promise<{ status: number }>;
}

/** One delivery round at a time in a runtime (runBudget.ts `RunGate`): rounds over the same items could POST an event twice. */
export class DeliveryGate extends RunGate<DeliverySummary> {}

/** A delivery round's claim (`RoundClaims`): its own token, and until when it counts when the round never withdraws it. */
export interface RoundClaim {
	token: string;
	until: number;
}

/**
 * The delivery rounds under way on the instances of a cluster, in the app's storage, which they
 * share: two rounds on two instances would list the same due events and POST each twice. A round
 * writes its claim, then reads the claims; another live one, and it leaves (both may leave: the
 * instance asks for a round again soon). Any two rounds that both go on would each have read the
 * other's claim, written before its read. The claim is withdrawn when the round ends.
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
/** A round renews its claim this often while it runs (its POSTs or writes may be slow): it lives ROUND_CLAIM_LIVES_MS from the last. */
export const ROUND_CLAIM_RENEW_MS = 15000;
/** A round that left because another instance's was under way is asked for again this long after. */
export const ELSEWHERE_RETRY_MS = 1000;

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

export interface DeliveryPorts {
	outbox: StatusOutbox;
	settings: SettingsReader;
	clock: Clock;
	poster: StatusPoster;
	gate: DeliveryGate;
	/** The rounds under way on the cluster's instances; without it, only this runtime's are known. */
	claims?: RoundClaims;
	/** A round's token (random by default). */
	newToken?: () => string;
	/** Calls `tick` every `ms` of real time until the function it answers is called (real timers by default): the claim's renewal. */
	every?: (ms: number, tick: () => void) => () => void;
	/** The ids this runtime delivered lately (a repeat is dropped). */
	recent?: RecentIds;
	/** POSTs at once, as this runtime adapted it to the receiver (kept between rounds); a fresh one otherwise. */
	limit?: DeliveryLimit;
	/** Wall time for the budget. */
	timer?: () => number;
	budgetMs?: number;
}

/** Why every POST of a round fails at once: the URL setting is refused (statusUrl.ts); nothing leaves the server. */
class RefusedUrl extends Error {
	constructor(readonly code: string) {
		super(code);
	}
}

/**
 * A delivery round. An event is retried with back-off for `statusRetryHours` of real time since it
 * was queued (or requeued), then kept as failed. Nothing happens without a URL (undefined); 'busy'
 * when another round of this runtime is under way (it answers `more`), 'elsewhere' when one of
 * another instance is (or one started at the same moment: the caller asks for a round again after
 * ELSEWHERE_RETRY_MS). A refused URL fails each attempt with the reason as its error
 * (`status_url_…`), so the events wait for the admin's correction within their window, as for a
 * receiver that is down.
 */
export async function deliverStatuses(ports: DeliveryPorts): Promise<DeliverySummary | 'busy' | 'elsewhere' | undefined> {
	const url = checkStatusUrl(await ports.settings.get('statusEndpointUrl'));
	if (url.kind === 'none') return undefined;
	const secret = await ports.settings.get('statusSigningSecret');
	const hours = await ports.settings.get('statusRetryHours');
	const most = await ports.settings.get('statusDeliveryConcurrency');
	let elsewhere = false;
	const result = await ports.gate.run(async () => {
		const token = (ports.newToken ?? newToken)();
		if (ports.claims && !(await claimRound(ports.claims, token, ports.clock))) {
			elsewhere = true;
			return { delivered: 0, retried: 0, failed: 0, dropped: 0, more: false };
		}
		const renewal = ports.claims ? keepClaim(ports.claims, token, ports) : undefined;
		try {
			return await deliverRound(ports, { url, secret, hours, most });
		} finally {
			// A renewal under way ends first: written after the withdrawal, it would keep the others off.
			await renewal?.();
			// Left behind (a withdrawal that failed), the claim keeps other instances' rounds off for ROUND_CLAIM_LIVES_MS at most.
			await ports.claims?.withdraw([token]).catch(() => undefined);
		}
	});
	return elsewhere ? 'elsewhere' : result;
}

const newToken = () => crypto.randomBytes(12).toString('hex');

/** Whether this round (`token`) may go: its claim written, no other live claim read after it. Dead rounds' claims are removed. */
/** Renews the round's claim every ROUND_CLAIM_RENEW_MS until the function it answers is called, which resolves once no renewal is under way. */
function keepClaim(claims: RoundClaims, token: string, ports: Pick<DeliveryPorts, 'clock' | 'every'>): () => Promise<void> {
	let renewing: Promise<void> = Promise.resolve();
	const stop = (ports.every ?? realEvery)(ROUND_CLAIM_RENEW_MS, () => {
		// A renewal that fails is tried at the next tick; the claim lives on meanwhile.
		renewing = renewing.then(() => claims.claim({ token, until: ports.clock.now() + ROUND_CLAIM_LIVES_MS }).catch(() => undefined));
	});
	return () => {
		stop();
		return renewing;
	};
}

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

/** The round itself: the due events POSTed (or, under a refused URL, failed with its reason). */
async function deliverRound(
	ports: DeliveryPorts,
	settings: { url: Exclude<ReturnType<typeof checkStatusUrl>, { kind: 'none' }>; secret: string; hours: number; most: number },
): Promise<DeliverySummary> {
	const { url: checked, secret, hours, most } = settings;
	const url = checked.kind === 'ok' ? checked.url : '';
	const now = ports.clock.now();
	const limit = ports.limit ?? new DeliveryLimit();
	limit.configure(url, most);
	return deliverDue({
		store: ports.outbox,
		now,
		maxAgeMs: hours * 3600000,
		signingSecret: secret || undefined,
		signatureTimestamp: Math.floor(now / 1000),
		timeoutMs: DELIVERY_TIMEOUT_MS,
		limit,
		timer: ports.timer ?? wallClock,
		budgetMs: ports.budgetMs ?? RUN_BUDGET_MS,
		recent: ports.recent,
		send: (body, headers) =>
			checked.kind === 'ok'
				? ports.poster.post({ url, body, headers, timeoutMs: DELIVERY_TIMEOUT_MS })
				: Promise.reject(new RefusedUrl(checked.reason)),
	});
}

/** An admin's "redeliver": every failed event back to pending, due now, with a new retry window. Returns how many. */
export async function redeliverFailed(ports: { outbox: StatusOutbox; clock: Clock }): Promise<number> {
	const failed = await ports.outbox.list({ state: 'failed' });
	return ports.outbox.requeue(
		failed.map((item) => item.id),
		ports.clock.now(),
	);
}
