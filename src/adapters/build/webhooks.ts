/**
 * The webhook and status services (core/app/webhookBatch.ts, core/app/statuses.ts) with their ports
 * over the engine's accessors, for one handler run.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { Clock } from '../../core/app/ports';
import { RoomDelivery } from '../../core/app/roomDelivery';
import { RunGate } from '../../core/app/runBudget';
import { DeliveryGate, deliverStatuses, redeliverFailed, StatusPoster } from '../../core/app/delivery';
import { RoomNotifier, StatusService } from '../../core/app/statuses';
import {
	checkUnanswered,
	settleStalePending,
	StalePorts,
	StaleSweep,
	UNANSWERED_ATTEMPTS,
	UNANSWERED_RETRY_MS,
	UnansweredCheck,
} from '../../core/app/unanswered';
import { acceptWebhook, BatchResult, OrphanSweep, processWebhooks, Rechecks } from '../../core/app/webhookBatch';
import { DeliveryLimit } from '../../core/status/deliveryLimit';
import { DeliverySummary, RecentIds } from '../../core/status/outbox';
import { StatusEvent } from '../../core/status/webhook';
import { appSettings, RUNTIME_HTTP, workspaceTranslator } from '../factory';
import { MessageStore } from '../persistence/MessageStore';
import { NumberStore } from '../persistence/NumberStore';
import { PersistenceRoundClaims } from '../persistence/RoundClaimStore';
import { PersistenceOutboxStore, StatusItem } from '../persistence/OutboxStore';
import { PersistedTemplateCache } from '../persistence/TemplateCacheStore';
import { PersistenceWebhookInbox } from '../persistence/WebhookInboxStore';
import { PersistenceSightingStore } from '../persistence/SightingStore';
import { Sightings, WebhookSightings } from '../../core/numbers/sightings';
import { statusPosterOver } from '../directHttp';
import { refusalsOf } from '../refusals';
import { clockOf } from '../persistence/clock';
import { inboundHandlerOf, inboundServiceOf } from './inbound';
import { checkUnansweredAt, jobsOf } from './jobs';
import { roomDeliveryOf } from './roomDelivery';
import { sendLogOf } from './sendLog';

export interface Accessors {
	read: IRead;
	persistence: IPersistence;
	http: IHttp;
	modify: IModify;
	/** The app log of this run (Marketplace > Installed > the app > Logs), when the engine gives one. */
	logger?: ILogger;
}

/** An ephemeral notice in a room, from the app's user. */
function roomNotifierOf(acc: Pick<Accessors, 'read' | 'modify'>): RoomNotifier {
	return {
		notifyRoom: async (roomId, text) => {
			const room = await acc.read.getRoomReader().getById(roomId);
			if (!room) return;
			const builder = acc.modify.getCreator().startMessage().setRoom(room).setText(text);
			const appUser = await acc.read.getUserReader().getAppUser();
			if (appUser) builder.setSender(appUser);
			await acc.modify.getNotifier().notifyRoom(room, builder.getMessage());
		},
	};
}

/** POSTs through the engine's HTTP accessor; Rocket.Chat's own timeout is a little longer, so the app's answer comes first. */
const posterOf = (http: IHttp): StatusPoster => ({
	post: async ({ url, body, headers, timeoutMs }) => ({
		status: (await http.post(url, { headers, content: body, timeout: timeoutMs + 1000 })).statusCode,
	}),
});

/** Stores a verified webhook's events (core `acceptWebhook`) and starts the processing job. */
export async function acceptWebhookOf(
	acc: Pick<Accessors, 'read' | 'persistence' | 'modify' | 'logger'>,
	webhook: Parameters<typeof acceptWebhook>[1],
	clock: Clock,
): Promise<number | 'unverified'> {
	const inbox = new PersistenceWebhookInbox(acc.read.getPersistenceReader(), acc.persistence);
	// A run under way here, or one asked for a second after another instance's, takes the webhook.
	const processing = { join: () => processingGate.join() || processElsewhere.pending(clock.now()) };
	return acceptWebhook(
		{ inbox, clock, refusals: refusalsOf(acc.logger), logger: acc.logger, jobs: jobsOf(acc.modify), processing },
		webhook,
	);
}

