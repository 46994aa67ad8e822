/**
 * The 24-hour customer-service window of each contact: when the contact last wrote, which message
 * that was (for read receipts), and the one pending notice job that warns the agents before the
 * window closes (the `window_notice_minutes` setting) and when it has closed. One job is pending
 * per contact at a time: when the contact wrote again meanwhile, the job moves itself to the new
 * time. The job trusts the scheduler's clock: it compares the window it was scheduled for, not times.
 */
import { Translator } from '../i18n/translate';
import { isBusinessScopedUserId } from '../phone';
import { contactKey, contactOfKey, Conversations } from './conversations';
import { Clock } from './ports';
import { SettingsReader } from './settings';

export const WINDOW_MS = 24 * 3600 * 1000;

/**
 * How long after a message named it the number of a contact known by their BSUID is sent to (`phone`):
 * Meta names a user's number while they wrote or were written to in the last 30 days (or are in the
 * business's contact book); a number older than that may have left them, and be someone else's now.
 */
export const PHONE_KEPT_MS = 30 * 24 * 3600 * 1000;

export interface WindowRecord {
	/** When the contact last wrote (ms). */
	at: number;
	/** The wamid of that message. */
	wamid?: string;
	/** The `at` the pending notice job was scheduled for; absent when none is pending. */
	noticeFor?: number;
	/**
	 * The contact changed their WhatsApp number (Meta's `user_changed_number` system message, sent
	 * `at`, ms) to `waId`: nothing more goes to this one, which may be someone else's by now. A message
	 * written from this number later is someone's who has it now, and clears it.
	 */
	movedTo?: { waId: string; at: number };
	/**
	 * This contact changed their number to this one from `waId` (at `at`, ms; `roomId` their earlier
	 * conversation: the one open then, else the one of their last message): the conversation of this
	 * number notes it once (`noted`), linking the earlier one when `roomId` is known.
	 */
	movedFrom?: { waId: string; at: number; roomId?: string; noted?: boolean };
	/**
	 * This token is a business-scoped user id's (BSUID) whose user the app knows by their number
	 * `userOf`: a message of theirs named both. Their messages that come by the BSUID alone (Meta
	 * withholds the number of a user with a username it no longer shares) go on in that number's
	 * conversation, or in the one of the number they changed it to (core/app/inbound.ts `identityOf`).
	 * No message counts under the BSUID itself (`at` 0).
	 */
	userOf?: string;
	/**
	 * The business-scoped user id Meta named with this number's latest message (a contact known by
	 * number, their BSUID linked to it: `userOf`): a number change notice that does not name the BSUID
	 * moves that link (core/app/inbound.ts `recordMove`).
	 */
	userId?: string;
	/**
	 * A contact known by their business-scoped user id (this token is their BSUID's): the phone number
	 * Meta named with the latest of their messages that named one (`waId`, that message sent `at`,
	 * ms). Replies, the modal's templates and the automatic messages go to it (`reachOf`): Meta
	 * recommends phone numbers when known, and sends an authentication template's code to them only.
	 * Without `waId`: the contact changed their number (Meta's notice, sent `at`): nothing goes to
	 * the old one, and a message of theirs older than the notice names none again.
	 */
	phone?: { waId?: string; at: number };
}

/** The windows, by contact token (core/app/conversations.ts contactKey). */
export interface Windows {
	get(token: string): Promise<WindowRecord | undefined>;
	put(token: string, record: WindowRecord): Promise<void>;
}

/** Whether the contact's window is open at `now`. */
export function isWindowOpen(lastInbound: number | undefined, now: number): boolean {
	return lastInbound !== undefined && now - lastInbound <= WINDOW_MS;
}

/**
 * Where a message to `contact` goes at `now`: for a contact known by their business-scoped user id,
 * the phone number their window knows (`phone`), named within PHONE_KEPT_MS, unless that number's own
 * window tells of anything since it was named (written for a contact by that number only: a number
 * change notice that did not name the BSUID, `movedTo`; a conversation by it, or someone changing
 * their number to it, after that); else the contact's id. `window`: the contact's window, when the
 * caller read it. One more read, for such a contact only. A number that left them without a notice
 * and whose next owner the app knows by a BSUID of their own is not seen: hence the time limit.
 */
export async function reachOf(
	windows: Pick<Windows, 'get'>,
	contact: { phoneNumberId: string; waId: string },
	window: WindowRecord | undefined,
	now: number,
): Promise<string> {
	const phone = isBusinessScopedUserId(contact.waId) ? window?.phone : undefined;
	if (!phone?.waId || now - phone.at > PHONE_KEPT_MS) return contact.waId;
	const own = await windows.get(contactKey(contact.phoneNumberId, phone.waId));
	const since = [own?.at, own?.movedTo?.at, own?.movedFrom?.at].some((at) => at !== undefined && at >= phone.at);
	return since ? contact.waId : phone.waId;
}

/**
 * The contact wrote at `at`: the window (re)opens; a pending notice job is kept (it reschedules
 * itself). `userId`: the BSUID Meta named with the message (kept from the latest message). `phone`:
 * the number Meta named with the message of a contact known by their BSUID (kept from the latest
 * message that named one, or a number change notice after it).
 */
