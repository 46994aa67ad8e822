/**
 * `npm start`: the sandbox. The packaged app in the real engine (Deno runtime), its endpoints over
 * HTTP in Rocket.Chat's URL shape, the simulated Cloud API with one connected number, and a status
 * sink that prints what the app POSTs to the Message Status Endpoint URL. A control API under
 * /sandbox lets a person act as an agent, as a WhatsApp user and as an admin (see README).
 */
import * as http from 'http';

import { AppHarness } from '../harness/AppHarness';
import { HarnessHttpServer } from '../harness/HarnessHttpServer';
import { CloudApiSimulator, SimNumber } from '../sim/CloudApiSimulator';
import { loadSpec, validateRequest } from '../sim/metaSpec';
import { buildConsole, serveConsole } from '../console/server';
import { ConsoleApi, SinkEntry } from './consoleApi';
import { SandboxControl } from './control';

const APP_PORT = Number(process.env.SANDBOX_PORT ?? 3000);
const SIM_PORT = Number(process.env.SANDBOX_SIM_PORT ?? APP_PORT + 1);
const SINK_PORT = Number(process.env.SANDBOX_SINK_PORT ?? APP_PORT + 2);

export const SANDBOX_NUMBER: SimNumber = {
	phoneNumberId: '106540352242922',
	wabaId: '102290129340398',
	displayPhoneNumber: '+1 555-078-3881',
	verifiedName: 'Sandbox Support',
	accessToken: 'EAASANDBOXTOKEN000000000000',
	appSecret: '5a4d8b5e1c2f3a4b5c6d7e8f9a0b1c2d',
};

/**
 * Templates of the sandbox's own, beside Meta's documented ones (Meta's template object, as
 * `GET /{WABA-ID}/message_templates` returns it): `order_invoice`, a document header and named body
 * parameters (the shape of the NAMED example in meta-docs/templates-list-default-fields.response.json,
 * with a DOCUMENT header); `order_update`, one positional body parameter, the README's templateMessage
 * example; `login_code`, an authentication template as Meta lists one once created (its one-time code
 * in the body, and in a URL button to whatsapp.com/otp: see src/core/templates/template.ts);
 * `summer_picks`, a media card carousel (the shape of Meta's "Media card carousel templates"
 * example): a body, then two cards of an image, a body and a quick reply and a URL button each;
 * `spring_products`, a multi-product template (the shape of Meta's "Multi-product message
 * templates" example): a text header, a body with one parameter, a View items (MPM) button.
 */
const pickCard = (text: string, example: string) => ({
	components: [
		{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://example.com/card.jpg'] } },
		{ type: 'BODY', text, example: { body_text: [['15OFF']] } },
		{
			type: 'BUTTONS',
			buttons: [
				{ type: 'QUICK_REPLY', text: 'Send more like this' },
				{
					type: 'URL',
					text: 'Buy now',
					url: 'https://example.com/shop?item={{1}}',
					example: [`https://example.com/shop?item=${example}`],
				},
			],
		},
	],
});

export const SANDBOX_TEMPLATES = [
	{
		name: 'order_update',
		parameter_format: 'POSITIONAL',
		components: [{ type: 'BODY', text: 'Your order {{1}} is on its way.', example: { body_text: [['42']] } }],
		language: 'en_US',
		status: 'APPROVED',
		category: 'UTILITY',
		id: '1942008342211854',
	},
	{
		name: 'order_invoice',
		parameter_format: 'NAMED',
		components: [
			{ type: 'HEADER', format: 'DOCUMENT', example: { header_handle: ['https://example.com/invoice-7.pdf'] } },
			{
				type: 'BODY',
				text: 'Hi {{customer_name}}, your invoice {{invoice_number}} for order {{order_id}} is attached.',
				example: {
					body_text_named_params: [
						{ param_name: 'customer_name', example: 'Carla' },
						{ param_name: 'invoice_number', example: 'INV-1042' },
						{ param_name: 'order_id', example: '7781' },
					],
				},
			},
			{ type: 'FOOTER', text: 'Sandbox Support' },
			{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'View order', url: 'https://example.com/orders' }] },
		],
		language: 'en_US',
		status: 'APPROVED',
		category: 'UTILITY',
		id: '1942008342211853',
	},
	{
		name: 'login_code',
		parameter_format: 'POSITIONAL',
		components: [
			{
				type: 'BODY',
				text: '*{{1}}* is your verification code. For your security, do not share this code.',
				add_security_recommendation: true,
			},
			{ type: 'FOOTER', text: 'This code expires in 10 minutes.', code_expiration_minutes: 10 },
			{
				type: 'BUTTONS',
				buttons: [
					{
						type: 'URL',
						text: 'Copy code',
						url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}',
						example: ['https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp123456'],
					},
				],
			},
		],
		language: 'en_US',
		status: 'APPROVED',
		category: 'AUTHENTICATION',
		id: '1942008342211855',
	},
	{
		name: 'summer_picks',
		parameter_format: 'POSITIONAL',
		components: [
			{ type: 'BODY', text: 'Our summer picks for you, {{1}}!', example: { body_text: [['Carla']] } },
			{
				type: 'CAROUSEL',
				cards: [pickCard('Lemons, {{1}} off this week.', 'lemons'), pickCard('Mangoes, {{1}} off this week.', 'mangoes')],
			},
		],
		language: 'en_US',
		status: 'APPROVED',
		category: 'MARKETING',
		id: '1942008342211856',
	},
	{
		name: 'spring_products',
		parameter_format: 'POSITIONAL',
		components: [
			{ type: 'HEADER', format: 'TEXT', text: 'Spring arrivals' },
			{ type: 'BODY', text: 'Hi {{1}}, these just arrived. Tap to see them.', example: { body_text: [['Carla']] } },
			{ type: 'BUTTONS', buttons: [{ type: 'MPM', text: 'View items' }] },
		],
		language: 'en_US',
		status: 'APPROVED',
		category: 'MARKETING',
		id: '1942008342211857',
	},
];

