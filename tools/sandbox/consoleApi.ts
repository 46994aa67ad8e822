/**
 * The web console's JSON API (under `/sandbox/ui/`), beside the control API of control.ts. The
 * console is a Rocket.Chat client for two users (`agent`, `admin`), a phone per contact, and an admin
 * page; everything it does goes through the same harness calls as the tests: slash commands, messages
 * and uploads through Rocket.Chat's send path, UIKit block actions, submits and closes through the
 * engine (AppHarness, which holds each user's modal as Rocket.Chat's client does: rc/uikit.ts).
 *
 *   GET  /sandbox/ui/state?user=&room=        rooms, the open room's history (with the user's ephemeral notices), the open modal
 *   POST /sandbox/ui/command  { user, room, command }
 *   POST /sandbox/ui/message  { user, room, text }
 *   POST /sandbox/ui/upload   { user, room, name, type, data (base64), description? }
 *   POST /sandbox/ui/action   { user, viewId, actionId, blockId, value? }   a block action in the open modal
 *   POST /sandbox/ui/submit   { user, viewId, state }                        the modal's submit
 *   POST /sandbox/ui/close    { user, viewId }                               the modal's Cancel or ×
 *   GET  /sandbox/ui/phone?contact=           contacts and one contact's chat
 *   POST /sandbox/ui/phone/send { contact, text } | { contact, name, type, data, caption? }
 *   POST /sandbox/ui/phone/read { contact, wamids }                           the phone shows them: Meta's statuses up to read
 *   GET  /sandbox/ui/media/<id>                                              a media of the simulator (a contact's, or one the app uploaded)
 *   GET  /sandbox/ui/admin                                                   settings, connected numbers, status sink log, outbox
 *   GET  /file-upload/<id>/<name>                                            a file in Rocket.Chat's Uploads store (the links of file messages)
 */
import * as http from 'http';
import { URL } from 'url';

import { AppHarness } from '../harness/AppHarness';
import { HarnessRoom, HarnessUser, Json } from '../harness/world';
import { hiddenSecret } from './control';
import { Phones } from './phones';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export interface SinkEntry {
	at: number;
	body: unknown;
	raw: string;
}

const EN = (() => {
	try {
		return require('../../i18n/en.json') as Record<string, string>;
	} catch {
		return {} as Record<string, string>;
	}
})();

export class ConsoleApi {
	/** When the console first saw each ephemeral notice (Rocket.Chat shows them where they arrive). */
	private readonly noticeSeen = new WeakMap<object, number>();

	constructor(
		private readonly harness: AppHarness,
		private readonly phones: Phones,
		private readonly users: { agent: HarnessUser; admin: HarnessUser },
		private readonly general: HarnessRoom,
		private readonly statusLog: SinkEntry[],
		private readonly sinkUrl: string,
	) {}

	async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
		const file = url.pathname.match(/^\/file-upload\/([^/]+)\//);
		if (req.method === 'GET' && file) {
			const upload = this.harness.world.uploads.find((u) => u.id === file[1]);
			if (!upload) return this.reply(res, 404, { error: 'no such file' });
			res.writeHead(200, {
				'Content-Type': upload.type,
				'Content-Disposition': `inline; filename="${encodeURIComponent(upload.name)}"`,
			});
			res.end(upload.buffer);
			return true;
		}
		const media = url.pathname.match(/^\/sandbox\/ui\/media\/([^/]+)$/);
		if (req.method === 'GET' && media) {
			const found = this.phones.media(decodeURIComponent(media[1]));
			if (!found) return this.reply(res, 404, { error: 'no such media' });
			res.writeHead(200, { 'Content-Type': found.mimeType });
			res.end(found.bytes);
			return true;
		}
		if (!url.pathname.startsWith('/sandbox/ui/')) return false;
		let body: Json = {};
		if (req.method === 'POST') {
			const chunks: Buffer[] = [];
			for await (const chunk of req) chunks.push(chunk as Buffer);
			try {
				body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
			} catch {
				return this.reply(res, 400, { error: 'the body must be JSON' });
			}
		}
		const query = Object.fromEntries(url.searchParams.entries());
		const route = `${req.method} ${url.pathname}`;
		try {
			switch (route) {
				case 'GET /sandbox/ui/state':
					return this.reply(res, 200, this.state(this.user(query.user), query.room));
				case 'POST /sandbox/ui/command':
					return this.reply(res, 200, await this.command(body));
				case 'POST /sandbox/ui/message':
					return this.reply(res, 200, await this.message(body));
				case 'POST /sandbox/ui/upload':
					return this.reply(res, 200, await this.upload(body));
				case 'POST /sandbox/ui/action':
					return this.reply(res, 200, await this.action(body));
				case 'POST /sandbox/ui/submit':
					return this.reply(res, 200, await this.submit(body));
				case 'POST /sandbox/ui/close':
					return this.reply(res, 200, await this.close(body));
				case 'GET /sandbox/ui/phone':
					return this.reply(res, 200, {
						contacts: this.phones.contacts(),
						chat: query.contact ? this.phones.chat(query.contact) : [],
					});
				case 'POST /sandbox/ui/phone/send': {
					const contact = String(body.contact ?? '');
					if (!contact) return this.reply(res, 400, { error: 'name the contact (its WhatsApp id)' });
					if (body.data) {
						const sent = await this.phones.sendFile(contact, {
							bytes: Buffer.from(String(body.data), 'base64'),
							type: String(body.type ?? 'application/octet-stream'),
							name: String(body.name ?? 'file'),
							caption: body.caption ? String(body.caption) : undefined,
						});
						return this.reply(res, 200, sent);
					}
					return this.reply(res, 200, await this.phones.sendText(contact, String(body.text ?? '')));
				}
				case 'POST /sandbox/ui/phone/read':
					return this.reply(res, 200, {
						statuses: await this.phones.read(String(body.contact ?? ''), (body.wamids as string[] | undefined) ?? []),
					});
				case 'GET /sandbox/ui/admin':
					return this.reply(res, 200, this.admin());
				default:
					return this.reply(res, 404, { error: `unknown console route ${route}` });
			}
		} catch (error) {
			return this.reply(res, 500, { error: error instanceof Error ? error.message : String(error) });
		}
	}

