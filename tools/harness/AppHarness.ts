/**
 * AppHarness: the packaged app running in the real Apps-Engine 1.62.0 `AppManager`, in its Deno
 * runtime (the runtime of Rocket.Chat 7.x and 8.x), with in-memory bridges (./bridges.ts).
 *
 * It drives the app the way Rocket.Chat does:
 *   - slash commands through the engine's command manager (`command`),
 *   - UIKit block actions, view submits and closes through its listener manager (`blockAction`, `viewSubmit`, `viewClosed`),
 *   - REST calls through its API manager (`api`; `HarnessHttpServer` serves them over real HTTP),
 *   - scheduler jobs on a clock the test advances (`scheduler.advance`),
 *   - app settings through its settings manager (`setSetting`),
 *   - an update to a new package of the app through AppManager.update (`update`: onUpdate runs).
 * What the app logs goes to `logs`; `appErrors()` lists its error entries, and `assertNoAppErrors()`
 * fails a test on an app error it did not expect.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import AdmZip from 'adm-zip';
import { AppManager } from '@rocket.chat/apps-engine/server/AppManager';
import { AppMetadataStorage } from '@rocket.chat/apps-engine/server/storage/AppMetadataStorage';
import { AppSourceStorage } from '@rocket.chat/apps-engine/server/storage/AppSourceStorage';
import { AppPermissionManager } from '@rocket.chat/apps-engine/server/managers/AppPermissionManager';
import { AppStatus, AppStatusUtils } from '@rocket.chat/apps-engine/definition/AppStatus';
import { AppInterface } from '@rocket.chat/apps-engine/definition/metadata/AppInterface';
import { SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands/SlashCommandContext';
import { UIKitIncomingInteractionType } from '@rocket.chat/apps-engine/definition/uikit/IUIKitIncomingInteraction';

import { TEST_CLOCK_OFFSET } from '../../src/adapters/persistence/clock';

import { HarnessBridges } from './bridges';
import { asAppMessage, runtimeControllerOf } from './engineVersion';
import { BridgeContext } from './rc/context';
import { takeInquiry, transferRoom } from './rc/livechat';
import { HarnessLogStorage } from './rc/logStorage';
import { userDelete, userEdit } from './rc/messages';
import { PersistenceOptions } from './rc/persistence';
import { toAppRoom } from './rc/rooms';
import { ClientModal, ClientModals, ClientTriggers, DroppedInteraction, InteractionOrigin, TRIGGER_TIMEOUT_MS } from './rc/uikit';
import { HarnessScheduler } from './scheduler';
import { appUserOf, cloneDeep, HarnessRoom, HarnessUser, HarnessWorld, Json } from './world';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export function packagedZipPath(): string {
	const app = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'app.json'), 'utf8'));
	return path.join(REPO_ROOT, 'dist', `${app.nameSlug}_${app.version}.zip`);
}

export interface LogEntry {
	method?: string;
	severity: string;
	args: unknown[];
	caller?: string;
}

export interface ApiRequest {
	method: 'get' | 'post' | 'put' | 'delete' | 'patch';
	path: string;
	headers?: Record<string, string>;
	query?: Record<string, string>;
	content?: unknown;
}

export interface ApiResponse {
	status: number;
	headers?: Record<string, string>;
	content?: Any;
}

class MemoryMetadataStorage extends AppMetadataStorage {
	private readonly items = new Map<string, Any>();
	constructor() {
		super('harness');
	}
	async create(item: Any) {
		item._id = item._id ?? randomUUID();
		item.createdAt = new Date();
		this.items.set(item.id, item);
		return item;
	}
	/**
	 * A copy, as MongoDB answers: a caller that changes what it read changes nothing stored
	 * (AppManager.update reads the record, then `disable` stores the disabled status: what it read
	 * first must still say the status before).
	 */
	async retrieveOne(id: string) {
		const item = this.items.get(id);
		return item ? cloneDeep(item) : null;
	}
	async retrieveAll() {
		return new Map(this.items);
	}
	async retrieveAllPrivate() {
		return new Map(this.items);
	}
	async remove(id: string) {
		this.items.delete(id);
		return { success: true };
	}
	async updatePartialAndReturnDocument(item: Any) {
		const current = this.items.get(item.id) ?? {};
		const next = { ...current, ...item };
		this.items.set(item.id, next);
		return next;
	}
	async updateStatus(id: string, status: Any) {
		return this.patch(id, (item) => (item.status = status));
	}
	async updateSetting(id: string, setting: Any) {
		return this.patch(id, (item) => (item.settings[setting.id] = setting));
	}
	async updateAppInfo(id: string, info: Any) {
		return this.patch(id, (item) => (item.info = info));
	}
	async updateMarketplaceInfo(id: string, marketplaceInfo: Any) {
		return this.patch(id, (item) => (item.marketplaceInfo = marketplaceInfo));
	}
	/** Engines up to 1.53 (Rocket.Chat 7.8) save the whole item with `update` (engine 1.53.1 AppMetadataStorage). */
	async update(item: Any) {
		return this.updatePartialAndReturnDocument(item);
	}
	private patch(id: string, change: (item: Any) => void): boolean {
		const item = [...this.items.values()].find((i) => i._id === id || i.id === id);
		if (item) change(item);
		return Boolean(item);
	}
}

