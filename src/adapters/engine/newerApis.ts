/**
 * Engine APIs newer than the oldest engine this app supports, declared here and read only where
 * the engine has them. app.json asks for `^1.47.0` (every Rocket.Chat 7.x and 8.x); the floor
 * typecheck (`npm run typecheck:floor`, tsconfig.floor.json) compiles the app against the 1.46.0
 * definitions, where an unguarded use of anything below fails the build.
 * test/types/engineCompat.ts checks these declarations against the pinned engine's own types.
 *
 * - Outbound communication (Rocket.Chat's native outbound messages): the accessor
 *   `IConfigurationExtend.outboundCommunication` exists from engine 1.55 (Rocket.Chat 7.10); its
 *   module was spelled `definition/outboundComunication` until 1.57; `agentId` and `departmentId`
 *   of a message came in 1.62.
 * - `IMessage.files`, every file of a message with several: engine 1.60 (Rocket.Chat 8.2). Before,
 *   Rocket.Chat's messages converter maps only `file`, the first one, and leaves the stored `files`
 *   (and an attachment's `fileId`) where it leaves every field it does not map: under
 *   `_unmappedProperties_` (apps/meteor/app/apps/server/converters/transformMappedData.ts).
 */
import { IConfigurationExtend, IHttp, IModify, IPersistence, IRead } from '@rocket.chat/apps-engine/definition/accessors';
import { IMessage, IMessageFile } from '@rocket.chat/apps-engine/definition/messages';

/** Rocket.Chat's outbound message to a phone provider (engine `IOutboundMessage`). */
export interface OutboundMessage {
	to: string;
	type: 'template';
	templateProviderPhoneNumber: string;
	/** Engine 1.62+. */
	agentId?: string;
	/** Engine 1.62+. */
	departmentId?: string;
	template: {
		name: string;
		language: { code: string; policy?: 'deterministic' | 'fallback' };
		components?: unknown[];
		namespace?: string;
	};
}

/** A template in Rocket.Chat's outbound list (engine `IOutboundProviderTemplate`). */
export interface OutboundProviderTemplate {
	id: string;
	name: string;
	language: string;
	type: string;
	category: string;
	status: string;
	qualityScore: { score: string; reasons: string[] | null };
	components: Array<
		| { type: 'header'; format?: 'text' | 'image' | 'video' | 'document'; text?: string; example?: { headerText?: string[] } }
		| { type: 'body'; text: string; example?: { bodyText: string[][] } }
		| { type: 'footer'; text: string }
	>;
	createdAt: string;
	createdBy: string;
	modifiedAt: string;
	modifiedBy: string;
	namespace: string;
	wabaAccountId: string;
	phoneNumber: string;
	partnerId: string;
	externalId: string;
	updatedExternal: string;
	rejectedReason: string | undefined;
}

/** The engine's `ProviderMetadata`. */
export interface OutboundProviderMetadata {
	providerId: string;
	providerName: string;
	providerType: 'phone' | 'email';
	supportsTemplates: boolean;
	templates: Record<string, OutboundProviderTemplate[]>;
}

/** The engine's `IOutboundPhoneMessageProvider`. */
export interface OutboundPhoneProvider {
	appId: string;
	name: string;
	type: 'phone';
	documentationUrl?: string;
	supportsTemplates?: boolean;
	getProviderMetadata(read: IRead, modify: IModify, http: IHttp, persistence: IPersistence): Promise<OutboundProviderMetadata>;
	sendOutboundMessage(message: OutboundMessage, read: IRead, modify: IModify, http: IHttp, persistence: IPersistence): Promise<void>;
}

/** The engine's `IOutboundCommunicationProviderExtend` (the part the app uses). */
export interface OutboundCommunicationExtend {
	registerPhoneProvider(provider: OutboundPhoneProvider): Promise<void>;
}

/** Where the engine takes outbound providers (1.55+); undefined on older engines. */
export function outboundCommunicationOf(configuration: IConfigurationExtend): OutboundCommunicationExtend | undefined {
	const extend = (configuration as IConfigurationExtend & { outboundCommunication?: OutboundCommunicationExtend }).outboundCommunication;
	return extend && typeof extend.registerPhoneProvider === 'function' ? extend : undefined;
}

/** Every file of a message: `files` (1.60+), else the stored ones the converter left unmapped; undefined when neither is there. */
export function messageFiles(message: IMessage): IMessageFile[] | undefined {
	const withFiles = message as IMessage & { files?: IMessageFile[]; _unmappedProperties_?: { files?: IMessageFile[] } };
	const files = withFiles.files ?? withFiles._unmappedProperties_?.files;
	return Array.isArray(files) ? files : undefined;
}
