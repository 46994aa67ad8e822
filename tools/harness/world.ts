/**
 * The in-memory Rocket.Chat that the harness bridges read and write: users, rooms, messages,
 * livechat visitors and departments, app persistence, and what the app showed to users (UIKit
 * surfaces, ephemeral notices). Tests arrange it before driving the app and inspect it afterwards.
 */
import { randomUUID } from 'crypto';

export type Json = Record<string, unknown>;

/**
 * A deep copy of a stored document, as a database read answers one (and lodash.clonedeep): plain
 * objects and arrays copied, dates and buffers too (as dates and buffers of this realm).
 */
export function cloneDeep<T>(value: T): T {
	if (value instanceof Date) return new Date(value.getTime()) as T;
	if (Buffer.isBuffer(value)) return Buffer.from(value) as T;
	if (Array.isArray(value)) return value.map((item) => cloneDeep(item)) as T;
	if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneDeep(item)])) as T;
	return value;
}

export interface HarnessUser {
	id: string;
	username: string;
	name: string;
	roles: string[];
	type: 'user' | 'app' | 'bot';
	emails: Array<{ address: string; verified: boolean }>;
	isEnabled: boolean;
	active: boolean;
	status: string;
	statusConnection: string;
	utcOffset: number;
	createdAt: Date;
	updatedAt: Date;
	lastLoginAt: Date;
	appId?: string;
	/** Rocket.Chat REST credentials (X-User-Id / X-Auth-Token), personal access tokens included. */
	authTokens: string[];
	/** Livechat agent availability (omnichannel). */
	livechatStatus?: 'available' | 'not-available';
	/** The user's language preference (Rocket.Chat's `settings.preferences.language`). */
	language?: string;
}

/**
 * A user as Rocket.Chat's user converter gives it to apps (apps/meteor/app/apps/server/converters/users.ts,
 * `convertToApp`): no credentials, no omnichannel availability, and the language preference only
 * as `settings.preferences.language` (the converter has no top-level `language`).
 */
export function appUserOf(user: HarnessUser): Json {
	const { authTokens: _tokens, livechatStatus: _availability, language, ...rest } = user;
	return { ...rest, settings: { preferences: { ...(language ? { language } : {}) } } } as Json;
}

export interface HarnessRoom extends Json {
	id: string;
	type: string;
	slugifiedName: string;
	displayName?: string;
	creator: HarnessUser;
	userIds: string[];
	usernames: string[];
	isDefault: boolean;
	isReadOnly: boolean;
	displaySystemMessages: boolean;
	messageCount: number;
	createdAt: Date;
	updatedAt: Date;
	lastModifiedAt: Date;
	customFields?: Json;
}

export interface PersistenceRecord {
	id: string;
	appId: string;
	data: object;
	associations: Array<{ model: string; id: string }>;
}

export interface UiRecord {
	type: string;
	userId: string;
	view?: Json;
	errors?: Json;
	triggerId?: string;
	viewId?: string;
	/** When the app pushed it (ms since the epoch): the client takes it only within its trigger's 5 s. */
	at?: number;
	[key: string]: unknown;
}

/** A file in Rocket.Chat's Uploads store: what UploadBridge reads and writes. */
export interface HarnessUpload {
	id: string;
	name: string;
	size: number;
	type: string;
	rid: string;
	userId?: string;
	visitorToken?: string;
	buffer: Buffer;
	uploadedAt: Date;
	/** Hidden by a deletion that keeps history (Message_KeepHistory). */
	_hidden?: boolean;
}

