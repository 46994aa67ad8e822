/**
 * Messages of apps, as Rocket.Chat's AppMessageBridge handles them
 * (apps/meteor/app/apps/server/bridges/messages.ts @ 3a56885d200035764a95e0537982a21664478b54).
 *
 * What a message goes through, and what changes it:
 *   - `create` converts the app's message and calls `executeSendMessage`
 *     (apps/meteor/app/lib/server/methods/sendMessage.ts @ 026bdc004eff2f681099b299bea28d2e3a562d7b),
 *     the path of a user's own message without the Meteor method's rate limit: a text longer than
 *     the `Message_MaxAllowedSize` server setting (5000 on a fresh workspace) is refused with
 *     'error-message-size-exceeded'; the sender must be a user ('error-invalid-user'); a refusal is
 *     also shown to the sender as an ephemeral message. Then `sendMessage`
 *     (apps/meteor/app/lib/server/functions/sendMessage.ts @ 026bdc00) validates the message: any
 *     `customFields` are refused ('Custom fields not enabled') unless `Message_CustomFields_Enabled`
 *     is on (off by default), and when on must match the admin's JSON schema in `Message_CustomFields`
 *     (apps/meteor/app/lib/server/lib/validateCustomMessageFields.ts @ 0fe295c4f2de963052cade9c7d299965da91ed5b).
 *     After the insert Rocket.Chat fires IPostMessageSent (IPostSystemMessageSent for a message with
 *     a type `t`, which an app's message never has) to every app, the sending app included, without
 *     awaiting it.
 *   - A visitor's message an app creates (LivechatBridge.createMessage) goes through the livechat
 *     `sendMessage` (apps/meteor/app/livechat/server/lib/messages.ts @ 1a77c8dfe9fe80a386f84a4cd66a542e3a20a47c)
 *     straight to the same functions/sendMessage: no size check, the visitor as sender, the
 *     visitor's `token` on the message and its name as `alias`; custom fields are validated and
 *     IPostMessageSent fires the same way.
 *   - `update` goes through functions/updateMessage.ts (@ 02af0b6f092ce3e42a0091481049039515c4afe0):
 *     an editor is required, the changes are merged over the stored message (the engine's updater
 *     sends only the fields the app changed, which convertAppMessage(message, true) keeps), the
 *     message is marked edited (`editedAt`, `editedBy`: the client shows it unless
 *     `Message_ShowEditedStatus` is off), the merged message's custom fields are validated again,
 *     there is no size check, and IPostMessageUpdated fires without being awaited. Each update is
 *     counted in `world.messageUpdates`. With `Message_KeepHistory` (off by default) the message as it
 *     was is copied to `world.messageHistory` first (`cloneAndSaveAsHistoryById`, before the validation).
 *   - `notifyUser` / `notifyRoom` broadcast an ephemeral message: nothing is stored in the room's
 *     history, and `notifyRoom` reaches the room's subscribers only.
 *
 * What a user does to a message (not a bridge: `AppHarness.editMessage` / `deleteMessage`, `userEdit` /
 * `userDelete` below):
 *   - An edit goes through the `updateMessage` method (apps/meteor/app/lib/server/methods/updateMessage.ts
 *     @ 0042af9e890c17762251d16dda12c9bcf8d03f98, what chat.update and the client call): an unknown message
 *     does nothing; a text equal to the current one (a file message's: its first attachment's
 *     description) does nothing, no event; allowed with the `edit-message` permission (the `admin` role
 *     here; room owners and moderators are not modelled), else only on one's own message with
 *     `Message_AllowEditing` (on), within `Message_AllowEditing_BlockEditInMinutes` (0: no limit;
 *     admins too: only `bypass-time-limit-edit-and-delete`, the bot and app roles, lifts it); else 'error-action-not-allowed' / 'error-message-editing-blocked'. A file
 *     message's edit changes its first attachment's description, not its text. Then
 *     functions/updateMessage.ts (@ 02af0b6f): with `Message_KeepHistory` (off) the message as it was is
 *     kept as a hidden copy (`cloneAndSaveAsHistoryById`: `world.messageHistory`), `editedAt` and
 *     `editedBy` are set (apps receive `editedBy` as `editor`, the user read by id), the update is
 *     counted in `world.messageUpdates`, and IPostMessageUpdated fires without being awaited.
 *   - A deletion goes through `deleteMessageValidatingPermission` and `deleteMessage`
 *     (apps/meteor/app/lib/server/functions/deleteMessage.ts @ 033106a2258c9d06e94761cc0ac1abf061870ca4;
 *     later versions keep the same steps and event): allowed for the `admin` role
 *     (`force-delete-message`), else with `Message_AllowDeleting` (on) on one's own message
 *     (`delete-own-message`: the `user` and `admin` roles) within
 *     `Message_AllowDeleting_BlockDeleteInMinutes` (0: no limit); else 'error-action-not-allowed'. The
 *     message is read first, then, per `Message_KeepHistory` (off) and `Message_ShowDeletedStatus`
 *     (off): removed with its files (the defaults); kept and shown as deleted (`setAsDeletedByIdAndUser`:
 *     empty text, type `rm`, no attachments or reactions, `editedAt`/`editedBy` the deleting user); or,
 *     keeping history, hidden (`_hidden`, files hidden) or copied to the history and shown as deleted.
 *     Then IPostMessageDeleted fires, unawaited, with the message as read before and the user, which
 *     the listener bridge (apps/meteor/app/apps/server/bridges/listeners.ts @ 065d8c24) passes to the
 *     engine as `{ message, user }`. Threads (a thread's parent always keeps history) are not modelled.
 *
 * What apps receive (IPostMessageSent, getById) is the stored message converted as Rocket.Chat's
 * messages converter does (apps/meteor/app/apps/server/converters/messages.ts @ 00998e59790158a07e495a34343d7eb25cc6f5ed):
 * the room as it is now (as the rooms converter gives it: its visitor read again by id, rc/rooms.ts), the sender read again by id (a user as apps receive users), or for a
 * visitor's message (it has a `token`) the `u` of the message converted as a user of unknown type.
 * The app's `visitor` field, `type`, `file` and `files` are not kept (convertAppMessage drops them).
 *
 * Not modelled: the room permission check (`canSendMessageAsync`), threads, E2E, the
 * IPreMessageSent* events (this app implements none).
 */
