/**
 * A message with several files, as Rocket.Chat's `parseMultipleFilesIntoMessageAttachments` builds it
 * (apps/meteor/app/file-upload/server/methods/sendFileMessage.ts): `file` is the first file, `files`
 * every file (each image followed by its thumbnail), one attachment per file. Then IPostMessageSent
 * fires with the message as the running engine's Rocket.Chat hands it over (engineVersion.ts
 * `asAppMessage`: no `files` before Rocket.Chat 8.2 / engine 1.60), and this waits for the handlers.
 */
import { AppInterface } from '@rocket.chat/apps-engine/definition/metadata/AppInterface';

import type { AppHarness } from '../AppHarness';
import { asAppMessage } from '../engineVersion';
import { HarnessRoom, HarnessUser, Json } from '../world';
import { toAppRoom } from './rooms';

export async function uploadFiles(
	harness: AppHarness,
	spec: { user: HarnessUser; room: HarnessRoom; files: Array<{ name: string; type: string; bytes: Buffer; description?: string }> },
): Promise<Json> {
	const world = harness.world;
	const stored = spec.files.map((file) =>
		world.storeFile({
			room: spec.room,
			name: file.name,
			type: file.type,
			buffer: file.bytes,
			userId: spec.user.id,
			sender: harness.appUser(spec.user),
			description: file.description,
		}),
	);
	// storeFile posts one message per file; Rocket.Chat posts one for them all.
	for (const { message } of stored) world.messages.splice(world.messages.indexOf(message), 1);
	spec.room.messageCount -= stored.length - 1;
	const [first] = stored;
	const message: Json = {
		...first.message,
		files: stored.flatMap(({ message: m }) => m.files as Json[]),
		attachments: stored.flatMap(({ message: m }) => m.attachments as Json[]),
	};
	world.messages.push(message);
	// The messages converter gives the room through the rooms converter (rc/rooms.ts).
	harness.bridges.events.fire(AppInterface.IPostMessageSent, asAppMessage({ ...message, room: toAppRoom(world, spec.room) }));
	await harness.settled();
	return message;
}
