import { contactKey } from '../../../../src/core/app/conversations';
import { settingsOf, SettingKey } from '../../../../src/core/app/settings';
import {
	isWindowOpen,
	noticeJobOf,
	NoticeJob,
	PHONE_KEPT_MS,
	reachOf,
	recordInbound,
	WINDOW_MS,
	WindowNotices,
} from '../../../../src/core/app/window';
import { CARLA, FakeClock, FakeConversations, MemoryWindows, NUMBER, t, T0 } from './fakes-inbound';

const TOKEN = contactKey(NUMBER.phoneNumberId, CARLA);
const HOUR = 3600000;

async function world(settings: Partial<Record<SettingKey, unknown>> = {}) {
	const clock = new FakeClock();
	const windows = new MemoryWindows();
	const conversations = new FakeConversations();
	const scheduled: Array<{ job: NoticeJob; when: number }> = [];
	const notices = new WindowNotices({
		windows,
		scheduler: { schedule: async (job, when) => void scheduled.push({ job, when }) },
		settings: settingsOf(settings),
		clock,
		conversations,
		translator: async () => t,
	});
	const visitor = await conversations.visitor({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA });
	const room = await conversations.createRoom({ visitor });
	/** The contact writes at `at`: what the inbound service does. */
	const write = async (at: number) => notices.ensure(TOKEN, await recordInbound(windows, { token: TOKEN, at, wamid: `wamid.${at}` }));
	/** The scheduler runs the last job scheduled, at its time. */
	const runLast = async () => {
		const next = scheduled[scheduled.length - 1];
		clock.at = next.when;
		await notices.run(next.job);
	};
	/** The next run of the job: while it looks for the room, `meanwhile` runs (another job of the app), and the room closes. */
	const whileLookingForRoom = (meanwhile: () => Promise<void>) => {
		const openRoomOf = conversations.openRoomOf.bind(conversations);
		conversations.openRoomOf = async (contact) => {
			conversations.openRoomOf = openRoomOf;
			await meanwhile();
			conversations.rooms[0].open = false;
			return openRoomOf(contact);
		};
	};
	return { clock, windows, conversations, scheduled, notices, room, write, runLast, whileLookingForRoom };
}

describe('the 24-hour window', () => {
	it('is open for 24 hours after the contact’s last message', () => {
		expect(isWindowOpen(undefined, T0)).toBe(false);
		expect(isWindowOpen(T0, T0 + WINDOW_MS)).toBe(true);
		expect(isWindowOpen(T0, T0 + WINDOW_MS + 1)).toBe(false);
	});

	it('runs from the latest message, whatever order Meta delivers them in', async () => {
		const windows = new MemoryWindows();
		await recordInbound(windows, { token: TOKEN, at: T0, wamid: 'new' });
		expect(await recordInbound(windows, { token: TOKEN, at: T0 - 1, wamid: 'old' })).toEqual({ at: T0, wamid: 'new' });
	});
	it("keeps a contact's number change until a later message from that number (someone who has it now)", async () => {
		const windows = new MemoryWindows();
		await windows.put(TOKEN, { at: T0, movedTo: { waId: '5511911112222', at: T0 } });
		expect(await recordInbound(windows, { token: TOKEN, at: T0, wamid: 'same' })).toMatchObject({ movedTo: { at: T0 } });
		expect(await recordInbound(windows, { token: TOKEN, at: T0 + 1, wamid: 'later' })).toEqual({ at: T0 + 1, wamid: 'later' });
	});
});

