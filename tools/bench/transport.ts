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
	return listed as Transport[];
}

export const useTransport = (app: AppUnderTest, transport: Transport): Promise<void> =>
	app.harness.setSetting('send_from_runtime', transport === 'runtime');

export const transportLabel = (transport: Transport): string =>
	transport === 'runtime' ? "from the app's runtime" : "through Rocket.Chat's HTTP bridge";
