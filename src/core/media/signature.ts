/**
 * Whether a file's leading bytes are those of the type Meta declared for it (magic numbers). A
 * contact's phone names the type; the bytes may say otherwise (an HTML page sent as a "PDF", a
 * program sent as an "image"): such a file is refused rather than posted under a type it is not.
 * Plain TypeScript, no engine imports.
 *
 * Checked by signature: JPEG, PNG, GIF, WebP, BMP, TIFF; ISO media files (MP4, 3GP, M4A, MOV, HEIC,
 * AVIF: an `ftyp` box at offset 4); Matroska/WebM; Ogg (Vorbis and Opus voice notes); AMR; MP3
 * (an ID3 tag or an MPEG audio frame header); AAC (ADTS or ADIF, or an ISO media file, which is how
 * many phones send "audio/aac"); WAV; PDF (`%PDF-` within the first 1024 bytes, where PDF readers
 * look for it); the ZIP-based formats (docx, xlsx, pptx, OpenDocument, EPUB, zip); legacy Office
 * files (the Compound File header D0 CF 11 E0; Word also saves RTF as .doc, so `{\rtf` is taken for
 * application/msword); gzip, 7z, RAR; RTF.
 *
 * Types with no reliable signature:
 * - text (text/plain, text/csv, text/markdown..., application/json): there is no magic number. The
 *   bytes must look like text: no NUL and no control characters other than tab, line feed, vertical
 *   tab, form feed, carriage return, Ctrl-Z and escape, unless a UTF-16/UTF-32 byte order mark starts them.
 * - MP3 without an ID3 tag and AAC in ADTS are recognised by an 11/12-bit frame sync only: a weak
 *   check, that still refuses text and every other signature above.
 * - Any other type (application/octet-stream, or one an admin accepts with `*`) is not checked: it is
 *   stored under the app's own extension for that type (`.bin` when none is known), so neither its
 *   bytes nor the contact's name make Rocket.Chat serve it as something else.
 * Types a browser renders as active content (SVG, HTML, XML) are never accepted at all (media.ts).
 */
import { baseMime } from './media';

export type SignatureVerdict = { ok: true; checked: boolean } | { ok: false };

/** How far into a file the checks look (text is judged on this much). */
const SAMPLE = 8192;

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0): boolean =>
	bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);
const codes = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const ascii = (bytes: Uint8Array, text: string, offset = 0): boolean => startsWith(bytes, codes(text), offset);

const jpeg = (b: Uint8Array) => startsWith(b, [0xff, 0xd8, 0xff]);
const png = (b: Uint8Array) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const gif = (b: Uint8Array) => ascii(b, 'GIF87a') || ascii(b, 'GIF89a');
const riff = (form: string) => (b: Uint8Array) => ascii(b, 'RIFF') && ascii(b, form, 8);
const bmp = (b: Uint8Array) => ascii(b, 'BM') && b.length >= 14;
const tiff = (b: Uint8Array) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]);
/** ISO base media file (MP4, 3GP, M4A, HEIC...): the first box is `ftyp`. */
const isoMedia = (b: Uint8Array) => ascii(b, 'ftyp', 4);
/** QuickTime files may also start with another top-level atom. */
const quickTime = (b: Uint8Array) => isoMedia(b) || ['moov', 'mdat', 'wide', 'free', 'skip', 'pnot'].some((atom) => ascii(b, atom, 4));
const ebml = (b: Uint8Array) => startsWith(b, [0x1a, 0x45, 0xdf, 0xa3]);
const ogg = (b: Uint8Array) => ascii(b, 'OggS');
const amr = (b: Uint8Array) => ascii(b, '#!AMR');
const id3 = (b: Uint8Array) => ascii(b, 'ID3');
/** An MPEG audio frame header: 11 sync bits, a version and a layer that are not reserved. */
const mpegFrame = (b: Uint8Array) =>
	b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0 && (b[1] & 0x18) !== 0x08 && (b[1] & 0x06) !== 0x00;
