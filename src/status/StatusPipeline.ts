/**
 * The message status pipeline, app side. Meta's verified webhooks are stored as they arrive and
 * processed by a scheduler job; each status of a message the app sent becomes an event in the
 * outbox, delivered to the Message Status Endpoint URL by the same job and retried by a recurring one.
 */
import { IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { deliverDue } from '../core/status/outbox';
import { fromMetaStatus } from '../core/status/ordering';
import { InboundMessageEvent, StatusEvent, TemplateStatusEvent, walkWebhook, WebhookEvent } from '../core/status/webhook';
import { explainSendError, TemplateCatalog } from '../core/templates/catalog';
import { describeForeign, inScope, mayReportOn, partitionByScope, WebhookScope } from '../core/webhook/tenancy';
import { WaitingForAgent } from '../core/app/errors';
import { inboundHandlerOf } from '../adapters/build/inbound';
import { Records } from '../adapters/persistence/records';
import { appSettings, workspaceTranslator } from '../adapters/factory';
import { NumberStore } from '../adapters/persistence/NumberStore';
import { PersistedTemplateCache } from '../adapters/persistence/TemplateCacheStore';
import { SentMessage } from '../adapters/persistence/MessageStore';
import { logRefusal } from '../adapters/refusals';
import { PersistenceOutboxStore, StatusItem } from '../adapters/persistence/OutboxStore';
import { Accessors, forward, PROCESS_WEBHOOKS_JOB, QueueContext, queueContext } from './queue';


const crypto = require('crypto') as typeof import('crypto');

export const DELIVER_STATUSES_JOB = 'deliver-statuses';
export const DELIVERY_INTERVAL_MS = 30000;
const DELIVERY_TIMEOUT_MS = 10000;
const DELIVERIES_PER_RUN = 2000;

const INBOX = new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'webhook-inbox');

const MAX_EVENT_ATTEMPTS = 5;
/** A run that claimed an entry and died frees it after this long (real time). */
const INBOX_LEASE_MS = 5 * 60000;

interface InboxEntry {
	id: string;
	attempts?: number;
	/** On the delivery clock: when a failed entry is tried again (30 s, 1, 2, 4 min). */
	nextAttemptAt?: number;
	/** Real time until which a run holds the entry. */
	claimedUntil?: number;
	appId?: string;
	/** The webhook's events, normalized when it arrived. */
	events: WebhookEvent[];
	/**
	 * The numbers and accounts the secret that signed the webhook vouches for: events about any
	 * other are not handled. Entries stored before this was recorded have none; they were accepted
	 * when a connected number's secret signed them, and are handled as they were then.
	 */
	scope?: WebhookScope;
	receivedAt: number;
	/** Messages waiting for an agent to be online (see WaitingForAgent): since when (real time). */
	waitingSince?: number;
}

/**
 * Normalizes a verified webhook into events, keeps those about the numbers and accounts its
 * signature vouches for (`scope`; the others are dropped and logged), stores them with the scope in
 * one record for the processing job and schedules it; the endpoint then answers 200. Returns how
 * many events were queued.
 */
export async function acceptWebhook(acc: Pick<Accessors, 'persistence' | 'modify' | 'logger'>, payload: unknown, scope: WebhookScope, appId?: string): Promise<number> {
	const { allowed: events, foreign } = partitionByScope(
		scope,
		walkWebhook(payload).events.filter((e) => e.kind !== 'value-error'),
	);
	if (foreign.length) logRefusal(acc.logger, 'foreign-events', `webhook: ${describeForeign(foreign)}`);
	if (!events.length) return 0;
	const entry: InboxEntry = { id: crypto.randomBytes(12).toString('hex'), appId, events, scope, receivedAt: Date.now() };
	await acc.persistence.createWithAssociations(entry, [INBOX, new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `webhook-inbox:${entry.id}`)]);
	await acc.modify.getScheduler().scheduleOnce({ id: PROCESS_WEBHOOKS_JOB, when: new Date() });
	return events.length;
}

