/**
 * A contact's file, Rocket.Chat's side (core/app/inboundMedia.ts MediaUploads): the workspace's
 * upload settings, and the upload in the room as the contact's, with the id of Rocket.Chat's
 * refusal when its Uploads store refuses the file.
 */
import { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';

import { Room, Visitor } from '../../core/app/conversations';
import { MediaUploads, UploadResult, WorkspaceUploads } from '../../core/app/inboundMedia';
import { serverSetting } from '../factory';
import { engineRoom, engineVisitor } from './conversations';

const { Buffer: NodeBuffer } = require('buffer') as typeof import('buffer');

async function workspaceUploads(read: IRead): Promise<WorkspaceUploads> {
	const value = (id: Parameters<typeof serverSetting>[1]) => serverSetting(read, id);
	const [enabled, max, white, black] = await Promise.all([
		value('FileUpload_Enabled'),
		value('FileUpload_MaxFileSize'),
		value('FileUpload_MediaTypeWhiteList'),
		value('FileUpload_MediaTypeBlackList'),
	]);
	const maxBytes = parseInt(String(max), 10);
	return {
		enabled: typeof enabled === 'boolean' ? enabled : undefined,
		// -1 (or unknown) is no limit.
		maxBytes: Number.isFinite(maxBytes) && maxBytes > -1 ? maxBytes : undefined,
		whiteList: typeof white === 'string' ? white : undefined,
		blackList: typeof black === 'string' ? black : undefined,
	};
}

/** The id of a Rocket.Chat `Meteor.Error` (`<reason> [<error>]`) an upload was refused with. */
function uploadErrorId(error: unknown): string | undefined {
	const own = (error as { error?: unknown } | null)?.error;
	if (typeof own === 'string') return own;
	const message =
		error instanceof Error
			? error.message
			: typeof error === 'string'
				? error
				: String((error as { message?: unknown } | null)?.message ?? '');
	return /\[([a-z0-9-]+)\]\s*$/i.exec(message)?.[1];
}

export function rocketChatUploads(acc: { read: IRead; modify: IModify }): MediaUploads {
	return {
		workspace: () => workspaceUploads(acc.read),
		async upload(file: { bytes: Uint8Array; filename: string; visitor: Visitor; room: Room }): Promise<UploadResult> {
			const { bytes, filename } = file;
			const room = engineRoom(file.room);
			const visitor = engineVisitor(file.visitor);
			try {
				const upload = await acc.modify
					.getCreator()
					.getUploadCreator()
					.uploadBuffer(NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
						filename,
						room,
						visitorToken: visitor.token,
					});
				return { uploadId: upload?.id };
			} catch (error) {
				return { refused: uploadErrorId(error), message: error instanceof Error ? error.message : String(error) };
			}
		},
	};
}
