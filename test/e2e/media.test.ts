/**
 * Files both ways through the engine: a contact's media fetched through the Graph media endpoint
 * and posted in the room (within the size and type settings), an agent's file uploaded to the
 * Graph media endpoint and sent by type.
 */
import * as fs from 'fs';
import * as path from 'path';

import { engineKeepsJobLogs } from '../../tools/harness/engineVersion';
import { CONTRACTS_DIR } from '../support/metaSpec';
import { SAMPLES } from '../unit/core/media/samples';
import { until } from '../support/until';
import { AppUnderTest, connectNumber, contactVisitorToken, NUMBER, NUMBER_PROOF, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const MB = 1024 * 1024;
const examples = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-openapi/webhook-inbound.examples.json'), 'utf8'));
/** Bytes that are not valid UTF-8, so that any text decoding on the way shows. */
const bytesOf = (size: number, seed = 7) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256));
/** The leading bytes of a real file of each type a contact sends here (the app checks them against Meta's type). */
const HEADS: Record<string, Buffer> = {
	'image/jpeg': SAMPLES.jpeg,
	'image/png': SAMPLES.png,
	'image/webp': SAMPLES.webp,
	'video/mp4': SAMPLES.mp4,
	'audio/ogg': SAMPLES.oggOpus,
	'audio/mpeg': SAMPLES.mp3,
	'application/pdf': SAMPLES.pdf,
};
/** A file of `mimeType` of `size` bytes: a real file's head, then bytes that are not valid UTF-8. */
const fileOf = (mimeType: string, size: number, seed = 7) => {
	const head = HEADS[mimeType.split(';')[0]];
	return Buffer.concat([head, bytesOf(size - head.length, seed)]);
};

