/**
 * Disconnecting a number in `/whatsapp numbers`, as Rocket.Chat's 7/8 client really behaves: it
 * never shows a button's `confirm` (fuselage-ui-kit ButtonElement), so the Disconnect click reaches
 * the app at once. The app asks in a confirmation modal; only that modal's submit disconnects.
 * Every view the app shows here is checked against what the client ignores (tools/harness/rc/uikit.ts).
 */
import { assertClientRenders } from '../../tools/harness/rc/uikit';
import { AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

describe('disconnecting a number', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
	});
	afterEach(() => stopChecked(app));

	const connected = () =>
		app.harness.world.persistence.some((r) => (r.data as Record<string, unknown>).phoneNumberId === NUMBER.phoneNumberId);

	async function numbersList() {
		const room = app.harness.addRoom({ name: `admin-${Date.now()}`, creator: app.harness.admin });
		await app.harness.command('whatsapp', ['numbers'], { user: app.harness.admin, room });
		const view = app.harness.lastView(app.harness.admin)!;
		assertClientRenders(view);
		return view;
	}

	async function clickDisconnect(view: Record<string, unknown>) {
		// What the client sends on the first click of the Disconnect button (no confirm is shown).
		const response = await app.harness.blockAction({
			user: app.harness.admin,
			actionId: 'whatsapp-number-disconnect',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view,
		});
		// A new modal replaces the list (ModalStore.open), under an id of its own (the list's would keep the list on screen).
		expect(response).toMatchObject({
			success: true,
			type: 'modal.open',
			view: { id: expect.stringMatching(/^whatsapp-numbers:[0-9a-f]{12}$/) },
		});
		expect(response.view.id).not.toBe(view.id);
		const shown = app.harness.openModal(app.harness.admin)!.view;
		assertClientRenders(shown);
		return shown;
	}

	it('clicking Disconnect alone leaves the number connected and asks in a modal naming the number', async () => {
		const confirm = await clickDisconnect(await numbersList());
		expect(connected()).toBe(true);
		expect(confirm).toMatchObject({
			id: expect.stringMatching(/^whatsapp-numbers:/),
			type: 'modal',
			title: { text: 'Disconnect this number?' },
			submit: { text: { text: 'Disconnect' }, style: 'danger' },
			close: { text: { text: 'Cancel' } },
		});
		const shown = JSON.stringify(confirm.blocks);
		expect(shown).toContain('+1 555-078-3881 will stop receiving and sending WhatsApp messages in this workspace.');
		expect(shown).toContain(NUMBER.phoneNumberId);
		expect(shown).not.toContain(NUMBER.accessToken);
	});

	it('confirming disconnects the number and shows the list again', async () => {
		const confirm = await clickDisconnect(await numbersList());
		const done = await app.harness.viewSubmit({ user: app.harness.admin, view: confirm });
		// The list comes back in the modal on screen, the confirmation's (an update of its id).
		expect(done).toMatchObject({ success: true, type: 'modal.update', view: { id: confirm.id } });
		// What the admin sees: the list, in the modal the client has open.
		const shown = app.harness.openModal(app.harness.admin)!.view;
		assertClientRenders(shown);
		expect(JSON.stringify(shown.blocks)).toContain('Disconnected +1 555-078-3881.');
		expect(JSON.stringify(shown.blocks)).toContain('No WhatsApp number is connected yet.');
		expect(shown.submit).toMatchObject({ text: { text: 'Done' } });
		expect(connected()).toBe(false);
	});

	it('Cancel closes the question and the number stays connected', async () => {
		const confirm = await clickDisconnect(await numbersList());
		await app.harness.viewClosed({ user: app.harness.admin, view: confirm });
		expect(app.harness.openModal(app.harness.admin)).toBeUndefined();
		expect(connected()).toBe(true);
		expect(JSON.stringify((await numbersList()).blocks)).toContain(NUMBER.phoneNumberId);
	});

	const NOT_ALLOWED = 'You are not allowed to run `/whatsapp numbers`. Ask a workspace administrator.';

	it('only an admin who may manage numbers can confirm: one who lost the role is told so on the question, which stays open', async () => {
		const confirm = await clickDisconnect(await numbersList());
		// The admin loses the role while the question is open.
		const admin = app.harness.admin;
		const roles = admin.roles;
		admin.roles = ['user'];
		try {
			const refused = await app.harness.viewSubmit({ user: admin, view: confirm });
			expect(refused).toMatchObject({ success: true, type: 'modal.update', view: { id: confirm.id } });
			const shown = app.harness.openModal(admin)!.view;
			assertClientRenders(shown);
			expect(JSON.stringify(shown.blocks)).toContain(NOT_ALLOWED);
			expect(shown.submit).toMatchObject({ text: { text: 'Disconnect' } });
		} finally {
			admin.roles = roles;
		}
		expect(connected()).toBe(true);
	});

	it('a click in the list by an admin who lost the role opens a modal that says so, and changes nothing', async () => {
		const list = await numbersList();
		const admin = app.harness.admin;
		const roles = admin.roles;
		admin.roles = ['user'];
		try {
			const refused = await app.harness.blockAction({
				user: admin,
				actionId: 'whatsapp-number-disconnect',
				blockId: `number:${NUMBER.phoneNumberId}`,
				value: NUMBER.phoneNumberId,
				view: list,
			});
			expect(refused).toMatchObject({ success: true, type: 'modal.open' });
			const shown = app.harness.openModal(admin)!.view;
			assertClientRenders(shown);
			expect(shown).toMatchObject({ title: { text: 'WhatsApp numbers' } });
			expect(JSON.stringify(shown.blocks)).toContain(NOT_ALLOWED);
		} finally {
			admin.roles = roles;
		}
		expect(connected()).toBe(true);
	});

	it('the connect form and the edit form render as the app means them', async () => {
		const list = await numbersList();
		const connect = await app.harness.blockAction({
			user: app.harness.admin,
			actionId: 'whatsapp-number-connect',
			blockId: 'numbers-footer',
			view: list,
		});
		assertClientRenders(connect.view);
		// Cancel, then the list again for the edit form (the client holds one modal).
		await app.harness.viewClosed({ user: app.harness.admin });
		const again = await numbersList();
		const edit = await app.harness.blockAction({
			user: app.harness.admin,
			actionId: 'whatsapp-number-edit',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: again,
		});
		assertClientRenders(edit.view);
	});
});
