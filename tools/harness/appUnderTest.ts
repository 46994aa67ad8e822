/**
 * The app under test, for the end-to-end tests and the benchmarks: the packaged zip in the real
 * engine (AppHarness), the simulated Cloud API validating every request against Meta's spec, the
 * app's endpoints over real HTTP, and the app's Graph base URL pointed at the simulator.
 */
import { createHmac } from 'crypto';

import { chooseTokenKey, newTokenKey, visitorToken } from '../../src/core/app/visitorTokens';
import { request, HttpRequest } from '../http/client';
import { LoopbackTls, loopbackTls } from '../http/tls';
import { CloudApiSimulator, SimNumber } from '../sim/CloudApiSimulator';
import { MEDIA_DOWNLOAD_PATH } from '../sim/media';
import { loadSpec, validateRequest } from '../sim/metaSpec';
import { AppHarness, HarnessOptions } from './AppHarness';
import { HarnessRoom, HarnessUser } from './world';
import { HarnessHttpOptions, HarnessHttpServer } from './HarnessHttpServer';
import { trustAuthority } from './rc/http';
import { startedSinks, StatusSink } from './statusSink';

export const NUMBER: SimNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-078-3881',
	verifiedName: 'Acme Support',
	accessToken: 'EAATESTTOKEN1234567890',
	appSecret: '0123456789abcdef0123456789abcdef',
};

/** NUMBER's `appsecret_proof`: `printf %s EAATESTTOKEN1234567890 | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef`. */
export const NUMBER_PROOF = '236cc0f9b27f81f9911dc2cde4af5b7d4643da25ca90302ab137d279c58ffa99';

export interface AppUnderTest {
	harness: AppHarness;
	sim: CloudApiSimulator;
	http: HarnessHttpServer;
	/** The status sinks started since the app was (what the app POSTed to its Message Status Endpoint URL). */
	statusSinks?: () => StatusSink[];
	stop(): Promise<void>;
}

/**
 * The loopback authority's server certificate (tools/http/tls.ts), that authority trusted by the
 * harness's Rocket.Chat (rc/http.ts `trustAuthority`): for a server that speaks https as Meta and a
 * production status receiver do. The app's runtime does not trust it (Rocket.Chat passes its runtime
 * no environment, so no DENO_CERT).
 */
export async function trustedTls(): Promise<LoopbackTls> {
	const tls = await loopbackTls();
	trustAuthority(tls.ca);
	return tls;
}

/**
 * `persistenceLatencyMs`: milliseconds every call to Rocket.Chat's persistence waits (MongoDB behind
 * the engine; 0 by default, 1 for what a real server sees); calls made at once wait side by side.
 * `bodyLimit`: the largest request body Rocket.Chat parses for the app (HarnessHttpServer.ts; by
 * default 100 kB, as 7.6 and later). `metaOverHttps`: the simulated Cloud API answers over https,
 * as Meta does, with a certificate of the harness's own authority that its Rocket.Chat trusts
 * (tools/http/tls.ts); http by default.
 */
export async function startApp(
	options: HarnessOptions & { persistenceLatencyMs?: number; metaOverHttps?: boolean } & HarnessHttpOptions = {},
): Promise<AppUnderTest> {
	// Meta's spec is parsed before the app's first Graph call, not inside it (the app's timeout runs).
	loadSpec();
	const firstSink = startedSinks.length;
	const tls = options.metaOverHttps ? await trustedTls() : undefined;
	const sim = new CloudApiSimulator({ validate: validateRequest, tls });
	const { baseUrl } = await sim.start();
	sim.addNumber(NUMBER);
	let harness: AppHarness;
	try {
		const { persistenceLatencyMs, bodyLimit: _bodyLimit, metaOverHttps: _metaOverHttps, ...rest } = options;
		harness = await AppHarness.start(
			persistenceLatencyMs === undefined ? rest : { ...rest, persistence: { ...rest.persistence, latencyMs: persistenceLatencyMs } },
		);
	} catch (error) {
		await sim.stop();
		throw error;
	}
	await harness.setSetting('graph_api_base_url', baseUrl);
	const http = new HarnessHttpServer(harness, { bodyLimit: options.bodyLimit });
	await http.start();
	sim.webhookTarget = { url: http.endpointUrl('webhook') };
	return {
		harness,
		sim,
		http,
		statusSinks: () => startedSinks.slice(firstSink),
		async stop() {
			await http.stop();
			await harness.stop();
			await sim.stop();
		},
	};
}

/**
 * The end of every end-to-end test: the app logged no unexpected error, every request the
 * simulated Cloud API received was valid against Meta's spec, and every Graph call carried the app
 * secret's proof; then everything stops.
 */
