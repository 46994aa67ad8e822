/**
 * The app under test: the packaged zip in the real engine (tools/harness), the simulated Cloud API
 * validating every request against Meta's spec, the app's endpoints over real HTTP, and the app's
 * Graph base URL pointed at the simulator.
 */
import { AppHarness } from '../../tools/harness/AppHarness';
import { HarnessHttpServer } from '../../tools/harness/HarnessHttpServer';
import { CloudApiSimulator, SimNumber } from '../../tools/sim/CloudApiSimulator';
import { validateRequest } from './metaSpec';

export const NUMBER: SimNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-078-3881',
	verifiedName: 'Acme Support',
	accessToken: 'EAATESTTOKEN1234567890',
	appSecret: '0123456789abcdef0123456789abcdef',
};

export interface AppUnderTest {
	harness: AppHarness;
	sim: CloudApiSimulator;
	http: HarnessHttpServer;
	stop(): Promise<void>;
}

export async function startApp(): Promise<AppUnderTest> {
	const sim = new CloudApiSimulator({ validate: validateRequest });
	const { baseUrl } = await sim.start();
	sim.addNumber(NUMBER);
	let harness: AppHarness;
	try {
		harness = await AppHarness.start();
	} catch (error) {
		await sim.stop();
		throw error;
	}
	await harness.setSetting('graph_api_base_url', baseUrl);
	const http = new HarnessHttpServer(harness);
	await http.start();
	sim.webhookTarget = { url: http.endpointUrl('webhook') };
	return {
		harness,
		sim,
		http,
		async stop() {
			await http.stop();
			await harness.stop();
			await sim.stop();
		},
	};
}

/** The connect form's state as the Rocket.Chat client submits it: `{ [blockId]: { [actionId]: value } }`. */
export function connectState(values: Record<string, string>): Record<string, Record<string, unknown>> {
	const state: Record<string, Record<string, unknown>> = {};
	for (const [field, value] of Object.entries(values)) state[field] = { [field]: value };
	return state;
}
