/**
 * Rocket.Chat's native outbound messages (engine 1.62+, Rocket.Chat 7.x/8.x with outbound
 * communication): the app is a phone provider whose templates are the connected numbers'
 * approved templates, and whose sends take the same path as the templateMessage endpoint.
 */
import { IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IOutboundMessage, IOutboundPhoneMessageProvider, IOutboundProviderTemplate, ProviderMetadata } from '@rocket.chat/apps-engine/definition/outboundCommunication';

import { AppError } from '../../core/errors';
import { ConnectedNumber, displayDigits } from '../../core/numbers/ConnectedNumber';
import { MetaTemplate } from '../../core/templates/template';
import { formatE164, normalizePhoneNumber } from '../../core/phone';
import { translator } from '../../core/i18n/translate';
import { NumberStore } from '../../adapters/persistence/NumberStore';
import { templateCatalog } from '../uikit/sendTemplate/SendTemplateFlow';
import { findNumber, sendTemplateBatch } from '../api/TemplateMessageEndpoint';

export const PROVIDER_NAME = 'WhatsApp Business';

/** Meta's template in the shape of Rocket.Chat's outbound template list (header, body and footer components, lower-case). */
function toProviderTemplate(t: MetaTemplate, number: ConnectedNumber): IOutboundProviderTemplate {
	const components = t.components
		.filter((c) => ['HEADER', 'BODY', 'FOOTER'].includes(c.type.toUpperCase()))
		.map((c) => {
			const type = c.type.toLowerCase();
			if (type === 'header') return { type, format: (c.format ?? 'TEXT').toLowerCase(), text: c.text, ...(c.example?.header_text ? { example: { headerText: c.example.header_text } } : {}) };
			if (type === 'body') return { type, text: c.text ?? '', ...(c.example?.body_text ? { example: { bodyText: c.example.body_text } } : {}) };
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
		components: components as IOutboundProviderTemplate['components'],
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

export function outboundProvider(appId: string): IOutboundPhoneMessageProvider {
	return {
		appId,
		name: PROVIDER_NAME,
		type: 'phone',
		supportsTemplates: true,
		async getProviderMetadata(read: IRead, _modify: IModify, http: IHttp, persistence: IPersistence): Promise<ProviderMetadata> {
			const templates: Record<string, IOutboundProviderTemplate[]> = {};
			for (const number of await new NumberStore(read.getPersistenceReader()).list()) {
				const list = await (await templateCatalog({ read, http, persistence }, number)).list(number.wabaId);
				templates[formatE164(displayDigits(number.displayPhoneNumber))] = list.map((t) => toProviderTemplate(t, number));
			}
			return { providerId: appId, providerName: PROVIDER_NAME, providerType: 'phone', supportsTemplates: true, templates };
		},
		async sendOutboundMessage(message: IOutboundMessage, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence): Promise<void> {
			const t = translator(undefined);
			const number = await findNumber(new NumberStore(read.getPersistenceReader()), message.templateProviderPhoneNumber);
			if (!number) throw new AppError({ code: 'number_not_connected', status: 400, message: t('api_error_number_not_connected', { number: message.templateProviderPhoneNumber }) });
			const to = normalizePhoneNumber(message.to);
			if (!to) throw new AppError({ code: 'invalid_recipient', status: 400, message: t('send_error_recipient') });
			const acc = { read, modify, http, persistence };
			const catalog = await templateCatalog(acc, number);
			const template = await catalog.find(number.wabaId, message.template.name, message.template.language.code);
			const body = {
				phoneNumbers: [to],
				connectedWhatsAppNo: number.phoneNumberId,
				template: message.template as never,
				targetAgent: message.agentId ? (await read.getUserReader().getById(message.agentId))?.username : undefined,
				targetDepartment: message.departmentId,
				dryRun: false,
			};
			const [result] = await sendTemplateBatch(body, number, [to], acc, t, template ? { template, catalog } : undefined);
			if (result.error) throw new AppError({ code: 'send_failed', status: 502, message: result.error.message });
		},
	};
}
