/**
 * In-memory implementations of the 28 bridges of @rocket.chat/apps-engine 1.62.0, behaving like
 * Rocket.Chat's for what this app uses. Unimplemented methods fail loudly (see loud.ts).
 */
import { generateKeyPairSync, randomUUID } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import { URL } from 'url';

import { AppBridges } from '@rocket.chat/apps-engine/server/bridges/AppBridges';
import { ApiBridge } from '@rocket.chat/apps-engine/server/bridges/ApiBridge';
import { AppActivationBridge } from '@rocket.chat/apps-engine/server/bridges/AppActivationBridge';
import { AppDetailChangesBridge } from '@rocket.chat/apps-engine/server/bridges/AppDetailChangesBridge';
import { CloudWorkspaceBridge } from '@rocket.chat/apps-engine/server/bridges/CloudWorkspaceBridge';
import { CommandBridge } from '@rocket.chat/apps-engine/server/bridges/CommandBridge';
import { ContactBridge } from '@rocket.chat/apps-engine/server/bridges/ContactBridge';
import { EmailBridge } from '@rocket.chat/apps-engine/server/bridges/EmailBridge';
import { EnvironmentalVariableBridge } from '@rocket.chat/apps-engine/server/bridges/EnvironmentalVariableBridge';
import { ExperimentalBridge } from '@rocket.chat/apps-engine/server/bridges/ExperimentalBridge';
import { HttpBridge } from '@rocket.chat/apps-engine/server/bridges/HttpBridge';
import { InternalBridge } from '@rocket.chat/apps-engine/server/bridges/InternalBridge';
import { LivechatBridge } from '@rocket.chat/apps-engine/server/bridges/LivechatBridge';
import { MessageBridge } from '@rocket.chat/apps-engine/server/bridges/MessageBridge';
import { ModerationBridge } from '@rocket.chat/apps-engine/server/bridges/ModerationBridge';
import { OAuthAppsBridge } from '@rocket.chat/apps-engine/server/bridges/OAuthAppsBridge';
import { PersistenceBridge } from '@rocket.chat/apps-engine/server/bridges/PersistenceBridge';
import { RoleBridge } from '@rocket.chat/apps-engine/server/bridges/RoleBridge';
import { RoomBridge } from '@rocket.chat/apps-engine/server/bridges/RoomBridge';
import { SchedulerBridge } from '@rocket.chat/apps-engine/server/bridges/SchedulerBridge';
import { ServerSettingBridge } from '@rocket.chat/apps-engine/server/bridges/ServerSettingBridge';
import { UiInteractionBridge } from '@rocket.chat/apps-engine/server/bridges/UiInteractionBridge';
import { UploadBridge } from '@rocket.chat/apps-engine/server/bridges/UploadBridge';
import { UserBridge } from '@rocket.chat/apps-engine/server/bridges/UserBridge';
import { VideoConferenceBridge } from '@rocket.chat/apps-engine/server/bridges/VideoConferenceBridge';
import { ThreadBridge } from '@rocket.chat/apps-engine/server/bridges/ThreadBridge';
import { OutboundMessageBridge } from '@rocket.chat/apps-engine/server/bridges/OutboundMessagesBridge';

import { loudBridge, loudObject } from './loud';
import { HarnessScheduler } from './scheduler';
import { HarnessUpload, HarnessUser, HarnessWorld, Json } from './world';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface RegisteredApi {
	appId: string;
	path: string;
	authRequired: boolean;
	methods: string[];
}

export interface RegisteredCommand {
	appId: string;
	command: string;
	enabled: boolean;
	description?: string;
	params?: string;
}

const ROLE_NAMES = ['admin', 'user', 'bot', 'app', 'livechat-agent', 'livechat-manager', 'livechat-monitor', 'owner', 'moderator', 'guest', 'anonymous'];

const isGetOrHead = (method: string): boolean => ['GET', 'HEAD'].includes(method.toUpperCase());

/** Content types whose answer Rocket.Chat's AppHttpBridge parses into `data`. */
const JSON_TYPES = ['application/json', 'text/javascript', 'application/javascript', 'application/x-javascript'];

