/**
 * Forwarding statuses: Meta's status of a message the app sent (or a contact's revoke of it) becomes
 * an event for the Message Status Endpoint URL (through the send log), a failure is told to the
 * agents of the room the message left from, and a template's status change updates the template
 * cache. The delivery round to the URL is in delivery.ts.
 */
import { Translator } from '../i18n/translate';
import { acceptedByMeta, onlyWamid } from '../status/accepted';
import { fromMetaStatus, isTerminal, Status, STATUS_RANK, stepAwaited } from '../status/ordering';
import { InboundMessageEvent, StatusEvent, TemplateStatusEvent } from '../status/webhook';
import { explainSendError, TemplateCatalog } from '../templates/catalog';
import { mayReportOn, WebhookScope } from '../webhook/tenancy';
import { Clock, Logger, MessageLog, Numbers, SentMessage, systemClock, TemplateCache } from './ports';
import { inParallel, STATUSES_AT_ONCE } from './parallel';
import { RoomDelivery } from './roomDelivery';
import { isBatchKey, SendLog } from './sendLog';
import { SettingsReader, settingsOf } from './settings';
import { leftPending } from './unanswered';

/** Tells the members of a room something (an ephemeral notice from the app's user). A room that is gone is skipped. */
export interface RoomNotifier {
	notifyRoom(roomId: string, text: string): Promise<void>;
}

/** Refusals for the app's log: one line a minute per cause at most (adapters/refusals.ts). */
export interface Refusals {
	refuse(cause: string, text: string): void;
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
	/** Notes each forwarded status for the room message it was sent from; the run flushes (roomDelivery.ts). */
	roomStates?: Pick<RoomDelivery, 'note'>;
	/** The app's log: sends left pending that Meta's statuses link (`adoptOrphans`). */
	logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * How long a status waits for the status Meta sends before it (a `delivered` for its `sent`, say)
 * when that one has not come yet: Meta promises no order between webhooks, and a `sent` that arrives
 * after its message's `delivered` was forwarded is dropped (statuses never go back). Counted from
 * when the status was first held; after it, the status is forwarded without the missing one.
 */
export const ORDER_WAIT_MS = 5000;
/** Held statuses are looked at again this often while they wait (their own processing run is asked for then). */
export const ORDER_RECHECK_MS = 1000;

/**
 * A status of a message not known yet, kept this long after its webhook came (or, with a shorter
 * "unknown status window", that window, but a minute at least), may be of a send whose sender stopped (a restart, a crash)
 * after Meta accepted it and before it linked its record: no sender is still waiting for Meta's
 * answer then (a request starts no send after its 18 s send window, a Graph call gives up after
 * 10 s, and the modal's answer waits only for its room and post). Its pending record is then linked
 * to the status's wamid (`adoptOrphans`). A campaign's are left to its recovery, which also writes
 * their chunk (campaignSends.ts).
 */
export const ORPHAN_AFTER_MS = 5 * 60000;
/** The least that wait is, with the shortest window: a sender's life is well under it. */
const ORPHAN_MIN_MS = 60000;

/** A stored webhook's statuses: who signed it, and when it arrived (the start of a kept status's window). */
export interface StatusBatch {
	scope: WebhookScope | undefined;
	receivedAt: number;
	/** When these statuses were first held for an earlier status of their message (ORDER_WAIT_MS). */
	heldSince?: number;
	/** The statuses held elsewhere (in other stored webhooks, or earlier in this one): see StatusHolds. */
	holds?: StatusHolds;
}

/**
 * The steps of messages held in the other stored webhooks, and so far in this batch (webhookBatch.ts
 * `Holds`), and those of statuses kept there until their message was linked (the run handles these
 * next once it finds the message linked). A status of such a message at a later step waits too, even
 * past its own wait (the earlier step goes first); the same step or an earlier one does not.
 */
export interface StatusHolds {
	/** The earliest step (STATUS_RANK) held of the message, if any. */
	earliest(wamid: string): number | undefined;
	/** This batch holds `wamid` at `step`. */
	hold(wamid: string, step: number): void;
}

/** The statuses of a batch the caller keeps and hands back later (webhookBatch.ts). */
export interface KeptStatuses {
	/** Of messages not known yet (not linked to their wamid yet, or not the app's). */
	unknown: StatusEvent[];
	/** Waiting for the status Meta sends before them (ORDER_WAIT_MS), with the later statuses of their message. */
	early: StatusEvent[];
	/** Of messages still unknown once the "unknown status window" passed: dropped (never linked). */
	dropped?: StatusEvent[];
}

/** Whether the status Meta sends before `event`'s is missing from its message's forwarded ones (core/status/ordering.ts `stepAwaited`). */
function awaitsStepBefore(event: StatusEvent, record: SentMessage): boolean {
	const status = fromMetaStatus(event.status);
	if (!status || isTerminal(status)) return false;
	return stepAwaited(new Set((record.statuses ?? []) as Status[]), status) !== undefined;
}

const describeNumber = (id: string) => (id ? `number ${id.length > 32 ? `${id.slice(0, 32)}…` : id}` : 'no number');

export class StatusService {
	constructor(private readonly ports: StatusPorts) {}

