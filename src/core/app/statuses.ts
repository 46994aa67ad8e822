/**
 * Forwarding statuses: Meta's status of a message the app sent (or a contact's revoke of it) becomes
 * an event for the Message Status Endpoint URL (through the send log), a failure is told to the
 * agents of the room the message left from, a template's status change updates the template cache,
 * and a delivery round POSTs what is due to the URL.
 */
import { Translator } from '../i18n/translate';
import { deliverDue, DeliverySummary } from '../status/outbox';
import { fromMetaStatus } from '../status/ordering';
import { InboundMessageEvent, StatusEvent, TemplateStatusEvent } from '../status/webhook';
import { explainSendError, TemplateCatalog } from '../templates/catalog';
import { mayReportOn, WebhookScope } from '../webhook/tenancy';
import { Clock, MessageLog, Numbers, SentMessage, StatusOutbox, systemClock, TemplateCache } from './ports';
import { isBatchKey, SendLog } from './sendLog';
import { SettingsReader, settingsOf } from './settings';

/** Tells the members of a room something (an ephemeral notice from the app's user). A room that is gone is skipped. */
export interface RoomNotifier {
	notifyRoom(roomId: string, text: string): Promise<void>;
}

/** Refusals for the app's log: one line a minute per cause at most (adapters/refusals.ts). */
export interface Refusals {
	refuse(cause: string, text: string): void;
}

/** POSTs a status event to the Message Status Endpoint URL; resolves with the HTTP status. */
export interface StatusPoster {
	post(request: { url: string; body: string; headers: Record<string, string>; timeoutMs: number }): Promise<{ status: number }>;
}

export interface StatusPorts {
	messages: MessageLog;
	sendLog: SendLog;
	notifier: RoomNotifier;
	/** The workspace's language, asked only when there is something to say. */
	translator: () => Promise<Translator>;
	numbers: Numbers;
	templates: TemplateCache;
	refusals: Refusals;
	/** The unknown-status window setting (its default without one). */
	settings?: SettingsReader;
	/** When a kept status is too old (the webhook inbox's clock). */
	clock?: Clock;
}

/** A stored webhook's statuses: who signed it, and when it arrived (the start of a kept status's window). */
export interface StatusBatch {
	scope: WebhookScope | undefined;
	receivedAt: number;
}

const describeNumber = (id: string) => (id ? `number ${id.length > 32 ? `${id.slice(0, 32)}…` : id}` : 'no number');

export class StatusService {
	constructor(private readonly ports: StatusPorts) {}

	/** Meta's status of a message the app sent: forwarded once, in order; a failure is told to the room. */
	async handleStatus(event: StatusEvent, scope: WebhookScope | undefined): Promise<void> {
		const status = fromMetaStatus(event.status);
		const record = status ? await this.ports.messages.findByWamid(event.wamid) : undefined;
		if (record) await this.forwardStatus(event, record, scope);
	}

	/**
	 * The statuses of one stored webhook, together: their records found with one read per batch key
	 * (Meta echoes each send's `biz_opaque_callback_data`) rather than one per status, then each
	 * forwarded once, in order. Answers the statuses whose message is not known yet (written, not yet
	 * linked to its wamid, or not the app's): the caller keeps them and hands them back later, with
	 * the same `receivedAt`, until the "unknown status window" has passed; then they are dropped here,
	 * with a line in the app's log.
	 */
	async handleStatuses(events: StatusEvent[], batch: StatusBatch): Promise<StatusEvent[]> {
		const known = events.filter((event) => fromMetaStatus(event.status));
		const records = await this.recordsOf(known);
		const unknown: StatusEvent[] = [];
		for (const event of known) {
			const record = records.get(event.wamid);
			if (record) await this.forwardStatus(event, record, batch.scope);
			else unknown.push(event);
		}
		if (!unknown.length) return [];
		const minutes = await (this.ports.settings ?? settingsOf()).get('unknownStatusWindowMinutes');
		if ((this.ports.clock ?? systemClock).now() - batch.receivedAt <= minutes * 60000) return unknown;
		this.ports.refusals.refuse(
			'unknown-status',
			`webhook: ${unknown.length} status event(s) about messages the app does not know, kept ${minutes} minutes, dropped (first: ${unknown[0].wamid})`,
		);
		return [];
	}

