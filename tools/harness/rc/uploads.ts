/**
 * Files of apps, as Rocket.Chat's AppUploadBridge stores them
 * (apps/meteor/app/apps/server/bridges/uploads.ts, newest read: the `Upload` core service version),
 * through the Uploads store's validation (FileUploadClass.insert -> UploadFS Filter.check ->
 * FileUpload.validateFileUpload, apps/meteor/app/file-upload/server/lib/FileUpload.ts, 7.x) and
 * sendFileLivechatMessage (apps/meteor/app/livechat/server/methods/sendFileLivechatMessage.ts @
 * 0dfd2c074c72f3cd64c619456a35e994580b51a7).
 *
 * Server settings that change it: FileUpload_Enabled, FileUpload_MaxFileSize (-1 = no limit),
 * FileUpload_MediaTypeWhiteList, FileUpload_MediaTypeBlackList, FileUpload_Enabled_Direct.
 */
import { HarnessRoom, HarnessUpload, HarnessWorld, Json } from '../world';
import { BridgeContext, BridgeMethods } from './context';
import { toAppRoom } from './rooms';

/**
 * An error as Rocket.Chat's `Meteor.Error` builds it: `error` is the id, `reason` the text, and
 * the message `<reason> [<error>]` (what reaches an app through the bridge).
 */
export class MeteorError extends Error {
	constructor(
		readonly error: string,
		readonly reason?: string,
	) {
		super(reason ? `${reason} [${error}]` : `[${error}]`);
		this.name = 'Meteor.Error';
	}
}

/**
 * Which room-access rule a visitor's upload meets (the livechat room access validators,
 * apps/meteor/app/livechat/server/roomAccessValidator.compatibility.ts):
 * - 'open-room' (the newest version read): the room's visitor token must match AND `room.open === true`,
 *   so a file for a closed room is refused by the store ('invalid-file').
 * - 'token-only' (@ 263016dbc02d2bfc5fef64e57dab5db5cb559863, older): the token alone, so the file is
 *   stored, and sendFileLivechatMessage, which looks for the OPEN room of that token
 *   (LivechatRooms.findOneOpenByRoomIdAndVisitorToken), returns false: no message, no error.
 * Which release switched is not known; an app must be right under both.
 */
export type VisitorUploadAccess = 'open-room' | 'token-only';

/** `filesize(bytes)` as Rocket.Chat words its limit (base 2, "100 MB"). */
function filesize(bytes: number): string {
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	return `${Number(value.toFixed(2))} ${units[unit]}`;
}

/** A comma-separated media type list of the settings, as Rocket.Chat splits it (apps/meteor/app/utils/lib/restrictions.ts). */
function mediaTypeList(value: unknown, star: boolean): string[] | undefined {
	const list = typeof value === 'string' ? value : '';
	if (!list || (star && list === '*')) return undefined;
	return list.split(',').map((item) => item.trim());
}

/** Exact type, or `group/*` for the whole group (Rocket.Chat's isTypeOnList). */
function isTypeOnList(type: string, list: string[]): boolean {
	if (list.includes(type)) return true;
	const wildcards = list.filter((item) => item.indexOf('/*') > 0);
	return wildcards.includes(type.replace(/(\/.*)$/, '/*'));
}

/**
 * fileUploadIsValidContentTypeFromSettings (apps/meteor/app/utils/lib/restrictions.ts @
 * 20ffd44ce92be1220ecfde0ffccadf3825fec1de): the black list wins, then an empty (or `*`) white list
 * accepts everything, else the type must be on the white list.
 */
export function isValidContentType(type: string, whiteList: unknown, blackList: unknown): boolean {
	const black = mediaTypeList(blackList, false);
	const white = mediaTypeList(whiteList, true);
	if (!type && black) return false;
	if (black && isTypeOnList(type, black)) return false;
	if (!white) return true;
	return isTypeOnList(type, white);
}

/**
 * What the Uploads store checks before it keeps a file: UploadFS Filter.check (apps/meteor/server/ufs/ufs-filter.ts
 * @ acf7dd00b35fbc94fd984af204a24f57feae84ef: minSize 1) then its onCheck, FileUpload.validateFileUpload.
 * Throws Rocket.Chat's Meteor.Error; the file is not stored.
 */
export function validateFileUpload(
	world: HarnessWorld,
	file: { rid: string; size: number; type: string; userId?: string; visitorToken?: string },
	access: VisitorUploadAccess,
): void {
	if (file.size <= 0) throw new MeteorError('file-too-small', `File size (size = ${file.size}) is too small (min = 1)`);
	const doesNotMatch = () => new MeteorError('invalid-file', 'File does not match filter');
	const room = world.rooms.get(file.rid);
	if (!room) throw doesNotMatch();
	const user = file.userId ? world.users.get(file.userId) : undefined;
	// canAccessRoomAsync, skipped for app users. A visitor (no user) passes the livechat validator
	// when the room is a livechat room of that token (and open, in the newest version). Other users
	// are not checked by the harness.
	if (user?.type !== 'app' && !user) {
		const v = room.visitor as Json | undefined;
		const tokenMatches = room.type === 'l' && Boolean(file.visitorToken) && v?.token === file.visitorToken;
		if (!tokenMatches || (access === 'open-room' && room.isOpen !== true)) throw doesNotMatch();
	}
	const setting = (id: string) => world.serverSettings.get(id);
	if (!setting('FileUpload_Enabled')) throw new MeteorError('error-file-upload-disabled', 'File upload is disabled');
	if (setting('FileUpload_Enabled_Direct') === false && room.type === 'd')
		throw new MeteorError('error-direct-message-file-upload-not-allowed', 'File sharing not allowed in direct messages');
	// -1 means no limit (Rocket.Chat keeps parseInt of the setting).
	const maxFileSize = parseInt(String(setting('FileUpload_MaxFileSize')), 10);
	if (maxFileSize > -1 && file.size > maxFileSize)
		throw new MeteorError('error-file-too-large', `File exceeds allowed size of ${filesize(maxFileSize)}.`);
	if (!isValidContentType(file.type, setting('FileUpload_MediaTypeWhiteList'), setting('FileUpload_MediaTypeBlackList'))) {
		throw new MeteorError('error-invalid-file-type', 'File type is not accepted.');
	}
}

