/**
 * Delivery state in the room (src/core/app/roomDelivery.ts): the status service notes each status it
 * forwarded, the run flushes once; one update per message, never an earlier state over a later one,
 * nothing when the setting is off or the send came from no room message.
 */
import { MemoryMessageLog, MemoryNumbers } from '../../../../src/core/app/memory';
import { SentMessage } from '../../../../src/core/app/ports';
import { RoomDelivery, RoomMessages, RoomState, RoomStateUpdate } from '../../../../src/core/app/roomDelivery';
import { SendLog } from '../../../../src/core/app/sendLog';
import { settingsOf } from '../../../../src/core/app/settings';
import { StatusService } from '../../../../src/core/app/statuses';
import { translator } from '../../../../src/core/i18n/translate';
import { MemoryOutboxStore } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';
import { StatusEvent } from '../../../../src/core/status/webhook';
import { explainSendError, MemoryTemplateCache } from '../../../../src/core/templates/catalog';

const T0 = 1_750_000_000_000;
const en = translator('en');

const sent = (wamid: string, fields: Partial<SentMessage> = {}): SentMessage => ({
	wamid,
	phoneNumberId: 'pn-1',
	connectedWhatsAppNo: '15550783881',
	mobileNo: '5511987654321',
	message: 'Order 42 is on its way.',
	type: 'Template-Message',
	sentAt: new Date(T0).toISOString(),
	statuses: ['queued'],
	roomId: 'room-1',
	rcMessageId: `rc-${wamid}`,
	...fields,
});
const status = (wamid: string, word: string, fields: Partial<StatusEvent> = {}): StatusEvent => ({
	kind: 'status',
	phoneNumberId: 'pn-1',
	displayPhoneNumber: '15550783881',
	wamid,
	status: word,
	timestamp: '1750000100',
	recipientId: '5511987654321',
	...fields,
});

/** Rocket.Chat's messages as the port sees them: what each shows, and every update made. */
class ShownMessages implements RoomMessages {
	readonly shown = new Map<string, RoomState>();
	readonly updates: RoomStateUpdate[] = [];
	failFor = new Set<string>();

	async show(update: RoomStateUpdate, keeps: (shown: RoomState | undefined) => boolean): Promise<boolean> {
		if (this.failFor.has(update.rcMessageId)) throw new Error('message bridge down');
		if (keeps(this.shown.get(update.rcMessageId))) return false;
		this.shown.set(update.rcMessageId, update.state);
		this.updates.push(update);
		return true;
	}
}

async function fakes(options: { records?: SentMessage[]; setting?: boolean } = {}) {
	const clock = { now: () => T0 };
	const messages = new MemoryMessageLog();
	for (const record of options.records ?? [sent('wamid.A')]) await messages.record(record);
	const settings = settingsOf({ statusEndpointUrl: 'https://crm.example.com/s', roomDeliveryState: options.setting ?? true });
	const room = new ShownMessages();
	const warnings: string[] = [];
	let translations = 0;
	/** A job run: its own RoomDelivery and StatusService, as src/adapters/build/webhooks.ts builds them. */
	const run = () => {
		const roomStates = new RoomDelivery({
			messages: room,
			settings,
			translator: async () => (translations++, en),
			logger: { info: () => undefined, warn: (line) => void warnings.push(line), error: () => undefined },
		});
		const service = new StatusService({
			messages,
			sendLog: new SendLog({ messages, outbox: new MemoryOutboxStore<StatusPayload>(), settings, clock }),
			notifier: { notifyRoom: async () => undefined },
			translator: async () => en,
			numbers: new MemoryNumbers(),
			templates: new MemoryTemplateCache(),
			refusals: { refuse: () => undefined },
			roomStates,
		});
		// Statuses that skip a step are forwarded at once: their wait for the missing one is over (statuses.ts ORDER_WAIT_MS).
		const batch = (events: StatusEvent[]) => service.handleStatuses(events, { scope: undefined, receivedAt: T0, heldSince: 0 });
		return { service, roomStates, batch };
	};
	return { room, run, warnings, translations: () => translations };
}

