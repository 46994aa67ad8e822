/**
 * Compile-time only (`npm run typecheck`, not jest): the local declarations of engine APIs newer
 * than the floor (src/adapters/engine/newerApis.ts) must agree with the pinned engine's own types,
 * so the provider the app registers is one the engine takes, and what the engine hands the app is
 * what the app reads. A drift in either direction fails the typecheck.
 */
import { IOutboundCommunicationProviderExtend } from '@rocket.chat/apps-engine/definition/accessors';
import { IMessage } from '@rocket.chat/apps-engine/definition/messages';
import {
	IOutboundMessage,
	IOutboundPhoneMessageProvider,
	IOutboundProviderTemplate,
	ProviderMetadata,
} from '@rocket.chat/apps-engine/definition/outboundCommunication';

import {
	messageFiles,
	OutboundCommunicationExtend,
	OutboundMessage,
	OutboundPhoneProvider,
	OutboundProviderMetadata,
	OutboundProviderTemplate,
} from '../../src/adapters/engine/newerApis';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const check = <T extends true>(value: T): T => value;

export const engineCompat = [
	// What the app registers is a provider the engine takes.
	((provider: OutboundPhoneProvider): IOutboundPhoneMessageProvider => provider) as unknown,
	// The engine's accessor takes the app's provider.
	((extend: IOutboundCommunicationProviderExtend): OutboundCommunicationExtend => extend) as unknown,
	// The engine's message is what the app reads.
	((message: IOutboundMessage): OutboundMessage => message) as unknown,
	check<Same<OutboundProviderTemplate, IOutboundProviderTemplate>>(true),
	check<Same<OutboundProviderMetadata, ProviderMetadata>>(true),
	// A message's files are read as the engine types them.
	check<Same<ReturnType<typeof messageFiles>, IMessage['files']>>(true),
];
