/** Journey (b): a contact writes and sends a photo; the agent answers with text and a PDF. */
import { choose, compose, Console, expectNoBrowserErrors, openRoom, pdf, phoneOf, png, startConsole, writeOnPhone } from './console';

describe('console: a contact sends a photo, the agent answers with text and a PDF', () => {
	let c: Console;
	beforeAll(async () => {
		c = await startConsole();
	});
	afterAll(() => c?.stop());

	it('shows the photo in the room and the answer and the PDF on the phone', async () => {
		const page = await c.open();
		const phone = await phoneOf(page, 'Diego Ramírez');
		await writeOnPhone(phone, 'Hello, the parcel arrived damaged');
		await phone.getByLabel('Message on the phone').fill('the box');
		await choose(page, phone.getByRole('button', { name: 'Attach' }), { name: 'parcel.png', mimeType: 'image/png', buffer: png() });
		await phone.locator('[data-qa="bubble"][data-type="image"]').waitFor();

		const room = await openRoom(page, 'Diego Ramírez');
		await room.getByText('Hello, the parcel arrived damaged').waitFor();
		// The photo arrives as the contact's file, with its caption, and the room previews it.
		const image = room.locator('img.attachment__image');
		await image.waitFor();
		// The browser decoded the image the room shows: its natural width is the PNG's.
		await page.waitForFunction(
			(el) => {
				const img = el as unknown as { complete: boolean; naturalWidth: number };
				return img.complete && img.naturalWidth === 48;
			},
			await image.elementHandle(),
		);
		await room.getByText('the box').waitFor();

		await compose(room, 'Sorry about that! Please fill in the return form.');
		await choose(page, room.getByRole('button', { name: 'Upload file' }), {
			name: 'return-form.pdf',
			mimeType: 'application/pdf',
			buffer: pdf(),
		});
		await room.getByRole('link', { name: 'return-form.pdf' }).waitFor();

		await phone.getByText('Sorry about that! Please fill in the return form.').waitFor();
		const document = phone.locator('[data-qa="bubble"][data-type="document"]');
		await document.getByText('return-form.pdf').waitFor();
		// The agent has the conversation, so the app marks the contact's messages read: blue ticks on the phone.
		await phone.locator('.bubble--mine [data-status="read"]').first().waitFor();
		expect(c.sandbox.sim.uploadedMedia.map((m) => m.mimeType)).toEqual(['application/pdf']);
		expectNoBrowserErrors(c);
		await page.close();
	});
});