/** A part of the MIME database Rocket.Chat looks a file name up in (`mime-type` with mime-db). */
const TYPES_BY_EXTENSION: Record<string, string> = {
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	png: 'image/png',
	webp: 'image/webp',
	gif: 'image/gif',
	bmp: 'image/bmp',
	svg: 'image/svg+xml',
	heic: 'image/heic',
	tif: 'image/tiff',
	tiff: 'image/tiff',
	mp4: 'video/mp4',
	'3gp': 'video/3gpp',
	webm: 'video/webm',
	mov: 'video/quicktime',
	avi: 'video/x-msvideo',
	mkv: 'video/x-matroska',
	mp3: 'audio/mpeg',
	ogg: 'audio/ogg',
	oga: 'audio/ogg',
	opus: 'audio/ogg',
	aac: 'audio/aac',
	amr: 'audio/amr',
	m4a: 'audio/mp4',
	wav: 'audio/wav',
	pdf: 'application/pdf',
	txt: 'text/plain',
	csv: 'text/csv',
	md: 'text/markdown',
	html: 'text/html',
	htm: 'text/html',
	json: 'application/json',
	xml: 'application/xml',
	rtf: 'application/rtf',
	doc: 'application/msword',
	docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xls: 'application/vnd.ms-excel',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	ppt: 'application/vnd.ms-powerpoint',
	pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	odt: 'application/vnd.oasis.opendocument.text',
	ods: 'application/vnd.oasis.opendocument.spreadsheet',
	odp: 'application/vnd.oasis.opendocument.presentation',
	zip: 'application/zip',
	gz: 'application/gzip',
	'7z': 'application/x-7z-compressed',
	rar: 'application/vnd.rar',
	tar: 'application/x-tar',
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
	// The uploads converter gives the room through the rooms converter (its visitor read again by id: rc/rooms.ts).
	const room = toAppRoom(world, world.rooms.get(upload.rid));
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

export function uploadBridge(ctx: BridgeContext, options: { visitorAccess?: VisitorUploadAccess } = {}): BridgeMethods {
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
		// own (name, then bytes); the store validates the file (validateFileUpload: refused files are
		// not stored and the error reaches the app); a visitor's upload keeps no userId and its file
		// message is posted as the visitor (sendFileLivechatMessage, only in the token's OPEN room),
		// a user's as the user (sendFileMessage).
		createUpload: async (details: Json, buffer: Uint8Array) => {
			const visitorToken = (details.visitorToken as string | null | undefined) || undefined;
			const userId = visitorToken ? undefined : (details.userId as string | null | undefined) || undefined;
			if (!userId && !visitorToken) throw new Error('Missing user to perform the upload operation');
			// Bytes arrive from the Deno runtime as a Buffer (msgpack extension 1, already a copy) or a
			// Uint8Array (msgpack bin, possibly a view of the decoder's memory: copied to be stored).
			const bytes = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer);
			const name = String(details.name);
			const type = determineFileType(bytes, name);
			validateFileUpload(
				w,
				{ rid: String(details.rid), size: bytes.length, type, userId, visitorToken },
				options.visitorAccess ?? 'open-room',
			);
			const room = w.rooms.get(details.rid as string) as HarnessRoom;
			const visitor = visitorToken ? [...w.visitors.values()].find((v) => v.token === visitorToken) : undefined;
			if (visitorToken && !visitor) throw new Error(`UploadBridge.createUpload: no visitor ${visitorToken}`);
			const user = userId ? w.users.get(userId) : undefined;
			if (userId && !user) throw new Error(`UploadBridge.createUpload: no user ${userId}`);
			const sender = visitor ? { id: visitor.id, username: visitor.username, name: visitor.name } : toAppUser(user);
			// sendFileLivechatMessage posts only in the OPEN room of the token; otherwise it returns false and
			// the bridge returns the stored upload all the same.
			const post =
				!visitorToken || (room.type === 'l' && room.isOpen === true && (room.visitor as Json | undefined)?.token === visitorToken);
			const { upload, message } = w.storeFile({ room, name, type, buffer: bytes, userId, visitorToken, sender });
			if (!post) {
				w.messages.splice(w.messages.indexOf(message), 1);
				room.messageCount -= 1;
			} else {
				// sendFileMessage and sendFileLivechatMessage end in functions/sendMessage, which fires
				// IPostMessageSent to every app, the uploader included, without awaiting it.
				ctx.events.fire('IPostMessageSent', { ...message, room: toAppRoom(w, room) });
			}
			return toAppUpload(ctx, upload);
		},
	};
}