class MemorySourceStorage extends AppSourceStorage {
	private readonly zips = new Map<string, Buffer>();
	async store(item: Any, zip: Buffer) {
		this.zips.set(item.id, zip);
		return `memory:${item.id}`;
	}
	async fetch(item: Any) {
		const zip = this.zips.get(item.id);
		if (!zip) throw new Error(`no source stored for ${item.id}`);
		return zip;
	}
	async update(item: Any, zip: Buffer) {
		return this.store(item, zip);
	}
	async remove(item: Any) {
		this.zips.delete(item.id);
	}
}

export interface HarnessOptions {
	/** The zip built by `npm run package` (default: dist/<nameSlug>_<version>.zip). */
	zipPath?: string;
	/** Print the app's log entries as they arrive (the sandbox does; tests keep them quiet). */
	echoLogs?: boolean;
	/** Which Rocket.Chat persistence answers to model, and its latency (see rc/persistence.ts). */
	persistence?: PersistenceOptions;
	/**
	 * The app's clock is real time, as on a Rocket.Chat server: the harness writes no clock record
	 * (src/adapters/persistence/clock.ts), so the app reads it once, and the scheduler's time cannot move
	 * (benches that run jobs in real time, `scheduler.startRunning()`). Default: false.
	 */
	realClock?: boolean;
}

export class AppHarness {
	readonly world = new HarnessWorld();
	readonly scheduler = new HarnessScheduler();
	readonly bridges: HarnessBridges;
	readonly manager: AppManager;
	readonly logs: LogEntry[] = [];
	readonly permissionErrors: string[] = [];
	appId = '';
	/** The admin who installed the app. */
	readonly admin: HarnessUser;
	private readonly tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-harness-'));
	private consumedErrors = 0;

	private constructor(private readonly options: HarnessOptions) {
		this.admin = this.world.addUser({ username: 'admin', roles: ['admin', 'user'], authToken: 'admin-token' });
		this.bridges = new HarnessBridges(this.world, this.scheduler, undefined, { persistence: options.persistence });
		this.scheduler.onTimeMoved = (offsetMs) => {
			if (options.realClock) throw new Error('this harness runs the app on the real clock (realClock): its time cannot move');
			this.moveAppClock(offsetMs);
		};
		this.manager = new AppManager({
			metadataStorage: new MemoryMetadataStorage(),
			logStorage: new HarnessLogStorage((entry) => this.collectLogs(entry), options.persistence?.latencyMs),
			bridges: this.bridges,
			sourceStorage: new MemorySourceStorage(),
			tempFilePath: this.tempDir,
		});
		// Rocket.Chat's ListenerBridge hands its events to the engine's listener manager. For the
		// message events the manager's executeListener starts the apps' handlers without returning
		// their promise, so the harness calls the handler runner itself: `settled()` then waits for them.
		const listeners = this.manager.getListenerManager() as Any;
		const messageEvents: Record<string, (data: unknown) => Promise<unknown>> = {
			[AppInterface.IPostMessageSent]: (data) => listeners.executePostMessageSent(data),
			[AppInterface.IPostSystemMessageSent]: (data) => listeners.executePostSystemMessageSent(data),
			[AppInterface.IPostMessageUpdated]: (data) => listeners.executePostMessageUpdated(data),
			// `{ message, user }`, as Rocket.Chat's listener bridge passes it (rc/messages.ts `userDelete`).
			[AppInterface.IPostMessageDeleted]: (data) => listeners.executePostMessageDelete(data),
		};
		this.bridges.events.dispatch = (event, data) =>
			messageEvents[event] ? messageEvents[event](data) : listeners.executeListener(event, data);
	}

	/**
	 * The app's clock follows the scheduler's. `Date.now()` inside the engine's Deno process cannot be
	 * moved from here, so the app's clock (src/adapters/persistence/clock.ts) adds the offset the harness
	 * writes in this test-only record; on a Rocket.Chat server there is no such record.
	 */
	private moveAppClock(offsetMs: number, appId = this.appId): void {
		if (!appId) return;
		const record = this.world.persistence.find((r) => r.appId === appId && r.associations.some((a) => a.id === TEST_CLOCK_OFFSET));
		if (record) record.data = { offsetMs };
		else
			this.world.persistence.push({
				id: `${TEST_CLOCK_OFFSET}-${appId}`,
				appId,
				data: { offsetMs },
				associations: [{ model: 'misc', id: TEST_CLOCK_OFFSET }],
			});
	}

	/** Waits until every event Rocket.Chat fired to the app so far (IPostMessageSent...) has run. */
	async settled(): Promise<void> {
		await this.bridges.events.settled();
	}

