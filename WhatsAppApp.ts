import {
	IAppAccessors,
	IAppInstallationContext,
	IAppUpdateContext,
	IConfigurationExtend,
	IConfigurationModify,
	IEnvironmentRead,
	IHttp,
	ILogger,
	IModify,
	IPersistence,
	IRead,
} from '@rocket.chat/apps-engine/definition/accessors';
import { ApiSecurity, ApiVisibility } from '@rocket.chat/apps-engine/definition/api';
import { App } from '@rocket.chat/apps-engine/definition/App';
import {
	ILivechatEventContext,
	ILivechatRoom,
	IPostLivechatAgentAssigned,
	IPostLivechatRoomClosed,
} from '@rocket.chat/apps-engine/definition/livechat';
import {
	IMessage,
	IMessageDeleteContext,
	IPostMessageDeleted,
	IPostMessageSent,
	IPostMessageUpdated,
} from '@rocket.chat/apps-engine/definition/messages';
import { IAppInfo } from '@rocket.chat/apps-engine/definition/metadata';
import { ISetting } from '@rocket.chat/apps-engine/definition/settings';
import { IUser } from '@rocket.chat/apps-engine/definition/users';
import { ISettingUpdateContext } from '@rocket.chat/apps-engine/definition/settings/ISettingUpdateContext';
import {
	IUIKitResponse,
	UIKitBlockInteractionContext,
	UIKitInteractionContext,
	UIKitViewCloseInteractionContext,
	UIKitViewSubmitInteractionContext,
} from '@rocket.chat/apps-engine/definition/uikit';

import { CampaignEndpoint } from './src/entry/api/CampaignEndpoint';
import { campaignProcessors, pauseCampaigns } from './src/entry/jobs/campaignJobs';
import { outboundProvider } from './src/entry/outbound/OutboundProvider';
import { TemplateMessageEndpoint } from './src/entry/api/TemplateMessageEndpoint';
import { WhatsAppCommand } from './src/entry/command/WhatsAppCommand';
import { onAgentAssigned, onRoomClosed, relayAgentReply } from './src/entry/events/AgentReplies';
import { onMessageDeleted, onMessageEdited } from './src/entry/events/AgentEdits';
import { windowProcessors } from './src/entry/jobs/windowNotice';
import { handleNumberAction, isNumberAction, isNumberView, submitNumberView } from './src/entry/uikit/numbers/NumberInteractions';
import { SETTINGS } from './src/adapters/settings';
import { outboundCommunicationOf } from './src/adapters/engine/newerApis';
import { RUN_CAMPAIGNS_JOB } from './src/adapters/build/campaigns';
import { statusProcessors } from './src/entry/jobs/statusJobs';
import { isSendView, onSendAction, onSendClosed, onSendSubmit, sendActionErrorOn } from './src/entry/uikit/sendTemplate/SendTemplateFlow';
import { WebhookEndpoint } from './src/entry/api/WebhookEndpoint';
import { answering, Failure } from './src/entry/uikit/failed';
import { userTranslator } from './src/adapters/factory';
import { makeVisitorTokenKey } from './src/adapters/persistence/VisitorTokenKeys';

