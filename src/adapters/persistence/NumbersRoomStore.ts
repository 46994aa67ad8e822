/**
 * The room each admin last opened the numbers modal from (`/whatsapp connect`, `/whatsapp numbers`),
 * one record per user. Rocket.Chat's client sends no room with a modal's submit or block action
 * (ViewSubmitUserInteraction, ViewBlockActionUserInteraction in packages/core-typings), so a notice
 * about the form's outcome goes to the room kept here.
 */
import { IPersistence, IPersistenceRead } from '@rocket.chat/apps-engine/definition/accessors';
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Records } from './records';

const record = (userId: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, `numbers-room:${userId}`);

export class NumbersRoomStore {
	constructor(
		private readonly read: IPersistenceRead,
		private readonly persistence: IPersistence,
	) {}

	async get(userId: string): Promise<string | undefined> {
		const [kept] = (await this.read.readByAssociation(record(userId))) as Array<{ roomId?: unknown }>;
		return typeof kept?.roomId === 'string' ? kept.roomId : undefined;
	}

	async set(userId: string, roomId: string): Promise<void> {
		if ((await this.get(userId)) === roomId) return;
		await new Records(this.read, this.persistence).put([record(userId)], { roomId });
	}
}
