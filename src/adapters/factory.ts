/**
 * Builds the core's services from the engine's accessors, for one handler invocation. The only
 * place where settings are read and accessors are turned into core ports.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { AppError } from '../core/errors';
import { checkGraphBaseUrl, GraphBaseUrlCheck } from '../core/graph/baseUrl';
import { GraphClient, HttpPort, HttpResponse } from '../core/graph/GraphClient';
import { NumberService } from '../core/numbers/NumberService';
import { Translator, translator } from '../core/i18n/translate';
import { NumberStore } from './persistence/NumberStore';
import { DEFAULT_GRAPH_VERSION, parseRoles, SettingId } from './settings';
import { callbackUrl, ensureVerifyToken } from './persistence/verifyToken';
import { AppsEngineHttpPort } from './http';

export async function setting<T = unknown>(read: IRead, id: SettingId): Promise<T> {
	return (await read.getEnvironmentReader().getSettings().getValueById(id)) as T;
}

/** The "Graph API base URL" setting, checked: https, or a loopback address (src/core/graph/baseUrl.ts). */
export async function graphBaseUrl(read: IRead): Promise<GraphBaseUrlCheck> {
	return checkGraphBaseUrl(await setting<unknown>(read, SettingId.GraphApiBaseUrl));
}

/**
 * The HTTP port of a refused base URL: every call fails before anything is sent (no token leaves
 * the server). The Graph client reports it as an unreachable Graph API, with this message as the
 * detail in the app's log; the modal and the agent's notice say it in words (SendTemplateFlow.ts,
 * AgentReplies.ts check `graphBaseUrl` first).
 */
const REFUSED_PORT: HttpPort = {
	send: (): Promise<HttpResponse> =>
		Promise.reject(new AppError({ code: 'graph_base_url_refused', message: "the Graph API base URL setting is neither https nor a loopback address: nothing was sent (an admin must correct it in the app's settings)", i18nKey: 'error_graph_base_url_refused' })),
};

export async function graphFactory(read: IRead, http: IHttp): Promise<(accessToken: string) => GraphClient> {
	const checked = await graphBaseUrl(read);
	const version = (await setting<string>(read, SettingId.GraphApiVersion)) || DEFAULT_GRAPH_VERSION;
	if (!checked.ok) return (accessToken) => new GraphClient({ http: REFUSED_PORT, version, accessToken });
	const port = new AppsEngineHttpPort(http);
	return (accessToken) => new GraphClient({ http: port, baseUrl: checked.baseUrl, version, accessToken });
}

export async function numberService(read: IRead, http: IHttp, persistence?: IPersistence): Promise<NumberService> {
	return new NumberService(new NumberStore(read.getPersistenceReader(), persistence), await graphFactory(read, http));
}

/** The user's Rocket.Chat language, else the workspace's. */
export async function userTranslator(read: IRead, user: IUser): Promise<Translator> {
	const preferred = (user as IUser & { settings?: { preferences?: { language?: string } }; language?: string }).settings?.preferences?.language ?? (user as { language?: string }).language;
	if (preferred) return translator(preferred);
	const workspace = await read.getEnvironmentReader().getServerSettings().getValueById('Language').catch(() => undefined);
	return translator(typeof workspace === 'string' && workspace ? workspace : undefined);
}

/** Whether `user` holds one of the roles of the "Roles allowed to manage numbers" setting. */
export async function canManageNumbers(read: IRead, user: IUser): Promise<boolean> {
	const allowed = parseRoles(await setting(read, SettingId.ManagerRoles));
	return (user.roles ?? []).some((role) => allowed.includes(role));
}

/** A message only `user` sees, in `room`, from the app's bot user. */
export async function notifyUser(read: IRead, modify: IModify, user: IUser, room: IRoom, message: string): Promise<void> {
	const builder = modify.getCreator().startMessage().setRoom(room).setText(message);
	const appUser = await read.getUserReader().getAppUser();
	if (appUser) builder.setSender(appUser);
	await modify.getNotifier().notifyUser(user, builder.getMessage());
}

export async function webhookInfo(read: IRead, persistence: IPersistence, appId: string): Promise<{ callbackUrl: string; verifyToken: string }> {
	const siteUrl = String((await read.getEnvironmentReader().getServerSettings().getValueById('Site_Url')) ?? '');
	return { callbackUrl: callbackUrl(siteUrl, appId), verifyToken: await ensureVerifyToken(read.getPersistenceReader(), persistence) };
}
