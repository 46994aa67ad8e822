import { looksLikeText, matchesDeclaredType } from '../../../../src/core/media/signature';
import { officeOpenXml, SAMPLES } from './samples';

const OOXML = {
	docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

describe('a contact’s file against the type Meta declared (magic numbers)', () => {
	const matches = (bytes: Uint8Array, type: string) => matchesDeclaredType(bytes, type);

	it('takes real files of every type WhatsApp carries', () => {
		const cases: Array<[Uint8Array, string]> = [
			[SAMPLES.jpeg, 'image/jpeg'],
			[SAMPLES.png, 'image/png'],
			[SAMPLES.webp, 'image/webp'],
			[SAMPLES.gif, 'image/gif'],
			[SAMPLES.bmp, 'image/bmp'],
			[SAMPLES.tiff, 'image/tiff'],
			[SAMPLES.mp4, 'video/mp4'],
			[SAMPLES.threeGp, 'video/3gpp'],
			[SAMPLES.m4a, 'audio/mp4'],
			[SAMPLES.m4a, 'audio/aac'],
			[SAMPLES.aacAdts, 'audio/aac'],
			[SAMPLES.oggOpus, 'audio/ogg; codecs=opus'],
			[SAMPLES.oggOpus, 'audio/ogg'],
			[SAMPLES.amr, 'audio/amr'],
			[SAMPLES.mp3, 'audio/mpeg'],
			[SAMPLES.mp3Frame, 'audio/mpeg'],
			[SAMPLES.wav, 'audio/wav'],
			[SAMPLES.pdf, 'application/pdf'],
			[officeOpenXml('word'), OOXML.docx],
			[officeOpenXml('xl'), OOXML.xlsx],
			[officeOpenXml('ppt'), OOXML.pptx],
			[SAMPLES.cfb, 'application/msword'],
			[SAMPLES.cfb, 'application/vnd.ms-excel'],
			[SAMPLES.cfb, 'application/vnd.ms-powerpoint'],
			[Buffer.from('{\\rtf1\\ansi Hello}'), 'application/msword'],
			[SAMPLES.textUtf8, 'text/plain'],
			[SAMPLES.textUtf16, 'text/plain'],
			[Buffer.from('name,phone\nAna,+5511\n'), 'text/csv'],
			[SAMPLES.jpeg, 'IMAGE/JPEG'],
		];
		for (const [bytes, type] of cases) expect([type, matches(bytes, type)]).toEqual([type, { ok: true, checked: true }]);
	});

	it('takes a PDF whose header follows a few bytes of preamble, as PDF readers do', () => {
		expect(matches(Buffer.concat([Buffer.from('\ufeff\r\n'), SAMPLES.pdf]), 'application/pdf')).toEqual({ ok: true, checked: true });
		expect(matches(Buffer.concat([Buffer.alloc(1100, 0x20), SAMPLES.pdf]), 'application/pdf')).toEqual({ ok: false });
	});

	it('refuses a file whose bytes are another type than declared', () => {
		const cases: Array<[Uint8Array, string]> = [
			[SAMPLES.html, 'image/jpeg'],
			[SAMPLES.html, 'application/pdf'],
			[SAMPLES.svg, 'image/png'],
			[SAMPLES.exe, 'application/pdf'],
			[SAMPLES.exe, 'image/jpeg'],
			[SAMPLES.exe, 'text/plain'],
			[SAMPLES.png, 'image/jpeg'],
			[SAMPLES.jpeg, 'image/webp'],
			[SAMPLES.wav, 'image/webp'],
			[SAMPLES.jpeg, 'audio/ogg'],
			[SAMPLES.mp4, 'audio/mpeg'],
			[SAMPLES.aacAdts, 'audio/mpeg'],
			[SAMPLES.oggOpus, 'video/mp4'],
			[SAMPLES.cfb, OOXML.docx],
			[officeOpenXml('word'), 'application/msword'],
			[SAMPLES.html, 'application/vnd.ms-excel'],
			[SAMPLES.pdf, 'audio/amr'],
			[Buffer.alloc(0), 'image/jpeg'],
			[Buffer.from([0xff, 0xd8]), 'image/jpeg'],
		];
		for (const [bytes, type] of cases) expect([type, matches(bytes, type)]).toEqual([type, { ok: false }]);
	});

	it('judges text by its bytes, there being no signature', () => {
		expect(looksLikeText(Buffer.from('plain\ttext\r\nwith ESC \x1b[0m and Ctrl-Z\x1a'))).toBe(true);
		expect(looksLikeText(Buffer.from([0x41, 0x00, 0x42]))).toBe(false);
		expect(looksLikeText(Buffer.from('bell\x07'))).toBe(false);
		expect(looksLikeText(SAMPLES.png)).toBe(false);
		expect(looksLikeText(Buffer.from('café em latin-1: caf\xe9', 'latin1'))).toBe(true);
	});

	it('passes a type it has no signature for, saying it was not checked', () => {
		expect(matches(SAMPLES.exe, 'application/octet-stream')).toEqual({ ok: true, checked: false });
		expect(matches(SAMPLES.jpeg, 'application/x-unknown')).toEqual({ ok: true, checked: false });
	});
});
