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
});
