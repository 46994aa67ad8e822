// Local stand-in for jsr:@std/streams `toArrayBuffer` (used by the runtime's upload handler).
export async function toArrayBuffer(readable: ReadableStream<Uint8Array>): Promise<ArrayBuffer> {
	const chunks: Uint8Array[] = [];
	let length = 0;
	for await (const chunk of readable) {
		chunks.push(chunk);
		length += chunk.length;
	}
	const out = new Uint8Array(length);
	let offset = 0;
	for (const chunk of chunks) {
		out.set(chunk, offset);
		offset += chunk.length;
	}
	return out.buffer;
}
