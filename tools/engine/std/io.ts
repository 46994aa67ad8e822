// Local stand-in for jsr:@std/io `writeAll`, which the Apps-Engine Deno runtime imports.
// The jsr registry is not reachable from this project's machines; only the npm registry is.
export async function writeAll(writer: { write(p: Uint8Array): Promise<number> }, data: Uint8Array): Promise<void> {
	let written = 0;
	while (written < data.length) {
		written += await writer.write(data.subarray(written));
	}
}