/** The status service of one run; `roomStates` gets each forwarded status for the room message it came from. */
export async function statusServiceOf(acc: Accessors, roomStates?: RoomDelivery): Promise<StatusService> {
	const reader = acc.read.getPersistenceReader();
	return new StatusService({
		messages: new MessageStore(reader, acc.persistence),
		sendLog: await sendLogOf(acc),
		notifier: roomNotifierOf(acc),
		translator: () => workspaceTranslator(acc.read),
		numbers: new NumberStore(reader),
		templates: new PersistedTemplateCache(reader, acc.persistence),
		refusals: refusalsOf(acc.logger),
		settings: appSettings(acc.read),
		clock: await clockOf(acc.read),
		...(acc.logger ? { logger: acc.logger } : {}),
		...(roomStates ? { roomStates } : {}),
	});
}

/**
 * Every stored webhook that is due, through the status and inbound services; then the room messages
 * the run's statuses came from show their state, once each (core/app/roomDelivery.ts).
 */
export async function processWebhooksOf(
	acc: Accessors,
	clock: Clock,
	first?: (stop: () => boolean) => Promise<void>,
): Promise<BatchResult> {
	const roomStates = roomDeliveryOf(acc);
	try {
		return await processRun(acc, clock, await statusServiceOf(acc, roomStates), first);
	} finally {
		await roomStates
			.flush()
			.catch((error) => acc.logger?.warn(`room delivery state not shown: ${error instanceof Error ? error.message : 'error'}`));
	}
}

/**
 * The check of a batch whose send got no answer from Meta (core/app/unanswered.ts), in a processing
 * run. A check whose reads fail is asked for again a minute later, UNANSWERED_ATTEMPTS times in all;
 * then its sends stay pending (said in the app's log) until retention removes them.
 */
export async function runUnansweredCheck(acc: Accessors, check: UnansweredCheck, clock: Clock): Promise<void> {
	try {
		await checkUnanswered(await uncheckedPortsOf(acc), check);
	} catch (error) {
		const attempt = (check.attempt ?? 0) + 1;
		const why = error instanceof Error ? error.message : 'error';
		if (attempt >= UNANSWERED_ATTEMPTS) {
			acc.logger?.error(
				`sends without Meta's answer (batch ${check.batch}) not checked after ${attempt} attempts (${why}): they stay pending`,
			);
			return;
		}
		acc.logger?.warn(`sends without Meta's answer (batch ${check.batch}) not checked (${why}): tried again in a minute`);
		await checkUnansweredAt(acc.modify, { ...check, attempt }, clock.now() + UNANSWERED_RETRY_MS).catch((again) =>
			acc.logger?.error(
				`sends without Meta's answer (batch ${check.batch}): the next check not scheduled (${again instanceof Error ? again.message : 'error'})`,
			),
		);
	}
}

/** What a check of pending sends reads and writes: the send log, and Meta's statuses in the stored webhooks. */
async function uncheckedPortsOf(acc: Accessors): Promise<StalePorts> {
	const reader = acc.read.getPersistenceReader();
	const inbox = new PersistenceWebhookInbox(reader, acc.persistence);
	return {
		messages: new MessageStore(reader, acc.persistence),
		sendLog: await sendLogOf(acc),
		statuses: async () => (await inbox.events()).filter((event): event is StatusEvent => event.kind === 'status'),
		...(acc.logger ? { logger: acc.logger } : {}),
	};
}

/** When this runtime last looked for sends left pending (module state, as long as the runtime lives). */
const staleSweep = new StaleSweep();

/**
 * Sends left pending an hour or more (core/app/unanswered.ts `settleStalePending`), when a look is
 * due in this runtime (hourly), in a processing run, within its budget; a failure is logged and
 * waits for the next look.
 */
export async function sweepStalePending(acc: Accessors, clock: Clock, stop: () => boolean): Promise<void> {
	const now = clock.now();
	if (!staleSweep.due(now)) return;
	try {
		// Stopped for time: the next run goes on (the processing job runs every 30 s at least).
		if ((await settleStalePending(await uncheckedPortsOf(acc), now, stop)).more) staleSweep.again();
	} catch (error) {
		acc.logger?.warn(
			`sends left pending not looked at (${error instanceof Error ? error.message : 'error'}): looked at again in an hour`,
		);
	}
}

/**
 * One processing run at a time in this runtime, and when it last swept the inbox for events of
 * interrupted stores (module state, as long as the runtime lives).
 */
