import { contactKey } from '../../../../src/core/app/conversations';
import { AgentReply, ReplyPorts, ReplyRelay, splitText } from '../../../../src/core/app/replies';
import { settingsOf, SettingKey } from '../../../../src/core/app/settings';
import { WINDOW_MS } from '../../../../src/core/app/window';
import { HttpRequest, HttpResponse } from '../../../../src/core/graph/GraphClient';
import { SendNotRecorded } from '../../../../src/core/errors';
import { explainSendError } from '../../../../src/core/templates/errors';
import { SAMPLES } from '../media/samples';
import {
	CARLA,
	FakeClock,
	freeFormWorld,
	isEdge,
	MemoryMessageLog,
	MemoryWindows,
	NUMBER,
	NUMBER_PROOF,
	numbersWith,
	t,
	T0,
} from './fakes-inbound';

const TOKEN = contactKey(NUMBER.phoneNumberId, CARLA);
const ROOM = { id: 'r1', contact: { phoneNumberId: NUMBER.phoneNumberId, waId: CARLA } };
const ANA = { id: 'u1', username: 'ana', name: 'Ana *Lima*' };

function reply(text: string, extra: Partial<AgentReply> = {}): AgentReply {
	return { messageId: 'rc1', room: ROOM, agent: ANA, postedText: text, text, files: [], attachmentCaption: '', ...extra };
}

/** Meta's answers: a media id for an upload, a wamid for a message. */
const meta = (req: HttpRequest): HttpResponse =>
	isEdge(req, 'media')
		? { status: 200, body: JSON.stringify({ id: 'media-9' }) }
		: { status: 200, body: JSON.stringify({ messages: [{ id: `wamid.OUT${req.body?.length}` }] }) };

async function world(
	options: {
		settings?: Partial<Record<SettingKey, unknown>>;
		lastInbound?: number;
		answer?: typeof meta;
		graphReady?: boolean;
		ownPosts?: string[];
	} = {},
) {
	const clock = new FakeClock();
	const send = freeFormWorld({ clock, answer: options.answer ?? meta });
	const messages = new MemoryMessageLog();
	const windows = new MemoryWindows();
	await windows.put(TOKEN, { at: options.lastInbound ?? T0 - 1000 });
	const notices: Array<{ to: string; room: string; text: string }> = [];
	/** Messages marked not sent (RoomDelivery.notSent), with their reason in English. */
	const notSent: Array<{ roomId: string; rcMessageId: string; reason: string }> = [];
	const own = [...(options.ownPosts ?? [])];
	const uploads = new Map<string, { type: string; size: number; bytes: Uint8Array }>();
	const ports: ReplyPorts = {
		ownPosts: {
			consume: async (post) => {
				const index = own.indexOf(post.text);
				if (index >= 0) own.splice(index, 1);
				return index >= 0;
			},
		},
		numbers: await numbersWith(NUMBER),
		windows,
		messages,
		files: {
			info: async (id) => uploads.get(id),
			bytes: async (id) => uploads.get(id)!.bytes,
			fileOfMessage: async (id) => (id === 'rc-file-msg' ? 'upload-7' : undefined),
		},
		sender: send.sender,
		graph: send.graph,
		graphReady: async () => options.graphReady ?? true,
		notify: async ({ agent, room }, text) => void notices.push({ to: agent.username, room: room.id, text }),
		notSent: async (message, reason) => void notSent.push({ ...message, reason: reason(t) }),
		translatorFor: async () => t,
		settings: settingsOf(options.settings),
		clock,
	};
	return { ...send, relay: new ReplyRelay(ports), messages, windows, notices, notSent, uploads };
}