/** The processing job: every stored webhook, oldest first, then a delivery round. */
export async function processWebhooks(acc: Accessors): Promise<void> {
	const ctx = await queueContext(acc);
	const clock = ctx.now;
	const entries = ((await acc.read.getPersistenceReader().readByAssociation(INBOX)) as InboxEntry[])
		.filter((entry) => (entry.claimedUntil ?? 0) <= Date.now() && (entry.nextAttemptAt ?? 0) <= clock)
		.sort((a, b) => a.receivedAt - b.receivedAt);
	const problems: string[] = [];
	const records = new Records(acc.read.getPersistenceReader(), acc.persistence);
	// Contacts whose messages wait for an agent in this run: their later messages wait too, in order.
	const waitingContacts = new Set<string>();
	for (const entry of entries) {
		const record = [INBOX, new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `webhook-inbox:${entry.id}`)];
		// Every webhook starts a run and the recurring job runs too: an entry is claimed before it is
		// handled, so that two runs at once do not handle it twice. Persistence has no atomic update:
		// the claim narrows the race to a read and a write, and wamid de-duplication covers the rest.
		const [current] = (await acc.read.getPersistenceReader().readByAssociations(record)) as InboxEntry[];
		if (!current || (current.claimedUntil ?? 0) > Date.now()) continue;
		if (!(await records.replace(record, { ...current, claimedUntil: Date.now() + INBOX_LEASE_MS }))) continue;
		// One failing event neither blocks the others nor is lost at once: it is retried with the next
		// runs, and only dropped (and logged) after MAX_EVENT_ATTEMPTS.
		const failed: WebhookEvent[] = [];
		const waiting: WebhookEvent[] = [];
		const foreign = entry.scope ? (entry.events ?? []).filter((event) => !inScope(entry.scope as WebhookScope, event)) : [];
		if (foreign.length) logRefusal(acc.logger, 'foreign-events', `webhook: ${describeForeign(foreign)}`);
		for (const event of entry.events ?? []) {
			if (foreign.includes(event)) continue;
			const contact = event.kind === 'message' && event.type !== 'revoke' ? `${event.phoneNumberId}:${event.waId || event.from}` : undefined;
			if (contact && waitingContacts.has(contact)) {
				waiting.push(event);
				continue;
			}
			try {
				if (event.kind === 'status') await handleStatus(ctx, event, entry.scope);
				else if (event.kind === 'message' && event.type === 'revoke') await handleRevoke(ctx, event, entry.scope);
				else if (event.kind === 'message') await inboundHandlerOf({ ...acc, appId: entry.appId ?? '' }).handle(event, { finalAttempt: (entry.attempts ?? 0) + 1 >= MAX_EVENT_ATTEMPTS });
				else if (event.kind === 'template-status') await templateStatusChanged(acc, event);
			} catch (error) {
				if (error instanceof WaitingForAgent && contact) {
					waiting.push(event);
					waitingContacts.add(contact);
					continue;
				}
				failed.push(event);
				problems.push(`webhook event ${event.kind} not processed (attempt ${(entry.attempts ?? 0) + 1} of ${MAX_EVENT_ATTEMPTS}): ${error instanceof Error ? error.message : 'error'}`);
			}
		}
		// Messages waiting for an agent are never dropped: they move to an entry of their own, received
		// when the webhook was (so they keep their place), without a delay or a failed attempt.
		if (waiting.length) await keepWaiting(acc, entry, waiting);
		if (failed.length && (entry.attempts ?? 0) + 1 < MAX_EVENT_ATTEMPTS) {
			const attempts = (entry.attempts ?? 0) + 1;
			const { claimedUntil: _claimed, ...rest } = entry;
			await records.replace(record, { ...rest, events: failed, attempts, nextAttemptAt: clock + DELIVERY_INTERVAL_MS * 2 ** (attempts - 1) });
		} else {
			await records.removeAll(record);
		}
	}
	await deliverStatuses(acc, false);
	// The job fails visibly (the engine writes it to the app's log) after everything else was done.
	if (problems.length) throw new Error(problems.join('; '));
}

async function keepWaiting(acc: Accessors, entry: InboxEntry, events: WebhookEvent[]): Promise<void> {
	const waiting: InboxEntry = { id: crypto.randomBytes(12).toString('hex'), appId: entry.appId, events, scope: entry.scope, receivedAt: entry.receivedAt, attempts: entry.attempts, waitingSince: entry.waitingSince ?? Date.now() };
	await acc.persistence.createWithAssociations(waiting, [INBOX, new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `webhook-inbox:${waiting.id}`)]);
	if (!entry.waitingSince) acc.logger?.info(`${events.length} WhatsApp message(s) wait for an agent to be online; they are posted as soon as a room can be opened`);
}

/**
 * A status, or a contact's revoke, may speak only of a message sent from its own number, and only
 * when the webhook's signature vouches for that number: any other is dropped and logged.
 */
function reportsOnOwnMessage(ctx: QueueContext, event: { phoneNumberId: string; kind: string }, record: SentMessage, scope: WebhookScope | undefined): boolean {
	if (mayReportOn(scope, event.phoneNumberId, record.phoneNumberId)) return true;
	logRefusal(ctx.acc?.logger, 'foreign-message', `webhook: a ${event.kind} event of ${describeNumber(event.phoneNumberId)} about a message sent from another number, dropped`);
	return false;
}

