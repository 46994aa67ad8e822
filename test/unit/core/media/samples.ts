/**
 * The leading bytes of real files, for the content checks of a contact's media. Where a real file
 * of the format exists on a developer machine, its first 48 bytes are copied here (the source is
 * named); the others are the headers the format's specification prescribes, byte for byte as the
 * usual encoders write them (named too). Office Open XML files are built as real ZIP archives in
 * the tests (adm-zip).
 */
const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

export const SAMPLES = {
	/** CPython's Lib/test/imghdrdata/python.jpg (JFIF). */
	jpeg: hex('ffd8ffe000104a46494600010101000100010000ffdb0043000302020202020302020203030303040604040404040806'),
	/** CPython's Lib/test/imghdrdata/python.png. */
	png: hex('89504e470d0a1a0a0000000d4948445200000010000000100803000000282d0f53000000206348524d00007a26000080'),
	/** CPython's Lib/test/imghdrdata/python.gif (GIF89a). */
	gif: hex('47494638396110001000f53f00ebbb18ebbe21f3c11afac719fdcb1bffcc1cebc22affcf23ffcf24ffd025ffd32debc5'),
	/** CPython's Lib/test/imghdrdata/python.webp (RIFF WEBP VP8X). */
	webp: hex('52494646a801000057454250565038580a000000100000000f00000f0000414c5048c30000000127a2a89124e57ae718'),
	/** CPython's Lib/test/imghdrdata/python.bmp. */
	bmp: hex('424d8a040000000000008a0000007c000000100000001000000001002000030000000004000000000000000000000000'),
	/** CPython's Lib/test/imghdrdata/python.tiff (little-endian). */
	tiff: hex('49492a0008040000000000000000000000000000000000004e8dc0af4a86baed4883b4ff447eadff4078a7ff3c719ef7'),
	/** CPython's Lib/test/sndhdrdata/sndhdr.wav. */
	wav: hex('524946463800000057415645666d7420100000000100020044ac000010b1020004001000646174611400000000000000'),
	/** gsutil's gslib/tests/test_data/test.mp3: an ID3v2.4 tag (LAME). */
	mp3: hex('49443304000000000016545353450000000c0000034c61766635332e352e3000fff380c40000000348000000004c414d'),
	/** The same file after its ID3 tag: an MPEG-1 Layer III frame header (FF F3...). */
	mp3Frame: hex('fff380c40000000348000000004c414d45332e39382e32555555555555555555'),
	/** MP4 as ffmpeg writes it: `ftyp` isom, compatible isom iso2 avc1 mp41, then `free`. */
	mp4: hex('00000020 66747970 69736f6d 00000200 69736f6d 69736f32 61766331 6d703431 00000008 66726565'),
	/** 3GP as Android writes it: `ftyp` 3gp4, compatible isom 3gp4. */
	threeGp: hex('00000018 66747970 33677034 00000000 69736f6d 33677034 00000008 66726565'),
	/** M4A (AAC in MP4): `ftyp` "M4A ", compatible "M4A " mp42 isom. */
	m4a: hex('0000001c 66747970 4d344120 00000000 4d344120 6d703432 69736f6d'),
	/** An Ogg Opus voice note's first page (RFC 7845): OggS, beginning of stream, OpusHead mono 48 kHz. */
	oggOpus: hex('4f676753 00 02 0000000000000000 5d3b1a09 00000000 1c2e8b41 01 13 4f70757348656164 01 01 3801 80bb0000 0000 00'),
	/** AMR narrowband (RFC 4867 storage format): "#!AMR\n" then a 12.2 kbit/s frame header. */
	amr: hex('2321414d520a 3c 48f5 5a8a'),
	/** AAC in ADTS (ISO 14496-3): AAC LC, 44.1 kHz, stereo. */
	aacAdts: hex('fff15080021ffc 21 00 49 90 02 19 00 23 80'),
	/** A PDF 1.7 header with its binary comment line. */
	pdf: Buffer.concat([Buffer.from('%PDF-1.7\n'), hex('25b5b5b5b50a'), Buffer.from('1 0 obj\n<< /Type /Catalog >>\n')]),
	/** The Compound File Binary header of a legacy Office file (MS-CFB 2.2): version 3, byte order FFFE, 512-byte sectors. */
	cfb: hex(
		'd0cf11e0a1b11ae1 0000000000000000 0000000000000000 3e00 0300 feff 0900 0600 000000000000 00000000 01000000 feffffff 00000000 00100000',
	),
	/** A Windows program (MZ header). */
	exe: hex('4d5a90000300000004000000ffff0000b800000000000000400000000000000000000000000000000000000000000000'),
	html: Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>'),
	svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'),
	textUtf8: Buffer.from('Olá! Segue a lista:\r\n\t- item 1\n\t- item 2\n'),
	/** "Hi" in UTF-16LE with its byte order mark (Windows Notepad's "Unicode"). */
	textUtf16: hex('fffe 4800 6900 0d00 0a00'),
};

/** A real ZIP archive shaped like an Office Open XML file of `kind`. */
export function officeOpenXml(kind: 'word' | 'xl' | 'ppt'): Buffer {
	const AdmZip = require('adm-zip');
	const zip = new AdmZip();
	zip.addFile(
		'[Content_Types].xml',
		Buffer.from('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
	);
	zip.addFile(`${kind}/document.xml`, Buffer.from('<?xml version="1.0"?><document/>'));
	return zip.toBuffer();
}