	/** Installs and enables the packaged app. */
	static async start(options: HarnessOptions = {}): Promise<AppHarness> {
		// The engine skips its permission checks when NODE_ENV is "test" (jest's default); Rocket.Chat never does.
		if (process.env.NODE_ENV === 'test') process.env.NODE_ENV = 'harness';
		// The engine spawns `deno` from PATH; the project's own copy comes from the `deno` npm package.
		const bin = path.join(REPO_ROOT, 'node_modules', '.bin');
		if (!(process.env.PATH ?? '').split(path.delimiter).includes(bin))
			process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
		const harness = new AppHarness(options);
		await harness.install(options.zipPath ?? packagedZipPath());
		return harness;
	}

	private async install(zipPath: string): Promise<void> {
		if (!fs.existsSync(zipPath)) throw new Error(`${zipPath} not found: run \`npm run package\` first`);
		// The engine reports a permission denial with console.error and carries on; surface it instead.
		(AppPermissionManager as Any).notifyAboutError = (err: Error) => {
			this.permissionErrors.push(`${err.name}: ${err.message}`);
		};
		await this.manager.load();
		const zip = fs.readFileSync(zipPath);
		// The admin grants exactly the permissions app.json declares, as in Rocket.Chat's install dialog.
		// (Without `permissionsGranted` the engine would fall back to its broad default list.)
		const { info } = await this.manager.getParser().unpackageApp(zip);
		const declared = info.permissions;
		// The clock record exists before the app's first call: an app that finds none uses real time
		// for good (src/adapters/persistence/clock.ts).
		if (!this.options.realClock) this.moveAppClock(0, info.id);
		const result = await this.manager.add(zip, { enable: true, user: this.admin as Any, permissionsGranted: declared });
		const app = result.getApp();
		if (!app) {
			throw new Error(
				`the engine refused the app: ${JSON.stringify({ storage: result.getStorageError(), user: result.getAppUserError(), license: result.getLicenseValidationResult()?.getErrors?.() })}`,
			);
		}
		this.appId = app.getID();
		this.guardRuntimePipe();
		const status = await app.getStatus();
		if (!String(status).includes('enabled')) {
			throw new Error(`the app did not enable (status ${status}); app log:\n${this.formatLogs()}`);
		}
	}

	/** The Deno subprocess that runs the app (proof that the Deno runtime, not Node, runs it). */
	runtimeProcess(): { pid: number; spawnfile: string; spawnargs: string[] } {
		const controller: Any = runtimeControllerOf(this.manager.getOneById(this.appId));
		const child = controller.deno;
		return { pid: child.pid, spawnfile: child.spawnfile, spawnargs: child.spawnargs };
	}

	/**
	 * Writes to the Deno subprocess that meet a process already gone (the liveness ping at the
	 * moment the runtime is stopped or restarted) fail with EPIPE on its stdin, which the engine
	 * gives no listener: in Rocket.Chat the server's own uncaught-exception handler logs it; here it
	 * would end the test file. The harness listens, as the host does, and keeps what it heard
	 * (`pipeErrors`). Every subprocess the runtime spawns (restarts included) is listened to.
	 */
	private guardRuntimePipe(): void {
		const controller: Any = runtimeControllerOf(this.manager.getOneById(this.appId));
		const listen = () => controller.deno?.stdin?.on('error', (error: Error) => this.pipeErrors.push(error.message));
		const spawn = controller.spawnProcess.bind(controller);
		controller.spawnProcess = () => {
			spawn();
			listen();
		};
		listen();
	}

	/** Errors of writes to the app's Deno subprocess after it was gone (see guardRuntimePipe). */
	readonly pipeErrors: string[] = [];

	private collectLogs(entry: Any): void {
		for (const e of entry.entries ?? []) {
			const log: LogEntry = { method: entry.method, severity: e.severity, args: e.args, caller: e.caller };
			this.logs.push(log);
			if (this.options.echoLogs)
				console.log(
					`[app ${log.severity}] ${entry.method ?? ''} ${log.args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`,
				);
		}
	}

	formatLogs(entries: LogEntry[] = this.logs): string {
		return entries
			.map(
				(l) =>
					`  [${l.severity}] ${l.method ?? ''}: ${l.args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`,
			)
			.join('\n');
	}

	/** Error entries of the app log (and permission denials) not yet consumed by `takeAppErrors`. */
	appErrors(): string[] {
		const errors = this.logs.filter(isError).map((l) => this.formatLogs([l]).trim());
		return [
			...errors.slice(this.consumedErrors),
			...this.permissionErrors,
			...this.scheduler.failures.map((f) => `job ${f.processorId}: ${describeError(f.error)}`),
			...this.bridges.events.failures.map((f) => `event ${f.event}: ${describeError(f.error)}`),
		];
	}

	/** Returns and clears the app errors a test expected. */
	takeAppErrors(): string[] {
		const errors = this.appErrors();
		this.consumedErrors = this.logs.filter(isError).length;
		this.permissionErrors.length = 0;
		this.scheduler.failures.length = 0;
		this.bridges.events.failures.length = 0;
		return errors;
	}

	/** Fails (throws) when the app logged an error the test did not take. */
	assertNoAppErrors(): void {
		const errors = this.appErrors();
		if (errors.length) throw new Error(`unexpected app errors:\n${errors.join('\n')}`);
	}

	// ---- arranging the world -------------------------------------------------------------------------

