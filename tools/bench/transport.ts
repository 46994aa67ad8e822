/**
 * How the app's sends and status callbacks leave it in a bench run: `bridge`, through Rocket.Chat's
 * HTTP bridge (the default setting), or `runtime`, from the app's own runtime (the "Send from the
 * app's runtime" setting, src/adapters/directHttp.ts). `BENCH_TRANSPORT` lists those to measure
 * (both by default).
 */
import { AppUnderTest } from '../harness/appUnderTest';

export type Transport = 'bridge' | 'runtime';

export function transports(): Transport[] {
	const listed = (process.env.BENCH_TRANSPORT ?? 'bridge,runtime').split(',').map((t) => t.trim());
	const unknown = listed.filter((t) => t !== 'bridge' && t !== 'runtime');
	if (unknown.length) throw new Error(`BENCH_TRANSPORT: unknown ${unknown.join(', ')} (bridge, runtime)`);
	// A scheme the runs cannot speak fails before the first run, not after the others.
	for (const transport of listed as Transport[]) schemeOf(transport);
	return listed as Transport[];
}

export const useTransport = (app: AppUnderTest, transport: Transport): Promise<void> =>
	app.harness.setSetting('send_from_runtime', transport === 'runtime');

export const transportLabel = (transport: Transport): string =>
	`${transport === 'runtime' ? "from the app's runtime" : "through Rocket.Chat's HTTP bridge"} (to ${schemeOf(transport)} URLs)`;

export type Scheme = 'http' | 'https';

/**
 * The scheme Meta's side and the status receiver speak in a bench run (`BENCH_SCHEME=http` sets it
 * for both transports):
 * - through the bridge, https, as Meta's Graph API and a production Message Status Endpoint do.
 *   Rocket.Chat makes an https call on Node's global agent, which keeps the connection for the next
 *   call; from Rocket.Chat 8.2 (engine 1.60, the pinned 1.62 included) an http URL gets a new
 *   connection for every call (tools/harness/rc/http.ts), a cost no real Meta call pays.
 * - from the app's runtime, http: the runtime cannot trust the bench's own authority (Rocket.Chat
 *   passes its runtime no environment, so no DENO_CERT), so every call would fail
 *   (test/e2e/runtimeHttps.test.ts); it keeps its connections open over http as over https on
 *   Deno 2 (src/adapters/directHttp.ts).
 */
export function schemeOf(transport: Transport): Scheme {
	const forced = process.env.BENCH_SCHEME;
	if (forced === undefined) return transport === 'bridge' ? 'https' : 'http';
	if (forced !== 'http' && forced !== 'https') throw new Error(`BENCH_SCHEME: ${forced} (http, https)`);
	if (forced === 'https' && transport === 'runtime')
		throw new Error("BENCH_SCHEME=https: the app's runtime does not trust the bench's authority; its runs speak http");
	return forced;
}
