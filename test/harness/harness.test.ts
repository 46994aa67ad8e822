/**
 * The harness itself: loud on what it does not implement, Rocket.Chat-like omnichannel and
 * persistence semantics, and a scheduler on a clock tests advance.
 */
import { HarnessBridges } from '../../tools/harness/bridges';
import { CloudApiSimulator } from '../../tools/sim/CloudApiSimulator';
import { validateRequest } from '../support/metaSpec';
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
		// Only the room matters here: the admin accepts chats with no agent online.
		world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		const visitor = await livechat.createAndReturnVisitor({ token: 'tok-1', username: 'guest-1', name: 'Carla' }, APP);
		const room = await livechat.createRoom(visitor, undefined, APP);
		const uploads = bridges.getUploadBridge() as any;
		const bytes = Buffer.from([0, 255, 128, 7]);
		const upload = await uploads.createUpload(
			{ name: 'photo.jpg', size: 4, rid: room.id, visitorToken: 'tok-1' },
			new Uint8Array(bytes),
			APP,
		);
		expect(upload).toMatchObject({ name: 'photo.jpg', size: 4, type: 'image/jpeg', extension: 'jpg', complete: true });
		const [message] = world.messagesIn(room.id);
		expect(message).toMatchObject({
			token: 'tok-1',
			sender: { username: 'guest-1' },
			file: { _id: upload.id, name: 'photo.jpg', type: 'image/jpeg' },
			files: [{ _id: upload.id }, { name: 'thumb-photo.jpg', typeGroup: 'thumb' }],
			attachments: [{ title: { value: 'photo.jpg' }, fileId: upload.id, imageUrl: expect.stringMatching(/^\/file-upload\//) }],
		});
		expect(await uploads.getById(upload.id, APP)).toMatchObject({ id: upload.id, room: { id: room.id } });
		expect(await uploads.getBuffer(upload, APP)).toEqual(bytes);
		// A token that is not the room's visitor's fails Rocket.Chat's room access check (fidelity/uploads.test.ts).
		await expect(
			uploads.createUpload({ name: 'x.pdf', size: 1, rid: room.id, visitorToken: 'nobody' }, new Uint8Array(1), APP),
		).rejects.toThrow('File does not match filter [invalid-file]');
	});

	it('store an upload of a user as Rocket.Chat does: posted as the user, the type its own (name, then bytes), a user or visitor required', async () => {
		const { world, bridges, livechat } = setup();
		const ana = world.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		// Only the room matters here: the admin accepts chats with no agent online.
		world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		const visitor = await livechat.createAndReturnVisitor({ token: 'tok-1', username: 'guest-1', name: 'Carla' }, APP);
		const room = await livechat.createRoom(visitor, undefined, APP);
		const uploads = bridges.getUploadBridge() as any;
		// Rocket.Chat ignores the type in the details: the name's extension decides.
		const pdf = await uploads.createUpload(
			{ name: 'terms.pdf', size: 3, type: 'image/png', rid: room.id, userId: ana.id },
			Buffer.from('abc'),
			APP,
		);
		expect(pdf).toMatchObject({ type: 'application/pdf', user: { id: ana.id, username: 'ana' } });
		expect(pdf.visitor).toBeUndefined();
		const [message] = world.messagesIn(room.id);
		expect(message).toMatchObject({
			text: '',
			sender: { username: 'ana' },
			file: { _id: pdf.id, name: 'terms.pdf', type: 'application/pdf', size: 3 },
			files: [{ _id: pdf.id }],
			attachments: [{ type: 'file', title: { value: 'terms.pdf', link: `/file-upload/${pdf.id}/terms.pdf` }, fileId: pdf.id }],
		});
		expect(message.token).toBeUndefined();
		expect(message.files).toHaveLength(1);
		// Without a known extension, the bytes decide (magic numbers), else application/octet-stream.
		const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
		expect(await uploads.createUpload({ name: 'scan', size: png.length, rid: room.id, userId: ana.id }, png, APP)).toMatchObject({
			type: 'image/png',
			extension: '',
		});
		expect(
			await uploads.createUpload({ name: 'blob.xyz', size: 2, rid: room.id, userId: ana.id }, new Uint8Array([1, 2]), APP),
		).toMatchObject({ type: 'application/octet-stream' });
		// A visitor's upload keeps no userId (Rocket.Chat drops it) and names the visitor.
		const voice = await uploads.createUpload(
			{ name: 'voice.ogg', size: 1, rid: room.id, userId: ana.id, visitorToken: 'tok-1' },
			new Uint8Array([7]),
			APP,
		);
		expect(voice).toMatchObject({ type: 'audio/ogg', visitor: { token: 'tok-1' } });
		expect(voice.user).toBeUndefined();
		expect(world.messagesIn(room.id).pop()).toMatchObject({
			token: 'tok-1',
			sender: { username: 'guest-1' },
			attachments: [{ audioUrl: `/file-upload/${voice.id}/voice.ogg` }],
		});
		await expect(uploads.createUpload({ name: 'x.pdf', size: 1, rid: room.id }, new Uint8Array(1), APP)).rejects.toThrow(
			'Missing user to perform the upload operation',
		);
		expect(await uploads.getById('upload-none', APP)).toBeUndefined();
	});

	describe('HTTP as Rocket.Chat’s AppHttpBridge', () => {
		const NUMBER = {
			phoneNumberId: '106540352242922',
			wabaId: '102290129340398',
			displayPhoneNumber: '+1 555-078-3881',
			verifiedName: 'Acme',
			accessToken: 'EAAGOOD',
			appSecret: 'secret',
		};
		const AUTH = { Authorization: `Bearer ${NUMBER.accessToken}` };
		let sim: CloudApiSimulator;
		let base: string;
		beforeEach(async () => {
			sim = new CloudApiSimulator({ validate: validateRequest });
			base = (await sim.start()).baseUrl;
			sim.addNumber(NUMBER);
		});
		afterEach(() => sim.stop());

		function multipart(boundary: string, bytes: Uint8Array): Buffer {
			const head = `--${boundary}\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp\r\n--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nimage/jpeg\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
			return Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
		}

		it('send a Buffer (how msgpack delivers one) as the body, a plain Uint8Array as JSON (server-fetch parsers.ts), and answer `encoding: null` with the bytes', async () => {
			const http = setup().bridges.getHttpBridge() as any;
			const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x0d, 0x0a, 0xc3, 0x28, 0xfe]); // not valid UTF-8
			const url = `${base}/v23.0/${NUMBER.phoneNumberId}/media`;
			const upload = (boundary: string, content: Uint8Array) =>
				http.call({
					appId: APP,
					method: 'POST',
					url,
					request: {
						headers: { ...AUTH, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
						content,
						encoding: undefined,
					},
				});
			for (const boundary of ['b1', 'b2'])
				expect(await upload(boundary, multipart(boundary, bytes))).toMatchObject({
					statusCode: 200,
					data: { id: expect.stringMatching(/^\d+$/) },
				});
			// Bytes that are not a Buffer reach Meta as a JSON object of their numbers: refused, nothing stored.
			expect(await upload('b3', new Uint8Array(multipart('b3', bytes)))).toMatchObject({
				statusCode: 400,
				data: { error: { code: 100 } },
			});
			expect(sim.uploadedMedia.map((m) => m.bytes)).toEqual([bytes, bytes]);
			expect(sim.violations.map((v) => v.errors)).toEqual([
				['the operation takes no application/json body (it takes multipart/form-data)'],
			]);

			const info = await http.call({
				appId: APP,
				method: 'GET',
				url: `${base}/v23.0/${sim.uploadedMedia[0].id}`,
				request: { headers: AUTH },
			});
			expect(info.data).toMatchObject({ mime_type: 'image/jpeg', file_size: String(bytes.length) });
			const download = await http.call({ appId: APP, method: 'GET', url: info.data.url, request: { headers: AUTH, encoding: null } });
			expect(Buffer.isBuffer(download.content)).toBe(true);
			expect(download.content).toEqual(bytes);
			expect(download).toMatchObject({ statusCode: 200, headers: { 'content-type': 'image/jpeg' } });
			expect('data' in download).toBe(false);
			// Without `encoding: null` the body is text, and `data` is parsed for JSON answers only.
			const text = await http.call({ appId: APP, method: 'GET', url: info.data.url, request: { headers: AUTH } });
			expect(typeof text.content).toBe('string');
			expect(text.data).toBeNull();
		});

		it('put `params` in the URL with a body or for GET, else send them as a form; send `data` as JSON; no body on GET', async () => {
			const http = setup().bridges.getHttpBridge() as any;
			const url = `${base}/v23.0/${NUMBER.wabaId}/message_templates`;
			await http.call({
				appId: APP,
				method: 'GET',
				url,
				request: { headers: AUTH, params: { limit: '2', empty: '' }, content: 'ignored' },
			});
			await http.call({
				appId: APP,
				method: 'POST',
				url: `${base}/v23.0/${NUMBER.phoneNumberId}/messages`,
				request: { headers: AUTH, params: { a: '1' } },
			});
			await http.call({
				appId: APP,
				method: 'POST',
				url: `${base}/v23.0/${NUMBER.phoneNumberId}/messages`,
				request: {
					headers: AUTH,
					params: { a: '1' },
					data: { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.X' },
				},
			});
			const [get, form, json] = sim.requests;
			expect(get).toMatchObject({ method: 'GET', query: { limit: '2' }, body: undefined });
			expect(get.headers['content-length']).toBeUndefined();
			expect(form).toMatchObject({ query: {}, body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
			expect(json).toMatchObject({
				query: { a: '1' },
				body: { status: 'read' },
				headers: { 'content-type': 'application/json' },
				status: 200,
			});
		});
	});

	it('name the bridge and method they do not implement', async () => {
		const { bridges } = setup();
		expect(() => (bridges.getEmailBridge() as any).sendEmail({}, APP)).toThrow(new NotImplementedByHarness('EmailBridge', 'sendEmail'));
		expect(() => (bridges.getLivechatBridge() as any).resolveVisitor({}, undefined, APP)).toThrow(
			'LivechatBridge.resolveVisitor is not implemented by the test harness',
		);
	});

	it("post a visitor's message as the livechat getRoom does: a closed room's goes to a new room, another visitor's room refuses it", async () => {
		const { world, livechat } = setup();
		world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		const carla = await livechat.createAndReturnVisitor({ token: 'wa:5511', username: 'guest-1', name: 'Carla' }, APP);
		const dan = await livechat.createAndReturnVisitor({ token: 'wa:5522', username: 'guest-2', name: 'Dan' }, APP);
		const room = await livechat.createRoom(carla, undefined, APP);
		const theirs = await livechat.createRoom(dan, undefined, APP);
		const post = (visitor: any, into: any, text: string) =>
			livechat.createMessage({ room: into, visitor, token: visitor.token, text, sender: visitor }, APP);
		await expect(post(carla, theirs, 'not mine')).rejects.toThrow('[cannot-access-room]');
		expect(await livechat.closeRoom(room, 'done', undefined, APP)).toBe(true);
		const id = await post(carla, room, 'after the close');
		const posted = world.messages.find((m) => m.id === id)!;
		expect((posted.room as any).id).not.toBe(room.id);
		expect(world.rooms.get((posted.room as any).id)).toMatchObject({ type: 'l', isOpen: true, visitor: { token: 'wa:5511' } });
		expect(world.messagesIn(room.id).map((m) => m.text)).toEqual([]);
	});

	it('run omnichannel: visitor per token, routed room with source, close, transfer', async () => {
		const { world, livechat } = setup();
		const ana = world.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		ana.livechatStatus = 'available';
		const bob = world.addUser({ username: 'bob', roles: ['user', 'livechat-agent'] });
		bob.livechatStatus = 'available';
		const sales = world.addDepartment({ name: 'Sales', agentIds: [bob.id] });
		expect(livechat.isOnline(sales.id)).toBe(true);

		const visitor = await livechat.createAndReturnVisitor(
			{ token: 'wa:5511', username: 'guest-1', name: 'Carla', department: sales.id, phone: [{ phoneNumber: '+5511' }] },
			APP,
		);
		expect(await livechat.createAndReturnVisitor({ token: 'wa:5511', username: 'guest-1', name: 'Carla R.' }, APP)).toMatchObject({
			id: visitor.id,
			name: 'Carla R.',
		});
		expect(await livechat.findVisitorByPhoneNumber('+5511', APP)).toMatchObject({ id: visitor.id });

		const room = await livechat.createRoom(visitor, undefined, APP, { source: { type: 'app', id: APP, label: 'WhatsApp' } });
		expect(room).toMatchObject({
			type: 'l',
			isOpen: true,
			servedBy: { username: 'bob' },
			department: { id: sales.id },
			source: { type: 'app', id: APP, label: 'WhatsApp' },
		});
		expect(await livechat.findOpenRoomsByAgentId(bob.id, APP)).toHaveLength(1);

		// Rocket.Chat transfers on behalf of the app's user.
		world.addUser({ username: 'app.bot', type: 'app', roles: ['app'] }).appId = APP;
		expect(await livechat.transferVisitor(visitor, { currentRoom: room, targetAgent: { id: ana.id } }, APP)).toBe(true);
		expect(world.rooms.get(room.id)?.servedBy).toMatchObject({ username: 'ana' });

		expect(await livechat.closeRoom(room, 'done', { id: ana.id }, APP)).toBe(true);
		expect(await livechat.closeRoom(room, 'again', undefined, APP)).toBe(false);
		expect(world.rooms.get(room.id)).toMatchObject({ closer: 'user' });
		// Rocket.Chat unsets `open` (LivechatRooms.closeRoomById): no `isOpen: false`.
		expect(world.rooms.get(room.id)).not.toHaveProperty('isOpen');
		// Rocket.Chat's findRooms lists open rooms only (test/harness/fidelity/livechat.test.ts).
		expect(await livechat.findRooms(visitor, null, APP)).toEqual([]);
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
				{
					id: 'once',
					processor: async (ctx) =>
						void ran.push(`once:${String(ctx.n)}@${Math.round((scheduler.currentTime() - start) / 1000)}s`),
				},
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
