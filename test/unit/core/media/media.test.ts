import { humanSize, inboundFileName, isAcceptedType, judgeInbound, outboundKind, parseAcceptedTypes } from '../../../../src/core/media/media';
import { DEFAULT_INBOUND_MEDIA_TYPES } from '../../../../src/settings/settings';

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
		for (const type of ['image/jpeg', 'audio/ogg', 'video/mp4', 'application/pdf', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document']) expect(isAcceptedType(type, defaults)).toBe(true);
		expect(isAcceptedType('application/x-msdownload', defaults)).toBe(false);
	});

	it('judges a contact’s file by type, then size', () => {
		const limits = { maxBytes: 5 * MB, accepted: ['image/*'] };
		expect(judgeInbound({ mimeType: 'image/jpeg', size: MB }, limits)).toEqual({ ok: true });
		expect(judgeInbound({ mimeType: 'image/jpeg' }, limits)).toEqual({ ok: true });
		expect(judgeInbound({ mimeType: 'image/jpeg', size: 6 * MB }, limits)).toEqual({ ok: false, reason: 'size', size: 6 * MB, maxBytes: 5 * MB });
		expect(judgeInbound({ mimeType: 'application/zip', size: 1 }, limits)).toEqual({ ok: false, reason: 'type', mimeType: 'application/zip' });
	});

	it('names files so Rocket.Chat derives their type, and never lets a name climb paths', () => {
		expect(inboundFileName({ kind: 'image', id: '1003383421387256', mimeType: 'image/jpeg' })).toBe('image-1003383421387256.jpg');
		expect(inboundFileName({ kind: 'audio', id: '42', mimeType: 'audio/ogg; codecs=opus' })).toBe('audio-42.ogg');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: 'Invoice May' })).toBe('Invoice May.pdf');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: '../../etc/passwd.pdf' })).toBe('.. .. etc passwd.pdf');
		expect(inboundFileName({ kind: 'document', id: '../x', mimeType: 'application/x-unknown' })).toBe('document-x');
		// The name's extension cannot give the file another type than Meta's.
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: 'invoice.exe' })).toBe('invoice.exe.pdf');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: 'page.HTML' })).toBe('page.HTML.pdf');
		expect(inboundFileName({ kind: 'image', id: '7', mimeType: 'image/jpeg', filename: 'photo.jpeg' })).toBe('photo.jpeg');
		expect(inboundFileName({ kind: 'document', id: '7', mimeType: 'application/pdf', filename: 'report.PDF' })).toBe('report.PDF');
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