	addUser(spec: Parameters<HarnessWorld['addUser']>[0]): HarnessUser {
		return this.world.addUser(spec);
	}

	addRoom(spec: Parameters<HarnessWorld['addRoom']>[0]): HarnessRoom {
		return this.world.addRoom(spec);
	}

	// ---- disable and enable ----------------------------------------------------------------------------

	/**
	 * An admin disables the app (Marketplace > Installed): the engine calls its onDisable and keeps its
	 * scheduled jobs; a job that falls due while it is disabled runs as nothing (AppSchedulerManager).
	 * The app's Deno process stays up: work in flight in it goes on unless the app stops it.
	 */
	async disable(): Promise<void> {
		await this.manager.disable(this.appId, AppStatus.MANUALLY_DISABLED);
	}

	/** An admin enables the app again: initialize, extendConfiguration, onEnable, as on a server. */
	async enable(): Promise<void> {
		if (!(await this.manager.enable(this.appId))) throw new Error(`the app did not enable again; app log:\n${this.formatLogs()}`);
	}

	// ---- update -------------------------------------------------------------------------------------

	/**
	 * An admin updates the installed app to a new package of it (the same app id), as Rocket.Chat
	 * does: its `POST /api/apps/:id` (apps/meteor/ee/server/apps/communication/rest.ts; what
	 * `rc-apps deploy --update`, `npm run deploy -- --update`, sends: the zip and the permissions its
	 * app.json declares) calls `manager.update(buff, permissionsGranted)` (the 7.x upload path; newer
	 * versions pass `{ user, loadApp: true }` from the Marketplace path). The engine's
	 * AppManager.update (server/AppManager.js) then, in order: disables the running app (its
	 * onDisable), keeps the stored descriptor (settings and their values, status) with the new
	 * package's info, stops the app's Deno process and starts a new one with the new code, registers
	 * its configuration again keeping scheduled jobs (`purgeAppConfig(app, { keepScheduledJobs: true })`),
	 * initializes and enables it again when it was enabled (initialize, extendConfiguration, onEnable),
	 * and last calls the app's `onUpdate` with `{ oldAppVersion, user }` (`updateApp`): an onUpdate
	 * that throws leaves the app ERROR_DISABLED. Rocket.Chat's data stays as it is: the app's
	 * persistence (only an uninstall purges it), its rooms, visitors and messages.
	 *
	 * `zipPath`: the new package (default: the one the harness installed, `npm run package`'s zip);
	 * `version`: the version the new package's app.json says (the package is rewritten with it), for
	 * an update that looks like one to a newer version; `user`: the admin who updates (by default none,
	 * as the 7.x upload path). Throws when the engine refuses the package, or the app is not enabled
	 * after it (disabled before: in an error status after it). Answers the version the app was updated from (the context's `oldAppVersion`).
	 */
	async update(options: { zipPath?: string; version?: string; user?: HarnessUser } = {}): Promise<{ oldAppVersion: string }> {
		const zipPath = options.zipPath ?? this.options.zipPath ?? packagedZipPath();
		if (!fs.existsSync(zipPath)) throw new Error(`${zipPath} not found: run \`npm run package\` first`);
		let zip = fs.readFileSync(zipPath);
		if (options.version) zip = withAppVersion(zip, options.version);
		const { info } = await this.manager.getParser().unpackageApp(zip);
		if (info.id !== this.appId) throw new Error(`the package is app ${info.id}, not the installed ${this.appId}: that is no update`);
		const running: Any = this.manager.getOneById(this.appId);
		const oldAppVersion = running.getInfo().version as string;
		const wasEnabled = AppStatusUtils.isEnabled(await running.getStatus());
		const result: Any = await this.manager.update(
			zip,
			info.permissions as Any,
			options.user ? { loadApp: true, user: this.appUser(options.user) as Any } : undefined,
		);
		const app = result.getApp();
		if (!app || result.hasStorageError() || result.hasAppUserError()) {
			throw new Error(
				`the engine refused the update: ${JSON.stringify({ storage: result.getStorageError(), user: result.getAppUserError() })}`,
			);
		}
		// The new Deno subprocess is listened to as the first was.
		this.guardRuntimePipe();
		// A disabled app is updated and initialized, not enabled (AppManager.update: `shouldEnableApp`).
		const status = await app.getStatus();
		if (wasEnabled ? !AppStatusUtils.isEnabled(status) : AppStatusUtils.isError(status)) {
			throw new Error(`the app's status after the update is ${status}; app log:\n${this.formatLogs()}`);
		}
		return { oldAppVersion };
	}

	// ---- settings -----------------------------------------------------------------------------------

	async getSetting(id: string): Promise<unknown> {
		const setting: Any = this.manager.getSettingsManager().getAppSetting(this.appId, id);
		return setting.value ?? setting.packageValue;
	}

	/** Changes an app setting as an admin does in Marketplace > Installed (the app's onSettingUpdated runs). */
	async setSetting(id: string, value: unknown): Promise<void> {
		const settings = this.manager.getSettingsManager();
		const setting: Any = settings.getAppSetting(this.appId, id);
		await settings.updateAppSetting(this.appId, { ...setting, value, updatedAt: new Date() });
	}

