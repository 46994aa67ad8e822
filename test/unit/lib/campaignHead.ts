/** A campaign's head as the store keeps it: two recipients in one chunk, active, none sent; `fields` change it. */
import { Campaign } from '../../../src/core/bulk/campaign';

export const campaignHead = (id: string, fields: Partial<Campaign> = {}): Campaign => ({
	id,
	createdBy: 'u-owner',
	createdAt: 1000,
	state: 'active',
	phoneNumberId: '1234567890',
	template: { name: 'order_ready', language: { code: 'en_US' } },
	text: 'Hello',
	routing: {},
	total: 2,
	chunks: 1,
	cursor: 0,
	leaseUntil: 0,
	...fields,
});