	/** Meta's status of a message the app sent: forwarded once, in order; a failure is told to the room. */
	async handleStatus(event: StatusEvent, scope: WebhookScope | undefined): Promise<void> {
		const status = fromMetaStatus(event.status);
		if (!status)
			this.ports.refusals.refuse(
				'unlisted-status',
				`webhook: a status event of a kind the status callbacks have no name for, not forwarded ("${event.status.slice(0, 32)}" of ${event.wamid.slice(0, 80)})`,
			);
		const record = status ? await this.ports.messages.findByWamid(event.wamid) : undefined;
		if (record && (await this.forwardStatus(event, record, scope))) await this.showForwarded(event, record);
	}

	/**
	 * The statuses of one stored webhook, together: their records found with one read per batch key
	 * (Meta echoes each send's `biz_opaque_callback_data`) rather than one per status, then each
	 * forwarded once, in order. Answers the statuses to keep, which the caller hands back later with
	 * the same `receivedAt`:
	 * - those whose message is not known yet (written, not yet linked to its wamid, or not the app's),
	 *   until the "unknown status window" has passed; then they are dropped here, with a line in the
	 *   app's log;
	 * - those that skip the status Meta sends before them (`early`): held, with the later statuses of
	 *   their message in the batch, for ORDER_WAIT_MS from `heldSince` (now, the first time), so that
	 *   the missing one, when it is on its way in another webhook, is forwarded first rather than
	 *   dropped; then forwarded without it.
	 */
	async handleStatuses(events: StatusEvent[], batch: StatusBatch): Promise<KeptStatuses> {
		const known = events.filter((event) => fromMetaStatus(event.status));
		// A status word the contract has no name for (Meta's `warning`, one added later): not forwarded, but said.
		const unlisted = events.find((event) => !fromMetaStatus(event.status));
		if (unlisted)
			this.ports.refusals.refuse(
				'unlisted-status',
				`webhook: ${events.length - known.length} status event(s) of a kind the status callbacks have no name for, not forwarded (first: "${unlisted.status.slice(0, 32)}" of ${unlisted.wamid.slice(0, 80)})`,
			);
		const records = await this.recordsOf(known);
		const now = (this.ports.clock ?? systemClock).now();
		const age = now - batch.receivedAt;
		const orphaned = known.filter((event) => !records.has(event.wamid) && isBatchKey(event.bizOpaqueCallbackData));
		// A webhook younger than a minute costs nothing here.
		if (orphaned.length && age >= ORPHAN_MIN_MS) {
			const windowMs = (await (this.ports.settings ?? settingsOf()).get('unknownStatusWindowMinutes')) * 60000;
			// Never before a minute, however short the window (a sender may still wait for Meta's answer).
			if (age >= Math.max(ORPHAN_MIN_MS, Math.min(ORPHAN_AFTER_MS, windowMs))) await this.adoptOrphans(orphaned, records);
		}
		const unknown: StatusEvent[] = [];
		const early: StatusEvent[] = [];
		const mayHold = batch.heldSince === undefined || now - batch.heldSince < ORDER_WAIT_MS;
		// Each message's statuses in order; different messages side by side.
		const byMessage = new Map<string, StatusEvent[]>();
		for (const event of known) {
			if (!records.has(event.wamid)) unknown.push(event);
			else byMessage.set(event.wamid, [...(byMessage.get(event.wamid) ?? []), event]);
		}
		// Decided in memory, written together: the events in one outbox write, the progress in one write per batch key.
		const writer = await this.ports.sendLog.writer();
		const forwarded: Array<{ event: StatusEvent; record: SentMessage }> = [];
		for (const group of byMessage.values()) {
			// A message's statuses in one webhook go in the order of their steps (failures last): a
			// `delivered` listed after its `read` is forwarded before it rather than dropped (stable sort).
			group.sort((a, b) => STATUS_RANK[fromMetaStatus(a.status) as Status] - STATUS_RANK[fromMetaStatus(b.status) as Status]);
			let holding = false;
			for (const event of group) {
				const record = records.get(event.wamid) as SentMessage;
				const step = STATUS_RANK[fromMetaStatus(event.status) as Status];
				const heldStep = batch.holds?.earliest(event.wamid);
				// A status its signature does not vouch for is refused at once (forwardStatus), never held.
				const own = mayReportOn(batch.scope, event.phoneNumberId, record.phoneNumberId);
				holding ||= own && ((heldStep !== undefined && step > heldStep) || (mayHold && awaitsStepBefore(event, record)));
				if (holding && own) {
					early.push(event);
					batch.holds?.hold(event.wamid, step);
				} else if (await this.forwardStatus(event, record, batch.scope, writer)) forwarded.push({ event, record });
			}
		}
		await writer.flush();
		await inParallel(forwarded, STATUSES_AT_ONCE, ({ event, record }) => this.showForwarded(event, record));
		if (!unknown.length) return { unknown, early };
		const minutes = await (this.ports.settings ?? settingsOf()).get('unknownStatusWindowMinutes');
		if (now - batch.receivedAt <= minutes * 60000) return { unknown, early };
		this.ports.refusals.refuse(
			'unknown-status',
			`webhook: ${unknown.length} status event(s) about messages the app does not know, kept ${minutes} minutes, dropped (first: ${unknown[0].wamid})`,
		);
		return { unknown: [], early, dropped: unknown };
	}

