/**
 * Fidelity: the harness's UploadBridge against Rocket.Chat's (7.x era) upload path, driven
 * directly. Sources, in RocketChat/Rocket.Chat:
 * - apps/meteor/app/apps/server/bridges/uploads.ts (newest read, `Upload` core service): createUpload
 *   -> Upload.uploadFile -> FileUploadClass.insert -> the store's Filter.check -> sendFile(Livechat)Message.
 * - apps/meteor/server/ufs/ufs-filter.ts @ acf7dd00b35fbc94fd984af204a24f57feae84ef: minSize 1, then onCheck.
 * - apps/meteor/app/file-upload/server/lib/FileUpload.ts (7.x): validateFileUpload, the onCheck of Uploads.
 * - apps/meteor/app/utils/lib/restrictions.ts @ 20ffd44ce92be1220ecfde0ffccadf3825fec1de: the type lists.
 * - apps/meteor/app/livechat/server/roomAccessValidator.compatibility.ts: the newest version read
 *   requires `room.open === true`; @ 263016dbc02d2bfc5fef64e57dab5db5cb559863 the token alone.
 * - apps/meteor/app/livechat/server/methods/sendFileLivechatMessage.ts @ 0dfd2c074c72f3cd64c619456a35e994580b51a7.
 */
import { HarnessEvents } from '../../../tools/harness/rc/context';
import { livechatBridge } from '../../../tools/harness/rc/livechat';
import { isValidContentType, uploadBridge, VisitorUploadAccess } from '../../../tools/harness/rc/uploads';
import { HarnessWorld, Json } from '../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const APP = 'app-1';

async function setup(access?: VisitorUploadAccess) {
	const world = new HarnessWorld();
	const ctx = { world, events: new HarnessEvents(), toAppUser: (u: any) => (u ? { id: u.id, username: u.username } : undefined) };
	const livechat = livechatBridge(ctx) as any;
	const uploads = uploadBridge(ctx, { visitorAccess: access }) as any;
	world.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] }).livechatStatus = 'available';
	world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
	const visitor = await livechat.createAndReturnVisitor({ token: 'tok-1', username: 'guest-1', name: 'Carla' }, APP);
	const room = (await livechat.createRoom(visitor, undefined, APP)) as Json;
	const upload = (name: string, bytes: Buffer, extra: Json = {}) =>
		uploads.createUpload({ name, size: bytes.length, rid: room.id, visitorToken: 'tok-1', ...extra }, bytes, APP);
	return { world, livechat, uploads, room, upload };
}

const MB = 1024 * 1024;