export class HarnessWorld {
	readonly users = new Map<string, HarnessUser>();
	readonly rooms = new Map<string, HarnessRoom>();
	readonly messages: Json[] = [];
	/**
	 * The copies Rocket.Chat keeps of edited and deleted messages with `Message_KeepHistory` on
	 * (`cloneAndSaveAsHistoryById`: hidden, `parent` the message's id); no room shows them (rc/messages.ts).
	 */
	readonly messageHistory: Json[] = [];
	/** Every message update Rocket.Chat's updateMessage stored, in order: the message and its editor (rc/messages.ts). */
	readonly messageUpdates: Array<{ messageId: string; editorId?: string }> = [];
	/** Messages only one user sees (`notifier.notifyUser`, Rocket.Chat's ephemeral messages). */
	readonly notifications: Array<{ user: HarnessUser; message: Json }> = [];
	readonly persistence: PersistenceRecord[] = [];
	/** How many calls the app made to the persistence bridge, by method (rc/persistence.ts). */
	readonly persistenceCalls: Record<string, number> = {};
	/**
	 * A database error for a persistence call (tests: a server whose MongoDB fails a write), or
	 * nothing: asked before each call (`method`, the bridge's arguments), and thrown before it does anything.
	 */
	persistenceFault?: (method: string, args: unknown[]) => Error | undefined;
	/**
	 * Milliseconds a persistence call waits before it does anything (tests: a slow query on a loaded
	 * MongoDB), or nothing: asked before each call, as `persistenceFault` is, after `latencyMs`.
	 */
	persistenceDelay?: (method: string, args: unknown[]) => number | undefined;
	/** Every call the app made to the HTTP bridge (Rocket.Chat performing the app's outbound HTTP, rc/http.ts), in order. */
	readonly httpCalls: Array<{ method: string; url: string }> = [];
	readonly ui: UiRecord[] = [];
	readonly visitors = new Map<string, Json>();
	readonly uploads: HarnessUpload[] = [];
	readonly departments = new Map<string, Json>();
	/**
	 * Rocket.Chat's server settings, at a fresh workspace's defaults (where each is declared:
	 * apps/meteor/server/settings/message.ts, omnichannel.ts, file-upload.ts). A test that needs an
	 * admin's other choice sets it and says so.
	 */
	readonly serverSettings = new Map<string, unknown>([
		['Site_Url', 'http://127.0.0.1:3000'],
		['Language', 'en'],
		['Message_MaxAllowedSize', 5000],
		['Message_AllowEditing', true],
		['Message_AllowEditing_BlockEditInMinutes', 0],
		['Message_AllowDeleting', true],
		['Message_AllowDeleting_BlockDeleteInMinutes', 0],
		['Message_KeepHistory', false],
		['Message_ShowDeletedStatus', false],
		['Message_CustomFields_Enabled', false],
		[
			'Message_CustomFields',
			JSON.stringify(
				{ properties: { priority: { type: 'string', nullable: false, enum: ['low', 'medium', 'high'] } }, required: ['priority'] },
				null,
				2,
			),
		],
		['Livechat_accept_chats_with_no_agents', false],
		['Livechat_Routing_Method', 'Auto_Selection'],
		['FileUpload_Enabled', true],
		['FileUpload_MaxFileSize', 104857600],
		['FileUpload_MediaTypeWhiteList', ''],
		['FileUpload_MediaTypeBlackList', 'image/svg+xml'],
	]);
	readonly env = new Map<string, string>();
	/**
	 * Custom roles by id. Rocket.Chat's roles.create gives one a random id
	 * (`Roles.createWithRandomId`), and a user holds it by that id in `users.roles`; the built-in
	 * roles' ids are their names (bridges.ts, the RoleBridge).
	 */
	readonly customRoles = new Map<string, { id: string; name: string }>();

	/** A custom role as an admin creates one (Administration > Permissions > Roles): its random id. */
	addCustomRole(name: string): string {
		const id = `r${Math.random().toString(36).slice(2, 12)}${this.customRoles.size}`;
		this.customRoles.set(id, { id, name });
		return id;
	}

	addUser(spec: {
		username: string;
		roles?: string[];
		name?: string;
		authToken?: string;
		language?: string;
		type?: HarnessUser['type'];
	}): HarnessUser {
		const now = new Date();
		const user: HarnessUser = {
			id: `user-${spec.username}`,
			username: spec.username,
			name: spec.name ?? spec.username,
			roles: spec.roles ?? ['user'],
			type: spec.type ?? 'user',
			emails: [{ address: `${spec.username}@example.test`, verified: true }],
			isEnabled: true,
			active: true,
			status: 'online',
			statusConnection: 'online',
			utcOffset: 0,
			createdAt: now,
			updatedAt: now,
			lastLoginAt: now,
			authTokens: spec.authToken ? [spec.authToken] : [],
			language: spec.language,
		};
		this.users.set(user.id, user);
		return user;
	}

	findUserByUsername(username: string): HarnessUser | undefined {
		return [...this.users.values()].find((u) => u.username === username);
	}

	/** Rocket.Chat's REST authentication: the user whose id and token match, if any. */
	authenticate(userId: string | undefined, token: string | undefined): HarnessUser | undefined {
		if (!userId || !token) return undefined;
		const user = this.users.get(userId);
		return user && user.active && user.authTokens.includes(token) ? user : undefined;
	}

