/**
 * A contact's image, video, audio, voice note, document or sticker: fetched through the Graph media
 * endpoint with the number's token and posted in the room as the contact's file, within the app's
 * max-size and accepted-types settings AND Rocket.Chat's own upload settings (FileUpload_Enabled,
 * FileUpload_MaxFileSize, the media type white and black lists), which Rocket.Chat's Uploads store
 * applies to an app's upload too. Types a browser would run as active content (SVG, HTML, XML) are
 * never accepted; the media URL must be on Meta's media hosts (the token goes nowhere else); the
 * file's leading bytes must be those of the type Meta declared; the stored name ends with the
 * accepted type's extension, never the contact's. A refused or failed file is never silent: the
 * room gets the description and why the file is not there. The upload itself is the adapter's
 * (src/adapters/rocketchat/inboundMedia.ts).
 */
import { AppError, GraphApiError, isAppSecretRefusal, isRefusedToken, NetworkError } from '../errors';
import { GraphClient } from '../graph/GraphClient';
import { Translator } from '../i18n/translate';
import { Described } from '../inbound/describe';
import { baseMime, humanSize, inboundFileName, isActiveContentType, isMediaId, judgeInbound, parseAcceptedTypes } from '../media/media';
import { matchesDeclaredType } from '../media/signature';
import { ConnectedNumber, NumberCredentials } from '../numbers/ConnectedNumber';
import { Conversations, Room, Visitor } from './conversations';
import { Logger } from './ports';
import { SettingsReader } from './settings';

const MB = 1024 * 1024;

export type InboundMedia = NonNullable<Described['media']>;

export interface MediaOutcome {
	/** The file is in the room. */
	posted: boolean;
	/** Its upload, when posted now. */
	uploadId?: string;
	/** Why not, as a line for the room. */
	notice?: string;
}

/** Rocket.Chat's upload settings, as far as the app may read them (undefined: unknown, not checked before the upload). */
export interface WorkspaceUploads {
	enabled?: boolean;
	/** FileUpload_MaxFileSize; absent is no limit. */
	maxBytes?: number;
	whiteList?: string;
	blackList?: string;
}

/** Rocket.Chat's media type lists: `type` or `group/*`, the black list first, an empty or `*` white list takes all. */
export function workspaceAcceptsType(type: string, workspace: WorkspaceUploads): boolean {
	const list = (value: string | undefined) => (value ? value.split(',').map((item) => item.trim()) : undefined);
	const onList = (items: string[]) =>
		items.includes(type) || items.some((item) => item.indexOf('/*') > 0 && item === type.replace(/(\/.*)$/, '/*'));
	const black = list(workspace.blackList);
	if (black && onList(black)) return false;
	const white = workspace.whiteList === '*' ? undefined : list(workspace.whiteList);
	return !white || onList(white);
}

/** Why Rocket.Chat's Uploads store refused a file (its error id), or the upload. */
export type UploadResult = { uploadId?: string } | { refused: string | undefined; message: string };

/** Rocket.Chat's side of a contact's file. */
export interface MediaUploads {
	/** Rocket.Chat's upload settings. */
	workspace(): Promise<WorkspaceUploads>;
	/** Posts the file in the room as the contact's. */
	upload(file: { bytes: Uint8Array; filename: string; visitor: Visitor; room: Room }): Promise<UploadResult>;
}

export interface InboundMediaPorts {
	uploads: MediaUploads;
	conversations: Pick<Conversations, 'isOpen'>;
	settings: SettingsReader;
	graph: (number: NumberCredentials) => Pick<GraphClient, 'getMedia' | 'downloadMedia'>;
	logger?: Logger;
}

export interface InboundMediaInput {
	number: ConnectedNumber;
	visitor: Visitor;
	room: Room;
	media: InboundMedia;
	t: Translator;
	/** A passing failure (network, Meta's 5xx or transient errors) is thrown, for the message to be retried. */
	retryLater: boolean;
}

/** The conversation closed while the file was on its way: the message is retried into the contact's next room. */
const roomClosed = () =>
	new AppError({
		code: 'media_room_closed',
		message: 'the room closed before the file was posted',
		i18nKey: 'inbound_media_room_closed',
	});

