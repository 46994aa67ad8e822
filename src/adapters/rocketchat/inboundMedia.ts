/**
 * A contact's image, video, audio, voice note, document or sticker: fetched through the Graph media
 * endpoint with the number's token and posted in the room as the contact's file, within the app's
 * max-size and accepted-types settings AND Rocket.Chat's own upload settings (FileUpload_Enabled,
 * FileUpload_MaxFileSize, the media type white and black lists), which Rocket.Chat's Uploads store
 * applies to an app's upload too. Types a browser would run as active content (SVG, HTML, XML) are
 * never accepted; the media URL must be on Meta's media hosts (the token goes nowhere else); the
 * file's leading bytes must be those of the type Meta declared; the stored name ends with the
 * accepted type's extension, never the contact's. A refused or failed file is never silent: the
 * room gets the description and why the file is not there.
 */
import { IHttp, ILogger, IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';

import { AppError, GraphApiError, NetworkError } from '../../core/errors';
import { Described } from '../../core/inbound/describe';
import { baseMime, humanSize, inboundFileName, judgeInbound, parseAcceptedTypes } from '../../core/media/media';
import { matchesDeclaredType } from '../../core/media/signature';
import { ConnectedNumber } from '../../core/numbers/ConnectedNumber';
import { Translator } from '../../core/i18n/translate';
import { appSettings, graphFactory, serverSetting } from '../factory';

const { Buffer: NodeBuffer } = require('buffer') as typeof import('buffer');

const MB = 1024 * 1024;

export interface MediaAccessors {
	read: IRead;
	modify: IModify;
	http: IHttp;
	logger?: ILogger;
	/** A passing failure (network, Meta's 5xx or transient errors) is thrown, for the message to be retried. */
	retryLater?: boolean;
}

export interface MediaOutcome {
	/** The file is in the room. */
	posted: boolean;
	/** Its upload, when posted now. */
	uploadId?: string;
	/** Why not, as a line for the room. */
	notice?: string;
}

/** Rocket.Chat's upload settings, as far as the app may read them (undefined: unknown, not checked before the upload). */
interface WorkspaceUploads {
	enabled?: boolean;
	/** FileUpload_MaxFileSize; -1 (or unknown) is no limit. */
	maxBytes?: number;
	whiteList?: string;
	blackList?: string;
}

async function workspaceUploads(read: IRead): Promise<WorkspaceUploads> {
	const value = (id: Parameters<typeof serverSetting>[1]) => serverSetting(read, id);
	const [enabled, max, white, black] = await Promise.all([value('FileUpload_Enabled'), value('FileUpload_MaxFileSize'), value('FileUpload_MediaTypeWhiteList'), value('FileUpload_MediaTypeBlackList')]);
	const maxBytes = parseInt(String(max), 10);
	return {
		enabled: typeof enabled === 'boolean' ? enabled : undefined,
		maxBytes: Number.isFinite(maxBytes) && maxBytes > -1 ? maxBytes : undefined,
		whiteList: typeof white === 'string' ? white : undefined,
		blackList: typeof black === 'string' ? black : undefined,
	};
}

/** Rocket.Chat's media type lists: `type` or `group/*`, the black list first, an empty or `*` white list takes all. */
function workspaceAcceptsType(type: string, workspace: WorkspaceUploads): boolean {
	const list = (value: string | undefined) => (value ? value.split(',').map((item) => item.trim()) : undefined);
	const onList = (items: string[]) => items.includes(type) || items.some((item) => item.indexOf('/*') > 0 && item === type.replace(/(\/.*)$/, '/*'));
	const black = list(workspace.blackList);
	if (black && onList(black)) return false;
	const white = workspace.whiteList === '*' ? undefined : list(workspace.whiteList);
	return !white || onList(white);
}

async function limits(read: IRead): Promise<{ maxBytes: number; accepted: string[]; workspace: WorkspaceUploads }> {
	const mb = await appSettings(read).get('inboundMediaMaxMb');
	const workspace = await workspaceUploads(read);
	const own = mb * MB;
	// The smaller of the app's limit and the workspace's: a file over either is not downloaded.
	return { maxBytes: workspace.maxBytes !== undefined ? Math.min(own, workspace.maxBytes) : own, accepted: parseAcceptedTypes(await appSettings(read).get('inboundMediaTypes')), workspace };
}

/** The id of a Rocket.Chat `Meteor.Error` (`<reason> [<error>]`) an upload was refused with. */
function uploadErrorId(error: unknown): string | undefined {
	const own = (error as { error?: unknown } | null)?.error;
	if (typeof own === 'string') return own;
	const message = error instanceof Error ? error.message : typeof error === 'string' ? error : String((error as { message?: unknown } | null)?.message ?? '');
	return /\[([a-z0-9-]+)\]\s*$/i.exec(message)?.[1];
}

/** The conversation closed while the file was on its way: the message is retried into the contact's next room. */
const roomClosed = () => new AppError({ code: 'media_room_closed', message: 'the room closed before the file was posted', i18nKey: 'inbound_media_room_closed' });

/** A failure that may not happen again in a minute: no answer, Meta's 5xx, or an error Meta marks transient. */
function isPassing(error: unknown): boolean {
	if (error instanceof NetworkError) return true;
	return error instanceof GraphApiError && (error.httpStatus >= 500 || error.isTransient === true || error.graphCode === 1 || error.graphCode === 2);
}

export async function postInboundMedia(acc: MediaAccessors, number: ConnectedNumber, visitor: IVisitor, room: ILivechatRoom, media: NonNullable<Described['media']>, t: Translator): Promise<MediaOutcome> {
	const limit = await limits(acc.read);
	const tooLarge = (size: number): MediaOutcome => ({ posted: false, notice: t('inbound_media_refused_size', { size: humanSize(size, true), max: humanSize(limit.maxBytes) }) });
	const refusal = (verdict: ReturnType<typeof judgeInbound>): MediaOutcome | undefined => {
		if (verdict.ok) return undefined;
		if (verdict.reason === 'size') return tooLarge(verdict.size);
		return { posted: false, notice: t('inbound_media_refused_type', { type: verdict.mimeType }) };
	};
	const workspaceRefusal = (mimeType: string | undefined): MediaOutcome | undefined => {
		if (limit.workspace.enabled === false) return { posted: false, notice: t('inbound_media_refused_disabled') };
		const type = baseMime(mimeType);
		return type && !workspaceAcceptsType(type, limit.workspace) ? { posted: false, notice: t('inbound_media_refused_type', { type }) } : undefined;
	};
	const early = refusal(judgeInbound({ mimeType: media.mimeType }, limit)) ?? workspaceRefusal(media.mimeType);
	if (early) return early;
	let bytes: Uint8Array | undefined;
	let mimeType = media.mimeType;
	try {
		const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
		const info = await graph.getMedia(media.id, number.phoneNumberId);
		mimeType = info.mime_type || media.mimeType;
		const size = info.file_size === undefined ? undefined : Number(info.file_size);
		const refused = refusal(judgeInbound({ mimeType, size }, limit)) ?? workspaceRefusal(mimeType);
		if (refused) return refused;
		bytes = await graph.downloadMedia(info.url, limit.maxBytes);
	} catch (error) {
		if (error instanceof AppError && error.code === 'media_too_large') return tooLarge(Number(error.params?.size));
		if (acc.retryLater && isPassing(error)) throw error;
		const reason = error instanceof GraphApiError ? t('inbound_media_meta_error', { code: error.graphCode || error.httpStatus }) : error instanceof AppError ? t(error.i18nKey, error.params) : t('error_graph_unreachable');
		acc.logger?.error(`inbound media ${media.id} of ${number.phoneNumberId} not posted: ${error instanceof Error ? error.message : String(error)}`);
		return { posted: false, notice: t('inbound_media_failed', { reason }) };
	}
	// The bytes must be those of the type Meta declared: a "PDF" that is an HTML page, an "image" that
	// is a program, is refused, and nothing of it is posted.
	if (!matchesDeclaredType(bytes, mimeType).ok) {
		const type = baseMime(mimeType) || '?';
		acc.logger?.warn(`inbound media ${media.id} of ${number.phoneNumberId} refused: its content is not of its declared type ${type}`);
		return { posted: false, notice: t('inbound_media_refused_content', { type }) };
	}
	const filename = inboundFileName({ ...media, mimeType });
	let uploadId: string | undefined;
	try {
		const upload = await acc.modify.getCreator().getUploadCreator().uploadBuffer(NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { filename, room, visitorToken: visitor.token });
		uploadId = upload?.id;
	} catch (error) {
		// Rocket.Chat's Uploads store refused the file (FileUpload.validateFileUpload): the room says why.
		const id = uploadErrorId(error);
		if (id === 'error-file-too-large') return tooLarge(bytes.byteLength);
		if (id === 'error-invalid-file-type') return { posted: false, notice: t('inbound_media_refused_file_type', { name: filename }) };
		if (id === 'error-file-upload-disabled') return { posted: false, notice: t('inbound_media_refused_disabled') };
		if (id === 'file-too-small') return { posted: false, notice: t('inbound_media_refused_empty') };
		// 'invalid-file': the store no longer lets the contact post in this room (it closed meanwhile).
		if (id === 'invalid-file' && !(await isOpen(acc.read, room))) {
			if (acc.retryLater) throw roomClosed();
			return { posted: false, notice: t('inbound_media_failed', { reason: t('inbound_media_room_closed') }) };
		}
		acc.logger?.error(`inbound media ${media.id} of ${number.phoneNumberId} refused by Rocket.Chat: ${error instanceof Error ? error.message : String(error)}`);
		return { posted: false, notice: t('inbound_media_refused_workspace', { reason: error instanceof Error ? error.message : String(error) }) };
	}
	// Rocket.Chat posts a visitor's file only in the token's open room (sendFileLivechatMessage), and
	// some versions store the file of a closed room without a word: the message then goes to the
	// contact's next room on retry.
	if (!(await isOpen(acc.read, room))) {
		if (acc.retryLater) throw roomClosed();
		return { posted: false, notice: t('inbound_media_failed', { reason: t('inbound_media_room_closed') }) };
	}
	return { posted: true, uploadId };
}

async function isOpen(read: IRead, room: ILivechatRoom): Promise<boolean> {
	const current = (await read.getRoomReader().getById(room.id).catch(() => undefined)) as ILivechatRoom | undefined;
	return current?.isOpen !== false;
}
