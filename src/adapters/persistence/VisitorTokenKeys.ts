/**
 * The installation's key for its visitors' tokens (core/app/visitorTokens.ts): one small record in
 * Rocket.Chat's persistence, made when the app is installed or updated (WhatsAppApp's onInstall and
 * onUpdate), else at first use. Each maker creates its own record rather than updating one: two
 * processes that made one at the same moment both keep theirs, and every reader then takes the same
 * one (`chooseTokenKey`, the oldest).
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { chooseTokenKey, newTokenKey, TokenKey } from '../../core/app/visitorTokens';

const KEYS = [new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, 'visitor-token-key')];

/**
 * The key stored; when there is none and `persistence` is given, a new one is stored, dated
 * `createdAt()` (read after the store is), and `made` tells so.
 */
async function storedOrMade(
	acc: { read: IPersistenceRead; persistence?: IPersistence },
	createdAt: () => number,
): Promise<{ stored?: TokenKey; made: boolean }> {
	const stored = chooseTokenKey(await acc.read.readByAssociations(KEYS));
	if (stored || !acc.persistence) return { stored, made: false };
	await acc.persistence.createWithAssociations(newTokenKey(createdAt()), KEYS);
	return { made: true };
}

/**
 * Makes the key when there is none: dated 0 at installation (no room of a version before can exist),
 * at an update dated then (rooms open then go on). The time is read after the store is: a key a job
 * made meanwhile at first use is older, and stays the one every reader takes.
 */
export async function makeVisitorTokenKey(
	acc: { read: IPersistenceRead; persistence: IPersistence },
	when: 'install' | 'update',
): Promise<void> {
	await storedOrMade(acc, () => (when === 'install' ? 0 : Date.now()));
}

/** The key stored, made first (dated now) when there is none and `persistence` is given. */
export async function visitorTokenKey(acc: { read: IPersistenceRead; persistence?: IPersistence }): Promise<TokenKey | undefined> {
	const { stored, made } = await storedOrMade(acc, () => Date.now());
	return made ? chooseTokenKey(await acc.read.readByAssociations(KEYS)) : stored;
}