export async function stopChecked(app: AppUnderTest | undefined): Promise<void> {
	if (!app) return;
	try {
		// Events Rocket.Chat fired to the app (IPostMessageSent...) run to their end first.
		await app.harness.settled();
		app.harness.assertNoAppErrors();
		if (app.sim.violations.length)
			throw new Error(`requests invalid against Meta's spec:\n${JSON.stringify(app.sim.violations, null, 2)}`);
		// Every Graph call carries the app secret's proof (GraphClient `appSecretProof`), as a Meta app
		// with "Require App Secret" on demands; the simulator checks each one it is given.
		const unproven = app.sim.requests.filter((r) => r.path !== MEDIA_DOWNLOAD_PATH && !r.query.appsecret_proof);
		if (unproven.length)
			throw new Error(`Graph calls without appsecret_proof: ${unproven.map((r) => `${r.method} ${r.path}`).join(', ')}`);
		assertNoSecretShown(app);
	} finally {
		await app.stop();
	}
}

/**
 * The secrets scan: no connected number's access token, app secret or its proof appears in anything the app
 * showed or said: its log, room messages, ephemeral notices, UIKit views, HTTP answers, or the
 * payloads (bodies and headers) it POSTed to the Message Status Endpoint URL's sinks. Throws,
 * naming where (and only the secret's last four characters), when one does.
 */
export function assertNoSecretShown(app: AppUnderTest): void {
	const numbers = [...app.sim.numbers.values()];
	// The app secret's proof of each token (GraphClient `appSecretProof`) is kept out too: it goes to Meta only.
	const proofs = numbers.flatMap((n) =>
		[n.appSecret, n.tokenAppSecret].filter(Boolean).map((secret) =>
			createHmac('sha256', secret as string)
				.update(n.accessToken)
				.digest('hex'),
		),
	);
	const secrets = [...numbers.flatMap((n) => [n.accessToken, n.appSecret, n.tokenAppSecret]), ...proofs].filter(
		(s): s is string => typeof s === 'string' && s.length >= 8,
	);
	const places: Record<string, unknown> = {
		'app log': app.harness.logs,
		'room messages': app.harness.world.messages.map((m) => ({ ...m, room: undefined })),
		notices: app.harness.world.notifications.map((n) => n.message),
		'UIKit views': app.harness.world.ui,
		'HTTP answers': app.http.answers,
		'status payloads': (app.statusSinks?.() ?? []).flatMap((sink) => sink.received),
	};
	const found: string[] = [];
	for (const [place, value] of Object.entries(places)) {
		const text = JSON.stringify(value) ?? '';
		for (const secret of secrets) if (text.includes(secret)) found.push(`${place} shows a secret ending ${secret.slice(-4)}`);
	}
	if (found.length) throw new Error(`secrets shown:\n${found.join('\n')}`);
}

/**
 * The token the app gives the visitor of `waId` on `phoneNumberId` (src/core/app/visitorTokens.ts),
 * under the app's key in its persistence; the key is made there first if the app has none yet, as
 * the app makes it at first use.
 */
export function contactVisitorToken(app: AppUnderTest, waId: string, phoneNumberId = NUMBER.phoneNumberId): string {
	const appId = app.harness.appId;
	const isKey = (r: { appId: string; associations: Array<{ id: string }> }) =>
		r.appId === appId && r.associations.some((a) => a.id === 'visitor-token-key');
	if (!app.harness.world.persistence.some(isKey)) {
		app.harness.world.persistence.push({
			id: `visitor-token-key-${appId}`,
			appId,
			data: newTokenKey(Date.now()),
			associations: [{ model: 'misc', id: 'visitor-token-key' }],
		});
	}
	const key = chooseTokenKey(app.harness.world.persistence.filter(isKey).map((r) => r.data));
	return visitorToken(key!.key, { phoneNumberId, waId });
}

/**
 * A WhatsApp contact of NUMBER (or `phoneNumberId`) with an open omnichannel room served by `agent`,
 * the visitor as the app creates it (its keyed token: `contactVisitorToken`), for tests that start in
 * a contact's room. `token` and `createdAt` make another visitor's room (a version before's, or one
 * someone registered through the livechat API).
 */
export function addContactRoom(
	app: AppUnderTest,
	agent: HarnessUser,
	contact: { waId?: string; name?: string; language?: string; phoneNumberId?: string; token?: string; createdAt?: Date } = {},
): HarnessRoom {
	const waId = contact.waId ?? '5511987654321';
	const name = contact.name ?? 'Carla';
	const phoneNumberId = contact.phoneNumberId ?? NUMBER.phoneNumberId;
	const token = contact.token ?? contactVisitorToken(app, waId, phoneNumberId);
	const visitor = {
		id: `visitor-${waId}-${token.length}-${contact.createdAt?.getTime() ?? ''}`,
		token,
		username: `whatsapp-${phoneNumberId}-${waId}`,
		name,
		...(contact.language ? { livechatData: { language: contact.language } } : {}),
	};
	app.harness.world.visitors.set(visitor.id, visitor);
	return app.harness.addRoom({
		name,
		type: 'l',
		creator: agent,
		members: [agent],
		extra: {
			// The room's own copy of its visitor (Rocket.Chat's `v`); the app reads the visitor again by id (rc/rooms.ts).
			visitor: { ...visitor },
			isOpen: true,
			servedBy: app.harness.appUser(agent),
			...(contact.createdAt ? { createdAt: contact.createdAt } : {}),
		},
	});
}

