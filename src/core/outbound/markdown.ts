import { EMOJI } from './emoji';

/**
 * Rocket.Chat message markdown -> WhatsApp formatting. Both use *bold*, _italic_ and ~strike~;
 * Rocket.Chat's **bold**, __italic__ and ~~strike~~ forms, [links](url) and code differ. Emoji the
 * composer wrote as shortnames (`:grinning:`) become the emoji (emoji.ts); others (a workspace's
 * custom emoji) stay as written.
 */
export function toWhatsAppText(markdown: string): string {
	const blocks: string[] = [];
	// Code blocks and inline code are kept aside (behind private-use markers) so nothing inside them is rewritten.
	let text = markdown.replace(
		/```[a-z]*\n?([\s\S]*?)```/g,
		(_m, code: string) => `\uE000${blocks.push('```' + code.replace(/\n$/, '') + '```') - 1}\uE000`,
	);
	text = text.replace(/`([^`\n]+)`/g, (_m, code: string) => `\uE000${blocks.push('`' + code + '`') - 1}\uE000`);
	text = text
		.replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
		.replace(/__([^_\n]+)__/g, '_$1_')
		.replace(/~~([^~\n]+)~~/g, '~$1~')
		.replace(/!?\[([^\]\n]*)\]\((https?:\/\/[^)\s]+)\)/g, (_m, label: string, url: string) =>
			label && label !== url ? `${label} (${url})` : url,
		)
		.replace(/<(https?:\/\/[^|>\s]+)\|([^>\n]+)>/g, '$2 ($1)')
		.replace(/:([a-z0-9_+-]+):/g, (shortname, name: string) =>
			Object.prototype.hasOwnProperty.call(EMOJI, name) ? EMOJI[name] : shortname,
		);
	return text.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => blocks[Number(i)]);
}