/** Wires the app's parts into the engine; every decision lives in src/. */
export class WhatsAppApp
	extends App
	implements IPostMessageSent, IPostMessageUpdated, IPostMessageDeleted, IPostLivechatRoomClosed, IPostLivechatAgentAssigned
{
	constructor(info: IAppInfo, logger: ILogger, accessors: IAppAccessors) {
		super(info, logger, accessors);
	}

	protected async extendConfiguration(configuration: IConfigurationExtend, _environment: IEnvironmentRead): Promise<void> {
		await Promise.all(SETTINGS.map((setting) => configuration.settings.provideSetting(setting)));
		// Disabling keeps the command registered (AppManager.disable, keepSlashcommands in engine 1.62): on
		// enabling again the engine refuses it as "already exists", and the kept one serves.
		await configuration.slashCommands.provideSlashCommand(new WhatsAppCommand(this.getID(), this)).catch((error: unknown) => {
			if (!/already exists/.test(String((error as { message?: unknown })?.message ?? error))) throw error;
		});
		await configuration.scheduler.registerProcessors([...statusProcessors(this), ...windowProcessors(), ...campaignProcessors()]);
		// Rocket.Chat's native outbound messages exist from engine 1.55 on; older servers skip this.
		const outbound = outboundCommunicationOf(configuration);
		if (outbound) await outbound.registerPhoneProvider(outboundProvider(this));
		await configuration.api.provideApi({
			visibility: ApiVisibility.PUBLIC,
			security: ApiSecurity.UNSECURE,
			endpoints: [new WebhookEndpoint(this), new TemplateMessageEndpoint(this), new CampaignEndpoint(this)],
		});
	}

	// The visitors' token key (src/core/app/visitorTokens.ts), before any contact: a new installation
	// has no conversation of a version before; an update lets those open at that moment go on. A failure
	// is logged, never thrown (the engine would leave an updated app disabled): the key is made at first use.
	public async onInstall(_context: IAppInstallationContext, read: IRead, _http: IHttp, persistence: IPersistence): Promise<void> {
		await makeVisitorTokenKey({ read: read.getPersistenceReader(), persistence }, 'install').catch((error: unknown) =>
			this.getLogger().warn(`visitor token key not made at installation: ${error instanceof Error ? error.name : 'error'}`),
		);
	}

	public async onUpdate(_context: IAppUpdateContext, read: IRead, _http: IHttp, persistence: IPersistence): Promise<void> {
		await makeVisitorTokenKey({ read: read.getPersistenceReader(), persistence }, 'update').catch((error: unknown) =>
			this.getLogger().warn(`visitor token key not made at the update: ${error instanceof Error ? error.name : 'error'}`),
		);
	}

	// The setting as the admin saved it, left to the engine: it takes the new setting when the app answers
	// none (AppSettingsManager.updateAppSetting, `|| setting`). Answering it (the App class's default) would
	// have the engine's runtime write it, the signing secret's or a status URL's credentials included, to
	// the app's log (deno-runtime handlers/app/handler.ts logs every app method's result).
	public async onPreSettingUpdate(_context: ISettingUpdateContext): Promise<ISetting> {
		return undefined as unknown as ISetting;
	}

	// Campaigns stop sending while the app is disabled and resume once it is enabled (src/entry/jobs/campaignJobs.ts).
	public async onEnable(_environment: IEnvironmentRead, configuration: IConfigurationModify): Promise<boolean> {
		pauseCampaigns(false);
		await configuration.scheduler.scheduleOnce({ id: RUN_CAMPAIGNS_JOB, when: new Date() });
		return true;
	}

	public async onDisable(_configuration: IConfigurationModify): Promise<void> {
		pauseCampaigns(true);
	}

	public async executePostMessageSent(
		message: IMessage,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify: IModify,
	): Promise<void> {
		await relayAgentReply({ read, http, persistence, modify, logger: this.getLogger() }, message);
	}

	// An edit or deletion of a message sent to WhatsApp reaches no one there: the agent is told (src/entry/events/AgentEdits.ts).
	public async executePostMessageUpdated(
		message: IMessage,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify: IModify,
	): Promise<void> {
		await onMessageEdited({ read, http, persistence, modify, logger: this.getLogger() }, message);
	}

	public async executePostMessageDeleted(
		message: IMessage,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify: IModify,
		context?: IMessageDeleteContext,
	): Promise<void> {
		await onMessageDeleted({ read, http, persistence, modify, logger: this.getLogger() }, message, context);
	}

	public async executePostLivechatRoomClosed(
		room: ILivechatRoom,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify?: IModify,
	): Promise<void> {
		if (modify) await onRoomClosed({ read, http, persistence, modify }, room, this.getLogger());
	}

	public async executePostLivechatAgentAssigned(
		context: ILivechatEventContext,
		read: IRead,
		http: IHttp,
		_persistence: IPersistence,
	): Promise<void> {
		await onAgentAssigned({ read, http }, context.room, this.getLogger());
	}

	public async executeViewSubmitHandler(
		context: UIKitViewSubmitInteractionContext,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify: IModify,
	): Promise<IUIKitResponse> {
		const { view, user } = context.getInteractionData();
		const acc = { read, http, persistence, modify, appId: this.getID(), logger: this.getLogger() };
		return this.answering(context, { kind: 'submit', view: view as never }, `submit of view ${view.id}`, read, user, async () => {
			if (isNumberView(view.id)) return submitNumberView(context, acc);
			if (isSendView(view.id)) return onSendSubmit(context, acc);
			return context.getInteractionResponder().successResponse();
		});
	}

	public async executeViewClosedHandler(
		context: UIKitViewCloseInteractionContext,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify: IModify,
	): Promise<IUIKitResponse> {
		const { view, user } = context.getInteractionData();
		return this.answering(context, { kind: 'close' }, `close of view ${view.id}`, read, user, async () => {
			if (isSendView(view.id)) return onSendClosed(context, { read, http, persistence, modify, appId: this.getID() });
			return context.getInteractionResponder().successResponse();
		});
	}

	public async executeBlockActionHandler(
		context: UIKitBlockInteractionContext,
		read: IRead,
		http: IHttp,
		persistence: IPersistence,
		modify: IModify,
	): Promise<IUIKitResponse> {
		const { actionId, container, user } = context.getInteractionData();
		const viewId = String(container?.type) === 'view' ? container.id : undefined;
		// The numbers list has no input for a notice: a modal takes its place.
		const errorOn = isNumberAction(actionId) ? undefined : sendActionErrorOn(actionId);
		return this.answering(context, { kind: 'action', viewId, errorOn }, `action ${actionId}`, read, user, async () => {
			if (isNumberAction(actionId)) return handleNumberAction(context, { read, http, persistence, modify, appId: this.getID() });
			if (container && isSendView(container.id))
				return onSendAction(context, { read, http, persistence, modify, appId: this.getID(), logger: this.getLogger() });
			return context.getInteractionResponder().successResponse();
		});
	}

	/** A UIKit handler's unexpected failure is logged and shown to the user (src/entry/uikit/failed.ts), never thrown. */
	private answering(
		context: UIKitInteractionContext,
		failure: Failure,
		what: string,
		read: IRead,
		user: IUser,
		run: () => Promise<IUIKitResponse>,
	): Promise<IUIKitResponse> {
		return answering(
			{ context, failure, what: `uikit: ${what}`, logger: this.getLogger(), translate: () => userTranslator(read, user) },
			run,
		);
	}
}
