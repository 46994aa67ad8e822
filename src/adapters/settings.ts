import { ISetting, SettingType } from '@rocket.chat/apps-engine/definition/settings';

/** Setting ids; each doubles as the i18n key of its label, with a `_description` twin. */
export enum SettingId {
	StatusEndpointUrl = 'status_endpoint_url',
	StatusFilter = 'status_filter',
	GraphApiVersion = 'graph_api_version',
	GraphApiBaseUrl = 'graph_api_base_url',
	ManagerRoles = 'manager_roles',
	TemplateMessageRoles = 'template_message_roles',
	SendRatePerSecond = 'send_rate_per_second',
	StatusSigningSecret = 'status_signing_secret',
	StatusRetryHours = 'status_retry_hours',
	MessageRetentionDays = 'message_retention_days',
	AgentRoles = 'agent_roles',
	TemplateRefreshMinutes = 'template_refresh_minutes',
	TemplateSentBy = 'template_sent_by',
	TemplateRoutingHours = 'template_routing_hours',
	InboundMediaMaxMb = 'inbound_media_max_mb',
	InboundMediaTypes = 'inbound_media_types',
	AgentNamePrefix = 'agent_name_prefix',
	MarkRead = 'mark_read',
	WindowNoticeMinutes = 'window_notice_minutes',
}

/** Files a contact may send by default: what WhatsApp carries, minus nothing (a workspace narrows it). */
export const DEFAULT_INBOUND_MEDIA_TYPES = 'image/*, video/*, audio/*, application/pdf, text/plain, application/msword, application/vnd.openxmlformats-officedocument.*, application/vnd.ms-excel, application/vnd.ms-powerpoint';

export enum StatusFilter {
	All = 'all',
	Regular = 'regular',
	Template = 'template',
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v23.0';

function setting(id: SettingId, type: SettingType, packageValue: unknown, extra: Partial<ISetting> = {}): ISetting {
	return { id, type, packageValue, required: false, public: false, i18nLabel: id, i18nDescription: `${id}_description`, ...extra };
}

export const SETTINGS: ISetting[] = [
	setting(SettingId.StatusEndpointUrl, SettingType.STRING, ''),
	setting(SettingId.StatusSigningSecret, SettingType.PASSWORD, ''),
	setting(SettingId.StatusRetryHours, SettingType.NUMBER, 72, { required: true }),
	setting(SettingId.MessageRetentionDays, SettingType.NUMBER, 30, { required: true }),
	setting(SettingId.StatusFilter, SettingType.SELECT, StatusFilter.All, {
		values: [
			{ key: StatusFilter.All, i18nLabel: 'status_filter_all' },
			{ key: StatusFilter.Regular, i18nLabel: 'status_filter_regular' },
			{ key: StatusFilter.Template, i18nLabel: 'status_filter_template' },
		],
	}),
	setting(SettingId.GraphApiVersion, SettingType.STRING, DEFAULT_GRAPH_VERSION, { required: true }),
	// https, or a loopback address for a local simulator; any other value sends nothing (src/core/graph/baseUrl.ts).
	setting(SettingId.GraphApiBaseUrl, SettingType.STRING, DEFAULT_GRAPH_BASE_URL, { required: true }),
	setting(SettingId.ManagerRoles, SettingType.STRING, 'admin', { required: true }),
	setting(SettingId.AgentRoles, SettingType.STRING, 'admin, livechat-manager, livechat-agent', { required: true }),
	setting(SettingId.TemplateRefreshMinutes, SettingType.NUMBER, 5, { required: true }),
	setting(SettingId.TemplateSentBy, SettingType.SELECT, 'agent', {
		values: [
			{ key: 'agent', i18nLabel: 'template_sent_by_agent' },
			{ key: 'bot', i18nLabel: 'template_sent_by_bot' },
		],
	}),
	setting(SettingId.TemplateRoutingHours, SettingType.NUMBER, 72, { required: true }),
	setting(SettingId.InboundMediaMaxMb, SettingType.NUMBER, 16, { required: true }),
	setting(SettingId.InboundMediaTypes, SettingType.STRING, DEFAULT_INBOUND_MEDIA_TYPES),
	setting(SettingId.AgentNamePrefix, SettingType.BOOLEAN, false),
	setting(SettingId.MarkRead, SettingType.BOOLEAN, true),
	setting(SettingId.WindowNoticeMinutes, SettingType.NUMBER, 60, { required: true }),
	setting(SettingId.TemplateMessageRoles, SettingType.STRING, 'admin, livechat-manager', { required: true }),
	setting(SettingId.SendRatePerSecond, SettingType.NUMBER, 80, { required: true }),
];

/** "admin, livechat-manager" -> ["admin", "livechat-manager"]. */
export function parseRoles(value: unknown): string[] {
	return String(value ?? '')
		.split(',')
		.map((r) => r.trim())
		.filter(Boolean);
}
