/**
 * The sends of one campaign run (campaigns.ts), recorded before they are sent, as every sender's:
 * each recipient's send is written to the send log before its Graph call (pending, under its
 * chunk's batch key, which the send carries in `biz_opaque_callback_data`, so that the statuses of a
 * chunk's messages find their records with one read) and linked to its wamid as soon as Meta accepts
 * it (`SendLog.settle`, which queues `queued` first). Sends of one chunk are written together, in
 * one record (`SendLog.beginMany`), when the first of them needs its record: one write for up to
 * the number's concurrency (GROUP_SHARE; at most a chunk's sends) rather than one each. The
 * recipients' final states go into their chunks once the run's sends are over (`apply`); after a
 * run that died, `recover` takes them from the send log (core/bulk/campaign.ts `foldSends`).
 *
 * Sends enter a window of SEND_WINDOW × the number's concurrency ahead of the pacer and leave it when
 * Meta answers (their links are written after, outside it: a slow write does not hold the next sends
 * back from the pacer), and a chunk is marked when its first send enters it: records are written shortly before their calls, at most
 * about one and a half windows ahead (a group written by the window's first send holds up to half
 * a window's sends after it), not for the whole run at once. A run that dies thus leaves up to about
 * that many pending records whose calls never started (and those answered whose links were not yet written): `recover` tells those
 * Meta accepted by Meta's statuses of them in the stored webhooks (core/status/accepted.ts
 * `acceptedByMeta`), and reports the others "outcome unknown". A send whose record was written but whose
 * call never started while the run lived is `unsent`: its pending record goes with its group's last
 * send, and the next attempt writes its own. A send whose chunk's mark or record could not be
 * written is not sent, and is pending again. (Chunks written by earlier versions may name the pending
 * record of such a send, `sendId` and `sentAt`: the next attempt uses that one.)
 *
 * The chunks a run marks are held by it until `apply` (`heldUntil`: the run's lease on the
 * campaign), so that a run after it, started while this one waits for its last answers, leaves them
 * alone. `RunLimits.onAllQueued` says when every send of the run has entered the window: each
 * one's chunk mark is begun, and each waits for its record, its mark or its turn at the pacer (or
 * will not start), so the next run can take the chunks after while this one's last sends are still
 * ahead of it.
 */
import { Campaign, CampaignChunk, CampaignRecipient, foldSends, isHeld, UNKNOWN_OUTCOME } from '../bulk/campaign';
import { concurrencyFor, PacerDeadlineError, sendPaced, THROUGHPUT_EXCEEDED } from '../bulk/pacer';
import { SendResult } from '../graph/GraphClient';
import { translate } from '../i18n/translate';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { whatsAppMessage } from '../outbound/envelope';
import { acceptedByMeta, onlyWamid } from '../status/accepted';
import { StatusEvent } from '../status/webhook';
import { TemplateCatalog } from '../templates/catalog';
import { CampaignPorts } from './campaignsPorts';
import { EveryRecipientRefusal, graphCodeOf, refusesEveryRecipient } from './explain';
import { inParallel } from './parallel';
import { SentMessage } from './ports';
import { newBatchKey, withBatchKey } from './sendLog';

/**
 * Sends written together in one record: this many times what the number keeps in flight (half the
 * window ahead of the pacer). Fewer writes with larger groups; fewer "outcome unknown" after a run
 * that died with smaller ones.
 */
const GROUP_SHARE = 1;
/** Sends begun ahead of the pacer: this many times what the number keeps in flight. */
const SEND_WINDOW = 2;
/** The chunks a run writes at its end (`apply`), written this many at a time. */
const CHUNK_WRITES_AT_ONCE = 2;

/** How many sends a run begins ahead of the pacer at `rate`: at a hand-over, what the next run finds ahead of it. */
export const sendWindow = (rate: number) => SEND_WINDOW * concurrencyFor(rate);

export interface Item {
	chunk: CampaignChunk;
	index: number;
}

export type ItemOutcome = { ok: true; value: SendResult } | { ok: false; error: unknown } | undefined;

