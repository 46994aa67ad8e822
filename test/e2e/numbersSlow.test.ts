/**
 * The numbers modal's connect and edit forms when Meta is slow to answer the credential check.
 * Rocket.Chat's web client waits 5 s for the answer to a submit (apps/meteor/client/lib/ActionManager.ts
 * `TRIGGER_TIMEOUT`; tools/harness/rc/uikit.ts `ClientTriggers`): later, it shows its own timeout
 * error and closes the form. The admin then reads the outcome in a notice in the room the modal was
 * last opened from (a modal's submit carries no room: NumbersRoomStore keeps it).
 */
import { HarnessRoom } from '../../tools/harness/world';
import { AppUnderTest, connectState, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/** Past the client's 5 s, with room for the app's own work. */
const SLOW_MS = 6000;

describe('the connect form when Meta answers slower than Rocket.Chat’s client waits', () => {
	let app: AppUnderTest;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		room = app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
	});
	afterEach(() => stopChecked(app));

	const admin = () => app.harness.admin;
	const notices = () =>
		app.harness.world.notificationsFor(admin().id).map((n) => [(n.room as { id?: string } | undefined)?.id, String(n.text)]);
	const submit = (accessToken = NUMBER.accessToken) =>
		app.harness.viewSubmit({
			user: admin(),
			state: connectState({ phoneNumberId: NUMBER.phoneNumberId, wabaId: NUMBER.wabaId, accessToken, appSecret: NUMBER.appSecret }),
		});
	const connected = () =>
		app.harness.world.persistence.some((r) => (r.data as { phoneNumberId?: string }).phoneNumberId === NUMBER.phoneNumberId);

	it('connects the number, and the notice in the room says so, though the client closed the form with its timeout error', async () => {
		await app.harness.command('whatsapp', ['connect'], { user: admin(), room });
		app.sim.setLatency(SLOW_MS);
		await submit();
		expect(app.harness.toasts).toEqual([{ userId: admin().id, message: 'UIKit_Interaction_Timeout' }]);
		expect(app.harness.openModal(admin())).toBeUndefined();
		expect(connected()).toBe(true);
		expect(notices()).toEqual([
			[
				room.id,
				"Checking the number with Meta took about as long as Rocket.Chat waits for the app's answer (5 seconds) or longer, so the form may have closed with a timeout error. The outcome: Connected +1 555-078-3881 (Acme Support).",
			],
		]);
	}, 60000);

	it('a refusal: nothing is saved, and the notice gives each field’s reason and where to correct it', async () => {
		await app.harness.command('whatsapp', ['connect'], { user: admin(), room });
		app.sim.setLatency(SLOW_MS);
		await submit('EAAWRONG');
		expect(app.harness.toasts).toHaveLength(1);
		expect(app.harness.droppedInteractions).toEqual([expect.objectContaining({ type: 'errors', origin: 'viewSubmit' })]);
		expect(connected()).toBe(false);
		expect(notices()).toEqual([
			[
				room.id,
				"Checking the number with Meta took about as long as Rocket.Chat waits for the app's answer (5 seconds) or longer, so the form may have closed with a timeout error. Nothing was saved. Access token: Meta rejected this access token: it is invalid or expired. Create a new system-user token. Run /whatsapp connect again to correct it.",
			],
		]);
		expect(JSON.stringify(app.harness.world.notificationsFor(admin().id))).not.toContain('EAAWRONG');
	}, 60000);

	it('an edit from the list goes to the room /whatsapp numbers was run in, the last one the admin used', async () => {
		const elsewhere = app.harness.addRoom({ name: 'elsewhere', creator: admin() });
		await app.harness.command('whatsapp', ['connect'], { user: admin(), room: elsewhere });
		await submit();
		// Done under the list: the modal closes before the admin types the next command.
		await app.harness.viewSubmit({ user: admin() });
		await app.harness.command('whatsapp', ['numbers'], { user: admin(), room });
		await app.harness.blockAction({
			user: admin(),
			actionId: 'whatsapp-number-edit',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: app.harness.openModal(admin())!.view,
		});
		app.sim.setLatency(SLOW_MS);
		await app.harness.viewSubmit({ user: admin(), state: connectState({ accessToken: '', appSecret: '', welcomeMessage: 'Hi' }) });
		expect(app.harness.toasts).toHaveLength(1);
		expect(notices()).toEqual([
			[
				room.id,
				"Checking the number with Meta took about as long as Rocket.Chat waits for the app's answer (5 seconds) or longer, so the form may have closed with a timeout error. The outcome: Saved +1 555-078-3881 (Acme Support).",
			],
		]);
	}, 60000);

	it('no notice when Meta answers in time', async () => {
		await app.harness.command('whatsapp', ['connect'], { user: admin(), room });
		expect(await submit()).toMatchObject({ success: true, type: 'modal.update' });
		expect(app.harness.toasts).toEqual([]);
		expect(notices()).toEqual([]);
		// Why the room is kept: a modal's block action carries none (the harness refuses one, as the client sends none).
		await expect(
			app.harness.blockAction({
				user: admin(),
				actionId: 'whatsapp-number-edit',
				blockId: `number:${NUMBER.phoneNumberId}`,
				value: NUMBER.phoneNumberId,
				view: app.harness.openModal(admin())!.view,
				room,
			}),
		).rejects.toThrow('no room with a block action in a modal');
	});
});