import { randomUUID } from 'crypto';

import Ajv from 'ajv';

import { cloneDeep, HarnessRoom, HarnessUser, HarnessWorld, Json } from '../world';
import { BridgeContext, BridgeMethods } from './context';
import { toAppRoom } from './rooms';

/** An error as Meteor.Error shows it: `reason [error]`, with the error code in `error`. */
class MeteorError extends Error {
	constructor(
		readonly error: string,
		readonly reason: string,
	) {
		super(`${reason} [${error}]`);
		this.name = 'Meteor.Error';
	}
}

const ajv = new Ajv();
const compiled = new Map<string, ReturnType<Ajv['compile']>>();

/**
 * validateCustomMessageFields: refused unless enabled; else validated against the admin's schema,
 * compiled as `{ ...schema, type: 'object', additionalProperties: false }` (strict Ajv defaults).
 */
export function validateCustomMessageFields(world: HarnessWorld, customFields: unknown): void {
	if (world.serverSettings.get('Message_CustomFields_Enabled') !== true) throw new Error('Custom fields not enabled');
	const setting = String(world.serverSettings.get('Message_CustomFields') ?? '');
	let validate = compiled.get(setting);
	if (!validate) {
		const schema = JSON.parse(setting);
		if (schema.type && schema.type !== 'object') throw new Error('Invalid custom fields config');
		validate = ajv.compile({ ...schema, type: 'object', additionalProperties: false });
		compiled.set(setting, validate);
	}
	if (!validate(customFields)) throw new Error('Invalid custom fields');
}

/** The fields of an app's message that convertAppMessage carries into Rocket.Chat's message. */
const CONVERTED_FIELDS = [
	'threadId',
	'text',
	'emoji',
	'avatarUrl',
	'alias',
	'customFields',
	'groupable',
	'attachments',
	'reactions',
	'parseUrls',
	'blocks',
	'token',
	'editedAt',
];