	private user(name: unknown): HarnessUser {
		return name === 'admin' ? this.users.admin : this.users.agent;
	}

	private room(id: unknown): HarnessRoom | undefined {
		return this.harness.world.rooms.get(String(id ?? '')) ?? (id ? undefined : this.general);
	}

	/** The rooms a user's sidebar lists: the general room, then the WhatsApp (omnichannel) rooms, open ones first. */
	private rooms(): Json[] {
		const livechat = [...this.harness.world.rooms.values()].filter((r) => r.type === 'l');
		const last = (r: HarnessRoom) => {
			const messages = this.harness.world.messagesIn(r.id);
			return messages.length ? new Date(messages[messages.length - 1].createdAt as Date).getTime() : r.createdAt.getTime();
		};
		livechat.sort((a, b) => Number(b.isOpen) - Number(a.isOpen) || last(b) - last(a));
		return [this.general, ...livechat].map((r) => ({
			id: r.id,
			name: r.type === 'l' ? String((r.visitor as Json | undefined)?.name ?? r.displayName ?? r.slugifiedName) : r.slugifiedName,
			kind: r.type === 'l' ? 'whatsapp' : 'channel',
			open: r.type === 'l' ? Boolean(r.isOpen) : true,
			servedBy: (r.servedBy as Json | undefined)?.username,
			contact: String((r.visitor as Json | undefined)?.token ?? '').split(':')[2],
		}));
	}

	private state(user: HarnessUser, roomId?: string): Json {
		const room = this.room(roomId) ?? this.general;
		const modal = this.harness.openModal(user);
		return {
			user: { id: user.id, username: user.username, roles: user.roles },
			rooms: this.rooms(),
			room: { id: room.id, messages: this.history(user, room) },
			modal: modal ? { view: modal.view, errors: modal.errors ?? null } : null,
		};
	}

	/** The room's messages, then the user's ephemeral notices for it where they arrived. */
	private history(user: HarnessUser, room: HarnessRoom): Json[] {
		const world = this.harness.world;
		const stored = world.messagesIn(room.id).map((m) => this.shown(m, false));
		const notices = world.notifications
			.filter((n) => n.user.id === user.id && (n.message.room as Json | undefined)?.id === room.id)
			.map((n) => {
				if (!this.noticeSeen.has(n.message)) this.noticeSeen.set(n.message, Date.now());
				return this.shown({ ...n.message, createdAt: new Date(this.noticeSeen.get(n.message)!) }, true);
			});
		return [...stored, ...notices].sort((a, b) => Number(a.at) - Number(b.at));
	}

	/** A message as the client draws it: who, when, text, attachments (files, quotes), and whether only this user sees it. */
	private shown(m: Json, ephemeral: boolean): Json {
		const sender = (m.sender as Json | undefined) ?? {};
		return {
			id: m.id ?? `notice-${Math.random()}`,
			at: new Date((m.createdAt as Date | undefined) ?? Date.now()).getTime(),
			author: String(m.alias ?? sender.name ?? sender.username ?? 'Rocket.Chat'),
			username: String(sender.username ?? ''),
			fromVisitor: Boolean(m.token),
			text: String(m.text ?? ''),
			attachments: (m.attachments as Json[] | undefined) ?? [],
			file: m.file ?? null,
			edited: Boolean(m.editedAt),
			customFields: m.customFields ?? null,
			ephemeral,
		};
	}