describe('RoomDelivery', () => {
	it('shows a burst of statuses of one message (one webhook) with one update: the latest', async () => {
		const f = await fakes();
		const r = f.run();
		await r.batch([status('wamid.A', 'sent'), status('wamid.A', 'delivered'), status('wamid.A', 'read')]);
		expect(f.room.updates).toEqual([]);
		expect(await r.roomStates.flush()).toBe(1);
		expect(f.room.updates).toEqual([{ roomId: 'room-1', rcMessageId: 'rc-wamid.A', state: 'read', text: en('room_state_read') }]);
		expect(en('room_state_read')).toBe('✓✓ Read on WhatsApp');
	});

	it('coalesces several webhooks handled in one run, and several messages, to one update per message', async () => {
		const f = await fakes({ records: [sent('wamid.A'), sent('wamid.B')] });
		const r = f.run();
		await r.batch([status('wamid.A', 'sent'), status('wamid.B', 'sent')]);
		await r.batch([status('wamid.A', 'delivered')]);
		await r.service.handleStatus(status('wamid.B', 'delivered'), undefined);
		await r.batch([status('wamid.A', 'read')]);
		expect(await r.roomStates.flush()).toBe(2);
		expect(f.room.updates.map((u) => [u.rcMessageId, u.state])).toEqual([
			['rc-wamid.A', 'read'],
			['rc-wamid.B', 'delivered'],
		]);
		// Nothing noted since: the next flush updates nothing.
		expect(await r.roomStates.flush()).toBe(0);
		expect(f.room.updates).toHaveLength(2);
	});

	it('never shows an earlier state over a later one: within a run, across runs, and over what the message shows', async () => {
		const f = await fakes();
		const first = f.run();
		await first.batch([status('wamid.A', 'read')]);
		await first.roomStates.flush();
		// A late `delivered` in the next run is not forwarded (core/status/ordering.ts), so nothing changes.
		const second = f.run();
		await second.batch([status('wamid.A', 'delivered')]);
		expect(await second.roomStates.flush()).toBe(0);
		// Notes of one message keep the highest, whatever their order.
		const third = f.run();
		third.roomStates.note(sent('wamid.C'), 'read');
		third.roomStates.note(sent('wamid.C'), 'sent');
		await third.roomStates.flush();
		expect(f.room.shown.get('rc-wamid.C')).toBe('read');
		// A message that shows a later state (another run updated it meanwhile) keeps it.
		const fourth = f.run();
		fourth.roomStates.note(sent('wamid.C'), 'delivered');
		expect(await fourth.roomStates.flush()).toBe(0);
		expect(f.room.updates.map((u) => [u.rcMessageId, u.state])).toEqual([
			['rc-wamid.A', 'read'],
			['rc-wamid.C', 'read'],
		]);
	});

	it('shows a failure with the reason explained (explainSendError), after a success too', async () => {
		const f = await fakes();
		const r = f.run();
		await r.batch([
			status('wamid.A', 'delivered'),
			status('wamid.A', 'failed', { errors: [{ code: 131026, title: 'Undeliverable' }] }),
		]);
		await r.roomStates.flush();
		const reason = en(explainSendError(131026).key, { code: 131026 });
		expect(reason).toMatch(/could not deliver/);
		expect(f.room.updates).toEqual([
			{ roomId: 'room-1', rcMessageId: 'rc-wamid.A', state: 'failed', text: en('room_state_failed', { reason }) },
		]);
		expect(f.room.updates[0].text).toBe(`⚠️ Not delivered on WhatsApp: ${reason}`);
	});

	it('changes nothing with the setting off', async () => {
		const f = await fakes({ setting: false });
		const r = f.run();
		await r.batch([status('wamid.A', 'sent'), status('wamid.A', 'read')]);
		expect(await r.roomStates.flush()).toBe(0);
		expect([f.room.updates, f.translations()]).toEqual([[], 0]);
	});

	it('never touches a room for a send without a room message (templateMessage, campaigns, automatic messages)', async () => {
		const f = await fakes({
			records: [sent('wamid.BULK', { roomId: undefined, rcMessageId: undefined }), sent('wamid.AUTO', { rcMessageId: undefined })],
		});
		const r = f.run();
		await r.batch([status('wamid.BULK', 'read'), status('wamid.AUTO', 'read')]);
		expect(await r.roomStates.flush()).toBe(0);
		expect([f.room.updates, f.translations()]).toEqual([[], 0]);
	});

	it('logs a message it cannot update and still updates the others', async () => {
		const f = await fakes({ records: [sent('wamid.A'), sent('wamid.B')] });
		f.room.failFor.add('rc-wamid.A');
		const r = f.run();
		await r.batch([status('wamid.A', 'read'), status('wamid.B', 'read')]);
		expect(await r.roomStates.flush()).toBe(1);
		expect(f.room.updates.map((u) => u.rcMessageId)).toEqual(['rc-wamid.B']);
		expect(f.warnings).toEqual(['room delivery state: message rc-wamid.A not updated: message bridge down']);
	});

	it('marks a message the app sent nothing of as not sent, over any state, in the workspace language; nothing with the setting off; a failure logged', async () => {
		const f = await fakes();
		f.room.shown.set('rc9', 'read');
		await f.run().roomStates.notSent({ roomId: 'r1', rcMessageId: 'rc9' }, (t) => t('room_reason_window_closed'));
		expect(f.room.updates).toEqual([
			{
				roomId: 'r1',
				rcMessageId: 'rc9',
				state: 'failed',
				text: '⚠️ Not sent to WhatsApp: the contact last wrote more than 24 hours ago, so WhatsApp only accepts a template now (/whatsapp send-template).',
			},
		]);
		f.room.failFor.add('rc10');
		await f.run().roomStates.notSent({ roomId: 'r1', rcMessageId: 'rc10' }, (t) => t('room_reason_number_gone'));
		expect(f.warnings).toEqual(['room delivery state: message rc10 not marked not sent: message bridge down']);
		const off = await fakes({ setting: false });
		await off.run().roomStates.notSent({ roomId: 'r1', rcMessageId: 'rc9' }, (t) => t('room_reason_window_closed'));
		expect([off.room.updates, off.translations()]).toEqual([[], 0]);
	});
});
