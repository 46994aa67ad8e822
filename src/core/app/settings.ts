/**
 * The app's settings as the services read them: typed, parsed, and with their defaults, all in this
 * one table. The Apps-Engine setting definitions (src/adapters/settings.ts) are built from it, and
 * the adapters' settings reader (src/adapters/factory.ts) is the only code that reads raw values.
 */
import { DELIVERY_MAX_CEILING, DELIVERY_MAX_DEFAULT } from '../status/deliveryLimit';
import { parseStatusFilter, StatusFilter } from '../status/filter';
import { retentionMsFromDays } from '../status/retention';

export interface AppSettings {
	statusEndpointUrl: string;
	statusSigningSecret: string;
	statusRetryHours: number;
	/** Retention of message records, in milliseconds (whole days of the setting). */
	messageRetentionMs: number;
	statusFilter: StatusFilter;
	graphApiVersion: string;
	/** The raw "Graph API base URL": checked by core/graph/baseUrl.ts before any use. */
	graphApiBaseUrl: unknown;
	managerRoles: string[];
	agentRoles: string[];
	templateRefreshMinutes: number;
	templateSentBy: 'agent' | 'bot';
	templateRoutingHours: number;
	inboundMediaMaxMb: number;
	inboundMediaTypes: unknown;
	agentNamePrefix: boolean;
	markRead: boolean;
	/** A send from a room message shows its WhatsApp status on that message (core/app/roomDelivery.ts). */
	roomDeliveryState: boolean;
	/** 0 turns the notices off; at most 23 hours. */
	windowNoticeMinutes: number;
	templateMessageRoles: string[];
	sendRatePerSecond: number;
	/** How long a status of a message the app does not know yet is kept for its record to appear. */
	unknownStatusWindowMinutes: number;
	/** The most status POSTs in flight at once (to different messages; each message's stay in order): core/status/deliveryLimit.ts. */
	statusDeliveryConcurrency: number;
	/** Message sends and status callbacks from the app's runtime rather than through Rocket.Chat (adapters/directHttp.ts). */
	sendFromRuntime: boolean;
}

export type SettingKey = keyof AppSettings;

