/**
 * The delivery state of a WhatsApp message on the Rocket.Chat message it was sent from
 * (core/app/roomDelivery.ts `RoomMessages`), through the engine's message updater.
 *
 * What Rocket.Chat renders, and so what the state is: one attachment of the message (a colour bar and
 * a line of text), beside the ones it has (an agent's file), which are kept.
 *   - Not message blocks: the room renders a message's text only when it has no blocks
 *     (apps/meteor/client/components/message/variants/room/RoomMessageContent.tsx @ 00d0fd7a:
 *     `!message.blocks?.length && !!message.md?.length`), so blocks would hide the template's text.
 *   - Not custom fields: the client shows none, and a fresh workspace refuses them
 *     (`Message_CustomFields_Enabled` off; tools/harness/rc/messages.ts).
 *   - An attachment that is neither a file (`type: 'file'`) nor a quote (`message_link`) is drawn by
 *     DefaultAttachment: `color` as its bar, `text` as markdown
 *     (client/components/message/content/attachments/AttachmentsItem.tsx @ 00f0e7c9, DefaultAttachment.tsx @ 05016102).
 *     Its `type` names it as the app's, with the state shown (`whatsapp-status:<state>`): the
 *     messages converter carries an attachment's `type` both ways
 *     (apps/meteor/app/apps/server/converters/messages.ts @ 00998e59).
 *
 * What an update does in Rocket.Chat: AppMessageBridge.update (apps/meteor/app/apps/server/bridges/messages.ts
 * @ 3a56885d) needs an editor (the app's user here) and calls functions/updateMessage.ts (@ 02af0b6f),
 * which sets `editedAt`/`editedBy` (clients mark the message edited unless `Message_ShowEditedStatus`
 * is off), keeps a copy when `Message_KeepHistory` is on, saves it (the database watcher broadcasts the
 * changed message to the room's clients, notifyOnMessageChange) and fires IPostMessageUpdated. Hence one update per message per run.
 */
import { IModify, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IMessageAttachment } from '@rocket.chat/apps-engine/definition/messages';

import { isRoomState, RoomMessages, RoomState } from '../../core/app/roomDelivery';

const TYPE_PREFIX = 'whatsapp-status:';

/** WhatsApp's tick colours: grey until read, blue once read; a failure in Rocket.Chat's danger red. */
const COLORS: Record<RoomState, string> = {
	sent: '#8696A0',
	delivered: '#8696A0',
	read: '#53BDEB',
	played: '#53BDEB',
	failed: '#EC0D2A',
};

const isStateAttachment = (attachment: IMessageAttachment) => String(attachment.type ?? '').startsWith(TYPE_PREFIX);

/** The state an attachment of the app's shows. */
export function shownState(attachments: IMessageAttachment[] | undefined): RoomState | undefined {
	const type = attachments?.find(isStateAttachment)?.type?.slice(TYPE_PREFIX.length);
	return isRoomState(type) ? type : undefined;
}

export function roomMessagesOf(acc: { read: IRead; modify: IModify }): RoomMessages {
	return {
		show: async (update, keeps) => {
			const editor = await acc.read.getUserReader().getAppUser();
			if (!editor) return false;
			const updater = acc.modify.getUpdater();
			const builder = await updater.message(update.rcMessageId, editor);
			// A message that is gone (deleted) reads as nothing (no room; getMessage() would throw); one of
			// another room is not the send's.
			if (builder.getRoom()?.id !== update.roomId || !builder.getMessage().id) return false;
			const attachments = builder.getAttachments() ?? [];
			if (keeps(shownState(attachments))) return false;
			const state: IMessageAttachment = { type: `${TYPE_PREFIX}${update.state}`, color: COLORS[update.state], text: update.text };
			builder.setAttachments([...attachments.filter((a) => !isStateAttachment(a)), state]);
			await updater.finish(builder);
			return true;
		},
	};
}
