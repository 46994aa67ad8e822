/**
 * The delivery round to the Message Status Endpoint URL: due events, in order per message, several
 * messages at once (as many as the receiver keeps up with, deliveryLimit.ts, up to the
 * `statusDeliveryConcurrency` setting), signed when a signing secret is set,
 * within a run's time budget (runBudget.ts). One round at a time per runtime (`DeliveryGate`), and
 * one at a time across the instances of a cluster (roundClaims.ts).
 */
import { DeliveryLimit } from '../status/deliveryLimit';
import { deliverDue, DeliverySummary, RecentIds } from '../status/outbox';
import { checkStatusUrl } from '../status/statusUrl';
import { Clock, StatusOutbox } from './ports';
import { RUN_BUDGET_MS, RunGate, wallClock } from './runBudget';
import { ClaimPorts, claimedRound } from './roundClaims';
import { SettingsReader } from './settings';

/** Per POST: a slower answer is a failed attempt. Under the run budget, so the last POST of a run ends in time. */
export const DELIVERY_TIMEOUT_MS = 10000;

/** POSTs a status event to the Message Status Endpoint URL; resolves with the HTTP status. */
export interface StatusPoster {
	post(request: { url: string; body: string; headers: Record<string, string>; timeoutMs: number }): Promise<{ status: number }>;
}

/** One delivery round at a time in a runtime (runBudget.ts `RunGate`): rounds over the same items could POST an event twice. */
export class DeliveryGate extends RunGate<DeliverySummary> {}

export interface DeliveryPorts extends ClaimPorts {
	outbox: StatusOutbox;
	settings: SettingsReader;
	clock: Clock;
	poster: StatusPoster;
	gate: DeliveryGate;
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
 * roundClaims.ts ELSEWHERE_RETRY_MS). A refused URL fails each attempt with the reason as its error
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
		const round = await claimedRound(ports, () => deliverRound(ports, { url, secret, hours, most }));
		if (round !== 'elsewhere') return round;
		elsewhere = true;
		return { delivered: 0, retried: 0, failed: 0, dropped: 0, more: false };
	});
	return elsewhere ? 'elsewhere' : result;
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