/** The sender of a visitor's message as apps receive it: `u` converted by the users converter. */
function visitorSender(visitor: Json): Json {
	return {
		id: visitor.id,
		username: visitor.username,
		name: visitor.name,
		type: 'unknown',
		statusConnection: 'undefined',
		settings: { preferences: {} },
	};
}

/** The room of an app's message (convertAppMessage: 'Invalid room provided on the message.'). */
function roomOf(world: HarnessWorld, message: Json): HarnessRoom {
	const room = world.rooms.get(((message.room as Json | undefined)?.id as string | undefined) ?? '');
	if (!room) throw new Error('Invalid room provided on the message.');
	return room;
}

/**
 * What apps receive of a stored message (a copy: a listener cannot change the stored one): the room
 * and sender read again by id, and the editor (`editedBy`) read by id as the converter does.
 */
export function appMessage(ctx: BridgeContext, stored: Json): Json {
	const { world: w, toAppUser } = ctx;
	// The room read again by id and converted (its visitor read again by id too: rc/rooms.ts).
	const room = toAppRoom(w, (w.rooms.get((stored.room as Json).id as string) ?? stored.room) as Json);
	const senderId = (stored.sender as Json | undefined)?.id as string | undefined;
	const sender = stored.token ? stored.sender : (toAppUser(senderId ? w.users.get(senderId) : undefined) ?? stored.sender);
	const editorId = (stored.editor as Json | undefined)?.id as string | undefined;
	const editor = editorId ? (toAppUser(w.users.get(editorId)) ?? stored.editor) : undefined;
	return { ...stored, room, sender, ...(editor ? { editor } : {}) };
}