	addRoom(spec: { name: string; type?: string; creator: HarnessUser; members?: HarnessUser[]; extra?: Json }): HarnessRoom {
		const now = new Date();
		const members = spec.members ?? [spec.creator];
		const room: HarnessRoom = {
			id: `room-${randomUUID()}`,
			type: spec.type ?? 'c',
			slugifiedName: spec.name,
			displayName: spec.name,
			creator: spec.creator,
			userIds: members.map((m) => m.id),
			usernames: members.map((m) => m.username),
			isDefault: false,
			isReadOnly: false,
			displaySystemMessages: true,
			messageCount: 0,
			createdAt: now,
			updatedAt: now,
			lastModifiedAt: now,
			...(spec.extra ?? {}),
		};
		this.rooms.set(room.id, room);
		return room;
	}

	addDepartment(spec: { name: string; enabled?: boolean; agentIds?: string[] }): Json {
		const id = `dept-${spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
		const department = {
			id,
			name: spec.name,
			enabled: spec.enabled ?? true,
			showOnRegistration: true,
			showOnOfflineForm: true,
			numberOfAgents: spec.agentIds?.length ?? 0,
			agentIds: spec.agentIds ?? [],
			updatedAt: new Date(),
		};
		this.departments.set(id, department);
		return department;
	}

	/**
	 * Stores a file and posts its message in the room, as Rocket.Chat's sendFileMessage does and as
	 * apps receive it: `file` (the upload), `files` (the upload, then a thumbnail for an image), one
	 * attachment with the link, the type's preview URL, `fileId` and the description (a caption).
	 * Returns the upload and the message (not yet announced to apps).
	 */
	storeFile(spec: {
		room: HarnessRoom;
		name: string;
		type: string;
		buffer: Buffer;
		userId?: string;
		visitorToken?: string;
		sender?: Json;
		description?: string;
	}): { upload: HarnessUpload; message: Json } {
		const upload: HarnessUpload = {
			id: `upload-${randomUUID()}`,
			name: spec.name,
			size: spec.buffer.length,
			type: spec.type,
			rid: spec.room.id,
			userId: spec.userId,
			visitorToken: spec.visitorToken,
			buffer: spec.buffer,
			uploadedAt: new Date(),
		};
		this.uploads.push(upload);
		const link = `/file-upload/${upload.id}/${encodeURIComponent(spec.name)}`;
		const group = spec.type.split('/')[0];
		const attachment: Json = {
			title: { value: spec.name, link, displayDownloadLink: true },
			type: 'file',
			fileId: upload.id,
			...(spec.description ? { description: spec.description } : {}),
		};
		const file = { _id: upload.id, name: spec.name, type: spec.type, size: upload.size, typeGroup: group };
		const files: Json[] = [file];
		if (group === 'image') {
			// Rocket.Chat stores a thumbnail too, listed after the image in `files`, and shows it.
			const thumb: HarnessUpload = {
				...upload,
				id: `upload-${randomUUID()}`,
				name: `thumb-${spec.name}`,
				buffer: spec.buffer.subarray(0, Math.min(64, spec.buffer.length)),
				size: Math.min(64, spec.buffer.length),
			};
			this.uploads.push(thumb);
			files.push({ _id: thumb.id, name: thumb.name, type: spec.type, size: thumb.size, typeGroup: 'thumb' });
			attachment.imageUrl = `/file-upload/${thumb.id}/${encodeURIComponent(spec.name)}`;
		}
		if (group === 'audio') attachment.audioUrl = link;
		if (group === 'video') attachment.videoUrl = link;
		const message: Json = {
			id: `msg-${randomUUID()}`,
			room: spec.room,
			text: '',
			file,
			files,
			attachments: [attachment],
			createdAt: new Date(),
		};
		if (spec.sender) message.sender = spec.sender;
		if (spec.visitorToken) message.token = spec.visitorToken;
		this.messages.push(message);
		spec.room.messageCount += 1;
		return { upload, message };
	}

	/** The room's messages, as its history shows them (a message hidden by a deletion that keeps history is not). */
	messagesIn(roomId: string): Json[] {
		return this.messages.filter((m) => (m.room as HarnessRoom | undefined)?.id === roomId && !m._hidden);
	}

	notificationsFor(userId: string): Json[] {
		return this.notifications.filter((n) => n.user.id === userId).map((n) => n.message);
	}

	uiFor(userId: string): UiRecord[] {
		return this.ui.filter((u) => u.userId === userId);
	}
}