describe('media', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		// Not about routing: the admin accepts chats with no agents online, so a contact's room opens
		// whoever is online (test/e2e/livechatRouting.test.ts covers a fresh workspace's refusal).
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
	});
	afterEach(() => stopChecked(app));

	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const roomMessages = () => app.harness.world.messagesIn(livechatRooms()[0].id);
	const mediaRequests = () =>
		app.sim.requests.filter(
			(r) =>
				!r.path.endsWith('/messages') &&
				!r.path.endsWith('/media') &&
				(r.path.includes('/attachments') || /^\/v\d+\.\d+\/\d+$/.test(r.path)) &&
				r.path !== `/v23.0/${NUMBER.phoneNumberId}`,
		);
	const sends = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status !== 'read')
			.map((r) => r.body as any);

	async function inbound(message: Record<string, unknown>, wamid?: string) {
		const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, { from: '5511987654321', name: 'Carla', text: '', wamid });
		(payload as any).entry[0].changes[0].value.messages[0] = {
			...(payload as any).entry[0].changes[0].value.messages[0],
			text: undefined,
			...message,
		};
		if (!('text' in message)) delete (payload as any).entry[0].changes[0].value.messages[0].text;
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		await app.harness.scheduler.runDue();
	}

	describe('from the contact', () => {
		it('downloads Meta’s documented image with the number’s token and posts it as the contact’s file, with its caption', async () => {
			const bytes = fileOf('image/jpeg', 48 * 1024);
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes, mimeType: 'image/jpeg', id: '1003383421387256' });
			const payload = JSON.parse(JSON.stringify(examples['Image Message']));
			payload.entry[0].changes[0].value.messages[0].timestamp = String(Math.floor(Date.now() / 1000));
			expect((await app.sim.deliverRaw(payload)).status).toBe(200);
			await app.harness.scheduler.runDue();

			const [room] = livechatRooms();
			const messages = roomMessages();
			expect(messages).toHaveLength(2);
			expect(messages[0]).toMatchObject({ file: { name: `image-${id}.jpg`, type: 'image/jpeg' } });
			const upload = app.harness.world.uploads.find((u: any) => u.id === (messages[0] as any).file._id)!;
			expect(upload).toMatchObject({
				name: `image-${id}.jpg`,
				rid: room.id,
				visitorToken: contactVisitorToken(app, '16505551234', NUMBER.phoneNumberId),
			});
			expect(Buffer.compare(Buffer.from(upload.buffer), bytes)).toBe(0);
			expect(messages[1].text).toBe('Taj Mahal');
			// Where the media is (no `phone_number_id`: Meta refuses it for a contact's media), then its
			// bytes, both with the number's token.
			const [info, download] = mediaRequests();
			expect(info).toMatchObject({
				method: 'GET',
				path: `/v23.0/${id}`,
				headers: { authorization: `Bearer ${NUMBER.accessToken}` },
			});
			// The app secret's proof only (`printf %s EAATESTTOKEN1234567890 | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef`).
			expect(info.query).toEqual({ appsecret_proof: NUMBER_PROOF });
			expect(download).toMatchObject({
				method: 'GET',
				path: '/whatsapp_business/attachments/',
				query: { mid: id },
				headers: { authorization: `Bearer ${NUMBER.accessToken}` },
			});
		});

		it('posts video, voice note, audio, document (with its name) and sticker as files', async () => {
			const media = [
				{ type: 'video', mime: 'video/mp4', extra: {}, name: (id: string) => `video-${id}.mp4` },
				{ type: 'audio', mime: 'audio/ogg; codecs=opus', extra: { voice: true }, name: (id: string) => `audio-${id}.ogg` },
				{ type: 'audio', mime: 'audio/mpeg', extra: {}, name: (id: string) => `audio-${id}.mp3` },
				{
					type: 'document',
					mime: 'application/pdf',
					extra: { filename: 'Invoice 42.pdf', caption: 'my invoice' },
					name: () => 'Invoice 42.pdf',
				},
				{ type: 'sticker', mime: 'image/webp', extra: { animated: false }, name: (id: string) => `sticker-${id}.webp` },
			];
			const names: string[] = [];
			for (const [i, m] of media.entries()) {
				const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: fileOf(m.mime, 1000 + i, i), mimeType: m.mime });
				names.push(m.name(id));
				await inbound({ type: m.type, [m.type]: { id, mime_type: m.mime, sha256: 'x', ...m.extra } }, `wamid.MEDIA${i}`);
			}
			const files = roomMessages()
				.filter((msg: any) => msg.file)
				.map((msg: any) => msg.file.name);
			expect(files).toEqual(names);
			expect(
				roomMessages()
					.filter((msg: any) => !msg.file)
					.map((msg) => msg.text),
			).toEqual(['my invoice']);
			// The sticker is an image: Rocket.Chat keeps a thumbnail of it too.
			expect(app.harness.world.uploads.filter((u) => !u.name.startsWith('thumb-')).map((u) => u.size)).toEqual([
				1000, 1001, 1002, 1003, 1004,
			]);
		});

		it('refuses a file over the size setting without downloading it, and says so in the room', async () => {
			await app.harness.setSetting('inbound_media_max_mb', 1);
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: bytesOf(2 * MB), mimeType: 'image/png' });
			await inbound({ type: 'image', image: { id, mime_type: 'image/png', sha256: 'x', caption: 'big one' } });
			expect(roomMessages().map((m) => m.text)).toEqual([
				`📷 Image\nbig one\n(File not shown: it is 2.0 MB, over the app's setting "Largest file a contact may send (MB)" of 1.0 MB.)`,
			]);
			expect(app.harness.world.uploads).toEqual([]);
			expect(mediaRequests().map((r) => r.path)).toEqual([`/v23.0/${id}`]);
		});

		it('refuses a type outside the accepted-types setting without asking Meta', async () => {
			await app.harness.setSetting('inbound_media_types', 'image/*');
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: bytesOf(100), mimeType: 'application/pdf' });
			await inbound({ type: 'document', document: { id, mime_type: 'application/pdf', sha256: 'x', filename: 'contract.pdf' } });
			expect(roomMessages().map((m) => m.text)).toEqual([
				`📄 Document contract.pdf\n(File not shown: its type, application/pdf, is not in the app's setting "File types accepted from contacts".)`,
			]);
			expect(mediaRequests()).toEqual([]);
		});

		it('retries a file Meta could not give for the moment, and posts the message once', async () => {
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: fileOf('image/jpeg', 500), mimeType: 'image/jpeg' });
			app.sim.failMedia(id, 1);
			await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x', caption: 'again' } });
			expect(livechatRooms().flatMap((r) => app.harness.world.messagesIn(r.id))).toEqual([]);
			expect(app.harness.takeAppErrors()).toEqual(
				expect.arrayContaining([
					expect.stringContaining(
						"webhook event message not processed (attempt 1, tried again in 30 s; the contact's later messages wait behind it): Graph API error 2",
					),
				]),
			);
			await app.harness.scheduler.advance(60000);
			expect(roomMessages().map((m: any) => (m.file ? m.file.name : m.text))).toEqual([`image-${id}.jpg`, 'again']);
			expect(app.harness.world.uploads.filter((u) => !u.name.startsWith('thumb-'))).toHaveLength(1);
		});

		it('still welcomes a new contact whose first message is a file retried, once', async () => {
			const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
			Object.assign(stored.data as any, { welcomeMessage: 'Welcome to Acme!' });
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: fileOf('image/jpeg', 500), mimeType: 'image/jpeg' });
			app.sim.failMedia(id, 1);
			await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x' } });
			app.harness.takeAppErrors();
			expect(sends()).toEqual([]);
			await app.harness.scheduler.advance(60000);
			expect(sends().map((b) => b.text?.body)).toEqual(['Welcome to Acme!']);
			await inbound({ type: 'text', text: { body: 'hello?' } }, 'wamid.NEXT');
			expect(sends()).toHaveLength(1);
		});

		it('announces the file as missing at the last attempt, and posts nothing twice when a later step failed', async () => {
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: fileOf('image/jpeg', 500), mimeType: 'image/jpeg' });
			app.sim.failMedia(id, 10);
			await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x', caption: 'see' } });
			// Retries at 30 s, 1, 2 and 4 minutes of the app's clock (the harness moves it); the fifth attempt gives up on the file.
			for (let i = 0; i < 4; i++) await app.harness.scheduler.advance(5 * 60000);
			app.harness.takeAppErrors();
			expect(roomMessages().map((m) => m.text)).toEqual([
				'📷 Image\nsee\n(File not shown: it could not be fetched from WhatsApp: Meta answered with error 2.)',
			]);
			expect(app.harness.world.uploads).toEqual([]);

			// A file posted, then the caption failing: the retry posts the caption, not the file again.
			const second = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: fileOf('image/jpeg', 600),
				mimeType: 'image/jpeg',
			});
			const livechat = app.harness.bridges.getLivechatBridge() as any;
			const create = livechat.createMessage;
			let failed = false;
			livechat.createMessage = async (...args: any[]) => {
				if (!failed && String((args[0] as any)?.text ?? '').includes('caption two')) {
					failed = true;
					throw new Error('database briefly unavailable');
				}
				return create(...args);
			};
			await inbound(
				{ type: 'image', image: { id: second, mime_type: 'image/jpeg', sha256: 'x', caption: 'caption two' } },
				'wamid.SECOND',
			);
			expect(failed).toBe(true);
			app.harness.takeAppErrors();
			await app.harness.scheduler.advance(60000);
			expect(
				roomMessages()
					.slice(1)
					.map((m: any) => (m.file ? m.file.name : m.text)),
			).toEqual([`image-${second}.jpg`, 'caption two']);
			expect(app.sim.mediaDownloads.filter((d) => d === second)).toHaveLength(1);
		});

		it('keeps the ad a file came from, and names a document by its real type, not by the contact’s extension', async () => {
			const ad = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: fileOf('image/png', 300), mimeType: 'image/png' });
			await inbound(
				{
					type: 'image',
					image: { id: ad, mime_type: 'image/png', sha256: 'x' },
					referral: { source_url: 'https://fb.me/ad1', headline: 'Summer sale', source_type: 'ad' },
				},
				'wamid.AD',
			);
			const pdf = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: Buffer.from('%PDF-1.4 x'),
				mimeType: 'application/pdf',
			});
			await inbound(
				{ type: 'document', document: { id: pdf, mime_type: 'application/pdf', sha256: 'x', filename: 'invoice.exe' } },
				'wamid.DOC',
			);
			expect(roomMessages().map((m: any) => (m.file ? `${m.file.name} ${m.file.type}` : m.text))).toEqual([
				`image-${ad}.png image/png`,
				'📣 From the ad "Summer sale" (https://fb.me/ad1)',
				'invoice.pdf application/pdf',
			]);
		});

		it('says in the room when Meta cannot give the file, and logs why', async () => {
			await inbound({ type: 'image', image: { id: '999000111', mime_type: 'image/jpeg', sha256: 'x' } });
			expect(roomMessages().map((m) => m.text)).toEqual([
				expect.stringMatching(
					/^📷 Image\n\(File not shown: it could not be fetched from WhatsApp: Meta answered with error 100\.\)$/,
				),
			]);
			const errors = app.harness.takeAppErrors();
			// Engines before 1.62 may lose a job's log entries (engineKeepsJobLogs): whatever arrives is this error.
			if (engineKeepsJobLogs())
				expect(errors).toEqual([expect.stringContaining('inbound media 999000111 of 106540352242922 not posted')]);
			else expect(errors.filter((e) => !e.includes('inbound media 999000111 of 106540352242922 not posted'))).toEqual([]);
		});
	});

	describe('from the agent', () => {
		async function conversation() {
			const agent = app.harness.addUser({ username: 'ana', name: 'Ana', roles: ['user', 'livechat-agent'] });
			agent.livechatStatus = 'available';
			await inbound({ type: 'text', text: { body: 'Send me the invoice' } });
			return { agent, room: livechatRooms()[0] };
		}

		it('uploads an image to the number’s media store and sends it with its caption', async () => {
			const { agent, room } = await conversation();
			const bytes = bytesOf(70 * 1024);
			await app.harness.uploadFile({ user: agent, room, name: 'photo.jpg', type: 'image/jpeg', bytes, description: 'Here it is' });
			// Only the image: not the thumbnail Rocket.Chat lists after it in `files`.
			expect(app.sim.uploadedMedia).toHaveLength(1);
			const [uploaded] = app.sim.uploadedMedia;
			expect(uploaded).toMatchObject({ phoneNumberId: NUMBER.phoneNumberId, mimeType: 'image/jpeg', filename: 'photo.jpg' });
			expect(Buffer.compare(Buffer.from(uploaded.bytes), bytes)).toBe(0);
			expect(sends()).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'image',
					image: { id: uploaded.id, caption: 'Here it is' },
				},
			]);
			const record = app.harness.world.persistence.map((r) => r.data as any).find((d) => d.type === 'Regular-Message');
			expect(record).toMatchObject({
				roomId: room.id,
				agent: 'ana',
				message: 'Here it is',
				wamid: expect.stringMatching(/^wamid\./),
			});
		});

		it("sends an agent's 5,000-character message (Rocket.Chat's default limit) as two texts within Meta's 4,096", async () => {
			const { agent, room } = await conversation();
			const text = `${'a'.repeat(3000)}\n${'b'.repeat(1999)}`;
			await app.harness.userMessage({ user: agent, room, text });
			expect(sends().map((s: any) => s.text.body)).toEqual(['a'.repeat(3000), 'b'.repeat(1999)]);
			expect(app.sim.violations).toEqual([]);
		});

		it("keeps the order of an agent's file and the text written right after it (Rocket.Chat does not wait for the app between them)", async () => {
			const { agent, room } = await conversation();
			app.sim.setLatency(300);
			// The file's upload takes a round trip more than the text's send.
			await Promise.all([
				app.harness.uploadFile({ user: agent, room, name: 'invoice-42.pdf', type: 'application/pdf', bytes: bytesOf(5000) }),
				app.harness.userMessage({ user: agent, room, text: 'There you go' }),
			]);
			expect(sends().map((s: any) => s.type)).toEqual(['document', 'text']);
		});

		it("sends the number's goodbye after the agent's file sent just before closing the conversation (Rocket.Chat does not wait for the app)", async () => {
			const { agent, room } = await conversation();
			const stored = app.harness.world.persistence.find((r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId)!;
			Object.assign(stored.data as any, { conversationFinishedMessage: 'Thanks, bye!' });
			app.sim.setLatency(300);
			// The agent closes the room while the file's upload is under way (a round trip before its send).
			const uploading = app.harness.uploadFile({
				user: agent,
				room,
				name: 'invoice-42.pdf',
				type: 'application/pdf',
				bytes: bytesOf(5000),
			});
			await until(() => app.sim.requests.some((r) => r.path.endsWith('/media')), 'the upload to reach Meta');
			await app.harness.closeLivechatRoom(room, agent);
			await uploading;
			expect(sends().map((s: any) => s.type + (s.text ? `: ${s.text.body}` : ''))).toEqual(['document', 'text: Thanks, bye!']);
		});

		it('sends a PDF as a document with its name, and an audio file with its caption as a text after it', async () => {
			const { agent, room } = await conversation();
			await app.harness.uploadFile({ user: agent, room, name: 'invoice-42.pdf', type: 'application/pdf', bytes: bytesOf(5000) });
			await app.harness.uploadFile({
				user: agent,
				room,
				name: 'note.mp3',
				type: 'audio/mpeg',
				bytes: bytesOf(3000),
				description: 'listen',
			});
			const [pdf, mp3] = app.sim.uploadedMedia;
			expect(sends()).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'document',
					document: { id: pdf.id, filename: 'invoice-42.pdf' },
				},
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'audio',
					audio: { id: mp3.id },
				},
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					type: 'text',
					text: { body: 'listen', preview_url: false },
				},
			]);
		});

		it('quotes a contact’s file posted without a caption', async () => {
			const { agent, room } = await conversation();
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: fileOf('image/jpeg', 400), mimeType: 'image/jpeg' });
			await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x' } }, 'wamid.PHOTO');
			const photo = roomMessages().find((m: any) => m.file)!;
			await app.harness.userMessage({
				user: agent,
				room,
				text: `[ ](http://127.0.0.1:3000/live/${room.id}?msg=${photo.id}) Nice one`,
			});
			expect(sends()).toEqual([
				{
					messaging_product: 'whatsapp',
					biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
					recipient_type: 'individual',
					to: '5511987654321',
					context: { message_id: 'wamid.PHOTO' },
					type: 'text',
					text: { body: 'Nice one', preview_url: false },
				},
			]);
		});

		it('tells the agent when WhatsApp cannot take the file, and sends nothing', async () => {
			const { agent, room } = await conversation();
			await app.harness.uploadFile({ user: agent, room, name: 'archive.zip', type: 'application/zip', bytes: bytesOf(100) });
			await app.harness.uploadFile({ user: agent, room, name: 'huge.png', type: 'image/png', bytes: bytesOf(5 * MB + 1) });
			expect(app.sim.uploadedMedia).toEqual([]);
			expect(sends()).toEqual([]);
			const notices = app.harness.world.notifications.filter((n) => n.user.username === 'ana').map((n) => n.message.text);
			expect(notices).toEqual([
				expect.stringMatching(
					/^⚠️ Not delivered to WhatsApp: WhatsApp does not accept archive\.zip: files of type application\/zip are not taken/,
				),
				"⚠️ Not delivered to WhatsApp: huge.png is 5.1 MB, over WhatsApp's limit of 5.0 MB for this type",
			]);
		});

		it('sends no file once the 24-hour window is closed', async () => {
			const { agent, room } = await conversation();
			// The contact's window (not the record linking their BSUID to their number).
			const window = app.harness.world.persistence.find(
				(r) => r.associations.some((a) => a.id.startsWith('window:')) && !(r.data as any).userOf,
			)!;
			(window.data as any).at = Date.now() - 25 * 3600 * 1000;
			await app.harness.uploadFile({ user: agent, room, name: 'photo.jpg', type: 'image/jpeg', bytes: bytesOf(100) });
			expect(app.sim.uploadedMedia).toEqual([]);
			expect(app.harness.world.notifications.map((n) => n.message.text)).toEqual([
				expect.stringMatching(/^⚠️ Not sent: more than 24 hours/),
			]);
		});
	});
});
