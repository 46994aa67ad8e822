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
			'📍 Location: Philz Coffee 101 Forest Ave, Palo Alto, CA 94301 https://maps.google.com/?q=37.44221496582,-122.16165924072',
		],
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
		expect(describedText(list, en)).toMatch(/^🔘 Replied ".+" \(payload: .+\)$/);
		expect(list.replyTo).toBe(message('Interactive List Reply Message').context.id);
		expect(describeInbound(message('Reaction Message')).replyTo).toBe(message('Reaction Message').reaction.message_id);
	});

	it('never stays silent on an unknown type', () => {
		expect(describedText(describeInbound({ type: 'hologram' }), en)).toBe(
			'⚠️ The contact sent a message WhatsApp does not pass on (hologram): ',
		);
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
