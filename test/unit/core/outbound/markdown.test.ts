import { execFileSync } from 'child_process';
import * as path from 'path';

import { toWhatsAppText } from '../../../../src/core/outbound/markdown';

describe('toWhatsAppText', () => {
	it.each([
		['*bold* _italic_ ~strike~', '*bold* _italic_ ~strike~'],
		['**bold** __italic__ ~~strike~~', '*bold* _italic_ ~strike~'],
		['see [the docs](https://example.com/a_b) now', 'see the docs (https://example.com/a_b) now'],
		['[https://x.y](https://x.y)', 'https://x.y'],
		['<https://x.y/z|here>', 'here (https://x.y/z)'],
		['`a **b**` and ```js\nconst x = **1**;\n```', '`a **b**` and ```const x = **1**;```'],
		['plain 😀 text', 'plain 😀 text'],
		// Emoji Rocket.Chat's picker and completion write as shortnames (emojione's, as Rocket.Chat shows them).
		['thanks :grinning: :thumbsup::flag_br:', 'thanks 😀 👍🇧🇷'],
		[
			'a custom :acme_logo: emoji, a time 10:30:45, `code :grinning:`',
			'a custom :acme_logo: emoji, a time 10:30:45, `code :grinning:`',
		],
		[':constructor: :hasOwnProperty: :toString:', ':constructor: :hasOwnProperty: :toString:'],
		// Only where Rocket.Chat shows an emoji (grammar.pegjs: not inside a word or a number).
		['scored 1:100:2, host fe80::a:b, x:grinning:', 'scored 1:100:2, host fe80::a:b, x:grinning:'],
		[':100: **:fire:** _:grinning:_ (:grinning:)\n:thumbsup:', '💯 *🔥* _😀_ (:grinning:)\n👍'],
		// A one-line fence: its first word is code, not a language (only a line break after it makes one).
		['Use ```ls -la``` now', 'Use ```ls -la``` now'],
		['```password123```', '```password123```'],
		['```ts\nlet a = 1;```', '```let a = 1;```'],
		// Links are left as written: underscores, tildes and colons in a URL are not formatting.
		[
			'see https://ex.com/a__b__c and https://ex.com/~~x~~/:grinning:',
			'see https://ex.com/a__b__c and https://ex.com/~~x~~/:grinning:',
		],
		['[**the** docs](https://ex.com/a__b__c)', '*the* docs (https://ex.com/a__b__c)'],
		['**https://x.com/a** and (see https://x.com/b).', '*https://x.com/a* and (see https://x.com/b).'],
	])('%j', (input, output) => {
		expect(toWhatsAppText(input)).toBe(output);
	});
});

describe('the emoji table', () => {
	it('is what tools/emoji-table.js makes of the emojione version installed (the one Rocket.Chat uses)', () => {
		const script = path.join(__dirname, '..', '..', '..', '..', 'tools', 'emoji-table.js');
		expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
	});
});
