/**
 * Contacts' visitor tokens (src/core/app/visitorTokens.ts). Rocket.Chat's livechat API takes a
 * visitor's token as its only credential: a token made of the number's id and the contact's phone
 * would let anyone who knows both read the contact's room and write in it as the contact, and the
 * agents' answers there would go to the contact on WhatsApp. So the app's visitors get a keyed token,
 * a visitor of the versions before keeps its conversation and is given one after, and a visitor that
 * someone else registered with a token of the app's shape is no contact.
 */
import { HarnessUser } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, contactVisitorToken, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const CARLA = '5511987654321';
const LEGACY = `whatsapp:${NUMBER.phoneNumberId}:${CARLA}`;

describe("contacts' visitor tokens", () => {
	let app: AppUnderTest;
	let ana: HarnessUser;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		ana = app.harness.addAgent({ username: 'ana' });
	});
	afterEach(() => stopChecked(app));

	async function inbound(text: string, name = 'Carla', secondsAgo?: number) {
		const message =
			secondsAgo === undefined
				? text
				: { type: 'text', text: { body: text }, timestamp: String(Math.floor(Date.now() / 1000) - secondsAgo) };
		const res = await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from: CARLA, name, message });
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
	}
	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const texts = (roomId: string) => app.harness.world.messagesIn(roomId).map((m) => m.text);
	const sentTexts = () => app.sim.sentMessages.map((m) => (m.body as any).text?.body).filter(Boolean);
	const keyRecords = () => app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'visitor-token-key'));

	/** A visitor and its open room, as a version before made them or as anyone may register them. */
	function visitorRoom(token: string, createdAt: Date) {
		const room = addContactRoom(app, ana, { waId: CARLA, token, createdAt });
		return { room, visitor: room.visitor as any };
	}

	it("gives a new contact's visitor a token no one can make from the number and the phone, under a key made at installation, and no phone", async () => {
		// Made when the app was installed, dated 0: no room of a version before can exist.
		expect(keyRecords()).toHaveLength(1);
		expect(keyRecords()[0].data).toEqual({ key: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: 0 });
		await inbound('Hi!');
		const [room] = livechatRooms();
		const token = (room.visitor as any).token as string;
		expect(token).toMatch(new RegExp(`^whatsapp:${NUMBER.phoneNumberId}:${CARLA}:[0-9a-f]{32}$`));
		expect(token).toBe(contactVisitorToken(app, CARLA));
		expect(keyRecords()).toHaveLength(1);
		// No phone: Rocket.Chat's livechat API, given a visitor's phone, answers that visitor, its token
		// included (registerGuest's phone match). Someone who knows the number gets a visitor of their own.
		expect(app.harness.world.visitors.get((room.visitor as any).id)).not.toHaveProperty('phone');
		const livechat = app.harness.bridges.getLivechatBridge() as any;
		const outsider = await livechat.createAndReturnVisitor({ token: 'outsider', phone: [{ phoneNumber: `+${CARLA}` }] }, 'rc');
		expect(outsider.token).toBe('outsider');
		// Its room is the contact's: the agent's answer goes to WhatsApp.
		await app.harness.userMessage({ user: ana, room, text: 'Hello Carla' });
		expect(sentTexts()).toEqual(['Hello Carla']);
	});

	it("takes no room for a contact's whose visitor someone else registered with a token of the app's shape, and does not adopt that visitor", async () => {
		const legacyShape = visitorRoom(LEGACY, new Date());
		const wrongMac = visitorRoom(`${LEGACY}:${'0'.repeat(32)}`, new Date());
		const first = await app.harness.userMessage({ user: ana, room: legacyShape.room, text: 'to the impostor' });
		await app.harness.userMessage({ user: ana, room: wrongMac.room, text: 'to the other impostor' });
		expect(app.sim.sentMessages).toEqual([]);
		// The agent is told, and the message shows it for the room: no one writes on to no one.
		const unlinked =
			"⚠️ Not sent: the app cannot confirm that this room is a WhatsApp contact's (it was opened before the app was reinstalled, or not by the app), so nothing written here reaches WhatsApp. The contact's next message opens a new conversation.";
		expect(app.harness.world.notificationsFor(ana.id).map((n) => [(n.room as any)?.id, n.text])).toEqual([
			[legacyShape.room.id, unlinked],
			[wrongMac.room.id, unlinked],
		]);
		expect(app.harness.world.messagesIn(legacyShape.room.id).find((m) => m.id === first.id)?.attachments).toEqual([
			{
				type: 'whatsapp-status:failed',
				color: '#EC0D2A',
				text: "⚠️ Not sent to WhatsApp: the app cannot confirm that this room is a WhatsApp contact's.",
			},
		]);

		// The contact's own message opens their own room with a visitor of their own; the impostors'
		// visitors keep their tokens and rooms, which stay no contact's.
		await inbound('It is me');
		const mine = livechatRooms().filter((r) => texts(r.id).includes('It is me'));
		expect(mine).toHaveLength(1);
		expect([legacyShape.room.id, wrongMac.room.id]).not.toContain(mine[0].id);
		expect((mine[0].visitor as any).token).toBe(contactVisitorToken(app, CARLA));
		expect(app.harness.world.visitors.get(legacyShape.visitor.id)).toMatchObject({ token: LEGACY });
		await app.harness.userMessage({ user: ana, room: legacyShape.room, text: 'to the impostor again' });
		await app.harness.userMessage({ user: ana, room: mine[0], text: 'Hello Carla' });
		expect(sentTexts()).toEqual(['Hello Carla']);
	});

	it("names a visitor a template reached first (its phone as name) by the contact's WhatsApp name; a name an agent gave stays", async () => {
		const visitor = {
			id: 'visitor-carla',
			token: contactVisitorToken(app, CARLA),
			username: `whatsapp-${NUMBER.phoneNumberId}-${CARLA}`,
			name: `+${CARLA}`,
		};
		app.harness.world.visitors.set(visitor.id, visitor);
		await inbound('Hi, it is Carla');
		expect(app.harness.world.visitors.get(visitor.id)).toMatchObject({ name: 'Carla', token: visitor.token });
		expect(app.harness.world.visitors.size).toBe(1);

		Object.assign(app.harness.world.visitors.get(visitor.id)!, { name: 'Carla Souza (ACME)' });
		await inbound('Me again');
		expect(app.harness.world.visitors.get(visitor.id)).toMatchObject({ name: 'Carla Souza (ACME)' });
	});

	it('follows the contact when they change their WhatsApp name, each time, until an agent names the visitor', async () => {
		await inbound('Hi, it is Carla');
		const [visitor] = [...app.harness.world.visitors.values()];
		expect(visitor).toMatchObject({ name: 'Carla', token: contactVisitorToken(app, CARLA) });
		await inbound('New profile name', 'Carla S.');
		expect(app.harness.world.visitors.get(visitor.id as string)).toMatchObject({ name: 'Carla S.' });
		await inbound('And again', 'Carla Souza');
		expect(app.harness.world.visitors.get(visitor.id as string)).toMatchObject({ name: 'Carla Souza' });
		expect(app.harness.world.visitors.size).toBe(1);
		// Meta's late retry of a message written before the change does not rename her back.
		await inbound('Written an hour ago', 'Carla S.', 3600);
		expect(app.harness.world.visitors.get(visitor.id as string)).toMatchObject({ name: 'Carla Souza' });

		Object.assign(app.harness.world.visitors.get(visitor.id as string)!, { name: 'Carla Souza (ACME)' });
		await inbound('Back to short', 'Carla');
		expect(app.harness.world.visitors.get(visitor.id as string)).toMatchObject({ name: 'Carla Souza (ACME)' });
	});

	it('after an update from a version before: keeps the conversation open then, and gives the contact a visitor of their own (keyed, no phone) for the next', async () => {
		// An app installed by a version before has no key; the update makes it, dated then.
		app.harness.world.persistence.splice(
			0,
			app.harness.world.persistence.length,
			...app.harness.world.persistence.filter((r) => !r.associations.some((a) => a.id === 'visitor-token-key')),
		);
		const { visitor, room } = visitorRoom(LEGACY, new Date(Date.now() - 60000));
		Object.assign(app.harness.world.visitors.get(visitor.id)!, { phone: [{ phoneNumber: `+${CARLA}` }] });
		await inbound('Still there?');
		expect(texts(room.id)).toEqual(['Still there?']);
		await app.harness.userMessage({ user: ana, room, text: 'Yes!' });
		expect(sentTexts()).toEqual(['Yes!']);

		await app.harness.closeLivechatRoom(room, ana);
		await inbound('New question');
		const next = livechatRooms().find((r) => r.id !== room.id)!;
		expect(texts(next.id)).toEqual(['New question']);
		const keyed = app.harness.world.visitors.get((next.visitor as any).id)!;
		expect(keyed.id).not.toBe(visitor.id);
		expect(keyed).toMatchObject({ token: contactVisitorToken(app, CARLA), username: `whatsapp-${NUMBER.phoneNumberId}-${CARLA}` });
		expect(keyed).not.toHaveProperty('phone');
		// The old visitor keeps its past conversation.
		expect(app.harness.world.visitors.get(visitor.id)).toMatchObject({ token: LEGACY });
		await app.harness.userMessage({ user: ana, room: next, text: 'Answer' });
		expect(sentTexts()).toEqual(['Yes!', 'Answer']);
	});
});