const describeNumber = (id: string) => (id ? `number ${id.length > 32 ? `${id.slice(0, 32)}…` : id}` : 'no number');

async function handleStatus(ctx: QueueContext, event: StatusEvent, scope: WebhookScope | undefined): Promise<void> {
	const status = fromMetaStatus(event.status);
	const record = status ? await ctx.messages.findByWamid(event.wamid) : undefined;
	if (!record || !status || !reportsOnOwnMessage(ctx, event, record, scope)) return;
	const forwarded = await forward(ctx, record, { status, timestamp: event.timestamp, error: event.errors?.[0], pricingCategory: event.pricingCategory });
	if (forwarded && status === 'failed' && record.roomId && ctx.acc) await noticeFailure(ctx.acc, record, event.errors?.[0]?.code);
}

/** A message sent from a room failed later: the agents of the room are told why, in their language. */
async function noticeFailure(acc: Accessors, record: SentMessage, code: number | undefined): Promise<void> {
	const room = await acc.read.getRoomReader().getById(record.roomId as string);
	if (!room) return;
	const t = await workspaceTranslator(acc.read);
	const reason = t(explainSendError(code ?? 0).key, { code: code ?? 0 });
	const text = t('status_failed_notice', { recipient: record.mobileNo, message: record.message.slice(0, 80), reason });
	const builder = acc.modify.getCreator().startMessage().setRoom(room).setText(text);
	const appUser = await acc.read.getUserReader().getAppUser();
	if (appUser) builder.setSender(appUser);
	await acc.modify.getNotifier().notifyRoom(room, builder.getMessage());
}

/** Meta paused, disabled or deleted a template (or approved one): the template cache follows at once. */
async function templateStatusChanged(acc: Accessors, event: TemplateStatusEvent): Promise<void> {
	const numbers = (await new NumberStore(acc.read.getPersistenceReader()).list()).filter((n) => n.wabaId === event.wabaId);
	if (!numbers.length) return;
	const catalog = new TemplateCatalog(new PersistedTemplateCache(acc.read.getPersistenceReader(), acc.persistence), async () => [], 0);
	await catalog.applyStatusUpdate(event);
}

async function handleRevoke(ctx: QueueContext, event: InboundMessageEvent, scope: WebhookScope | undefined): Promise<void> {
	const record = event.originalMessageId ? await ctx.messages.findByWamid(event.originalMessageId) : undefined;
	if (record && reportsOnOwnMessage(ctx, event, record, scope)) await forward(ctx, record, { status: 'deleted', timestamp: event.timestamp });
}

/**
 * A delivery round: due events in order per message. The recurring job advances the delivery clock
 * by its interval first (`tick`); the processing job delivers at the current clock.
 */
export async function deliverStatuses(acc: Accessors, tick: boolean): Promise<void> {
	const outbox = new PersistenceOutboxStore(acc.read.getPersistenceReader(), acc.persistence);
	let now = await outbox.clock();
	if (tick) {
		now += DELIVERY_INTERVAL_MS;
		await outbox.setClock(now);
	}
	const settings = appSettings(acc.read);
	const url = await settings.get('statusEndpointUrl');
	if (!url) return;
	const secret = await settings.get('statusSigningSecret');
	const hours = await settings.get('statusRetryHours');
	await deliverDue({
		store: outbox,
		now,
		maxAgeMs: hours * 3600000,
		signingSecret: secret || undefined,
		// The delivery clock moves by job runs; the signature carries the real time of sending.
		signatureTimestamp: Math.floor(Date.now() / 1000),
		limit: DELIVERIES_PER_RUN,
		timeoutMs: DELIVERY_TIMEOUT_MS,
		// Rocket.Chat's own timeout is a little longer, so the engine's answer comes first.
		send: async (body, headers) => ({ status: (await acc.http.post(url, { headers, content: body, timeout: DELIVERY_TIMEOUT_MS + 1000 })).statusCode }),
	});
}

export async function outboxSummary(read: IRead, persistence: IPersistence): Promise<{ pending: StatusItem[]; failed: StatusItem[] }> {
	const outbox = new PersistenceOutboxStore(read.getPersistenceReader(), persistence);
	return { pending: await outbox.pending(), failed: await outbox.failed() };
}

export async function redeliverFailed(read: IRead, persistence: IPersistence): Promise<number> {
	const outbox = new PersistenceOutboxStore(read.getPersistenceReader(), persistence);
	return outbox.requeue((await outbox.failed()).map((item) => item.id), await outbox.clock());
}