	/**
	 * The records of the statuses' messages, by wamid: a batch key two statuses or more share is read
	 * once (pending sends of it are not known yet); any other status's message is read by its wamid.
	 */
	private async recordsOf(events: StatusEvent[]): Promise<Map<string, SentMessage>> {
		const records = new Map<string, SentMessage>();
		const byBatch = new Map<string, Set<string>>();
		for (const { bizOpaqueCallbackData: key, wamid } of events)
			if (isBatchKey(key)) byBatch.set(key, (byBatch.get(key) ?? new Set()).add(wamid));
		const covered = new Set<string>();
		for (const [key, wamids] of byBatch) {
			if (wamids.size < 2) continue;
			for (const record of await this.ports.messages.findByBatch(key))
				if (record.wamid && !record.pending) records.set(record.wamid, record);
			for (const wamid of wamids) covered.add(wamid);
		}
		for (const { wamid } of events) {
			if (records.has(wamid) || covered.has(wamid)) continue;
			covered.add(wamid);
			const record = await this.ports.messages.findByWamid(wamid);
			if (record) records.set(wamid, record);
		}
		return records;
	}

	/** Forwards a status of `record` (whose statuses it updates) unless it regresses or is foreign; a failure is told to the room. */
	private async forwardStatus(event: StatusEvent, record: SentMessage, scope: WebhookScope | undefined): Promise<void> {
		const status = fromMetaStatus(event.status);
		if (!status || !this.reportsOnOwnMessage(event, record, scope)) return;
		const error = event.errors?.[0];
		const forwarded = await this.ports.sendLog.forward(record, {
			status,
			timestamp: event.timestamp,
			error,
			pricingCategory: event.pricingCategory,
		});
		if (forwarded && status === 'failed' && record.roomId) await this.noticeFailure(record, error?.code);
	}

	/** A contact deleted a message of the app's (Meta's revoke): forwarded as `deleted`. */
	async handleRevoke(event: InboundMessageEvent, scope: WebhookScope | undefined): Promise<void> {
		const record = event.originalMessageId ? await this.ports.messages.findByWamid(event.originalMessageId) : undefined;
		if (record && this.reportsOnOwnMessage(event, record, scope))
			await this.ports.sendLog.forward(record, { status: 'deleted', timestamp: event.timestamp });
	}

	/** Meta paused, disabled or deleted a template (or approved one): the template cache follows at once. */
	async templateStatusChanged(event: TemplateStatusEvent): Promise<void> {
		const numbers = (await this.ports.numbers.list()).filter((n) => n.wabaId === event.wabaId);
		if (!numbers.length) return;
		await new TemplateCatalog(this.ports.templates, async () => [], 0).applyStatusUpdate(event);
	}

	/**
	 * A status, or a contact's revoke, may speak only of a message sent from its own number, and only
	 * when the webhook's signature vouches for that number: any other is dropped and logged.
	 */
	private reportsOnOwnMessage(
		event: { phoneNumberId: string; kind: string },
		record: SentMessage,
		scope: WebhookScope | undefined,
	): boolean {
		if (mayReportOn(scope, event.phoneNumberId, record.phoneNumberId)) return true;
		this.ports.refusals.refuse(
			'foreign-message',
			`webhook: a ${event.kind} event of ${describeNumber(event.phoneNumberId)} about a message sent from another number, dropped`,
		);
		return false;
	}

	/** A message sent from a room failed later: the agents of the room are told why, in the workspace's language. */
	private async noticeFailure(record: SentMessage, code: number | undefined): Promise<void> {
		const t = await this.ports.translator();
		const reason = t(explainSendError(code ?? 0).key, { code: code ?? 0 });
		await this.ports.notifier.notifyRoom(
			record.roomId as string,
			t('status_failed_notice', { recipient: record.mobileNo, message: record.message.slice(0, 80), reason }),
		);
	}
}

export const DELIVERY_TIMEOUT_MS = 10000;
export const DELIVERIES_PER_RUN = 2000;

export interface DeliveryPorts {
	outbox: StatusOutbox;
	settings: SettingsReader;
	clock: Clock;
	poster: StatusPoster;
}

/**
 * A delivery round: due events, in order per message, to the Message Status Endpoint URL, signed when
 * a signing secret is set. An event is retried with back-off for `statusRetryHours` of real time since
 * it was queued (or requeued), then kept as failed. Nothing happens without a URL.
 */
export async function deliverStatuses(ports: DeliveryPorts): Promise<DeliverySummary | undefined> {
	const url = await ports.settings.get('statusEndpointUrl');
	if (!url) return undefined;
	const secret = await ports.settings.get('statusSigningSecret');
	const hours = await ports.settings.get('statusRetryHours');
	const now = ports.clock.now();
	return deliverDue({
		store: ports.outbox,
		now,
		maxAgeMs: hours * 3600000,
		signingSecret: secret || undefined,
		signatureTimestamp: Math.floor(now / 1000),
		limit: DELIVERIES_PER_RUN,
		timeoutMs: DELIVERY_TIMEOUT_MS,
		send: (body, headers) => ports.poster.post({ url, body, headers, timeoutMs: DELIVERY_TIMEOUT_MS }),
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