describe('window notices', () => {
	it('warn the agents the set minutes before the window closes, then when it has closed, in the room', async () => {
		const w = await world({ windowNoticeMinutes: 30 });
		await w.write(T0);
		await w.write(T0 + 1000);
		// One job pending per contact.
		expect(w.scheduled).toEqual([{ job: { token: TOKEN, at: T0, phase: 'closing' }, when: T0 + WINDOW_MS - 30 * 60000 }]);

		await w.runLast();
		// The contact wrote again: the warning moves.
		expect(w.conversations.posts).toEqual([]);
		expect(w.scheduled[1]).toEqual({
			job: { token: TOKEN, at: T0 + 1000, phase: 'closing' },
			when: T0 + 1000 + WINDOW_MS - 30 * 60000,
		});

		await w.runLast();
		await w.runLast();
		expect(w.conversations.posts.map((p) => [p.roomId, p.by, p.text])).toEqual([
			[
				w.room.id,
				'app',
				t('window_closing', {
					time: new Date(T0 + 1000 + WINDOW_MS).toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
					minutes: 30,
				}),
			],
			[w.room.id, 'app', t('window_closed_notice')],
		]);
		expect(w.scheduled).toHaveLength(3);
		expect(await w.windows.get(TOKEN)).toEqual({ at: T0 + 1000, wamid: `wamid.${T0 + 1000}` });
	});

	it('say nothing once the room is closed, and can be turned off', async () => {
		const w = await world();
		await w.write(T0);
		w.conversations.rooms[0].open = false;
		await w.runLast();
		expect(w.conversations.posts).toEqual([]);
		expect((await w.windows.get(TOKEN))?.noticeFor).toBeUndefined();

		const off = await world({ windowNoticeMinutes: 0 });
		await off.write(T0);
		expect(off.scheduled).toEqual([]);
	});

	it('say nothing once the contact changed their number (nothing can be sent to the old one)', async () => {
		const w = await world();
		await w.write(T0);
		const window = (await w.windows.get(TOKEN))!;
		await w.windows.put(TOKEN, { ...window, movedTo: { waId: '5511911112222', at: T0 + 1 } });
		await w.runLast();
		expect(w.conversations.posts).toEqual([]);
		expect(await w.windows.get(TOKEN)).toEqual({ at: T0, wamid: `wamid.${T0}`, movedTo: { waId: '5511911112222', at: T0 + 1 } });
	});

	it('keep what the contact’s messages wrote on the window while the job ran (a number change)', async () => {
		const w = await world();
		await w.write(T0);
		// The change is handled while the job looks for the room.
		w.whileLookingForRoom(async () => {
			const now = (await w.windows.get(TOKEN))!;
			await w.windows.put(TOKEN, { ...now, movedTo: { waId: '5511911112222', at: T0 + 1 } });
		});
		await w.runLast();
		expect(await w.windows.get(TOKEN)).toEqual({ at: T0, wamid: `wamid.${T0}`, movedTo: { waId: '5511911112222', at: T0 + 1 } });
	});

	it('follow a message the contact wrote while the job ran (its own scheduling found this job pending)', async () => {
		const w = await world();
		await w.write(T0);
		w.whileLookingForRoom(() => w.write(T0 + 1000));
		await w.runLast();
		expect(w.scheduled.map((s) => s.job)).toEqual([
			{ token: TOKEN, at: T0, phase: 'closing' },
			{ token: TOKEN, at: T0 + 1000, phase: 'closing' },
		]);
		expect(await w.windows.get(TOKEN)).toMatchObject({ at: T0 + 1000, noticeFor: T0 + 1000 });
	});

	it('are scheduled again for the next window when a notice could not be posted (no job is left pending)', async () => {
		const w = await world();
		await w.write(T0);
		const postAsApp = w.conversations.postAsApp.bind(w.conversations);
		w.conversations.postAsApp = async () => {
			throw new Error('Rocket.Chat refused the message');
		};
		await expect(w.runLast()).rejects.toThrow('Rocket.Chat refused the message');
		expect((await w.windows.get(TOKEN))?.noticeFor).toBeUndefined();
		w.conversations.postAsApp = postAsApp;
		// The contact writes again within the day: their window's notices are scheduled.
		await w.write(T0 + 2 * HOUR);
		expect(w.scheduled.map((s) => s.job)).toEqual([
			{ token: TOKEN, at: T0, phase: 'closing' },
			{ token: TOKEN, at: T0 + 2 * HOUR, phase: 'closing' },
		]);
	});

	it('are scheduled again when the pending job was lost (the app was disabled)', async () => {
		const w = await world();
		await w.write(T0);
		w.clock.at = T0 + WINDOW_MS + 2 * HOUR;
		await w.write(w.clock.at);
		expect(w.scheduled.map((s) => s.job.at)).toEqual([T0, T0 + WINDOW_MS + 2 * HOUR]);
	});

	it('read only well-formed jobs', () => {
		expect(noticeJobOf({ token: TOKEN, at: T0, phase: 'closed', extra: 1 })).toEqual({ token: TOKEN, at: T0, phase: 'closed' });
		expect(noticeJobOf({ token: TOKEN, at: String(T0), phase: 'closed' })).toBeUndefined();
		expect(noticeJobOf({ token: TOKEN, at: T0, phase: 'later' })).toBeUndefined();
		expect(noticeJobOf(undefined)).toBeUndefined();
	});
});

