/**
 * Shows the agents when a contact's 24-hour window closes: a message in the room some minutes before
 * (the `window_notice_minutes` setting) and another when it has closed. One job is pending per
 * contact at a time: when the contact wrote again meanwhile, the job moves itself to the new time.
 * The job trusts the scheduler's clock: it compares the window it was scheduled for, not times.
 */
import { IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';
import { IJobContext, IProcessor } from '@rocket.chat/apps-engine/definition/scheduler';

import { appSettings, workspaceTranslator } from '../../adapters/factory';
import { readWindow, WINDOW_MS, WindowRecord, writeWindow } from '../../adapters/persistence/WindowStore';

export const WINDOW_NOTICE_JOB = 'window-notice';

type Phase = 'closing' | 'closed';

interface NoticeJob {
	token: string;
	/** The window (`at` of the contact's last message) this run is about. */
	at: number;
	phase: Phase;
}

async function noticeMinutes(read: IRead): Promise<number> {
	return appSettings(read).get('windowNoticeMinutes');
}

function runAt(at: number, phase: Phase, minutes: number): Date {
	return new Date(at + WINDOW_MS - (phase === 'closing' ? minutes * 60000 : 0));
}

async function schedule(modify: IModify, job: NoticeJob, minutes: number): Promise<void> {
	await modify.getScheduler().scheduleOnce({ id: WINDOW_NOTICE_JOB, when: runAt(job.at, job.phase, minutes), data: { ...job } });
}

/** After an inbound message: makes sure one notice job is pending for the contact's window. */
export async function ensureWindowNotice(acc: { read: IRead; modify: IModify; persistence: IPersistence }, token: string, window: WindowRecord): Promise<void> {
	const minutes = await noticeMinutes(acc.read);
	// A pending job runs within a day of its window; one older than that was lost (the app was
	// disabled, which cancels its jobs): schedule again.
	const pending = window.noticeFor !== undefined && window.noticeFor + WINDOW_MS + 3600000 > Date.now();
	if (!minutes || pending) return;
	await schedule(acc.modify, { token, at: window.at, phase: 'closing' }, minutes);
	await writeWindow(acc.read, acc.persistence, token, { ...window, noticeFor: window.at });
}

async function openRoomOf(read: IRead, token: string): Promise<ILivechatRoom | undefined> {
	const visitor = await read.getLivechatReader().getLivechatVisitorByToken(token);
	if (!visitor) return undefined;
	return (await read.getLivechatReader().getLivechatRooms(visitor)).find((r) => r.isOpen);
}

export async function runWindowNotice(acc: { read: IRead; modify: IModify; persistence: IPersistence }, job: NoticeJob): Promise<void> {
	const window = await readWindow(acc.read, job.token);
	if (!window) return;
	const minutes = await noticeMinutes(acc.read);
	const room = await openRoomOf(acc.read, job.token);
	if (!room || !minutes) {
		await writeWindow(acc.read, acc.persistence, job.token, { ...window, noticeFor: undefined });
		return;
	}
	if (window.at !== job.at) {
		// The contact wrote again: the window closes later; warn then.
		await schedule(acc.modify, { token: job.token, at: window.at, phase: 'closing' }, minutes);
		await writeWindow(acc.read, acc.persistence, job.token, { ...window, noticeFor: window.at });
		return;
	}
	const t = await workspaceTranslator(acc.read);
	const closesAt = new Date(window.at + WINDOW_MS);
	const text =
		job.phase === 'closing'
			? t('window_closing', { time: `${closesAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`, minutes })
			: t('window_closed_notice');
	// A message of the app in the room's history, for every agent who opens it (now or later). No
	// custom fields (a default Rocket.Chat refuses them): posted by the app's user, it is known as
	// the app's by its sender when Rocket.Chat announces it (IPostMessageSent), and not relayed.
	const builder = acc.modify.getCreator().startMessage().setRoom(room).setText(text);
	const appUser = await acc.read.getUserReader().getAppUser();
	if (appUser) {
		builder.setSender(appUser);
		await acc.modify.getCreator().finish(builder);
	} else {
		await acc.modify.getNotifier().notifyRoom(room, builder.getMessage());
	}
	if (job.phase === 'closing') {
		await schedule(acc.modify, { token: job.token, at: window.at, phase: 'closed' }, minutes);
	} else {
		await writeWindow(acc.read, acc.persistence, job.token, { ...window, noticeFor: undefined });
	}
}

export function windowProcessors(): IProcessor[] {
	return [
		{
			id: WINDOW_NOTICE_JOB,
			processor: async (jobContext: IJobContext, read: IRead, modify: IModify, _http, persistence: IPersistence) => {
				const job = jobContext as unknown as Partial<NoticeJob>;
				if (typeof job.token !== 'string' || typeof job.at !== 'number' || (job.phase !== 'closing' && job.phase !== 'closed')) return;
				await runWindowNotice({ read, modify, persistence }, { token: job.token, at: job.at, phase: job.phase });
			},
		},
	];
}