/** How a run sends: no call starts after `deadline` or once `halted()`; 131056 retries within `budgetMs`. */
export interface RunLimits {
	deadline: number;
	budgetMs: number;
	halted: () => boolean;
	/** The "Send rate" setting: how many sends are begun ahead of the pacer. */
	rate: number;
	/**
	 * Called once when every send of the run has entered the window (its chunk's mark begun), up to a
	 * window's time before the last of them starts (SEND_WINDOW).
	 */
	onAllQueued?: () => void;
}

/** A send not made: the run stopped (budget, app disabled, campaign cancelled, Meta's throughput limit) before its Graph call. */
const NOT_SENT = new Error('campaign: not sent, the run stopped');

export class CampaignRun {
	/** Each item's pending record, once written (with others) or taken from its chunk. */
	private readonly records = new Map<Item, Promise<SentMessage>>();
	/** The first of Meta's refusals that every recipient would get: the sends after it fail with it. */
	private readonly refusal = new EveryRecipientRefusal();
	/** Sends Meta accepted whose record could not be linked at the time: linked again after the sends. */
	private readonly unsettled = new Map<Item, SentMessage>();
	private readonly marked = new Map<CampaignChunk, Promise<void>>();
	/** How many sends one record holds at most (`recordOf`): what the run lets begin ahead of the pacer. */
	private groupSize = 1;
	/** First statuses (queued or failed) this run put in the outbox: the status job has work. */
	reported = 0;
	/** Meta's codes of the refusals of the template this run told the template cache of (`tellCatalog`), each once. */
	private readonly told = new Set<number>();
	private readonly telling: Array<Promise<void>> = [];

	/**
	 * `display`: the sending number's digits, the records' `connectedWhatsAppNo`; `metaStatuses`:
	 * Meta's statuses in the stored webhooks, read when first asked for (`storedStatuses`).
	 */
	constructor(
		private readonly ports: CampaignPorts,
		private readonly campaign: Campaign,
		private readonly display: string,
		private readonly metaStatuses: () => Promise<StatusEvent[]> = storedStatuses(ports),
	) {}

	/**
	 * After a run that died: the `sending` recipients of `chunks` take their records' outcomes (one
	 * read per such chunk). A record still pending is linked to the wamid a status of Meta's about
	 * its send names (Meta accepted it: `acceptedByMeta`; the stored webhooks read once, at the first
	 * such record), and its recipient is queued; without such a status it is settled failed,
	 * "outcome unknown".
	 */
	async recover(chunks: CampaignChunk[]): Promise<void> {
		for (const chunk of chunks) {
			if (!chunk.recipients.some((r) => r.state === 'sending') || isHeld(chunk, this.ports.clock.now())) continue;
			const records = chunk.batch ? await this.ports.messages.findByBatch(chunk.batch) : undefined;
			const { changed, unknown } = foldSends(chunk, records, true);
			const accepted =
				chunk.batch && unknown.some(({ record }) => record)
					? acceptedByMeta(chunk.batch, this.campaign.phoneNumberId, await this.metaStatuses(), records ?? [])
					: new Map<string, string[]>();
			for (const { index, record } of unknown) {
				const { to } = chunk.recipients[index];
				const wamid = record && onlyWamid(accepted, record.mobileNo);
				if (record && wamid) {
					// Its queued event may have been stored before the run died (SendLog.settle): the same event (its eventId) again.
					await this.ports.sendLog.settle({ ...record, wamid });
					this.reported++;
					chunk.recipients[index] = { to, state: 'queued', wamid };
				} else await this.fail(to, record, translate(undefined, UNKNOWN_OUTCOME));
			}
			if (changed) await this.ports.store.saveChunk(chunk);
		}
	}