const processingGate = new RunGate<BatchResult>();
const orphanSweep = new OrphanSweep();
/**
 * The processing runs this runtime asked for after another instance's run kept its own off (one
 * ahead at a time: the processing job's). While one is ahead it takes the webhooks stored meanwhile,
 * as a run under way does (`processingGate.join`): they ask for no run of their own.
 */
export const processElsewhere = new Rechecks();

/** What this runtime stored of the webhooks' sightings (core/numbers/sightings.ts), by key: each is written once. */
const sightingsWritten: Sightings = new Map();

async function processRun(
	acc: Accessors,
	clock: Clock,
	statuses: StatusService,
	first?: (stop: () => boolean) => Promise<void>,
): Promise<BatchResult> {
	const reader = acc.read.getPersistenceReader();
	const sightings = new WebhookSightings({
		numbers: async () => (await new NumberStore(reader).listRecent()).numbers,
		store: new PersistenceSightingStore(reader, acc.persistence),
		written: sightingsWritten,
	});
	const result = await processWebhooks({
		...(first ? { first } : {}),
		sightings,
		gate: processingGate,
		claims: new PersistenceRoundClaims(acc.read.getPersistenceReader(), acc.persistence, 'processing'),
		sweep: orphanSweep,
		inbox: new PersistenceWebhookInbox(acc.read.getPersistenceReader(), acc.persistence),
		clock,
		refusals: refusalsOf(acc.logger),
		logger: acc.logger,
		handlers: {
			status: (event, scope) => statuses.handleStatus(event, scope),
			statuses: (events, batch) => statuses.handleStatuses(events, batch),
			revoke: async (event, scope) => {
				// A revoke of the app's message is a status; of the contact's own, a line in their room.
				if (!(await statuses.handleRevoke(event, scope))) await (await inboundServiceOf({ ...acc, appId: '' })).showRevoke(event);
			},
			templateStatus: (event) => statuses.templateStatusChanged(event),
			inbound: (appId) => inboundHandlerOf({ ...acc, appId }),
		},
	});
	// Only the numbers list's notes wait for it: a failure is said in the log, and the next webhook tries again.
	await sightings
		.flush()
		.catch((error) => acc.logger?.warn(`webhook sightings not stored: ${error instanceof Error ? error.message : 'error'}`));
	return result;
}

/**
 * One delivery round at a time in this runtime, the ids it delivered lately and how many POSTs at
 * once its receiver keeps up with: module state, kept
 * for as long as the app's runtime (one Deno process per server) lives.
 */
const deliveryGate = new DeliveryGate();
const recentlyDelivered = new RecentIds();
const deliveryLimit = new DeliveryLimit();

/** A delivery round to the Message Status Endpoint URL, within the run's budget. */
export async function deliverStatusesOf(
	acc: Pick<Accessors, 'read' | 'persistence' | 'http'>,
	clock: Clock,
): Promise<DeliverySummary | 'busy' | 'elsewhere' | undefined> {
	const outbox = new PersistenceOutboxStore(acc.read.getPersistenceReader(), acc.persistence);
	const settings = appSettings(acc.read);
	return deliverStatuses({
		outbox,
		settings,
		clock,
		poster: (await settings.get('sendFromRuntime')) ? statusPosterOver(RUNTIME_HTTP) : posterOf(acc.http),
		gate: deliveryGate,
		claims: new PersistenceRoundClaims(acc.read.getPersistenceReader(), acc.persistence, 'delivery'),
		recent: recentlyDelivered,
		limit: deliveryLimit,
	});
}

/** What `/whatsapp deliveries` shows: open events and failed ones. */
export async function outboxSummary(read: IRead, persistence: IPersistence): Promise<{ pending: StatusItem[]; failed: StatusItem[] }> {
	const outbox = new PersistenceOutboxStore(read.getPersistenceReader(), persistence);
	return { pending: await outbox.pending(), failed: await outbox.failed() };
}

/** `/whatsapp deliveries retry`: every failed event back to pending, with a new retry window. */
export async function redeliverFailedOf(read: IRead, persistence: IPersistence): Promise<number> {
	const outbox = new PersistenceOutboxStore(read.getPersistenceReader(), persistence);
	return redeliverFailed({ outbox, clock: await clockOf(read) });
}
