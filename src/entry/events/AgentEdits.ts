/**
 * An agent's edit or deletion of a message in a WhatsApp contact room (IPostMessageUpdated,
 * IPostMessageDeleted): WhatsApp keeps what was sent, and core/app/agentEdits.ts tells the agent so
 * (or, for a message Meta never delivered, that it never reached the contact).
 * Here only the engine's event becomes the service's input.
 *
 * What Rocket.Chat hands over:
 *   - An edit: functions/updateMessage.ts (RocketChat/Rocket.Chat @ 02af0b6f) sets `editedAt` and
 *     `editedBy` ({ _id, username } of the user who edited), saves, then fires IPostMessageUpdated
 *     without awaiting it; the messages converter gives `editedBy` as `editor`, the user read by id
 *     (apps/meteor/app/apps/server/converters/messages.ts). The app's own updates of a message (its
 *     delivery state, adapters/rocketchat/roomMessages.ts) go through the same function with the
 *     app's user as editor, and fire the same event.
 *   - A deletion: functions/deleteMessage.ts reads the message, deletes it (or hides it, or marks it
 *     deleted, per Message_KeepHistory / Message_ShowDeletedStatus), then fires IPostMessageDeleted
 *     with the message as it was and the user who deleted it; the listener bridge
 *     (apps/meteor/app/apps/server/bridges/listeners.ts) passes `{ message, user }`, which every engine
 *     the app supports (1.47 to 1.66; read in 1.53.1, 1.59.0 and 1.62.0: AppListenerManager
 *     executePostMessageDelete, deno-runtime handlers/listener/handler.ts) hands to the app as the
 *     `context` argument. An event without that context or its user names nobody to tell: no notice.
 */
import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ILivechatRoom } from '@rocket.chat/apps-engine/definition/livechat';
import { IMessage, IMessageDeleteContext } from '@rocket.chat/apps-engine/definition/messages';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { ChangeActor, ChangeRoom, EditNotices, mayConcern, MessageChange } from '../../core/app/agentEdits';
import { notifyUser, userTranslator } from '../../adapters/factory';
import { MessageStore } from '../../adapters/persistence/MessageStore';
import { claimedContactOf, contactOf } from '../../adapters/rocketchat/conversations';
import { afterRepliesTo } from './AgentReplies';

export interface EditAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: ILogger;
}

interface EngineActor extends ChangeActor {
	engine: IUser;
}
interface EngineChangeRoom extends ChangeRoom {
	engine: IRoom;
}

const actorOf = (user: IUser | undefined): EngineActor | undefined =>
	user?.id ? { id: user.id, username: user.username, type: String(user.type ?? ''), engine: user } : undefined;

/** The contact's own message: a visitor's carries its token, and is sent as the room's visitor. */
function isContactsMessage(message: IMessage): boolean {
	if ((message as IMessage & { token?: string }).token) return true;
	const visitor = (message.room as ILivechatRoom | undefined)?.visitor;
	return Boolean(visitor?.username && message.sender?.username === visitor.username);
}

function notices(acc: EditAccessors): EditNotices {
	return new EditNotices({
		messages: new MessageStore(acc.read.getPersistenceReader()),
		isContactRoom: async (room) => Boolean(await contactOf(acc, (room as EngineChangeRoom).engine)),
		notify: (to, room, text) => notifyUser(acc, { user: (to as EngineActor).engine, room: (room as EngineChangeRoom).engine, text }),
		translatorFor: (user) => userTranslator(acc.read, (user as EngineActor).engine),
		logger: acc.logger,
	});
}

/**
 * The change as the service's input, or undefined when it is in no room that looks like a contact's,
 * or not a person's change of a message that is not the contact's (`mayConcern`; no read needed):
 * the app's own updates never wait in the contact's reply queue.
 */
function changeOf(kind: MessageChange['kind'], message: IMessage, by: IUser | undefined): MessageChange | undefined {
	if (!message?.id || !claimedContactOf(message.room)) return undefined;
	const room: EngineChangeRoom = { id: message.room.id, engine: message.room };
	const change: MessageChange = { kind, messageId: message.id, room, fromContact: isContactsMessage(message), by: actorOf(by) };
	return mayConcern(change) ? change : undefined;
}

/** IPostMessageUpdated: the message's `editor` edited it (the app's user, for the app's own updates). */
export async function onMessageEdited(acc: EditAccessors, message: IMessage): Promise<void> {
	const change = changeOf('edited', message, message?.editor);
	if (change) await afterReplies(message.room, () => notices(acc).onChange(change));
}

/** IPostMessageDeleted: `context.user` deleted it. */
export async function onMessageDeleted(acc: EditAccessors, message: IMessage, context?: IMessageDeleteContext): Promise<void> {
	const deleted = message ?? context?.message;
	const change = changeOf('deleted', deleted, context?.user);
	if (change) await afterReplies(deleted.room, () => notices(acc).onChange(change));
}

/**
 * After the replies to the room's contact announced before the change (AgentReplies.ts): a reply
 * edited or deleted while it was on its way to Meta is linked by then, and its notice is not missed.
 */
async function afterReplies(room: IRoom, step: () => Promise<unknown>): Promise<void> {
	const contact = claimedContactOf(room);
	if (contact) await afterRepliesTo(contact, async () => void (await step()));
}