	// ---- driving the app ----------------------------------------------------------------------------

	/** Runs `/<command> <args...>` as `user` in `room`, as Rocket.Chat does (params frozen). */
	async command(
		command: string,
		args: string[],
		ctx: { user: HarnessUser; room: HarnessRoom; threadId?: string },
	): Promise<{ triggerId: string }> {
		// processSlashCommand: the client issues the trigger id before it sends the command.
		const triggerId = this.triggers.issue(ctx.user.id);
		const context = new SlashCommandContext(
			Object.freeze(this.appUser(ctx.user)) as Any,
			// bridges/commands.ts: the room through the rooms converter (`convertById`; rc/rooms.ts).
			Object.freeze(toAppRoom(this.world, ctx.room)) as Any,
			Object.freeze([...args]) as string[],
			ctx.threadId,
			triggerId,
		);
		await this.manager.getCommandManager().executeCommand(command, context);
		return { triggerId };
	}

	/**
	 * `user` posts `text` in `room`, as the Rocket.Chat client does: the message goes through the
	 * same send path as an app's (executeSendMessage: size limit, custom fields validation; see
	 * rc/messages.ts), which fires the apps' IPostMessageSent; this waits until those handlers ran,
	 * so a test sees their effects. A message Rocket.Chat refuses throws its error.
	 */
	async userMessage(spec: { user: HarnessUser; room: HarnessRoom; text: string; customFields?: Json }): Promise<Json> {
		const bridge = this.bridges.getMessageBridge() as Any;
		const message: Json = {
			room: spec.room,
			sender: this.appUser(spec.user),
			text: spec.text,
			...(spec.customFields ? { customFields: spec.customFields } : {}),
		};
		const id: string = await bridge.create(message, 'rocket.chat-client');
		await this.settled();
		return this.world.messages.find((m) => m.id === id) as Json;
	}

	/**
	 * `user` uploads a file in `room`, as the Rocket.Chat client does: the file is stored, its message
	 * (file, files, an attachment with the description as caption, empty text) posted, then Rocket.Chat
	 * fires the apps' IPostMessageSent (sendFileMessage ends in functions/sendMessage); this waits
	 * until those handlers ran.
	 */
	async uploadFile(spec: {
		user: HarnessUser;
		room: HarnessRoom;
		name: string;
		type: string;
		bytes: Buffer;
		description?: string;
	}): Promise<Json> {
		const { message } = this.world.storeFile({
			room: spec.room,
			name: spec.name,
			type: spec.type,
			buffer: spec.bytes,
			userId: spec.user.id,
			sender: this.appUser(spec.user),
			description: spec.description,
		});
		this.bridges.events.fire(AppInterface.IPostMessageSent, asAppMessage({ ...message, room: toAppRoom(this.world, spec.room) }));
		await this.settled();
		return message;
	}

	/**
	 * `user` edits `message` to `text`, as the client's edit does (the `updateMessage` method, then
	 * functions/updateMessage.ts; rc/messages.ts `userEdit`): checked as Rocket.Chat checks it (own
	 * message, `Message_AllowEditing`, or an admin), marked edited (`editedAt`, `editedBy`: apps receive
	 * it as `editor`), a file message's description changed rather than its text; IPostMessageUpdated
	 * fires and this waits for the app's handler. An equal text changes nothing (answers false). A
	 * refusal throws Rocket.Chat's error.
	 */
	async editMessage(spec: { user: HarnessUser; message: Json | string; text: string }): Promise<boolean> {
		const messageId = typeof spec.message === 'string' ? spec.message : (spec.message.id as string);
		const changed = userEdit(this.livechatContext(), { user: spec.user, messageId, text: spec.text });
		await this.settled();
		return changed;
	}

	/**
	 * `user` deletes `message`, as the client's delete does (deleteMessageValidatingPermission, then
	 * functions/deleteMessage.ts; rc/messages.ts `userDelete`): removed with its files on a fresh
	 * workspace, else per `Message_KeepHistory` / `Message_ShowDeletedStatus`; IPostMessageDeleted fires
	 * with `{ message, user }` and this waits for the app's handler. A refusal throws Rocket.Chat's error.
	 */
	async deleteMessage(spec: { user: HarnessUser; message: Json | string }): Promise<void> {
		const messageId = typeof spec.message === 'string' ? spec.message : (spec.message.id as string);
		userDelete(this.livechatContext(), { user: spec.user, messageId });
		await this.settled();
	}

	/**
	 * An agent takes a livechat room (queued, or unserved for want of an agent), as Rocket.Chat's
	 * RoutingManager.takeInquiry does (tools/harness/rc/livechat.ts `takeInquiry`): the agent serves
	 * it, then IPostLivechatAgentAssigned fires; this waits until the app's listener ran.
	 */
	async assignAgent(room: HarnessRoom, agent: HarnessUser): Promise<void> {
		takeInquiry(this.livechatContext(), room, agent);
		await this.settled();
	}