export function messageBridge(ctx: BridgeContext): BridgeMethods {
	const { world: w, events, toAppUser } = ctx;
	const toApp = (stored: Json) => appMessage(ctx, stored);

	/**
	 * functions/sendMessage: validate, store, then fire IPostMessageSent without awaiting it.
	 * Rocket.Chat fires IPostSystemMessageSent instead for a message with a type `t`, but the
	 * messages converter does not carry an app message's `type` (nor `file`/`files`), so a message an
	 * app creates is never a system message: only the fields convertAppMessage keeps are stored.
	 */
	const sendMessage = (message: Json, room: HarnessRoom, sender: Json, extra: Json = {}): string => {
		const kept: Json = {};
		for (const field of CONVERTED_FIELDS) if (field in message && message[field] !== undefined) kept[field] = message[field];
		if (kept.customFields) validateCustomMessageFields(w, kept.customFields);
		const now = new Date();
		const stored: Json = {
			...kept,
			...extra,
			id: `msg-${randomUUID()}`,
			room,
			sender,
			text: typeof message.text === 'string' ? message.text : '',
			createdAt: now,
			updatedAt: now,
		};
		w.messages.push(stored);
		room.messageCount += 1;
		events.fire('IPostMessageSent', toApp(stored));
		return stored.id as string;
	};

	/**
	 * executeSendMessage: the size limit and the user are checked first; what fails after (the
	 * validation in sendMessage) is also broadcast to the sender as an ephemeral message (its i18n
	 * key: the Meteor error code, else the error's message) before it is thrown.
	 */
	const executeSendMessage = (message: Json): string => {
		const room = roomOf(w, message);
		const text = message.text;
		if (typeof text === 'string' && text && text.length > Number(w.serverSettings.get('Message_MaxAllowedSize') ?? 0)) {
			throw new MeteorError('error-message-size-exceeded', 'Message size exceeds Message_MaxAllowedSize');
		}
		const user = w.users.get(((message.sender as Json | undefined)?.id as string | undefined) ?? '');
		if (!user?.username) throw new MeteorError('error-invalid-user', 'Invalid user');
		try {
			return sendMessage(message, room, toAppUser(user) as Json);
		} catch (error) {
			w.notifications.push({ user, message: { room, text: error instanceof MeteorError ? error.error : (error as Error).message } });
			throw error;
		}
	};

	/** The livechat sendMessage: the visitor (found by the message's token) sends, no size check. */
	const sendLivechatMessage = (message: Json): string => {
		const token = (message.token as string | undefined) ?? ((message.visitor as Json | undefined)?.token as string | undefined);
		if (!token) throw new Error('Invalid token for livechat message');
		const visitor = [...w.visitors.values()].find((v) => v.token === token) ?? (message.visitor as Json | undefined);
		if (!visitor) throw new Error('Invalid visitor sending the message');
		const room = roomOf(w, message);
		return sendMessage(message, room, visitorSender(visitor), { token, ...(visitor.name ? { alias: visitor.name } : {}) });
	};

	return {
		create: async (message: Json) => (message.visitor || message.token ? sendLivechatMessage(message) : executeSendMessage(message)),
		update: async (message: Json) => {
			// A visitor's message is updated by the livechat bridge with the visitor as editor.
			const editor = message.editor ? w.users.get((message.editor as Json).id as string) : undefined;
			if (!editor && !message.visitor) throw new Error('Invalid editor assigned to the message for the update.');
			const index = w.messages.findIndex((m) => m.id === message.id);
			if (index < 0) throw new Error('Invalid message ID.');
			const { visitor: _visitor, editor: _editor, ...changes } = message;
			if (editor) keepHistory(ctx, w.messages[index], editor);
			const merged: Json = { ...w.messages[index], ...changes };
			if (merged.customFields) validateCustomMessageFields(w, merged.customFields);
			const now = new Date();
			merged.editedAt = now;
			merged.updatedAt = now;
			if (editor) merged.editor = toAppUser(editor);
			merged.room = w.rooms.get((merged.room as Json).id as string) ?? merged.room;
			w.messages[index] = merged;
			w.messageUpdates.push({ messageId: merged.id as string, editorId: editor?.id });
			events.fire('IPostMessageUpdated', toApp(merged));
		},
		getById: async (id: string) => {
			const stored = w.messages.find((m) => m.id === id);
			return stored ? toApp(stored) : undefined;
		},
		notifyUser: async (user: HarnessUser, message: Json) => void w.notifications.push({ user, message }),
		notifyRoom: async (room: Json, message: Json) => {
			const stored = w.rooms.get(room.id as string);
			for (const userId of stored?.userIds ?? []) {
				const user = w.users.get(userId);
				if (user) w.notifications.push({ user, message });
			}
		},
		typing: async () => undefined,
	};
}

/**
 * `Messages.cloneAndSaveAsHistoryById`, when `Message_KeepHistory` is on (or `always`): a hidden copy of
 * the message as it is, `parent` its id, edited now by `user` (`world.messageHistory`).
 */
function keepHistory(ctx: BridgeContext, message: Json, user: HarnessUser, always = false): void {
	const { world: w, toAppUser } = ctx;
	if (!always && w.serverSettings.get('Message_KeepHistory') !== true) return;
	w.messageHistory.push({ ...cloneDeep(message), _hidden: true, parent: message.id, editedAt: new Date(), editor: toAppUser(user) });
}

/** Whether `user` holds the role Rocket.Chat gives a permission by default (global roles only). */
const hasRole = (user: HarnessUser, role: string) => user.roles.includes(role);

/** Minutes since `at` (Rocket.Chat's elapsed time of a message). */
const minutesSince = (at: unknown) => (at instanceof Date ? (Date.now() - at.getTime()) / 60000 : 0);

/**
 * The `updateMessage` method, then functions/updateMessage.ts: `user` changes the text of a message
 * (see the header). Answers whether the message changed (an equal text changes nothing and fires
 * nothing). IPostMessageUpdated fires unawaited (`events.settled()` waits for it).
 */
