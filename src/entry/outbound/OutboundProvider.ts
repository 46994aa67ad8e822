/**
 * Rocket.Chat's native outbound messages (engine 1.55+, Rocket.Chat 7.10 and later; the types are
 * declared in adapters/engine/newerApis.ts, as older engines have none): the app is a phone provider whose templates are the connected numbers'
 * approved templates that Rocket.Chat's outbound form can fill, and whose sends (the form's message,
 * turned into Meta's shape: core/templates/outboundForm.ts) take the same path as the templateMessage endpoint.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { App } from '@rocket.chat/apps-engine/definition/App';

import { ConnectedNumber, displayDigits } from '../../core/numbers/ConnectedNumber';
import { MetaTemplate } from '../../core/templates/template';
import { formatE164 } from '../../core/phone';
import { sendTemplatesOf } from '../../adapters/build/templates';
import { workspaceTranslator } from '../../adapters/factory';
import { jobLogger } from '../jobs/statusJobs';
import {
	OutboundMessage,
	OutboundPhoneProvider,
	OutboundProviderMetadata,
	OutboundProviderTemplate,
} from '../../adapters/engine/newerApis';

export const PROVIDER_NAME = 'WhatsApp Business';

/** Meta's template in the shape of Rocket.Chat's outbound template list (header, body and footer components, lower-case). */
function toProviderTemplate(t: MetaTemplate, number: ConnectedNumber): OutboundProviderTemplate {
	const components = t.components
		.filter((c) => ['HEADER', 'BODY', 'FOOTER'].includes(c.type.toUpperCase()))
		.map((c) => {
			const type = c.type.toLowerCase();
			if (type === 'header')
				return {
					type,
					format: (c.format ?? 'TEXT').toLowerCase(),
					text: c.text,
					...(c.example?.header_text ? { example: { headerText: c.example.header_text } } : {}),
				};
			if (type === 'body')
				return { type, text: c.text ?? '', ...(c.example?.body_text ? { example: { bodyText: c.example.body_text } } : {}) };
			return { type, text: c.text ?? '' };
		});
	return {
		id: t.id ?? `${t.name}:${t.language}`,
		name: t.name,
		language: t.language,
		type: 'whatsapp',
		category: String(t.category ?? '').toLowerCase(),
		status: t.status.toLowerCase(),
		qualityScore: { score: 'unknown', reasons: null },
		components: components as OutboundProviderTemplate['components'],
		createdAt: '',
		createdBy: '',
		modifiedAt: '',
		modifiedBy: '',
		namespace: '',
		wabaAccountId: number.wabaId,
		phoneNumber: formatE164(displayDigits(number.displayPhoneNumber)),
		partnerId: '',
		externalId: t.id ?? '',
		updatedExternal: '',
		rejectedReason: undefined,
	};
}

/** The provider's methods as the engine calls them: `this` is the provider, whose `app` logs to the request's log on engines 1.62+. */
type Bound = { app?: unknown } | undefined;

/**
 * The provider of `app`. It holds the app, as an endpoint does, so that the runtime gives each call
 * an app that logs to that call's log (deno-runtime wrapComposedApp); older runtimes call it with the
 * provider as it is, and the app's logger, read as the call starts, is the one the engine set for it.
 */
export function outboundProvider(app: App): OutboundPhoneProvider & { app: App } {
	return {
		app,
		appId: app.getID(),
		name: PROVIDER_NAME,
		type: 'phone',
		supportsTemplates: true,
		async getProviderMetadata(
			this: Bound,
			read: IRead,
			_modify: IModify,
			http: IHttp,
			persistence: IPersistence,
		): Promise<OutboundProviderMetadata> {
			const service = await sendTemplatesOf({ read, http, persistence, logger: jobLogger(this?.app, app) });
			const templates: Record<string, OutboundProviderTemplate[]> = {};
			for (const { number, templates: list } of await service.templatesOfNumbers())
				templates[formatE164(displayDigits(number.displayPhoneNumber))] = list.map((t) => toProviderTemplate(t, number));
			return { providerId: app.getID(), providerName: PROVIDER_NAME, providerType: 'phone', supportsTemplates: true, templates };
		},
		async sendOutboundMessage(
			this: Bound,
			message: OutboundMessage,
			read: IRead,
			modify: IModify,
			http: IHttp,
			persistence: IPersistence,
		): Promise<void> {
			const service = await sendTemplatesOf({ read, http, persistence, modify, logger: jobLogger(this?.app, app) });
			const targetAgent = message.agentId ? (await read.getUserReader().getById(message.agentId))?.username : undefined;
			await service.sendOutbound({
				providerNumber: message.templateProviderPhoneNumber,
				to: message.to,
				template: message.template as never,
				routing: { targetAgent, targetDepartment: message.departmentId },
				t: await workspaceTranslator(read),
			});
		},
	};
}
