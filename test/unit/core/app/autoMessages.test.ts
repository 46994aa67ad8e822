import { AutoMessages, OFFLINE_SENT } from '../../../../src/core/app/autoMessages';
import { contactKey } from '../../../../src/core/app/conversations';
import { FreeFormSender, SendGraph } from '../../../../src/core/app/freeForm';
import { Logger } from '../../../../src/core/app/ports';
import { HttpRequest, HttpResponse } from '../../../../src/core/graph/GraphClient';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { WINDOW_MS } from '../../../../src/core/app/window';
import { PacerDeadlineError } from '../../../../src/core/bulk/pacer';
import {
	CARLA,
	FakeClock,
	FakeConversations,
	freeFormWorld,
	MemoryMessageLog,
	MemoryWindows,
	NUMBER,
	NUMBER_PROOF,
	numbersWith,
	T0,
} from './fakes-inbound';
import { BUSY_NOT_STARTED, statusCallbackLog } from './fakes-templates';

const TOKEN = contactKey(NUMBER.phoneNumberId, CARLA);

const AUTO: ConnectedNumber = {
	...NUMBER,
	welcomeMessage: 'Welcome!',
	offlineMessage: 'We are closed',
	conversationFinishedMessage: 'Bye, see https://acme.example',
};

async function world(number: ConnectedNumber = AUTO, answer?: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>) {
	const clock = new FakeClock();
	const send = freeFormWorld({ clock, answer });
	const marks = new MemoryMessageLog();
	const conversations = new FakeConversations();
	const windows = new MemoryWindows();
	const warnings: string[] = [];
	const logger: Logger = { info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined };
	const auto = new AutoMessages({
		sender: send.sender,
		marks,
		conversations,
		numbers: await numbersWith(number),
		windows,
		clock,
		logger,
	});
	return { ...send, auto, marks, conversations, windows, clock, number, warnings };
}

