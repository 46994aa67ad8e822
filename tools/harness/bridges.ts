/**
 * In-memory implementations of the 28 bridges of @rocket.chat/apps-engine 1.62.0, behaving like
 * Rocket.Chat's for what this app uses. Unimplemented methods fail loudly (see loud.ts). The
 * families whose behaviour the app depends on most live in ./rc/, one module each, and name the
 * Rocket.Chat source they follow.
 */
import { generateKeyPairSync } from 'crypto';

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
import { BridgeContext, HarnessEvents } from './rc/context';
import { httpBridge } from './rc/http';
import { livechatBridge } from './rc/livechat';
import { messageBridge } from './rc/messages';
import { persistenceBridge, PersistenceOptions } from './rc/persistence';
import { toAppRoom } from './rc/rooms';
import { uploadBridge } from './rc/uploads';
import { HarnessScheduler } from './scheduler';
import { appUserOf, HarnessUser, HarnessWorld, Json } from './world';

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

const ROLE_NAMES = [
	'admin',
	'user',
	'bot',
	'app',
	'livechat-agent',
	'livechat-manager',
	'livechat-monitor',
	'owner',
	'moderator',
	'guest',
	'anonymous',
];

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
	/** Events Rocket.Chat fires to apps from its own code paths (see rc/context.ts). */
	readonly events = new HarnessEvents();

	constructor(
		private readonly world: HarnessWorld,
		readonly scheduler: HarnessScheduler,
		private readonly onSettingChanged: (appId: string, setting: Json) => void = () => undefined,
		private readonly options: { persistence?: PersistenceOptions } = {},
	) {
		super();
		this.build();
	}

	private toAppUser(user: HarnessUser | undefined): Json | undefined {
		if (!user) return undefined;
		return appUserOf(user);
	}

	private build(): void {
		const w = this.world;
		const toAppUser = this.toAppUser.bind(this);
		const ctx: BridgeContext = { world: w, events: this.events, toAppUser };

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
				const methods = ['get', 'post', 'put', 'delete', 'head', 'options', 'patch'].filter(
					(m) => typeof endpoint[m] === 'function' || (endpoint._availableMethods ?? []).includes(m),
				);
				this.apis.push({
					appId,
					path: endpoint.path,
					authRequired: Boolean(endpoint.authRequired ?? api.security === 'authRequired'),
					methods,
				});
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

		this.b.http = loudBridge('HttpBridge', HttpBridge as Any, httpBridge(w.httpCalls));

		this.b.listener = loudObject('ListenerBridge', {
			messageEvent: async () => undefined,
			roomEvent: async () => undefined,
			uiKitInteractionEvent: async () => undefined,
		});

		this.b.message = loudBridge('MessageBridge', MessageBridge as Any, messageBridge(ctx));

		this.b.persistence = loudBridge('PersistenceBridge', PersistenceBridge as Any, persistenceBridge(ctx, this.options.persistence));

		this.b.room = loudBridge('RoomBridge', RoomBridge as Any, {
			// bridges/rooms.ts: convertById / convertByName, through the rooms converter (rc/rooms.ts: the visitor read again by id).
			getById: async (id: string) => toAppRoom(w, w.rooms.get(id)),
			getByName: async (name: string) =>
				toAppRoom(
					w,
					[...w.rooms.values()].find((r) => r.slugifiedName === name),
				),
			getCreatorById: async (id: string) => toAppUser(w.rooms.get(id)?.creator),
			getMembers: async (id: string) => (w.rooms.get(id)?.userIds ?? []).map((uid) => toAppUser(w.users.get(uid))).filter(Boolean),
			create: async (room: Any, members: string[]) => {
				const creator = w.users.get(room.creator?.id) ?? w.findUserByUsername(room.creator?.username);
				if (!creator) throw new Error('RoomBridge.create: unknown creator');
				const users = members.map((u) => w.findUserByUsername(u)).filter((u): u is HarnessUser => Boolean(u));
				return w.addRoom({
					name: room.slugifiedName ?? room.displayName,
					type: room.type,
					creator,
					members: users,
					extra: { customFields: room.customFields },
				}).id;
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
			getOneById: async (id: string) =>
				w.serverSettings.has(id) ? { id, value: w.serverSettings.get(id), packageValue: w.serverSettings.get(id) } : undefined,
			getAll: async () => [...w.serverSettings.entries()].map(([id, value]) => ({ id, value, packageValue: value })),
			isReadableById: async (id: string) => w.serverSettings.has(id),
		});

		this.b.user = loudBridge('UserBridge', UserBridge as Any, {
			getById: async (id: string) => toAppUser(w.users.get(id)),
			getByUsername: async (username: string) => toAppUser(w.findUserByUsername(username)),
			getAppUser: async (appId?: string) =>
				toAppUser([...w.users.values()].find((u) => u.type === 'app' && (!appId || u.appId === appId))),
			getActiveUserCount: async () => [...w.users.values()].filter((u) => u.active).length,
			create: async (data: Any, appId: string) => {
				const user = w.addUser({
					username: data.username,
					name: data.name,
					roles: data.roles,
					type: data.type === 'app' ? 'app' : 'bot',
				});
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

		// AppRoleBridge (apps/meteor/app/apps/server/bridges/roles.ts): `Roles.findOneByIdOrName` (by `_id`
		// or `name`) and `Roles.findCustomRoles`, each converted (`convertRole`: `_id` as `id`).
		const roleOf = (role: { id: string; name: string }, builtIn: boolean) => ({
			id: role.id,
			name: role.name,
			protected: builtIn,
			mandatory2fa: false,
			scope: 'Users',
		});
		this.b.role = loudBridge('RoleBridge', RoleBridge as Any, {
			getOneByIdOrName: async (idOrName: string) => {
				if (ROLE_NAMES.includes(idOrName)) return roleOf({ id: idOrName, name: idOrName }, true);
				const custom = w.customRoles.get(idOrName) ?? [...w.customRoles.values()].find((r) => r.name === idOrName);
				return custom ? roleOf(custom, false) : null;
			},
			getCustomRoles: async () => [...w.customRoles.values()].map((r) => roleOf(r, false)),
		});

		this.b.ui = loudBridge('UiInteractionBridge', UiInteractionBridge as Any, {
			notifyUser: async (user: HarnessUser, interaction: Json) => {
				w.ui.push({ ...(interaction as Json), userId: user.id, at: Date.now() } as Any);
			},
		});

		this.b.scheduler = loudBridge('SchedulerBridge', SchedulerBridge as Any, {
			registerProcessors: async (processors: Any[], appId: string) => this.scheduler.registerProcessors(processors, appId),
			scheduleOnce: async (job: Any, appId: string) => this.scheduler.scheduleOnce(job, appId),
			scheduleRecurring: async (job: Any, appId: string) => this.scheduler.scheduleRecurring(job, appId),
			cancelJob: async (jobId: string) => this.scheduler.cancelJob(jobId),
			cancelAllJobs: async (appId: string) => this.scheduler.cancelAllJobs(appId),
		});

		this.b.livechat = loudBridge('LivechatBridge', LivechatBridge as Any, livechatBridge(ctx));

		this.b.outbound = loudBridge('OutboundMessageBridge', OutboundMessageBridge as Any, {
			registerPhoneProvider: async (info: Json, appId: string) => void this.outboundProviders.push({ ...info, appId, kind: 'phone' }),
			unRegisterProvider: async (info: Json) => {
				const index = this.outboundProviders.findIndex((p) => p.name === info.name);
				if (index >= 0) this.outboundProviders.splice(index, 1);
			},
		});

		this.b.upload = loudBridge('UploadBridge', UploadBridge as Any, uploadBridge(ctx));
		this.b.email = loudBridge('EmailBridge', EmailBridge as Any, {});
		this.b.cloud = loudBridge('CloudWorkspaceBridge', CloudWorkspaceBridge as Any, {});
		this.b.video = loudBridge('VideoConferenceBridge', VideoConferenceBridge as Any, {});
		this.b.oauth = loudBridge('OAuthAppsBridge', OAuthAppsBridge as Any, {});
		this.b.moderation = loudBridge('ModerationBridge', ModerationBridge as Any, {});
		this.b.thread = loudBridge('ThreadBridge', ThreadBridge as Any, {});
		this.b.contact = loudBridge('ContactBridge', ContactBridge as Any, {});
		this.b.experimental = loudBridge('ExperimentalBridge', ExperimentalBridge as Any, {});
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