/** Reads one setting, parsed; each value is read at most once per handler run. */
export interface SettingsReader {
	get<K extends SettingKey>(key: K): Promise<AppSettings[K]>;
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v23.0';
/** Files a contact may send by default: what WhatsApp carries (a workspace narrows it). */
export const DEFAULT_INBOUND_MEDIA_TYPES =
	'image/*, video/*, audio/*, application/pdf, text/plain, application/msword, application/vnd.openxmlformats-officedocument.*, application/vnd.ms-excel, application/vnd.ms-powerpoint';

/** "admin, livechat-manager" -> ["admin", "livechat-manager"]. */
export function parseRoles(value: unknown): string[] {
	return String(value ?? '')
		.split(',')
		.map((r) => r.trim())
		.filter(Boolean);
}

const positive = (fallback: number) => (raw: unknown) => {
	const n = Number(raw);
	return Number.isFinite(n) && n > 0 ? n : fallback;
};
const text =
	(fallback = '') =>
	(raw: unknown) =>
		typeof raw === 'string' && raw ? raw : fallback;

/** "v23.0" (or "23.0", " v23.0 "): the version in Graph's form; anything else, which Graph would read as an object id, the default. */
const graphVersion = (raw: unknown) => {
	const version = typeof raw === 'string' ? /^v?(\d{1,3})\.(\d{1,3})$/i.exec(raw.trim()) : null;
	return version ? `v${version[1]}.${version[2]}` : DEFAULT_GRAPH_VERSION;
};

interface Definition<K extends SettingKey> {
	/** The Apps-Engine setting id, also the i18n key of its label (with a `_description` twin). */
	id: string;
	/** The package value an admin starts with. */
	packageValue: string | number | boolean;
	parse: (raw: unknown) => AppSettings[K];
}

/** Every setting: its id, its default and how its value is read. */
export const SETTING_DEFINITIONS: { [K in SettingKey]: Definition<K> } = {
	statusEndpointUrl: { id: 'status_endpoint_url', packageValue: '', parse: text() },
	// Without the spaces or line break a paste leaves around it: the receiver's copy has none.
	statusSigningSecret: { id: 'status_signing_secret', packageValue: '', parse: (raw) => text()(raw).trim() },
	statusRetryHours: { id: 'status_retry_hours', packageValue: 72, parse: positive(72) },
	messageRetentionMs: { id: 'message_retention_days', packageValue: 30, parse: retentionMsFromDays },
	statusFilter: { id: 'status_filter', packageValue: 'all', parse: parseStatusFilter },
	graphApiVersion: { id: 'graph_api_version', packageValue: DEFAULT_GRAPH_VERSION, parse: graphVersion },
	graphApiBaseUrl: { id: 'graph_api_base_url', packageValue: DEFAULT_GRAPH_BASE_URL, parse: (raw) => raw },
	managerRoles: { id: 'manager_roles', packageValue: 'admin', parse: parseRoles },
	agentRoles: { id: 'agent_roles', packageValue: 'admin, livechat-manager, livechat-agent', parse: parseRoles },
	templateRefreshMinutes: { id: 'template_refresh_minutes', packageValue: 5, parse: positive(5) },
	templateSentBy: { id: 'template_sent_by', packageValue: 'agent', parse: (raw) => (raw === 'bot' ? 'bot' : 'agent') },
	templateRoutingHours: { id: 'template_routing_hours', packageValue: 72, parse: positive(72) },
	inboundMediaMaxMb: { id: 'inbound_media_max_mb', packageValue: 16, parse: positive(16) },
	inboundMediaTypes: { id: 'inbound_media_types', packageValue: DEFAULT_INBOUND_MEDIA_TYPES, parse: (raw) => raw },
	agentNamePrefix: { id: 'agent_name_prefix', packageValue: false, parse: (raw) => Boolean(raw) },
	markRead: { id: 'mark_read', packageValue: true, parse: (raw) => Boolean(raw) },
	roomDeliveryState: { id: 'room_delivery_state', packageValue: true, parse: (raw) => Boolean(raw) },
	windowNoticeMinutes: {
		id: 'window_notice_minutes',
		packageValue: 60,
		parse: (raw) => {
			const minutes = Number(raw);
			return Number.isFinite(minutes) && minutes > 0 ? Math.min(minutes, 23 * 60) : 0;
		},
	},
	templateMessageRoles: { id: 'template_message_roles', packageValue: 'admin, livechat-manager', parse: parseRoles },
	sendRatePerSecond: { id: 'send_rate_per_second', packageValue: 80, parse: positive(80) },
	unknownStatusWindowMinutes: { id: 'unknown_status_window_minutes', packageValue: 15, parse: positive(15) },
	statusDeliveryConcurrency: {
		id: 'status_delivery_concurrency',
		packageValue: DELIVERY_MAX_DEFAULT,
		parse: (raw) => {
			const n = Math.floor(Number(raw));
			return Number.isFinite(n) && n >= 1 ? Math.min(n, DELIVERY_MAX_CEILING) : DELIVERY_MAX_DEFAULT;
		},
	},
	sendFromRuntime: { id: 'send_from_runtime', packageValue: false, parse: (raw) => raw === true },
};

/** A reader over fixed values, for unit tests of the services (raw values, parsed like the engine's). */
export function settingsOf(raw: Partial<Record<SettingKey, unknown>> = {}): SettingsReader {
	return {
		get: async <K extends SettingKey>(key: K) => {
			const definition = SETTING_DEFINITIONS[key];
			return definition.parse(key in raw ? raw[key] : definition.packageValue) as AppSettings[K];
		},
	};
}
