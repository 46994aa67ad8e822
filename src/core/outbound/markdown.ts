import { EMOJI } from './emoji';

/**
 * Rocket.Chat message markdown -> WhatsApp formatting. Both use *bold*, _italic_ and ~strike~;
 * Rocket.Chat's **bold**, __italic__ and ~~strike~~ forms, [links](url) and code differ. Emoji the
 * composer wrote as shortnames (`:grinning:`) become the emoji (emoji.ts); others (a workspace's
 * custom emoji) stay as written.
 */
export function toWhatsAppText(markdown: string): string {
	const blocks: string[] = [];
	// Code, inline code and links are kept aside (behind private-use markers) so nothing inside them is rewritten.
	const keep = (kept: string) => `\uE000${blocks.push(kept) - 1}\uE000`;
	// A fence's first word is its language only when a line break follows it (```js\n...```); in
	// ```ls -la``` it is the code.
	let text = markdown.replace(/```(?:[A-Za-z0-9_+#-]*\n)?([\s\S]*?)```/g, (_m, code: string) =>
		keep('```' + code.replace(/\n$/, '') + '```'),
	);
	text = text
		.replace(/`([^`\n]+)`/g, (_m, code: string) => keep('`' + code + '`'))
		.replace(/!?\[([^\]\n]*)\]\((https?:\/\/[^)\s]+)\)/g, (_m, label: string, url: string) =>
			label && label !== url ? `${label} (${keep(url)})` : keep(url),
		)
		.replace(/<(https?:\/\/[^|>\s]+)\|([^>\n]+)>/g, (_m, url: string, label: string) => `${label} (${keep(url)})`)
		.replace(/https?:\/\/[^\s\uE000]+/g, (url) => {
			// Marks and punctuation that end it belong to the text (`**https://x.y**`, `(see https://x.y).`).
			const end = /[*_~).,!?:;'"]+$/.exec(url)?.[0] ?? '';
			return keep(url.slice(0, url.length - end.length)) + end;
		});
	// A shortname is an emoji where Rocket.Chat shows one (its message-parser grammar.pegjs: an inline
	// emoji only at the start, after a space, a mark or another emoji, never inside a word or a
	// number): `1:100:2` and `fe80::a:b` stay as written.
	let after = -1;
	text = text
		.replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
		.replace(/__([^_\n]+)__/g, '_$1_')
		.replace(/~~([^~\n]+)~~/g, '~$1~')
		.replace(/:([a-z0-9_+-]+):/g, (shortname: string, name: string, at: number, whole: string) => {
			const starts = at === 0 || at === after || /[\s*_~\uE000]/.test(whole[at - 1]);
			if (!starts || !Object.prototype.hasOwnProperty.call(EMOJI, name)) return shortname;
			after = at + shortname.length;
			return EMOJI[name];
		});
	return text.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => blocks[Number(i)]);
}