	/** The paced sends of `items` from `number`; their outcomes in order (`apply` writes them). */
	async sendAll(number: ConnectedNumber, items: Item[], run: RunLimits): Promise<ItemOutcome[]> {
		const window = new Window(sendWindow(run.rate));
		this.groupSize = Math.ceil(concurrencyFor(run.rate) * GROUP_SHARE);
		// Items, not calls: a 131056 retry enters the window again.
		const entered = new Set<Item>();
		const sleep = this.ports.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
		const report = await sendPaced({
			items,
			// The window holds a send until Meta answers; linking its record happens after, outside it.
			send: async (item: Item) => {
				const { answer, linked } = await window.run(() => {
					// Its chunk's mark is begun as the send is (`mark`, before its first await): the hand-over waits for it.
					const sending = this.send(number, item, items, run);
					if (!entered.has(item) && entered.add(item).size === items.length) run.onAllQueued?.();
					return sending;
				});
				await linked;
				return answer;
			},
			metaCode: graphCodeOf,
			budgetMs: run.budgetMs,
			// Once halted, the sends left are skipped without waiting for their slots.
			sleep: (ms) => (run.halted() ? Promise.resolve() : sleep(ms)),
			now: () => this.ports.clock.now(),
		});
		await Promise.all(this.telling);
		return report.outcomes;
	}

	/**
	 * A refusal of the campaign's template that every recipient gets (Meta's 132001: gone; 132000: edited
	 * at Meta since...) goes to the template cache once per run and code, as a modal's send does:
	 * the modal and templateMessage stop offering a template gone, and read one edited from Meta again.
	 * A failed write is logged; the campaign goes on.
	 */
	private tellCatalog(number: ConnectedNumber, error: unknown): void {
		const code = graphCodeOf(error);
		const cache = this.ports.templates;
		if (!cache || code === undefined || !refusesEveryRecipient(error) || this.told.has(code)) return;
		this.told.add(code);
		const { name, language } = this.campaign.template;
		const failure = { wabaId: number.wabaId, name, language: language.code, code };
		this.telling.push(
			new TemplateCatalog(
				cache,
				async () => [],
				0,
				() => this.ports.clock.now(),
			)
				.onSendError(failure, { always: true })
				.catch((cause: unknown) => {
					const why = cause instanceof Error ? cause.name : 'error';
					this.ports.logger?.warn(`campaign ${this.campaign.id}: the template cache not updated after error ${code}: ${why}`);
				}),
		);
	}

	/**
	 * Writes each item's final state in its chunk: queued (its record linked as Meta answered), failed
	 * (its record settled now with Meta's error, or `reason`), or back to pending when it was not sent
	 * (its pending record `unsent`, or, written by an earlier version, kept for the next attempt). Answers how many Meta accepted.
	 */
	async apply(items: Item[], outcomes: ItemOutcome[], reason?: string): Promise<number> {
		let accepted = 0;
		const touched = new Set<CampaignChunk>();
		// The run's chunks are no longer held once their outcomes are written.
		for (const chunk of this.marked.keys()) {
			delete chunk.heldUntil;
			touched.add(chunk);
		}
		const writes: Array<Promise<void>> = [];
		// What the run wrote for each send, also for those written with others that never asked for their record.
		const written = new Map<Item, SentMessage>();
		for (const [item, record] of this.records) {
			const value = await record.catch(() => undefined);
			if (value) written.set(item, value);
		}
		items.forEach((item, i) => {
			const outcome = outcomes[i];
			const recipient = item.chunk.recipients[item.index];
			const record = written.get(item) ?? this.storedRecord(item.chunk, recipient);
			let next: CampaignRecipient;
			if (outcome?.ok) {
				accepted++;
				const late = this.unsettled.get(item);
				if (late) writes.push(this.ports.sendLog.settle(late).then(() => void this.reported++));
				const wamid = outcome.value.messages?.[0]?.id;
				next = { to: recipient.to, state: 'queued', ...(wamid ? { wamid } : {}) };
			} else if (outcome && outcome.error === NOT_SENT && record?.pendingGroup) {
				next = { to: recipient.to, state: 'pending' };
				writes.push(this.ports.sendLog.unsent(record));
			} else if (outcome && outcome.error === NOT_SENT) {
				// A pending record of its own (written by an earlier version): the next attempt uses it.
				next = { to: recipient.to, state: 'pending', ...(record ? { sendId: record.sendId, sentAt: record.sentAt } : {}) };
			} else {
				next = { to: recipient.to, state: 'failed' };
				writes.push(this.fail(recipient.to, record, outcome ? outcome.error : translate(undefined, reason ?? UNKNOWN_OUTCOME)));
			}
			// A chunk the run never reached (halted before it) is not written again.
			if (JSON.stringify(next) !== JSON.stringify(recipient)) touched.add(item.chunk);
			item.chunk.recipients[item.index] = next;
		});
		await Promise.all(writes);
		// A few at a time: a run ends while the next one sends (it handed over), and tens of chunk
		// writes at once would hold that run's sends behind them in the host (Rocket.Chat's HTTP bridge).
		await inParallel([...touched], CHUNK_WRITES_AT_ONCE, (chunk) => this.ports.store.saveChunk(chunk));
		return accepted;
	}