	/**
	 * An agent or a manager forwards a livechat room to an agent or a department, as the
	 * client's forward does (livechat:transfer -> RoutingManager.transferRoom; rc/livechat.ts
	 * `transferRoom`): whoever takes it does so through takeInquiry, which fires
	 * IPostLivechatAgentAssigned; this waits until the app's listener ran. False when not transferred.
	 */
	async forwardRoom(room: HarnessRoom, to: { agent?: HarnessUser; department?: Json }): Promise<boolean> {
		const done = transferRoom(this.livechatContext(), room, {
			agentId: to.agent?.id,
			departmentId: to.department?.id as string | undefined,
		});
		await this.settled();
		return done;
	}

	/**
	 * An agent turns omnichannel availability on (present and 'available') or off ('not-available'),
	 * as in the agent's sidebar. Rooms already requested are not assigned by this: an agent takes them
	 * (`assignAgent`).
	 */
	setAgentAvailable(agent: HarnessUser, available = true): void {
		agent.livechatStatus = available ? 'available' : 'not-available';
		if (available) agent.status = agent.statusConnection = 'online';
	}

	/** A livechat agent (role livechat-agent), available unless said otherwise, in `departments` if given. */
	addAgent(spec: { username: string; available?: boolean; departments?: Json[] }): HarnessUser {
		const agent = this.world.addUser({ username: spec.username, roles: ['user', 'livechat-agent'] });
		this.setAgentAvailable(agent, spec.available ?? true);
		for (const department of spec.departments ?? []) {
			(department.agentIds as string[]).push(agent.id);
			department.numberOfAgents = (department.agentIds as string[]).length;
		}
		return agent;
	}

	private livechatContext(): BridgeContext {
		return { world: this.world, events: this.bridges.events, toAppUser: (user) => (user ? this.appUser(user) : undefined) };
	}

	/**
	 * An agent closes a livechat room: Rocket.Chat closes it, and its closeRoom fires
	 * IPostLivechatRoomClosed (rc/livechat.ts `closeRoom`); this waits until the app's listener ran.
	 */
	async closeLivechatRoom(room: HarnessRoom, closer: HarnessUser): Promise<void> {
		await (this.bridges.getLivechatBridge() as Any).closeRoom(room, 'closed', this.appUser(closer), this.appId);
		await new Promise<void>((resolve) => process.nextTick(resolve));
		await this.settled();
	}

	/**
	 * The UIKit modals each user's Rocket.Chat client holds (tools/harness/rc/uikit.ts `ClientModals`,
	 * after apps/meteor/client/lib/ActionManager.ts and apps/meteor/client/uikit/hooks/useUiKitView.ts):
	 * a modal the app opens or updates reaches the user only as the client handles it; a modal.update
	 * whose view id is not the open modal's throws, as the client would drop it.
	 */
	private readonly clientModals = new ClientModals();
	/** How many of `world.ui` (what the app pushed through the UI bridge) the client modals have seen. */
	private uiSeen = 0;
	/** The trigger ids users' clients issued (rc/uikit.ts `ClientTriggers`). */
	private readonly triggers = new ClientTriggers();
	/** Server interactions users' clients dropped (a trigger id unknown, used or past its 5 s), in order. */
	readonly droppedInteractions: DroppedInteraction[] = [];
	/** Error toasts users' clients showed: `UIKit_Interaction_Timeout` when an answer took 5 s or more. */
	readonly toasts: Array<{ userId: string; message: string }> = [];
	/** The last view the app showed each user, kept after the modal is closed. */
	private readonly shownViews = new Map<string, Json>();

	/** Takes in what the app pushed to users through `modify.getUiController()` since last time. */
	private syncPushedViews(): void {
		while (this.uiSeen < this.world.ui.length) {
			const record = this.world.ui[this.uiSeen++];
			this.clientHandles(record.userId, record as Json, { kind: 'pushed' }, record.at ?? Date.now());
		}
	}

	/**
	 * What the client does with a server interaction that reaches it at `at`: `handleServerInteraction`
	 * takes its trigger id (or drops it), then `ClientModals` (rc/uikit.ts).
	 */
	private clientHandles(userId: string, interaction: Json | undefined, origin: InteractionOrigin, at: number): void {
		const dropped = this.triggers.take(userId, interaction?.triggerId, at);
		if (dropped && typeof interaction?.type === 'string')
			this.droppedInteractions.push({ userId, type: interaction.type, origin: origin.kind, reason: dropped });
		this.clientModals.handle(userId, interaction, origin, !dropped);
		const modal = this.clientModals.of(userId);
		if (modal && (interaction?.type === 'modal.open' || interaction?.type === 'modal.update')) this.shownViews.set(userId, modal.view);
	}

	/**
	 * The app's answer to the user's action reaches the client (emitInteraction, ActionManager.ts @
	 * 4f8d336a6731f375e017c8422d678bc896d9649d), after what the app pushed meanwhile. The client waits
	 * 5 s (`runWithTimeout`): an answer that comes later finds an error toast shown
	 * (`UIKit_Interaction_Timeout`) and, after a submit, the modal closed; its trigger id is gone by then.
	 */
	private answered(userId: string, issuedAt: number, response: unknown, origin: InteractionOrigin): void {
		this.syncPushedViews();
		const at = Date.now();
		if (at - issuedAt >= TRIGGER_TIMEOUT_MS) {
			this.toasts.push({ userId, message: 'UIKit_Interaction_Timeout' });
			if (origin.kind === 'viewSubmit') this.clientModals.dispose(userId, origin.viewId);
		}
		this.clientHandles(userId, response as Json, origin, at);
	}