export async function recordInbound(
	windows: Windows,
	message: { token: string; at: number; wamid?: string; userId?: string; phone?: string },
): Promise<WindowRecord> {
	const previous = await windows.get(message.token);
	// Meta may deliver an older message late: the window runs from the latest one.
	const record: WindowRecord =
		previous && previous.at > message.at
			? { ...previous }
			: { ...previous, at: message.at, wamid: message.wamid, ...(message.userId ? { userId: message.userId } : {}) };
	// A number change notice sent in the same second wins: nothing goes to a number that may be gone.
	const { phone } = record;
	if (message.phone && !(phone && (phone.at > message.at || (phone.at === message.at && !phone.waId))))
		record.phone = { waId: message.phone, at: message.at };
	if (record.movedTo && message.at > record.movedTo.at) delete record.movedTo;
	await windows.put(message.token, record);
	return record;
}

export type NoticePhase = 'closing' | 'closed';

export interface NoticeJob {
	token: string;
	/** The window (`at` of the contact's last message) this run is about. */
	at: number;
	phase: NoticePhase;
}

/** The job's data as the scheduler gives it back, if it is one. */
export function noticeJobOf(data: unknown): NoticeJob | undefined {
	const job = (data ?? {}) as Partial<NoticeJob>;
	if (typeof job.token !== 'string' || typeof job.at !== 'number' || (job.phase !== 'closing' && job.phase !== 'closed'))
		return undefined;
	return { token: job.token, at: job.at, phase: job.phase };
}

/** When the job of a phase runs: `minutes` before the window closes, or when it has. */
export function noticeTime(job: NoticeJob, minutes: number): number {
	return job.at + WINDOW_MS - (job.phase === 'closing' ? minutes * 60000 : 0);
}

export interface NoticeScheduler {
	/** Runs the notice job at `when` (ms). */
	schedule(job: NoticeJob, when: number): Promise<void>;
}

export interface WindowNoticePorts {
	windows: Windows;
	scheduler: NoticeScheduler;
	settings: SettingsReader;
	clock: Clock;
	conversations: Pick<Conversations, 'openRoomOf' | 'postAsApp'>;
	/** Texts in the workspace's language (read only when a notice is posted). */
	translator: () => Promise<Translator>;
}

export class WindowNotices {
	constructor(private readonly ports: WindowNoticePorts) {}

	private async schedule(job: NoticeJob, minutes: number): Promise<void> {
		await this.ports.scheduler.schedule(job, noticeTime(job, minutes));
	}

	/** After an inbound message: makes sure one notice job is pending for the contact's window. */
	async ensure(token: string, window: WindowRecord): Promise<void> {
		const minutes = await this.ports.settings.get('windowNoticeMinutes');
		// A pending job runs within a day of its window; one older than that was lost (the app was
		// disabled, which cancels its jobs): schedule again.
		const pending = window.noticeFor !== undefined && window.noticeFor + WINDOW_MS + 3600000 > this.ports.clock.now();
		if (!minutes || pending) return;
		await this.schedule({ token, at: window.at, phase: 'closing' }, minutes);
		await this.ports.windows.put(token, { ...window, noticeFor: window.at });
	}

	/** The notice job: posts the notice of its phase in the contact's open room, then schedules the next. */
	async run(job: NoticeJob): Promise<void> {
		const { windows, conversations } = this.ports;
		const window = await windows.get(job.token);
		if (!window) return;
		const minutes = await this.ports.settings.get('windowNoticeMinutes');
		const contact = contactOfKey(job.token);
		const room = contact ? await conversations.openRoomOf(contact) : undefined;
		// No notice for a number the contact changed from: nothing can be sent to it.
		if (!room || !minutes || window.movedTo) return this.setNoticeFor(job.token, window, undefined, minutes);
		if (window.at !== job.at) {
			// The contact wrote again: the window closes later; warn then.
			await this.schedule({ token: job.token, at: window.at, phase: 'closing' }, minutes);
			return this.setNoticeFor(job.token, window, window.at, minutes);
		}
		const t = await this.ports.translator();
		const closesAt = new Date(window.at + WINDOW_MS);
		const text =
			job.phase === 'closing'
				? t('window_closing', { time: `${closesAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`, minutes })
				: t('window_closed_notice');
		try {
			// A message of the app in the room's history, for every agent who opens it (now or later).
			await conversations.postAsApp({ room, text });
			if (job.phase === 'closing') await this.schedule({ token: job.token, at: window.at, phase: 'closed' }, minutes);
		} catch (error) {
			// No job is pending any more: the window says so, so that the contact's next message schedules
			// its notices (else it would take this one for pending for a day, and the next window go unwarned).
			await this.setNoticeFor(job.token, window, undefined, minutes).catch(() => undefined);
			throw error;
		}
		if (job.phase === 'closed') await this.setNoticeFor(job.token, window, undefined, minutes);
	}

	/**
	 * The window's pending notice, written on the record as it is now: the contact's messages (handled
	 * by another job meanwhile) may have changed it since `read`, a number change included. A message
	 * written meanwhile found this job pending and scheduled none (`ensure`): its window's is scheduled here.
	 */
	private async setNoticeFor(token: string, read: WindowRecord, noticeFor: number | undefined, minutes: number): Promise<void> {
		const { windows } = this.ports;
		const now = (await windows.get(token)) ?? read;
		if (now.at !== read.at && minutes && !now.movedTo) {
			await this.schedule({ token, at: now.at, phase: 'closing' }, minutes);
			return windows.put(token, { ...now, noticeFor: now.at });
		}
		await windows.put(token, { ...now, noticeFor });
	}
}