function startSink(port: number, log: SinkEntry[]): Promise<http.Server> {
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const raw = Buffer.concat(chunks).toString('utf8');
			let body: unknown = raw;
			try {
				body = JSON.parse(raw);
			} catch {
				// kept as text
			}
			log.push({ at: Date.now(), body, raw });
			console.log(`[status sink] ${req.method} ${req.url} ${raw}`);
			res.writeHead(200, { 'Content-Type': 'application/json' });
			res.end('{"ok":true}');
		});
	});
	return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

export async function startSandbox(ports = { app: APP_PORT, sim: SIM_PORT, sink: SINK_PORT }) {
	const started = Date.now();
	// Meta's spec is parsed before the app's first Graph call, not inside it (the app's timeout runs).
	loadSpec();
	const sim = new CloudApiSimulator({ validate: validateRequest, port: ports.sim });
	const { baseUrl: simUrl } = await sim.start();
	sim.addNumber(SANDBOX_NUMBER);
	sim.loadTemplateFixtures(SANDBOX_NUMBER.wabaId);
	sim.setTemplates(SANDBOX_NUMBER.wabaId, [...(sim.templates.get(SANDBOX_NUMBER.wabaId) ?? []), ...SANDBOX_TEMPLATES]);
	// The web console is bundled while the engine starts.
	const bundled = buildConsole();
	const statusLog: SinkEntry[] = [];
	const sink = await startSink(ports.sink, statusLog);
	const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}/status`;
	const harness = await AppHarness.start({ echoLogs: process.env.SANDBOX_DEBUG === '1' });
	const server = new HarnessHttpServer(harness);
	const control = new SandboxControl(harness, sim, SANDBOX_NUMBER);
	const consoleApi = new ConsoleApi(
		harness,
		control.phones,
		{ agent: control.agent, admin: harness.admin },
		control.general,
		statusLog,
		sinkUrl,
	);
	server.extraRoutes = async (req, res, url) =>
		(await serveConsole(req, res, url)) || (await consoleApi.handle(req, res, url)) || control.handle(req, res, url);
	const appUrl = await server.start(ports.app);
	harness.world.serverSettings.set('Site_Url', appUrl);
	await harness.setSetting('graph_api_base_url', simUrl);
	await harness.setSetting('status_endpoint_url', sinkUrl);
	sim.webhookTarget = { url: server.endpointUrl('webhook') };
	await control.connectSandboxNumber();
	const consoleBuildMs = (await bundled).buildMs;
	// Rocket.Chat runs scheduled jobs on its own; the sandbox runs the due ones every second.
	let running: Promise<unknown> | undefined;
	const ticker = setInterval(() => {
		if (running) return;
		running = harness.scheduler.runDue().finally(() => (running = undefined));
	}, 1000);
	const stop = async () => {
		clearInterval(ticker);
		// A run in progress still talks to the app: it ends before the app stops.
		await running?.catch(() => undefined);
		await harness.settled();
		await server.stop();
		await harness.stop();
		await sim.stop();
		await new Promise((r) => sink.close(r));
	};
	return { harness, sim, server, control, appUrl, simUrl, sinkUrl, statusLog, consoleBuildMs, startupMs: Date.now() - started, stop };
}

async function main(): Promise<void> {
	const sandbox = await startSandbox();
	const { harness, appUrl, simUrl, sinkUrl, control } = sandbox;
	const webhook = `${appUrl}/api/apps/public/${harness.appId}/webhook`;
	console.log(`
WhatsApp Business app sandbox: the packaged app in Apps-Engine 1.62.0's Deno runtime (started in ${sandbox.startupMs} ms)

  Web console        ${appUrl}/   (agent, admin and the contacts' phones in a browser)
  App endpoints      ${appUrl}/api/apps/public/${harness.appId}/<path>
  Webhook (Meta)     ${webhook}
  Verify token       ${await control.verifyToken()}
  Simulated Cloud API ${simUrl}   (number ${SANDBOX_NUMBER.displayPhoneNumber}, phone number ID ${SANDBOX_NUMBER.phoneNumberId}, WABA ${SANDBOX_NUMBER.wabaId})
  Status sink        ${sinkUrl}   (payloads are printed below)
  Rocket.Chat users  admin  X-User-Id: ${harness.admin.id}  X-Auth-Token: admin-token
                     agent  X-User-Id: user-agent  X-Auth-Token: agent-token

Try:
  curl '${webhook}?hub.mode=subscribe&hub.verify_token=${await control.verifyToken()}&hub.challenge=42'
  curl -s -X POST ${appUrl}/sandbox/command -H 'Content-Type: application/json' -d '{"command":"/whatsapp help"}'
  npm run sandbox -- /whatsapp numbers

Ctrl-C stops.
`);
	const shutdown = async () => {
		console.log('stopping the sandbox...');
		await sandbox.stop();
		process.exit(0);
	};
	process.once('SIGINT', () => void shutdown());
	process.once('SIGTERM', () => void shutdown());
}

if (require.main === module) {
	main().catch((error) => {
		console.error('the sandbox could not start:', error instanceof Error ? error.message : error);
		process.exit(1);
	});
}