	/** `ClientModals.acting`, its failure naming what the user's client dropped (a view pushed past its trigger's 5 s, say). */
	private acting(userId: string, viewId: string): ClientModal {
		try {
			return this.clientModals.acting(userId, viewId);
		} catch (error) {
			const dropped = this.droppedInteractions.filter((d) => d.userId === userId).slice(-3);
			if (!dropped.length) throw error;
			throw new Error(
				`${(error as Error).message} The client dropped: ${dropped.map((d) => `${d.type} (${d.origin}): ${d.reason}`).join('; ')}.`,
			);
		}
	}

	/** The modal `user`'s client has open (values, what each element shows), or undefined. */
	openModal(user: HarnessUser): ClientModal | undefined {
		this.syncPushedViews();
		return this.clientModals.of(user.id);
	}

	/**
	 * A block action (button, select) in a modal or message, as the Rocket.Chat client sends it. With
	 * `view`, it happens in the modal the user has open (its id must be that modal's); the app's
	 * answer then goes through the client's modal handling (`ClientModals`). A modal's block action
	 * carries no room (packages/core-typings/src/uikit/UserInteraction.ts `ViewBlockActionUserInteraction`:
	 * no `rid`), so `room` goes only with a message's.
	 */
	async blockAction(spec: {
		user: HarnessUser;
		actionId: string;
		blockId: string;
		value?: unknown;
		view?: Json;
		room?: HarnessRoom;
		message?: Json;
		triggerId?: string;
	}): Promise<Any> {
		if (spec.view && spec.room)
			throw new Error(
				"Rocket.Chat's client sends no room with a block action in a modal (ViewBlockActionUserInteraction has no rid)",
			);
		this.syncPushedViews();
		const modal = spec.view ? this.acting(spec.user.id, spec.view.id as string) : undefined;
		// useUiKitState: a changed input element updates the modal's values before the action is sent; a button only sends.
		if (modal && spec.value !== undefined && modal.has(spec.actionId) && !isButton(modal.view, spec.actionId))
			modal.input(spec.actionId, spec.value);
		const view = modal?.view;
		const issuedAt = Date.now();
		const triggerId = this.triggers.issue(spec.user.id, issuedAt, spec.triggerId);
		const response = await this.manager.getListenerManager().executeListener(AppInterface.IUIKitInteractionHandler, {
			type: UIKitIncomingInteractionType.BLOCK,
			appId: this.appId,
			actionId: spec.actionId,
			triggerId,
			user: this.appUser(spec.user),
			room: toAppRoom(this.world, spec.room),
			message: spec.message,
			container: view ? { type: 'view', id: view.id } : { type: 'message', id: spec.message?.id },
			payload: { blockId: spec.blockId, value: spec.value, view },
		} as Any);
		this.answered(spec.user.id, issuedAt, response, { kind: 'blockAction', viewId: view?.id as string | undefined });
		return response;
	}

	/**
	 * Submits the modal the user has open (`view` names it, by id), as the client does: `state` is
	 * what the user typed or chose (`{ [blockId]: { [actionId]: value } }`), entered into the open
	 * modal; without it, the modal's state is sent as it is. The view sent is the modal's current view.
	 * A submit carries no room (`ViewSubmitUserInteraction` has no `rid`).
	 */
	async viewSubmit(spec: {
		user: HarnessUser;
		view?: Json;
		state?: Record<string, Record<string, unknown>>;
		actionId?: string;
	}): Promise<Any> {
		this.syncPushedViews();
		const open = this.clientModals.of(spec.user.id);
		const modal = this.acting(spec.user.id, (spec.view?.id ?? open?.view.id) as string);
		let state = modal.state;
		if (spec.state) {
			// Fields the test names are what the user entered; the rest of the state is the modal's own.
			state = { ...state };
			for (const [blockId, fields] of Object.entries(spec.state)) state[blockId] = { ...(state[blockId] ?? {}), ...fields };
		}
		const issuedAt = Date.now();
		const triggerId = this.triggers.issue(spec.user.id, issuedAt);
		const response = await this.manager.getListenerManager().executeListener(AppInterface.IUIKitInteractionHandler, {
			type: UIKitIncomingInteractionType.VIEW_SUBMIT,
			appId: this.appId,
			actionId: spec.actionId ?? 'submit',
			triggerId,
			user: this.appUser(spec.user),
			payload: { view: { ...modal.view, state } },
		} as Any);
		this.answered(spec.user.id, issuedAt, response, { kind: 'viewSubmit', viewId: modal.view.id as string });
		return response;
	}

