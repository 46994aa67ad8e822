/** Journey (c): an admin sets the Message Status Endpoint URL and watches the callbacks arrive. */
import { request } from '../../tools/http/client';
import { compose, Console, expectNoBrowserErrors, openRoom, phoneOf, startConsole, writeOnPhone } from './console';

describe('console: an admin sets the status URL and watches the callbacks', () => {
	let c: Console;
	beforeAll(async () => {
		c = await startConsole();
		// A fresh workspace: no Message Status Endpoint URL yet (the sandbox sets its sink at start).
		await request(`${c.sandbox.appUrl}/sandbox/settings`, { json: { id: 'status_endpoint_url', value: '' } });
	});
	afterAll(() => c?.stop());

	it('saves the URL from the settings form; the callbacks of an agent reply appear live', async () => {
		const admin = await c.open();
		await admin.getByRole('radio', { name: 'Admin' }).click();
		await admin.getByRole('button', { name: 'Administration' }).click();
		const url = admin.getByLabel('Message Status Endpoint URL');
		expect(await url.inputValue()).toBe('');
		await url.fill(c.sandbox.sinkUrl);
		await admin.getByRole('button', { name: 'Save changes' }).click();
		await admin.getByText('Saved 1 setting.').waitFor();
		expect(await c.sandbox.harness.getSetting('status_endpoint_url')).toBe(c.sandbox.sinkUrl);
		await admin.getByRole('tab', { name: 'Status callbacks' }).click();
		await admin.getByText('Nothing has reached the status sink yet.').waitFor();

		// In another window, a contact writes and the agent answers; the contact's phone reads the answer.
		const agent = await c.open();
		const phone = await phoneOf(agent, 'Carla Souza');
		await writeOnPhone(phone, 'Is my order on its way?');
		const room = await openRoom(agent, 'Carla Souza');
		await compose(room, 'Yes, it ships today.');
		await phone.getByText('Yes, it ships today.').waitFor();

		const log = admin.locator('[data-qa="status-log"]');
		for (const status of ['queued', 'sent', 'delivered', 'read'])
			await log.locator('td.status-cell', { hasText: status }).first().waitFor();
		const [reply] = c.sandbox.sim.sentMessages;
		expect(await log.locator('tr', { hasText: reply.wamid }).count()).toBeGreaterThanOrEqual(4);
		expectNoBrowserErrors(c);
	});
});
