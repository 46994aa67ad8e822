/**
 * Message text as Rocket.Chat's room shows its common marks: *bold*, _italic_, ~strike~ and `code`
 * (Rocket.Chat parses messages with @rocket.chat/message-parser; the console draws only these marks).
 */
import React from 'react';

const MARKS: Array<[RegExp, (inner: string, key: number) => React.ReactNode]> = [
	[/`([^`\n]+)`/, (inner, key) => <code key={key}>{inner}</code>],
	[/\*([^*\n]+)\*/, (inner, key) => <strong key={key}>{inline(inner)}</strong>],
	[/(?<![\w])_([^_\n]+)_(?![\w])/, (inner, key) => <em key={key}>{inline(inner)}</em>],
	[/~([^~\n]+)~/, (inner, key) => <del key={key}>{inline(inner)}</del>],
];

export function inline(text: string): React.ReactNode[] {
	let best: { index: number; length: number; node: React.ReactNode } | undefined;
	for (const [pattern, render] of MARKS) {
		const match = pattern.exec(text);
		if (match && (!best || match.index < best.index))
			best = { index: match.index, length: match[0].length, node: render(match[1], match.index) };
	}
	if (!best) return [text];
	return [text.slice(0, best.index), best.node, ...inline(text.slice(best.index + best.length))];
}