/**
 * The key at an update (WhatsAppApp.onUpdate, adapters/persistence/VisitorTokenKeys.ts
 * `makeVisitorTokenKey(..., 'update')`): an installation of a version from before the key existed
 * has none; updating it to this version (the harness updates the running app the way Rocket.Chat
 * does: AppHarness.update) makes it, dated then, so the rooms its legacy visitors had open then go on
 * (core/app/visitorTokens.ts: legacy rooms opened before the key are trusted) and a legacy-shaped
 * room opened after is no contact's. A key already there is kept.
 */
describe('the visitor token key at an update from a version before it existed', () => {
	const DAVI = '5521999990000';
	let app: AppUnderTest;
	let ana: HarnessUser;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		ana = app.harness.addAgent({ username: 'ana' });
	});
	afterEach(() => stopChecked(app));

	const isKey = (r: { associations: Array<{ id: string }> }) => r.associations.some((a) => a.id === 'visitor-token-key');
	const keyRecords = () => app.harness.world.persistence.filter(isKey);
	const texts = (roomId: string) => app.harness.world.messagesIn(roomId).map((m) => m.text);
	const sentTexts = () => app.sim.sentMessages.map((m) => (m.body as any).text?.body).filter(Boolean);
	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const installedVersion = () => (app.harness.manager.getOneById(app.harness.appId) as any).getInfo().version as string;

	/** The installation a version before the key made: the same data, no key record. */
	function forgetKey(): void {
		const kept = app.harness.world.persistence.filter((r) => !isKey(r));
		app.harness.world.persistence.splice(0, app.harness.world.persistence.length, ...kept);
	}

	async function inbound(from: string, text: string) {
		const res = await app.sim.deliverInboundMessage({ phoneNumberId: NUMBER.phoneNumberId, from, name: from, message: text });
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
	}

	it("makes the key dated at the update; a legacy visitor's room open then goes on, one opened after is no contact's; a second update keeps the key", async () => {
		forgetKey();
		expect(keyRecords()).toEqual([]);
		// A contact's conversation the version before opened, its visitor with the legacy token.
		const legacy = addContactRoom(app, ana, { waId: CARLA, token: LEGACY, createdAt: new Date(Date.now() - 60000) });
		const graphBaseUrl = await app.harness.getSetting('graph_api_base_url');
		const denoBefore = app.harness.runtimeProcess().pid;
		const [major, minor, patch] = installedVersion().split('.').map(Number);
		const newer = `${major}.${minor}.${patch + 1}`;

		const before = Date.now();
		const { oldAppVersion } = await app.harness.update({ version: newer });
		const after = Date.now();
		// The new package runs in a new Deno process; the app's settings and persistence are kept.
		expect([oldAppVersion, installedVersion()]).toEqual([`${major}.${minor}.${patch}`, newer]);
		expect(app.harness.runtimeProcess().pid).not.toBe(denoBefore);
		expect(await app.harness.getSetting('graph_api_base_url')).toBe(graphBaseUrl);

		// onUpdate made the one key, dated at the update (not 0 as at an installation).
		expect(keyRecords()).toHaveLength(1);
		const key = keyRecords()[0].data as { key: string; createdAt: number };
		expect(key.key).toMatch(/^[0-9a-f]{64}$/);
		expect(key.createdAt).toBeGreaterThanOrEqual(before);
		expect(key.createdAt).toBeLessThanOrEqual(after);

		// The legacy room opened before the key is still the contact's, both ways.
		await inbound(CARLA, 'Still there?');
		expect(texts(legacy.id)).toEqual(['Still there?']);
		expect(livechatRooms().map((r) => r.id)).toEqual([legacy.id]);
		await app.harness.userMessage({ user: ana, room: legacy, text: 'Yes!' });
		expect(sentTexts()).toEqual(['Yes!']);

		// A room of a legacy-shaped visitor opened after the key is no contact's: the contact's message
		// opens a room of their own, and nothing said in that one goes to WhatsApp.
		const late = addContactRoom(app, ana, {
			waId: DAVI,
			token: `whatsapp:${NUMBER.phoneNumberId}:${DAVI}`,
			createdAt: new Date(Math.max(Date.now(), key.createdAt + 1)),
		});
		await inbound(DAVI, 'Hello?');
		expect(texts(late.id)).toEqual([]);
		const davis = livechatRooms().filter((r) => texts(r.id).includes('Hello?'));
		expect(davis.map((r) => r.id)).not.toContain(late.id);
		expect(davis).toHaveLength(1);
		await app.harness.userMessage({ user: ana, room: late, text: 'to whoever this is' });
		expect(sentTexts()).toEqual(['Yes!']);

		// An update when the key exists makes none: the same key, the legacy room still the contact's.
		await app.harness.update({ version: `${major}.${minor}.${patch + 2}` });
		expect(keyRecords().map((r) => r.data)).toEqual([key]);
		await app.harness.userMessage({ user: ana, room: legacy, text: 'Still here' });
		expect(sentTexts()).toEqual(['Yes!', 'Still here']);
	});
});
