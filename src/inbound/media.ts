/**
 * A contact's image, video, audio, voice note, document or sticker: fetched through the Graph media
 * endpoint with the number's token and posted in the room as the contact's file, within the
 * workspace's max-size and accepted-types settings. A refused or failed file is never silent: the
 * room gets the description and why the file is not there.
 */
import { IHttp, ILogger, IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom, IVisitor } from '@rocket.chat/apps-engine/definition/livechat';

import { AppError, GraphApiError, NetworkError } from '../core/errors';
import { Described } from '../core/inbound/describe';
import { humanSize, inboundFileName, judgeInbound, parseAcceptedTypes } from '../core/media/media';
import { ConnectedNumber } from '../core/numbers/ConnectedNumber';
import { Translator } from '../i18n/translate';
import { graphFactory, setting } from '../lib/services';
import { SettingId } from '../settings/settings';

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

async function limits(read: IRead): Promise<{ maxBytes: number; accepted: string[] }> {
	const mb = Number(await setting(read, SettingId.InboundMediaMaxMb));
	return { maxBytes: (Number.isFinite(mb) && mb > 0 ? mb : 16) * MB, accepted: parseAcceptedTypes(await setting(read, SettingId.InboundMediaTypes)) };
}

/** A failure that may not happen again in a minute: no answer, Meta's 5xx, or an error Meta marks transient. */
function isPassing(error: unknown): boolean {
	if (error instanceof NetworkError) return true;
	return error instanceof GraphApiError && (error.httpStatus >= 500 || error.isTransient === true || error.graphCode === 1 || error.graphCode === 2);
}

export async function postInboundMedia(acc: MediaAccessors, number: ConnectedNumber, visitor: IVisitor, room: ILivechatRoom, media: NonNullable<Described['media']>, t: Translator): Promise<MediaOutcome> {
	const limit = await limits(acc.read);
	const refusal = (verdict: ReturnType<typeof judgeInbound>): MediaOutcome | undefined => {
		if (verdict.ok) return undefined;
		return verdict.reason === 'type'
			? { posted: false, notice: t('inbound_media_refused_type', { type: verdict.mimeType }) }
			: { posted: false, notice: t('inbound_media_refused_size', { size: humanSize(verdict.size, true), max: humanSize(verdict.maxBytes) }) };
	};
	const early = refusal(judgeInbound({ mimeType: media.mimeType }, limit));
	if (early) return early;
	try {
		const graph = (await graphFactory(acc.read, acc.http))(number.accessToken);
		const info = await graph.getMedia(media.id, number.phoneNumberId);
		const mimeType = info.mime_type || media.mimeType;
		const size = info.file_size === undefined ? undefined : Number(info.file_size);
		const refused = refusal(judgeInbound({ mimeType, size }, limit));
		if (refused) return refused;
		const bytes = await graph.downloadMedia(info.url, limit.maxBytes);
		const upload = await acc.modify.getCreator().getUploadCreator().uploadBuffer(NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
			filename: inboundFileName({ ...media, mimeType }),
			room,
			visitorToken: visitor.token,
		});
		return { posted: true, uploadId: upload?.id };
	} catch (error) {
		if (error instanceof AppError && error.code === 'media_too_large') {
			return { posted: false, notice: t('inbound_media_refused_size', { size: humanSize(Number(error.params?.size), true), max: humanSize(limit.maxBytes) }) };
		}
		if (acc.retryLater && isPassing(error)) throw error;
		const reason = error instanceof GraphApiError ? t('inbound_media_meta_error', { code: error.graphCode || error.httpStatus }) : error instanceof AppError ? t(error.i18nKey, error.params) : t('error_graph_unreachable');
		acc.logger?.error(`inbound media ${media.id} of ${number.phoneNumberId} not posted: ${error instanceof Error ? error.message : String(error)}`);
		return { posted: false, notice: t('inbound_media_failed', { reason }) };
	}
}
