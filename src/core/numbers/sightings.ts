/**
 * What Meta's webhooks show of an account's subscriptions. A save notes on a number that no Meta
 * app is subscribed to its account's webhooks (`webhooksUnsubscribed`), or that only other apps
 * than its token's are (`webhooksToOtherApps`), as Meta's list said then (NumberService). The
 * admin may mend that at Meta without saving the number again; the webhooks that arrive then
 * show it:
 * - one signed with a number's own app secret (the number is in its scope, core/webhook/tenancy.ts)
 *   about a number of its account shows that the number's app is subscribed (the secret's app is the
 *   token's, once Meta took the secret's proof): both notes of a number saved with the proof go;
 * - any verified one about a number of an account shows that some app is: the note of no app goes
 *   on the account's numbers saved without the proof (a save says nothing else of them). On the
 *   others it stays, as their own app may still be left out (a save would say other apps).
 *
 * Such a sighting counts from the earlier of Meta's time of its events (`timestamp`, seconds) and
 * its arrival (the server's clock, as the save's): a retry of an old webhook shows nothing of now,
 * and a time Meta's clock (or a wrong timestamp) puts ahead shows nothing of later. A note stands
 * until a sighting more than SETTLE_MS after Meta's list was read (`webhooksCheckedAt`): by then
 * every instance of the server checks signatures against the numbers as saved (the webhook's
 * acknowledgement uses a list read up to 10 s before, adapters/persistence/NumberStore.ts
 * RECENT_NUMBERS_MS), not against a secret the save replaced. The numbers list then leaves the note
 * out (`standingNotes`). Sightings are stored apart from the numbers, one record per account and per
 * number, each keeping its latest time: the processing job never rewrites a number (an admin's
 * edit meanwhile would be undone). A runtime writes one only when it makes a note go, once per
 * note. Plain TypeScript.
 */
import { StatusEvent, InboundMessageEvent, WebhookEvent } from '../status/webhook';
import { inScope, WebhookScope } from '../webhook/tenancy';
import { ConnectedNumber } from './ConnectedNumber';

/** The time (ms) of the latest event seen (the earlier of Meta's and the arrival), by key: `waba:<WABA ID>`, `number:<phone number ID>`. */
export type Sightings = Map<string, number>;

export const accountKey = (wabaId: string) => `waba:${wabaId}`;
export const numberKey = (phoneNumberId: string) => `number:${phoneNumberId}`;

/**
 * A sighting counts for a note only this long after Meta's list was read (see the top): the 10 s of
 * the acknowledgement's cached numbers, and 20 s for the clocks of a cluster's instances (the save's
 * and the acknowledgement's) to differ by.
 */
export const SETTLE_MS = 30000;

type Noted = Pick<
	ConnectedNumber,
	'phoneNumberId' | 'wabaId' | 'appSecretProven' | 'webhooksUnsubscribed' | 'webhooksToOtherApps' | 'webhooksCheckedAt'
>;

/** From when a sighting counts for the number's notes, in ms (any, for a note an earlier version saved). */
function countsFrom(number: Noted): number {
	const at = number.webhooksCheckedAt ? Date.parse(number.webhooksCheckedAt) : NaN;
	return Number.isNaN(at) ? -Infinity : at + SETTLE_MS;
}

