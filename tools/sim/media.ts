/**
 * Media: what contacts sent (`addMedia`) and what the app uploaded, where to download it
 * (`GET /{Media-ID}`), the download itself (a lookaside-like URL on the simulator), and uploads
 * (`POST /{Phone-Number-ID}/media`) checked against Meta's types and size limits.
 */
import { createHash, randomInt } from 'crypto';

import {
	accessTokenError,
	fbtraceId,
	invalidParameter,
	mediaNotUploadedOnNumber,
	metaError,
	serverError,
	SimResponse,
	unsupportedRequest,
} from './metaErrors';
import type { SimNumber } from './numbers';
import { bearerToken, Form, RecordedRequest } from './server';

/** A media object: one a contact sent (`addMedia`) or one the app uploaded. */
export interface SimMedia {
	id: string;
	phoneNumberId: string;
	mimeType: string;
	bytes: Buffer;
	sha256: string;
	filename?: string;
	/** The form fields of the upload, for uploaded media. */
	fields?: Record<string, string>;
	/** Where its download URL points, when a test makes it another server than the simulator (`http://127.0.0.1:<port>`). */
	urlBase?: string;
	/** The `file_size` announced, when a test makes it differ from the bytes. */
	announcedSize?: number;
}

/** The path of media URLs (Meta's are `https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=...`). */
export const MEDIA_DOWNLOAD_PATH = '/whatsapp_business/attachments/';

/** Meta's upload limits per media type ("Supported media types"). */
const MB = 1024 * 1024;
const UPLOAD_LIMITS: Array<[RegExp, number]> = [
	[/^image\/webp$/, 500 * 1024],
	[/^image\//, 5 * MB],
	[/^(video|audio)\//, 16 * MB],
	[/./, 100 * MB],
];
/** The file types Meta's upload takes, in the order of its error message ("Param file must be a file with one of the following types: ..."). */
const UPLOAD_TYPES = [
	'audio/aac',
	'audio/mp4',
	'audio/mpeg',
	'audio/amr',
	'audio/ogg',
	'audio/opus',
	'application/vnd.ms-powerpoint',
	'application/msword',
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	'application/pdf',
	'text/plain',
	'application/vnd.ms-excel',
	'image/jpeg',
	'image/png',
	'image/webp',
	'video/mp4',
	'video/3gpp',
];

const base64Sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('base64');
const newMediaId = (): string => String(randomInt(10 ** 12, 10 ** 14));

export class MediaStore {
	/** Media contacts sent (addMedia), by id. */
	readonly received = new Map<string, SimMedia>();
	/** Media the app uploaded, in order. */
	readonly uploaded: SimMedia[] = [];
	/** Media downloads served (`GET <url>` answered with the bytes), as media ids in order. */
	readonly downloads: string[] = [];
	private readonly failures = new Map<string, number>();

	constructor(private readonly numbers: Map<string, SimNumber>) {}

	/** A media a contact sent. Returns its id (a numeric string, like Meta's, unless given); `sha256` defaults to the bytes' real hash (base64). */
	add(media: { phoneNumberId: string; bytes: Buffer; mimeType: string; id?: string; sha256?: string }): string {
		const id = media.id ?? newMediaId();
		this.received.set(id, {
			id,
			phoneNumberId: media.phoneNumberId,
			mimeType: media.mimeType,
			bytes: media.bytes,
			sha256: media.sha256 ?? base64Sha256(media.bytes),
		});
		return id;
	}

	/** The next `count` requests for where media `id` is fail with an HTTP 503 and Meta's JSON error. */
	fail(id: string, count = 1): void {
		this.failures.set(id, count);
	}

	/** A media received or uploaded. */
	find(id: string): SimMedia | undefined {
		return this.received.get(id) ?? this.uploaded.find((m) => m.id === id);
	}

	/** Whether `token` is the access token of the number that owns the media. */
	ownedBy(media: SimMedia, token: string): boolean {
		return this.numbers.get(media.phoneNumberId)?.accessToken === token;
	}

	/** `GET /{Media-ID}` (token and spec already checked): where to download it. */
	info(r: RecordedRequest, media: SimMedia, baseUrl: string): SimResponse {
		if (r.method !== 'GET') return unsupportedRequest(r.method, media.id);
		const failures = this.failures.get(media.id) ?? 0;
		if (failures > 0) {
			this.failures.set(media.id, failures - 1);
			return serverError(503, 'json');
		}
		// `phone_number_id` is processed only for a media a business number uploaded, which must be
		// that number's; a contact's media with it is refused (metaErrors.ts mediaNotUploadedOnNumber).
		if (r.query.phone_number_id !== undefined) {
			if (this.received.has(media.id)) return mediaNotUploadedOnNumber();
			if (r.query.phone_number_id !== media.phoneNumberId) return unsupportedRequest(r.method, media.id);
		}
		const url = `${media.urlBase ?? baseUrl}${MEDIA_DOWNLOAD_PATH}?mid=${media.id}&ext=${Math.floor(Date.now() / 1000)}`;
		return {
			status: 200,
			payload: {
				messaging_product: 'whatsapp',
				url,
				mime_type: media.mimeType,
				sha256: media.sha256,
				file_size: String(media.announcedSize ?? media.bytes.length),
				id: media.id,
			},
		};
	}

	/** The media URL: the bytes, with the owner number's token only (like Meta's lookaside URL). */
	download(r: RecordedRequest): SimResponse {
		const media = this.find(r.query.mid ?? '');
		const token = bearerToken(r);
		if (!token) return accessTokenError('missing');
		if (!media)
			return {
				status: 404,
				payload: { error: { message: 'Media not found', type: 'OAuthException', code: 100, fbtrace_id: fbtraceId() } },
			};
		if (!this.ownedBy(media, token)) return accessTokenError('invalid');
		this.downloads.push(media.id);
		return { status: 200, payload: undefined, bytes: media.bytes, contentType: media.mimeType };
	}

	/** `POST /{Phone-Number-ID}/media` (multipart/form-data: messaging_product, type, file). */
	upload(number: SimNumber, form: Form | undefined): SimResponse {
		if (!form) return invalidParameter('the upload must be multipart/form-data');
		const file = form.files.file;
		if (form.fields.messaging_product !== 'whatsapp') return invalidParameter('(#100) The parameter messaging_product is required.');
		if (!file) return invalidParameter('(#100) The parameter file is required.');
		const type = form.fields.type;
		if (!type) return invalidParameter('(#100) Param type is required.');
		// Meta judges the file part's own Content-Type (a part sent as application/octet-stream is
		// refused even with a right `type`): error 100 with this message, as reported from Graph.
		const fileType = file.mimeType.split(';')[0].trim().toLowerCase();
		if (!UPLOAD_TYPES.includes(fileType)) {
			const message = `(#100) Param file must be a file with one of the following types: ${UPLOAD_TYPES.join(', ')}. Received file of type '${fileType}'.`;
			return { status: 400, payload: { error: { message, type: 'OAuthException', code: 100, fbtrace_id: fbtraceId() } } };
		}
		const limit = UPLOAD_LIMITS.find(([pattern]) => pattern.test(fileType))![1];
		if (file.bytes.length > limit)
			return metaError(131053, `Media file size ${file.bytes.length} exceeds the ${limit} bytes allowed for ${fileType}`);
		const id = newMediaId();
		this.uploaded.push({
			id,
			phoneNumberId: number.phoneNumberId,
			mimeType: type,
			filename: file.filename,
			bytes: file.bytes,
			sha256: base64Sha256(file.bytes),
			fields: form.fields,
		});
		return { status: 200, payload: { id } };
	}
}
