/**
 * An agent's files as the engine hands them over: every file from engine 1.60 on (`files`), only
 * the first (`file`) before, the rest counted so that the agent is told (src/entry/events/AgentReplies.ts).
 * The message shapes are those of Rocket.Chat's sendFileMessage (tools/harness/world.ts `postFiles`).
 */
import { IMessage } from '@rocket.chat/apps-engine/definition/messages';

import { filesOf } from '../../../src/entry/events/AgentReplies';

const file = (id: string, name: string, type = 'application/pdf') => ({ _id: id, name, type, size: 10, typeGroup: 'application' });
const attachment = (id: string, name: string) => ({ type: 'file', title: name, title_link: `/file-upload/${id}/${name}`, fileId: id });

const A = file('f1', 'a.pdf');
const B = file('f2', 'b.pdf');
const C = file('f3', 'c.jpg', 'image/jpeg');
const THUMB = { ...file('t3', 'thumb-c.jpg', 'image/jpeg'), typeGroup: 'thumb' };
const attachments = [attachment('f1', 'a.pdf'), attachment('f2', 'b.pdf'), attachment('f3', 'c.jpg')];

describe('filesOf (an agent’s message)', () => {
	it('takes every file on engines that hand over `files`, not the thumbnails', () => {
		const message = { file: A, files: [A, B, C, THUMB], attachments } as unknown as IMessage;
		expect(filesOf(message)).toEqual({ files: [A, B, C], leftOut: 0 });
	});

	it('takes the first file on older engines and counts the others', () => {
		const message = { file: A, attachments } as unknown as IMessage;
		expect(filesOf(message)).toEqual({ files: [A], leftOut: 2 });
	});

	it('counts nothing left out for one file, or for a message without files', () => {
		expect(filesOf({ file: A, attachments: [attachments[0]] } as unknown as IMessage)).toEqual({ files: [A], leftOut: 0 });
		expect(filesOf({ text: 'hi' } as unknown as IMessage)).toEqual({ files: [], leftOut: 0 });
	});
});
