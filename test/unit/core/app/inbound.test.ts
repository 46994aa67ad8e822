import { AutoMessages } from '../../../../src/core/app/autoMessages';
import { contactKey, InvalidDepartment } from '../../../../src/core/app/conversations';
import { WaitingForAgent } from '../../../../src/core/app/errors';
import { InboundService, ReadReceipts } from '../../../../src/core/app/inbound';
import { InboundMediaInput, MediaOutcome } from '../../../../src/core/app/inboundMedia';
import { settingsOf, SettingKey } from '../../../../src/core/app/settings';
import { SentMessage } from '../../../../src/core/app/ports';
import { NoticeJob, reachOf, WindowNotices } from '../../../../src/core/app/window';
import { ConnectedNumber } from '../../../../src/core/numbers/ConnectedNumber';
import { InboundMessageEvent } from '../../../../src/core/status/webhook';
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
	t,
	T0,
} from './fakes-inbound';

const SECOND: ConnectedNumber = {
	...NUMBER,
	phoneNumberId: '106540352249999',
	displayPhoneNumber: '+1 555-013-9999',
	departmentId: 'sales',
};
const WELCOMING: ConnectedNumber = { ...NUMBER, welcomeMessage: 'Welcome!', offlineMessage: 'Nobody here' };

let seq = 0;
function textEvent(text: string, options: { number?: ConnectedNumber; context?: string; at?: number } = {}): InboundMessageEvent {
	const number = options.number ?? NUMBER;
	const wamid = `wamid.IN${++seq}`;
	const raw: Record<string, unknown> = {
		from: CARLA,
		id: wamid,
		timestamp: String(Math.floor((options.at ?? T0) / 1000)),
		type: 'text',
		text: { body: text },
	};
	if (options.context) raw.context = { from: CARLA, id: options.context };
	return {
		kind: 'message',
		phoneNumberId: number.phoneNumberId,
		displayPhoneNumber: number.displayPhoneNumber,
		wamid,
		from: CARLA,
		waId: CARLA,
		type: 'text',
		timestamp: raw.timestamp as string,
		contactName: 'Carla',
		raw,
	};
}

/**
 * The service handles `event` while `target[method]` fails (a database briefly unavailable): the
 * handling fails; `meanwhile` runs; then, the method restored, the retry handles it.
 */
async function failingOnce<T extends object>(
	w: { service: InboundService },
	target: T,
	method: keyof T & string,
	event: InboundMessageEvent,
	meanwhile?: () => Promise<void>,
): Promise<void> {
	const original = target[method];
	Object.assign(target, {
		[method]: async () => {
			throw new Error('database briefly unavailable');
		},
	});
	await expect(w.service.handle(event, { finalAttempt: false })).rejects.toThrow('database briefly unavailable');
	await meanwhile?.();
	Object.assign(target, { [method]: original });
	await w.service.handle(event, { finalAttempt: false });
}

async function world(
	options: {
		numbers?: ConnectedNumber[];
		settings?: Partial<Record<SettingKey, unknown>>;
		media?: (input: InboundMediaInput) => Promise<MediaOutcome>;
	} = {},
) {
	const clock = new FakeClock();
	const send = freeFormWorld({ clock });
	const messages = new MemoryMessageLog();
	const numbers = await numbersWith(...(options.numbers ?? [WELCOMING]));
	const conversations = new FakeConversations();
	const windows = new MemoryWindows();
	const settings = settingsOf(options.settings);
	const scheduled: Array<{ job: NoticeJob; when: number }> = [];
	const notices = new WindowNotices({
		windows,
		scheduler: { schedule: async (job, when) => void scheduled.push({ job, when }) },
		settings,
		clock,
		conversations,
		translator: async () => t,
	});
	const autoMessages = new AutoMessages({ sender: send.sender, marks: messages, conversations, numbers, windows, clock });
	const receipts = new ReadReceipts({ numbers, windows, graph: send.graph, settings });
	const mediaInputs: InboundMediaInput[] = [];
	const logs: string[] = [];
	const media = {
		post: async (input: InboundMediaInput) => {
			mediaInputs.push(input);
			return options.media ? options.media(input) : { posted: true, uploadId: 'up1' };
		},
	};
	const service = new InboundService({
		messages,
		numbers,
		conversations,
		windows,
		notices,
		media,
		autoMessages,
		receipts,
		settings,
		clock,
		translator: async () => t,
		siteUrl: async () => 'https://chat.example',
		logger: { info: (m) => void logs.push(m), warn: (m) => void logs.push(m), error: (m) => void logs.push(m) },
	});
	const texts = () => send.sent().map((b) => b.text?.body ?? b.status);
	return {
		...send,
		service,
		messages,
		conversations,
		windows,
		scheduled,
		mediaInputs,
		receipts,
		clock,
		texts,
		logs,
		numbers,
		autoMessages,
	};
}

