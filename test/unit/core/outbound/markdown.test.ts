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
	])('%j', (input, output) => {
		expect(toWhatsAppText(input)).toBe(output);
	});
});