/** Meta's time of a status or a contact's message, in ms; undefined when it has none. */
function metaTime(event: StatusEvent | InboundMessageEvent): number | undefined {
	const seconds = Number(event.timestamp);
	return event.timestamp && Number.isSafeInteger(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** A webhook as the processing job holds it: its scope, its events and when it arrived (the server's clock, ms). */
export interface SeenWebhook {
	scope?: WebhookScope;
	events?: WebhookEvent[];
	receivedAt?: number;
}

/**
 * What webhooks show, of the connected `numbers`: for each account, and for each number of the
 * scope in it, the latest time (the earlier of Meta's and the arrival) of an event in scope about a
 * number of that account.
 */
export function sightingsOf(webhooks: SeenWebhook[], numbers: Noted[]): Sightings {
	const seen: Sightings = new Map();
	const later = (key: string, at: number) => {
		if (at > (seen.get(key) ?? -Infinity)) seen.set(key, at);
	};
	const accountOf = new Map(numbers.map((n) => [n.phoneNumberId, n.wabaId]));
	for (const { scope, events, receivedAt } of webhooks) {
		if (!scope || !events || typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) continue;
		const accounts = new Map<string, number>();
		for (const event of events) {
			if ((event.kind !== 'status' && event.kind !== 'message') || !inScope(scope, event)) continue;
			const meta = metaTime(event);
			const wabaId = accountOf.get(event.phoneNumberId);
			if (meta === undefined || wabaId === undefined) continue;
			const at = Math.min(meta, receivedAt);
			if (at > (accounts.get(wabaId) ?? -Infinity)) accounts.set(wabaId, at);
		}
		for (const [wabaId, at] of accounts) {
			later(accountKey(wabaId), at);
			for (const n of numbers)
				if (n.wabaId === wabaId && scope.phoneNumberIds.includes(n.phoneNumberId)) later(numberKey(n.phoneNumberId), at);
		}
	}
	return seen;
}

/** The subscription notes of `number` that no sighting since its save contradicts (see the top). */
export function standingNotes(number: Noted, sightings: Sightings): Pick<ConnectedNumber, 'webhooksUnsubscribed' | 'webhooksToOtherApps'> {
	const from = countsFrom(number);
	const seen = (key: string) => (sightings.get(key) ?? -Infinity) > from;
	const ownApp = number.appSecretProven ? numberKey(number.phoneNumberId) : accountKey(number.wabaId);
	return {
		...(number.webhooksUnsubscribed && !seen(ownApp) ? { webhooksUnsubscribed: true } : {}),
		...(number.webhooksToOtherApps?.length && !seen(numberKey(number.phoneNumberId))
			? { webhooksToOtherApps: number.webhooksToOtherApps }
			: {}),
	};
}

/** The sightings as stored. */
export interface SightingStore {
	list(): Promise<Sightings>;
	/** Stores the time of the latest event seen for `key` (the later of it and the one stored stays). */
	save(key: string, at: number): Promise<void>;
}

/**
 * The sightings of one processing run: `note` each webhook handled, `flush` once at the end. It
 * stores a sighting only when it makes a standing note go, and each at most once per runtime
 * (`written`, kept for as long as the runtime lives): with every number's notes clear, a run costs
 * the numbers' list only (the runtime's recent one) and no write.
 */
export class WebhookSightings {
	private readonly webhooks: SeenWebhook[] = [];

	constructor(
		private readonly ports: {
			numbers: () => Promise<ConnectedNumber[]>;
			store: SightingStore;
			/** What this runtime stored, by key (module state). */
			written: Sightings;
		},
	) {}

	note(webhook: SeenWebhook): void {
		if (webhook.scope && webhook.events?.length)
			this.webhooks.push({ scope: webhook.scope, events: webhook.events, receivedAt: webhook.receivedAt });
	}

	async flush(): Promise<void> {
		if (!this.webhooks.length) return;
		const webhooks = this.webhooks.splice(0);
		const numbers = await this.ports.numbers();
		const noted = numbers.filter((n) => n.webhooksUnsubscribed || n.webhooksToOtherApps?.length);
		if (!noted.length) return;
		const { written } = this.ports;
		for (const [key, at] of sightingsOf(webhooks, numbers)) {
			// Stored only if it makes a note go that what this runtime stored did not.
			const mends = noted.some((n) => {
				const standing = standingNotes(n, written);
				const after = standingNotes(n, new Map([[key, at]]));
				return (
					(!!standing.webhooksUnsubscribed && !after.webhooksUnsubscribed) ||
					(!!standing.webhooksToOtherApps && !after.webhooksToOtherApps)
				);
			});
			if (!mends) continue;
			await this.ports.store.save(key, at);
			written.set(key, Math.max(at, written.get(key) ?? -Infinity));
		}
	}
}
