/**
 * The app over Rocket.Chat's persistence as it really answers (tools/harness/rc/persistence.ts),
 * under both answers Rocket.Chat versions give: 'current' (7.x/8.x: an update answers '' and a
 * removal deletes every match) and 'raw-model' (an update of an existing record throws after the
 * write, a removal deletes one record). A message's status progress is saved and re-read, a number
 * is edited, and retention forgets a whole day, on both.
 */
import { ADMIN_AUTH, AppUnderTest, callApi, connectNumber, connectState, NUMBER, startApp, stopChecked } from '../support/appUnderTest';
import { StatusSink } from '../support/statusSink';
import { EXPIRE_MESSAGES_JOB } from '../../src/entry/jobs/statusJobs';
import { backdate } from '../support/backdate';

const TEMPLATE = {
	name: 'order_update',
	language: { code: 'en_US' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
};

describe.each(['current', 'raw-model'] as const)("the app on Rocket.Chat's %s persistence", (variant) => {
	let app: AppUnderTest;
	let sink: StatusSink;

	beforeEach(async () => {
		app = await startApp({ persistence: { variant } });
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [
			{
				id: '1',
				name: 'order_update',
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
			},
		]);
		sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
	});
	afterEach(async () => {
		try {
			await sink.stop();
		} finally {
			await stopChecked(app);
		}
	});

	async function send(phoneNumbers: string[]): Promise<Array<{ phoneNumber: string; msId?: string }>> {
		const res = await callApi(app, 'templateMessage', {
			body: { phoneNumbers, connectedWhatsAppNo: NUMBER.phoneNumberId, template: TEMPLATE },
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		return res.body.results;
	}

	async function meta(statuses: Array<{ wamid: string; status: string; recipient: string }>) {
		const res = await app.sim.deliverRaw(app.sim.statusPayload(NUMBER.phoneNumberId, statuses), NUMBER.appSecret);
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
	}

	it("saves a message's status progress: a late or repeated status, in a later webhook, is not forwarded again", async () => {
		const [{ msId }] = await send(['5511987654321']);
		await meta([{ wamid: msId!, status: 'sent', recipient: '5511987654321' }]);
		await meta([{ wamid: msId!, status: 'delivered', recipient: '5511987654321' }]);
		await meta([{ wamid: msId!, status: 'read', recipient: '5511987654321' }]);
		// Every event was delivered and left the outbox: only the saved progress can stop these.
		await meta([{ wamid: msId!, status: 'delivered', recipient: '5511987654321' }]);
		await meta([{ wamid: msId!, status: 'read', recipient: '5511987654321' }]);
		await meta([{ wamid: msId!, status: 'sent', recipient: '5511987654321' }]);
		expect(sink.statuses()).toEqual([`${msId}:queued`, `${msId}:sent`, `${msId}:delivered`, `${msId}:read`]);
		const record = app.harness.world.persistence.find((r) => r.associations.some((a) => a.id === `wamid:${msId}`))!;
		expect(record.data).toMatchObject({ wamid: msId, statuses: ['queued', 'sent', 'delivered', 'read'] });
		expect(app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === `wamid:${msId}`))).toHaveLength(1);
	});

	it('edits a connected number in place', async () => {
		const admin = app.harness.admin;
		const room = app.harness.addRoom({ name: 'admin-room', creator: admin });
		await app.harness.command('whatsapp', ['numbers'], { user: admin, room });
		const list = app.harness.lastView(admin)!;
		const edit = await app.harness.blockAction({
			user: admin,
			actionId: 'whatsapp-number-edit',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: list,
		});
		const saved = await app.harness.viewSubmit({
			user: admin,
			view: edit.view,
			state: connectState({
				phoneNumberId: NUMBER.phoneNumberId,
				wabaId: NUMBER.wabaId,
				accessToken: '',
				appSecret: '',
				welcomeMessage: 'Hi again',
			}),
		});
		expect(JSON.stringify(saved.view)).toContain('Saved +1 555-078-3881');
		const numbers = app.harness.world.persistence
			.map((r) => r.data as Record<string, unknown>)
			.filter((d) => d.phoneNumberId === NUMBER.phoneNumberId && d.wabaId);
		expect(numbers).toEqual([expect.objectContaining({ accessToken: NUMBER.accessToken, welcomeMessage: 'Hi again' })]);
	});

	it('forgets every record of a day past retention, whether Rocket.Chat removes all matches or one per call', async () => {
		const results = await send(['5511987654321', '5511912345678', '5511955554444']);
		const records = app.harness.world.persistence.filter((r) =>
			results.some((x) => r.associations.some((a) => a.id === `wamid:${x.msId}`)),
		);
		expect(records).toHaveLength(3);
		backdate(app.harness.world, records);
		await app.harness.scheduler.runRecurring(EXPIRE_MESSAGES_JOB);
		expect(records.filter((r) => app.harness.world.persistence.includes(r))).toEqual([]);
	});
});
