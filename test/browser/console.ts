/**
 * The console in a real browser: the sandbox (`startSandbox`, the app in the real engine against the
 * simulated Cloud API) on free ports, and Debian's Chromium driven by playwright-core. Every page
 * records its console errors and uncaught exceptions; `expectNoBrowserErrors` fails a test on any.
 */
import { Browser, chromium, Locator, Page } from 'playwright-core';

import { startSandbox } from '../../tools/sandbox/start';

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/** Where Debian's chromium package puts the browser (`CHROMIUM_PATH` overrides). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Generous: the machine may be loaded; no step waits for a fixed time, only for what it expects. */
export const DEADLINE_MS = 60000;

export interface Console {
	sandbox: Sandbox;
	browser: Browser;
	errors: string[];
	open(): Promise<Page>;
	stop(): Promise<void>;
}

export async function startConsole(): Promise<Console> {
	const sandbox = await startSandbox({ app: 0, sim: 0, sink: 0 });
	let browser: Browser;
	try {
		browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
	const errors: string[] = [];
	return {
		sandbox,
		browser,
		errors,
		async open() {
			const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
			page.setDefaultTimeout(DEADLINE_MS);
			page.on('console', (message) => {
				if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
			});
			page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
			await page.goto(sandbox.appUrl);
			await page.getByRole('navigation', { name: 'Rooms' }).waitFor();
			return page;
		},
		async stop() {
			await browser.close();
			await sandbox.stop();
		},
	};
}

export function expectNoBrowserErrors(c: Console): void {
	expect(c.errors).toEqual([]);
}

/** The phone of `name` (a tab above the phones). */
export async function phoneOf(page: Page, name: string): Promise<Locator> {
	await page.getByRole('tab', { name }).click();
	const phone = page.locator('[data-qa="phone"]', { hasText: name });
	await phone.waitFor();
	return phone;
}

/** The contact writes `text` on the phone. */
export async function writeOnPhone(phone: Locator, text: string): Promise<void> {
	await phone.getByLabel('Message on the phone').fill(text);
	await phone.getByLabel('Send on the phone').click();
	await phone.locator('[data-qa="bubble"]', { hasText: text }).waitFor();
}

/** Opens the room named `name` in the sidebar once it is listed. */
export async function openRoom(page: Page, name: string): Promise<Locator> {
	await page.locator(`nav[aria-label="Rooms"] button[data-room="${name}"]`).click();
	const room = page.getByRole('region', { name: `Room ${name}` });
	await room.waitFor();
	return room;
}

/** Types in the room's composer and sends (Enter). */
export async function compose(room: Locator, text: string): Promise<void> {
	const box = room.getByLabel('Message', { exact: true });
	await box.fill(text);
	await box.press('Enter');
}

/** Clicks `button` and picks `file` in the file chooser it opens, as a person does. */
export async function choose(page: Page, button: Locator, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
	const [chooser] = await Promise.all([page.waitForEvent('filechooser'), button.click()]);
	await chooser.setFiles(file);
}

/** A field of the open modal, found by its label as the user reads it. */
export function modalField(modal: Locator, label: string | RegExp): Locator {
	return modal.locator('.rcx-field', { has: modal.page().locator('.rcx-field__label', { hasText: label }) });
}

/** A small real PNG (solid colour), so the app's check of the first bytes accepts it and the browser draws it. */
export function png(width = 48, height = 32): Buffer {
	const zlib = require('zlib') as typeof import('zlib');
	const crcTable = Array.from({ length: 256 }, (_, n) => {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		return c >>> 0;
	});
	const crc = (bytes: Buffer) => {
		let c = 0xffffffff;
		for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
		return (c ^ 0xffffffff) >>> 0;
	};
	const chunk = (type: string, data: Buffer) => {
		const length = Buffer.alloc(4);
		length.writeUInt32BE(data.length);
		const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
		const sum = Buffer.alloc(4);
		sum.writeUInt32BE(crc(body));
		return Buffer.concat([length, body, sum]);
	};
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
	const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [37, 211, 102]).flat())]);
	const pixels = Buffer.concat(Array.from({ length: height }, () => row));
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', zlib.deflateSync(pixels)),
		chunk('IEND', Buffer.alloc(0)),
	]);
}

/** A small one-page PDF. */
export function pdf(text = 'Return form'): Buffer {
	return Buffer.from(
		`%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n` +
			`3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R>>endobj\n` +
			`4 0 obj<</Length ${text.length + 30}>>stream\nBT /F1 18 Tf 20 60 Td (${text}) Tj ET\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n`,
		'latin1',
	);
}
