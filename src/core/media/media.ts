/**
 * Media between WhatsApp and Rocket.Chat: which files the workspace accepts from contacts, which
 * WhatsApp message type carries an agent's file (Meta's supported types and size limits), file
 * names, and the multipart body of a Graph media upload. Plain TypeScript, no engine imports.
 */

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

const MB = 1024 * 1024;

/** Meta's supported media types and their size limits (Cloud API "Supported media types"). */
const SUPPORTED: Array<{ kind: MediaKind; types: string[]; maxBytes: number }> = [
	{ kind: 'image', types: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
	{ kind: 'sticker', types: ['image/webp'], maxBytes: 500 * 1024 },
	{ kind: 'video', types: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
	{ kind: 'audio', types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB },
	{
		kind: 'document',
		types: [
			'text/plain',
			'application/pdf',
			'application/msword',
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
			'application/vnd.ms-excel',
			'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
			'application/vnd.ms-powerpoint',
			'application/vnd.openxmlformats-officedocument.presentationml.presentation',
		],
		maxBytes: 100 * MB,
	},
];

/**
 * The extension a contact's file is stored with, by its accepted type: Rocket.Chat types a file by
 * its name's extension, so this decides what type the room serves it as. The preferred extension
 * of each type in the MIME database Rocket.Chat looks names up in (mime-db).
 */
const EXTENSIONS: Record<string, string> = {
	'image/jpeg': 'jpg',
	'image/png': 'png',
	'image/webp': 'webp',
	'image/gif': 'gif',
	'image/bmp': 'bmp',
	'image/tiff': 'tiff',
	'image/heic': 'heic',
	'image/heif': 'heif',
	'image/avif': 'avif',
	'video/mp4': 'mp4',
	'video/3gpp': '3gp',
	'video/quicktime': 'mov',
	'video/webm': 'webm',
	'video/x-matroska': 'mkv',
	'video/ogg': 'ogv',
	'audio/aac': 'aac',
	'audio/amr': 'amr',
	'audio/mpeg': 'mp3',
	'audio/mp4': 'm4a',
	'audio/x-m4a': 'm4a',
	'audio/3gpp': '3gp',
	'audio/ogg': 'ogg',
	'audio/opus': 'opus',
	'audio/webm': 'weba',
	'audio/wav': 'wav',
	'audio/x-wav': 'wav',
	'audio/wave': 'wav',
	'audio/vnd.wave': 'wav',
	'text/plain': 'txt',
	'text/csv': 'csv',
	'text/markdown': 'md',
	'text/calendar': 'ics',
	'text/vcard': 'vcf',
	'text/x-vcard': 'vcf',
	'text/rtf': 'rtf',
	'application/rtf': 'rtf',
	'application/json': 'json',
	'application/pdf': 'pdf',
	'application/msword': 'doc',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
	'application/vnd.ms-excel': 'xls',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
	'application/vnd.ms-powerpoint': 'ppt',
	'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
	'application/vnd.oasis.opendocument.text': 'odt',
	'application/vnd.oasis.opendocument.spreadsheet': 'ods',
	'application/vnd.oasis.opendocument.presentation': 'odp',
	'application/epub+zip': 'epub',
	'application/zip': 'zip',
	'application/gzip': 'gz',
	'application/x-7z-compressed': '7z',
	'application/vnd.rar': 'rar',
	'application/x-rar-compressed': 'rar',
};

/** The extension of a type this table does not know (application/octet-stream's): served as bytes to download. */
const UNKNOWN_EXTENSION = 'bin';

/** `audio/ogg; codecs=opus` -> `audio/ogg`. */
export function baseMime(mimeType: string | undefined): string {
	return String(mimeType ?? '')
		.split(';')[0]
		.trim()
		.toLowerCase();
}

/**
 * Names browsers and systems give an agent's file for a type Meta takes under another: Chrome types
 * an .m4a `audio/x-m4a`, some an .mp3 `audio/mp3`, a .jpg `image/jpg`. Sent (and uploaded) as Meta's.
 */
const OUTBOUND_ALIASES: Record<string, string> = {
	'image/jpg': 'image/jpeg',
	'image/pjpeg': 'image/jpeg',
	'audio/mp3': 'audio/mpeg',
	'audio/x-m4a': 'audio/mp4',
	'audio/m4a': 'audio/mp4',
};

/**
 * The WhatsApp message type that carries a file of `mimeType` and `size` bytes, or why none can:
 * a type Meta does not take, or over Meta's limit for that type. WebP is Meta's sticker type only
 * (at most 500 KB; WhatsApp shows it as a sticker).
 */
export function outboundKind(
	mimeType: string,
	size: number,
): { kind: MediaKind; mimeType: string } | { refused: 'type' | 'size'; maxBytes?: number } {
	const given = baseMime(mimeType);
	const type = OUTBOUND_ALIASES[given] ?? given;
	const entry = SUPPORTED.find((s) => s.types.includes(type));
	if (!entry) return { refused: 'type' };
	if (size > entry.maxBytes) return { refused: 'size', maxBytes: entry.maxBytes };
	return { kind: entry.kind, mimeType: type };
}

/** Meta's sticker rules ("Supported media types": static 100 KB, animated 500 KB; 512×512 pixels). */
const STICKER_SIDE = 512;
const STATIC_STICKER_MAX_BYTES = 100 * 1024;

/** A WebP's canvas and whether it is animated, from its header (RIFF, then VP8X, VP8 or VP8L); undefined when it is not one. */
export function webpInfo(bytes: Uint8Array): { width: number; height: number; animated: boolean } | undefined {
	const text = (at: number, length: number) => String.fromCharCode(...bytes.subarray(at, at + length));
	if (bytes.length < 30 || text(0, 4) !== 'RIFF' || text(8, 4) !== 'WEBP') return undefined;
	const u24 = (at: number) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
	const chunk = text(12, 4);
	if (chunk === 'VP8X') return { animated: (bytes[20] & 0x02) !== 0, width: u24(24) + 1, height: u24(27) + 1 };
	// Lossy: a key frame's start code, then 14-bit width and height.
	if (chunk === 'VP8 ' && bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a)
		return { animated: false, width: (bytes[26] | (bytes[27] << 8)) & 0x3fff, height: (bytes[28] | (bytes[29] << 8)) & 0x3fff };
	// Lossless: a signature byte, then width - 1 and height - 1 in 14 bits each.
	if (chunk === 'VP8L' && bytes[20] === 0x2f) {
		const bits = bytes[21] | (bytes[22] << 8) | (bytes[23] << 16) | (bytes[24] << 24);
		return { animated: false, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
	}
	return undefined;
}

/**
 * Whether a WebP goes as a sticker (WebP is Meta's sticker type only): 512×512 pixels, at most
 * 100 KB, or 500 KB when animated. Else why not: its size over the limit of its kind, or not a sticker.
 */
export function stickerFit(bytes: Uint8Array): { ok: true } | { refused: 'size'; maxBytes: number } | { refused: 'sticker' } {
	const info = webpInfo(bytes);
	if (!info || info.width !== STICKER_SIDE || info.height !== STICKER_SIDE) return { refused: 'sticker' };
	const maxBytes = info.animated ? 500 * 1024 : STATIC_STICKER_MAX_BYTES;
	return bytes.length > maxBytes ? { refused: 'size', maxBytes } : { ok: true };
}

/**
 * "image/*, application/pdf" -> ["image/*", "application/pdf"]; "*" or empty accepts everything; a
 * trailing `*` matches any rest ("application/vnd.openxmlformats-officedocument.*").
 */
export function parseAcceptedTypes(value: unknown): string[] {
	return String(value ?? '')
		.split(/[,\s]+/)
		.map((t) => t.trim().toLowerCase())
		.filter(Boolean);
}

/**
 * Types a browser renders as active content (scripts run, in Rocket.Chat's origin when served from
 * it): HTML, SVG, every XML type (`application/xml`, `text/xml`, `*\/*+xml`: XHTML, XSLT...),
 * JavaScript, Flash and web archives. A contact's file of such a type is never accepted: not by a
 * wildcard (`image/*` does not take SVG), not by `*`, not even when the admin lists it.
 */
const ACTIVE_TYPES = [
	'text/html',
	'application/xhtml+xml',
	'image/svg+xml',
	'application/xml',
	'text/xml',
	'text/xsl',
	'text/javascript',
	'application/javascript',
	'application/x-javascript',
	'application/ecmascript',
	'text/ecmascript',
	'application/x-shockwave-flash',
	'application/vnd.adobe.flash.movie',
	'text/x-component',
	'multipart/related',
	'message/rfc822',
	'application/x-mimearchive',
];

export function isActiveContentType(mimeType: string | undefined): boolean {
	const type = baseMime(mimeType);
	return ACTIVE_TYPES.includes(type) || type.endsWith('+xml') || type.endsWith('/xml');
}

/** Whether the accepted-types setting takes `mimeType`. Active content (above) never. */
export function isAcceptedType(mimeType: string | undefined, accepted: string[]): boolean {
	const type = baseMime(mimeType);
	if (isActiveContentType(type)) return false;
	if (!accepted.length || accepted.includes('*') || accepted.includes('*/*')) return true;
	if (!type) return false;
	return accepted.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type));
}

export type InboundMediaVerdict =
	{ ok: true } | { ok: false; reason: 'type'; mimeType: string } | { ok: false; reason: 'size'; size: number; maxBytes: number };

/** Whether the workspace takes a contact's file (the accepted-types and max-size settings). */
export function judgeInbound(
	media: { mimeType?: string; size?: number },
	limits: { maxBytes: number; accepted: string[] },
): InboundMediaVerdict {
	if (!isAcceptedType(media.mimeType, limits.accepted)) return { ok: false, reason: 'type', mimeType: baseMime(media.mimeType) || '?' };
	if (media.size !== undefined && Number.isFinite(media.size) && media.size > limits.maxBytes)
		return { ok: false, reason: 'size', size: media.size, maxBytes: limits.maxBytes };
	return { ok: true };
}

/**
 * "2.4 MB", "830 KB". `up` rounds up, for the size of a file refused over a limit: a file one byte
 * over 5 MB reads "5.1 MB", never "5.0 MB".
 */
export function humanSize(bytes: number, up = false): string {
	const round = (value: number, decimals: number) => {
		const f = 10 ** decimals;
		return (up ? Math.ceil(value * f) : Math.round(value * f)) / f;
	};
	if (bytes >= MB) {
		const decimals = bytes >= 10 * MB ? 0 : 1;
		return `${round(bytes / MB, decimals).toFixed(decimals)} MB`;
	}
	return `${Math.max(1, round(bytes / 1024, 0))} KB`;
}

/**
 * Characters stripped from a contact's file name: C0 and C1 controls and DEL; bidirectional
 * controls and marks, which make a name read differently from what it is (`invoice\u202Efdp.exe`
 * shows as "invoiceexe.pdf"): U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069; invisible
 * formatting (zero-width U+200B-U+200D, U+2060-U+2065, U+FEFF, U+FFF9-U+FFFB, U+180E); line and
 * paragraph separators U+2028, U+2029.
 */
// eslint-disable-next-line no-control-regex
const STRIPPED = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

/** A name the contact gave, as shown in a room: without control and bidirectional characters. */
export function displayName(name: string | undefined): string {
	return String(name ?? '')
		.replace(STRIPPED, '')
		.trim();
}

/** The contact's extension: the last dot and up to 10 letters or digits after it. */
const CONTACT_EXTENSION = /\.[A-Za-z0-9]{1,10}$/;

/**
 * The file name of an inbound media in the room: the base of the contact's document name, cleaned,
 * and the extension of the type the app accepted. Never the contact's extension: Rocket.Chat
 * derives the file's type from the name, so the name must say the type Meta declared and the app
 * accepted (and whose leading bytes were checked, signature.ts). The rule:
 * - control and bidirectional characters are removed (STRIPPED), path separators become spaces,
 *   runs of spaces one, and dots and spaces at either end go; at most 200 characters;
 * - the contact's extension (the last `.xxx`, letters and digits) is dropped, whatever it was, and
 *   the accepted type's is put in its place: a PDF named `x.exe` is `x.pdf`, `report.PDF` is
 *   `report.pdf`; an earlier dot stays part of the name (`x.exe.pdf` is `x.exe.pdf`), since only the
 *   last extension gives a type;
 * - a type with no known extension gets `.bin` (application/octet-stream): `drawing.svg` sent as
 *   application/octet-stream is `drawing.bin`, never an SVG;
 * - no name, or nothing left of it: `<kind>-<media id>.<extension>`.
 */
export function inboundFileName(media: { kind: string; id: string; mimeType?: string; filename?: string }): string {
	const ext = EXTENSIONS[baseMime(media.mimeType)] ?? UNKNOWN_EXTENSION;
	const clean = (name: string) =>
		name
			.replace(STRIPPED, '')
			.replace(/[/\\]+/g, ' ')
			.replace(/\s+/g, ' ')
			.replace(/[\s.]+$/, '');
	const trim = (name: string) => name.replace(/^[\s.]+|[\s.]+$/g, '');
	// The extension goes before leading dots do: `.exe` is an extension, not a name.
	// Code points, not UTF-16 units: a cut never splits a character in two.
	const base = trim(
		Array.from(trim(clean(String(media.filename ?? '')).replace(CONTACT_EXTENSION, '')))
			.slice(0, 200)
			.join(''),
	);
	if (base) return `${base}.${ext}`;
	const id =
		String(media.id)
			.replace(/[^A-Za-z0-9_-]/g, '')
			.slice(0, 40) || 'media';
	return `${media.kind.replace(/[^a-z]/g, '') || 'file'}-${id}.${ext}`;
}

/**
 * A multipart/form-data body (RFC 7578): text fields, then the file part. The boundary is chosen by
 * the caller and must not occur in the content (a random one does not, in practice).
 */
export function multipartBody(
	boundary: string,
	fields: Record<string, string>,
	file: { field: string; filename: string; mimeType: string; bytes: Uint8Array },
): Uint8Array {
	// Created here, not at load: rc-apps evaluates the modules where TextEncoder does not exist.
	const encoder = new TextEncoder();
	const quote = (s: string) => s.replace(/["\r\n\\]/g, '_');
	const head = Object.entries(fields)
		.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`)
		.join('');
	const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.filename)}"\r\nContent-Type: ${file.mimeType}\r\n\r\n`;
	return concatBytes([encoder.encode(head + fileHead), file.bytes, encoder.encode(`\r\n--${boundary}--\r\n`)]);
}

/** The parts' bytes one after the other, in one array. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
	let offset = 0;
	for (const p of parts) {
		out.set(p, offset);
		offset += p.byteLength;
	}
	return out;
}

/** A Graph media id is one path segment: an empty id, `.`, `..` or a slash would name another Graph path. */
export const isMediaId = (id: string): boolean => /^[A-Za-z0-9_-]+$/.test(id);
