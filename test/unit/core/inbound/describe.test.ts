import * as fs from 'fs';
import * as path from 'path';

import { describedText, describeInbound } from '../../../../src/core/inbound/describe';
import { translate } from '../../../../src/core/i18n/translate';
import { CONTRACTS_DIR } from '../../../support/metaSpec';

const examples = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'meta-openapi', 'webhook-inbound.examples.json'), 'utf8'));
const message = (name: string) => (examples[name].value ?? examples[name]).entry[0].changes[0].value.messages[0];
const en = (key: string, params?: Record<string, string | number>) => translate('en', key, params);

describe("describeInbound over Meta's documented inbound messages", () => {
	it.each([
		['Text Message', 'Does it come in another color?'],
		[
			'Location Message',
			'📍 Location: Philz Coffee 101 Forest Ave, Palo Alto, CA 94301 https://maps.google.com/?q=37.44221496582,-122.16165924072\n' +
				'🔗 Website: https://philzcoffee.com/',
		],
		['Contact Sharing Message', '👤 Contact: Lucía Gómez · phones: +1 (983) 555-2319 · emails: -\n🏢 Works at: Google'],
		[
			'Interactive List Reply Message',
			'🔘 Replied "Priority Mail Express" (payload: priority_express)\nRow description: Next Day to 2 Days',
		],
		['Interactive Button Reply Message', '🔘 Replied "Cancel" (payload: cancel-button)'],
		['Order Message', '🛒 Order:\n• 2 × di9ozbzfi4 · 30 USD each\n• 1 × nqryix03ez · 25 USD each\nTotal: 85 USD'],
		['Button Message', '🔘 Replied "Unsubscribe" (payload: Unsubscribe)'],
		['Reaction Message', 'Reacted 👍'],
		[
			'Unsupported Message',
			'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported.',
		],
	])('%s', (name, text) => {
		expect(describedText(describeInbound(message(name)), en)).toBe(text);
	});

	it('describes media with its caption and what to download', () => {
		const described = describeInbound(message('Image Message'));
		expect(describedText(described, en)).toBe('📷 Image\nTaj Mahal');
		expect(described.media).toEqual({ kind: 'image', id: '1003383421387256', mimeType: 'image/jpeg', caption: 'Taj Mahal' });
	});

	it('describes shared contacts, interactive replies and links replies to the quoted message', () => {
		expect(describedText(describeInbound(message('Contact Sharing Message')), en)).toMatch(
			/^👤 Contact: Lucía Gómez · phones: .+ · emails: .+/,
		);
		const list = describeInbound(message('Interactive List Reply Message'));
		expect(describedText(list, en)).toMatch(/^🔘 Replied ".+" \(payload: .+\)\nRow description: .+$/);
		expect(list.replyTo).toBe(message('Interactive List Reply Message').context.id);
		expect(describeInbound(message('Reaction Message')).replyTo).toBe(message('Reaction Message').reaction.message_id);
	});

	it('shows a location without a URL, and an organization and an order in part, as Meta may send them', () => {
		const location = message('Location Message');
		const { url: _url, ...withoutUrl } = location.location;
		expect(describedText(describeInbound({ ...location, location: withoutUrl }), en)).not.toContain('Website');
		const contact = message('Contact Sharing Message').contacts[0];
		const org = (value: Record<string, string>) =>
			describedText(describeInbound({ ...message('Contact Sharing Message'), contacts: [{ ...contact, org: value }] }), en);
		expect(org({ company: 'Meta Inc', department: 'Engineering', title: 'Software Engineer' })).toContain(
			'🏢 Works at: Meta Inc · Engineering · Software Engineer',
		);
		expect(org({})).not.toContain('Works at');
		const order = message('Order Message');
		const items = order.order.product_items;
		// An item without a price, or prices in two currencies: each line as it came, no total.
		const partial = { ...order, order: { ...order.order, product_items: [items[0], { product_retailer_id: 'x1', quantity: 3 }] } };
		expect(describedText(describeInbound(partial), en)).toBe('🛒 Order:\n• 2 × di9ozbzfi4 · 30 USD each\n• 3 × x1');
		const mixed = {
			...order,
			order: {
				...order.order,
				text: 'Gift wrap, please',
				product_items: [items[0], { ...items[1], currency: 'EUR', item_price: 2.5 }],
			},
		};
		expect(describedText(describeInbound(mixed), en)).toBe(
			'🛒 Order:\n• 2 × di9ozbzfi4 · 30 USD each\n• 1 × nqryix03ez · 2.5 EUR each\nGift wrap, please',
		);
		// Float prices: the total to the cent.
		const cents = { ...order, order: { ...order.order, product_items: [{ ...items[0], item_price: 0.1, quantity: 3 }] } };
		expect(describedText(describeInbound(cents), en)).toBe('🛒 Order:\n• 3 × di9ozbzfi4 · 0.1 USD each\nTotal: 0.3 USD');
	});

	it('says an order, an organization, a website and a row description in every language', () => {
		for (const lang of ['es', 'pt-BR']) {
			const tr = (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
			const order = describedText(describeInbound(message('Order Message')), tr);
			expect(order).toContain('2 × di9ozbzfi4 · 30 USD');
			expect(order).toContain('85 USD');
			expect(order).not.toMatch(/Order|each|Total: __/);
			expect(describedText(describeInbound(message('Location Message')), tr)).toContain('https://philzcoffee.com/');
			expect(describedText(describeInbound(message('Contact Sharing Message')), tr)).toContain('Google');
			expect(describedText(describeInbound(message('Interactive List Reply Message')), tr)).toContain('Next Day to 2 Days');
		}
	});

	it('never stays silent on an unknown type', () => {
		expect(describedText(describeInbound({ type: 'hologram' }), en)).toBe(
			'⚠️ The contact sent a message WhatsApp does not pass on (hologram): ',
		);
	});

	describe('an unsupported message says what the contact did, when Meta names it (`unsupported.type`)', () => {
		const unsupported = (kind?: unknown) => ({
			...message('Unsupported Message'),
			...(kind === undefined ? {} : { unsupported: { type: kind } }),
		});
		const text = (kind: unknown, lang = 'en') =>
			describedText(describeInbound(unsupported(kind)), (key, params) => translate(lang, key, params));

		it.each([
			['edit', '✏️ The contact edited an earlier message; WhatsApp does not pass on the new text.'],
			['pin', '📌 The contact pinned or unpinned a message; WhatsApp does not say which one.'],
			['poll_creation', '📊 The contact sent a poll; WhatsApp does not pass on polls.'],
			['poll_update', '📊 The contact voted in a poll; WhatsApp does not pass on votes.'],
			['reaction', '💬 The contact reacted to a message; WhatsApp does not pass on this reaction.'],
			[
				'keep_in_chat',
				'🔖 The contact kept a disappearing message in the chat, or stopped keeping it; WhatsApp does not say which one.',
			],
		])('%s', (kind, expected) => {
			expect(text(kind)).toBe(expected);
		});

		it('in the workspace language', () => {
			expect(text('edit', 'es')).toBe('✏️ El contacto editó un mensaje anterior; WhatsApp no transmite el texto nuevo.');
			expect(text('edit', 'pt-BR')).toBe('✏️ O contato editou uma mensagem anterior; o WhatsApp não repassa o novo texto.');
		});

		it("has words for every kind of Meta's list it names, in every language", () => {
			const kinds = ['edit', 'pin', 'keep_in_chat', 'reaction', 'poll_creation', 'poll_update', 'gif', 'group_invite'];
			const more = ['link_preview', 'image', 'location', 'media_placeholder', 'product', 'order', 'interactive', 'list'];
			for (const kind of [...kinds, ...more])
				for (const lang of ['en', 'es', 'pt-BR']) {
					const said = text(kind, lang);
					expect([kind, lang, said.startsWith('⚠️') || said.includes('inbound_')]).toEqual([kind, lang, false]);
				}
		});

		it('falls back to the generic text for a kind it has no words for, naming it when it looks like one', () => {
			expect(text('hologram')).toBe(
				'⚠️ The contact sent a message WhatsApp does not pass on (unsupported: hologram): Message type is currently not supported.',
			);
			// Not a word (or a name of Object's prototype, never a key of the table): unnamed.
			for (const odd of ['<b>x</b>', '', 42, { a: 1 }, 'toString', '__proto__', 'constructor_'])
				expect(text(odd)).toBe(
					'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported.',
				);
			expect(text('constructor')).toBe(
				'⚠️ The contact sent a message WhatsApp does not pass on (unsupported: constructor): Message type is currently not supported.',
			);
			expect(text(undefined)).toBe(
				'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported.',
			);
		});
	});
});

describe('describeInbound and a document name with control or bidirectional characters', () => {
	it('shows the name without them, so it reads as it is', () => {
		const described = describeInbound({
			from: '1',
			id: 'wamid.1',
			timestamp: '1',
			type: 'document',
			document: { id: 'm1', mime_type: 'application/pdf', filename: 'invoice\u202efdp.exe\u0007' },
		});
		expect(described.pieces[0].params).toEqual({ name: 'invoicefdp.exe' });
	});
});