/** AAC in ADTS: 12 sync bits and layer 00. */
const adts = (b: Uint8Array) => b.length >= 2 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0;
const pdf = (b: Uint8Array) => {
	const end = Math.min(b.length, 1024) - 5;
	for (let i = 0; i <= end; i++) if (ascii(b, '%PDF-', i)) return true;
	return false;
};
/** A ZIP local file header (docx, xlsx, pptx, OpenDocument, EPUB are ZIP files). */
const zip = (b: Uint8Array) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]);
/** The Compound File Binary header of legacy Office files (doc, xls, ppt, msg). */
const cfb = (b: Uint8Array) => startsWith(b, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const rtf = (b: Uint8Array) => ascii(b, '{\\rtf');
const gzip = (b: Uint8Array) => startsWith(b, [0x1f, 0x8b]);
const sevenZip = (b: Uint8Array) => startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);
const rar = (b: Uint8Array) => ascii(b, 'Rar!\x1a\x07');

/** Text: no NUL and no control characters but tab, LF, VT, FF, CR, Ctrl-Z (DOS end of file) and ESC; or a UTF-16/32 byte order mark. */
export function looksLikeText(bytes: Uint8Array): boolean {
	if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff]) || startsWith(bytes, [0x00, 0x00, 0xfe, 0xff])) return true;
	const end = Math.min(bytes.length, SAMPLE);
	for (let i = 0; i < end; i++) {
		const b = bytes[i];
		if (b === 0x7f || (b < 0x20 && !(b >= 0x09 && b <= 0x0d) && b !== 0x1a && b !== 0x1b)) return false;
	}
	return true;
}

const SIGNATURES: Record<string, (bytes: Uint8Array) => boolean> = {
	'image/jpeg': jpeg,
	'image/png': png,
	'image/gif': gif,
	'image/webp': riff('WEBP'),
	'image/bmp': bmp,
	'image/tiff': tiff,
	'image/heic': isoMedia,
	'image/heif': isoMedia,
	'image/avif': isoMedia,
	'video/mp4': isoMedia,
	'video/3gpp': isoMedia,
	'video/quicktime': quickTime,
	'video/webm': ebml,
	'video/x-matroska': ebml,
	'video/ogg': ogg,
	'audio/mp4': isoMedia,
	'audio/x-m4a': isoMedia,
	'audio/3gpp': isoMedia,
	'audio/ogg': ogg,
	'audio/opus': ogg,
	'application/ogg': ogg,
	'audio/webm': ebml,
	'audio/amr': amr,
	'audio/mpeg': (b) => id3(b) || mpegFrame(b),
	'audio/aac': (b) => adts(b) || ascii(b, 'ADIF') || id3(b) || isoMedia(b),
	'audio/wav': riff('WAVE'),
	'audio/x-wav': riff('WAVE'),
	'audio/wave': riff('WAVE'),
	'audio/vnd.wave': riff('WAVE'),
	'application/pdf': pdf,
	'application/zip': zip,
	'application/epub+zip': zip,
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document': zip,
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': zip,
	'application/vnd.openxmlformats-officedocument.presentationml.presentation': zip,
	'application/vnd.oasis.opendocument.text': zip,
	'application/vnd.oasis.opendocument.spreadsheet': zip,
	'application/vnd.oasis.opendocument.presentation': zip,
	'application/msword': (b) => cfb(b) || rtf(b),
	'application/vnd.ms-excel': cfb,
	'application/vnd.ms-powerpoint': cfb,
	'application/vnd.ms-outlook': cfb,
	'application/rtf': rtf,
	'text/rtf': rtf,
	'application/gzip': gzip,
	'application/x-gzip': gzip,
	'application/x-7z-compressed': sevenZip,
	'application/vnd.rar': rar,
	'application/x-rar-compressed': rar,
	'application/json': looksLikeText,
};

/**
 * Whether `bytes` can be a file of `mimeType` (parameters ignored). `checked` is false for a type
 * this module has no signature for (see above), which passes.
 */
export function matchesDeclaredType(bytes: Uint8Array, mimeType: string | undefined): SignatureVerdict {
	const type = baseMime(mimeType);
	const check = SIGNATURES[type] ?? (type.startsWith('text/') ? looksLikeText : undefined);
	if (!check) return { ok: true, checked: false };
	return check(bytes) ? { ok: true, checked: true } : { ok: false };
}
