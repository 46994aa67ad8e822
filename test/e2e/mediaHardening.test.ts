/**
 * A contact's file cannot pose as another type, and the number's token goes only to Meta's media
 * hosts: through the engine, with the simulated Cloud API serving the file (issue 13, "Files from
 * contacts"). Each test changes what a hostile contact (or a compromised answer) controls: the
 * file's name, its declared type, its bytes, where its download URL points, its announced size.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

import { engineKeepsJobLogs } from '../../tools/harness/engineVersion';
import { AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { SAMPLES } from '../unit/core/media/samples';

/* eslint-disable @typescript-eslint/no-explicit-any */
const MB = 1024 * 1024;
const filler = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) % 256));
const withHead = (head: Buffer, size: number) => Buffer.concat([head, filler(size - head.length)]);

describe('files from contacts, hardened', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.harness.addAgent({ username: 'ana' });
	});
	afterEach(() => stopChecked(app));

	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const roomMessages = () => app.harness.world.messagesIn(livechatRooms()[0].id);
	const texts = () => roomMessages().map((m: any) => (m.file ? `file:${m.file.name} ${m.file.type}` : m.text));
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

	describe('the stored name', () => {
		it('takes the extension of the accepted type, never the contact’s, and loses control and bidirectional characters', async () => {
			// "invoice‮fdp.exe" reads "invoiceexe.pdf" on screen; Meta says it is a PDF, and its bytes are one.
			const pdf = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: withHead(SAMPLES.pdf, 800),
				mimeType: 'application/pdf',
			});
			await inbound(
				{
					type: 'document',
					document: { id: pdf, mime_type: 'application/pdf', sha256: 'x', filename: 'invoice\u202Efdp\u0007.exe' },
				},
				'wamid.PDF',
			);
			const plain = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: Buffer.from('<svg onload="alert(1)"/> is just text here\n'),
				mimeType: 'text/plain',
			});
			await inbound(
				{ type: 'document', document: { id: plain, mime_type: 'text/plain', sha256: 'x', filename: '\u2067notes\u2069.svg' } },
				'wamid.TXT',
			);
			expect(texts()).toEqual(['file:invoicefdp.pdf application/pdf', 'file:notes.txt text/plain']);
			expect(stored().map((u) => u.name)).toEqual(['invoicefdp.pdf', 'notes.txt']);
		});

		it('stores a type it has no extension for as .bin: an SVG name does not make the file an SVG', async () => {
			// The admin accepts everything and cleared Rocket.Chat's black list.
			await app.harness.setSetting('inbound_media_types', '*');
			app.harness.world.serverSettings.set('FileUpload_MediaTypeBlackList', '');
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: SAMPLES.svg, mimeType: 'application/octet-stream' });
			await inbound({
				type: 'document',
				document: { id, mime_type: 'application/octet-stream', sha256: 'x', filename: 'drawing.svg' },
			});
			expect(texts()).toEqual(['file:drawing.bin application/octet-stream']);
		});

		it('falls back to a default name when nothing of the contact’s is left', async () => {
			const id = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: withHead(SAMPLES.pdf, 500),
				mimeType: 'application/pdf',
			});
			await inbound({ type: 'document', document: { id, mime_type: 'application/pdf', sha256: 'x', filename: '\u202E\u200F.exe' } });
			expect(texts()).toEqual([`file:document-${id}.pdf application/pdf`]);
		});
	});

	describe('active content', () => {
		beforeEach(() => {
			// Rocket.Chat's own black list (image/svg+xml by default) cleared: the app's rule alone refuses.
			app.harness.world.serverSettings.set('FileUpload_MediaTypeBlackList', '');
		});

		it('an SVG is not an image of image/*: refused without asking Meta for it', async () => {
			await app.harness.setSetting('inbound_media_types', 'image/*');
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: SAMPLES.svg, mimeType: 'image/svg+xml' });
			await inbound({ type: 'image', image: { id, mime_type: 'image/svg+xml', sha256: 'x', caption: 'logo' } });
			expect(texts()).toEqual([
				`📷 Image\nlogo\n(File not shown: the app never accepts files of type image/svg+xml, which a browser could run as active content, whatever its settings list.)`,
			]);
			expect(app.sim.requests.filter((r) => r.path.endsWith(`/${id}`) || r.path.includes('/attachments'))).toEqual([]);
			expect(stored()).toEqual([]);
		});

		it('HTML and XML are refused even when the admin accepts everything, or lists them', async () => {
			await app.harness.setSetting('inbound_media_types', '*');
			const html = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: SAMPLES.html, mimeType: 'text/html' });
			await inbound(
				{ type: 'document', document: { id: html, mime_type: 'text/html', sha256: 'x', filename: 'page.html' } },
				'wamid.HTML',
			);
			await app.harness.setSetting('inbound_media_types', 'application/xml, image/svg+xml, application/xhtml+xml');
			const xml = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: Buffer.from('<?xml version="1.0"?><a/>'),
				mimeType: 'application/xml',
			});
			await inbound(
				{ type: 'document', document: { id: xml, mime_type: 'application/xml', sha256: 'x', filename: 'data.xml' } },
				'wamid.XML',
			);
			expect(texts()).toEqual([
				`📄 Document page.html\n(File not shown: the app never accepts files of type text/html, which a browser could run as active content, whatever its settings list.)`,
				`📄 Document data.xml\n(File not shown: the app never accepts files of type application/xml, which a browser could run as active content, whatever its settings list.)`,
			]);
			expect(downloads()).toEqual([]);
			expect(stored()).toEqual([]);
		});

		it('a type Meta reveals as active only when asked where the file is is refused before its download', async () => {
			// The webhook said image/png; Meta's media answer says image/svg+xml.
			const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: SAMPLES.svg, mimeType: 'image/svg+xml' });
			await inbound({ type: 'image', image: { id, mime_type: 'image/png', sha256: 'x' } });
			expect(texts()).toEqual([
				`📷 Image\n(File not shown: the app never accepts files of type image/svg+xml, which a browser could run as active content, whatever its settings list.)`,
			]);
			expect(downloads()).toEqual([]);
		});
	});

	describe('the bytes against the declared type', () => {
		it('refuses a file whose leading bytes are not its declared type, says so in the room, and posts nothing', async () => {
			const fake = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes: SAMPLES.html, mimeType: 'image/jpeg' });
			await inbound({ type: 'image', image: { id: fake, mime_type: 'image/jpeg', sha256: 'x', caption: 'my photo' } }, 'wamid.FAKE');
			const program = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: withHead(SAMPLES.exe, 600),
				mimeType: 'application/pdf',
			});
			await inbound(
				{ type: 'document', document: { id: program, mime_type: 'application/pdf', sha256: 'x', filename: 'invoice.pdf' } },
				'wamid.EXE',
			);
			expect(texts()).toEqual([
				'📷 Image\nmy photo\n(File not shown: its content is not a file of type image/jpeg, as WhatsApp declared it.)',
				'📄 Document invoice.pdf\n(File not shown: its content is not a file of type application/pdf, as WhatsApp declared it.)',
			]);
			expect(stored()).toEqual([]);
			expect(downloads()).toHaveLength(2);
			const warnings = app.harness.logs
				.filter((l: any) => l.severity === 'warning' || l.severity === 'warn')
				.map((l: any) => l.args.join(' '));
			// Engines before 1.62 may lose a job's log entries (engineKeepsJobLogs); the room says it all the same.
			if (engineKeepsJobLogs())
				expect(warnings).toEqual(
					expect.arrayContaining([
						expect.stringContaining(
							`inbound media ${fake} of ${NUMBER.phoneNumberId} refused: its content is not of its declared type image/jpeg`,
						),
					]),
				);
		});

		it('posts real files of the types WhatsApp carries', async () => {
			const files: Array<[string, string, Buffer, Record<string, unknown>]> = [
				['image', 'image/jpeg', withHead(SAMPLES.jpeg, 700), {}],
				['audio', 'audio/ogg; codecs=opus', withHead(SAMPLES.oggOpus, 700), { voice: true }],
				['audio', 'audio/amr', withHead(SAMPLES.amr, 700), {}],
				['video', 'video/3gpp', withHead(SAMPLES.threeGp, 700), {}],
				['sticker', 'image/webp', withHead(SAMPLES.webp, 700), {}],
				['document', 'application/msword', withHead(SAMPLES.cfb, 700), { filename: 'old.doc' }],
				['document', 'text/plain', SAMPLES.textUtf8, { filename: 'list' }],
			];
			const names: string[] = [];
			for (const [i, [kind, mime, bytes, extra]] of files.entries()) {
				const id = app.sim.addMedia({ phoneNumberId: NUMBER.phoneNumberId, bytes, mimeType: mime });
				names.push(
					`file:${extra.filename ? String(extra.filename).replace(/\..*$/, '') : `${kind}-${id}`}.${['jpg', 'ogg', 'amr', '3gp', 'webp', 'doc', 'txt'][i]}`,
				);
				await inbound({ type: kind, [kind]: { id, mime_type: mime, sha256: 'x', ...extra } }, `wamid.OK${i}`);
			}
			expect(texts().map((t) => t.split(' ')[0])).toEqual(names);
		});
	});

	describe('where the file is downloaded from', () => {
		let elsewhere: http.Server;
		const reached: Array<{ url?: string; authorization?: string }> = [];
		beforeEach(async () => {
			reached.length = 0;
			elsewhere = http.createServer((req, res) => {
				reached.push({ url: req.url, authorization: req.headers.authorization });
				res.writeHead(200, { 'Content-Type': 'image/jpeg' });
				res.end(withHead(SAMPLES.jpeg, 400));
			});
			await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
		});
		afterEach(() => new Promise<void>((resolve) => elsewhere.close(() => resolve())));

		it('sends the token to no host but Meta’s media hosts (or the loopback Graph API itself): a URL elsewhere is not fetched', async () => {
			const id = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: withHead(SAMPLES.jpeg, 400),
				mimeType: 'image/jpeg',
			});
			// Meta's answer (here the simulator's) points the download at another server.
			app.sim.media.get(id)!.urlBase = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
			await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x', caption: 'here' } });
			expect(reached).toEqual([]);
			expect(texts()).toEqual([
				"📷 Image\nhere\n(File not shown: it could not be fetched from WhatsApp: its download address is not on Meta's media servers.)",
			]);
			const errors = app.harness.takeAppErrors();
			const expected = /inbound media \d+ of 106540352242922 not posted: media URL on 127\.0\.0\.1, not one of Meta's media hosts/;
			// Engines before 1.62 may lose a job's log entries (engineKeepsJobLogs): whatever arrives is this error.
			if (engineKeepsJobLogs()) expect(errors).toEqual([expect.stringMatching(expected)]);
			else expect(errors.filter((e) => !expected.test(e))).toEqual([]);
			expect(stored()).toEqual([]);
		});

		it('a file larger than Meta announced is refused by the answer’s size, and not posted', async () => {
			await app.harness.setSetting('inbound_media_max_mb', 1);
			const id = app.sim.addMedia({
				phoneNumberId: NUMBER.phoneNumberId,
				bytes: withHead(SAMPLES.jpeg, 2 * MB),
				mimeType: 'image/jpeg',
			});
			app.sim.media.get(id)!.announcedSize = 1000;
			await inbound({ type: 'image', image: { id, mime_type: 'image/jpeg', sha256: 'x' } });
			expect(texts()).toEqual([
				`📷 Image\n(File not shown: it is 2.0 MB, over the app's setting "Largest file a contact may send (MB)" of 1.0 MB.)`,
			]);
			expect(downloads()).toHaveLength(1);
			expect(stored()).toEqual([]);
		});
	});
});