	/** The user closes (Cancel, or the ×) the modal open, named by `view`'s id. */
	async viewClosed(spec: { user: HarnessUser; view?: Json }): Promise<Any> {
		this.syncPushedViews();
		const open = this.clientModals.of(spec.user.id);
		const modal = this.acting(spec.user.id, (spec.view?.id ?? open?.view.id) as string);
		// The client issues a trigger id for the close too, but neither Rocket.Chat's server nor the
		// engine hands it to the app (AppUIKitInteractionApi, AppListenerManager: VIEW_CLOSED): the answer has none.
		const issuedAt = Date.now();
		this.triggers.issue(spec.user.id, issuedAt);
		const response = await this.manager.getListenerManager().executeListener(AppInterface.IUIKitInteractionHandler, {
			type: UIKitIncomingInteractionType.VIEW_CLOSED,
			appId: this.appId,
			actionId: 'close',
			user: this.appUser(spec.user),
			payload: { view: { ...modal.view, state: modal.state }, isCleared: false },
		} as Any);
		this.answered(spec.user.id, issuedAt, response, { kind: 'viewClosed', viewId: modal.view.id as string });
		return response;
	}

	/**
	 * Calls one of the app's REST endpoints through the engine's API manager. `auth` is what
	 * Rocket.Chat's authentication middleware resolved for `authRequired` endpoints (see HarnessHttpServer).
	 */
	async api(request: ApiRequest, auth?: HarnessUser): Promise<ApiResponse> {
		const endpoint = this.bridges.apis.find((a) => a.appId === this.appId && matchPath(a.path, request.path));
		if (!endpoint) return { status: 404, content: { success: false, error: 'Not found' } };
		const params = matchPath(endpoint.path, request.path) ?? {};
		if (endpoint.authRequired && !auth) {
			return { status: 401, content: { status: 'error', message: 'You must be logged in to do this.' } };
		}
		const result: Any = await this.manager.getApiManager().executeApi(this.appId, endpoint.path, {
			method: request.method,
			headers: lowerCaseKeys(request.headers ?? {}),
			query: request.query ?? {},
			params,
			content: request.content,
			user: auth ? this.appUser(auth) : undefined,
		} as Any);
		return { status: result.status, headers: result.headers, content: result.content };
	}

	/**
	 * The UIKit modal view `user` sees: the open modal's current view, else the last one the client
	 * showed (open or update), or undefined.
	 */
	lastView(user: HarnessUser): Json | undefined {
		this.syncPushedViews();
		return this.clientModals.of(user.id)?.view ?? this.shownViews.get(user.id);
	}

	appUser(user: HarnessUser): Json {
		return appUserOf(user);
	}

	async stop(): Promise<void> {
		try {
			await this.scheduler.stopRunning();
			await this.manager.unload(false);
		} finally {
			// The engine allows one AppManager per process (Rocket.Chat has one); the next harness makes a new one.
			(AppManager as Any).Instance = undefined;
			fs.rmSync(this.tempDir, { recursive: true, force: true });
		}
	}
}

/** The app package `zip` with its app.json's `version` set to `version` (a newer package of the same app). */
function withAppVersion(zip: Buffer, version: string): Buffer {
	const archive = new AdmZip(zip);
	const entry = archive.getEntry('app.json');
	if (!entry) throw new Error('the package has no app.json');
	const manifest = JSON.parse(entry.getData().toString('utf8'));
	archive.updateFile(entry, Buffer.from(JSON.stringify({ ...manifest, version }, null, 2)));
	return archive.toBuffer();
}

/** Whether `actionId` is a button of `view` (a click sends the action; it holds no value). */
function isButton(view: Json, actionId: string): boolean {
	for (const block of (view.blocks as Json[] | undefined) ?? []) {
		const elements = [block.element, block.accessory, ...((block.elements as Json[] | undefined) ?? [])] as Array<Json | undefined>;
		if (elements.some((e) => e?.actionId === actionId && e.type === 'button')) return true;
	}
	return false;
}

/** A rejection from the engine (a JSON-RPC error object from the Deno runtime, or an Error) as text. */
function describeError(error: unknown): string {
	if (error instanceof Error) return error.message;
	try {
		return JSON.stringify(error);
	} catch {
		return String(error);
	}
}

/** An error the app logged, or an app method the engine reports as failed (a throw inside a handler). */
function isError(entry: LogEntry): boolean {
	if (entry.severity === 'error') return true;
	const first = entry.args[0] as { msg?: unknown; err?: { code?: number } } | undefined;
	// JSON-RPC -32601 is an optional handler the app does not implement (checkPostMessageSent...): the engine skips it.
	return typeof first?.msg === 'string' && first.msg.includes('was unsuccessful') && first.err?.code !== -32601;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
	return out;
}

/** Matches an endpoint path with `:param` segments against a request path; returns the params. */
export function matchPath(pattern: string, actual: string): Record<string, string> | undefined {
	const p = pattern.replace(/^\/+|\/+$/g, '').split('/');
	const a = actual.replace(/^\/+|\/+$/g, '').split('/');
	if (p.length !== a.length) return undefined;
	const params: Record<string, string> = {};
	for (let i = 0; i < p.length; i++) {
		if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(a[i]);
		else if (p[i] !== a[i]) return undefined;
	}
	return params;
}
