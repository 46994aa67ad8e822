/** The send-templates service (core/app/sendTemplates.ts) over the engine's accessors, for one handler run. */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IRoom } from '@rocket.chat/apps-engine/definition/rooms';
import { IUser } from '@rocket.chat/apps-engine/definition/users';

import { Logger, SettingsReader } from '../../core/app/ports';
import { ModalViews, SendTemplateModal } from '../../core/app/sendTemplateModal';
import { SendTemplates } from '../../core/app/sendTemplates';
import { Directory, SendTemplatesPorts, TemplateRooms } from '../../core/app/sendTemplatesPorts';
import { SendLog } from '../../core/app/sendLog';
import { appSettings, graphFactory, roleIdOf } from '../factory';
import { DraftStore } from '../persistence/DraftStore';
import { IdempotencyStore } from '../persistence/IdempotencyStore';
import { MessageStore } from '../persistence/MessageStore';
import { NumberStore } from '../persistence/NumberStore';
import { postAsUser } from '../persistence/ownPosts';
import { PersistedTemplateCache } from '../persistence/TemplateCacheStore';
import { WindowStore } from '../persistence/WindowStore';
import { contactOf, contactRoom } from '../rocketchat/conversations';
import { campaignsOf } from './campaigns';
import { clockOf } from '../persistence/clock';
import { jobsOf } from './jobs';
import { sendLogOf } from './sendLog';

export interface TemplateAccessors {
	read: IRead;
	http: IHttp;
	/** Absent in read-only contexts: nothing is sent or cached then. */
	persistence?: IPersistence;
	modify?: IModify;
	/** The app's log: what failed after Meta accepted sends (never a token or a secret). */
	logger?: Logger;
}

/** Rocket.Chat's agents and departments (templateMessage's routing, the modal's department). */
export function directoryOf(read: IRead): Directory {
	return {
		// A livechat agent: another user could never take the chat (Rocket.Chat's "No Agent found").
		hasAgent: async (username) =>
			Boolean(
				(
					await read
						.getUserReader()
						.getByUsername(username)
						.catch(() => undefined)
				)?.roles?.includes('livechat-agent'),
			),
		departmentId: async (idOrName) =>
			(
				await read
					.getLivechatReader()
					.getLivechatDepartmentByIdOrName(idOrName)
					.catch(() => undefined)
			)?.id,
	};
}

/**
 * The contact's room and the post of a template in it, for `agent`'s send. No custom fields: a
 * default Rocket.Chat refuses them. Rocket.Chat announces the post to the app (IPostMessageSent)
 * like any message, so it must not be relayed to WhatsApp a second time: a post by the app's user
 * is known by its sender; a post as the agent is announced first (ownPosts.ts).
 */
function roomsOf(acc: { read: IRead; modify: IModify; persistence: IPersistence }, sender: TemplateSender): TemplateRooms {
	const { read, modify, persistence } = acc;
	const { agent } = sender;
	const rooms = new Map<string, IRoom>(sender.room ? [[sender.room.id, sender.room]] : []);
	const roomOf = async (roomId: string) => rooms.get(roomId) ?? (await read.getRoomReader().getById(roomId));
	return {
		contactOf: async (roomId) => {
			const room = await roomOf(roomId);
			if (room) rooms.set(room.id, room);
			const contact = await contactOf({ read, persistence }, room);
			return contact && { phoneNumberId: contact.phoneNumberId, waId: contact.waId };
		},
		contactRoom: async (spec) => {
			const room = await contactRoom({ read, modify, persistence }, { ...spec, agent, appId: sender.appId });
			rooms.set(room.id, room);
			return room.id;
		},
		post: async ({ roomId, text, asBot }) => {
			const room = await roomOf(roomId);
			if (!room) throw new Error('the room is gone');
			const appUser = asBot ? await read.getUserReader().getAppUser() : undefined;
			const builder = modify
				.getCreator()
				.startMessage()
				.setRoom(room)
				.setText(text)
				.setSender(appUser ?? agent);
			const post = () => modify.getCreator().finish(builder);
			return appUser
				? post()
				: postAsUser({ read: read.getPersistenceReader(), persistence }, { roomId, senderId: agent.id, text }, post);
		},
	};
}