export function userEdit(ctx: BridgeContext, spec: { user: HarnessUser; messageId: string; text: string }): boolean {
	const { world: w, events, toAppUser } = ctx;
	const { user } = spec;
	const index = w.messages.findIndex((m) => m.id === spec.messageId);
	if (index < 0) return false;
	const original = w.messages[index];
	const attachments = original.attachments as Json[] | undefined;
	const described = Boolean(attachments?.length && attachments[0].description !== undefined);
	if ((described ? attachments![0].description : original.text) === spec.text) return false;
	const admin = hasRole(user, 'admin');
	const own = (original.sender as Json | undefined)?.id === user.id;
	if (!admin && (w.serverSettings.get('Message_AllowEditing') !== true || !own))
		throw new MeteorError('error-action-not-allowed', 'Message editing not allowed');
	const blockMinutes = Number(w.serverSettings.get('Message_AllowEditing_BlockEditInMinutes') ?? 0);
	// The time limit holds for admins too: only `bypass-time-limit-edit-and-delete` lifts it (its default roles: bot, app).
	const bypassesLimit = hasRole(user, 'bot') || hasRole(user, 'app');
	if (!bypassesLimit && blockMinutes && minutesSince(original.createdAt) >= blockMinutes)
		throw new MeteorError('error-message-editing-blocked', 'Message editing is blocked');
	const now = new Date();
	keepHistory(ctx, original, user);
	const changes: Json = described
		? { attachments: [{ ...attachments![0], description: spec.text }, ...attachments!.slice(1)] }
		: { text: spec.text };
	const edited: Json = { ...original, ...changes, editedAt: now, updatedAt: now, editor: toAppUser(user) };
	w.messages[index] = edited;
	w.messageUpdates.push({ messageId: edited.id as string, editorId: user.id });
	events.fire('IPostMessageUpdated', appMessage(ctx, edited));
	return true;
}

/**
 * `deleteMessageValidatingPermission`, then functions/deleteMessage.ts: `user` deletes a message (see
 * the header). IPostMessageDeleted fires unawaited with `{ message, user }` (`events.settled()` waits).
 */
export function userDelete(ctx: BridgeContext, spec: { user: HarnessUser; messageId: string }): void {
	const { world: w, events, toAppUser } = ctx;
	const { user } = spec;
	const index = w.messages.findIndex((m) => m.id === spec.messageId);
	const original = index < 0 ? undefined : w.messages[index];
	const own = (original?.sender as Json | undefined)?.id === user.id;
	const blockMinutes = Number(w.serverSettings.get('Message_AllowDeleting_BlockDeleteInMinutes') ?? 0);
	const allowed =
		original &&
		(hasRole(user, 'admin') ||
			(w.serverSettings.get('Message_AllowDeleting') === true &&
				own &&
				hasRole(user, 'user') &&
				!(blockMinutes && minutesSince(original.createdAt) > blockMinutes)));
	if (!original || !allowed) throw new MeteorError('error-action-not-allowed', 'Not allowed');
	// What the apps receive: the message as it was read before the deletion.
	const deleted = appMessage(ctx, cloneDeep(original));
	const keepsHistory = w.serverSettings.get('Message_KeepHistory') === true;
	const showsDeleted = w.serverSettings.get('Message_ShowDeletedStatus') === true;
	const fileIds = ((original.files as Json[] | undefined) ?? [original.file as Json | undefined])
		.filter((f): f is Json => Boolean(f))
		.map((f) => f._id as string);
	const now = new Date();
	if (keepsHistory) {
		if (showsDeleted) keepHistory(ctx, original, user, true);
		else original._hidden = true;
		for (const upload of w.uploads) if (fileIds.includes(upload.id)) upload._hidden = true;
	} else {
		if (!showsDeleted) w.messages.splice(index, 1);
		for (const id of fileIds) {
			const at = w.uploads.findIndex((u) => u.id === id);
			if (at >= 0) w.uploads.splice(at, 1);
		}
	}
	if (showsDeleted) {
		const { blocks: _blocks, ...rest } = original;
		w.messages[index] = { ...rest, text: '', type: 'rm', attachments: [], reactions: {}, editedAt: now, editor: toAppUser(user) };
	}
	const room = w.rooms.get((original.room as Json).id as string);
	if (room) room.messageCount -= 1;
	events.fire('IPostMessageDeleted', { message: deleted, user: toAppUser(user) });
}
