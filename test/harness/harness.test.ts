/**
 * The harness itself: loud on what it does not implement, Rocket.Chat-like omnichannel and
 * persistence semantics, and a scheduler on a clock tests advance.
 */
import { HarnessBridges } from '../../tools/harness/bridges';
import { NotImplementedByHarness } from '../../tools/harness/loud';
import { HarnessScheduler, parseInterval } from '../../tools/harness/scheduler';
import { HarnessWorld } from '../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const APP = 'app-1';

function setup() {
	const world = new HarnessWorld();
	const scheduler = new HarnessScheduler();
	const bridges = new HarnessBridges(world, scheduler);
	return { world, scheduler, bridges, livechat: bridges.getLivechatBridge() as any, persistence: bridges.getPersistenceBridge() as any };
}

describe('bridges', () => {
	it('store uploads as Rocket.Chat does: the file message as the visitor, the bytes read back', async () => {
		const { world, bridges, livechat } = setup();
		const visitor = await livechat.createAndReturnVisitor({ token: 'tok-1', username: 'guest-1', name: 'Carla' }, APP);
		const room = await livechat.createRoom(visitor, undefined, APP);
		const uploads = bridges.getUploadBridge() as any;
		const bytes = Buffer.from([0, 255, 128, 7]);
		const upload = await uploads.createUpload({ name: 'photo.jpg', size: 4, rid: room.id, visitorToken: 'tok-1' }, new Uint8Array(bytes), APP);
		expect(upload).toMatchObject({ name: 'photo.jpg', size: 4, type: 'image/jpeg', extension: 'jpg', complete: true });
		const [message] = world.messagesIn(room.id);
		expect(message).toMatchObject({ token: 'tok-1', sender: { username: 'guest-1' }, file: { _id: upload.id, name: 'photo.jpg', type: 'image/jpeg' }, files: [{ _id: upload.id }, { name: 'thumb-photo.jpg', typeGroup: 'thumb' }], attachments: [{ title: { value: 'photo.jpg' }, fileId: upload.id, imageUrl: expect.stringMatching(/^\/file-upload\//) }] });
		expect(await uploads.getById(upload.id, APP)).toMatchObject({ id: upload.id, room: { id: room.id } });
		expect(await uploads.getBuffer(upload, APP)).toEqual(bytes);
		await expect(uploads.createUpload({ name: 'x.pdf', size: 1, rid: room.id, visitorToken: 'nobody' }, new Uint8Array(1), APP)).rejects.toThrow('no visitor nobody');
	});

	it('name the bridge and method they do not implement', async () => {
		const { bridges } = setup();
		expect(() => (bridges.getEmailBridge() as any).sendEmail({}, APP)).toThrow(new NotImplementedByHarness('EmailBridge', 'sendEmail'));
		expect(() => (bridges.getLivechatBridge() as any).resolveVisitor({}, undefined, APP)).toThrow('LivechatBridge.resolveVisitor is not implemented by the test harness');
	});

	it('persist by associations like Rocket.Chat: all associations must match; update upserts one record', async () => {
		const { persistence } = setup();
		const a = { model: 'misc', id: 'a' };
		const b = { model: 'misc', id: 'b' };
		await persistence.createWithAssociations({ n: 1 }, [a, b], APP);
		await persistence.createWithAssociations({ n: 2 }, [a], APP);
		expect(await persistence.readByAssociations([a], APP)).toEqual([{ n: 1 }, { n: 2 }]);
		expect(await persistence.readByAssociations([a, b], APP)).toEqual([{ n: 1 }]);
		await persistence.updateByAssociations([b], { n: 3 }, false, APP);
		expect(await persistence.readByAssociations([a, b], APP)).toEqual([{ n: 3 }]);
		await expect(persistence.updateByAssociations([{ model: 'misc', id: 'none' }], {}, false, APP)).rejects.toThrow('no matching record');
		expect(await persistence.readByAssociations([a], 'other-app')).toEqual([]);
		expect(await persistence.removeByAssociations([a], APP)).toEqual([{ n: 3 }, { n: 2 }]);
	});

	it('run omnichannel: visitor per token, routed room with source, close, transfer', async () => {
		const { world, livechat } = setup();
		const ana = world.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		ana.livechatStatus = 'available';
		const bob = world.addUser({ username: 'bob', roles: ['user', 'livechat-agent'] });
		bob.livechatStatus = 'available';
		const sales = world.addDepartment({ name: 'Sales', agentIds: [bob.id] });
		expect(livechat.isOnline(sales.id)).toBe(true);

		const visitor = await livechat.createAndReturnVisitor({ token: 'wa:5511', username: 'guest-1', name: 'Carla', department: sales.id, phone: [{ phoneNumber: '+5511' }] }, APP);
		expect(await livechat.createAndReturnVisitor({ token: 'wa:5511', username: 'guest-1', name: 'Carla R.' }, APP)).toMatchObject({ id: visitor.id, name: 'Carla R.' });
		expect(await livechat.findVisitorByPhoneNumber('+5511', APP)).toMatchObject({ id: visitor.id });

		const room = await livechat.createRoom(visitor, undefined, APP, { source: { type: 'app', id: APP, label: 'WhatsApp' } });
		expect(room).toMatchObject({ type: 'l', isOpen: true, servedBy: { username: 'bob' }, department: { id: sales.id }, source: { type: 'app', id: APP, label: 'WhatsApp' } });
		expect(await livechat.findOpenRoomsByAgentId(bob.id, APP)).toHaveLength(1);

		expect(await livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: ana.id } }, APP)).toBe(true);
		expect(world.rooms.get(room.id)?.servedBy).toMatchObject({ username: 'ana' });

		expect(await livechat.closeRoom(room, 'done', { id: ana.id }, APP)).toBe(true);
		expect(await livechat.closeRoom(room, 'again', undefined, APP)).toBe(false);
		expect(await livechat.findRooms(visitor, null, APP)).toMatchObject([{ id: room.id, isOpen: false, closer: 'user' }]);
		bob.livechatStatus = 'not-available';
		expect(livechat.isOnline(sales.id)).toBe(false);
	});
});

describe('scheduler', () => {
	it('parses Agenda human intervals and refuses cron', () => {
		expect(parseInterval('30 seconds')).toBe(30000);
		expect(parseInterval('1 minute')).toBe(60000);
		expect(parseInterval(250)).toBe(250);
		expect(() => parseInterval('*/5 * * * *')).toThrow('unsupported interval');
	});

	it('runs one-off and recurring jobs in time order as the clock advances, and cancels', async () => {
		const scheduler = new HarnessScheduler();
		const ran: string[] = [];
		await scheduler.registerProcessors(
			[
				{ id: 'tick', processor: async () => void ran.push(`tick@${Math.round((scheduler.currentTime() - start) / 1000)}s`) },
				{ id: 'once', processor: async (ctx) => void ran.push(`once:${String(ctx.n)}@${Math.round((scheduler.currentTime() - start) / 1000)}s`) },
				{ id: 'boom', processor: async () => Promise.reject(new Error('job failed')) },
			],
			APP,
		);
		const start = scheduler.currentTime();
		await scheduler.scheduleRecurring({ id: 'tick', interval: '10 seconds', skipImmediate: true }, APP);
		await scheduler.scheduleOnce({ id: 'once', when: '15 seconds', data: { n: 7 } }, APP);
		await scheduler.scheduleOnce({ id: 'boom', when: '1 second' }, APP);
		expect(await scheduler.advance(25000)).toBe(4);
		expect(ran).toEqual(['tick@10s', 'once:7@15s', 'tick@20s']);
		expect(scheduler.failures.map((f) => f.processorId)).toEqual(['boom']);
		await scheduler.cancelJob('tick');
		expect(await scheduler.advance(60000)).toBe(0);
	});
});
