import {
	humanSize,
	inboundFileName,
	isAcceptedType,
	isActiveContentType,
	judgeInbound,
	outboundKind,
	stickerFit,
	webpInfo,
	parseAcceptedTypes,
} from '../../../../src/core/media/media';
import { DEFAULT_INBOUND_MEDIA_TYPES } from '../../../../src/core/app/settings';
import { SAMPLES } from './samples';

const MB = 1024 * 1024;

describe('media rules', () => {
	it('maps a file to the WhatsApp type that carries it, within Meta’s limits', () => {
		expect(outboundKind('image/jpeg', 2 * MB)).toEqual({ kind: 'image', mimeType: 'image/jpeg' });
		expect(outboundKind('image/png', 6 * MB)).toEqual({ refused: 'size', maxBytes: 5 * MB });
		expect(outboundKind('audio/ogg; codecs=opus', 100)).toEqual({ kind: 'audio', mimeType: 'audio/ogg' });
		expect(outboundKind('video/mp4', 16 * MB)).toEqual({ kind: 'video', mimeType: 'video/mp4' });
		expect(outboundKind('application/pdf', 99 * MB)).toEqual({ kind: 'document', mimeType: 'application/pdf' });
		expect(outboundKind('image/webp', 100 * 1024)).toEqual({ kind: 'sticker', mimeType: 'image/webp' });
		expect(outboundKind('application/zip', 10)).toEqual({ refused: 'type' });
		expect(outboundKind('', 10)).toEqual({ refused: 'type' });
	});

	describe('a WebP as a sticker (Meta: 512×512 pixels; 100 KB static, 500 KB animated)', () => {
		const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
		/** A WebP of `size` bytes whose first chunk is `chunk` with `data` (the rest zeros). */
		const webp = (chunk: string, data: number[], size = 2000) => {
			const bytes = new Uint8Array(size);
			bytes.set([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('WEBP'), ...ascii(chunk), data.length, 0, 0, 0, ...data]);
			return bytes;
		};
		const side = (n: number) => [(n - 1) & 0xff, ((n - 1) >> 8) & 0xff, 0];
		const extended = (flags: number, w: number, h: number, size?: number) =>
			webp('VP8X', [flags, 0, 0, 0, ...side(w), ...side(h)], size);
		const lossy = (w: number, h: number) => webp('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, w & 0xff, w >> 8, h & 0xff, h >> 8]);
		const lossless = (w: number, h: number) => {
			const bits = (w - 1) | ((h - 1) << 14);
			return webp('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >>> 24) & 0xff]);
		};

		it('reads the canvas and the animation of the three kinds of WebP', () => {
			expect(webpInfo(extended(0x12, 512, 512))).toEqual({ animated: true, width: 512, height: 512 });
			expect(webpInfo(lossy(512, 384))).toEqual({ animated: false, width: 512, height: 384 });
			expect(webpInfo(lossless(512, 512))).toEqual({ animated: false, width: 512, height: 512 });
			// CPython's python.webp: 16×16, with alpha.
			expect(webpInfo(SAMPLES.webp)).toEqual({ animated: false, width: 16, height: 16 });
			expect(webpInfo(SAMPLES.png)).toBeUndefined();
		});

		it('takes a 512×512 sticker within its limit, and refuses a photo or an oversized one', () => {
			expect(stickerFit(lossless(512, 512))).toEqual({ ok: true });
			expect(stickerFit(extended(0x02, 512, 512, 400 * 1024))).toEqual({ ok: true });
			expect(stickerFit(extended(0x00, 512, 512, 150 * 1024))).toEqual({ refused: 'size', maxBytes: 100 * 1024 });
			expect(stickerFit(extended(0x02, 512, 512, 600 * 1024))).toEqual({ refused: 'size', maxBytes: 500 * 1024 });
			expect(stickerFit(lossy(1280, 720))).toEqual({ refused: 'sticker' });
			expect(stickerFit(SAMPLES.webp)).toEqual({ refused: 'sticker' });
			expect(stickerFit(new Uint8Array(10))).toEqual({ refused: 'sticker' });
		});
	});

	it("takes the names browsers give some of Meta's types (Chrome's .m4a, a .jpg as image/jpg), as Meta's", () => {
		expect(outboundKind('audio/x-m4a', 100)).toEqual({ kind: 'audio', mimeType: 'audio/mp4' });
		expect(outboundKind('audio/mp3', 100)).toEqual({ kind: 'audio', mimeType: 'audio/mpeg' });
		expect(outboundKind('IMAGE/JPG', 100)).toEqual({ kind: 'image', mimeType: 'image/jpeg' });
		expect(outboundKind('image/jpg', 6 * MB)).toEqual({ refused: 'size', maxBytes: 5 * MB });
	});

	it('accepts types by the setting: exact, wildcard, everything', () => {
		expect(parseAcceptedTypes(' image/*, application/pdf ,,')).toEqual(['image/*', 'application/pdf']);
		expect(isAcceptedType('image/jpeg', ['image/*'])).toBe(true);
		expect(isAcceptedType('IMAGE/PNG; x=1', ['image/*'])).toBe(true);
		expect(isAcceptedType('imagex/png', ['image/*'])).toBe(false);
		expect(isAcceptedType('application/pdf', ['application/pdf'])).toBe(true);
		expect(isAcceptedType('application/zip', ['application/pdf'])).toBe(false);
		expect(isAcceptedType('application/zip', ['*'])).toBe(true);
		expect(isAcceptedType('application/zip', [])).toBe(true);
		expect(isAcceptedType(undefined, ['image/*'])).toBe(false);
		const defaults = parseAcceptedTypes(DEFAULT_INBOUND_MEDIA_TYPES);
		for (const type of [
			'image/jpeg',
			'audio/ogg',
			'video/mp4',
			'application/pdf',
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
		])
			expect(isAcceptedType(type, defaults)).toBe(true);
		expect(isAcceptedType('application/x-msdownload', defaults)).toBe(false);
	});

	it('judges a contact’s file by type, then size', () => {
		const limits = { maxBytes: 5 * MB, accepted: ['image/*'] };
		expect(judgeInbound({ mimeType: 'image/jpeg', size: MB }, limits)).toEqual({ ok: true });
		expect(judgeInbound({ mimeType: 'image/jpeg' }, limits)).toEqual({ ok: true });
		expect(judgeInbound({ mimeType: 'image/jpeg', size: 6 * MB }, limits)).toEqual({
			ok: false,
			reason: 'size',
			size: 6 * MB,
			maxBytes: 5 * MB,
		});
		expect(judgeInbound({ mimeType: 'application/zip', size: 1 }, limits)).toEqual({
			ok: false,
			reason: 'type',
			mimeType: 'application/zip',
		});
	});

	it('names files so Rocket.Chat derives their type, and never lets a name climb paths', () => {
		expect(inboundFileName({ kind: 'image', id: '1003383421387256', mimeType: 'image/jpeg' })).toBe('image-1003383421387256.jpg');
		expect(inboundFileName({ kind: 'audio', id: '42', mimeType: 'audio/ogg; codecs=opus' })).toBe('audio-42.ogg');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: 'Invoice May' })).toBe(
			'Invoice May.pdf',
		);
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: '../../etc/passwd.pdf' })).toBe(
			'etc passwd.pdf',
		);
		expect(inboundFileName({ kind: 'document', id: '../x', mimeType: 'application/x-unknown' })).toBe('document-x.bin');
	});

	it('ends a name with the accepted type’s extension, never the contact’s', () => {
		const pdf = (filename: string) => inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename });
		// The contact's extension is dropped, whatever it was, and the type's takes its place.
		expect(pdf('invoice.exe')).toBe('invoice.pdf');
		expect(pdf('page.HTML')).toBe('page.pdf');
		expect(pdf('report.PDF')).toBe('report.pdf');
		expect(pdf('Invoice 42.pdf')).toBe('Invoice 42.pdf');
		// Only the last extension gives a type: an earlier dot stays in the name.
		expect(pdf('contract.v2.final.pdf')).toBe('contract.v2.final.pdf');
		expect(pdf('setup.exe.pdf')).toBe('setup.exe.pdf');
		expect(pdf('Invoice No. 42')).toBe('Invoice No. 42.pdf');
		expect(inboundFileName({ kind: 'image', id: '7', mimeType: 'image/jpeg', filename: 'photo.jpeg' })).toBe('photo.jpg');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'text/plain', filename: 'notes.svg' })).toBe('notes.txt');
		// A type with no known extension is stored as bytes to download, never as the contact's type.
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/octet-stream', filename: 'drawing.svg' })).toBe(
			'drawing.bin',
		);
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/x-unknown', filename: 'invoice.pdf.html' })).toBe(
			'invoice.pdf.bin',
		);
	});

	it('strips control and bidirectional characters from names, and falls back to a default name', () => {
		const pdf = (filename: string) => inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename });
		// "invoice‮fdp.exe" displays as "invoiceexe.pdf": the override goes, and so does the .exe.
		expect(pdf('invoice\u202Efdp.exe')).toBe('invoicefdp.pdf');
		for (const bidi of [
			'\u202A',
			'\u202B',
			'\u202C',
			'\u202D',
			'\u202E',
			'\u2066',
			'\u2067',
			'\u2068',
			'\u2069',
			'\u200E',
			'\u200F',
			'\u061C',
		])
			expect(pdf(`a${bidi}b`)).toBe('ab.pdf');
		for (const invisible of ['\u200B', '\u200D', '\u2060', '\uFEFF', '\u2028', '\u2029', '\u180E'])
			expect(pdf(`a${invisible}b`)).toBe('ab.pdf');
		expect(pdf('tab\there\r\nnull\u0000del\u007fc1\u0085.pdf')).toBe('tabherenulldelc1.pdf');
		expect(pdf('  ..\u202E\u0007  ')).toBe('document-7.pdf');
		expect(pdf('.exe')).toBe('document-7.pdf');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: '\u202E\u2066' })).toBe(
			'document-7.pdf',
		);
		// Long names are cut to 200 characters, never in the middle of one.
		const long = pdf(`${'😀'.repeat(250)}.pdf`);
		expect(Array.from(long)).toHaveLength(204);
		expect(long.endsWith('😀.pdf')).toBe(true);
	});

	it('never accepts types a browser runs as active content, whatever the setting', () => {
		for (const type of [
			'image/svg+xml',
			'text/html',
			'application/xhtml+xml',
			'application/xml',
			'text/xml',
			'application/rss+xml',
			'application/vnd.custom+xml',
			'text/javascript',
			'Image/SVG+XML; charset=utf-8',
		]) {
			expect([type, isActiveContentType(type)]).toEqual([type, true]);
			for (const accepted of [['image/*'], ['*'], [], ['text/*', 'application/*'], [type.split(';')[0].toLowerCase()]])
				expect([type, accepted, isAcceptedType(type, accepted)]).toEqual([type, accepted, false]);
		}
		for (const type of [
			'image/png',
			'application/pdf',
			'text/plain',
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
		])
			expect(isActiveContentType(type)).toBe(false);
		expect(
			judgeInbound(
				{ mimeType: 'image/svg+xml', size: 300 },
				{ maxBytes: 5 * MB, accepted: parseAcceptedTypes(DEFAULT_INBOUND_MEDIA_TYPES) },
			),
		).toEqual({ ok: false, reason: 'type', mimeType: 'image/svg+xml' });
	});

	it('writes sizes for people', () => {
		expect(humanSize(830 * 1024)).toBe('830 KB');
		expect(humanSize(2.45 * MB)).toBe('2.5 MB');
		expect(humanSize(25 * MB)).toBe('25 MB');
		expect(humanSize(5 * MB + 1)).toBe('5.0 MB');
		expect(humanSize(5 * MB + 1, true)).toBe('5.1 MB');
		expect(humanSize(5 * MB, true)).toBe('5.0 MB');
	});
});