describe('InboundService', () => {
	it('posts a message it cannot describe as unreadable, once, and logs its wamid and the error by name (never its text)', async () => {
		const w = await world();
		const event = textEvent('Hola');
		event.raw = {
			...event.raw,
			get text(): unknown {
				throw new RangeError('Maximum call stack size exceeded');
			},
		};
		await w.service.handle(event, { finalAttempt: false });
		expect(w.conversations.textsOf('r1')).toEqual(['⚠️ The contact sent a message the app could not read (text).']);
		expect(w.logs).toEqual([`inbound message ${event.wamid}: shown as one the app could not read (RangeError)`]);
		expect(await w.messages.isSeen(event.wamid)).toBe(true);
	});

	it('puts a new contact’s message in a new room of the number’s department, once', async () => {
		const w = await world();
		const event = textEvent('Hello');
		await w.service.handle(event, { finalAttempt: false });
		await w.service.handle(event, { finalAttempt: false });

		expect(w.conversations.visitors).toEqual([
			{
				id: 'v1',
				token: `whatsapp:${NUMBER.phoneNumberId}:${CARLA}`,
				username: `whatsapp-${NUMBER.phoneNumberId}-${CARLA}`,
				name: 'Carla',
				department: 'support',
			},
		]);
		expect(w.conversations.rooms).toMatchObject([{ id: 'r1', departmentId: 'support', open: true }]);
		expect(w.conversations.textsOf('r1')).toEqual(['Hello']);
		expect(await w.messages.isSeen(event.wamid)).toBe(true);
		expect(await w.messages.linkOfWamid(event.wamid)).toEqual({
			wamid: event.wamid,
			rcMessageId: 'm1',
			roomId: 'r1',
			at: new Date(T0).toISOString(),
		});
		// The window opened at the message's time, and its notice is scheduled an hour before it closes.
		const token = contactKey(NUMBER.phoneNumberId, CARLA);
		expect(await w.windows.get(token)).toEqual({ at: T0, wamid: event.wamid, noticeFor: T0 });
		expect(w.scheduled).toEqual([{ job: { token, at: T0, phase: 'closing' }, when: T0 + 23 * 3600000 }]);
		// Welcome (nobody online: the offline message too), sent once.
		expect(w.sent()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				type: 'text',
				text: { body: 'Welcome!', preview_url: false },
			},
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				type: 'text',
				text: { body: 'Nobody here', preview_url: false },
			},
		]);
		// Not served: no read receipt.
		expect(w.requests.filter((r) => String(r.body).includes('"status":"read"'))).toEqual([]);
	});

	it('posts nothing of a message to a number that is not connected (any more), and logs it by its ids', async () => {
		const w = await world();
		const event = textEvent('Hello', { number: SECOND });
		await w.service.handle(event, { finalAttempt: false });
		expect(w.conversations.visitors).toEqual([]);
		expect(w.requests).toEqual([]);
		expect(w.logs).toEqual([`number ${SECOND.phoneNumberId}: message ${event.wamid} not posted: the number is no longer connected`]);
	});

	it('keeps one visitor and one room per number for the same WhatsApp id', async () => {
		const w = await world({ numbers: [NUMBER, SECOND] });
		await w.service.handle(textEvent('to support'), { finalAttempt: false });
		await w.service.handle(textEvent('to sales', { number: SECOND }), { finalAttempt: false });
		await w.service.handle(textEvent('again'), { finalAttempt: false });
		expect(w.conversations.visitors.map((v) => [v.username, v.department])).toEqual([
			[`whatsapp-${NUMBER.phoneNumberId}-${CARLA}`, 'support'],
			[`whatsapp-${SECOND.phoneNumberId}-${CARLA}`, 'sales'],
		]);
		expect(w.conversations.textsOf('r1')).toEqual(['to support', 'again']);
		expect(w.conversations.textsOf('r2')).toEqual(['to sales']);
	});

	it('waits for an agent: the offline message once, then the welcome when the room opens', async () => {
		const w = await world();
		w.conversations.noAgentOnline = true;
		const first = textEvent('anyone?');
		await expect(w.service.handle(first, { finalAttempt: false })).rejects.toBeInstanceOf(WaitingForAgent);
		await expect(w.service.handle(textEvent('hello?'), { finalAttempt: false })).rejects.toBeInstanceOf(WaitingForAgent);
		expect(w.texts()).toEqual(['Nobody here']);
		expect(await w.messages.isSeen(first.wamid)).toBe(false);

		w.conversations.noAgentOnline = false;
		w.conversations.online.add('support');
		await w.service.handle(first, { finalAttempt: false });
		expect(w.conversations.textsOf('r1')).toEqual(['anyone?']);
		expect(w.texts()).toEqual(['Nobody here', 'Welcome!']);
	});

	it("opens the contact's window on a retry when recording it failed: never a message seen with its window left closed", async () => {
		const w = await world({ numbers: [NUMBER] });
		const event = textEvent('Hello');
		await failingOnce(w, w.windows, 'put', event);
		expect(w.conversations.textsOf('r1')).toEqual(['Hello']);
		expect(await w.windows.get(contactKey(NUMBER.phoneNumberId, CARLA))).toMatchObject({ at: T0, wamid: event.wamid });
	});

	it.each([60, 0])(
		'counts the latest of two messages sent in the same second in the window (the one an agent marks read), also after a redelivery (notices %i min)',
		async (minutes) => {
			const w = await world({ numbers: [NUMBER], settings: { windowNoticeMinutes: minutes } });
			const [first, second] = [textEvent('photo 1'), textEvent('photo 2')];
			await w.service.handle(first, { finalAttempt: false });
			await w.service.handle(second, { finalAttempt: false });
			// Meta delivers the first again: seen, and the window keeps the later message.
			await w.service.handle(first, { finalAttempt: false });
			expect(await w.windows.get(contactKey(NUMBER.phoneNumberId, CARLA))).toMatchObject({ at: T0, wamid: second.wamid });
			expect(w.conversations.textsOf('r1')).toEqual(['photo 1', 'photo 2']);
		},
	);

	it('sends the welcome on a retry when the room was opened but the message failed after it', async () => {
		const w = await world();
		const event = textEvent('Hello');
		await failingOnce(w, w.conversations, 'postAsVisitor', event, async () => {
			expect(w.texts()).toEqual([]);
		});
		expect(w.conversations.rooms).toHaveLength(1);
		expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
	});

	it('posts a message once when marking it seen failed after it was posted: the retries mark it, never post it again', async () => {
		const w = await world({ numbers: [NUMBER] });
		const event = textEvent('Hello');
		const markSeen = w.messages.markSeen.bind(w.messages);
		let failing = 2;
		w.messages.markSeen = async (wamid: string) => {
			if (failing-- > 0) throw new Error('database briefly unavailable');
			return markSeen(wamid);
		};
		await expect(w.service.handle(event, { finalAttempt: false })).rejects.toThrow('database briefly unavailable');
		await expect(w.service.handle(event, { finalAttempt: false })).rejects.toThrow('database briefly unavailable');
		await w.service.handle(event, { finalAttempt: false });
		const posts = w.conversations.posts.filter((p) => p.text === 'Hello');
		expect(posts).toHaveLength(1);
		expect(await w.messages.isSeen(event.wamid)).toBe(true);
		// The steps after the post are taken: the link an agent's quote and a revoke need.
		expect(await w.messages.linkOfWamid(event.wamid)).toMatchObject({ rcMessageId: posts[0].id, roomId: posts[0].roomId });
	});

	it('never posts a message again when its room closed between a failed markSeen and the retry: linked there, no new room, no welcome', async () => {
		const w = await world({ numbers: [WELCOMING] });
		const event = textEvent('Hello');
		await failingOnce(w, w.messages, 'markSeen', event, async () => {
			// The agent closes the conversation before the retry.
			w.conversations.rooms[0].open = false;
		});
		expect(w.conversations.rooms).toHaveLength(1);
		expect(w.conversations.posts.filter((p) => p.text === 'Hello')).toEqual([expect.objectContaining({ roomId: 'r1' })]);
		expect(await w.messages.isSeen(event.wamid)).toBe(true);
		expect(await w.messages.linkOfWamid(event.wamid)).toMatchObject({ roomId: 'r1', rcMessageId: 'm1' });
		expect(w.texts()).toEqual([]);
	});

	it('welcomes a new room on the retry that takes up after a failed markSeen, while the room is open', async () => {
		const w = await world({ numbers: [WELCOMING] });
		const event = textEvent('Hello');
		await failingOnce(w, w.messages, 'markSeen', event);
		expect(w.conversations.textsOf('r1')).toEqual(['Hello']);
		expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
	});

	describe('routing of a reply to a template', () => {
		async function routed(send: { targetAgent?: string; targetDepartment?: string; hoursAgo: number }, agent?: { status: string }) {
			const w = await world({ numbers: [NUMBER] });
			if (agent)
				w.conversations.agents.set('dave', { username: 'dave', roles: ['livechat-agent'], enabled: true, status: agent.status });
			return routedIn(w, send);
		}
		/** Carla answers a template sent `hoursAgo` with that routing: her new room. */
		async function routedIn(
			w: Awaited<ReturnType<typeof world>>,
			send: { targetAgent?: string; targetDepartment?: string; hoursAgo: number },
		) {
			w.conversations.departments.set('Sales', 'sales-id');
			const { hoursAgo, ...target } = send;
			await w.messages.record({
				phoneNumberId: NUMBER.phoneNumberId,
				connectedWhatsAppNo: '15550133700',
				mobileNo: CARLA,
				message: 'hello',
				type: 'Template-Message',
				sentAt: new Date(T0 - hoursAgo * 3600000).toISOString(),
				wamid: 'wamid.T',
				...target,
			});
			await w.service.handle(textEvent('reply'), { finalAttempt: false });
			return w.conversations.rooms[0];
		}

		it('goes to the requested agent when available, within the department asked for', async () => {
			expect(await routed({ targetAgent: 'dave', targetDepartment: 'Sales', hoursAgo: 1 }, { status: 'online' })).toMatchObject({
				servedBy: 'dave',
				departmentId: 'sales-id',
			});
		});

		it('stays with the number’s department when the target department was deleted since the send', async () => {
			const w = await world({ numbers: [NUMBER] });
			w.conversations.departmentId = async (idOrName) => (idOrName === 'support' ? 'support' : undefined);
			expect(await routedIn(w, { targetDepartment: 'Sales', hoursAgo: 1 })).toMatchObject({ departmentId: 'support', open: true });
			expect(w.conversations.textsOf('r1')).toEqual(['reply']);
		});

		it('opens the room without a department, logged, when the target department is deleted while the visitor is moved', async () => {
			const w = await world({ numbers: [NUMBER] });
			w.conversations.moveVisitor = async () => {
				throw new InvalidDepartment();
			};
			expect(await routedIn(w, { targetDepartment: 'Sales', hoursAgo: 1 })).toMatchObject({ departmentId: undefined, open: true });
			expect(w.conversations.textsOf('r1')).toEqual(['reply']);
			expect(w.logs).toEqual([expect.stringContaining('department sales-id no longer exists')]);
		});

		it('logs a deleted number department once for a new contact (its visitor and its room both find it gone)', async () => {
			const w = await world({ numbers: [NUMBER] });
			w.conversations.departments.delete('support');
			const visitor = w.conversations.visitor.bind(w.conversations);
			w.conversations.visitor = async (spec) => {
				if (spec.departmentId) throw new InvalidDepartment();
				return visitor(spec);
			};
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			expect(w.conversations.rooms[0]).toMatchObject({ departmentId: undefined, open: true });
			expect(w.logs).toEqual([expect.stringContaining('department support no longer exists')]);
		});

		it('keeps the number’s department when looking it up fails (a move to a deleted one would tell)', async () => {
			const w = await world({ numbers: [NUMBER] });
			w.conversations.departmentId = async () => {
				throw new Error('bridge down');
			};
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			expect(w.conversations.rooms[0]).toMatchObject({ departmentId: 'support', open: true });
			expect(w.logs).toEqual([]);
		});

		it('opens a returning contact’s room without the number’s department once it is deleted (the visitor kept it), logged', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			expect(w.conversations.rooms[0]).toMatchObject({ departmentId: 'support' });
			w.conversations.rooms[0].open = false;
			w.conversations.departments.delete('support');
			await w.service.handle(textEvent('again'), { finalAttempt: false });
			expect(w.conversations.rooms[1]).toMatchObject({ departmentId: undefined, open: true });
			expect(w.logs).toEqual([expect.stringContaining('department support no longer exists')]);
		});
		it('goes to the department when the agent is offline, and to the number’s once the routing expired', async () => {
			expect(await routed({ targetAgent: 'dave', targetDepartment: 'Sales', hoursAgo: 1 }, { status: 'offline' })).toMatchObject({
				servedBy: undefined,
				departmentId: 'sales-id',
			});
			expect(await routed({ targetAgent: 'dave', targetDepartment: 'Sales', hoursAgo: 73 }, { status: 'online' })).toMatchObject({
				servedBy: undefined,
				departmentId: 'support',
			});
		});

		it('leaves no department behind: once the routing expired, a number without one opens the room without one', async () => {
			const w = await world({ numbers: [{ ...NUMBER, departmentId: undefined }] });
			expect(await routedIn(w, { targetDepartment: 'Sales', hoursAgo: 1 })).toMatchObject({ departmentId: 'sales-id' });
			w.conversations.rooms[0].open = false;
			// Days later, the template's routing long expired: the contact writes again.
			w.clock.at = T0 + 73 * 3600000;
			await w.service.handle(textEvent('again', { at: w.clock.at }), { finalAttempt: false });
			expect(w.conversations.rooms[1]).toMatchObject({ open: true, departmentId: undefined });
			expect(w.conversations.textsOf('r2')).toEqual(['again']);
		});

		it('opens the room without a department once the admin cleared the number’s, the visitor created with it', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('first'), { finalAttempt: false });
			expect(w.conversations.rooms[0]).toMatchObject({ departmentId: 'support' });
			w.conversations.rooms[0].open = false;
			await w.service.handle(textEvent('with a department'), { finalAttempt: false });
			expect(w.conversations.rooms[1]).toMatchObject({ departmentId: 'support' });
			w.conversations.rooms[1].open = false;
			await w.numbers.save({ ...NUMBER, departmentId: undefined });
			await w.service.handle(textEvent('cleared'), { finalAttempt: false });
			expect(w.conversations.rooms[2]).toMatchObject({ open: true, departmentId: undefined });
			// A department set again applies again.
			w.conversations.rooms[2].open = false;
			w.conversations.departments.set('Sales', 'sales-id');
			await w.numbers.save({ ...NUMBER, departmentId: 'sales-id' });
			await w.service.handle(textEvent('set again'), { finalAttempt: false });
			expect(w.conversations.rooms[3]).toMatchObject({ departmentId: 'sales-id' });
		});
	});

	describe('a contact who changes their number (user_changed_number)', () => {
		const NEW = '5511911112222';
		const OLD = contactKey(NUMBER.phoneNumberId, CARLA);
		const NEXT = contactKey(NUMBER.phoneNumberId, NEW);
		/** Meta's system message: `from` changed to `to`, sent at `at`; the payload's contact `contactWaId` (the sender's by default). */
		function numberChange(options: { at: number; from?: string; to?: string; contactWaId?: string }): InboundMessageEvent {
			const [from, to] = [options.from ?? CARLA, options.to ?? NEW];
			const base = textEvent('', { at: options.at });
			const system = { body: `User Carla changed from ${from} to ${to}`, wa_id: to, type: 'user_changed_number' };
			const raw = { from, id: base.wamid, timestamp: base.timestamp, type: 'system', system };
			return { ...base, from, waId: options.contactWaId ?? from, type: 'system', raw };
		}
		function fromNumber(waId: string, text: string, at: number): InboundMessageEvent {
			const event = textEvent(text, { at });
			return { ...event, from: waId, waId, raw: { ...event.raw, from: waId } };
		}
		const note = (roomId: string, at = T0 + 60000, from = CARLA) =>
			`${t('inbound_moved_from', { number: from, date: new Date(at).toISOString().slice(0, 10) })}\n${t('inbound_moved_from_room', { link: `https://chat.example/live/${roomId}` })}`;

		it('is recorded on the old number’s window and shown in its open room, once (a retry after a failure records nothing again); a later message from the old number is someone’s who has it now, and lifts it', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			const change = numberChange({ at: T0 + 60000 });
			await failingOnce(w, w.conversations, 'postAsVisitor', change);
			await w.service.handle(change, { finalAttempt: false });
			expect(await w.windows.get(OLD)).toMatchObject({ movedTo: { waId: NEW, at: T0 + 60000 } });
			expect(await w.windows.get(NEXT)).toEqual({ at: 0, movedFrom: { waId: CARLA, at: T0 + 60000, roomId: 'r1' } });
			expect(w.conversations.textsOf('r1')).toEqual(['hello', expect.stringContaining('changed from')]);
			expect(w.logs.filter((l) => l.includes('changed their WhatsApp number'))).toHaveLength(1);

			await w.service.handle(textEvent('I have this number now', { at: T0 + 120000 }), { finalAttempt: false });
			expect((await w.windows.get(OLD))?.movedTo).toBeUndefined();
			expect((await w.windows.get(OLD))?.at).toBe(T0 + 120000);
		});

		it('held behind the contact’s earlier messages, is recorded at once; in its turn it is posted and not recorded again, and the earlier messages leave it', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			const change = numberChange({ at: T0 + 60000 });
			await w.service.heldBack(change);
			await w.service.heldBack(textEvent('not a change', { at: T0 + 90000 }));
			expect(await w.windows.get(OLD)).toMatchObject({ at: T0, movedTo: { waId: NEW, at: T0 + 60000 } });
			expect(w.conversations.textsOf('r1')).toEqual(['hello']);
			// The earlier message that waited, then the change, in their turn.
			await w.service.handle(textEvent('sent before the change', { at: T0 + 30000 }), { finalAttempt: false });
			await w.service.handle(change, { finalAttempt: false });
			expect(await w.windows.get(OLD)).toMatchObject({ movedTo: { waId: NEW, at: T0 + 60000 } });
			expect(w.conversations.textsOf('r1')).toEqual(['hello', 'sent before the change', expect.stringContaining('changed from')]);
			expect(w.logs.filter((l) => l.includes('changed their WhatsApp number'))).toHaveLength(1);
		});

		it('held behind messages that open a new conversation, notes the new number’s open conversation in its turn, linking that conversation', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			w.conversations.rooms[0].open = false;
			await w.service.handle(fromNumber(NEW, 'hi from my new number', T0 + 10000), { finalAttempt: false });
			const change = numberChange({ at: T0 + 60000 });
			await w.service.heldBack(change);
			// Not noted yet: the conversation the waiting message goes to is not known.
			expect(w.conversations.textsOf('r2')).toEqual(['hi from my new number']);
			await w.service.handle(textEvent('sent before the change', { at: T0 + 30000 }), { finalAttempt: false });
			await w.service.handle(change, { finalAttempt: false });
			expect(w.conversations.textsOf('r3')).toEqual(['sent before the change', expect.stringContaining('changed from')]);
			expect(w.conversations.textsOf('r2')).toEqual(['hi from my new number', note('r3')]);
			// Once: Meta's redelivery of the change notes nothing again.
			await w.service.handle(change, { finalAttempt: false });
			expect(w.conversations.textsOf('r2')).toHaveLength(2);
		});

		it('is the sender’s (the old number’s) even when the payload names the new number as its contact', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 60000, contactWaId: NEW }), { finalAttempt: false });
			expect(await w.windows.get(OLD)).toMatchObject({ movedTo: { waId: NEW } });
			expect(w.conversations.rooms).toHaveLength(1);
		});

		it('sends nothing to the old number for a message of theirs Meta delivers late: no welcome, no offline message', async () => {
			const w = await world({ numbers: [WELCOMING] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
			w.conversations.rooms[0].open = false;
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			await w.service.handle(textEvent('sent before the change', { at: T0 + 30000 }), { finalAttempt: false });
			expect(w.conversations.textsOf('r2')).toEqual(['sent before the change']);
			expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
			expect(await w.windows.get(OLD)).toMatchObject({ movedTo: { waId: NEW } });
		});

		it('changes nothing when Meta delivers it after a later message from the old number (its new owner wrote)', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello', { at: T0 + 120000 }), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			expect((await w.windows.get(OLD))?.movedTo).toBeUndefined();
			expect(await w.windows.get(NEXT)).toBeUndefined();
		});

		it('and back (A to B, then B to A): the old number is the contact’s again, and the other one is left', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 120000, from: NEW, to: CARLA }), { finalAttempt: false });
			// Noted at once in the old number's room, open still.
			expect(await w.windows.get(OLD)).toEqual({
				at: T0 + 60000,
				wamid: expect.any(String),
				noticeFor: T0,
				movedFrom: { waId: NEW, at: T0 + 120000, noted: true },
			});
			expect(w.conversations.textsOf('r1')).toEqual([
				'hello',
				expect.stringContaining('changed from'),
				t('inbound_moved_from', { number: NEW, date: new Date(T0 + 120000).toISOString().slice(0, 10) }),
			]);
			expect(await w.windows.get(NEXT)).toEqual({ at: 0, movedTo: { waId: CARLA, at: T0 + 120000 } });
		});

		it('links the earlier conversation in the first message from the new number, once', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			await w.service.handle(fromNumber(NEW, 'Hi, new number', T0 + 120000), { finalAttempt: false });
			expect(w.conversations.rooms.map((r) => [r.id, r.visitorToken])).toEqual([
				['r1', OLD],
				['r2', NEXT],
			]);
			expect(w.conversations.textsOf('r2')).toEqual(['Hi, new number', note('r1')]);
			expect((await w.windows.get(NEXT))?.movedFrom).toMatchObject({ noted: true });
			// Their next conversation from it says nothing more.
			w.conversations.rooms[1].open = false;
			await w.service.handle(fromNumber(NEW, 'Hi again', T0 + 180000), { finalAttempt: false });
			expect(w.conversations.textsOf('r3')).toEqual(['Hi again']);
		});

		it('links the old number’s last conversation when none was open, and notes at once in the new number’s open one', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			w.conversations.rooms[0].open = false;
			// The new number writes first (Meta's order), then the change comes.
			await w.service.handle(fromNumber(NEW, 'Hi, new number', T0 + 30000), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			expect(w.conversations.textsOf('r2')).toEqual(['Hi, new number', note('r1')]);
			expect((await w.windows.get(NEXT))?.movedFrom).toMatchObject({ noted: true });
			await w.service.handle(fromNumber(NEW, 'still me', T0 + 90000), { finalAttempt: false });
			expect(w.conversations.textsOf('r2')).toEqual(['Hi, new number', note('r1'), 'still me']);
		});

		it('notes once when writing the old number’s window failed after the note: the retry finds the change written on the new number', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(fromNumber(NEW, 'Hi, new number', T0 + 30000), { finalAttempt: false });
			const put = w.windows.put.bind(w.windows);
			let failing = true;
			w.windows.put = async (token, record) => {
				if (failing && token === OLD && record.movedTo) {
					failing = false;
					throw new Error('database briefly unavailable');
				}
				return put(token, record);
			};
			const change = numberChange({ at: T0 + 60000 });
			await expect(w.service.handle(change, { finalAttempt: false })).rejects.toThrow('database briefly unavailable');
			await w.service.handle(change, { finalAttempt: false });
			expect(w.conversations.textsOf('r2')).toEqual(['Hi, new number', note('r1')]);
			expect(await w.windows.get(OLD)).toMatchObject({ movedTo: { waId: NEW } });
		});

		it('changes nothing when the new number changed back to the old one later (Meta delivers the older change last)', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 120000, from: NEW, to: CARLA }), { finalAttempt: false });
			const marks = async () =>
				[await w.windows.get(OLD), await w.windows.get(NEXT)].map((window) => ({ to: window?.movedTo, from: window?.movedFrom }));
			const before = await marks();
			expect(before).toEqual([
				{ to: undefined, from: { waId: NEW, at: T0 + 120000, noted: true } },
				{ to: { waId: CARLA, at: T0 + 120000 }, from: undefined },
			]);
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			expect(await marks()).toEqual(before);
		});

		it('notes nothing on a retry into a room closed meanwhile, nor past 30 days after the change', async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(numberChange({ at: T0 + 60000 }), { finalAttempt: false });
			// The new number's first message: posted, marking it seen fails; the room closes before the retry.
			await failingOnce(w, w.messages, 'markSeen', fromNumber(NEW, 'Hi, new number', T0 + 120000), async () => {
				w.conversations.rooms[1].open = false;
			});
			expect(w.conversations.textsOf('r2')).toEqual(['Hi, new number']);
			expect((await w.windows.get(NEXT))?.movedFrom?.noted).toBeUndefined();
			// Its next conversation, 31 days after the change: too late to say; marked all the same.
			w.clock.at = T0 + 60000 + 31 * 86400000;
			await w.service.handle(fromNumber(NEW, 'Hi again', w.clock.at), { finalAttempt: false });
			expect(w.conversations.textsOf('r3')).toEqual(['Hi again']);
			expect((await w.windows.get(NEXT))?.movedFrom).toMatchObject({ noted: true });
		});
	});

	it('shows a reaction or a system message in the open conversation, and never opens one for it (no welcome)', async () => {
		const w = await world({ numbers: [WELCOMING] });
		const passive = (type: 'reaction' | 'system', body: Record<string, unknown>): InboundMessageEvent => {
			const event = textEvent('');
			const raw = { from: CARLA, id: event.wamid, timestamp: event.timestamp, type, [type]: body };
			return { ...event, type, raw };
		};
		await w.service.handle(passive('reaction', { message_id: 'wamid.BYE', emoji: '👍' }), { finalAttempt: false });
		await w.service.handle(
			passive('system', {
				body: 'User Carla changed from 5511987654321 to 5511911112222',
				wa_id: '5511911112222',
				type: 'user_changed_number',
			}),
			{ finalAttempt: false },
		);
		expect(w.conversations.rooms).toEqual([]);
		expect(w.conversations.visitors).toEqual([]);
		expect(w.texts()).toEqual([]);
		expect(w.logs).toEqual([
			`number ${WELCOMING.phoneNumberId}: a contact's reaction without an open conversation is not shown`,
			`number ${WELCOMING.phoneNumberId}: a contact changed their WhatsApp number; nothing more is sent to the old one`,
			`number ${WELCOMING.phoneNumberId}: a contact's system without an open conversation is not shown`,
		]);

		// Written after the change: whoever has the number now (test below), welcomed.
		await w.service.handle(textEvent('hello', { at: T0 + 1000 }), { finalAttempt: false });
		const reaction = passive('reaction', { message_id: 'wamid.UNKNOWN', emoji: '❤️' });
		await w.service.handle(reaction, { finalAttempt: false });
		expect(w.conversations.rooms).toHaveLength(1);
		expect(w.conversations.textsOf('r1')).toEqual(['hello', t('inbound_reaction', { emoji: '❤️' })]);
		// The conversation's own automatic messages, once: the reaction sent nothing.
		expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
	});

	it('shows an unsupported action on an earlier message (an edit, a pin...) in the open conversation, never opening one (no welcome)', async () => {
		const w = await world({ numbers: [WELCOMING] });
		const unsupported = (kind: string): InboundMessageEvent => {
			const event = textEvent('');
			const raw = {
				from: CARLA,
				id: event.wamid,
				timestamp: event.timestamp,
				type: 'unsupported',
				unsupported: { type: kind },
				errors: [
					{ code: 131051, title: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } },
				],
			};
			return { ...event, type: 'unsupported', raw };
		};
		const edit = unsupported('edit');
		await w.service.handle(edit, { finalAttempt: false });
		await w.service.handle(edit, { finalAttempt: false });
		await w.service.handle(unsupported('pin'), { finalAttempt: false });
		expect(w.conversations.rooms).toEqual([]);
		expect(w.conversations.visitors).toEqual([]);
		expect(w.texts()).toEqual([]);
		expect(await w.windows.get(contactKey(WELCOMING.phoneNumberId, CARLA))).toBeUndefined();
		expect(w.logs).toEqual([
			`number ${WELCOMING.phoneNumberId}: a contact's edit (unsupported) without an open conversation is not shown`,
			`number ${WELCOMING.phoneNumberId}: a contact's pin (unsupported) without an open conversation is not shown`,
		]);

		// Something new the app cannot show (a poll) is a message of the contact's: it opens the conversation.
		await w.service.handle(unsupported('poll_creation'), { finalAttempt: false });
		expect(w.conversations.rooms).toHaveLength(1);
		await w.service.handle(unsupported('edit'), { finalAttempt: false });
		expect(w.conversations.textsOf('r1')).toEqual([t('inbound_unsupported_poll_creation'), t('inbound_unsupported_edit')]);
		expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
	});

	describe('a contact by number whose business-scoped user id (BSUID) Meta names too', () => {
		const BSUID = 'BR.1502576394655843';
		const BY_NUMBER = contactKey(NUMBER.phoneNumberId, CARLA);
		const BY_BSUID = contactKey(NUMBER.phoneNumberId, BSUID);
		/** The ids of the visitors the service made (their tokens' last part). */
		const contactsOf = (w: { conversations: FakeConversations }) => w.conversations.visitors.map((v) => v.token.split(':').pop());
		/** The tokens of the window records written from now on, in order. */
		const tokensPut = (w: { windows: MemoryWindows }): string[] => {
			const puts: string[] = [];
			const put = w.windows.put.bind(w.windows);
			w.windows.put = async (token, record) => {
				puts.push(token);
				return put(token, record);
			};
			return puts;
		};
		/** A message of Carla's naming her number and her BSUID, as Meta's do since April 2026. */
		const withBoth = (text: string, options: { at?: number; context?: string } = {}): InboundMessageEvent => {
			const event = textEvent(text, options);
			return { ...event, userId: BSUID, raw: { ...event.raw, from_user_id: BSUID } };
		};
		/** A message of hers by the BSUID alone: Meta withholds her number (as the webhook parser gives it). */
		const byBsuidAlone = (text: string, options: { at?: number; context?: string } = {}): InboundMessageEvent => {
			const event = textEvent(text, options);
			const { from: _from, ...raw } = event.raw;
			return { ...event, from: BSUID, waId: BSUID, raw: { ...raw, from_user_id: BSUID } };
		};

		it('links the BSUID to her number with her first message naming both, once; her messages by the BSUID alone go on in its conversation', async () => {
			const w = await world({ numbers: [NUMBER] });
			const puts = tokensPut(w);
			await w.service.handle(withBoth('hello'), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });
			await w.service.handle(withBoth('again', { at: T0 + 1000 }), { finalAttempt: false });
			expect(puts.filter((token) => token === BY_BSUID)).toHaveLength(1);

			const hidden = byBsuidAlone('number hidden now', { at: T0 + 2000 });
			await w.service.handle(hidden, { finalAttempt: false });
			expect(w.conversations.rooms).toHaveLength(1);
			expect(contactsOf(w)).toEqual([CARLA]);
			expect(w.conversations.textsOf('r1')).toEqual(['hello', 'again', 'number hidden now']);
			// Her number's window counts the message; the BSUID's record stays a link.
			expect(await w.windows.get(BY_NUMBER)).toMatchObject({ at: T0 + 2000, wamid: hidden.wamid });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });
		});

		it("keeps a BSUID's link when a message names it with another number, and never links a BSUID the app knows by its own window", async () => {
			const w = await world({ numbers: [NUMBER] });
			const OTHER_NUMBER = '5511911112222';
			await w.windows.put(BY_BSUID, { at: 0, userOf: OTHER_NUMBER });
			await w.service.handle(withBoth('hello'), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: OTHER_NUMBER });
			expect(w.conversations.textsOf('r1')).toEqual(['hello']);
			// Only Meta's number change notice moves a link (below): the BSUID alone goes on with the linked number.
			await w.service.handle(byBsuidAlone('hidden'), { finalAttempt: false });
			expect(contactsOf(w)).toEqual([CARLA, OTHER_NUMBER]);

			// Another user's BSUID, known by their own conversation first: it goes on by the BSUID, unlinked.
			const OTHER = 'US.13491208655302741918';
			const other = byBsuidAlone('first by BSUID');
			await w.service.handle({ ...other, from: OTHER, waId: OTHER }, { finalAttempt: false });
			const both = textEvent('now with the number');
			await w.service.handle({ ...both, from: '16505551234', waId: '16505551234', userId: OTHER }, { finalAttempt: false });
			expect(w.conversations.textsOf('r3')).toEqual(['first by BSUID', 'now with the number']);
			expect((await w.windows.get(contactKey(NUMBER.phoneNumberId, OTHER)))?.userOf).toBeUndefined();
		});

		const NEW = '5511911112222';
		/** Meta's notice of her number change to NEW, a minute after T0: naming her BSUID, or as its reference shows it. */
		const changedToNew = (namingBsuid: boolean): InboundMessageEvent => {
			const base = namingBsuid ? withBoth('', { at: T0 + 60000 }) : textEvent('', { at: T0 + 60000 });
			const system = { body: `User Carla changed from ${CARLA} to ${NEW}`, wa_id: NEW, type: 'user_changed_number' };
			return { ...base, type: 'system', raw: { ...base.raw, type: 'system', system, text: undefined } };
		};

		it("moves the link with her number change (Meta's notice names the BSUID), and a late message of the old number does not take it back", async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(withBoth('hello'), { finalAttempt: false });
			await w.service.handle(changedToNew(true), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: NEW });
			expect(await w.windows.get(BY_NUMBER)).toMatchObject({ movedTo: { waId: NEW, at: T0 + 60000 } });
			// Written before the change, delivered after it.
			await w.service.handle(withBoth('late', { at: T0 + 30000 }), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: NEW });
			await w.service.handle(byBsuidAlone('from my new phone', { at: T0 + 120000 }), { finalAttempt: false });
			expect(contactsOf(w)).toEqual([CARLA, NEW]);
			// Her new number's conversation, which notes the change and links the earlier one.
			expect(w.conversations.textsOf('r2')).toEqual(['from my new phone', expect.stringContaining('https://chat.example/live/r1')]);
			expect((await w.windows.get(BY_NUMBER))?.movedTo).toEqual({ waId: NEW, at: T0 + 60000 });
		});

		it("follows her number change when neither Meta's notice nor her number's window names the BSUID (a window an earlier version wrote): her messages by the BSUID alone go to the new number, and her next one naming both relinks it", async () => {
			const w = await world({ numbers: [NUMBER] });
			await w.service.handle(withBoth('hello'), { finalAttempt: false });
			const { userId: _kept, ...earlier } = (await w.windows.get(BY_NUMBER))!;
			await w.windows.put(BY_NUMBER, earlier);
			await w.service.handle(changedToNew(false), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });
			// A late message of the old number leaves the link where it is.
			await w.service.handle(withBoth('late', { at: T0 + 30000 }), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });
			await w.service.handle(byBsuidAlone('number hidden', { at: T0 + 120000 }), { finalAttempt: false });
			expect(contactsOf(w)).toEqual([CARLA, NEW]);
			expect(w.conversations.textsOf('r2')[0]).toBe('number hidden');
			// The old number's guard holds: nothing more goes there.
			expect((await w.windows.get(BY_NUMBER))?.movedTo).toEqual({ waId: NEW, at: T0 + 60000 });
			const fromNew = withBoth('from my new phone', { at: T0 + 180000 });
			await w.service.handle({ ...fromNew, from: NEW, waId: NEW, raw: { ...fromNew.raw, from: NEW } }, { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: NEW });
			expect(w.conversations.textsOf('r2').slice(-1)).toEqual(['from my new phone']);
		});

		it('links the BSUID before her message is posted (its post failing, the retry finds it linked) and for a reaction shown nowhere; a reaction by the BSUID alone shows in her conversation', async () => {
			const w = await world({ numbers: [NUMBER] });
			const reaction = (event: InboundMessageEvent): InboundMessageEvent => ({
				...event,
				type: 'reaction',
				raw: { ...event.raw, type: 'reaction', reaction: { message_id: 'wamid.X', emoji: '👍' }, text: undefined },
			});
			await w.service.handle(reaction(withBoth('')), { finalAttempt: false });
			expect(w.conversations.rooms).toEqual([]);
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });

			const fresh = await world({ numbers: [NUMBER] });
			const puts = tokensPut(fresh);
			await failingOnce(fresh, fresh.conversations, 'postAsVisitor', withBoth('hello'), async () => {
				expect(fresh.conversations.textsOf('r1')).toEqual([]);
				expect(await fresh.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });
			});
			expect(puts.filter((token) => token === BY_BSUID)).toHaveLength(1);
			await fresh.service.handle(reaction(byBsuidAlone('')), { finalAttempt: false });
			expect(fresh.conversations.rooms).toHaveLength(1);
			expect(fresh.conversations.textsOf('r1')).toEqual(['hello', expect.stringContaining('👍')]);
		});

		it('routes her new conversation by the latest template with a routing sent to either id', async () => {
			/** Carla's new conversation after templates to `sends` (id, department, hours ago), her message `event`. */
			async function routedAfter(
				sends: Array<[string, string, number]>,
				event: InboundMessageEvent,
				before?: (w: Awaited<ReturnType<typeof world>>) => Promise<void>,
			) {
				const w = await world({ numbers: [NUMBER] });
				w.conversations.departments.set('Sales', 'sales-id');
				w.conversations.departments.set('Billing', 'billing-id');
				await before?.(w);
				for (const [i, [mobileNo, targetDepartment, hoursAgo]] of sends.entries())
					await w.messages.record({
						phoneNumberId: NUMBER.phoneNumberId,
						connectedWhatsAppNo: '15550133700',
						mobileNo,
						message: 'hello',
						type: 'Template-Message',
						sentAt: new Date(T0 - hoursAgo * 3600000).toISOString(),
						wamid: `wamid.T${i}`,
						targetDepartment,
					});
				await w.service.handle(event, { finalAttempt: false });
				return w.conversations.rooms.at(-1)?.departmentId;
			}
			// Sends (to, department, hours ago), the department her reply naming both ids goes to: the latest's.
			const cases: Array<[Array<[string, string, number]>, string]> = [
				[[[BSUID, 'Sales', 1]], 'sales-id'],
				[[[CARLA, 'Sales', 1]], 'sales-id'],
				[
					[
						[CARLA, 'Sales', 2],
						[BSUID, 'Billing', 1],
					],
					'billing-id',
				],
				[
					[
						[BSUID, 'Sales', 2],
						[CARLA, 'Billing', 1],
					],
					'billing-id',
				],
			];
			for (const [sends, department] of cases) expect(await routedAfter(sends, withBoth('reply'))).toBe(department);
			// Her number withheld, the BSUID linked: her conversation by number, routed by the BSUID's template.
			const linked = async (w: Awaited<ReturnType<typeof world>>) => w.windows.put(BY_BSUID, { at: 0, userOf: CARLA });
			expect(await routedAfter([[BSUID, 'Sales', 1]], byBsuidAlone('reply'), linked)).toBe('sales-id');
			// Known by her BSUID (its own window), her number given too: routed by the number's template.
			const known = async (w: Awaited<ReturnType<typeof world>>) => w.windows.put(BY_BSUID, { at: T0 - 7 * 24 * 3600000 });
			expect(await routedAfter([[CARLA, 'Sales', 1]], withBoth('reply'), known)).toBe('sales-id');
			// Neither id's template: the number's department.
			expect(await routedAfter([['5511911112222', 'Sales', 1]], withBoth('reply'))).toBe('support');
		});

		it('names the template her reply answers when it went to her other id', async () => {
			const w = await world({ numbers: [NUMBER] });
			const template = (wamid: string, mobileNo: string) =>
				w.messages.record({
					wamid,
					phoneNumberId: NUMBER.phoneNumberId,
					connectedWhatsAppNo: '15550133700',
					mobileNo,
					message: 'Order A-42 ships today.',
					type: 'Template-Message',
					templateName: 'order_update',
					sentAt: new Date(T0 - 60000).toISOString(),
				});
			await template('wamid.TO_BSUID', BSUID);
			await template('wamid.TO_OTHER', 'US.13491208655302741918');
			await w.service.handle(withBoth('when?', { context: 'wamid.TO_BSUID' }), { finalAttempt: false });
			await w.service.handle(byBsuidAlone('and?', { context: 'wamid.TO_BSUID' }), { finalAttempt: false });
			await w.service.handle(withBoth('who?', { context: 'wamid.TO_OTHER' }), { finalAttempt: false });
			const named = `${t('inbound_reply_template', { template: 'order_update', text: 'Order A-42 ships today.' })}\n`;
			expect(w.conversations.textsOf('r1')).toEqual([`${named}when?`, `${named}and?`, `${t('inbound_reply_unknown')}\nwho?`]);
		});

		it('leaves a link on a number that changed when a late message of a number she had changed from names the BSUID', async () => {
			const w = await world({ numbers: [NUMBER] });
			const THIRD = '5511933334444';
			// CARLA changed to NEW, then NEW to THIRD, neither notice nor window knowing the BSUID: the link is on NEW.
			await w.windows.put(BY_NUMBER, { at: T0, movedTo: { waId: NEW, at: T0 + 30000 } });
			await w.windows.put(contactKey(NUMBER.phoneNumberId, NEW), { at: T0 + 40000, movedTo: { waId: THIRD, at: T0 + 60000 } });
			await w.windows.put(BY_BSUID, { at: 0, userOf: NEW });
			await w.service.handle(withBoth('late', { at: T0 + 10000 }), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: NEW });
			await w.service.handle(byBsuidAlone('number hidden', { at: T0 + 120000 }), { finalAttempt: false });
			expect(contactsOf(w).slice(-1)).toEqual([THIRD]);
		});

		it('fails her message when the link cannot be written, before posting it; the retry links it and posts it once', async () => {
			const w = await world({ numbers: [NUMBER] });
			const first = withBoth('hello');
			await failingOnce(w, w.windows, 'put', first, async () => {
				expect(w.conversations.rooms).toEqual([]);
				expect(await w.messages.isSeen(first.wamid)).toBe(false);
			});
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: CARLA });
			expect(w.conversations.textsOf('r1')).toEqual(['hello']);
		});

		it("keeps the BSUID on her number's window, so that a number change notice without it moves the link, along a chain of changes, whoever has her old number now", async () => {
			const w = await world({ numbers: [NUMBER] });
			const THIRD = '5511933334444';
			await w.service.handle(withBoth('hello'), { finalAttempt: false });
			expect(await w.windows.get(BY_NUMBER)).toMatchObject({ userId: BSUID });
			await w.service.handle(changedToNew(false), { finalAttempt: false });
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: NEW });
			expect(await w.windows.get(contactKey(NUMBER.phoneNumberId, NEW))).toMatchObject({ userId: BSUID });
			// Her old number's new owner writes (their own BSUID): her old number's guard lifts, her link stays.
			const stranger = textEvent('I have this number now', { at: T0 + 90000 });
			await w.service.handle({ ...stranger, userId: 'BR.99999999999999' }, { finalAttempt: false });
			// NEW to THIRD, the notice without her BSUID (NEW's window keeps it, written by the first change).
			const base = textEvent('', { at: T0 + 120000 });
			const system = { body: `User Carla changed from ${NEW} to ${THIRD}`, wa_id: THIRD, type: 'user_changed_number' };
			await w.service.handle(
				{ ...base, from: NEW, waId: NEW, type: 'system', raw: { ...base.raw, from: NEW, type: 'system', system, text: undefined } },
				{ finalAttempt: false },
			);
			expect(await w.windows.get(BY_BSUID)).toEqual({ at: 0, userOf: THIRD });
			await w.service.handle(byBsuidAlone('number hidden', { at: T0 + 180000 }), { finalAttempt: false });
			expect(contactsOf(w).slice(-1)).toEqual([THIRD]);
			expect(w.conversations.textsOf(w.conversations.rooms.at(-1)!.id)[0]).toBe('number hidden');
			expect(w.conversations.textsOf('r1')).not.toContain('number hidden');
		});

		describe('known by her BSUID first, her number named later', () => {
			const BYE: ConnectedNumber = { ...NUMBER, welcomeMessage: 'Welcome!', conversationFinishedMessage: 'Bye' };
			/** Who each message the app sent went to: `to`, else `recipient`, with its text. */
			const sentTo = (w: { sent: () => Array<{ to?: string; recipient?: string; text?: { body: string } }> }) =>
				w.sent().map((b) => [b.to ? `to:${b.to}` : `recipient:${b.recipient}`, b.text?.body]);
			/** A message of hers naming `number` with her BSUID. */
			const naming = (number: string, text: string, at: number): InboundMessageEvent => {
				const event = withBoth(text, { at });
				return { ...event, from: number, waId: number, raw: { ...event.raw, from: number } };
			};

			it('keeps the number of her latest message naming one on her window (a late older message, or one by the BSUID alone, leaves it), and the automatic messages go to it', async () => {
				const w = await world({ numbers: [BYE] });
				await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
				await w.service.handle(naming(CARLA, 'my number', T0 + 1000), { finalAttempt: false });
				expect(await w.windows.get(BY_BSUID)).toMatchObject({ at: T0 + 1000, phone: { waId: CARLA, at: T0 + 1000 } });
				await w.service.handle(naming(NEW, 'written before', T0 + 500), { finalAttempt: false });
				await w.service.handle(byBsuidAlone('hidden again', { at: T0 + 2000 }), { finalAttempt: false });
				expect(await w.windows.get(BY_BSUID)).toMatchObject({ at: T0 + 2000, phone: { waId: CARLA, at: T0 + 1000 } });
				// One conversation, by her BSUID; nothing made her number a contact of its own.
				expect(contactsOf(w)).toEqual([BSUID]);
				expect(w.conversations.textsOf('r1')).toEqual(['hi', 'my number', 'written before', 'hidden again']);
				expect(await w.windows.get(BY_NUMBER)).toBeUndefined();

				await w.autoMessages.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: BSUID, roomId: 'r1' });
				expect(sentTo(w)).toEqual([
					[`recipient:${BSUID}`, 'Welcome!'],
					[`to:${CARLA}`, 'Bye'],
				]);
			});

			it("forgets the number she changed from (Meta's notice names her BSUID), also while it is held back; a late message naming it does not bring it back, her next naming the new one does", async () => {
				for (const heldBack of [false, true]) {
					const w = await world({ numbers: [NUMBER] });
					await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
					await w.service.handle(naming(CARLA, 'my number', T0 + 1000), { finalAttempt: false });
					if (heldBack) await w.service.heldBack(changedToNew(true));
					else await w.service.handle(changedToNew(true), { finalAttempt: false });
					expect((await w.windows.get(BY_BSUID))?.phone).toEqual({ at: T0 + 60000 });
					// Her conversation goes on by her BSUID; the old number is nobody's contact.
					expect(await w.windows.get(BY_NUMBER)).toBeUndefined();
					await w.service.handle(naming(CARLA, 'late', T0 + 30000), { finalAttempt: false });
					expect((await w.windows.get(BY_BSUID))?.phone).toEqual({ at: T0 + 60000 });
					await w.service.handle(naming(NEW, 'new phone', T0 + 120000), { finalAttempt: false });
					expect((await w.windows.get(BY_BSUID))?.phone).toEqual({ waId: NEW, at: T0 + 120000 });
					expect(contactsOf(w)).toEqual([BSUID]);
				}
			});

			/** Meta's notice of her number change from CARLA to NEW, a minute after T0, by her BSUID alone. */
			const changedByBsuidAlone = (): InboundMessageEvent => {
				const base = byBsuidAlone('', { at: T0 + 60000 });
				const system = { body: `User Carla changed from ${CARLA} to ${NEW}`, wa_id: NEW, type: 'user_changed_number' };
				return { ...base, type: 'system', raw: { ...base.raw, type: 'system', system, text: undefined } };
			};

			it('forgets the number with a notice by her BSUID alone (no `from`), also while it is held back', async () => {
				for (const heldBack of [false, true]) {
					const w = await world({ numbers: [NUMBER] });
					await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
					await w.service.handle(naming(CARLA, 'my number', T0 + 1000), { finalAttempt: false });
					if (heldBack) await w.service.heldBack(changedByBsuidAlone());
					else await w.service.handle(changedByBsuidAlone(), { finalAttempt: false });
					expect((await w.windows.get(BY_BSUID))?.phone).toEqual({ at: T0 + 60000 });
				}
			});

			it("sends to her BSUID again once her number's own window tells of a change away (a notice without her BSUID), also after its next owner wrote from it", async () => {
				const w = await world({ numbers: [BYE] });
				await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
				await w.service.handle(naming(CARLA, 'my number', T0 + 1000), { finalAttempt: false });
				const reach = async () =>
					reachOf(w.windows, { phoneNumberId: NUMBER.phoneNumberId, waId: BSUID }, await w.windows.get(BY_BSUID), w.clock.now());
				expect(await reach()).toBe(CARLA);
				// The notice as Meta's reference shows it: from her old number, without her BSUID (a number's change).
				await w.service.handle(changedToNew(false), { finalAttempt: false });
				expect(await w.windows.get(BY_NUMBER)).toMatchObject({ movedTo: { waId: NEW, at: T0 + 60000 } });
				expect(await reach()).toBe(BSUID);
				// Her old number's next owner writes (their own BSUID): its window's guard lifts, and its own message counts.
				const stranger = textEvent('I have this number now', { at: T0 + 90000 });
				await w.service.handle({ ...stranger, userId: 'BR.99999999999999' }, { finalAttempt: false });
				expect((await w.windows.get(BY_NUMBER))?.movedTo).toBeUndefined();
				expect(await reach()).toBe(BSUID);
				await w.autoMessages.onRoomClosed({ phoneNumberId: NUMBER.phoneNumberId, waId: BSUID, roomId: 'r1' });
				expect(sentTo(w).slice(-1)).toEqual([[`recipient:${BSUID}`, 'Bye']]);
			});

			it("keeps her messages in her conversation after a notice without her BSUID recorded her old number's change: a late one naming it, and one naming her new number, which replies go to", async () => {
				const w = await world({ numbers: [NUMBER] });
				await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
				await w.service.handle(naming(CARLA, 'my number', T0 + 1000), { finalAttempt: false });
				await w.service.handle(changedToNew(false), { finalAttempt: false });
				await w.service.handle(naming(CARLA, 'written before the change', T0 + 30000), { finalAttempt: false });
				await w.service.handle(naming(NEW, 'from my new phone', T0 + 120000), { finalAttempt: false });
				expect(contactsOf(w)).toEqual([BSUID]);
				expect(w.conversations.textsOf('r1')).toEqual(['hi', 'my number', 'written before the change', 'from my new phone']);
				const window = await w.windows.get(BY_BSUID);
				expect(window?.phone).toEqual({ waId: NEW, at: T0 + 120000 });
				expect(await reachOf(w.windows, { phoneNumberId: NUMBER.phoneNumberId, waId: BSUID }, window, w.clock.now())).toBe(NEW);
			});

			it('records the number of a message handled again after a later one of hers counted on the window first (a retry)', async () => {
				const w = await world({ numbers: [NUMBER] });
				await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
				const first = naming(CARLA, 'my number', T0 + 1000);
				// Posted and seen by an attempt that failed before its window was written; a later message came meanwhile.
				await w.messages.markSeen(first.wamid);
				await w.service.handle(byBsuidAlone('later', { at: T0 + 2000 }), { finalAttempt: false });
				await w.service.handle(first, { finalAttempt: false });
				expect(await w.windows.get(BY_BSUID)).toMatchObject({ at: T0 + 2000, phone: { waId: CARLA, at: T0 + 1000 } });
			});

			it('names what the app sent to her number when she answers it by her BSUID alone', async () => {
				const w = await world({ numbers: [NUMBER] });
				await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
				await w.service.handle(naming(CARLA, 'my number', T0 + 1000), { finalAttempt: false });
				await w.messages.record({
					wamid: 'wamid.TO_HER_NUMBER',
					phoneNumberId: NUMBER.phoneNumberId,
					connectedWhatsAppNo: '15550133700',
					mobileNo: CARLA,
					message: 'The rest of the answer',
					type: 'Regular-Message',
					sentAt: new Date(T0 + 1500).toISOString(),
				});
				await w.service.handle(byBsuidAlone('thanks', { at: T0 + 2000, context: 'wamid.TO_HER_NUMBER' }), { finalAttempt: false });
				expect(w.conversations.textsOf('r1').slice(-1)).toEqual([
					`${t('inbound_reply_sent', { text: 'The rest of the answer' })}\nthanks`,
				]);
			});

			it('keeps the new number when Meta delivers the notice of the change late, after her message naming it', async () => {
				const w = await world({ numbers: [NUMBER] });
				await w.service.handle(byBsuidAlone('hi'), { finalAttempt: false });
				await w.service.handle(naming(NEW, 'new phone', T0 + 120000), { finalAttempt: false });
				await w.service.handle(changedToNew(true), { finalAttempt: false });
				expect((await w.windows.get(BY_BSUID))?.phone).toEqual({ waId: NEW, at: T0 + 120000 });
			});
		});
	});

	describe('a message in a WhatsApp group (`group_id`): the app handles one-to-one conversations only', () => {
		const GROUP = 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD';
		const inGroup = (text: string): InboundMessageEvent => {
			const event = textEvent(text);
			return { ...event, groupId: GROUP, raw: { ...event.raw, group_id: GROUP } };
		};

		it('opens no room, posts nothing, sends nothing, opens no window; the log says so once, by its ids alone', async () => {
			const w = await world({ numbers: [WELCOMING] });
			const event = inGroup('What do you all think about this?');
			await w.service.handle(event, { finalAttempt: false });
			// Meta's redelivery, or a retry: not logged again.
			await w.service.handle(event, { finalAttempt: false });
			expect(w.conversations.visitors).toEqual([]);
			expect(w.conversations.rooms).toEqual([]);
			expect(w.conversations.posts).toEqual([]);
			expect(w.requests).toEqual([]);
			expect(await w.windows.get(contactKey(WELCOMING.phoneNumberId, CARLA))).toBeUndefined();
			expect(await w.messages.isSeen(event.wamid)).toBe(true);
			expect(w.logs).toEqual([
				`number ${WELCOMING.phoneNumberId}: message ${event.wamid} (type text) in WhatsApp group ${GROUP} not shown: the app handles one-to-one conversations only (no room, no reply)`,
			]);
			expect(w.logs.join('\n')).not.toMatch(/What do you all|Carla|5511987654321/);
		});

		it("leaves the participant's own one-to-one conversation as it is", async () => {
			const w = await world({ numbers: [WELCOMING] });
			await w.service.handle(textEvent('hello'), { finalAttempt: false });
			await w.service.handle(inGroup('in the group'), { finalAttempt: false });
			expect(w.conversations.rooms).toHaveLength(1);
			expect(w.conversations.textsOf('r1')).toEqual(['hello']);
			expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
		});
	});

	it('a contact who opens the chat for the first time (`request_welcome`) is shown so, and welcomed as before', async () => {
		const w = await world({ numbers: [WELCOMING] });
		const event = textEvent('');
		await w.service.handle(
			{
				...event,
				type: 'request_welcome',
				raw: { from: CARLA, id: event.wamid, timestamp: event.timestamp, type: 'request_welcome' },
			},
			{ finalAttempt: false },
		);
		expect(w.conversations.textsOf('r1')).toEqual([
			'👋 The contact opened the chat for the first time; they have not written anything yet.',
		]);
		expect(w.texts()).toEqual(['Welcome!', 'Nobody here']);
	});

	it("shows a contact's revoke only of a message of theirs in their open room", async () => {
		const w = await world({ numbers: [NUMBER] });
		const carla = textEvent('mine');
		await w.service.handle(carla, { finalAttempt: false });
		const other = { ...textEvent('theirs'), from: '5511900000000', waId: '5511900000000' };
		await w.service.handle(other, { finalAttempt: false });
		const revoke = (of: string, by = CARLA): InboundMessageEvent => ({
			...textEvent(''),
			from: by,
			waId: by,
			type: 'revoke',
			originalMessageId: of,
		});
		// Carla names the other contact's message, then a message nobody knows: nothing is shown.
		await w.service.showRevoke(revoke(other.wamid));
		await w.service.showRevoke(revoke('wamid.UNKNOWN'));
		expect(w.conversations.posts.filter((p) => p.by === 'app')).toEqual([]);
		const own = revoke(carla.wamid);
		await w.service.showRevoke(own);
		await w.service.showRevoke(own);
		expect(w.conversations.posts.filter((p) => p.by === 'app').map((p) => [p.roomId, p.text])).toEqual([
			['r1', `[ ](https://chat.example/live/r1?msg=m1) ${t('inbound_revoked')}`],
		]);
	});

	it('marks the message read when an agent has the room, per the setting', async () => {
		const w = await world({ numbers: [NUMBER] });
		w.conversations.routedTo = 'ana';
		const first = textEvent('first');
		await w.service.handle(first, { finalAttempt: false });
		const reads = () => w.requests.filter((r) => String(r.body).includes('"status":"read"'));
		expect(reads().map((r) => [r.url, JSON.parse(String(r.body))])).toEqual([
			[
				`https://graph.facebook.com/v23.0/${NUMBER.phoneNumberId}/messages?appsecret_proof=${NUMBER_PROOF}`,
				{ messaging_product: 'whatsapp', status: 'read', message_id: first.wamid },
			],
		]);

		const off = await world({ numbers: [NUMBER], settings: { markRead: false } });
		off.conversations.routedTo = 'ana';
		await off.service.handle(textEvent('first'), { finalAttempt: false });
		expect(off.requests).toEqual([]);
	});

	it('marks the latest message read when an agent takes the room', async () => {
		const w = await world({ numbers: [NUMBER] });
		await w.service.handle(textEvent('one', { at: T0 }), { finalAttempt: false });
		const latest = textEvent('two', { at: T0 + 1000 });
		await w.service.handle(latest, { finalAttempt: false });
		await w.receipts.onAgentAssigned({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA });
		expect(w.sent()).toEqual([{ messaging_product: 'whatsapp', status: 'read', message_id: latest.wamid }]);
		// Nothing more about a number the contact changed from.
		const token = contactKey(NUMBER.phoneNumberId, CARLA);
		await w.windows.put(token, { ...(await w.windows.get(token))!, movedTo: { waId: '5511911112222', at: T0 + 2000 } });
		await w.receipts.onAgentAssigned({ phoneNumberId: NUMBER.phoneNumberId, waId: CARLA });
		expect(w.sent()).toHaveLength(1);
	});

	it('keeps the window at the latest message when Meta delivers an older one late', async () => {
		const w = await world({ numbers: [NUMBER] });
		const late = textEvent('late', { at: T0 - 5000 });
		const latest = textEvent('latest', { at: T0 });
		await w.service.handle(latest, { finalAttempt: false });
		await w.service.handle(late, { finalAttempt: false });
		expect(await w.windows.get(contactKey(NUMBER.phoneNumberId, CARLA))).toMatchObject({ at: T0, wamid: latest.wamid });
	});

	it('links the contact’s quote to the quoted message, and says so when it is unknown', async () => {
		const w = await world({ numbers: [NUMBER] });
		await w.messages.link({ wamid: 'wamid.AGENT', rcMessageId: 'rc9', roomId: 'r1', at: new Date(T0).toISOString() });
		await w.service.handle(textEvent('yes', { context: 'wamid.AGENT' }), { finalAttempt: false });
		await w.service.handle(textEvent('this?', { context: 'wamid.UNKNOWN' }), { finalAttempt: false });
		expect(w.conversations.textsOf('r1')).toEqual([
			'[ ](https://chat.example/live/r1?msg=rc9) yes',
			`${t('inbound_reply_unknown')}\nthis?`,
		]);
	});

	it('says which template of the app’s a reply answers when that send is in no room (a templateMessage request’s, a campaign’s)', async () => {
		const w = await world({ numbers: [NUMBER] });
		const sent = (wamid: string, fields: Partial<SentMessage>): SentMessage => ({
			wamid,
			phoneNumberId: NUMBER.phoneNumberId,
			connectedWhatsAppNo: '15550133700',
			mobileNo: `+${CARLA}`,
			message: 'Your order *42* has shipped.\nTrack it at https://example.com/t/42',
			type: 'Template-Message',
			templateName: 'order_update',
			templateLanguage: 'en_US',
			sentAt: new Date(T0 - 60000).toISOString(),
			...fields,
		});
		await w.messages.record(sent('wamid.TEMPLATE', {}));
		// Sent to the number as Meta answered it (its wa_id), and with a long text.
		await w.messages.record(sent('wamid.LONG', { mobileNo: '000', waId: CARLA, templateName: undefined, message: 'ab '.repeat(60) }));
		// Another contact's and another number's sends are not shown.
		await w.messages.record(sent('wamid.OTHER', { mobileNo: '5511900000000' }));
		await w.messages.record(sent('wamid.NUMBER', { phoneNumberId: 'another-number' }));
		await w.service.handle(textEvent('when?', { context: 'wamid.TEMPLATE' }), { finalAttempt: false });
		await w.service.handle(textEvent('ok', { context: 'wamid.LONG' }), { finalAttempt: false });
		await w.service.handle(textEvent('who?', { context: 'wamid.OTHER' }), { finalAttempt: false });
		await w.service.handle(textEvent('what?', { context: 'wamid.NUMBER' }), { finalAttempt: false });
		const [room] = w.conversations.rooms;
		expect(w.conversations.textsOf(room.id)).toEqual([
			`${t('inbound_reply_template', { template: 'order_update', text: 'Your order *42* has shipped. Track it at https://example.com/t/42' })}\nwhen?`,
			`${t('inbound_reply_sent', { text: `${'ab '.repeat(33).trimEnd()}…` })}\nok`,
			`${t('inbound_reply_unknown')}\nwho?`,
			`${t('inbound_reply_unknown')}\nwhat?`,
		]);
		expect(Array.from(`${'ab '.repeat(33).trimEnd()}…`)).toHaveLength(99);
	});

	describe('a contact’s file', () => {
		const image = (caption: string) => {
			const event = textEvent('');
			event.type = 'image';
			event.raw = { ...event.raw, type: 'image', image: { id: 'media-1', mime_type: 'image/jpeg', caption }, text: undefined };
			return event;
		};

		it('is posted, then the caption as the contact’s text, the file linked for quotes; a retry does not post it again', async () => {
			const w = await world({ numbers: [NUMBER] });
			const event = image('the receipt');
			await failingOnce(w, w.conversations, 'postAsVisitor', event);
			expect(w.mediaInputs.map((i) => [i.media, i.retryLater, i.room.id])).toEqual([
				[{ kind: 'image', id: 'media-1', mimeType: 'image/jpeg', caption: 'the receipt' }, true, 'r1'],
			]);
			expect(w.conversations.textsOf('r1')).toEqual(['the receipt']);
			// The retry knows the file is in the room (its mark), not its upload: the caption is linked.
			expect(await w.messages.linkOfWamid(event.wamid)).toEqual({
				wamid: event.wamid,
				rcMessageId: 'm1',
				roomId: 'r1',
				at: new Date(T0).toISOString(),
			});
			expect(await w.messages.hasMark('media', event.wamid)).toBe(true);
		});

		it('says why it is not there when it was refused', async () => {
			const w = await world({ numbers: [NUMBER], media: async () => ({ posted: false, notice: 'too large' }) });
			await w.service.handle(image(''), { finalAttempt: true });
			expect(w.mediaInputs[0].retryLater).toBe(false);
			expect(w.conversations.textsOf('r1')).toEqual([`${t('inbound_image', { name: '' })}\ntoo large`]);
		});
	});
});
