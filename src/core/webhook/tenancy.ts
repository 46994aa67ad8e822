/**
 * Which numbers a webhook may speak for. Numbers of different Meta apps have different app
 * secrets: the secret(s) that signed a batch vouch only for the numbers (phone number ids) and
 * accounts (WABA ids) connected with that secret. Two numbers of one Meta app share the secret,
 * so a batch signed with it speaks for both. Plain TypeScript: no Apps-Engine imports.
 */
import { WebhookEvent } from '../status/webhook';
import { signersOf, SignatureFailure } from './signature';

/** What a verified batch may speak for; stored with the batch. */
export interface WebhookScope {
	phoneNumberIds: string[];
	wabaIds: string[];
}

export interface SigningNumber {
	phoneNumberId: string;
	wabaId: string;
	appSecret: string;
}

export type ScopeResult = { ok: true; scope: WebhookScope } | { ok: false; reason: SignatureFailure };

/** Verifies the signature against the connected numbers' secrets: the numbers whose secret signed it are the scope. */
export function verifyForNumbers(rawBody: string | Buffer, header: string | undefined, numbers: SigningNumber[]): ScopeResult {
	const result = signersOf(
		rawBody,
		header,
		numbers.map((n) => n.appSecret),
	);
	if (!result.ok) return result;
	const signers = result.secretIndexes.map((i) => numbers[i]);
	return {
		ok: true,
		scope: { phoneNumberIds: unique(signers.map((n) => n.phoneNumberId)), wabaIds: unique(signers.map((n) => n.wabaId)) },
	};
}

/** Whether the event is about a number or account of the scope. */
export function inScope(scope: WebhookScope, event: WebhookEvent): boolean {
	if (event.kind === 'template-status') return !!event.wabaId && scope.wabaIds.includes(event.wabaId);
	return !!event.phoneNumberId && scope.phoneNumberIds.includes(event.phoneNumberId);
}

/**
 * A status (or a contact's revoke) speaks of a message the app sent: it counts only when its
 * number is in the scope and the message was sent from that very number.
 */
export function mayReportOn(scope: WebhookScope | undefined, eventPhoneNumberId: string, sentFrom: string): boolean {
	if (!eventPhoneNumberId || eventPhoneNumberId !== sentFrom) return false;
	return !scope || scope.phoneNumberIds.includes(eventPhoneNumberId);
}

export function partitionByScope<E extends WebhookEvent>(scope: WebhookScope, events: E[]): { allowed: E[]; foreign: E[] } {
	const allowed: E[] = [];
	const foreign: E[] = [];
	for (const event of events) (inScope(scope, event) ? allowed : foreign).push(event);
	return { allowed, foreign };
}

const MAX_IDS = 5;
const MAX_ID_LENGTH = 32;

/** The numbers and accounts connected in the app (whatever their secrets): what `describeForeign` tells apart. */
export function scopeOfNumbers(numbers: Array<{ phoneNumberId: string; wabaId: string }>): WebhookScope {
	return { phoneNumberIds: unique(numbers.map((n) => n.phoneNumberId)), wabaIds: unique(numbers.map((n) => n.wabaId)) };
}

/**
 * Log lines for events dropped because their signature does not vouch for their number: how many of
 * each kind, and the ids they named (ids only, shortened: the payload is the sender's text). With
 * `connected` (the numbers connected in the app), events of a number connected with another secret
 * than the one that signed (one Meta app signs all its numbers' webhooks with its secret: a wrong
 * secret stored for one of them) get a line of their own, which names the number to edit.
 */
export function describeForeign(
	foreign: WebhookEvent[],
	connected?: WebhookScope,
	signedBy?: WebhookScope,
): Array<{ cause: string; text: string }> {
	const isConnected = (event: WebhookEvent) => (connected ? inScope(connected, event) : false);
	const miskeyed = foreign.filter(isConnected);
	const unknown = foreign.filter((event) => !isConnected(event));
	const lines: Array<{ cause: string; text: string }> = [];
	if (miskeyed.length)
		lines.push({
			cause: 'miskeyed-events',
			text: `${describeEvents(miskeyed)}, connected in the app with another app secret than the one that signed the webhook${signers(signedBy)}, dropped (a Meta app signs every webhook of its numbers with its secret: if the number is of the same Meta app as those, the app secret stored for it is wrong, edit it in /whatsapp numbers; if not, another Meta app sends its events, and its secret must stay as it is)`,
		});
	if (unknown.length)
		lines.push({
			cause: 'foreign-events',
			text: `${describeEvents(unknown)}, not connected in the app with the app secret that signed the webhook, dropped`,
		});
	return lines;
}

/** ` (the secret of number 1, number 2)`: the numbers whose stored secret signed, never the secret. */
function signers(signedBy?: WebhookScope): string {
	const ids = signedBy?.phoneNumberIds ?? [];
	if (!ids.length) return '';
	const named = ids.slice(0, MAX_IDS).map((id) => `number ${id.length > MAX_ID_LENGTH ? `${id.slice(0, MAX_ID_LENGTH)}…` : id}`);
	return ` (the secret of ${named.join(', ')}${ids.length > MAX_IDS ? `, and ${ids.length - MAX_IDS} more` : ''})`;
}

/** How many events of each kind, and the ids they name. */
function describeEvents(foreign: WebhookEvent[]): string {
	const kinds = new Map<string, number>();
	const ids = new Set<string>();
	for (const event of foreign) {
		kinds.set(event.kind, (kinds.get(event.kind) ?? 0) + 1);
		const id = (event.kind === 'template-status' ? event.wabaId : event.phoneNumberId) || '(none)';
		ids.add(
			`${event.kind === 'template-status' ? 'WABA' : 'number'} ${id.length > MAX_ID_LENGTH ? `${id.slice(0, MAX_ID_LENGTH)}…` : id}`,
		);
	}
	const counts = [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
	const named = [...ids].slice(0, MAX_IDS).join(', ') + (ids.size > MAX_IDS ? `, and ${ids.size - MAX_IDS} more` : '');
	return `${counts} event(s) for ${named}`;
}

function unique(values: string[]): string[] {
	return [...new Set(values.filter(Boolean))];
}
