/**
 * `npm run screenshots`: regenerates the console's pictures in docs/ (README): the send-template modal
 * drawn by Rocket.Chat's renderer, the room after the send (its delivery state read), and the contact's
 * phone. It plays journey (a) of the browser tests in the sandbox, in Debian's Chromium (`CHROMIUM_PATH`
 * overrides /usr/bin/chromium).
 */
import * as path from 'path';

import { chromium } from 'playwright-core';

import { startSandbox } from '../sandbox/start';

const DOCS = path.resolve(__dirname, '..', '..', 'docs');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function main(): Promise<void> {
	const sandbox = await startSandbox({ app: 0, sim: 0, sink: 0 });
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
	try {
		const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
		page.setDefaultTimeout(60000);
		await page.goto(sandbox.appUrl);
		await page.getByRole('tab', { name: 'Carla Souza' }).click();
		const phone = page.locator('[data-qa="phone"]');
		await phone.getByLabel('Message on the phone').fill('Hi! Can you send me my invoice?');
		await phone.getByLabel('Send on the phone').click();
		await page.locator('nav[aria-label="Rooms"] button[data-room="Carla Souza"]').click();
		const room = page.getByRole('region', { name: 'Room Carla Souza' });
		await room.getByText('Hi! Can you send me my invoice?').waitFor();
		await room.getByLabel('Message', { exact: true }).fill('/whatsapp send-template');
		await room.getByLabel('Message', { exact: true }).press('Enter');
		const modal = page.locator('[data-qa="uikit-modal"]');
		const field = (label: string) => modal.locator('.rcx-field', { has: page.locator('.rcx-field__label', { hasText: label }) });
		await field('Template').locator('.rcx-select').click();
		await page.locator('.rcx-option', { hasText: 'order_invoice' }).click();
		await field('Header document (link)').locator('input').fill('https://example.com/invoice-1042.pdf');
		await field('Document file name').locator('input').fill('invoice-1042.pdf');
		await field('Body {{customer_name}}').locator('input').fill('Carla');
		await field('Body {{order_id}}').locator('input').fill('7781');
		await modal.getByRole('button', { name: 'Send', exact: true }).click();
		await field('Body {{invoice_number}}').locator('.rcx-field__error').waitFor();
		await modal.screenshot({ path: path.join(DOCS, 'console-modal.png') });
		await field('Body {{invoice_number}}').locator('input').fill('INV-1042');
		await modal.getByRole('button', { name: 'Send', exact: true }).click();
		await modal.waitFor({ state: 'detached' });
		await phone.locator('[data-qa="bubble"][data-type="template"] [data-status="read"]').waitFor();
		await room.getByText('your invoice INV-1042', { exact: false }).first().waitFor();
		await room.locator('[data-qa="message"] .attachment', { hasText: 'Read on WhatsApp' }).waitFor();
		await page.screenshot({ path: path.join(DOCS, 'console-room.png') });
		await phone.screenshot({ path: path.join(DOCS, 'console-phone.png') });
		console.log(`wrote docs/console-modal.png, docs/console-room.png, docs/console-phone.png`);
	} finally {
		await browser.close();
		await sandbox.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
