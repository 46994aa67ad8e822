/**
 * The app's settings as Rocket.Chat shows them to admins, built from the one table of settings in
 * the core (src/core/app/settings.ts): ids, defaults and parsing live there.
 */
import { ISetting, SettingType } from '@rocket.chat/apps-engine/definition/settings';

import { SETTING_DEFINITIONS, SettingKey } from '../core/app/settings';

const TYPES: Record<SettingKey, SettingType> = {
	statusEndpointUrl: SettingType.STRING,
	statusSigningSecret: SettingType.PASSWORD,
	statusRetryHours: SettingType.NUMBER,
	messageRetentionMs: SettingType.NUMBER,
	statusFilter: SettingType.SELECT,
	graphApiVersion: SettingType.STRING,
	// https, or a loopback address for a local simulator; any other value sends nothing (src/core/graph/baseUrl.ts).
	graphApiBaseUrl: SettingType.STRING,
	managerRoles: SettingType.STRING,
	agentRoles: SettingType.STRING,
	templateRefreshMinutes: SettingType.NUMBER,
	templateSentBy: SettingType.SELECT,
	templateRoutingHours: SettingType.NUMBER,
	inboundMediaMaxMb: SettingType.NUMBER,
	inboundMediaTypes: SettingType.STRING,
	agentNamePrefix: SettingType.BOOLEAN,
	markRead: SettingType.BOOLEAN,
	roomDeliveryState: SettingType.BOOLEAN,
	windowNoticeMinutes: SettingType.NUMBER,
	templateMessageRoles: SettingType.STRING,
	sendRatePerSecond: SettingType.NUMBER,
	unknownStatusWindowMinutes: SettingType.NUMBER,
	statusDeliveryConcurrency: SettingType.NUMBER,
	sendFromRuntime: SettingType.BOOLEAN,
};

/** Settings an admin may leave empty; the others are required. */
const OPTIONAL = new Set<SettingKey>([
	'statusEndpointUrl',
	'statusSigningSecret',
	'statusFilter',
	'templateSentBy',
	'inboundMediaTypes',
	'agentNamePrefix',
	'markRead',
	'roomDeliveryState',
	'sendFromRuntime',
]);

const CHOICES: Partial<Record<SettingKey, string[]>> = {
	statusFilter: ['all', 'regular', 'template'],
	templateSentBy: ['agent', 'bot'],
};

/** In the order admins see them. */
const ORDER: SettingKey[] = [
	'statusEndpointUrl',
	'statusSigningSecret',
	'statusRetryHours',
	'statusDeliveryConcurrency',
	'sendFromRuntime',
	'messageRetentionMs',
	'statusFilter',
	'graphApiVersion',
	'graphApiBaseUrl',
	'managerRoles',
	'agentRoles',
	'templateRefreshMinutes',
	'templateSentBy',
	'templateRoutingHours',
	'inboundMediaMaxMb',
	'inboundMediaTypes',
	'agentNamePrefix',
	'markRead',
	'roomDeliveryState',
	'windowNoticeMinutes',
	'templateMessageRoles',
	'sendRatePerSecond',
	'unknownStatusWindowMinutes',
];

export const SETTINGS: ISetting[] = ORDER.map((key) => {
	const { id, packageValue } = SETTING_DEFINITIONS[key];
	const choices = CHOICES[key];
	return {
		id,
		type: TYPES[key],
		packageValue,
		required: !OPTIONAL.has(key),
		public: false,
		i18nLabel: id,
		i18nDescription: `${id}_description`,
		...(choices ? { values: choices.map((choice) => ({ key: choice, i18nLabel: `${id}_${choice}` })) } : {}),
	};
});