	/**
	 * Statuses of messages not known yet, ORPHAN_AFTER_MS after they came: each pending send of their
	 * batch key (not a campaign's) that Meta's statuses name (its recipient, one wamid:
	 * core/status/accepted.ts) is settled as Meta's answer would have settled it (`queued`, then the
	 * link) and joins `records`, so that the statuses are forwarded now, after its `queued`. A send
	 * with two pending records to one recipient in the batch, or linked meanwhile, is left. (The
	 * statuses are of numbers their webhook's signature vouches for, webhookBatch.ts, and Meta's
	 * status must be of the send's number.) Two runs that adopt one send at the same moment (two
	 * instances of a cluster, each with a status of it) would link it twice, its `queued` stored twice
	 * with one event id: persistence has no atomic update to prevent it. A batch key whose records
	 * cannot be read or written is logged and left: its statuses stay kept, and are looked at again.
	 */
	private async adoptOrphans(events: StatusEvent[], records: Map<string, SentMessage>): Promise<void> {
		const byKey = new Map<string, StatusEvent[]>();
		for (const event of events) {
			const key = event.bizOpaqueCallbackData as string;
			byKey.set(key, [...(byKey.get(key) ?? []), event]);
		}
		for (const [key, statuses] of byKey) {
			try {
				const sends = await this.ports.messages.findByBatch(key);
				const orphans = new Map<string, SentMessage[]>();
				for (const send of leftPending(sends)) orphans.set(send.mobileNo, [...(orphans.get(send.mobileNo) ?? []), send]);
				for (const [to, [orphan, ...more]] of orphans) {
					if (more.length) continue;
					const wamid = onlyWamid(acceptedByMeta(key, orphan.phoneNumberId, statuses, sends), to);
					if (!wamid || (await this.ports.messages.findByWamid(wamid))) continue;
					await this.ports.sendLog.settle({ ...orphan, wamid });
					const linked = await this.ports.messages.findByWamid(wamid);
					if (linked) records.set(wamid, linked);
					this.ports.logger?.info(
						`webhook: the send of ${wamid} was left pending by a sender that stopped before Meta's answer was recorded (a restart); Meta's status links it`,
					);
				}
			} catch (error) {
				this.ports.logger?.warn(
					`webhook: sends of batch ${key} left pending could not be linked (${error instanceof Error ? error.message : 'error'}); their statuses stay kept`,
				);
			}
		}
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
		const single = [...new Set(events.map((event) => event.wamid))].filter((wamid) => !records.has(wamid) && !covered.has(wamid));
		await inParallel(single, STATUSES_AT_ONCE, async (wamid) => {
			const record = await this.ports.messages.findByWamid(wamid);
			if (record) records.set(wamid, record);
		});
		return records;
	}

