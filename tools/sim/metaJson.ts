/**
 * Meta's webhook serialization, written for the simulator from Meta's wire format as captured
 * (shared/contracts/README.md, third-party-captures): compact JSON (no spaces), every character
 * outside ASCII escaped as lowercase `\uXXXX` (characters beyond the BMP as their UTF-16 surrogate
 * pair, e.g. 😀 as `\ud83d\ude00`), and `/` escaped as `\/`. The app has its own serializer; this
 * one is deliberately separate, so an end-to-end test catches a bug in either.
 */

/** Short escapes of JSON; other control characters are `\u00XX`. */
const SHORT: Record<string, string> = {
	'"': '\\"',
	'\\': '\\\\',
	'/': '\\/',
	'\b': '\\b',
	'\f': '\\f',
	'\n': '\\n',
	'\r': '\\r',
	'\t': '\\t',
};

function hex4(code: number): string {
	return `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A string literal as Meta writes it, one UTF-16 code unit at a time (so a pair becomes two escapes, a lone surrogate one). */
export function metaString(text: string): string {
	let out = '"';
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		const code = text.charCodeAt(i);
		if (SHORT[ch]) out += SHORT[ch];
		else if (code < 0x20 || code > 0x7f) out += hex4(code);
		else out += ch;
	}
	return `${out}"`;
}

/**
 * `value` as the bytes Meta POSTs. Plain JSON values only: object keys in insertion order,
 * `undefined` members left out (null in arrays), numbers as JSON writes them, non-finite as null.
 */
export function serializeMetaJson(value: unknown): string {
	const written = write(value);
	if (written === undefined) throw new Error('serializeMetaJson: nothing to serialize');
	return written;
}

function write(value: unknown): string | undefined {
	if (value === null) return 'null';
	switch (typeof value) {
		case 'string':
			return metaString(value);
		case 'number':
			return Number.isFinite(value) ? String(value) : 'null';
		case 'boolean':
			return value ? 'true' : 'false';
		case 'object':
			break;
		default:
			return undefined; // undefined, functions, symbols
	}
	const withJson = value as { toJSON?: () => unknown };
	if (typeof withJson.toJSON === 'function') return write(withJson.toJSON());
	if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
	const members: string[] = [];
	for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
		const written = write(member);
		if (written !== undefined) members.push(`${metaString(key)}:${written}`);
	}
	return `{${members.join(',')}}`;
}
