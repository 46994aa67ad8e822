import { IHttp, ILogger, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';
import { UIKitSurfaceType } from '@rocket.chat/apps-engine/definition/uikit';

import { connectView, numbersView } from '../uikit/numbers/views';
import { appSettings, canManageNumbers, notifyUser, numberService, userTranslator, webhookInfo } from '../../adapters/factory';
import { NumbersRoomStore } from '../../adapters/persistence/NumbersRoomStore';
import { departmentNames } from '../../adapters/rocketchat/departments';
import { Translator, translator } from '../../core/i18n/translate';
import { checkStatusUrl } from '../../core/status/statusUrl';
import { outboxSummary, redeliverFailedOf as redeliverFailed } from '../../adapters/build/webhooks';
import { sightingsFor } from '../../adapters/persistence/SightingStore';
import { canSendTemplates, openSendTemplate } from '../uikit/sendTemplate/SendTemplateFlow';
import { describeTemplates } from '../uikit/sendTemplate/viewTemplates';

/** The words after `/whatsapp`; help is the fallback. */
export enum Subcommand {
	Help = 'help',
	SendTemplate = 'send-template',
	ViewTemplates = 'view-templates',
	Connect = 'connect',
	Numbers = 'numbers',
	Deliveries = 'deliveries',
}

interface Invocation {
	context: SlashCommandContext;
	read: IRead;
	modify: IModify;
	http: IHttp;
	persistence: IPersistence;
	t: Translator;
	appId: string;
	/** When the command reached the app (Date.now()). */
	startedAt: number;
}

type Handler = (inv: Invocation) => Promise<void>;

const ADMIN_ONLY = new Set<Subcommand>([Subcommand.Connect, Subcommand.Numbers, Subcommand.Deliveries]);
const AGENT_ONLY = new Set<Subcommand>([Subcommand.SendTemplate, Subcommand.ViewTemplates]);

/** The app, for its log: the Deno runtime hands a command that holds it the log of each run (as for the endpoints' `this.app`). */
export interface CommandApp {
	getLogger(): ILogger;
}

/** The i18n key of each error a failed status delivery can store (core/status/outbox.ts `lastError`), but `HTTP <status>`. */
const DELIVERY_ERRORS = new Map<string, string>([
	// The URL setting refused (core/app/delivery.ts): the reason, as core/status/statusUrl.ts names it.
	['status_url_not_absolute', 'status_url_not_absolute'],
	['status_url_scheme', 'status_url_scheme'],
	['timeout', 'deliveries_error_timeout'],
	['network_error', 'deliveries_error_network'],
	['redirect_error', 'deliveries_error_redirect'],
	// The runtime's own HTTP (adapters/directHttp.ts).
	['connection_closed', 'deliveries_error_connection_closed'],
	// Failed at the end of its retry window without an attempt.
	['expired', 'deliveries_error_expired'],
]);

/** A failed status event's stored error in words; an unknown code (a network error code such as ECONNREFUSED) as it is. */
export function deliveryErrorText(code: string, t: Translator): string {
	const http = /^HTTP (\d{3})$/.exec(code);
	if (http) return t('deliveries_error_http', { status: http[1] });
	const key = DELIVERY_ERRORS.get(code);
	return key ? t(key) : code;
}

const subcommandOf = (word: string): Subcommand | undefined =>
	(Object.values(Subcommand) as string[]).includes(word) ? (word as Subcommand) : undefined;

export class WhatsAppCommand implements ISlashCommand {
	command = 'whatsapp';
	i18nParamsExample = 'whatsapp_command_params';
	i18nDescription = 'whatsapp_command_description';
	providesPreview = false;

	private readonly handlers: Record<Subcommand, Handler> = {
		[Subcommand.Help]: (inv) => this.help(inv),
		[Subcommand.SendTemplate]: (inv) => this.sendTemplate(inv),
		[Subcommand.ViewTemplates]: async (inv) =>
			this.say(inv, await describeTemplates({ ...this.accessors(inv), appId: inv.appId }, inv.t)),
		[Subcommand.Connect]: (inv) => this.connect(inv),
		[Subcommand.Numbers]: (inv) => this.numbers(inv),
		[Subcommand.Deliveries]: (inv) => this.deliveries(inv),
	};

	/** `app` is where an error is logged; without it, none is (the user is still told). */
	constructor(
		private readonly appId: string,
		private readonly app?: CommandApp,
	) {}

	/**
	 * Runs a subcommand. An error of a store or of the engine does not reach Rocket.Chat: the user is
	 * told something went wrong, and the app's log gets the error's name only, as the endpoints log a
	 * 500 (a message may hold a URL, a token or a database address).
	 */
	async executor(context: SlashCommandContext, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence): Promise<void> {
		const inv: Invocation = {
			context,
			read,
			modify,
			http,
			persistence,
			t: translator(undefined),
			appId: this.appId,
			startedAt: Date.now(),
		};
		const word = (context.getArguments()[0] ?? '').toLowerCase();
		try {
			inv.t = await userTranslator(read, context.getSender());
			await this.run(inv, word);
		} catch (error) {
			const name = error instanceof Error ? error.name : 'error';
			this.app?.getLogger().error(`/whatsapp ${subcommandOf(word) ?? 'command'} failed: ${name}`);
			await this.say(inv, inv.t('error_internal')).catch(() => undefined);
		}
	}

	private async run(inv: Invocation, word: string): Promise<void> {
		const { context, read, t } = inv;
		const subcommand = subcommandOf(word);
		if (!subcommand) {
			if (word) await this.say(inv, t('command_unknown', { word }));
			return this.help(inv);
		}
		if (ADMIN_ONLY.has(subcommand) && !(await canManageNumbers(read, context.getSender()))) {
			return this.say(inv, t('command_not_allowed', { command: `/whatsapp ${subcommand}` }));
		}
		if (AGENT_ONLY.has(subcommand) && !(await canSendTemplates(read, context.getSender()))) {
			return this.say(inv, t('command_not_allowed', { command: `/whatsapp ${subcommand}` }));
		}
		return this.handlers[subcommand](inv);
	}

	private accessors(inv: Invocation) {
		return { read: inv.read, modify: inv.modify, http: inv.http, persistence: inv.persistence };
	}

	private async sendTemplate(inv: Invocation): Promise<void> {
		const notice = await openSendTemplate(
			{ ...this.accessors(inv), appId: inv.appId },
			{
				user: inv.context.getSender(),
				room: inv.context.getRoom(),
				triggerId: inv.context.getTriggerId() as string,
				t: inv.t,
				startedAt: inv.startedAt,
			},
		);
		if (notice) await this.say(inv, notice);
	}

	private say(inv: Invocation, message: string): Promise<void> {
		return notifyUser(inv, { user: inv.context.getSender(), room: inv.context.getRoom(), text: message });
	}

	private help(inv: Invocation): Promise<void> {
		const lines = Object.values(Subcommand).map((s) => `• \`/whatsapp ${s}\`: ${inv.t(`command_help_${s}`)}`);
		return this.say(inv, [inv.t('command_help_title'), ...lines].join('\n'));
	}

	/**
	 * Where a notice about the numbers modal goes (its submit carries no room): the room the admin is
	 * in. Kept after the modal opened (the client waits 5 s for it), and never at the modal's cost: a
	 * failure only leaves a slow submit without its notice, and is logged.
	 */
	private async keepNumbersRoom(inv: Invocation): Promise<void> {
		try {
			await new NumbersRoomStore(inv.read.getPersistenceReader(), inv.persistence).set(
				inv.context.getSender().id,
				inv.context.getRoom().id,
			);
		} catch (error) {
			this.app?.getLogger().error(`/whatsapp numbers: room not kept: ${error instanceof Error ? error.name : 'error'}`);
		}
	}

	private async connect(inv: Invocation): Promise<void> {
		await inv.modify
			.getUiController()
			.openSurfaceView(
				{ ...connectView(inv.t), type: UIKitSurfaceType.MODAL } as never,
				{ triggerId: inv.context.getTriggerId() as string },
				inv.context.getSender(),
			);
		await this.keepNumbersRoom(inv);
	}

	/** `/whatsapp deliveries [retry]`: the status events waiting or failed, and their redelivery. */
	private async deliveries(inv: Invocation): Promise<void> {
		const url = checkStatusUrl(await appSettings(inv.read).get('statusEndpointUrl'));
		// What keeps events from going out, said with the summary and with a retry alike.
		const blocked = (waiting: boolean): string[] =>
			url.kind === 'refused'
				? [inv.t('deliveries_url_refused', { reason: inv.t(url.reason) })]
				: // No URL: no delivery runs, so what waits stays as it is (and no new event is queued).
					url.kind === 'none' && waiting
					? [inv.t('deliveries_url_none')]
					: [];
		if ((inv.context.getArguments()[1] ?? '').toLowerCase() === 'retry') {
			const count = await redeliverFailed(inv.read, inv.persistence);
			return this.say(inv, [inv.t('deliveries_requeued', { count }), ...blocked(count > 0)].join('\n'));
		}
		const { pending, failed } = await outboxSummary(inv.read, inv.persistence);
		const lines = [inv.t('deliveries_summary', { pending: pending.length, failed: failed.length })];
		lines.push(...blocked(pending.length > 0 || failed.length > 0));
		for (const item of failed.slice(-10)) {
			lines.push(
				inv.t('deliveries_failed_entry', {
					id: item.id,
					status: item.payload.MessageStatus,
					mobileNo: item.payload.mobileNo,
					attempts: item.attempts,
					error: item.lastError ? deliveryErrorText(item.lastError, inv.t) : '-',
				}),
			);
		}
		if (failed.length) lines.push(inv.t('deliveries_retry_hint'));
		return this.say(inv, lines.join('\n'));
	}

	private async numbers(inv: Invocation): Promise<void> {
		const numbers = await (await numberService(inv.read, inv.http)).list();
		const webhook = await webhookInfo(inv.read, inv.persistence, inv.appId);
		const [departments, sightings] = await Promise.all([
			departmentNames(
				inv.read,
				numbers.map((n) => n.departmentId),
			),
			sightingsFor(inv.read.getPersistenceReader(), numbers),
		]);
		await inv.modify
			.getUiController()
			.openSurfaceView(
				{ ...numbersView({ t: inv.t, numbers, webhook, departments, sightings }), type: UIKitSurfaceType.MODAL } as never,
				{ triggerId: inv.context.getTriggerId() as string },
				inv.context.getSender(),
			);
		await this.keepNumbersRoom(inv);
	}
}
