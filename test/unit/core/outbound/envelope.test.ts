import { whatsAppMessage } from '../../../../src/core/outbound/envelope';

describe('whatsAppMessage', () => {
	it('builds the envelope then the content, in the order Meta documents', () => {
		const body = whatsAppMessage({ to: '15551234567', content: { type: 'text', text: { body: 'hi', preview_url: false } } });
		expect(JSON.stringify(body)).toBe(
			'{"messaging_product":"whatsapp","recipient_type":"individual","to":"15551234567","type":"text","text":{"body":"hi","preview_url":false}}',
		);
	});

	it('quotes the contact message it replies to', () => {
		const body = whatsAppMessage({ to: '15551234567', content: { type: 'image', image: { id: 'm1' } }, replyTo: 'wamid.X' });
		expect(body).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '15551234567',
			context: { message_id: 'wamid.X' },
			type: 'image',
			image: { id: 'm1' },
		});
	});

	it('has no context without a reply', () => {
		expect('context' in whatsAppMessage({ to: '1', content: { type: 'text', text: { body: 'x' } }, replyTo: '' })).toBe(false);
	});

	it('goes to a business-scoped user id in `recipient`, without `to` (Meta\'s "Business-scoped user IDs")', () => {
		for (const bsuid of ['US.13491208655302741918', 'US.ENT.11815799212886844830']) {
			expect(
				JSON.stringify(whatsAppMessage({ to: bsuid, content: { type: 'text', text: { body: 'hi' } }, replyTo: 'wamid.X' })),
			).toBe(
				`{"messaging_product":"whatsapp","recipient_type":"individual","recipient":"${bsuid}","context":{"message_id":"wamid.X"},"type":"text","text":{"body":"hi"}}`,
			);
		}
		// Not a BSUID (no country code, a lowercase one, no period): a number in `to`, as given.
		for (const to of ['13491208655302741918', 'us.13491208655302741918', 'US13491208655302741918'])
			expect(whatsAppMessage({ to, content: { type: 'text', text: { body: 'hi' } } })).toMatchObject({ to });
	});
});