describe('FreeFormSender', () => {
	it('sends without the proof from a number saved by an earlier version (its app secret never checked with Meta), as then', async () => {
		const w = await world();
		const legacy = { ...NUMBER, appSecretProven: undefined };
		await expect(w.sender.text({ number: legacy, to: CARLA, text: 'hi', roomId: 'r1', agent: 'ana' })).resolves.toBe('wamid.OUT');
		expect(w.requests.map((r) => r.url)).toEqual([`https://graph.facebook.com/v23.0/${NUMBER.phoneNumberId}/messages`]);
	});

	it('sends the envelope to Meta, records a Regular-Message and runs the processing job', async () => {
		const w = await world();
		const wamid = await w.sender.text({
			number: NUMBER,
			to: CARLA,
			text: 'see https://x.example',
			roomId: 'r1',
			agent: 'ana',
			replyTo: 'wamid.IN',
		});
		expect(wamid).toBe('wamid.OUT');
		expect(w.requests.map((r) => [r.method, r.url, r.headers.Authorization])).toEqual([
			[
				'POST',
				`https://graph.facebook.com/v23.0/${NUMBER.phoneNumberId}/messages?appsecret_proof=${NUMBER_PROOF}`,
				`Bearer ${NUMBER.accessToken}`,
			],
		]);
		expect(w.sent()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				context: { message_id: 'wamid.IN' },
				type: 'text',
				text: { body: 'see https://x.example', preview_url: true },
			},
		]);
		// Written before the Graph call, then linked to its wamid; the batch key is the one the send carried.
		expect(w.sendLog.begun).toEqual([{ message: expect.objectContaining({ sendId: 'send-1', pending: true }), callsBefore: 0 }]);
		const batch = w.sent()[0].biz_opaque_callback_data;
		expect(w.sendLog.records).toEqual([
			{
				error: undefined,
				message: {
					sendId: 'send-1',
					batch,
					phoneNumberId: NUMBER.phoneNumberId,
					connectedWhatsAppNo: '15550133700',
					mobileNo: CARLA,
					message: 'see https://x.example',
					type: 'Regular-Message',
					roomId: 'r1',
					agent: 'ana',
					sentAt: new Date(T0).toISOString(),
					wamid: 'wamid.OUT',
				},
			},
		]);
		expect(w.jobs.runs).toBe(1);
	});

	/** A sender whose send log cannot settle (persistence down), with the errors it logs. */
	function unsettled(answer?: NonNullable<Parameters<typeof freeFormWorld>[0]>['answer']) {
		const clock = new FakeClock();
		const send = freeFormWorld({ clock, answer });
		const errors: string[] = [];
		const settle = async () => {
			throw new Error('persistence down');
		};
		const logger = { info: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) };
		const sender = new FreeFormSender({
			graph: send.graph,
			sendLog: { begin: send.sendLog.begin, settle },
			jobs: send.jobs,
			clock,
			logger,
		});
		return { send, sender, errors };
	}

	it('rejects with Meta’s error (not the record’s) when a failed send cannot be recorded, and logs it', async () => {
		const { sender, errors } = unsettled(() => Promise.reject(new Error('socket timed out')));
		await expect(sender.text({ number: NUMBER, to: CARLA, text: 'hello' })).rejects.toMatchObject({ timedOut: true });
		expect(errors).toEqual(["a failed send's record could not be written: persistence down"]);
	});

	it('resolves with the wamid of a message Meta took though its record could not be linked, and logs it (never sent again)', async () => {
		const { send, sender, errors } = unsettled();
		expect(await sender.text({ number: NUMBER, to: CARLA, text: 'hello' })).toBe('wamid.OUT');
		expect(send.sent()).toHaveLength(1);
		expect(errors).toEqual(['message wamid.OUT sent, but its record could not be linked: persistence down']);
	});

	it('records a refused send with Meta’s error, runs the job, and rejects', async () => {
		const w = await world(undefined, () => ({
			status: 400,
			body: JSON.stringify({ error: { code: 131047, message: 'Re-engagement message' } }),
		}));
		await expect(w.sender.text({ number: NUMBER, to: CARLA, text: 'late' })).rejects.toMatchObject({ graphCode: 131047 });
		expect(w.sendLog.records).toHaveLength(1);
		expect(w.sendLog.records[0].message.wamid).toBeUndefined();
		expect(w.sendLog.records[0].error).toMatchObject({ graphCode: 131047 });
		expect(w.jobs.runs).toBe(1);
	});

	it("gives an agent's reply that never started a status callback telling of a busy number, naming no request", async () => {
		const log = statusCallbackLog();
		const busy = { sendMessage: () => Promise.reject(new PacerDeadlineError()) } as unknown as SendGraph;
		const sender = new FreeFormSender({
			graph: () => busy,
			sendLog: log.sendLog,
			jobs: { processSoon: async () => undefined },
			clock: new FakeClock(),
		});
		await expect(sender.text({ number: NUMBER, to: CARLA, text: 'hello', roomId: 'r1', agent: 'ana' })).rejects.toBeInstanceOf(
			PacerDeadlineError,
		);
		expect(await log.failures()).toEqual([[CARLA, BUSY_NOT_STARTED]]);
	});
});