/**
 * Cancels the app's recurring jobs (status deliveries every 30 seconds, the campaign tick every
 * minute, message expiry every day), for a test about to advance the scheduler by hours (the 24-hour
 * window): over a day they would run thousands of times for nothing; one-time jobs (the window
 * notices among them) still run. The engine names each job `<processor id>_<app id>`.
 */
export async function cancelRecurringJobs(app: AppUnderTest): Promise<void> {
	await app.harness.scheduler.cancelJob(`deliver-statuses_${app.harness.appId}`);
	await app.harness.scheduler.cancelJob(`expire-messages_${app.harness.appId}`);
	await app.harness.scheduler.cancelJob(`campaign-tick_${app.harness.appId}`);
}

/** The connect form's state as the Rocket.Chat client submits it: `{ [blockId]: { [actionId]: value } }`. */
export function connectState(values: Record<string, string>): Record<string, Record<string, unknown>> {
	const state: Record<string, Record<string, unknown>> = {};
	for (const [field, value] of Object.entries(values)) state[field] = { [field]: value };
	return state;
}

/** Connects `number` (NUMBER unless told; another is added to the simulated Cloud API first) through the real `/whatsapp connect` modal, as an admin does. */
export async function connectNumber(app: AppUnderTest, number: SimNumber = NUMBER): Promise<void> {
	const { harness } = app;
	if (number !== NUMBER) app.sim.addNumber(number);
	const room = harness.addRoom({ name: `setup-${Date.now()}`, creator: harness.admin });
	const before = app.sim.requests.length;
	await harness.command('whatsapp', ['connect'], { user: harness.admin, room });
	const response = await harness.viewSubmit({
		user: harness.admin,
		view: harness.lastView(harness.admin)!,
		state: connectState({
			phoneNumberId: number.phoneNumberId,
			wabaId: number.wabaId,
			accessToken: number.accessToken,
			appSecret: number.appSecret,
		}),
	});
	// Connected: the list replaces the form (a form answered with a notice or errors is not).
	const list = harness.openModal(harness.admin)?.view as { submit?: { actionId?: string } } | undefined;
	if (!response?.success || response.type !== 'modal.update' || list?.submit?.actionId !== 'whatsapp-numbers-submit:list')
		throw new Error(`connecting ${number.phoneNumberId} failed: ${JSON.stringify(response?.errors ?? response?.view?.blocks?.[0])}`);
	// Done under the list: the modal closes, as the admin's would before they go on.
	const done = await harness.viewSubmit({ user: harness.admin });
	if (!done?.success || harness.openModal(harness.admin))
		throw new Error(`the numbers list did not close on Done: ${JSON.stringify(done)}`);
	// The connect waits for its informing questions (the subscribed apps, the token) a moment only: let
	// them arrive and be answered before the requests are forgotten, so none falls into a test's count.
	await settleInforming(app.sim, before);
	app.sim.requests.length = 0;
}

/**
 * The connect's informing questions (asked after request `from`) asked and answered, every request
 * since answered; an error after 30 s (the app stopped asking one of them, say).
 */
async function settleInforming(sim: CloudApiSimulator, from: number): Promise<void> {
	const since = () => sim.requests.slice(from);
	const settled = () =>
		['/subscribed_apps', '/debug_token'].every((path) => since().some((r) => r.path.endsWith(path))) &&
		since().every((r) => r.status !== undefined || r.response !== undefined);
	for (const started = Date.now(); !settled(); await new Promise((resolve) => setTimeout(resolve, 5)))
		if (Date.now() - started > 30000)
			throw new Error(
				`the connect's questions to Meta did not all come and get their answers: ${since()
					.map((r) => `${r.method} ${r.path} ${r.status}`)
					.join(', ')}`,
			);
}

/**
 * An HTTP request to the app's endpoint over the harness HTTP server: POST by default, always with
 * `Content-Type: application/json`, `body` sent as JSON or `raw` as it is. Answers the status and
 * the body, parsed when it is JSON.
 */
export async function callApi(
	app: AppUnderTest,
	path: string,
	options: { method?: HttpRequest['method']; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answer's body is whatever the endpoint sent
): Promise<{ status: number; body: any }> {
	const raw = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
	const answer = await request(app.http.endpointUrl(path), {
		method: options.method ?? 'POST',
		headers: { 'Content-Type': 'application/json', ...(options.headers ?? {}) },
		raw,
	});
	return { status: answer.status, body: answer.body };
}

export const ADMIN_AUTH = { 'X-User-Id': 'user-admin', 'X-Auth-Token': 'admin-token' };
