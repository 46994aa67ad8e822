/**
 * The "Roles allowed to ..." settings name roles as admins see them. Rocket.Chat holds a user's
 * roles by id, and a custom role's id is random (roles.create: `Roles.createWithRandomId`): the app
 * looks an entry up by name (the `role.read` permission) when it matches none of the user's roles
 * as it is. Built-in roles (ids that are their names) need no look-up.
 */
import { AppUnderTest, callApi, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

describe('roles settings with a custom role', () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.loadTemplateFixtures(NUMBER.wabaId);
	});
	afterEach(() => stopChecked(app));

	const room = () => app.harness.addRoom({ name: 'ops', creator: app.harness.admin });
	const lastNotice = (userId: string) => String(app.harness.world.notificationsFor(userId).pop()?.text ?? '');

	it('lets a user with the custom role named in "Roles allowed to manage numbers" list the numbers; not without it', async () => {
		const roleId = app.harness.world.addCustomRole('whatsapp-managers');
		const maria = app.harness.addUser({ username: 'maria', roles: ['user', roleId] });
		const joao = app.harness.addUser({ username: 'joao', roles: ['user'] });
		await app.harness.command('whatsapp', ['numbers'], { user: maria, room: room() });
		expect(app.harness.world.uiFor(maria.id)).toEqual([]);
		expect(lastNotice(maria.id)).toBe('You are not allowed to run `/whatsapp numbers`. Ask a workspace administrator.');

		await app.harness.setSetting('manager_roles', 'admin, whatsapp-managers');
		await app.harness.command('whatsapp', ['numbers'], { user: maria, room: room() });
		expect(app.harness.lastView(maria)?.id).toBe('whatsapp-numbers');
		expect(JSON.stringify(app.harness.lastView(maria))).toContain(NUMBER.phoneNumberId);
		await app.harness.command('whatsapp', ['numbers'], { user: joao, room: room() });
		expect(app.harness.world.uiFor(joao.id)).toEqual([]);
		// The role's id works as well as its name.
		await app.harness.viewClosed({ user: maria });
		await app.harness.setSetting('manager_roles', roleId);
		await app.harness.command('whatsapp', ['connect'], { user: maria, room: room() });
		expect(app.harness.lastView(maria)?.id).toBe('whatsapp-numbers');
	});

	it('lets an integrator with the custom role named in "Roles allowed to use the templateMessage API" send', async () => {
		const roleId = app.harness.world.addCustomRole('crm-integration');
		app.harness.addUser({ username: 'crm', roles: ['user', roleId], authToken: 'crm-token' });
		const send = () =>
			callApi(app, 'templateMessage', {
				body: {
					phoneNumbers: ['5511987654321'],
					connectedWhatsAppNo: NUMBER.phoneNumberId,
					template: { name: 'hello_world', language: { code: 'en_US' } },
				},
				headers: { 'X-User-Id': 'user-crm', 'X-Auth-Token': 'crm-token' },
			});
		expect(await send()).toMatchObject({ status: 403, body: { success: false, code: 'forbidden' } });
		expect(app.sim.requestsTo('/messages')).toEqual([]);
		await app.harness.setSetting('template_message_roles', 'admin, livechat-manager, crm-integration');
		const sent = await send();
		expect(sent).toMatchObject({ status: 200, body: { success: true, results: [{ phoneNumber: '5511987654321' }] } });
		expect(app.sim.requestsTo('/messages')).toHaveLength(1);
		// No role of that name is an unknown entry, not an error.
		await app.harness.setSetting('template_message_roles', 'admin, no-such-role');
		expect(await send()).toMatchObject({ status: 403, body: { code: 'forbidden' } });
	});
});