describe('where a message to a contact goes (reachOf)', () => {
	const BSUID = 'BR.1502576394655843';
	const contact = { phoneNumberId: NUMBER.phoneNumberId, waId: BSUID };
	const byBsuid = contactKey(NUMBER.phoneNumberId, BSUID);
	const NOW = T0 + 3000;

	it('sends to the number Meta named with the BSUID of a contact known by it, unless that number changed since; a contact by number is sent to by it', async () => {
		const windows = new MemoryWindows();
		await recordInbound(windows, { token: byBsuid, at: T0, wamid: 'wamid.1' });
		expect(await reachOf(windows, contact, await windows.get(byBsuid), NOW)).toBe(BSUID);
		await recordInbound(windows, { token: byBsuid, at: T0 + 1000, wamid: 'wamid.2', phone: CARLA });
		const window = await windows.get(byBsuid);
		expect(await reachOf(windows, contact, window, NOW)).toBe(CARLA);
		// A change away from that number before she named it (its previous owner's): hers now.
		await windows.put(TOKEN, { at: 0, movedTo: { waId: '5511911112222', at: T0 } });
		expect(await reachOf(windows, contact, window, NOW)).toBe(CARLA);
		// Changed away since (Meta's notice without her BSUID, recorded as a number's): her BSUID again.
		await windows.put(TOKEN, { at: 0, movedTo: { waId: '5511911112222', at: T0 + 1000 } });
		expect(await reachOf(windows, contact, window, NOW)).toBe(BSUID);
		// Someone changed their number to it since (its window, written by their notice).
		await windows.put(TOKEN, { at: 0, movedFrom: { waId: '5511911112222', at: T0 + 1000 } });
		expect(await reachOf(windows, contact, window, NOW)).toBe(BSUID);
		await windows.put(TOKEN, { at: 0, movedFrom: { waId: '5511911112222', at: T0 } });
		expect(await reachOf(windows, contact, window, NOW)).toBe(CARLA);
		// A notice naming her BSUID left her window without a number.
		expect(await reachOf(windows, contact, { ...window!, phone: { at: T0 + 2000 } }, NOW)).toBe(BSUID);
		expect(
			await reachOf(windows, { phoneNumberId: NUMBER.phoneNumberId, waId: CARLA }, { at: T0, phone: { waId: '1', at: T0 } }, NOW),
		).toBe(CARLA);
	});

	it('sends to the number for 30 days after a message named it (Meta names a number that long), then to the BSUID', async () => {
		const windows = new MemoryWindows();
		const window = await recordInbound(windows, { token: byBsuid, at: T0, wamid: 'wamid.1', phone: CARLA });
		expect(await reachOf(windows, contact, window, T0 + PHONE_KEPT_MS)).toBe(CARLA);
		expect(await reachOf(windows, contact, window, T0 + PHONE_KEPT_MS + 1)).toBe(BSUID);
		expect(PHONE_KEPT_MS).toBe(30 * 24 * HOUR);
	});

	it('lets a number change notice win over a message naming the number in the same second', async () => {
		const windows = new MemoryWindows();
		await windows.put(byBsuid, { at: T0, phone: { at: T0 + 1000 } });
		expect((await recordInbound(windows, { token: byBsuid, at: T0 + 1000, phone: CARLA })).phone).toEqual({ at: T0 + 1000 });
		expect((await recordInbound(windows, { token: byBsuid, at: T0 + 2000, phone: CARLA })).phone).toEqual({
			waId: CARLA,
			at: T0 + 2000,
		});
		expect((await recordInbound(windows, { token: byBsuid, at: T0 + 2000, phone: '5511911112222' })).phone).toEqual({
			waId: '5511911112222',
			at: T0 + 2000,
		});
	});
});