/** Rocket.Chat could not store the file, without naming a refusal: the message is retried. */
const storeFailed = (reason: string) =>
	new AppError({
		code: 'media_store_failed',
		message: `Rocket.Chat could not store the file: ${reason}`,
		i18nKey: 'inbound_media_refused_workspace',
	});

/** A failure that may not happen again in a minute: no answer, Meta's 5xx, an error Meta marks transient, a setting to correct. */
export function isPassing(error: unknown): boolean {
	// A refused Graph API base URL too: an admin may correct it before the last attempt.
	if (error instanceof NetworkError || (error instanceof AppError && error.code === 'graph_base_url_refused')) return true;
	return (
		error instanceof GraphApiError &&
		(error.httpStatus >= 500 || error.isTransient === true || error.graphCode === 1 || error.graphCode === 2)
	);
}

/**
 * The limits a contact's file meets. `sizeBy` names the setting whose limit `maxBytes` is: the app's
 * "Largest file a contact may send (MB)", or Rocket.Chat's "Maximum File Upload Size" when smaller.
 */
async function limits(
	ports: InboundMediaPorts,
): Promise<{ maxBytes: number; accepted: string[]; workspace: WorkspaceUploads; sizeBy: 'app' | 'workspace' }> {
	const mb = await ports.settings.get('inboundMediaMaxMb');
	const workspace = await ports.uploads.workspace();
	const own = mb * MB;
	// The smaller of the app's limit and the workspace's: a file over either is not downloaded.
	const workspaceSmaller = workspace.maxBytes !== undefined && workspace.maxBytes < own;
	return {
		maxBytes: workspaceSmaller ? (workspace.maxBytes as number) : own,
		accepted: parseAcceptedTypes(await ports.settings.get('inboundMediaTypes')),
		workspace,
		sizeBy: workspaceSmaller ? 'workspace' : 'app',
	};
}