	/** Every chunk this run marked, written: what the run holds is in storage (rejects when a mark's write failed). */
	async marksWritten(): Promise<void> {
		await Promise.all(this.marked.values());
	}

	/**
	 * One send: its chunk marked, its record written (or reused), the Graph call with the chunk's batch
	 * key; Meta's answer, and the link of the record under way (it never rejects).
	 */
	private async send(
		number: ConnectedNumber,
		item: Item,
		items: Item[],
		run: RunLimits,
	): Promise<{ answer: SendResult; linked: Promise<void> }> {
		let answer: SendResult;
		let record: SentMessage;
		let to: string;
		try {
			if (run.halted()) throw NOT_SENT;
			// Nothing went to Meta when the chunk's mark or the send's record could not be written: pending again.
			[, record] = await Promise.all([this.mark(item.chunk, items), this.recordOf(item, items)]).catch(() => {
				throw NOT_SENT;
			});
			to = record.mobileNo;
			const body = withBatchKey(
				whatsAppMessage({ to, content: { type: 'template', template: this.campaign.template } }),
				record.batch,
			);
			// One of a long stream: no catch-up burst when the number was idle (PaceOptions.steady). After
			// a refusal every recipient would get, the sends not started fail with it (the campaign's
			// later runs each make one call, and fail the rest of theirs so).
			answer = await this.refusal.guard(
				(shouldStart) =>
					this.ports
						.graphOf(number)
						.sendMessage(number.phoneNumberId, body, { deadline: run.deadline, shouldStart, steady: true }),
				// A run halted (cancelled, its time spent) leaves its sends not started pending, whatever Meta refused.
				() => !run.halted(),
			);
		} catch (error) {
			// Never started, or refused by Meta's throughput limit: not sent, so tried again by a later run.
			if (error instanceof PacerDeadlineError || graphCodeOf(error) === THROUGHPUT_EXCEEDED) throw NOT_SENT;
			this.tellCatalog(number, error);
			throw error;
		}
		// Meta accepted it: whatever fails from here on, the recipient is queued (a link that failed now is made again after the sends).
		const wamid = answer.messages?.[0]?.id;
		const waId = answer.contacts?.[0]?.wa_id;
		const answered: SentMessage = { ...record, wamid, ...(waId && waId !== to ? { waId } : {}) };
		const linked = this.ports.sendLog.settle(answered).then(
			() => void this.reported++,
			() => void this.unsettled.set(item, answered),
		);
		return { answer, linked };
	}

	/** Marks the run's recipients of `chunk` `sending`, written once, before the first Graph call of the chunk in this run. */
	private mark(chunk: CampaignChunk, items: Item[]): Promise<void> {
		let done = this.marked.get(chunk);
		if (!done) {
			if (!chunk.batch) chunk.batch = newBatchKey();
			chunk.heldUntil = this.campaign.leaseUntil;
			for (const item of items) if (item.chunk === chunk) chunk.recipients[item.index].state = 'sending';
			done = this.ports.store.saveChunk(chunk);
			this.marked.set(chunk, done);
		}
		return done;
	}

