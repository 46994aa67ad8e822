/**
 * Messages of apps, as Rocket.Chat's AppMessageBridge handles them
 * (apps/meteor/app/apps/server/bridges/messages.ts).
 */
import { randomUUID } from 'crypto';

import { HarnessUser, Json } from '../world';
import { BridgeContext, BridgeMethods } from './context';

export function messageBridge({ world: w }: BridgeContext): BridgeMethods {
return {
		create: async (message: Json) => {
			const id = `msg-${randomUUID()}`;
			w.messages.push({ ...message, id, createdAt: new Date() });
			const room = message.room as Json | undefined;
			const stored = room && w.rooms.get(room.id as string);
			if (stored) stored.messageCount += 1;
			return id;
		},
		update: async (message: Json) => {
			const index = w.messages.findIndex((m) => m.id === message.id);
			if (index < 0) throw new Error(`MessageBridge.update: no message ${String(message.id)}`);
			w.messages[index] = { ...w.messages[index], ...message, editedAt: new Date() };
		},
		getById: async (id: string) => w.messages.find((m) => m.id === id),
		notifyUser: async (user: HarnessUser, message: Json) => void w.notifications.push({ user, message }),
		notifyRoom: async (room: Json, message: Json) => {
			const stored = w.rooms.get(room.id as string);
			for (const userId of stored?.userIds ?? []) {
				const user = w.users.get(userId);
				if (user) w.notifications.push({ user, message });
			}
		},
		typing: async () => undefined,
};
}
