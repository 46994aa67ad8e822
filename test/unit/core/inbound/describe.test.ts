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
			'📍 Location: Philz Coffee — 101 Forest Ave, Palo Alto, CA 94301 · https://maps.google.com/?q=37.44221496582,-122.16165924072\n' +
				'🔗 Website: https://philzcoffee.com/',
		],
		['Contact Sharing Message', '👤 Contact: Lucía Gómez · phones: +1 (983) 555-2319 (MOBILE) · emails: -\n🏢 Works at: Google'],
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
			'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported. (131051)',
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

	it("shows an unsupported message's error code with Meta's words, or alone", () => {
		const base = message('Unsupported Message');
		const withError = (error: unknown) =>
			describedText(describeInbound({ ...base, errors: [error] }), (key, params) => translate('en', key, params));
		expect(withError({ code: '131051', message: 'Message type unknown' })).toBe(
			'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type unknown (131051)',
		);
		expect(withError({ code: 131051 })).toBe('⚠️ The contact sent a message WhatsApp does not pass on (unsupported): (131051)');
		expect(withError({ code: 'x1', title: 'Odd' })).toBe('⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Odd');
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
				'⚠️ The contact sent a message WhatsApp does not pass on (unsupported: hologram): Message type is currently not supported. (131051)',
			);
			// Not a word (or a name of Object's prototype, never a key of the table): unnamed.
			for (const odd of ['<b>x</b>', '', 42, { a: 1 }, 'toString', '__proto__', 'constructor_'])
				expect(text(odd)).toBe(
					'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported. (131051)',
				);
			expect(text('constructor')).toBe(
				'⚠️ The contact sent a message WhatsApp does not pass on (unsupported: constructor): Message type is currently not supported. (131051)',
			);
			expect(text(undefined)).toBe(
				'⚠️ The contact sent a message WhatsApp does not pass on (unsupported): Message type is currently not supported. (131051)',
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

describe('describeInbound: what an agent reads of the rest of what Meta delivers', () => {
	const text = (m: Record<string, unknown>, lang = 'en') =>
		describedText(describeInbound(m), (key, params) => translate(lang, key, params));
	const interactive = (body: Record<string, unknown>) => ({ ...message('Interactive Button Reply Message'), interactive: body });

	describe("a WhatsApp Flow's answer (`nfm_reply`)", () => {
		// Meta's "Receiving Flow Response" example, with the fields a form gives.
		const flow = (response_json: unknown, extra: Record<string, unknown> = {}) =>
			interactive({ type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json, ...extra } });

		it('says a form was answered, then its fields as `key: value` lines, without the flow_token', () => {
			const json = JSON.stringify({
				flow_token: 'secret-token-1',
				name: 'Lucía Gómez',
				guests: 2,
				newsletter: true,
				days: ['mon', 'tue'],
				address: { city: 'Menlo Park', zip: '94025' },
				note: '',
			});
			expect(text(flow(json))).toBe(
				'📝 The contact answered a form (flow · Sent)\n' +
					'name: Lucía Gómez\nguests: 2\nnewsletter: true\ndays: mon, tue\naddress.city: Menlo Park\naddress.zip: 94025\nnote: -',
			);
			expect(text(flow(json))).not.toContain('secret-token-1');
			expect(text(flow(json), 'es')).toMatch(/^📝 El contacto respondió un formulario \(flow · Sent\)\nname: Lucía Gómez\n/);
			expect(text(flow(json), 'pt-BR')).toMatch(/^📝 O contato respondeu a um formulário \(flow · Sent\)\n/);
		});

		it('never shows the empty button text of before', () => {
			expect(text(flow(JSON.stringify({ flow_token: 't' })))).toBe('📝 The contact answered a form (flow · Sent)');
			expect(text(interactive({ type: 'nfm_reply', nfm_reply: {} }))).toBe('📝 The contact answered a form (-)');
			expect(text(flow(JSON.stringify({ a: 1 })))).not.toContain('Replied');
		});

		it('shows a response_json that does not parse into an object as it came, up to 1,000 characters', () => {
			expect(text(flow('{not json'))).toBe('📝 The contact answered a form (flow · Sent)\n{not json');
			expect(text(flow('[1,2]'))).toBe('📝 The contact answered a form (flow · Sent)\n[1,2]');
			const long = `{${'x'.repeat(5000)}`;
			const lines = text(flow(long)).split('\n');
			expect(lines[1]).toBe(`${long.slice(0, 1000)}…`);
			// A field's long value is bounded too.
			expect(text(flow(JSON.stringify({ comment: 'y'.repeat(3000) }))).split('\n')[1]).toBe(`comment: ${'y'.repeat(1000)}…`);
		});

		it('shows a field nested too deep to write as an ellipsis, and the others', () => {
			// 12 kB of brackets: JSON.stringify of it runs out of stack.
			const deep = `{"a":${'['.repeat(20000)}${']'.repeat(20000)},"b":"ok"}`;
			expect(text(flow(deep))).toBe('📝 The contact answered a form (flow · Sent)\na: …\nb: ok');
		});
	});

	it("shows a message it cannot describe as one the app could not read, in the contact's words' place", () => {
		const unreadable = {
			...message('Text Message'),
			get text(): unknown {
				throw new RangeError('Maximum call stack size exceeded');
			},
		};
		expect(describeInbound(unreadable).unreadable).toBe('RangeError');
		expect(text(unreadable)).toBe('⚠️ The contact sent a message the app could not read (text).');
		expect(text(unreadable, 'es')).toBe('⚠️ El contacto envió un mensaje que la app no pudo leer (text).');
	});

	describe('an answer to a call permission request (`call_permission_reply`)', () => {
		const call = (reply: Record<string, unknown>) => interactive({ type: 'call_permission_reply', call_permission_reply: reply });

		it.each([
			[
				{ response: 'accept', is_permanent: true, response_source: 'user_action' },
				'📞 The contact accepted calls from the business, permanently.',
			],
			[
				{ response: 'accept', is_permanent: false, expiration_timestamp: 1763373600, response_source: 'user_action' },
				'📞 The contact accepted calls from the business until 2025-11-17 10:00 UTC.',
			],
			[
				{ response: 'accept', is_permanent: false, expiration_timestamp: '1763373600' },
				'📞 The contact accepted calls from the business until 2025-11-17 10:00 UTC.',
			],
			[{ response: 'accept' }, '📞 The contact accepted calls from the business.'],
			[{ response: 'accept', expiration_timestamp: 'soon' }, '📞 The contact accepted calls from the business.'],
			[
				{ response: 'reject', is_permanent: false, response_source: 'user_action' },
				'📵 The contact declined calls from the business.',
			],
		])('%j', (reply, expected) => {
			expect(text(call(reply))).toBe(expected);
		});

		it('in the workspace language, and named when its answer is neither word', () => {
			expect(text(call({ response: 'accept', is_permanent: true }), 'es')).toBe(
				'📞 El contacto aceptó recibir llamadas de la empresa, de forma permanente.',
			);
			expect(text(call({ response: 'reject' }), 'pt-BR')).toBe('📵 O contato não aceitou receber chamadas da empresa.');
			expect(text(call({ response: 'maybe' }))).toBe(
				'🔘 The contact answered an interactive message (call_permission_reply); the app cannot show this kind of answer.',
			);
		});
	});

	it('names any other interactive answer, never an empty reply', () => {
		expect(text(interactive({ type: 'payment_reply', payment_reply: { id: 'x' } }))).toBe(
			'🔘 The contact answered an interactive message (payment_reply); the app cannot show this kind of answer.',
		);
		expect(text(interactive({ type: '<b>x</b>' }))).toBe(
			'🔘 The contact answered an interactive message (unknown); the app cannot show this kind of answer.',
		);
		expect(text(interactive({}))).toBe(
			'🔘 The contact answered an interactive message (unknown); the app cannot show this kind of answer.',
		);
		expect(text(interactive({ type: 'payment_reply' }), 'es')).toBe(
			'🔘 El contacto respondió a un mensaje interactivo (payment_reply); la aplicación no puede mostrar este tipo de respuesta.',
		);
	});

	it('a contact who opened the chat for the first time (`request_welcome`, no body): no unsupported warning', () => {
		const welcome = { from: '16505551234', id: 'wamid.W', timestamp: '1750275992', type: 'request_welcome' };
		expect(text(welcome)).toBe('👋 The contact opened the chat for the first time; they have not written anything yet.');
		expect(text(welcome, 'pt-BR')).toBe('👋 O contato abriu a conversa pela primeira vez; ainda não escreveu nada.');
	});

	describe('a contact card', () => {
		const card = (contact: Record<string, unknown>) => ({ ...message('Contact Sharing Message'), contacts: [contact] });
		// Meta's ContactObject example values.
		const full = {
			addresses: [
				{
					city: 'Menlo Park',
					country: 'United States',
					country_code: 'US',
					state: 'CA',
					street: '1 Hacker Way',
					type: 'Home',
					zip: '94025',
				},
				{ city: 'Lisboa', country_code: 'PT' },
			],
			birthday: '1999-01-23',
			emails: [{ email: 'foo@gmail.com', type: 'Personal' }],
			name: { formatted_name: 'Barbara J. Johnson', first_name: 'Barbara', last_name: 'Johnson' },
			phones: [{ phone: '+14125550829', wa_id: '14125550829', type: 'CELL' }],
			urls: [{ url: 'meta.com', type: 'Company' }, { url: 'https://example.com/b' }],
		};

		it('shows its addresses, websites and birthday', () => {
			expect(text(card(full))).toBe(
				'👤 Contact: Barbara J. Johnson · phones: +14125550829 (CELL) · emails: foo@gmail.com\n' +
					'🏠 Address: 1 Hacker Way, Menlo Park, CA, 94025, United States (Home)\n' +
					'🏠 Address: Lisboa, PT\n' +
					'🔗 Websites: meta.com, https://example.com/b\n' +
					'🎂 Birthday: 1999-01-23',
			);
			expect(text(card(full), 'es')).toContain('🏠 Dirección: 1 Hacker Way, Menlo Park, CA, 94025, United States (Home)\n');
			expect(text(card(full), 'es')).toContain('🎂 Cumpleaños: 1999-01-23');
		});

		it('without a formatted_name, is named by the parts of its name, never empty', () => {
			expect(text(card({ name: { first_name: 'Lucía', last_name: 'Gómez' } }))).toBe(
				'👤 Contact: Lucía Gómez · phones: - · emails: -',
			);
			expect(
				text(card({ name: { prefix: 'Dr.', first_name: 'Ana', middle_name: 'M.', last_name: 'Souza', suffix: 'Jr.' } })),
			).toMatch(/^👤 Contact: Dr\. Ana M\. Souza Jr\. ·/);
			expect(text(card({ phones: [{ phone: '+1 555' }] }))).toBe('👤 Contact: - · phones: +1 555 · emails: -');
			// A phone known only by its WhatsApp id; an id that is not digits is not shown.
			expect(text(card({ phones: [{ wa_id: '5511987654321', type: 'MOBILE' }, { wa_id: 'x1' }] }))).toBe(
				'👤 Contact: - · phones: +5511987654321 (MOBILE) · emails: -',
			);
		});
	});

	describe('where the contact came from (`referral`)', () => {
		const ad = message('Text Message from Click to WhatsApp Ad');

		it("shows an ad's headline and its text, and the greeting the contact saw", () => {
			expect(text(ad)).toBe(
				'📣 From the ad "Chat with us" (https://fb.me/3cr4Wqqkv)\n' +
					'Ad text: Summer Succulents are here!\n' +
					'Image the contact saw: https://scontent.xx.fbcdn.net/v/t45.1...\n' +
					'Greeting the contact saw: Hi there! Let us know how we can help!\n' +
					'Hello! Can I get more info on this?',
			);
			expect(text(ad, 'es')).toBe(
				'📣 Desde el anuncio "Chat with us" (https://fb.me/3cr4Wqqkv)\n' +
					'Texto del anuncio: Summer Succulents are here!\n' +
					'Imagen que vio el contacto: https://scontent.xx.fbcdn.net/v/t45.1...\n' +
					'Saludo que vio el contacto: Hi there! Let us know how we can help!\n' +
					'Hello! Can I get more info on this?',
			);
		});

		it('labels a post as a post, and shows the text alone when there is no headline', () => {
			const post = { ...ad, referral: { ...ad.referral, source_type: 'post', welcome_message: undefined } };
			expect(text(post)).toBe(
				'📣 From the post "Chat with us" (https://fb.me/3cr4Wqqkv)\nPost text: Summer Succulents are here!\n' +
					'Image the contact saw: https://scontent.xx.fbcdn.net/v/t45.1...\nHello! Can I get more info on this?',
			);
			expect(text(post, 'pt-BR')).toMatch(/^📣 Da publicação "Chat with us" .+\nTexto da publicação: Summer Succulents are here!\n/);
			const bodyOnly = { ...ad, referral: { source_url: 'https://fb.me/x', source_type: 'ad', body: 'Summer Succulents are here!' } };
			expect(text(bodyOnly)).toBe(
				'📣 From the ad "Summer Succulents are here!" (https://fb.me/x)\nHello! Can I get more info on this?',
			);
		});

		it("shows a video ad's video; a link that is not https, or of another kind than the media, is not shown", () => {
			const video = {
				...ad,
				referral: { ...ad.referral, media_type: 'video', video_url: 'https://example.com/v.mp4', welcome_message: undefined },
			};
			expect(text(video)).toContain('\nVideo the contact saw: https://example.com/v.mp4\n');
			for (const referral of [
				{ media_type: 'image', image_url: 'javascript:alert(1)' },
				{ media_type: 'image', image_url: 'http://example.com/i.jpg' },
				{ media_type: 'image', video_url: 'https://example.com/v.mp4' },
				{ media_type: 'gif', image_url: 'https://example.com/i.gif' },
			])
				expect(text({ ...ad, referral: { ...ad.referral, image_url: undefined, ...referral } })).not.toMatch(
					/the contact saw: (?!Hi)/,
				);
		});
	});

	it('says a message was forwarded, or forwarded many times (`context.forwarded`, `context.frequently_forwarded`)', () => {
		const plain = message('Text Message');
		expect(text({ ...plain, context: { forwarded: true } })).toBe('↪️ Forwarded\nDoes it come in another color?');
		expect(text({ ...plain, context: { frequently_forwarded: true, forwarded: true } })).toBe(
			'⏩ Forwarded many times\nDoes it come in another color?',
		);
		expect(text({ ...plain, context: { forwarded: false } })).toBe('Does it come in another color?');
		expect(text({ ...plain, context: { frequently_forwarded: true } }, 'es')).toBe(
			'⏩ Reenviado muchas veces\nDoes it come in another color?',
		);
		// A forwarded message quotes nothing.
		expect(describeInbound({ ...plain, context: { forwarded: true } }).replyTo).toBeUndefined();
		// A forwarded file: the mark stays when the file itself is in the room.
		const image = describeInbound({ ...message('Image Message'), context: { forwarded: true } });
		expect(describedText({ pieces: image.pieces.filter((p) => !p.media) }, en)).toBe('↪️ Forwarded\nTaj Mahal');
	});

	it('shows a location of coordinates alone without stray spaces', () => {
		const location = { ...message('Location Message'), location: { latitude: 37.44221496582, longitude: -122.16165924072 } };
		expect(text(location)).toBe('📍 Location: https://maps.google.com/?q=37.44221496582,-122.16165924072');
		expect(text(location, 'es')).toBe('📍 Ubicación: https://maps.google.com/?q=37.44221496582,-122.16165924072');
		const named = { ...location, location: { ...location.location, name: 'Philz Coffee' } };
		expect(text(named)).toBe('📍 Location: Philz Coffee · https://maps.google.com/?q=37.44221496582,-122.16165924072');
	});
});