	/** Forwards a status of `record` (whose statuses it updates) through `log` unless it regresses or is foreign; answers whether it did. */
	private async forwardStatus(
		event: StatusEvent,
		record: SentMessage,
		scope: WebhookScope | undefined,
		log: Pick<SendLog, 'forward'> = this.ports.sendLog,
	): Promise<boolean> {
		const status = fromMetaStatus(event.status);
		if (!status || !this.reportsOnOwnMessage(event, record, scope)) return false;
		return log.forward(record, {
			status,
			timestamp: event.timestamp,
			error: event.errors?.[0],
			pricingCategory: event.pricingCategory,
		});
	}

	/**
	 * What a forwarded status shows in Rocket.Chat: the delivery state of the room message it was sent
	 * from (noted here, written once per message when the run flushes: roomDelivery.ts), and a failure
	 * told to the room.
	 */
	private async showForwarded(event: StatusEvent, record: SentMessage): Promise<void> {
		const status = fromMetaStatus(event.status);
		if (!status) return;
		const error = event.errors?.[0];
		this.ports.roomStates?.note(record, status, error);
		if (status === 'failed' && record.roomId) await this.noticeFailure(record, error?.code);
	}

	/**
	 * Meta's revoke of a message of the app's: forwarded as `deleted`. Answers whether the revoke named
	 * a message the app sent (a contact's revoke of their own message is the room's: inbound.ts).
	 */
	async handleRevoke(event: InboundMessageEvent, scope: WebhookScope | undefined): Promise<boolean> {
		const record = event.originalMessageId ? await this.ports.messages.findByWamid(event.originalMessageId) : undefined;
		if (!record) return false;
		if (this.reportsOnOwnMessage(event, record, scope))
			await this.ports.sendLog.forward(record, { status: 'deleted', timestamp: event.timestamp });
		return true;
	}

	/** Meta paused, disabled or deleted a template (or approved one): the template cache follows at once. */
	async templateStatusChanged(event: TemplateStatusEvent): Promise<void> {
		const numbers = (await this.ports.numbers.list()).filter((n) => n.wabaId === event.wabaId);
		if (!numbers.length) return;
		const clock = this.ports.clock ?? systemClock;
		await new TemplateCatalog(
			this.ports.templates,
			async () => [],
			0,
			() => clock.now(),
		).applyStatusUpdate(event);
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