/**
 * Outbound HTTP from the app, performed for real (tests point it at loopback servers), with the
 * semantics of Rocket.Chat's AppHttpBridge: `content` (or else an object `data`, as JSON) is the
 * body; `params` go in the URL when there is a body or for GET/HEAD, else as a form body; GET/HEAD
 * send no body; `auth` is Basic; `encoding: null` answers with the body's bytes (a Buffer) in
 * `content` and no `data`; otherwise `content` is the decoded text and `data` the parsed JSON for
 * JSON content types (null for others). `request.query` is not used by Rocket.Chat.
 */
function performHttp(info: { method: string; url: string; request: Json }): Promise<Json> {
	const request = (info.request ?? {}) as {
		content?: string | Uint8Array | null;
		encoding?: string | null;
		data?: unknown;
		params?: Record<string, string> | null;
		headers?: Record<string, string> | null;
		auth?: string | null;
		timeout?: number | null;
	};
	const method = info.method.toUpperCase();
	const url = new URL(info.url);
	const headers: Record<string, string> = { ...(request.headers ?? {}) };
	// Values cross the Deno boundary as msgpack, where an undefined field arrives as null. Bytes (a
	// multipart upload) arrive as a Buffer (msgpack extension 1) or a plain Uint8Array: sent as they are.
	let body: string | Buffer | undefined = request.content instanceof Uint8Array ? Buffer.from(request.content.buffer, request.content.byteOffset, request.content.byteLength) : (request.content ?? undefined) || undefined;
	if (body === undefined && typeof request.data === 'object' && request.data !== null) {
		// Rocket.Chat hands the object to its fetch, which sends it as JSON.
		body = JSON.stringify(request.data);
		if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
	}
	if (request.auth) {
		if (!request.auth.includes(':')) return Promise.reject(new Error('auth option should be of the form "username:password"'));
		headers.Authorization = `Basic ${Buffer.from(request.auth, 'ascii').toString('base64')}`;
	}
	if (request.params) {
		if (body !== undefined || isGetOrHead(method)) {
			for (const [key, value] of Object.entries(request.params)) if (value) url.searchParams.append(key, String(value));
		} else {
			const form = new URLSearchParams();
			for (const [key, value] of Object.entries(request.params)) form.append(key, String(value));
			body = form.toString();
			headers['Content-Type'] = 'application/x-www-form-urlencoded';
		}
	}
	if (isGetOrHead(method)) body = undefined;
	if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
	const timeout = request.timeout || 180000;
	const transport = url.protocol === 'https:' ? https : http;
	return new Promise((resolve, reject) => {
		const req = transport.request(url, { method, headers, timeout }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				const raw = Buffer.concat(chunks);
				const responseHeaders: Record<string, string> = {};
				for (const [k, v] of Object.entries(res.headers)) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : String(v ?? '');
				const result: Json = { url: info.url, method: info.method, statusCode: res.statusCode ?? 0, headers: responseHeaders };
				if (request.encoding === null) {
					result.content = raw;
					resolve(result);
					return;
				}
				result.content = raw.toString((request.encoding as BufferEncoding | undefined) ?? 'utf8');
				result.data = null;
				if (JSON_TYPES.includes((responseHeaders['content-type'] ?? '').split(';')[0].trim())) {
					try {
						result.data = JSON.parse(result.content as string);
					} catch {
						result.data = null;
					}
				}
				resolve(result);
			});
		});
		req.on('timeout', () => req.destroy(new Error(`timeout of ${timeout}ms exceeded`)));
		req.on('error', reject);
		if (body !== undefined) req.write(body);
		req.end();
	});
}

