/**
 * Meta's webhook bytes, rebuilt from the parsed body: compact JSON with every non-ASCII UTF-16
 * code unit escaped as lowercase `\uXXXX` (emoji outside the BMP become surrogate pairs) and `/`
 * escaped as `\/`. Verified against a captured payload and the vectors in shared/contracts.
 */
const NON_ASCII_OR_SLASH = /[\u0080-\uffff/]/g;

function escape(char: string): string {
	return char === '/' ? '\\/' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export function serializeLikeMeta(value: unknown): string {
	// JSON.stringify already escapes control characters and lone surrogates (lowercase); non-ASCII
	// and '/' occur only inside strings. One regex pass: a 1,000-status batch takes a few ms.
	return JSON.stringify(value).replace(NON_ASCII_OR_SLASH, escape);
}