export async function postInboundMedia(ports: InboundMediaPorts, input: InboundMediaInput): Promise<MediaOutcome> {
	const { number, visitor, room, media, t, retryLater } = input;
	const limit = await limits(ports);
	// Each refusal names the setting behind it, the app's or Rocket.Chat's, so the admin looks in the right place.
	const tooLarge = (size: number, by: 'app' | 'workspace' = limit.sizeBy): MediaOutcome => {
		const params = { size: humanSize(size, true), max: humanSize(limit.maxBytes) };
		if (by === 'app') return { posted: false, notice: t('inbound_media_refused_size_app', params) };
		// Rocket.Chat's limit: the one read, else unnamed: refused at the upload with the setting unread,
		// or with a limit read that the file is within (the setting changed since it was read).
		const max = limit.workspace.maxBytes;
		return max === undefined || size <= max
			? { posted: false, notice: t('inbound_media_refused_size_workspace_unknown', params) }
			: { posted: false, notice: t('inbound_media_refused_size_workspace', { ...params, max: humanSize(max) }) };
	};
	const refusal = (verdict: ReturnType<typeof judgeInbound>): MediaOutcome | undefined => {
		if (verdict.ok) return undefined;
		if (verdict.reason === 'size') return tooLarge(verdict.size);
		// Active content is never accepted, whatever the setting lists; any other type is the setting's.
		const key = isActiveContentType(verdict.mimeType) ? 'inbound_media_refused_type_active' : 'inbound_media_refused_type_app';
		return { posted: false, notice: t(key, { type: verdict.mimeType }) };
	};
	const workspaceRefusal = (mimeType: string | undefined): MediaOutcome | undefined => {
		if (limit.workspace.enabled === false) return { posted: false, notice: t('inbound_media_refused_disabled') };
		const type = baseMime(mimeType);
		return type && !workspaceAcceptsType(type, limit.workspace)
			? { posted: false, notice: t('inbound_media_refused_type_workspace', { type }) }
			: undefined;
	};
	const closedMeanwhile = (): MediaOutcome => {
		if (retryLater) throw roomClosed();
		return { posted: false, notice: t('inbound_media_failed', { reason: t('inbound_media_room_closed') }) };
	};
	if (!isMediaId(media.id)) {
		// Nothing to ask Meta for: the file is announced, and no Graph path other than a media id gets the token.
		ports.logger?.warn(`inbound media of ${number.phoneNumberId} refused: the message names no valid media id`);
		return { posted: false, notice: t('inbound_media_failed', { reason: t('inbound_media_id_invalid') }) };
	}
	const early = refusal(judgeInbound({ mimeType: media.mimeType }, limit)) ?? workspaceRefusal(media.mimeType);
	if (early) return early;
	let bytes: Uint8Array | undefined;
	let mimeType = media.mimeType;
	try {
		const graph = ports.graph(number);
		const info = await graph.getMedia(media.id);
		mimeType = info.mime_type || media.mimeType;
		const size = info.file_size === undefined ? undefined : Number(info.file_size);
		const refused = refusal(judgeInbound({ mimeType, size }, limit)) ?? workspaceRefusal(mimeType);
		if (refused) return refused;
		bytes = await graph.downloadMedia(info.url, limit.maxBytes, size);
	} catch (error) {
		if (error instanceof AppError && error.code === 'media_too_large') return tooLarge(Number(error.params?.size));
		if (retryLater && isPassing(error)) throw error;
		// Words for the agent, who cannot fetch it again (no "try again"), inside a sentence of their own (no final period).
		// A token (or an app secret) Meta no longer accepts: an admin must mend the number, and the contact send the file again.
		const reason =
			error instanceof GraphApiError
				? isRefusedToken(error.graphCode)
					? t('inbound_media_token_refused')
					: isAppSecretRefusal(error)
						? t('inbound_media_app_secret_refused')
						: t('inbound_media_meta_error', { code: error.graphCode || error.httpStatus })
				: error instanceof NetworkError
					? t(error.timedOut ? 'inbound_media_no_answer' : 'inbound_media_no_connection')
					: error instanceof AppError
						? t(error.i18nKey, error.params).replace(/\.$/, '')
						: t('inbound_media_no_connection');
		ports.logger?.error(
			`inbound media ${media.id} of ${number.phoneNumberId} not posted: ${error instanceof Error ? error.message : String(error)}`,
		);
		return { posted: false, notice: t('inbound_media_failed', { reason }) };
	}
	// The bytes must be those of the type Meta declared: a "PDF" that is an HTML page, an "image" that
	// is a program, is refused, and nothing of it is posted.
	if (!matchesDeclaredType(bytes, mimeType).ok) {
		const type = baseMime(mimeType) || '?';
		ports.logger?.warn(`inbound media ${media.id} of ${number.phoneNumberId} refused: its content is not of its declared type ${type}`);
		return { posted: false, notice: t('inbound_media_refused_content', { type }) };
	}
	const filename = inboundFileName({ ...media, mimeType });
	const upload = await ports.uploads.upload({ bytes, filename, visitor, room });
	if ('refused' in upload) {
		// Rocket.Chat's Uploads store refused the file (FileUpload.validateFileUpload): the room says why.
		const id = upload.refused;
		if (id === 'error-file-too-large') return tooLarge(bytes.byteLength, 'workspace');
		if (id === 'error-invalid-file-type') return { posted: false, notice: t('inbound_media_refused_file_type', { name: filename }) };
		if (id === 'error-file-upload-disabled') return { posted: false, notice: t('inbound_media_refused_disabled') };
		if (id === 'file-too-small') return { posted: false, notice: t('inbound_media_refused_empty') };
		// 'invalid-file': the store no longer lets the contact post in this room (it closed meanwhile).
		if (id === 'invalid-file' && !(await ports.conversations.isOpen(room))) return closedMeanwhile();
		// Another failure (the file store out of reach, say): retried while attempts remain, as Meta's
		// passing failures are. Its text is the server's (hosts, buckets, English): the log has it, the room
		// a sentence of its own.
		if (!id && retryLater) throw storeFailed(upload.message);
		ports.logger?.error(`inbound media ${media.id} of ${number.phoneNumberId} refused by Rocket.Chat: ${upload.message}`);
		return { posted: false, notice: t('inbound_media_refused_workspace') };
	}
	// Rocket.Chat posts a visitor's file only in the token's open room (sendFileLivechatMessage), and
	// some versions store the file of a closed room without a word: the message then goes to the
	// contact's next room on retry.
	if (!(await ports.conversations.isOpen(room))) return closedMeanwhile();
	return { posted: true, uploadId: upload.uploadId };
}