describe('uploads, as Rocket.Chat stores an app’s file', () => {
	it('refuses a file over FileUpload_MaxFileSize with error-file-too-large, and stores nothing (FileUpload.validateFileUpload)', async () => {
		const { world, upload } = await setup();
		world.serverSettings.set('FileUpload_MaxFileSize', 1 * MB);
		await expect(upload('big.pdf', Buffer.alloc(MB + 1, 1))).rejects.toThrow(
			'File exceeds allowed size of 1 MB. [error-file-too-large]',
		);
		expect(world.uploads).toEqual([]);
		// Exactly the limit passes.
		await expect(upload('limit.pdf', Buffer.alloc(MB, 1))).resolves.toMatchObject({ size: MB });
	});

	it('takes any size when FileUpload_MaxFileSize is -1 ("-1 maxFileSize means there is no limit")', async () => {
		const { world, upload } = await setup();
		world.serverSettings.set('FileUpload_MaxFileSize', -1);
		await expect(upload('huge.pdf', Buffer.alloc(2 * MB, 1))).resolves.toMatchObject({ size: 2 * MB });
	});

	it('has a 100 MiB limit on a fresh workspace (apps/meteor/server/settings/file-upload.ts)', async () => {
		const { world } = await setup();
		expect(world.serverSettings.get('FileUpload_MaxFileSize')).toBe(104857600);
		expect(world.serverSettings.get('FileUpload_MediaTypeBlackList')).toBe('image/svg+xml');
		expect(world.serverSettings.get('FileUpload_MediaTypeWhiteList')).toBe('');
		expect(world.serverSettings.get('FileUpload_Enabled')).toBe(true);
	});

	it('refuses every file when FileUpload_Enabled is off (error-file-upload-disabled)', async () => {
		const { world, upload } = await setup();
		world.serverSettings.set('FileUpload_Enabled', false);
		await expect(upload('a.pdf', Buffer.from('%PDF-1'))).rejects.toThrow('[error-file-upload-disabled]');
		expect(world.uploads).toEqual([]);
	});

	it('refuses the default black list’s image/svg+xml, typed by the file name (error-invalid-file-type)', async () => {
		const { world, upload } = await setup();
		await expect(upload('logo.svg', Buffer.from('<svg/>'))).rejects.toThrow('File type is not accepted. [error-invalid-file-type]');
		expect(world.uploads).toEqual([]);
	});

	it('applies the type lists as fileUploadIsValidContentTypeFromSettings: black list first, `group/*` wildcards, empty or * white list takes all', () => {
		expect(isValidContentType('image/png', '', 'image/svg+xml')).toBe(true);
		expect(isValidContentType('image/svg+xml', '', 'image/svg+xml')).toBe(false);
		expect(isValidContentType('image/png', 'image/*', '')).toBe(true);
		expect(isValidContentType('application/pdf', 'image/*', '')).toBe(false);
		expect(isValidContentType('image/png', 'image/*', 'image/*')).toBe(false);
		expect(isValidContentType('application/pdf', '*', '')).toBe(true);
		expect(isValidContentType('application/pdf', ' image/png , application/pdf', '')).toBe(true);
		// A wildcard only matches the type group: `*/*`-like or partial patterns do not.
		expect(isValidContentType('image/png', 'ima*', '')).toBe(false);
		expect(isValidContentType('', '', 'image/svg+xml')).toBe(false);
	});

	it('applies a white list to the type Rocket.Chat determines (FileUpload_MediaTypeWhiteList)', async () => {
		const { world, upload } = await setup();
		world.serverSettings.set('FileUpload_MediaTypeWhiteList', 'image/*');
		await expect(upload('a.pdf', Buffer.from('%PDF-1'))).rejects.toThrow('[error-invalid-file-type]');
		await expect(upload('a.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]))).resolves.toMatchObject({ type: 'image/png' });
	});

	it('refuses an empty file (the UploadFS filter’s minSize 1: file-too-small)', async () => {
		const { upload } = await setup();
		await expect(upload('empty.pdf', Buffer.alloc(0))).rejects.toThrow('File size (size = 0) is too small (min = 1) [file-too-small]');
	});

	it('refuses a visitor’s file for a room that is not that visitor’s, or no room (invalid-file)', async () => {
		const { uploads, room, upload } = await setup();
		await expect(upload('a.pdf', Buffer.from('%PDF-1'), { visitorToken: 'someone-else' })).rejects.toThrow(
			'File does not match filter [invalid-file]',
		);
		await expect(
			uploads.createUpload({ name: 'a.pdf', size: 6, rid: 'room-gone', visitorToken: 'tok-1' }, Buffer.from('%PDF-1'), APP),
		).rejects.toThrow('[invalid-file]');
		expect(room.id).toBeDefined();
	});

	it('newest livechat access validator: a visitor’s file for a closed room is refused (invalid-file), nothing stored', async () => {
		const { world, livechat, room, upload } = await setup('open-room');
		await livechat.closeRoom(room, 'done', undefined, APP);
		await expect(upload('a.pdf', Buffer.from('%PDF-1'))).rejects.toThrow('File does not match filter [invalid-file]');
		expect(world.uploads).toEqual([]);
	});

	it('older livechat access validator: a visitor’s file for a closed room is stored but no message is posted (sendFileLivechatMessage finds no open room)', async () => {
		const { world, livechat, room, upload } = await setup('token-only');
		const before = world.messagesIn(room.id as string).length;
		await livechat.closeRoom(room, 'done', undefined, APP);
		const stored = await upload('a.pdf', Buffer.from('%PDF-1'));
		expect(stored).toMatchObject({ name: 'a.pdf', type: 'application/pdf' });
		expect(world.uploads.map((u) => u.id)).toContain(stored.id);
		expect(world.messagesIn(room.id as string).filter((m) => m.file)).toEqual([]);
		expect(world.messagesIn(room.id as string).length).toBe(before);
	});

	it('posts a visitor’s file in the open room as the visitor (sendFileLivechatMessage)', async () => {
		const { world, room, upload } = await setup();
		const stored = await upload('a.pdf', Buffer.from('%PDF-1'));
		expect(world.messagesIn(room.id as string).filter((m) => m.file)).toEqual([
			expect.objectContaining({ token: 'tok-1', file: expect.objectContaining({ _id: stored.id }) }),
		]);
	});
});