/** A part of the MIME database Rocket.Chat looks a file name up in (`mime-type` with mime-db). */
const TYPES_BY_EXTENSION: Record<string, string> = {
	jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', bmp: 'image/bmp', svg: 'image/svg+xml', heic: 'image/heic', tif: 'image/tiff', tiff: 'image/tiff',
	mp4: 'video/mp4', '3gp': 'video/3gpp', webm: 'video/webm', mov: 'video/quicktime', avi: 'video/x-msvideo', mkv: 'video/x-matroska',
	mp3: 'audio/mpeg', ogg: 'audio/ogg', oga: 'audio/ogg', opus: 'audio/ogg', aac: 'audio/aac', amr: 'audio/amr', m4a: 'audio/mp4', wav: 'audio/wav',
	pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', md: 'text/markdown', html: 'text/html', htm: 'text/html', json: 'application/json', xml: 'application/xml', rtf: 'application/rtf',
	doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
	odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet', odp: 'application/vnd.oasis.opendocument.presentation',
	zip: 'application/zip', gz: 'application/gzip', '7z': 'application/x-7z-compressed', rar: 'application/vnd.rar', tar: 'application/x-tar',
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

/** Persistence hands out copies, as a database does. */
function clone<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

function matches(record: { associations: Array<{ model: string; id: string }> }, wanted: Array<{ model: string; id: string }>): boolean {
	return wanted.every((w) => record.associations.some((a) => a.model === w.model && a.id === w.id));
}

export class HarnessBridges extends AppBridges {
	readonly apis: RegisteredApi[] = [];
	readonly commands = new Map<string, RegisteredCommand>();
	readonly outboundProviders: Json[] = [];
	private readonly keys = generateKeyPairSync('rsa', {
		modulusLength: 2048,
		publicKeyEncoding: { type: 'spki', format: 'pem' },
		privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
	});
	private readonly b: Record<string, unknown> = {};

	constructor(
		private readonly world: HarnessWorld,
		readonly scheduler: HarnessScheduler,
		private readonly onSettingChanged: (appId: string, setting: Json) => void = () => undefined,
	) {
		super();
		this.build();
	}

	private toAppUpload(upload: HarnessUpload): Json {
		const room = this.world.rooms.get(upload.rid);
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
			...(upload.userId ? { user: this.toAppUser(this.world.users.get(upload.userId)) } : {}),
			...(upload.visitorToken ? { visitor: [...this.world.visitors.values()].find((v) => v.token === upload.visitorToken) } : {}),
		};
	}

	private toAppUser(user: HarnessUser | undefined): Json | undefined {
		if (!user) return undefined;
		const { authTokens: _tokens, ...rest } = user;
		return rest as Json;
	}

	private build(): void {
		const w = this.world;
		const toAppUser = this.toAppUser.bind(this);

		this.b.command = loudBridge('CommandBridge', CommandBridge as Any, {
			doesCommandExist: async (command: string) => this.commands.has(command.toLowerCase()),
			registerCommand: async (command: Any, appId: string) => {
				this.commands.set(command.command.toLowerCase(), {
					appId,
					command: command.command,
					enabled: true,
					description: command.i18nDescription,
					params: command.i18nParamsExample,
				});
			},
			unregisterCommand: async (command: string) => void this.commands.delete(command.toLowerCase()),
			enableCommand: async (command: string) => {
				const c = this.commands.get(command.toLowerCase());
				if (c) c.enabled = true;
			},
			disableCommand: async (command: string) => {
				const c = this.commands.get(command.toLowerCase());
				if (c) c.enabled = false;
			},
			modifyCommand: async (command: Any) => {
				const c = this.commands.get(command.command.toLowerCase());
				if (c) Object.assign(c, { description: command.i18nDescription, params: command.i18nParamsExample });
			},
		});

		this.b.api = loudBridge('ApiBridge', ApiBridge as Any, {
			registerApi: async ({ api, endpoint }: Any, appId: string) => {
				const methods = ['get', 'post', 'put', 'delete', 'head', 'options', 'patch'].filter((m) => typeof endpoint[m] === 'function' || (endpoint._availableMethods ?? []).includes(m));
				this.apis.push({ appId, path: endpoint.path, authRequired: Boolean(endpoint.authRequired ?? api.security === 'authRequired'), methods });
			},
			unregisterApis: async (appId: string) => {
				for (let i = this.apis.length - 1; i >= 0; i--) if (this.apis[i].appId === appId) this.apis.splice(i, 1);
			},
		});

		this.b.activation = loudBridge('AppActivationBridge', AppActivationBridge as Any, {
			appAdded: async () => undefined,
			appUpdated: async () => undefined,
			appRemoved: async () => undefined,
			appStatusChanged: async () => undefined,
			actionsChanged: async () => undefined,
		});

		this.b.detailChanges = loudBridge('AppDetailChangesBridge', AppDetailChangesBridge as Any, {
			onAppSettingsChange: (appId: string, setting: Json) => this.onSettingChanged(appId, setting),
		});

		this.b.env = loudBridge('EnvironmentalVariableBridge', EnvironmentalVariableBridge as Any, {
			getValueByName: async (name: string) => w.env.get(name),
			isReadable: async (name: string) => w.env.has(name),
			isSet: async (name: string) => w.env.has(name),
		});

		this.b.http = loudBridge('HttpBridge', HttpBridge as Any, {
			call: (info: Any) => performHttp(info),
		});

		this.b.listener = loudObject('ListenerBridge', {
			messageEvent: async () => undefined,
			roomEvent: async () => undefined,
			uiKitInteractionEvent: async () => undefined,
		});

		this.b.message = loudBridge('MessageBridge', MessageBridge as Any, {
			create: async (message: Json) => {
				const id = `msg-${randomUUID()}`;
				w.messages.push({ ...message, id, createdAt: new Date() });
				const room = message.room as Json | undefined;
				const stored = room && w.rooms.get(room.id as string);
				if (stored) stored.messageCount += 1;
				return id;
			},
			update: async (message: Json) => {
				const index = w.messages.findIndex((m) => m.id === message.id);
				if (index < 0) throw new Error(`MessageBridge.update: no message ${String(message.id)}`);
				w.messages[index] = { ...w.messages[index], ...message, editedAt: new Date() };
			},
			getById: async (id: string) => w.messages.find((m) => m.id === id),
			notifyUser: async (user: HarnessUser, message: Json) => void w.notifications.push({ user, message }),
			notifyRoom: async (room: Json, message: Json) => {
				const stored = w.rooms.get(room.id as string);
				for (const userId of stored?.userIds ?? []) {
					const user = w.users.get(userId);
					if (user) w.notifications.push({ user, message });
				}
			},
			typing: async () => undefined,
		});

		this.b.persistence = loudBridge('PersistenceBridge', PersistenceBridge as Any, {
			purge: async (appId: string) => {
				for (let i = w.persistence.length - 1; i >= 0; i--) if (w.persistence[i].appId === appId) w.persistence.splice(i, 1);
			},
			create: async (data: object, appId: string) => {
				const id = randomUUID();
				w.persistence.push({ id, appId, data: clone(data), associations: [] });
				return id;
			},
			createWithAssociations: async (data: object, associations: Any[], appId: string) => {
				const id = randomUUID();
				w.persistence.push({ id, appId, data: clone(data), associations: associations.map((a) => ({ model: a.model, id: a.id })) });
				return id;
			},
			readById: async (id: string, appId: string) => {
				const record = w.persistence.find((r) => r.id === id && r.appId === appId);
				return record ? clone(record.data) : undefined;
			},
			readByAssociations: async (associations: Any[], appId: string) =>
				w.persistence.filter((r) => r.appId === appId && matches(r, associations)).map((r) => clone(r.data)),
			remove: async (id: string, appId: string) => {
				const index = w.persistence.findIndex((r) => r.id === id && r.appId === appId);
				if (index < 0) return undefined;
				return w.persistence.splice(index, 1)[0].data;
			},
			removeByAssociations: async (associations: Any[], appId: string) => {
				const removed: object[] = [];
				for (let i = w.persistence.length - 1; i >= 0; i--) {
					const r = w.persistence[i];
					if (r.appId === appId && matches(r, associations)) removed.unshift(w.persistence.splice(i, 1)[0].data);
				}
				return removed.length ? removed : undefined;
			},
			update: async (id: string, data: object, upsert: boolean, appId: string) => {
				const record = w.persistence.find((r) => r.id === id && r.appId === appId);
				if (record) record.data = clone(data);
				else if (upsert) w.persistence.push({ id, appId, data: clone(data), associations: [] });
				else throw new Error(`PersistenceBridge.update: no record ${id}`);
				return id;
			},
			updateByAssociations: async (associations: Any[], data: object, upsert: boolean, appId: string) => {
				// Like Rocket.Chat (a MongoDB update without `multi`): the first matching record, or a new one on upsert.
				const record = w.persistence.find((r) => r.appId === appId && matches(r, associations));
				if (record) {
					record.data = clone(data);
					return record.id;
				}
				if (!upsert) throw new Error('PersistenceBridge.updateByAssociations: no matching record');
				const id = randomUUID();
				w.persistence.push({ id, appId, data: clone(data), associations: associations.map((a) => ({ model: a.model, id: a.id })) });
				return id;
			},
		});

		this.b.room = loudBridge('RoomBridge', RoomBridge as Any, {
			getById: async (id: string) => w.rooms.get(id),
			getByName: async (name: string) => [...w.rooms.values()].find((r) => r.slugifiedName === name),
			getCreatorById: async (id: string) => toAppUser(w.rooms.get(id)?.creator),
			getMembers: async (id: string) => (w.rooms.get(id)?.userIds ?? []).map((uid) => toAppUser(w.users.get(uid))).filter(Boolean),
			create: async (room: Any, members: string[]) => {
				const creator = w.users.get(room.creator?.id) ?? w.findUserByUsername(room.creator?.username);
				if (!creator) throw new Error('RoomBridge.create: unknown creator');
				const users = members.map((u) => w.findUserByUsername(u)).filter((u): u is HarnessUser => Boolean(u));
				return w.addRoom({ name: room.slugifiedName ?? room.displayName, type: room.type, creator, members: users, extra: { customFields: room.customFields } }).id;
			},
			update: async (room: Any) => {
				const stored = w.rooms.get(room.id);
				if (!stored) throw new Error(`RoomBridge.update: no room ${room.id}`);
				Object.assign(stored, room, { updatedAt: new Date() });
			},
		});

		this.b.internal = loudBridge('InternalBridge', InternalBridge as Any, {
			getUsernamesOfRoomById: async (id: string) => w.rooms.get(id)?.usernames ?? [],
			getUsernamesOfRoomByIdSync: (id: string) => w.rooms.get(id)?.usernames ?? [],
			getWorkspacePublicKey: async () => ({ id: 'Cloud_Workspace_PublicKey', value: this.keys.publicKey }),
		});

		this.b.federation = loudObject('InternalFederationBridge', {
			getPrivateKey: async () => this.keys.privateKey,
			getPublicKey: async () => this.keys.publicKey,
		});

		this.b.serverSetting = loudBridge('ServerSettingBridge', ServerSettingBridge as Any, {
			getOneById: async (id: string) => (w.serverSettings.has(id) ? { id, value: w.serverSettings.get(id), packageValue: w.serverSettings.get(id) } : undefined),
			getAll: async () => [...w.serverSettings.entries()].map(([id, value]) => ({ id, value, packageValue: value })),
			isReadableById: async (id: string) => w.serverSettings.has(id),
		});

		this.b.user = loudBridge('UserBridge', UserBridge as Any, {
			getById: async (id: string) => toAppUser(w.users.get(id)),
			getByUsername: async (username: string) => toAppUser(w.findUserByUsername(username)),
			getAppUser: async (appId?: string) => toAppUser([...w.users.values()].find((u) => u.type === 'app' && (!appId || u.appId === appId))),
			getActiveUserCount: async () => [...w.users.values()].filter((u) => u.active).length,
			create: async (data: Any, appId: string) => {
				const user = w.addUser({ username: data.username, name: data.name, roles: data.roles, type: data.type === 'app' ? 'app' : 'bot' });
				user.appId = appId;
				return user.id;
			},
			remove: async (user: Any) => w.users.delete(user.id),
			deleteUsersCreatedByApp: async (appId: string) => {
				for (const u of [...w.users.values()]) if (u.appId === appId) w.users.delete(u.id);
				return true;
			},
			getUserRoomIds: async (userId: string) => [...w.rooms.values()].filter((r) => r.userIds.includes(userId)).map((r) => r.id),
		});

		this.b.role = loudBridge('RoleBridge', RoleBridge as Any, {
			getOneByIdOrName: async (idOrName: string) =>
				ROLE_NAMES.includes(idOrName) ? { id: idOrName, name: idOrName, protected: true, mandatory2fa: false, scope: 'Users' } : null,
			getCustomRoles: async () => [],
		});

		this.b.ui = loudBridge('UiInteractionBridge', UiInteractionBridge as Any, {
			notifyUser: async (user: HarnessUser, interaction: Json) => {
				w.ui.push({ ...(interaction as Json), userId: user.id } as Any);
			},
		});

		this.b.scheduler = loudBridge('SchedulerBridge', SchedulerBridge as Any, {
			registerProcessors: async (processors: Any[], appId: string) => this.scheduler.registerProcessors(processors, appId),
			scheduleOnce: async (job: Any, appId: string) => this.scheduler.scheduleOnce(job, appId),
			scheduleRecurring: async (job: Any, appId: string) => this.scheduler.scheduleRecurring(job, appId),
			cancelJob: async (jobId: string) => this.scheduler.cancelJob(jobId),
			cancelAllJobs: async (appId: string) => this.scheduler.cancelAllJobs(appId),
		});

		this.b.livechat = loudBridge('LivechatBridge', LivechatBridge as Any, this.livechat());

		this.b.outbound = loudBridge('OutboundMessageBridge', OutboundMessageBridge as Any, {
			registerPhoneProvider: async (info: Json, appId: string) => void this.outboundProviders.push({ ...info, appId, kind: 'phone' }),
			unRegisterProvider: async (info: Json) => {
				const index = this.outboundProviders.findIndex((p) => p.name === info.name);
				if (index >= 0) this.outboundProviders.splice(index, 1);
			},
		});

		this.b.upload = loudBridge('UploadBridge', UploadBridge as Any, {
			getById: async (id: string) => {
				const upload = w.uploads.find((u) => u.id === id);
				return upload ? this.toAppUpload(upload) : undefined;
			},
			getBuffer: async (upload: Json) => {
				const stored = w.uploads.find((u) => u.id === upload.id);
				if (!stored) throw new Error(`UploadBridge.getBuffer: no upload ${String(upload.id)}`);
				return stored.buffer;
			},
			// As Rocket.Chat's AppUploadBridge: a user or a visitor is required; the type is Rocket.Chat's
			// own (name, then bytes); a visitor's upload keeps no userId and its file message is posted as
			// the visitor (sendFileLivechatMessage), a user's as the user (sendFileMessage).
			createUpload: async (details: Json, buffer: Uint8Array) => {
				const visitorToken = (details.visitorToken as string | null | undefined) || undefined;
				const userId = visitorToken ? undefined : (details.userId as string | null | undefined) || undefined;
				if (!userId && !visitorToken) throw new Error('Missing user to perform the upload operation');
				const room = w.rooms.get(details.rid as string);
				if (!room) throw new Error(`UploadBridge.createUpload: no room ${String(details.rid)}`);
				const visitor = visitorToken ? [...w.visitors.values()].find((v) => v.token === visitorToken) : undefined;
				if (visitorToken && !visitor) throw new Error(`UploadBridge.createUpload: no visitor ${visitorToken}`);
				const user = userId ? w.users.get(userId) : undefined;
				if (userId && !user) throw new Error(`UploadBridge.createUpload: no user ${userId}`);
				const sender = visitor ? { id: visitor.id, username: visitor.username, name: visitor.name } : toAppUser(user);
				// Bytes arrive from the Deno runtime as a Buffer (msgpack extension 1, already a copy) or a
				// Uint8Array (msgpack bin, possibly a view of the decoder's memory: copied to be stored).
				const bytes = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer);
				const name = String(details.name);
				const { upload } = w.storeFile({ room, name, type: determineFileType(bytes, name), buffer: bytes, userId, visitorToken, sender });
				return this.toAppUpload(upload);
			},
		});
		this.b.email = loudBridge('EmailBridge', EmailBridge as Any, {});
		this.b.cloud = loudBridge('CloudWorkspaceBridge', CloudWorkspaceBridge as Any, {});
		this.b.video = loudBridge('VideoConferenceBridge', VideoConferenceBridge as Any, {});
		this.b.oauth = loudBridge('OAuthAppsBridge', OAuthAppsBridge as Any, {});
		this.b.moderation = loudBridge('ModerationBridge', ModerationBridge as Any, {});
		this.b.thread = loudBridge('ThreadBridge', ThreadBridge as Any, {});
		this.b.contact = loudBridge('ContactBridge', ContactBridge as Any, {});
		this.b.experimental = loudBridge('ExperimentalBridge', ExperimentalBridge as Any, {});
	}

	/**
	 * Omnichannel as Rocket.Chat runs it for apps: visitors (one per token), livechat rooms (type 'l')
	 * with `source`, `servedBy`, `department`, open/closed, transfers, and livechat messages. Routing
	 * picks an available agent of the department when the app names none (Rocket.Chat's auto selection).
	 */
	private livechat(): Record<string, (...args: Any[]) => unknown> {
		const w = this.world;
		const visitors = () => [...w.visitors.values()];
		const livechatRooms = () => [...w.rooms.values()].filter((r) => r.type === 'l');
		const phoneOf = (v: Json) => ((v.phone as Array<{ phoneNumber: string }> | undefined) ?? []).map((p) => p.phoneNumber);
		const saveVisitor = (visitor: Json): Json => {
			const existing = visitors().find((v) => v.token === visitor.token);
			const id = (existing?.id as string | undefined) ?? `visitor-${randomUUID()}`;
			const stored = { ...(existing ?? {}), ...visitor, id, updatedAt: new Date() };
			w.visitors.set(id, stored);
			return stored;
		};
		const pickAgent = (departmentId?: string): HarnessUser | undefined => {
			const department = departmentId ? w.departments.get(departmentId) : undefined;
			return [...w.users.values()].find(
				(u) => u.roles.includes('livechat-agent') && u.livechatStatus === 'available' && (!department || ((department.agentIds as string[]) ?? []).includes(u.id)),
			);
		};
		return {
			isOnline: (departmentId?: string) => this.agentsAvailable(departmentId),
			isOnlineAsync: async (departmentId?: string) => this.agentsAvailable(departmentId),
			findDepartmentByIdOrName: async (value: string) => w.departments.get(value) ?? [...w.departments.values()].find((d) => d.name === value),
			findDepartmentsEnabledWithAgents: async () => [...w.departments.values()].filter((d) => d.enabled && (d.agentIds as string[]).length > 0),
			createVisitor: async (visitor: Json) => saveVisitor(visitor).id,
			createAndReturnVisitor: async (visitor: Json) => saveVisitor(visitor),
			findVisitors: async (query: Json) => visitors().filter((v) => Object.entries(query ?? {}).every(([k, value]) => v[k] === value)),
			findVisitorById: async (id: string) => w.visitors.get(id),
			findVisitorByToken: async (token: string) => visitors().find((v) => v.token === token),
			findVisitorByEmail: async (email: string) => visitors().find((v) => ((v.visitorEmails as Array<{ address: string }> | undefined) ?? []).some((e) => e.address === email)),
			findVisitorByPhoneNumber: async (phone: string) => visitors().find((v) => phoneOf(v).includes(phone)),
			createRoom: async (visitor: Json, agent: Json | undefined, appId: string, extra?: Json) => {
				const stored = visitors().find((v) => v.token === visitor.token) ?? saveVisitor(visitor);
				const departmentId = stored.department as string | undefined;
				const servedBy = agent ? w.users.get(agent.id as string) : pickAgent(departmentId);
				const creator = w.users.get(`user-${stored.username}`) ?? this.world.findUserByUsername('admin');
				const room = w.addRoom({
					name: String(stored.name ?? stored.username),
					type: 'l',
					creator: creator as HarnessUser,
					members: servedBy ? [servedBy] : [],
					extra: {
						visitor: stored,
						department: departmentId ? w.departments.get(departmentId) : undefined,
						servedBy: servedBy ? this.toAppUser(servedBy) : undefined,
						isOpen: true,
						isWaitingResponse: true,
						closer: undefined,
						source: (extra?.source as Json | undefined) ?? { type: 'app', id: appId },
						customFields: extra?.customFields,
					},
				});
				return room;
			},
			closeRoom: async (room: Json, comment: string, closer: Json | undefined) => {
				const stored = w.rooms.get(room.id as string);
				if (!stored || stored.type !== 'l' || !stored.isOpen) return false;
				Object.assign(stored, { isOpen: false, closedAt: new Date(), closer: closer ? 'user' : 'visitor', closedBy: closer, closingComment: comment });
				return true;
			},
			findRooms: async (visitor: Json, departmentId: string | null) =>
				livechatRooms().filter((r) => (r.visitor as Json).token === visitor.token && (!departmentId || (r.department as Json | undefined)?.id === departmentId)),
			findOpenRoomsByAgentId: async (agentId: string) => livechatRooms().filter((r) => r.isOpen && (r.servedBy as Json | undefined)?.id === agentId),
			countOpenRoomsByAgentId: async (agentId: string) => livechatRooms().filter((r) => r.isOpen && (r.servedBy as Json | undefined)?.id === agentId).length,
			transferVisitor: async (visitor: Json, transfer: Json) => {
				const room = w.rooms.get((transfer.currentRoom as Json).id as string);
				if (!room || !room.isOpen) return false;
				const target = transfer.targetAgent ? w.users.get((transfer.targetAgent as Json).id as string) : pickAgent(transfer.targetDepartment as string | undefined);
				if (transfer.targetDepartment) room.department = w.departments.get(transfer.targetDepartment as string);
				room.servedBy = target ? this.toAppUser(target) : undefined;
				room.transfers = [...((room.transfers as Json[] | undefined) ?? []), { at: new Date(), to: target?.username, department: transfer.targetDepartment }];
				void visitor;
				return true;
			},
			createMessage: async (message: Json) => (this.b.message as Any).create(message),
			getMessageById: async (id: string) => w.messages.find((m) => m.id === id),
			updateMessage: async (message: Json) => (this.b.message as Any).update(message),
			_fetchLivechatRoomMessages: async (_appId: string, roomId: string) => w.messagesIn(roomId),
			setCustomFields: async ({ token, key, value }: Json) => {
				const visitor = visitors().find((v) => v.token === token);
				if (!visitor) return 0;
				visitor.livechatData = { ...((visitor.livechatData as Json | undefined) ?? {}), [key as string]: value };
				return 1;
			},
		};
	}

	private agentsAvailable(departmentId?: string): boolean {
		const agents = [...this.world.users.values()].filter((u) => u.roles.includes('livechat-agent') && u.livechatStatus === 'available');
		if (!departmentId) return agents.length > 0;
		const department = this.world.departments.get(departmentId);
		return agents.some((a) => ((department?.agentIds as string[] | undefined) ?? []).includes(a.id));
	}

	getCommandBridge = (): Any => this.b.command;
	getContactBridge = (): Any => this.b.contact;
	getApiBridge = (): Any => this.b.api;
	getAppDetailChangesBridge = (): Any => this.b.detailChanges;
	getEnvironmentalVariableBridge = (): Any => this.b.env;
	getHttpBridge = (): Any => this.b.http;
	getListenerBridge = (): Any => this.b.listener;
	getLivechatBridge = (): Any => this.b.livechat;
	getMessageBridge = (): Any => this.b.message;
	getPersistenceBridge = (): Any => this.b.persistence;
	getAppActivationBridge = (): Any => this.b.activation;
	getRoomBridge = (): Any => this.b.room;
	getInternalBridge = (): Any => this.b.internal;
	getInternalFederationBridge = (): Any => this.b.federation;
	getServerSettingBridge = (): Any => this.b.serverSetting;
	getUploadBridge = (): Any => this.b.upload;
	getEmailBridge = (): Any => this.b.email;
	getUserBridge = (): Any => this.b.user;
	getUiInteractionBridge = (): Any => this.b.ui;
	getSchedulerBridge = (): Any => this.b.scheduler;
	getCloudWorkspaceBridge = (): Any => this.b.cloud;
	getVideoConferenceBridge = (): Any => this.b.video;
	getOAuthAppsBridge = (): Any => this.b.oauth;
	getModerationBridge = (): Any => this.b.moderation;
	getThreadBridge = (): Any => this.b.thread;
	getRoleBridge = (): Any => this.b.role;
	getOutboundMessageBridge = (): Any => this.b.outbound;
	getExperimentalBridge = (): Any => this.b.experimental;
}
