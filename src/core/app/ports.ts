/**
 * The ports of the application services: what they need from the host (Rocket.Chat's persistence,
 * rooms, notifications, scheduler) and from time. Plain interfaces; src/adapters implements them
 * over the engine's accessors, and the services' unit tests over memory (test/unit/core/app).
 */
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { NumberRepository } from '../numbers/NumberService';
import { OutboxStore } from '../status/outbox';
import { SentMessageRecord, StatusPayload } from '../status/payload';
import { InboundMessageEvent } from '../status/webhook';

export type { SettingsReader } from './settings';
export type { TemplateCacheStore as TemplateCache } from '../templates/catalog';

/** Time, injected: real time in Rocket.Chat, moved by the tests. Milliseconds since the epoch. */
export interface Clock {
	now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The app's log (Marketplace > Installed > the app > Logs). Never a token or a secret in a line. */
export interface Logger {
	info(message: string): void;
	warn(message: string): void;
	error(message: string): void;
}

/** What the app remembers of each message it sent: the core's record and what routing and statuses add. */
export interface SentMessage extends SentMessageRecord {
	/** The contact's WhatsApp id as Meta answered it (`contacts[].wa_id`), when it differs from mobileNo. */
	waId?: string;
	agent?: string;
	targetAgent?: string;
	targetDepartment?: string;
	/** Statuses already forwarded for this message (the status pipeline never regresses). */
	statuses?: string[];
	/**
	 * Written before the Graph call and not answered yet: known by its `sendId` until Meta answers
	 * (`MessageLog.resolve` then replaces it with the record linked to its wamid, or the failed one).
	 */
	pending?: boolean;
	/**
	 * A pending send written with others in one record (`MessageLog.recordPending`): that record's id.
	 * Resolving the send leaves that record; `removePending` removes it once every send in it was resolved.
	 */
	pendingGroup?: string;
	/** The batch key its send carried in `biz_opaque_callback_data` (core/app/sendLog.ts): Meta echoes it on statuses. */
	batch?: string;
	/** The Rocket.Chat message the send came from (the modal's post, the agent's reply): its status is shown there (roomDelivery.ts). */
	rcMessageId?: string;
	/**
	 * Sent for a templateMessage request answered at once: the status callback of such a send that
	 * never started speaks to the request's integrator (send it again, or use campaign mode); any other
	 * send's (the modal, agents' replies, the outbound provider, automatic messages) tells of a busy
	 * number (core/app/sendLog.ts). A campaign's send that did not start is not reported: it is sent
	 * again by a later run (campaignSends.ts).
	 */
	fromRequest?: true;
}

/** Which Rocket.Chat message is which WhatsApp message, both ways (quoted replies). */
export interface MessageLink {
	wamid: string;
	/** The Rocket.Chat message; absent for a contact's file posted alone (known by its upload). */
	rcMessageId?: string;
	uploadId?: string;
	roomId: string;
	at: string;
}

/** The messages the app sent and received, the links between both worlds, and steps already done. */
export interface MessageLog {
	record(message: SentMessage): Promise<void>;
	/**
	 * Replaces the pending record of `message.sendId` with `message`: linked to its wamid (then
	 * `findByWamid` finds it), or failed (no wamid). The new record is written before the pending one
	 * is removed, so a reader never misses the send; a reader may briefly see both (by batch), and
	 * takes the one that is not pending.
	 */
	resolve(message: SentMessage): Promise<void>;
	/**
	 * Writes pending sends (each with its `sendId`, `pending`, and one `pendingGroup`, one batch)
	 * together, in one write; `findByBatch` finds each of them until `removePending(group)`. Resolving
	 * one of them writes its own record and leaves the group's.
	 */
	recordPending(messages: SentMessage[]): Promise<void>;
	/** Removes the record of pending sends written together (their sends all resolved). */
	removePending(group: string): Promise<void>;
	/** Saves a recorded message's progress (only messages with a wamid). */
	update(message: SentMessage): Promise<void>;
	/**
	 * Saves the progress (`statuses`) of several recorded messages with a wamid at once: those of one
	 * batch in one write (a record of the batch's progress, which `findByWamid` and `findByBatch` fold
	 * into each message's statuses), the others one update each. A message's statuses only grow: a
	 * record's and its batch's progress are merged, never replaced.
	 */
	saveStatuses(messages: SentMessage[]): Promise<void>;
	findByWamid(wamid: string): Promise<SentMessage | undefined>;
	/** Every record of one batch (`SentMessage.batch`), pending ones included, in no particular order: one read. */
	findByBatch(batch: string): Promise<SentMessage[]>;
	/**
	 * Every pending send (`begin`'s and `beginMany`'s, a campaign's included; not those written alone
	 * by versions before this port), in no particular order, in two reads. A send of a group whose
	 * record outlived it (its run died, or the removal failed) is among them though resolved:
	 * `findByBatch` says which are.
	 */
	pendingSends(): Promise<SentMessage[]>;
	/** The latest send to a contact that asked for a routing of the reply (targetAgent / targetDepartment). */
	latestRouting(phoneNumberId: string, mobileNo: string): Promise<SentMessage | undefined>;
	link(link: MessageLink): Promise<void>;
	linkOfWamid(wamid: string): Promise<MessageLink | undefined>;
	linkOfUpload(uploadId: string): Promise<MessageLink | undefined>;
	linkOfMessage(rcMessageId: string): Promise<MessageLink | undefined>;
	/** Whether a contact's message (by wamid) is already in a room. */
	isSeen(wamid: string): Promise<boolean>;
	markSeen(wamid: string): Promise<void>;
	hasMark(kind: string, key: string): Promise<boolean>;
	mark(kind: string, key: string): Promise<void>;
	unmark(kind: string, key: string): Promise<void>;
	/** Removes the records of one day (retention); returns how many. */
	removeDay(isoDay: string): Promise<number>;
}

/** The connected numbers (secrets stay server-side). */
export type Numbers = NumberRepository;

/** The events waiting for the Message Status Endpoint URL. */
export type StatusOutbox = OutboxStore<StatusPayload>;

/** Runs the webhook and status processing job soon (after a send, a webhook, a requeue). */
export interface Jobs {
	processSoon(): Promise<void>;
}

/**
 * Puts a contact's message in omnichannel (the inbound service). Throws WaitingForAgent
 * (core/app/errors.ts) while Rocket.Chat cannot open a room. With `finalAttempt` (the fifth
 * attempt and every one after it: a contact's message is retried for a day, webhookBatch.ts) it
 * posts what it can rather than fail for a part (a file Meta cannot give: a notice in its place).
 */
export interface InboundHandler {
	handle(event: InboundMessageEvent, options: { finalAttempt: boolean }): Promise<void>;
	/**
	 * A contact's message held behind an earlier one of theirs (that waits for an agent, or failed) is
	 * handled in its turn; what must not wait is done now: a number change is recorded, so nothing
	 * more goes to the old number meanwhile.
	 */
	heldBack?(event: InboundMessageEvent): Promise<void>;
}

export type { ConnectedNumber };
