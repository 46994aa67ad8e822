/**
 * An agent's files as Rocket.Chat's messages converter hands them over (src/entry/events/AgentReplies.ts):
 * from engine 1.60 (Rocket.Chat 8.2) `files` and each attachment's `fileId` are mapped; before, both
 * come under `_unmappedProperties_`, where the converter leaves what it does not map. Either way every
 * file goes, not the thumbnails; only when neither is there does the first (`file`) go alone, the rest
 * counted so that the agent is told. An attachment's title and link come as `title: { value, link }`.
 * The message shapes are those of Rocket.Chat's sendFileMessage (tools/harness/world.ts `storeFile`).
 */
import { IMessage } from '@rocket.chat/apps-engine/definition/messages';

import { filesOf } from '../../../src/entry/events/AgentReplies';
import { asAppMessage } from '../../../tools/harness/engineVersion';

const file = (id: string, name: string, type = 'application/pdf') => ({ _id: id, name, type, size: 10, typeGroup: 'application' });
const attachment = (id: string, name: string) => ({
	type: 'file',
	title: { value: name, link: `/file-upload/${id}/${name}`, displayDownloadLink: true },
	fileId: id,
});

const A = file('f1', 'a.pdf');
const B = file('f2', 'b.pdf');
const C = file('f3', 'c.jpg', 'image/jpeg');
const THUMB = { ...file('t3', 'thumb-c.jpg', 'image/jpeg'), typeGroup: 'thumb' };
const attachments = [attachment('f1', 'a.pdf'), attachment('f2', 'b.pdf'), attachment('f3', 'c.jpg')];
const stored = { file: A, files: [A, B, C, THUMB], attachments };

describe('filesOf (an agent’s message)', () => {
	it('takes every file on engines that map `files`, not the thumbnails', () => {
		expect(filesOf(asAppMessage(stored, '1.60.0') as unknown as IMessage)).toEqual({ files: [A, B, C], leftOut: 0 });
	});

	it('takes every file on older engines too, from what the converter left unmapped', () => {
		const old = asAppMessage(stored, '1.59.0');
		expect(old).not.toHaveProperty('files');
		expect(old).toMatchObject({ _unmappedProperties_: { files: [A, B, C, THUMB] } });
		expect(old.attachments[0]).toEqual({ type: 'file', title: attachments[0].title, _unmappedProperties_: { fileId: 'f1' } });
		expect(filesOf(old as unknown as IMessage)).toEqual({ files: [A, B, C], leftOut: 0 });
	});

	it('takes the first file alone when the message comes without its list of files, and counts the others', () => {
		const { files: _files, ...withoutList } = stored;
		expect(filesOf(withoutList as unknown as IMessage)).toEqual({ files: [A], leftOut: 2 });
		// The attachments' file ids unmapped, the upload links tell the files apart just as well.
		const old = asAppMessage(withoutList, '1.59.0');
		expect(filesOf(old as unknown as IMessage)).toEqual({ files: [A], leftOut: 2 });
		const linksOnly = { file: A, attachments: attachments.map(({ fileId: _id, ...a }) => a) };
		expect(filesOf(linksOnly as unknown as IMessage)).toEqual({ files: [A], leftOut: 2 });
		// The list came but no attachment names its file: the first goes alone, and the agent is told.
		expect(filesOf({ ...linksOnly, files: stored.files } as unknown as IMessage)).toEqual({ files: [A], leftOut: 2 });
	});

	it('counts nothing left out for one file, or for a message without files', () => {
		expect(filesOf({ file: A, attachments: [attachments[0]] } as unknown as IMessage)).toEqual({ files: [A], leftOut: 0 });
		expect(filesOf({ text: 'hi' } as unknown as IMessage)).toEqual({ files: [], leftOut: 0 });
	});
});
