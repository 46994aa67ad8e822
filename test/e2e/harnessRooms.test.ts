/**
 * A room as the harness hands it to the app, as Rocket.Chat's rooms converter does
 * (tools/harness/rc/rooms.ts, after apps/meteor/app/apps/server/converters/rooms.ts `convertRoom`):
 * the room keeps its own copy of its visitor, taken when it opened, but the app is given the visitor
 * read again by id (converters/visitors.ts `convertById`: `LivechatVisitors.findOneEnabledById`).
 * So what changed on the visitor since the room opened is what the app reads, and a disabled
 * visitor's room reaches the app with no visitor.
 */
import { HarnessUser, Json } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const CARLA = '5511987654321';
const T = (language: string, body: string) => ({
	id: `invoice-${language}`,
	name: 'invoice',
	language,
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: body }],
});

describe("the room's visitor as the app reads it (read again by id, as Rocket.Chat's rooms converter does)", () => {
	let app: AppUnderTest;
	let ana: HarnessUser;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		ana = app.harness.addAgent({ username: 'ana' });
	});
	afterEach(() => stopChecked(app));

	/** The room as the app's `read.getRoomReader().getById` answers it: through the engine's room bridge. */
	const roomAsTheAppReadsIt = (roomId: string): Promise<Json | undefined> =>
		(app.harness.bridges.getRoomBridge() as any).doGetById(roomId, app.harness.appId);

	it("preselects the language the contact's visitor was given after the room opened", async () => {
		app.sim.setTemplates(NUMBER.wabaId, [T('en_US', 'Your invoice {{1}}.'), T('pt_BR', 'Sua fatura {{1}}.')]);
		const room = addContactRoom(app, ana, { waId: CARLA });
		expect(room.visitor).not.toHaveProperty('livechatData');
		// The contact's language arrives later, as a livechat custom field (Rocket.Chat's
		// `POST /api/v1/livechat/custom.field` and the apps' livechat updater end in
		// LivechatVisitors.updateLivechatDataByToken): the visitor changes, the room's copy does not.
		const livechat = app.harness.bridges.getLivechatBridge() as any;
		expect(
			await livechat.setCustomFields({ token: (room.visitor as any).token, key: 'language', value: 'pt-BR', overwrite: true }),
		).toBe(1);
		expect(app.harness.world.rooms.get(room.id)!.visitor).not.toHaveProperty('livechatData');

		await app.harness.command('whatsapp', ['send-template'], { user: ana, room });
		const picked = await app.harness.blockAction({
			user: ana,
			actionId: 'send-template',
			blockId: 'send-template',
			value: 'invoice',
			view: app.harness.lastView(ana),
		});
		expect(picked).toMatchObject({ success: true, type: 'modal.update' });
		const language = (picked.view.blocks as any[]).find((b) => b.blockId === `send-language:${NUMBER.phoneNumberId}:invoice`);
		expect(language.element.initialValue).toBe('pt_BR');
	});

	it('hands the app the visitor as it is now, with the fields the visitors converter maps, and no visitor once it is disabled', async () => {
		// The contact writes first: the app registers the visitor and opens the room (rc/livechat.ts).
		const res = await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: CARLA, name: 'Carla', message: 'Hi' });
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		const [room] = [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
		const visitorId = (room.visitor as any).id as string;
		// The visitor is renamed after the room opened (registerGuest with its token and a new name, as
		// Rocket.Chat's livechat API and the app itself do): a new version of the visitor's document.
		const livechat = app.harness.bridges.getLivechatBridge() as any;
		await livechat.createAndReturnVisitor({ token: (room.visitor as any).token, name: 'Carla Souza' }, app.harness.appId);
		expect(app.harness.world.rooms.get(room.id)!.visitor).toMatchObject({ name: 'Carla' });

		const read = await roomAsTheAppReadsIt(room.id);
		expect(read?.visitor).toMatchObject({
			id: visitorId,
			token: (room.visitor as any).token,
			username: `whatsapp-${NUMBER.phoneNumberId}-${CARLA}`,
			name: 'Carla Souza',
			status: 'online',
		});
		// transformMappedData: what the map does not name goes under `_unmappedProperties_` (the
		// document's `ts`, stored here as `createdAt`); the visitor given is a copy, not the stored one.
		expect(read?.visitor).not.toHaveProperty('createdAt');
		expect((read?.visitor as any)._unmappedProperties_).toEqual(expect.objectContaining({ ts: expect.any(Date) }));
		(read?.visitor as any).name = 'changed by the reader';
		expect(app.harness.world.visitors.get(visitorId)).toMatchObject({ name: 'Carla Souza' });
		// The room's channel info comes from its own copy (no channel phone nor last message time here).
		expect(read?.visitorChannelInfo).toEqual({});

		// A message in the room and the livechat bridge's room finders hand the room the same way.
		const message = await app.harness.userMessage({ user: ana, room, text: 'Hello' });
		const asSent = await (app.harness.bridges.getMessageBridge() as any).doGetById(message.id, app.harness.appId);
		expect(asSent.room.visitor).toMatchObject({ name: 'Carla Souza' });
		const [found] = await livechat.findRooms({ token: (room.visitor as any).token }, null, app.harness.appId);
		expect(found.visitor).toMatchObject({ name: 'Carla Souza' });

		// LivechatVisitors.findOneEnabledById skips a disabled visitor: the room comes without one.
		app.harness.world.visitors.set(visitorId, { ...app.harness.world.visitors.get(visitorId)!, disabled: true });
		const afterDisabled = await roomAsTheAppReadsIt(room.id);
		expect(afterDisabled).toMatchObject({ id: room.id, visitorChannelInfo: {} });
		expect(afterDisabled).not.toHaveProperty('visitor');
	});
});
