/**
 * Journey (a): an agent sends a template from a contact's room through the modal Rocket.Chat's
 * renderer draws, meets the field error, fixes it, and watches the template reach the phone and turn
 * read, on the phone and in the room.
 */
import { compose, Console, DEADLINE_MS, expectNoBrowserErrors, modalField, openRoom, phoneOf, startConsole, writeOnPhone } from './console';

/** The browser's own, in the functions evaluated in the page (this file's types have no DOM). */
declare function getComputedStyle(element: unknown): { borderInlineStartColor: string };

describe('console: an agent sends a template from a contact room', () => {
	let c: Console;
	beforeAll(async () => {
		c = await startConsole();
	});
	afterAll(() => c?.stop());

	it('shows the field error under the empty parameter, then sends; the phone shows the template and reads it, and the room shows it read', async () => {
		const page = await c.open();
		const phone = await phoneOf(page, 'Carla Souza');
		await writeOnPhone(phone, 'Hi! Can you send me my invoice?');

		const room = await openRoom(page, 'Carla Souza');
		await room.getByText('Hi! Can you send me my invoice?').waitFor();

		await compose(room, '/whatsapp send-template');
		const modal = page.locator('[data-qa="uikit-modal"]');
		await modal.getByText('Send a WhatsApp template').waitFor();

		// The template select (fuselage's SelectFiltered, as Rocket.Chat draws a static_select).
		await modalField(modal, 'Template').locator('.rcx-select').click();
		await page.locator('.rcx-option', { hasText: 'order_invoice' }).click();
		await modalField(modal, 'Body {{customer_name}}').waitFor();

		await modalField(modal, 'Header document (link)').locator('input').fill('https://example.com/invoice-1042.pdf');
		await modalField(modal, 'Document file name').locator('input').fill('invoice-1042.pdf');
		await modalField(modal, 'Body {{customer_name}}').locator('input').fill('Carla');
		await modalField(modal, 'Body {{order_id}}').locator('input').fill('7781');
		await modal.getByRole('button', { name: 'Send', exact: true }).click();

		// Rocket.Chat shows a field error under its field (Field.Error of the input block).
		const invoice = modalField(modal, 'Body {{invoice_number}}');
		await invoice.locator('.rcx-field__error').waitFor();
		expect(await invoice.locator('.rcx-field__error').innerText()).toContain('Fill in this parameter');
		expect(await modalField(modal, 'Body {{customer_name}}').locator('.rcx-field__error').count()).toBe(0);
		expect(c.sandbox.sim.sentMessages).toHaveLength(0);

		await invoice.locator('input').fill('INV-1042');
		await modal.getByRole('button', { name: 'Send', exact: true }).click();
		await modal.waitFor({ state: 'detached' });

		const sentText = 'Hi Carla, your invoice INV-1042 for order 7781 is attached.';
		await room.getByText(sentText, { exact: false }).first().waitFor();

		const bubble = phone.locator('[data-qa="bubble"][data-type="template"]');
		await bubble.getByText(sentText).waitFor();
		await bubble.getByText('invoice-1042.pdf').waitFor();
		await bubble.getByText('Sandbox Support').waitFor();
		await phone.getByText('View order').waitFor();
		// The phone shows it, so it reads it: its ticks turn read, and Meta's read status reaches the app.
		await bubble.locator('[data-status="read"]').waitFor();
		// The room shows it too: under the message, its WhatsApp status (the app's attachment, drawn as
		// Rocket.Chat's DefaultAttachment) turns read, with WhatsApp's blue as its bar.
		const message = room.locator('[data-qa="message"]', { hasText: sentText });
		const state = message.locator('.attachment', { hasText: 'Read on WhatsApp' });
		await state.waitFor({ timeout: DEADLINE_MS });
		expect(await state.innerText()).toBe('✓✓ Read on WhatsApp');
		expect(await state.evaluate((el) => getComputedStyle(el).borderInlineStartColor)).toBe('rgb(83, 189, 235)');
		expect(await message.locator('.attachment', { hasText: 'on WhatsApp' }).count()).toBe(1);

		const [sent] = c.sandbox.sim.sentMessages;
		expect(sent.body.template).toMatchObject({ name: 'order_invoice' });
		await page.getByRole('radio', { name: 'Admin' }).click();
		await page.getByRole('button', { name: 'Administration' }).click();
		await page.getByRole('tab', { name: 'Status callbacks' }).click();
		const row = page.locator('[data-qa="status-log"] tr', { hasText: sent.wamid }).filter({ hasText: 'read' });
		await row.first().waitFor({ timeout: DEADLINE_MS });
		expectNoBrowserErrors(c);
		await page.close();
	});

	it("keeps a one-time code typed in its field through the modal's updates, which never carry it, and sends it", async () => {
		const page = await c.open();
		const phone = await phoneOf(page, 'Carla Souza');
		await writeOnPhone(phone, 'I need a login code');
		const room = await openRoom(page, 'Carla Souza');
		await room.getByText('I need a login code').waitFor();

		await compose(room, '/whatsapp send-template');
		const modal = page.locator('[data-qa="uikit-modal"]');
		await modalField(modal, 'Template').locator('.rcx-select').click();
		await page.locator('.rcx-option', { hasText: 'login_code' }).click();
		const code = modalField(modal, 'One-time code').locator('input');
		await code.fill('J7Q2K9');
		// The app's update (the preview, its code masked; the console shows mrkdwn as written) has replaced
		// the blocks: the field still shows the code.
		await modal.getByText('*••••••* is your verification code.', { exact: false }).waitFor();
		expect(await code.inputValue()).toBe('J7Q2K9');
		expect(await modal.innerText()).not.toContain('J7Q2K9');
		await modal.getByRole('button', { name: 'Send', exact: true }).click();
		await modal.waitFor({ state: 'detached' });

		const sent = c.sandbox.sim.sentMessages.find((m) => m.body.template?.name === 'login_code');
		expect(sent?.body.template.components).toEqual([
			{ type: 'body', parameters: [{ type: 'text', text: 'J7Q2K9' }] },
			{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'J7Q2K9' }] },
		]);
		expect(c.sandbox.harness.formatLogs()).not.toContain('J7Q2K9');
		expectNoBrowserErrors(c);
		await page.close();
	});

	it('fills a carousel card by card, each field named by its card, and the phone shows every card with its values', async () => {
		const page = await c.open();
		const phone = await phoneOf(page, 'Carla Souza');
		await writeOnPhone(phone, 'Any summer deals?');
		const room = await openRoom(page, 'Carla Souza');
		await room.getByText('Any summer deals?').waitFor();

		await compose(room, '/whatsapp send-template');
		const modal = page.locator('[data-qa="uikit-modal"]');
		await modalField(modal, 'Template').locator('.rcx-select').click();
		await page.locator('.rcx-option', { hasText: 'summer_picks' }).click();
		// By the label's start: the message body's `Body {{1}}` is not a card's `Card 1: Body {{1}}`.
		const field = (label: string) => modalField(modal, new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).locator('input');
		await field('Card 2: Header image (link)').waitFor();
		await field('Body {{1}}').fill('Carla');
		for (const [card, item, off] of [
			[1, 'lemons', '15%'],
			[2, 'mangoes', '20%'],
		]) {
			await field(`Card ${card}: Header image (link)`).fill(`https://example.com/${item}.jpg`);
			await field(`Card ${card}: Body {{1}}`).fill(String(off));
			await field(`Card ${card}: Button 2 "Buy now": end of the link https://example.com/shop?item={{1}}`).fill(String(item));
		}
		// The preview names each card, with its values in place.
		await modal.getByText('Card 2 of 2', { exact: false }).waitFor();
		await modal.getByText('Mangoes, 20% off this week.', { exact: false }).waitFor();
		await modal.getByRole('button', { name: 'Send', exact: true }).click();
		await modal.waitFor({ state: 'detached' });

		const sent = c.sandbox.sim.sentMessages.find((m) => m.body.template?.name === 'summer_picks');
		expect(sent?.body.template.components[1]).toEqual({
			type: 'carousel',
			cards: [
				['lemons', '15%'],
				['mangoes', '20%'],
			].map(([item, off], card_index) => ({
				card_index,
				components: [
					{ type: 'header', parameters: [{ type: 'image', image: { link: `https://example.com/${item}.jpg` } }] },
					{ type: 'body', parameters: [{ type: 'text', text: off }] },
					// No payload typed: the button's text, so that both cards give the same components.
					{
						type: 'button',
						sub_type: 'quick_reply',
						index: '0',
						parameters: [{ type: 'payload', payload: 'Send more like this' }],
					},
					{ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: item }] },
				],
			})),
		});
		const bubble = phone.locator('[data-qa="bubble"][data-type="template"]', { hasText: 'Our summer picks for you, Carla!' });
		await bubble.waitFor();
		const cards = bubble.locator('[data-qa="card"]');
		expect(await cards.allInnerTexts()).toEqual([
			expect.stringMatching(/lemons\.jpg[\s\S]*Lemons, 15% off this week\.[\s\S]*Send more like this[\s\S]*Buy now/),
			expect.stringMatching(/mangoes\.jpg[\s\S]*Mangoes, 20% off this week\.[\s\S]*Send more like this[\s\S]*Buy now/),
		]);
		await room.getByText('Card 2 of 2', { exact: false }).first().waitFor();
		expectNoBrowserErrors(c);
		await page.close();
	});

	it("fills a multi-product list on several lines in Rocket.Chat's text area, and the room shows the sections sent", async () => {
		const page = await c.open();
		const phone = await phoneOf(page, 'Carla Souza');
		await writeOnPhone(phone, 'Anything new?');
		const room = await openRoom(page, 'Carla Souza');
		await room.getByText('Anything new?').waitFor();

		await compose(room, '/whatsapp send-template');
		const modal = page.locator('[data-qa="uikit-modal"]');
		await modalField(modal, 'Template').locator('.rcx-select').click();
		await page.locator('.rcx-option', { hasText: 'spring_products' }).click();
		const sections = modalField(modal, /the products, one section per line/).locator('textarea');
		await sections.waitFor();
		await modalField(modal, 'Body {{1}}').locator('input').fill('Carla');
		await modalField(modal, /whose image heads the message/)
			.locator('input')
			.fill('sku-1');
		// Typed as an agent types it: Enter starts the second line, it does not send the modal.
		await sections.pressSequentially('Bundles: sku-1, sku-2');
		await sections.press('Enter');
		await sections.pressSequentially('Premium: sku-3');
		await modal.getByText('[products: Bundles: sku-1, sku-2; Premium: sku-3]', { exact: false }).waitFor();
		await modal.getByRole('button', { name: 'Send', exact: true }).click();
		await modal.waitFor({ state: 'detached' });

		const sent = c.sandbox.sim.sentMessages.find((m) => m.body.template?.name === 'spring_products');
		expect(sent?.body.template.components[1]).toEqual({
			type: 'button',
			sub_type: 'mpm',
			index: '0',
			parameters: [
				{
					type: 'action',
					action: {
						thumbnail_product_retailer_id: 'sku-1',
						sections: [
							{ title: 'Bundles', product_items: [{ product_retailer_id: 'sku-1' }, { product_retailer_id: 'sku-2' }] },
							{ title: 'Premium', product_items: [{ product_retailer_id: 'sku-3' }] },
						],
					},
				},
			],
		});
		await room.getByText('[products: Bundles: sku-1, sku-2; Premium: sku-3]', { exact: false }).first().waitFor();
		expectNoBrowserErrors(c);
		await page.close();
	});
});