	private async command(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const room = this.room(body.room);
		if (!room) return { error: 'no such room' };
		const words = String(body.command ?? '')
			.trim()
			.replace(/^\//, '')
			.split(/\s+/);
		await this.harness.command(words[0], words.slice(1), { user, room });
		return { ok: true, appErrors: this.harness.takeAppErrors() };
	}

	/** The user posts in the room (an agent answering a WhatsApp room joins it, as the served agent is subscribed). */
	private async message(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const room = this.room(body.room);
		if (!room) return { error: 'no such room' };
		this.join(room, user);
		try {
			await this.harness.userMessage({ user, room, text: String(body.text ?? '') });
		} catch (error) {
			return { error: error instanceof Error ? error.message : String(error) };
		}
		return { ok: true, appErrors: this.harness.takeAppErrors() };
	}

	private async upload(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const room = this.room(body.room);
		if (!room) return { error: 'no such room' };
		this.join(room, user);
		await this.harness.uploadFile({
			user,
			room,
			name: String(body.name ?? 'file'),
			type: String(body.type ?? 'application/octet-stream'),
			bytes: Buffer.from(String(body.data ?? ''), 'base64'),
			description: body.description ? String(body.description) : undefined,
		});
		return { ok: true, appErrors: this.harness.takeAppErrors() };
	}

	private join(room: HarnessRoom, user: HarnessUser): void {
		if (!room.userIds.includes(user.id)) {
			room.userIds.push(user.id);
			room.usernames.push(user.username);
		}
	}

	private async action(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const response = await this.harness.blockAction({
			user,
			actionId: String(body.actionId),
			blockId: String(body.blockId ?? ''),
			value: body.value,
			view: { id: String(body.viewId) },
		});
		return { response: response ?? null, appErrors: this.harness.takeAppErrors() };
	}

	private async submit(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const response = await this.harness.viewSubmit({
			user,
			view: { id: String(body.viewId) },
			state: (body.state as Record<string, Record<string, unknown>> | undefined) ?? {},
		});
		return { response: response ?? null, appErrors: this.harness.takeAppErrors() };
	}

	private async close(body: Json): Promise<Json> {
		const user = this.user(body.user);
		const response = await this.harness.viewClosed({ user, view: { id: String(body.viewId) } });
		return { response: response ?? null, appErrors: this.harness.takeAppErrors() };
	}

	/** Marketplace > Installed > WhatsApp Business (settings), the connected numbers, the status sink, the outbox. */
	private admin(): Json {
		const settings = this.harness.manager.getSettingsManager().getAppSettings(this.harness.appId) as Record<string, Any>;
		const records = this.harness.world.persistence;
		const has = (r: { associations: Array<{ id: string }> }, id: string) => r.associations.some((a) => a.id === id);
		return {
			settings: Object.values(settings)
				.sort((a, b) => Number(a.section ?? 0) - Number(b.section ?? 0))
				.map((s) => ({
					id: s.id,
					type: s.type,
					// A setting never changed has no value: Rocket.Chat shows (and the app reads) its packageValue.
					// A password setting (the status signing secret) is never sent to the page: the form saves only
					// what the admin types, so the stored secret stays unless replaced.
					value: hiddenSecret(s, s.value ?? s.packageValue),
					packageValue: hiddenSecret(s, s.packageValue),
					label: EN[s.i18nLabel] ?? s.i18nLabel ?? s.id,
					description: EN[s.i18nDescription] ?? s.i18nDescription ?? '',
					values: Array.isArray(s.values)
						? s.values.map((v: Any) => ({ key: v.key, label: EN[v.i18nLabel] ?? v.i18nLabel }))
						: undefined,
					multiline: Boolean(s.multiline),
				})),
			numbers: records
				.filter((r) => has(r, 'whatsapp-number'))
				.map((r) => {
					const n = r.data as Json;
					const masked = (v: unknown) => (typeof v === 'string' && v ? `••••${v.slice(-4)}` : '');
					return {
						phoneNumberId: n.phoneNumberId,
						wabaId: n.wabaId,
						displayPhoneNumber: n.displayPhoneNumber ?? n.display ?? '',
						verifiedName: n.verifiedName ?? '',
						department: n.department ?? n.departmentId ?? '',
						accessToken: masked(n.accessToken),
						appSecret: masked(n.appSecret),
						connectedAt: n.connectedAt,
					};
				}),
			sinkUrl: this.sinkUrl,
			statusLog: this.statusLog.slice(-200),
			outbox: {
				pending: records.filter((r) => has(r, 'outbox:pending')).map((r) => r.data),
				failed: records.filter((r) => has(r, 'outbox:failed')).map((r) => r.data),
			},
		};
	}

	private reply(res: http.ServerResponse, status: number, body: unknown): true {
		res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
		res.end(JSON.stringify(body));
		return true;
	}
}
