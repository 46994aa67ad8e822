/**
 * An agent's quote goes to WhatsApp as a reply (`context.message_id`) only when the quoted message
 * belongs to the same room: a permalink to another contact's message (another room, maybe another
 * number) must not put that conversation's wamid in this contact's reply. The reply goes without
 * the quote (src/core/app/replies.ts).
 */
import { AppUnderTest, connectNumber, contactVisitorToken, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const CARLA = '5511987654321';
const DAVI = '5521999990000';

describe('quoted replies stay in their room', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		// Not about routing: the contacts' rooms open with whoever is online.
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
	});
	afterEach(() => stopChecked(app));

	const roomOf = (waId: string) =>
		[...app.harness.world.rooms.values()].find(
			(r) => r.type === 'l' && (r.visitor as any)?.token === contactVisitorToken(app, waId, NUMBER.phoneNumberId),
		)!;
	const sends = () =>
		app.sim
			.requestsTo('/messages')
			.filter((r) => (r.body as any)?.status !== 'read')
			.map((r) => r.body as any);

	async function inbound(from: string, text: string, wamid: string) {
		expect((await app.sim.deliverRaw(app.sim.inboundTextPayload(NUMBER.phoneNumberId, { from, name: from, text, wamid }))).status).toBe(
			200,
		);
		await app.harness.scheduler.runDue();
	}

	it("sends an agent's quote of another room's message without the quote; a quote in the same room stays a reply", async () => {
		const ana = app.harness.addAgent({ username: 'ana' });
		await inbound(CARLA, 'Where is my order?', 'wamid.CARLA1');
		await inbound(DAVI, 'My address is Rua Secreta 12', 'wamid.DAVI1');
		const carla = roomOf(CARLA);
		const davi = roomOf(DAVI);
		expect(carla.id).not.toBe(davi.id);
		const [daviMessage] = app.harness.world.messagesIn(davi.id);
		const [carlaMessage] = app.harness.world.messagesIn(carla.id);

		// In Carla's room, a permalink to Davi's message.
		await app.harness.userMessage({
			user: ana,
			room: carla,
			text: `[ ](http://127.0.0.1:3000/live/${davi.id}?msg=${daviMessage.id}) On its way`,
		});
		expect(sends()).toEqual([
			{
				messaging_product: 'whatsapp',
				biz_opaque_callback_data: expect.stringMatching(/^rcwa\.[0-9a-f]{18}$/),
				recipient_type: 'individual',
				to: CARLA,
				type: 'text',
				text: { body: 'On its way', preview_url: false },
			},
		]);

		// Carla's own message quoted in her room is still a WhatsApp reply.
		await app.harness.userMessage({
			user: ana,
			room: carla,
			text: `[ ](http://127.0.0.1:3000/live/${carla.id}?msg=${carlaMessage.id}) Tomorrow`,
		});
		expect(sends()[1]).toMatchObject({ to: CARLA, context: { message_id: 'wamid.CARLA1' }, text: { body: 'Tomorrow' } });
	});
});
