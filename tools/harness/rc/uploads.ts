/**
 * Files of apps, as Rocket.Chat's AppUploadBridge stores them
 * (apps/meteor/app/apps/server/bridges/uploads.ts).
 */
import { HarnessUpload, Json } from '../world';
import { BridgeContext, BridgeMethods } from './context';

/** A part of the MIME database Rocket.Chat looks a file name up in (`mime-type` with mime-db). */
const TYPES_BY_EXTENSION: Record<string, string> = {
	jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', bmp: 'image/bmp', svg: 'image/svg+xml', heic: 'image/heic', tif: 'image/tiff', tiff: 'image/tiff',
	mp4: 'video/mp4', '3gp': 'video/3gpp', webm: 'video/webm', mov: 'video/quicktime', avi: 'video/x-msvideo', mkv: 'video/x-matroska',
	mp3: 'audio/mpeg', ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/ogg', aac: 'audio/aac', amr: 'audio/amr', m4a: 'audio/mp4', wav: 'audio/wav',
	pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', md: 'text/markdown', html: 'text/html', htm: 'text/html', json: 'application/json', xml: 'application/xml', rtf: 'application/rtf',
	doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet', odp: 'application/vnd.oasis.opendocument.presentation',
	zip: 'application/zip', gz: 'application/gzip', '7z': 'application/x-7z-compressed', rar: 'application/vnd.rar', tar: 'application/x-tar',
};

/** The MIME type of a file name's extension, when the MIME database knows it. */
function typeOfName(name: string): string | undefined {
	if (!name.includes('.')) return undefined;
	return TYPES_BY_EXTENSION[(name.split('.').pop() ?? '').toLowerCase()];
}

/** The type `file-type` (magic numbers) finds in the bytes, for the common formats. */
function typeOfBytes(bytes: Buffer): string | undefined {
	const ascii = (start: number, end: number) => bytes.subarray(start, end).toString('latin1');
	if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
	if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png';
	if (ascii(0, 4) === 'GIF8') return 'image/gif';
	if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
	if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'audio/vnd.wave';
	if (ascii(0, 5) === '%PDF-') return 'application/pdf';
	if (ascii(4, 8) === 'ftyp') return /^3g/.test(ascii(8, 11)) ? 'video/3gpp' : ascii(8, 11) === 'M4A' ? 'audio/x-m4a' : 'video/mp4';
	if (ascii(0, 4) === 'OggS') return ascii(28, 36) === 'OpusHead' ? 'audio/opus' : 'audio/ogg';
	if (ascii(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return 'audio/mpeg';
	if (ascii(0, 5) === '#!AMR') return 'audio/amr';
	if (ascii(0, 4) === 'PK\x03\x04') return 'application/zip';
	return undefined;
}

/**
 * The type Rocket.Chat gives a file an app uploads (its determineFileType): the name's extension
 * looked up in the MIME database, else the type the bytes show, else application/octet-stream.
 * The type in the upload details is ignored.
 */
function determineFileType(bytes: Buffer, name: string): string {
	return typeOfName(name) ?? typeOfBytes(bytes) ?? 'application/octet-stream';
}

function toAppUpload({ world, toAppUser }: BridgeContext, upload: HarnessUpload): Json {
	const room = world.rooms.get(upload.rid);
	const extension = upload.name.includes('.') ? upload.name.split('.').pop() : '';
	return {
		id: upload.id,
		name: upload.name,
		size: upload.size,
		type: upload.type,
		extension,
		store: 'GridFS:Uploads',
		complete: true,
		uploading: false,
		progress: 1,
		etag: upload.id,
		path: `/ufs/GridFS:Uploads/${upload.id}/${encodeURIComponent(upload.name)}`,
		url: `/ufs/GridFS:Uploads/${upload.id}/${encodeURIComponent(upload.name)}`,
		token: upload.id,
		updatedAt: upload.uploadedAt,
		uploadedAt: upload.uploadedAt,
		room,
		...(upload.userId ? { user: toAppUser(world.users.get(upload.userId)) } : {}),
		...(upload.visitorToken ? { visitor: [...world.visitors.values()].find((v) => v.token === upload.visitorToken) } : {}),
	};
}

export function uploadBridge(ctx: BridgeContext): BridgeMethods {
	const { world: w, toAppUser } = ctx;
return {
		getById: async (id: string) => {
			const upload = w.uploads.find((u) => u.id === id);
			return upload ? toAppUpload(ctx, upload) : undefined;
		},
		getBuffer: async (upload: Json) => {
			const stored = w.uploads.find((u) => u.id === upload.id);
			if (!stored) throw new Error(`UploadBridge.getBuffer: no upload ${String(upload.id)}`);
			return stored.buffer;
		},
		// As Rocket.Chat's AppUploadBridge: a user or a visitor is required; the type is Rocket.Chat's
		// own (name, then bytes); a visitor's upload keeps no userId and its file message is posted as
		// the visitor (sendFileLivechatMessage), a user's as the user (sendFileMessage).
		createUpload: async (details: Json, buffer: Uint8Array) => {
			const visitorToken = (details.visitorToken as string | null | undefined) || undefined;
			const userId = visitorToken ? undefined : (details.userId as string | null | undefined) || undefined;
			if (!userId && !visitorToken) throw new Error('Missing user to perform the upload operation');
			const room = w.rooms.get(details.rid as string);
			if (!room) throw new Error(`UploadBridge.createUpload: no room ${String(details.rid)}`);
			const visitor = visitorToken ? [...w.visitors.values()].find((v) => v.token === visitorToken) : undefined;
			if (visitorToken && !visitor) throw new Error(`UploadBridge.createUpload: no visitor ${visitorToken}`);
			const user = userId ? w.users.get(userId) : undefined;
			if (userId && !user) throw new Error(`UploadBridge.createUpload: no user ${userId}`);
			const sender = visitor ? { id: visitor.id, username: visitor.username, name: visitor.name } : toAppUser(user);
			// Bytes arrive from the Deno runtime as a Buffer (msgpack extension 1, already a copy) or a
			// Uint8Array (msgpack bin, possibly a view of the decoder's memory: copied to be stored).
			const bytes = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer);
			const name = String(details.name);
			const { upload } = w.storeFile({ room, name, type: determineFileType(bytes, name), buffer: bytes, userId, visitorToken, sender });
			return toAppUpload(ctx, upload);
		},
};
}