/** The accessors of a UIKit interaction or a slash command: everything is at hand. */
export interface ModalAccessors {
	read: IRead;
	http: IHttp;
	persistence: IPersistence;
	modify: IModify;
	logger?: Logger;
}

/** The modals' submits and block actions under way in this app process (each interaction builds its service anew). */
const MODAL_VIEWS = new ModalViews();

/** The send-template modal's service for `sender`'s interaction; `newViewId` names a new modal. */
export async function sendTemplateModalOf(
	acc: ModalAccessors,
	options: { sender: TemplateSender; newViewId: () => string },
): Promise<SendTemplateModal> {
	const { read, persistence, modify } = acc;
	const rooms = roomsOf({ read, modify, persistence }, options.sender);
	const settings = appSettings(read);
	return new SendTemplateModal({
		drafts: new DraftStore(read.getPersistenceReader(), persistence),
		sender: new SendTemplates(await portsOf(acc, { rooms, settings })),
		settings,
		directory: directoryOf(read),
		rooms,
		windows: new WindowStore(read.getPersistenceReader()),
		logger: acc.logger,
		newViewId: options.newViewId,
		views: MODAL_VIEWS,
	});
}

/** The send log, built at its first use (reading the template list needs none). */
function lazySendLog(acc: TemplateAccessors): SendTemplatesPorts['sendLog'] {
	let log: Promise<SendLog> | undefined;
	const open = (): Promise<SendLog> => {
		if (!acc.persistence) throw new Error('no persistence: a send cannot be recorded');
		log ??= sendLogOf({ read: acc.read, persistence: acc.persistence, ...(acc.modify ? { modify: acc.modify } : {}) });
		return log;
	};
	return {
		record: async (message, error) => (await open()).record(message, error),
		begin: async (message) => (await open()).begin(message),
		beginMany: async (messages) => (await open()).beginMany(messages),
		settle: async (message, error) => (await open()).settle(message, error),
	};
}

/** Who sends from the modal, and the contact's room it was opened in. */
export interface TemplateSender {
	agent: IUser;
	appId: string;
	room?: IRoom;
}

/** The service's ports for one run; `rooms` for a send from the modal. */
async function portsOf(
	acc: TemplateAccessors,
	extra: { rooms?: TemplateRooms; settings?: SettingsReader } = {},
): Promise<SendTemplatesPorts> {
	const { read, persistence, modify } = acc;
	const { rooms } = extra;
	const graph = await graphFactory(read, acc.http);
	const reader = read.getPersistenceReader();
	return {
		numbers: new NumberStore(reader),
		roleIdOf: roleIdOf(read),
		templateCache: new PersistedTemplateCache(reader, persistence),
		graphOf: (number) => graph(number),
		sendLog: lazySendLog(acc),
		jobs: modify ? jobsOf(modify) : { processSoon: async () => undefined },
		settings: extra.settings ?? appSettings(read),
		// The send log's clock (an idempotency key's lease and window, a record's time): real time on a server.
		clock: await clockOf(read),
		directory: directoryOf(read),
		logger: acc.logger,
		...(persistence ? { idempotency: new IdempotencyStore(reader, persistence), messages: new MessageStore(reader, persistence) } : {}),
		...(rooms ? { rooms } : {}),
		// Campaign mode (templateMessage `async: true`): built at its first use.
		...(persistence && modify
			? {
					campaigns: {
						start: async (input) =>
							(await campaignsOf({ read, http: acc.http, persistence, modify, logger: acc.logger })).start(input),
					},
				}
			: {}),
	};
}

/** The service for one run: with `modify` and `persistence` it sends and records. */
export async function sendTemplatesOf(acc: TemplateAccessors): Promise<SendTemplates> {
	return new SendTemplates(await portsOf(acc));
}
