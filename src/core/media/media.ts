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

const EXTENSIONS: Record<string, string> = {
	'image/jpeg': 'jpg',
	'image/png': 'png',
	'image/webp': 'webp',
	'image/gif': 'gif',
	'video/mp4': 'mp4',
	'video/3gpp': '3gp',
	'audio/aac': 'aac',
	'audio/amr': 'amr',
	'audio/mpeg': 'mp3',
	'audio/mp4': 'm4a',
	'audio/ogg': 'ogg',
	'text/plain': 'txt',
	'application/pdf': 'pdf',
	'application/msword': 'doc',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
	'application/vnd.ms-excel': 'xls',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
	'application/vnd.ms-powerpoint': 'ppt',
	'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

/** `audio/ogg; codecs=opus` -> `audio/ogg`. */
export function baseMime(mimeType: string | undefined): string {
	return String(mimeType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * The WhatsApp message type that carries a file of `mimeType` and `size` bytes, or why none can:
 * a type Meta does not take, or over Meta's limit for that type. WebP is Meta's sticker type only
 * (at most 500 KB; WhatsApp shows it as a sticker).
 */
export function outboundKind(mimeType: string, size: number): { kind: MediaKind; mimeType: string } | { refused: 'type' | 'size'; maxBytes?: number } {
	const type = baseMime(mimeType);
	const entry = SUPPORTED.find((s) => s.types.includes(type));
	if (!entry) return { refused: 'type' };
	if (size > entry.maxBytes) return { refused: 'size', maxBytes: entry.maxBytes };
	return { kind: entry.kind, mimeType: type };
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

export function isAcceptedType(mimeType: string | undefined, accepted: string[]): boolean {
	const type = baseMime(mimeType);
	if (!accepted.length || accepted.includes('*') || accepted.includes('*/*')) return true;
	if (!type) return false;
	return accepted.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type));
}

export type InboundMediaVerdict = { ok: true } | { ok: false; reason: 'type'; mimeType: string } | { ok: false; reason: 'size'; size: number; maxBytes: number };

/** Whether the workspace takes a contact's file (the accepted-types and max-size settings). */
export function judgeInbound(media: { mimeType?: string; size?: number }, limits: { maxBytes: number; accepted: string[] }): InboundMediaVerdict {
	if (!isAcceptedType(media.mimeType, limits.accepted)) return { ok: false, reason: 'type', mimeType: baseMime(media.mimeType) || '?' };
	if (media.size !== undefined && Number.isFinite(media.size) && media.size > limits.maxBytes) return { ok: false, reason: 'size', size: media.size, maxBytes: limits.maxBytes };
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

/** Extensions that name the same type as another (`jpeg` for `image/jpeg`...). */
const SAME_TYPE: Record<string, string> = { jpeg: 'jpg', oga: 'ogg', opus: 'ogg', txt: 'txt', text: 'txt' };

/**
 * The file name of an inbound media in the room: the contact's document name when it has one
 * (path parts and control characters removed), else `<kind>-<media id>.<extension>`. Rocket.Chat
 * derives the file type from the extension, so a known MIME type always ends the name with its
 * extension: a PDF named `x.exe` becomes `x.exe.pdf`, and the accepted-types setting holds.
 */
export function inboundFileName(media: { kind: string; id: string; mimeType?: string; filename?: string }): string {
	const ext = EXTENSIONS[baseMime(media.mimeType)];
	// eslint-disable-next-line no-control-regex
	const given = (media.filename ?? '').replace(/[\u0000-\u001f\u007f/\\]+/g, ' ').trim().slice(0, 200);
	if (given) {
		const current = /\.([a-z0-9]{1,5})$/i.exec(given)?.[1]?.toLowerCase();
		const matches = current !== undefined && (current === ext || SAME_TYPE[current] === ext);
		return ext && !matches ? `${given}.${ext}` : given;
	}
	const id = media.id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) || 'media';
	return ext ? `${media.kind}-${id}.${ext}` : `${media.kind}-${id}`;
}

/**
 * A multipart/form-data body (RFC 7578): text fields, then the file part. The boundary is chosen by
 * the caller and must not occur in the content (a random one does not, in practice).
 */
export function multipartBody(boundary: string, fields: Record<string, string>, file: { field: string; filename: string; mimeType: string; bytes: Uint8Array }): Uint8Array {
	// Created here, not at load: rc-apps evaluates the modules where TextEncoder does not exist.
	const encoder = new TextEncoder();
	const quote = (s: string) => s.replace(/["\r\n\\]/g, '_');
	const head = Object.entries(fields)
		.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`)
		.join('');
	const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(file.field)}"; filename="${quote(file.filename)}"\r\nContent-Type: ${file.mimeType}\r\n\r\n`;
	const parts = [encoder.encode(head + fileHead), file.bytes, encoder.encode(`\r\n--${boundary}--\r\n`)];
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let offset = 0;
	for (const p of parts) {
		out.set(p, offset);
		offset += p.length;
	}
	return out;
}
