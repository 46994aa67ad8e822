/**
 * The sandbox's control API (POST JSON, answers JSON), for playing every side from a terminal:
 *   POST /sandbox/command  { command: "/whatsapp help", user?: "admin" | "agent", room?: "general" }
 *   POST /sandbox/submit   { user?, values: { field: value } }          submits the user's open modal
 *   POST /sandbox/action   { user?, actionId, value?, blockId? }         presses a button of the open modal
 *   POST /sandbox/settings { id, value }                                 changes an app setting
 *   GET  /sandbox/graph                                                  what the simulated Cloud API received
 *   POST /sandbox/inbound  { from, name?, text }                         a WhatsApp user writes to the number
 *                          { from, name?, file, type, caption? }         ... or sends a file (a path on this machine)
 *   POST /sandbox/status   { status: "delivered", wamid? }               Meta reports a status (default: every sent message)
 *   POST /sandbox/reply    { text, from? }                               the agent answers in the contact's room
 *                          { file, type, caption?, from? }               ... or sends a file (a path on this machine)
 *   GET  /sandbox/rooms                                                  WhatsApp rooms and their messages
 * Each answer carries what the app showed the user (notices and the open modal).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { URL } from 'url';

import { AppHarness } from '../harness/AppHarness';
import { HarnessRoom, HarnessUser, Json } from '../harness/world';
import { CloudApiSimulator, SimNumber } from '../sim/CloudApiSimulator';
import { Phones } from './phones';

export class SandboxControl {
	readonly agent: HarnessUser;
	readonly general: HarnessRoom;
	/** The contacts' phones (phones.ts): what they wrote and received; the console draws them. */
	readonly phones: Phones;
	private openView = new Map<string, Json>();

	constructor(
		private readonly harness: AppHarness,
		private readonly sim: CloudApiSimulator,
		private readonly number: SimNumber,
	) {
		this.phones = new Phones(sim, number);
		this.agent = harness.addUser({ username: 'agent', roles: ['user', 'livechat-agent'], authToken: 'agent-token' });
		this.agent.livechatStatus = 'available';
		this.general = harness.addRoom({ name: 'general', creator: harness.admin, members: [harness.admin, this.agent] });
	}

	/** Connects the sandbox number through the real `/whatsapp connect` modal. */
	async connectSandboxNumber(): Promise<void> {
		await this.command({ command: '/whatsapp connect' });
		const values: Record<string, string> = {
			phoneNumberId: this.number.phoneNumberId,
			wabaId: this.number.wabaId,
			accessToken: this.number.accessToken,
			appSecret: this.number.appSecret,
		};
		const result = await this.submit({ values });
		const response = result.response as Json | undefined;
		if (!response?.success) throw new Error(`connecting the sandbox number failed: ${JSON.stringify(response?.errors)}`);
		// The app answers the connect with its result in the same modal; the admin closes it, as a person
		// would, so that the console does not open on it.
		const open = this.harness.openModal(this.harness.admin);
		if (open) await this.harness.viewClosed({ user: this.harness.admin, view: open.view });
		this.openView.delete(this.harness.admin.id);
	}

	/** A setting's value as an answer shows it: a password setting's only as set, never the secret. */
	private async settingShown(id: string): Promise<unknown> {
		const setting = (
			this.harness.manager.getSettingsManager().getAppSettings(this.harness.appId) as Record<string, { type?: unknown }>
		)[id];
		return hiddenSecret(setting ?? {}, await this.harness.getSetting(id));
	}

	async verifyToken(): Promise<string> {
		const record = this.harness.world.persistence.find((r) => typeof (r.data as Json).token === 'string');
		return String((record?.data as Json | undefined)?.token ?? '');
	}

	private user(name: unknown): HarnessUser {
		return name === 'agent' ? this.agent : this.harness.admin;
	}

	private shown(user: HarnessUser, since: number): Json {
		return {
			notices: this.harness.world
				.notificationsFor(user.id)
				.slice(since)
				.map((n) => n.text),
			view: this.openView.get(user.id) ?? null,
			appErrors: this.harness.takeAppErrors(),
		};
	}

	private remember(user: HarnessUser, response: Json | undefined): void {
		const latest = this.harness.lastView(user);
		if ((response?.type === 'modal.update' || response?.type === 'modal.open') && response.view)
			this.openView.set(user.id, response.view as Json);
		else if (response?.success === true && response.type !== 'errors') this.openView.delete(user.id);
		else if (!response && latest) this.openView.set(user.id, latest);
	}

	async command(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const words = String(body.command ?? '')
			.trim()
			.replace(/^\//, '')
			.split(/\s+/);
		const before = this.harness.world.notificationsFor(user.id).length;
		const uiBefore = this.harness.world.uiFor(user.id).length;
		await this.harness.command(words[0], words.slice(1), { user, room: this.general });
		if (this.harness.world.uiFor(user.id).length > uiBefore) this.remember(user, undefined);
		return this.shown(user, before);
	}

	async submit(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const view = this.openView.get(user.id);
		if (!view) return { error: 'no modal is open for this user: run a command that opens one first' };
		const state: Record<string, Record<string, unknown>> = {};
		for (const [field, value] of Object.entries((body.values as Json) ?? {})) state[field] = { [field]: value };
		const before = this.harness.world.notificationsFor(user.id).length;
		const response = await this.harness.viewSubmit({ user, view, state });
		this.remember(user, response);
		return { response, ...this.shown(user, before) };
	}

	async action(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const view = this.openView.get(user.id);
		const before = this.harness.world.notificationsFor(user.id).length;
		const response = await this.harness.blockAction({
			user,
			actionId: String(body.actionId),
			blockId: String(body.blockId ?? ''),
			value: body.value,
			view,
		});
		this.remember(user, response);
		return { response, ...this.shown(user, before) };
	}

	async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
		if (!url.pathname.startsWith('/sandbox/')) return false;
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		let body: Json = {};
		try {
			body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
		} catch {
			return this.reply(res, 400, { error: 'the body must be JSON' });
		}
		const route = `${req.method} ${url.pathname}`;
		switch (route) {
			case 'POST /sandbox/command':
				return this.reply(res, 200, await this.command(body));
			case 'POST /sandbox/submit':
				return this.reply(res, 200, await this.submit(body));
			case 'POST /sandbox/action':
				return this.reply(res, 200, await this.action(body));
			case 'POST /sandbox/settings':
				await this.harness.setSetting(String(body.id), body.value);
				return this.reply(res, 200, { id: body.id, value: await this.settingShown(String(body.id)) });
			case 'GET /sandbox/graph':
				return this.reply(res, 200, this.sim.requests);
			case 'POST /sandbox/inbound': {
				const from = String(body.from ?? '5511987654321');
				const name = body.name ? String(body.name) : undefined;
				if (body.file) {
					const file = this.readFile(body);
					if ('error' in file) return this.reply(res, 400, file);
					const sent = await this.phones.sendFile(
						from,
						{ ...file, caption: body.caption ? String(body.caption) : undefined },
						name,
					);
					return this.reply(res, 200, sent);
				}
				const sent = await this.phones.sendText(from, String(body.text ?? ''), name);
				return this.reply(res, 200, sent);
			}
			case 'POST /sandbox/reply': {
				const from = String(body.from ?? '5511987654321');
				const room = [...this.harness.world.rooms.values()]
					.reverse()
					.find((r) => r.type === 'l' && r.isOpen && String((r.visitor as Json | undefined)?.token ?? '').split(':')[2] === from);
				if (!room)
					return this.reply(res, 404, {
						error: `no open WhatsApp room with ${from}: send an inbound message first (POST /sandbox/inbound)`,
					});
				if (!room.userIds.includes(this.agent.id)) room.userIds.push(this.agent.id);
				const before = this.harness.world.notificationsFor(this.agent.id).length;
				const sendsBefore = this.sim.sentMessages.length;
				if (body.file) {
					const file = this.readFile(body);
					if ('error' in file) return this.reply(res, 400, file);
					await this.harness.uploadFile({
						user: this.agent,
						room,
						name: file.name,
						type: file.type,
						bytes: file.bytes,
						description: body.caption ? String(body.caption) : undefined,
					});
				} else {
					await this.harness.userMessage({ user: this.agent, room, text: String(body.text ?? '') });
				}
				return this.reply(res, 200, {
					sentToWhatsApp: this.sim.sentMessages.slice(sendsBefore).map((m) => m.body),
					...this.shown(this.agent, before),
				});
			}
			case 'GET /sandbox/rooms':
				return this.reply(
					res,
					200,
					[...this.harness.world.rooms.values()]
						.filter((r) => r.type === 'l')
						.map((r) => ({
							id: r.id,
							open: r.isOpen,
							contact: (r.visitor as Json | undefined)?.name,
							token: (r.visitor as Json | undefined)?.token,
							servedBy: (r.servedBy as Json | undefined)?.username,
							messages: this.harness.world
								.messagesIn(r.id)
								.map((m) =>
									m.file ? `[file ${(m.file as Json).name as string}, ${(m.file as Json).type as string}]` : m.text,
								),
						})),
				);
			case 'POST /sandbox/status': {
				const status = String(body.status ?? 'delivered') as 'sent' | 'delivered' | 'read' | 'failed';
				const wamids = body.wamid ? [String(body.wamid)] : this.sim.sentMessages.map((m) => m.wamid);
				const webhooks = await this.sim.deliverStatuses(
					wamids.map((wamid) => ({ wamid, status })),
					{ batch: true },
				);
				return this.reply(res, 200, { statuses: wamids.length, webhooks });
			}
			default:
				return this.reply(res, 404, { error: `unknown sandbox route ${route}` });
		}
	}

	/** `{ file, type }`: a file on this machine and its MIME type. */
	private readFile(body: Json): { bytes: Buffer; name: string; type: string } | { error: string } {
		const file = String(body.file);
		if (!body.type) return { error: 'give the MIME type of the file as "type" (image/jpeg, application/pdf...)' };
		try {
			return { bytes: fs.readFileSync(file), name: path.basename(file), type: String(body.type) };
		} catch {
			return { error: `cannot read ${file}` };
		}
	}

	private reply(res: http.ServerResponse, status: number, body: unknown): true {
		res.writeHead(status, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(body, null, 2));
		return true;
	}
}

/** A password setting's value as a page or an answer sees it: that one is set, never the secret itself. */
export function hiddenSecret(setting: { type?: unknown }, value: unknown): unknown {
	return setting.type === 'password' && typeof value === 'string' && value ? '••••••••' : value;
}