describe('AutoMessages', () => {
	it('welcomes a new conversation and says when nobody is online', async () => {
		const w = await world();
		await w.auto.onNewConversation({ number: w.number, waId: CARLA, room: { id: 'r1', departmentId: 'sales' } });
		expect(w.sent().map((b) => b.text.body)).toEqual(['Welcome!', 'We are closed']);
		expect(w.sendLog.records.map((r) => r.message.roomId)).toEqual(['r1', 'r1']);
	});

	it('asks whether anyone is online for a room opened without a department, not the number’s department', async () => {
		const w = await world({ ...AUTO, departmentId: 'support' });
		w.conversations.online.add(undefined);
		await w.auto.onNewConversation({ number: w.number, waId: CARLA, room: { id: 'r1' } });
		expect(w.sent().map((b) => b.text.body)).toEqual(['Welcome!']);
	});

	it('sends no offline message when the room’s department is online, nor when the contact was told while waiting', async () => {
		const w = await world();
		w.conversations.online.add('sales');
		await w.auto.onNewConversation({ number: w.number, waId: CARLA, room: { id: 'r1', departmentId: 'sales' } });
		expect(w.sent().map((b) => b.text.body)).toEqual(['Welcome!']);

		const waited = await world();
		await waited.auto.onWaitingForAgent({ number: waited.number, waId: CARLA });
		await waited.auto.onWaitingForAgent({ number: waited.number, waId: CARLA });
		expect(waited.sent().map((b) => b.text.body)).toEqual(['We are closed']);
		await waited.auto.onNewConversation({ number: waited.number, waId: CARLA, room: { id: 'r1' } });
		expect(waited.sent().map((b) => b.text.body)).toEqual(['We are closed', 'Welcome!']);
		// The mark is gone: the next wait tells the contact again.
		expect(await waited.marks.hasMark(OFFLINE_SENT, TOKEN)).toBe(false);
	});

	it('sends no offline message or welcome to a number the contact changed from (a message of theirs Meta delivers late)', async () => {
		const w = await world();
		await w.windows.put(TOKEN, { at: T0 - 1000, movedTo: { waId: '5511911112222', at: T0 - 500 } });
		await w.auto.onWaitingForAgent({ number: w.number, waId: CARLA });
		await w.auto.onNewConversation({ number: w.number, waId: CARLA, room: { id: 'r1' }, movedAway: true });
		expect(w.requests).toEqual([]);
		expect(await w.marks.hasMark(OFFLINE_SENT, TOKEN)).toBe(false);
	});

	it('tries the offline message again when it could not be sent, and logs no secret', async () => {
		const w = await world(undefined, () => Promise.reject(new Error('connect ECONNREFUSED 157.240.0.35:443')));
		await w.auto.onWaitingForAgent({ number: w.number, waId: CARLA });
		expect(await w.marks.hasMark(OFFLINE_SENT, TOKEN)).toBe(false);
		expect(w.warnings).toEqual(['automatic message to a contact of +1 555-013-3700 not sent: NetworkError']);
	});

	it.each([
		['WhatsApp did not answer in time', 'socket timed out'],
		['the connection was lost once made', 'read ECONNRESET'],
		['the connection closed before the answer ended', 'socket hang up'],
	])('logs an offline message as one that may have been sent when %s, and does not send it again', async (_, reason) => {
		const w = await world(undefined, () => Promise.reject(new Error(reason)));
		await w.auto.onWaitingForAgent({ number: w.number, waId: CARLA });
		expect(await w.marks.hasMark(OFFLINE_SENT, TOKEN)).toBe(true);
		expect(w.warnings).toEqual([
			'automatic message to a contact of +1 555-013-3700 may have been sent (no answer from WhatsApp): NetworkError',
		]);
	});

	it('forgets the offline notice once the contact’s messages are in a room', async () => {
		const w = await world();
		await w.auto.onWaitingForAgent({ number: w.number, waId: CARLA });
		await w.auto.forgetOfflineNotice({ number: w.number, waId: CARLA });
		await w.auto.onWaitingForAgent({ number: w.number, waId: CARLA });
		expect(w.sent().map((b) => b.text.body)).toEqual(['We are closed', 'We are closed']);
	});

	it('says goodbye when the room closes inside the window only', async () => {
		const w = await world();
		await w.auto.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA, roomId: 'r1' });
		expect(w.sent()).toEqual([]);
		await w.windows.put(TOKEN, { at: T0 - WINDOW_MS });
		await w.auto.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA, roomId: 'r1' });
		expect(w.sent()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				type: 'text',
				text: { body: 'Bye, see https://acme.example', preview_url: true },
			},
		]);
		w.clock.at += 1;
		await w.auto.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA, roomId: 'r1' });
		expect(w.sent()).toHaveLength(1);
	});

	it('says no goodbye to a number the contact changed from, the window still open', async () => {
		const w = await world();
		await w.windows.put(TOKEN, { at: T0 - 1000, movedTo: { waId: '5511911112222', at: T0 - 500 } });
		await w.auto.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA, roomId: 'r1' });
		expect(w.requests).toEqual([]);
	});

	it('sends nothing a number does not have', async () => {
		const w = await world({ ...NUMBER });
		await w.windows.put(TOKEN, { at: T0 });
		await w.auto.onNewConversation({ number: w.number, waId: CARLA, room: { id: 'r1' } });
		await w.auto.onWaitingForAgent({ number: w.number, waId: CARLA });
		await w.auto.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA, roomId: 'r1' });
		expect(w.requests).toEqual([]);
	});
});
