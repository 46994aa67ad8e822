/**
 * Builds the core's ports and services from the engine's accessors, for one handler invocation:
 * the only place where the app's settings and Rocket.Chat's server settings are read.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { AppError } from '../core/errors';
import { checkGraphBaseUrl, GraphBaseUrlCheck } from '../core/graph/baseUrl';
import { graphPacers, PacedGraphClient } from '../core/bulk/pacedGraph';
import { GraphClient, HttpPort, HttpResponse } from '../core/graph/GraphClient';
import { graphCredentials, NumberCredentials } from '../core/numbers/ConnectedNumber';
import { NumberService } from '../core/numbers/NumberService';
import { Translator, translator } from '../core/i18n/translate';
import { clockOf } from './persistence/clock';
import { NumberStore } from './persistence/NumberStore';
import { PersistedTemplateCache } from './persistence/TemplateCacheStore';
import { AppSettings, SETTING_DEFINITIONS, SettingKey, SettingsReader } from '../core/app/settings';
import { callbackUrl, ensureVerifyToken } from './persistence/verifyToken';
import { DirectHttpPort, messagesThrough } from './directHttp';
import { AppsEngineHttpPort } from './http';
import { holdsRole, RoleIdOf } from '../core/app/roles';

/** The app's settings through the engine, each read once per reader and parsed by the core's table. */
class EngineSettings implements SettingsReader {
	private readonly values = new Map<SettingKey, Promise<unknown>>();

	constructor(private readonly read: IRead) {}

	get<K extends SettingKey>(key: K): Promise<AppSettings[K]> {
		let value = this.values.get(key);
		if (!value) {
			const definition = SETTING_DEFINITIONS[key];
			value = this.read
				.getEnvironmentReader()
				.getSettings()
				.getValueById(definition.id)
				.then((raw) => definition.parse(raw));
			this.values.set(key, value);
		}
		return value as Promise<AppSettings[K]>;
	}
}

/**
 * A settings reader for one service build (each value read once by it). Not cached by `read`: the
 * Deno runtime gives the app ONE IRead for all its handler runs, so a reader kept by it would keep
 * the first values read for ever (a setting changed later would be ignored).
 */
export function appSettings(read: IRead): SettingsReader {
	return new EngineSettings(read);
}

/** A Rocket.Chat server setting, undefined when the app may not read it. */
export async function serverSetting(
	read: IRead,
	id:
		| 'Language'
		| 'Site_Url'
		| 'FileUpload_Enabled'
		| 'FileUpload_MaxFileSize'
		| 'FileUpload_MediaTypeWhiteList'
		| 'FileUpload_MediaTypeBlackList',
): Promise<unknown> {
	return read
		.getEnvironmentReader()
		.getServerSettings()
		.getValueById(id)
		.catch(() => undefined);
}

/** The workspace's language (the "Language" server setting), when set. */
export async function workspaceLanguage(read: IRead): Promise<string | undefined> {
	const language = await serverSetting(read, 'Language');
	return typeof language === 'string' && language ? language : undefined;
}

/** Texts in the workspace's language (for rooms and notices, which every agent reads). */
export async function workspaceTranslator(read: IRead): Promise<Translator> {
	return translator(await workspaceLanguage(read));
}

/** The server's Site URL, without a trailing slash. */
export async function siteUrl(read: IRead): Promise<string> {
	return String((await serverSetting(read, 'Site_Url')) ?? '').replace(/\/+$/, '');
}

/** The "Graph API base URL" setting, checked: https, or a loopback address (src/core/graph/baseUrl.ts). */
export async function graphBaseUrl(read: IRead): Promise<GraphBaseUrlCheck> {
	return checkGraphBaseUrl(await appSettings(read).get('graphApiBaseUrl'));
}

/**
 * The HTTP port of a refused base URL: every call fails before anything is sent (no token leaves
 * the server). The Graph client passes this error on as it is (nothing was sent: never "may have
 * been sent"), in its words; templateMessage, campaigns, the modal and agents' replies check the
 * setting first and say so themselves.
 */
const REFUSED_PORT: HttpPort = {
	send: (): Promise<HttpResponse> =>
		Promise.reject(
			new AppError({
				code: 'graph_base_url_refused',
				message:
					"the Graph API base URL setting is neither https nor a loopback address: nothing was sent (an admin must correct it in the app's settings)",
				i18nKey: 'error_graph_base_url_refused',
			}),
		),
};