describe('ReplyRelay', () => {
	it('sends the agent’s text as WhatsApp text, records it and links it for the contact’s quotes', async () => {
		const w = await world();
		await w.relay.relay(reply('Yes, **until 5pm**'));
		expect(w.sent()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				type: 'text',
				text: { body: 'Yes, *until 5pm*', preview_url: false },
			},
		]);
		expect(
			w.sendLog.records.map((r) => [r.message.type, r.message.roomId, r.message.agent, r.message.message, r.message.rcMessageId]),
		).toEqual([['Regular-Message', 'r1', 'ana', 'Yes, *until 5pm*', 'rc1']]);
		const wamid = w.sendLog.records[0].message.wamid as string;
		expect(await w.messages.linkOfWamid(wamid)).toEqual({ wamid, rcMessageId: 'rc1', roomId: 'r1', at: new Date(T0).toISOString() });
		expect(w.notices).toEqual([]);
	});

	it('tells the agent, and sends nothing, once the contact changed their number (the old one may be someone else’s), the window still open', async () => {
		const w = await world();
		await w.windows.put(TOKEN, { at: T0 - 1000, movedTo: { waId: '5511911112222', at: T0 - 500 } });
		await w.relay.relay(reply('Hello'));
		expect(w.requests).toEqual([]);
		expect(w.notices).toEqual([{ to: 'ana', room: 'r1', text: t('reply_number_changed', { number: '5511911112222' }) }]);
		expect(w.notSent).toEqual([
			{ roomId: 'r1', rcMessageId: 'rc1', reason: t('room_reason_number_changed', { number: '5511911112222' }) },
		]);
	});

	it('tells the agent, sends nothing, and marks the message not sent for the room, once the window is closed', async () => {
		const w = await world({ lastInbound: T0 - WINDOW_MS - 1 });
		await w.relay.relay(reply('Hello'));
		expect(w.requests).toEqual([]);
		expect(w.notices).toEqual([{ to: 'ana', room: 'r1', text: t('reply_window_closed') }]);
		expect(w.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason: t('room_reason_window_closed') }]);
	});

	it('marks the message not sent when its number is gone or the Graph API base URL is refused', async () => {
		const gone = await world();
		await gone.relay.relay(reply('Hello', { room: { ...ROOM, contact: { ...ROOM.contact, phoneNumberId: 'other' } } }));
		expect(gone.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason: t('room_reason_number_gone') }]);
		const refused = await world({ graphReady: false });
		await refused.relay.relay(reply('Hello'));
		expect(refused.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason: t('error_graph_base_url_refused') }]);
		expect([...gone.requests, ...refused.requests]).toEqual([]);
	});

	it('does not send again the template the app posted as the agent', async () => {
		const w = await world({ ownPosts: ['Hello from the template'], lastInbound: T0 - WINDOW_MS - 1 });
		await w.relay.relay(reply('Hello from the template'));
		expect(w.requests).toEqual([]);
		expect(w.notices).toEqual([]);
		// The agent typing the same words later is relayed as usual (here: told the window is closed).
		await w.relay.relay(reply('Hello from the template'));
		expect(w.notices).toHaveLength(1);
	});

	it('quotes the contact’s message of the same room only, by its text or its file', async () => {
		const w = await world();
		await w.messages.link({ wamid: 'wamid.IN1', rcMessageId: 'rc-in', roomId: 'r1', at: new Date(T0).toISOString() });
		await w.messages.link({ wamid: 'wamid.OTHER', rcMessageId: 'rc-other', roomId: 'r0', at: new Date(T0).toISOString() });
		await w.messages.link({ wamid: 'wamid.FILE', uploadId: 'upload-7', roomId: 'r1', at: new Date(T0).toISOString() });
		await w.relay.relay(reply('a', { quotedId: 'rc-in' }));
		await w.relay.relay(reply('b', { quotedId: 'rc-other' }));
		await w.relay.relay(reply('c', { quotedId: 'rc-file-msg' }));
		expect(w.sent().map((b) => [b.text.body, b.context])).toEqual([
			['a', { message_id: 'wamid.IN1' }],
			['b', undefined],
			['c', { message_id: 'wamid.FILE' }],
		]);
	});

	it('starts with the agent’s name when the setting asks for it, and sends nothing for a bare quote', async () => {
		const w = await world({ settings: { agentNamePrefix: true } });
		await w.relay.relay(reply('Hello'));
		await w.relay.relay(reply('   '));
		expect(w.sent().map((b) => b.text.body)).toEqual(['*Ana Lima*:\nHello']);
	});

	it('uploads a file and sends it by its type, the text as its caption', async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'image/jpeg', size: SAMPLES.jpeg.length, bytes: new Uint8Array(SAMPLES.jpeg) });
		await w.relay.relay(reply('the receipt', { files: [{ id: 'f1', name: 'receipt.jpg', type: 'image/jpeg' }] }));
		const upload = w.requests[0];
		expect([upload.method, upload.url, upload.headers['Content-Type']]).toEqual([
			'POST',
			`https://graph.facebook.com/v23.0/${NUMBER.phoneNumberId}/media?appsecret_proof=${NUMBER_PROOF}`,
			expect.stringMatching(/^multipart\/form-data; boundary=/),
		]);
		expect(w.sent()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				type: 'image',
				image: { id: 'media-9', caption: 'the receipt' },
			},
		]);
		expect(w.sendLog.records[0].message.message).toBe('the receipt');
	});

	it('sends a text longer than Meta takes (4,096) in several messages, the first linked and quoting; a long caption after its file', async () => {
		const w = await world();
		const paragraph = `${'word '.repeat(700).trim()}\n`;
		const long = paragraph.repeat(2); // 7,000 characters, a line break after the first 3,500
		await w.relay.relay(reply(long));
		const bodies = w.sent().map((m) => (m.text as { body: string }).body);
		expect(bodies).toEqual([paragraph.trim(), paragraph.trim()]);
		expect(w.sendLog.records[0].message.rcMessageId).toBe('rc1');
		expect(w.sendLog.records[1].message.rcMessageId).toBeUndefined();

		const v = await world();
		v.uploads.set('f1', { type: 'image/jpeg', size: SAMPLES.jpeg.length, bytes: new Uint8Array(SAMPLES.jpeg) });
		const caption = 'c'.repeat(1500);
		await v.relay.relay(reply(caption, { files: [{ id: 'f1', name: 'receipt.jpg', type: 'image/jpeg' }] }));
		expect(v.sent().map((m) => [m.type, m.type === 'image' ? m.image : (m.text as { body: string }).body])).toEqual([
			['image', { id: 'media-9' }],
			['text', caption],
		]);
	});

	it('sends the file an old engine handed over and tells the agent how many were left out', async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'image/jpeg', size: SAMPLES.jpeg.length, bytes: new Uint8Array(SAMPLES.jpeg) });
		await w.relay.relay(reply('', { files: [{ id: 'f1', name: 'receipt.jpg', type: 'image/jpeg' }], filesLeftOut: 2 }));
		expect(w.sent().map((m) => (m as { type: string }).type)).toEqual(['image']);
		expect(w.notices).toEqual([{ to: 'ana', room: 'r1', text: t('reply_files_left_out', { count: 2 }) }]);
	});

	it('sends an audio’s caption as a text after it', async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'audio/ogg', size: 100, bytes: new Uint8Array(SAMPLES.oggOpus) });
		await w.relay.relay(reply('listen', { files: [{ id: 'f1', name: 'note.ogg' }] }));
		expect(w.sent().map((b) => [b.type, b.audio ?? b.text])).toEqual([
			['audio', { id: 'media-9' }],
			['text', { body: 'listen', preview_url: false }],
		]);
		// The agent's message shows the state of its first send only (the one linked to it).
		expect(w.sendLog.records.map((r) => r.message.rcMessageId)).toEqual(['rc1', undefined]);
	});

	it('tells the agent why a file was refused, sends nothing of it, and marks the message not sent', async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'application/x-msdownload', size: 100, bytes: new Uint8Array([1]) });
		await w.relay.relay(reply('', { files: [{ id: 'f1', name: 'setup.exe' }] }));
		expect(w.requests).toEqual([]);
		const reason = t('reply_file_refused_type', { name: 'setup.exe', type: 'application/x-msdownload', size: '100 B', max: '0 B' });
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_failed', { reason })]);
		expect(w.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason }]);
	});

	it('sends a 512×512 WebP as a sticker, and refuses a WebP picture (Meta takes WebP only as a sticker), naming it', async () => {
		const w = await world();
		const bits = 511 | (511 << 14);
		const sticker = new Uint8Array(3000);
		sticker.set([
			...Buffer.from('RIFF'),
			0,
			0,
			0,
			0,
			...Buffer.from('WEBPVP8L'),
			5,
			0,
			0,
			0,
			0x2f,
			bits & 0xff,
			(bits >> 8) & 0xff,
			(bits >> 16) & 0xff,
			0,
		]);
		w.uploads.set('f1', { type: 'image/webp', size: sticker.length, bytes: sticker });
		await w.relay.relay(reply('', { files: [{ id: 'f1', name: 'thumbs-up.webp' }] }));
		expect(w.sent().map((m) => m.type)).toEqual(['sticker']);

		const photo = await world();
		photo.uploads.set('f2', { type: 'image/webp', size: SAMPLES.webp.length, bytes: SAMPLES.webp });
		await photo.relay.relay(reply('our shop', { files: [{ id: 'f2', name: 'shop.webp' }] }));
		const reason = t('reply_file_refused_sticker', { name: 'shop.webp', type: 'image/webp', size: '430 B', max: '0 B' });
		expect(reason).toMatch(/^WhatsApp takes a WebP image such as shop\.webp only as a sticker, which must be 512×512 pixels/);
		expect(photo.notices.map((n) => n.text)).toEqual([t('reply_failed', { reason })]);
		// The text goes alone.
		expect(photo.sent().map((m) => m.type)).toEqual(['text']);
	});

	it("sends the agent's text alone when Meta takes none of the message's files (each refusal told), linked to the message", async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'application/x-msdownload', size: 100, bytes: new Uint8Array([1]) });
		await w.relay.relay(reply('See the attached installer', { files: [{ id: 'f1', name: 'setup.exe' }] }));
		expect(w.sent().map((m) => [m.type, m.text])).toEqual([['text', { body: 'See the attached installer', preview_url: false }]]);
		expect(w.notices).toHaveLength(1);
		expect(w.notSent).toEqual([]);
		// Linked for the contact's quotes, but the message shows no delivery state: it would be the text's alone.
		expect(w.sendLog.records[0].message.rcMessageId).toBeUndefined();
		const wamid = w.sendLog.records[0].message.wamid as string;
		expect(await w.messages.linkOfWamid(wamid)).toMatchObject({ rcMessageId: 'rc1' });
	});

	it('marks a message none of whose files Meta takes with every reason', async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'application/x-msdownload', size: 100, bytes: new Uint8Array([1]) });
		w.uploads.set('f2', { type: 'application/x-sh', size: 10, bytes: new Uint8Array([1]) });
		await w.relay.relay(
			reply('', {
				files: [
					{ id: 'f1', name: 'setup.exe' },
					{ id: 'f2', name: 'run.sh' },
				],
			}),
		);
		expect(w.requests).toEqual([]);
		const reasons = [
			t('reply_file_refused_type', { name: 'setup.exe', type: 'application/x-msdownload', size: '100 B', max: '0 B' }),
			t('reply_file_refused_type', { name: 'run.sh', type: 'application/x-sh', size: '10 B', max: '0 B' }),
		];
		expect(w.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason: reasons.join(' ') }]);
	});

	it('checks every file first: sends the ones Meta takes (the text on the first), names the refused one, and links what went out', async () => {
		const w = await world();
		w.uploads.set('f1', { type: 'image/jpeg', size: SAMPLES.jpeg.length, bytes: new Uint8Array(SAMPLES.jpeg) });
		w.uploads.set('f2', { type: 'application/x-msdownload', size: 100, bytes: new Uint8Array([1]) });
		await w.relay.relay(
			reply('both', {
				files: [
					{ id: 'f2', name: 'setup.exe' },
					{ id: 'f1', name: 'receipt.jpg', type: 'image/jpeg' },
				],
			}),
		);
		expect(w.sent().map((m) => [m.type, m.image])).toEqual([['image', { id: 'media-9', caption: 'both' }]]);
		expect(w.notices.map((n) => n.text)).toEqual([
			t('reply_failed', {
				reason: t('reply_file_refused_type', { name: 'setup.exe', type: 'application/x-msdownload', size: '100 B', max: '0 B' }),
			}),
		]);
		const wamid = w.sendLog.records[0].message.wamid as string;
		expect(await w.messages.linkOfWamid(wamid)).toMatchObject({ rcMessageId: 'rc1' });
	});

	it('sends an audio without a lone name after it (the name prefix setting, no text)', async () => {
		const w = await world({ settings: { agentNamePrefix: true } });
		w.uploads.set('f1', { type: 'audio/ogg', size: 100, bytes: new Uint8Array(SAMPLES.oggOpus) });
		await w.relay.relay(reply('', { files: [{ id: 'f1', name: 'note.ogg' }] }));
		expect(w.sent().map((b) => b.type)).toEqual(['audio']);
	});

	it('tells the agent Meta’s refusal in words', async () => {
		const w = await world({
			answer: () => ({ status: 400, body: JSON.stringify({ error: { code: 131047, message: 'Re-engagement message' } }) }),
		});
		await w.relay.relay(reply('Hello'));
		expect(w.sendLog.records.map((r) => r.message.wamid)).toEqual([undefined]);
		const reason = t(explainSendError(131047).key, { code: 131047 });
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_failed', { reason })]);
		// Nothing went out: the message shows it for whoever reads the room later.
		expect(w.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason }]);
	});

	it('marks a message whose send record could not be written as not sent, in words for the room', async () => {
		const w = await world();
		w.sendLog.begin = async () => {
			throw new SendNotRecorded(new Error('MongoNetworkError'));
		};
		await w.relay.relay(reply('Hello'));
		expect(w.requests).toEqual([]);
		expect(w.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason: t('room_reason_not_recorded') }]);
		expect(w.notSent[0].reason).toBe('the app could not store its record before sending it.');
	});

	it('tells the agent a send Meta did not answer in time may have gone out (not "not delivered"), and logs no app error', async () => {
		const w = await world({
			answer: () => {
				throw new Error('socket timed out');
			},
		});
		await w.relay.relay(reply('Hello'));
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_outcome_unknown', { reason: t('error_send_timed_out') })]);
		// It may have gone out: not marked not sent (Meta's statuses will show what became of it).
		expect(w.notSent).toEqual([]);
		expect(w.notices[0].text).toBe(
			'⚠️ WhatsApp did not answer in time: the message may have been sent. Check with the contact before sending it again.',
		);
	});

	it("tells the agent a send answered by a server's 5xx page that was not Meta's may have gone out", async () => {
		const w = await world({ answer: () => ({ status: 502, body: '<html>Bad Gateway</html>' }) });
		await w.relay.relay(reply('Hello'));
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_outcome_unknown', { reason: t('error_send_unknown') })]);
		expect(w.notices[0].text).toBe(
			"⚠️ WhatsApp's answer did not come through (the connection was lost, or a server on the way answered in place of WhatsApp): the message may have been sent. Check with the contact before sending it again.",
		);
	});

	it('says how much of a long message went out when a later piece fails (not "not delivered"), and links the first', async () => {
		let n = 0;
		const w = await world({
			answer: (req) =>
				++n === 2
					? { status: 400, body: JSON.stringify({ error: { code: 131047, message: 'Re-engagement message' } }) }
					: meta(req),
		});
		await w.relay.relay(reply(`${'a'.repeat(3000)}\n${'b'.repeat(3000)}`));
		expect(w.notices.map((n) => n.text)).toEqual([
			t('reply_partly_sent', { sent: 1, total: 2, reason: t(explainSendError(131047).key, { code: 131047 }) }),
		]);
		expect(w.notSent).toEqual([]);
		const wamid = w.sendLog.records[0].message.wamid as string;
		expect(await w.messages.linkOfWamid(wamid)).toMatchObject({ rcMessageId: 'rc1' });
	});

	it('tells an upload that ran out of time as not sent (no message went out), naming the file', async () => {
		const w = await world({
			answer: (req) => {
				if (isEdge(req, 'media')) throw new Error('socket timed out');
				return meta(req);
			},
		});
		w.uploads.set('f1', { type: 'video/mp4', size: 100, bytes: new Uint8Array(100) });
		await w.relay.relay(reply('watch', { files: [{ id: 'f1', name: 'demo.mp4', type: 'video/mp4' }] }));
		expect(w.sent()).toEqual([]);
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_failed', { reason: t('error_upload_timed_out', { name: 'demo.mp4' }) })]);
		expect(w.notSent).toEqual([{ roomId: 'r1', rcMessageId: 'rc1', reason: t('error_upload_timed_out', { name: 'demo.mp4' }) }]);
	});

	it("tells an upload answered by a server's 5xx page as not sent (no message went out), naming the file", async () => {
		const w = await world({
			answer: (req) => (isEdge(req, 'media') ? { status: 502, body: '<html>Bad Gateway</html>' } : meta(req)),
		});
		w.uploads.set('f1', { type: 'video/mp4', size: 100, bytes: new Uint8Array(100) });
		await w.relay.relay(reply('watch', { files: [{ id: 'f1', name: 'demo.mp4', type: 'video/mp4' }] }));
		expect(w.sent()).toEqual([]);
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_failed', { reason: t('error_upload_failed', { name: 'demo.mp4' }) })]);
	});

	it('sends nothing through a refused Graph base URL, and says so', async () => {
		const w = await world({ graphReady: false });
		await w.relay.relay(reply('Hello'));
		expect(w.requests).toEqual([]);
		expect(w.notices.map((n) => n.text)).toEqual([t('reply_failed', { reason: t('error_graph_base_url_refused') })]);
	});
});

describe('splitText', () => {
	it('cuts at a line break or a space in the second half of a piece, else at the limit, never inside a surrogate pair', () => {
		expect(splitText('short', 10)).toEqual(['short']);
		expect(splitText('aaaa bbbb cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
		expect(splitText('aaaaaa\nbbbbbbbb', 10)).toEqual(['aaaaaa', 'bbbbbbbb']);
		expect(splitText('a bbbbbbbbbbbbbbbbbb', 10)).toEqual(['a bbbbbbbb', 'bbbbbbbbbb']);
		expect(splitText(`${'x'.repeat(9)}😀yy`, 10)).toEqual(['x'.repeat(9), '😀yy']);
		for (const piece of splitText('word '.repeat(3000))) expect(piece.length).toBeLessThanOrEqual(4096);
	});
});