	/**
	 * The item's pending record: the one its chunk names, else one written now together with those of
	 * the sends after it in its chunk that have none yet, up to `groupSize` (`SendLog.beginMany`, one
	 * write); once per run.
	 */
	private recordOf(item: Item, items: Item[]): Promise<SentMessage> {
		const known = this.records.get(item);
		if (known) return known;
		const stored = this.storedRecord(item.chunk, item.chunk.recipients[item.index]);
		if (stored) {
			this.records.set(item, Promise.resolve(stored));
			return Promise.resolve(stored);
		}
		const group: Item[] = [];
		for (let i = items.indexOf(item); i < items.length && group.length < this.groupSize; i++) {
			const next = items[i];
			if (next.chunk !== item.chunk) break;
			if (!this.records.has(next) && !this.storedRecord(next.chunk, next.chunk.recipients[next.index])) group.push(next);
		}
		const sentAt = this.now();
		const written = this.ports.sendLog.beginMany(
			group.map((next) => ({ ...this.message(next.chunk.recipients[next.index].to, sentAt), batch: next.chunk.batch })),
		);
		const records = group.map((_, i) => written.then((found) => found[i]));
		group.forEach((next, i) => this.records.set(next, records[i]));
		// A failed write fails the sends that asked for their record; the others ask again (a write of their own).
		written.catch(() => group.forEach((next, i) => this.records.get(next) === records[i] && this.records.delete(next)));
		for (const record of records) record.catch(() => undefined);
		return this.records.get(item) as Promise<SentMessage>;
	}

	/** The pending record an earlier attempt wrote for `recipient` (an earlier version's `SendLog.begin`), if its chunk names one. */
	private storedRecord(chunk: CampaignChunk, recipient: CampaignRecipient): SentMessage | undefined {
		if (!recipient.sendId || !recipient.sentAt) return undefined;
		return {
			...this.message(recipient.to, recipient.sentAt),
			batch: chunk.batch,
			sendId: recipient.sendId,
			pending: true,
			statuses: [],
		};
	}

	/** A recipient reported failed: its pending record settled with `error`, or, never begun, a failed record of its own. */
	private async fail(to: string, record: SentMessage | undefined, error: unknown): Promise<void> {
		if (record) await this.ports.sendLog.settle(record, error);
		else await this.ports.sendLog.record(this.message(to, this.now()), error);
		this.reported++;
	}

	/** The record of the campaign's template to `to`, sent at `sentAt`. */
	private message(to: string, sentAt: string): SentMessage {
		const { campaign } = this;
		return {
			phoneNumberId: campaign.phoneNumberId,
			connectedWhatsAppNo: this.display,
			mobileNo: to,
			message: campaign.text,
			type: 'Template-Message',
			templateName: campaign.template.name,
			templateLanguage: campaign.template.language.code,
			sentAt,
			campaignId: campaign.id,
			...campaign.routing,
		};
	}

	private now(): string {
		return new Date(this.ports.clock.now()).toISOString();
	}
}

/**
 * Meta's statuses in the stored webhooks (`CampaignPorts.inbox`), read when first asked for and
 * then answered again; none when they cannot be read (logged: the sends they would have told of
 * are "outcome unknown").
 */
export function storedStatuses(ports: Pick<CampaignPorts, 'inbox' | 'logger'>): () => Promise<StatusEvent[]> {
	let read: Promise<StatusEvent[]> | undefined;
	return () =>
		(read ??= ports.inbox.events().then(
			(events) => events.filter((event): event is StatusEvent => event.kind === 'status'),
			(error: unknown) => {
				ports.logger?.warn(
					`campaign: the stored webhooks could not be read (${error instanceof Error ? error.message : 'error'}); sends a run that died left are "outcome unknown"`,
				);
				return [];
			},
		));
}

/** At most `size` calls of `run` under way; the others wait their turn, in order. */
class Window {
	private active = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(private readonly size: number) {}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.active >= this.size) await new Promise<void>((go) => this.waiting.push(go));
		else this.active++;
		try {
			return await work();
		} finally {
			const next = this.waiting.shift();
			if (next) next();
			else this.active--;
		}
	}
}