/**
 * One pacer per connected number (core/bulk/pacer.ts), in module state. The Apps-Engine's Deno
 * runtime runs each app in ONE subprocess for its lifetime (apps-engine 1.62.0
 * AppsEngineDenoRuntime.ts: a DenoRuntimeSubprocessController per app; deno-runtime/main.ts
 * handles the calls concurrently in that process; handlers/app/construct.ts evaluates the app's
 * code once), so this map is shared by every concurrent call: REST requests, UIKit interactions,
 * events and scheduler jobs. It starts empty when the process starts (app enabled, or the runtime
 * restarted it). A Rocket.Chat deployment with several instances runs one process per instance:
 * each paces its own sends, so the admin should set the "send rate" setting to Meta's cap divided
 * by the number of instances that send (Meta's 130429 pauses still catch an excess).
 */
const NUMBER_PACERS = graphPacers();

/**
 * The app runtime's own HTTP (directHttp.ts), for the "Send from the app's runtime" setting: module
 * state too, so that its kept-alive connections serve every call of this runtime.
 */
export const RUNTIME_HTTP = new DirectHttpPort();

/**
 * The Graph client for a number's token. Its message sends go through the number's pacer at the
 * "send rate" setting: everything that sends (templates, replies, automatic messages) builds its
 * Graph client here.
 */
export async function graphFactory(read: IRead, http: IHttp): Promise<(number: NumberCredentials) => GraphClient> {
	const checked = await graphBaseUrl(read);
	const settings = appSettings(read);
	const [version, rate, fromRuntime] = await Promise.all([
		settings.get('graphApiVersion'),
		settings.get('sendRatePerSecond'),
		settings.get('sendFromRuntime'),
	]);
	if (!checked.ok) return (number) => new GraphClient({ http: REFUSED_PORT, version, ...graphCredentials(number) });
	const bridged = new AppsEngineHttpPort(http);
	const port = fromRuntime ? messagesThrough(RUNTIME_HTTP, bridged) : bridged;
	return (number) =>
		new PacedGraphClient({ http: port, baseUrl: checked.baseUrl, version, ...graphCredentials(number) }, NUMBER_PACERS, rate);
}

/**
 * Numbers, over the app's persistence. Connecting or editing a number forgets its WABA's mark of the
 * last template list fetch on a miss, in the template cache (a no-op without `persistence`).
 */
export async function numberService(read: IRead, http: IHttp, persistence?: IPersistence): Promise<NumberService> {
	const reader = read.getPersistenceReader();
	// The clock of the webhooks' arrival too: a note's time and the sightings that make it go are on one clock (core/numbers/sightings.ts).
	const clock = await clockOf(read);
	return new NumberService(
		new NumberStore(reader, persistence),
		await graphFactory(read, http),
		() => new Date(clock.now()),
		new PersistedTemplateCache(reader, persistence),
	);
}

/**
 * The user's Rocket.Chat language, else the workspace's. Rocket.Chat's user converter gives apps the
 * preference as `settings.preferences.language` (converters/users.ts), and no top-level `language`.
 */
export async function userTranslator(read: IRead, user: IUser): Promise<Translator> {
	const preferred = (user as IUser & { settings?: { preferences?: { language?: string } } }).settings?.preferences?.language;
	if (preferred) return translator(preferred);
	return translator(await workspaceLanguage(read));
}

/**
 * A role's id by its id or name, through Rocket.Chat's roles (the `role.read` permission; AppRoleBridge
 * `Roles.findOneByIdOrName`). Rocket.Chat 7+ converts the role (`id`); earlier bridges passed the
 * document (`_id`). The accessor reads as its own app (apps-engine RoleRead: the `appId` argument is not used).
 */
export const roleIdOf =
	(read: IRead): RoleIdOf =>
	async (idOrName) => {
		const role = (await read.getRoleReader().getOneByIdOrName(idOrName, '')) as { id?: string; _id?: string } | null | undefined;
		return role?.id ?? role?._id ?? undefined;
	};

/** Whether `user` holds one of the roles of the "Roles allowed to manage numbers" setting (a custom role by its name too). */
export async function canManageNumbers(read: IRead, user: IUser): Promise<boolean> {
	return holdsRole(user.roles, await appSettings(read).get('managerRoles'), roleIdOf(read));
}

/** A message only `user` sees, in `room`, from the app's bot user. */
export async function notifyUser(
	{ read, modify }: { read: IRead; modify: IModify },
	notice: { user: IUser; room: IRoom; text: string },
): Promise<void> {
	const { user, room, text } = notice;
	const builder = modify.getCreator().startMessage().setRoom(room).setText(text);
	const appUser = await read.getUserReader().getAppUser();
	if (appUser) builder.setSender(appUser);
	await modify.getNotifier().notifyUser(user, builder.getMessage());
}

export async function webhookInfo(
	read: IRead,
	persistence: IPersistence,
	appId: string,
): Promise<{ callbackUrl: string; verifyToken: string }> {
	return {
		callbackUrl: callbackUrl(await siteUrl(read), appId),
		verifyToken: await ensureVerifyToken(read.getPersistenceReader(), persistence),
	};
}
