/**
 * A contact's file against Rocket.Chat's own upload settings: its Uploads store validates an app's
 * upload as any other (FileUpload.validateFileUpload: FileUpload_Enabled, FileUpload_MaxFileSize,
 * the media type black and white lists), so a file the app accepts may still be refused there.
 * The room then says why; nothing crashes, nothing is lost silently. The harness follows
 * Rocket.Chat (tools/harness/rc/uploads.ts); each test names the admin's setting it changes.
 */
import { AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { SAMPLES } from '../unit/core/media/samples';
import { until } from '../support/until';

/* eslint-disable @typescript-eslint/no-explicit-any */
const MB = 1024 * 1024;
const bytesOf = (size: number, seed = 7) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 256));
/** A JPEG's leading bytes, then filler: the app checks a file's bytes against Meta's type. */
const jpegOf = (size: number) => Buffer.concat([SAMPLES.jpeg, bytesOf(size - SAMPLES.jpeg.length)]);

describe('a contact’s file and the workspace’s upload settings', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		// An agent is online, so the contact's conversation opens (Rocket.Chat's default refuses it otherwise).
		app.harness.addAgent({ username: 'ana' });
	});
	afterEach(() => stopChecked(app));

	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const texts = (roomId = livechatRooms()[0].id) =>
		app.harness.world.messagesIn(roomId).map((m: any) => (m.file ? `file:${m.file.name}` : m.text));
	const downloads = () => app.sim.requests.filter((r) => r.path.includes('/attachments'));
	const stored = () => app.harness.world.uploads.filter((u) => !u.name.startsWith('thumb-'));

	async function inbound(message: Record<string, unknown>, wamid?: string) {
		const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, { from: '5511987654321', name: 'Carla', text: '', wamid });
		const value = (payload as any).entry[0].changes[0].value;
		value.messages[0] = { ...value.messages[0], ...message };
		delete value.messages[0].text;
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		await app.harness.scheduler.runDue();
	}

	it('a file over FileUpload_MaxFileSize is not downloaded, and the room says the workspace’s limit', async () => {
		// The admin lowered Rocket.Chat's max file size to 1 MB; the app's own limit stays 16 MB.
		app.harness.world.serverSettings.set('FileUpload_MaxFileSize', 1 * MB);
		const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: bytesOf(2 * MB), mimeType: 'application/pdf' });
		await inbound({ type: 'document', document: { id, mime_type: 'application/pdf', sha256: 'x', filename: 'report.pdf' } });
		expect(texts()).toEqual([
			`📄 Document report.pdf\n(File not shown: it is 2.0 MB, over Rocket.Chat's setting "Maximum File Upload Size" (Administration > Workspace > Settings > File Upload) of 1.0 MB.)`,
		]);
		expect(downloads()).toEqual([]);
		expect(stored()).toEqual([]);
	});

	it('a type on the default black list (image/svg+xml) is not downloaded, and the room says the type', async () => {
		const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: bytesOf(300), mimeType: 'image/svg+xml' });
		await inbound({ type: 'document', document: { id, mime_type: 'image/svg+xml', sha256: 'x', filename: 'logo.svg' } });
		expect(texts()).toEqual([
			`📄 Document logo.svg\n(File not shown: the app never accepts files of type image/svg+xml, which a browser could run as active content, whatever its settings list.)`,
		]);
		expect(downloads()).toEqual([]);
		expect(stored()).toEqual([]);
	});

	it('a file Rocket.Chat types by its name onto the black list is refused at upload, and the room says so', async () => {
		// Meta calls it audio/opus, which neither list names; the app stores it as .opus, which
		// Rocket.Chat types audio/ogg (mime-db), on the admin's black list.
		app.harness.world.serverSettings.set('FileUpload_MediaTypeBlackList', 'image/svg+xml,audio/ogg');
		const id = app.sim.addMedia({
			phoneNumberId: NUMBER.phoneNumberId,
			bytes: Buffer.concat([SAMPLES.oggOpus, bytesOf(300)]),
			mimeType: 'audio/opus',
		});
		await inbound({ type: 'audio', audio: { id, mime_type: 'audio/opus', sha256: 'x' } });
		expect(texts()).toEqual([
			`🎵 Audio\n(File not shown: Rocket.Chat's settings "Accepted Media Types" / "Blocked Media Types" (Administration > Workspace > Settings > File Upload) refuse files like audio-${id}.opus.)`,
		]);
		expect(downloads()).toHaveLength(1);
		expect(stored()).toEqual([]);
	});

	it('with file uploads turned off in the workspace, the room says so and nothing is downloaded', async () => {
		// The admin turned FileUpload_Enabled off.
		app.harness.world.serverSettings.set('FileUpload_Enabled', false);
		const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: bytesOf(500), mimeType: 'image/jpeg' });
		await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x', caption: 'look' } });
		expect(texts()).toEqual(['📷 Image\nlook\n(File not shown: file uploads are turned off in this workspace.)']);
		expect(downloads()).toEqual([]);
	});

	it('a conversation closed while its file was on the way: the file reaches the contact’s next conversation', async () => {
		const first = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: jpegOf(400), mimeType: 'image/jpeg' });
		await inbound({ type: 'image', image: { id: first, mime_type: 'image/jpeg', sha256: 'x' } }, 'wamid.FIRST');
		const [room] = livechatRooms();
		expect(texts(room.id)).toEqual([`file:image-${first}.jpg`]);

		// The agent closes the conversation while the next file downloads (Meta answers slowly).
		const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: jpegOf(600), mimeType: 'image/jpeg' });
		app.sim.setLatency(400);
		const delivered = inbound(
			{ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x', caption: 'second' } },
			'wamid.SECOND',
		);
		await until(() => app.sim.requests.some((r) => r.path === `/v23.0/${id}`), "the second file's download");
		await app.harness.closeLivechatRoom(room, app.harness.admin);
		await delivered;
		app.sim.setLatency(0);
		// Not in the closed room, not lost: retried, it lands in the contact's new conversation.
		expect(texts(room.id)).toEqual([`file:image-${first}.jpg`]);
		expect(app.harness.takeAppErrors()).toEqual(
			expect.arrayContaining([expect.stringContaining('the room closed before the file was posted')]),
		);
		await app.harness.scheduler.advance(60000);
		const next = livechatRooms().find((r) => r.id !== room.id)!;
		expect(texts(next.id)).toEqual([`file:image-${id}.jpg`, 'second']);
	});
});
