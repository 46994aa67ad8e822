/**
 * A number's app secret vouches only for its own events: a webhook signed with one Meta app's
 * secret cannot put messages in another number's rooms, report statuses of its messages or drop its
 * templates. And the webhook's cheap refusals: an unsigned POST costs no persistence read, and
 * refusals are logged once a minute per cause, not once each.
 */
import * as fs from 'fs';
import * as path from 'path';

import { decodeSummaries } from '../../src/core/templates/templateIndex';
import { postRaw, SimNumber } from '../../tools/sim/CloudApiSimulator';
import {
	ADMIN_AUTH,
	AppUnderTest,
	callApi,
	connectNumber,
	contactVisitorToken,
	NUMBER,
	startApp,
	stopChecked,
} from '../support/appUnderTest';
import { CONTRACTS_DIR } from '../support/metaSpec';
import { StatusSink } from '../support/statusSink';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A number of another Meta app: its own WABA, token and app secret. */
const OTHER: SimNumber = {
	phoneNumberId: '106540352242955',
	wabaId: '102290129340422',
	displayPhoneNumber: '+1 555-078-5555',
	verifiedName: 'Beta Sales',
	accessToken: 'EAATESTTOKENBETA00000',
	appSecret: 'fedcba9876543210fedcba9876543210',
};
/** A second number of NUMBER's Meta app: the same app secret, another WABA. */
const SIBLING: SimNumber = {
	...NUMBER,
	phoneNumberId: '106540352242966',
	wabaId: '102290129340433',
	displayPhoneNumber: '+1 555-078-6666',
	verifiedName: 'Acme Billing',
	accessToken: 'EAATESTTOKENSIBLING00',
};
const CARLA = '5511987654321';
const TEMPLATE = {
	name: 'order_update',
	language: { code: 'en_US' },
	components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
};
const ORDER_UPDATE = {
	id: '1',
	name: 'order_update',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Order {{1}} is on its way.' }],
};

describe("a number's app secret vouches only for its own events", () => {
	let app: AppUnderTest;
	let sink: StatusSink;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		await connect(OTHER);
		// Not about routing: a contact's room opens whoever is online.
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		sink = new StatusSink();
		await app.harness.setSetting('status_endpoint_url', await sink.start());
	});
	afterEach(async () => {
		try {
			await sink.stop();
		} finally {
			await stopChecked(app);
		}
	});

	async function connect(number: SimNumber): Promise<void> {
		await connectNumber(app, number);
		app.sim.setTemplates(number.wabaId, [ORDER_UPDATE]);
	}

	/** A template sent from `number` through templateMessage (which also caches its WABA's templates): its wamid. */
	async function sendFrom(number: SimNumber): Promise<string> {
		const res = await callApi(app, 'templateMessage', {
			body: { phoneNumbers: [CARLA], connectedWhatsAppNo: number.phoneNumberId, template: TEMPLATE },
			headers: ADMIN_AUTH,
		});
		expect(res.status).toBe(200);
		await app.harness.scheduler.runDue();
		return res.body.results[0].msId;
	}

	/** Meta's documented template status update (pywa's capture), made a PAUSED of order_update in `wabaId`. */
	function pausedPayload(wabaId: string): any {
		const update = JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, 'pywa', 'template_status_update.json'), 'utf8')).approved;
		update.entry[0].id = wabaId;
		Object.assign(update.entry[0].changes[0].value, {
			event: 'PAUSED',
			message_template_name: 'order_update',
			message_template_language: 'en_US',
		});
		return update;
	}

	const cachedTemplates = (wabaId: string): string[] | undefined => {
		const record = app.harness.world.persistence.find((r) => r.associations.some((a) => a.id === `templates:${wabaId}`));
		// The template cache's index (src/adapters/persistence/TemplateCacheStore.ts): its names as one string.
		return record ? decodeSummaries((record.data as any).names).map((t) => t.name) : undefined;
	};
	const livechatRooms = () => [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
	const visitorsOf = (number: SimNumber) =>
		[...app.harness.world.visitors.values()].filter((v) => String(v.token).startsWith(`whatsapp:${number.phoneNumberId}:`));
	const warnings = () => app.harness.logs.filter((l) => l.severity === 'warning').map((l) => String(l.args[0]));

	/** What the owner of one app secret could send about OTHER: a message, statuses of its message, a template pause. */
	function eventsAbout(msId: string): any[] {
		return [
			app.sim.inboundTextPayload(OTHER.phoneNumberId, {
				from: CARLA,
				name: 'Carla',
				text: 'Is my order coming?',
				wamid: 'wamid.INBOUND-TO-OTHER',
			}),
			app.sim.statusPayload(OTHER.phoneNumberId, [{ wamid: msId, status: 'sent', recipient: CARLA }]),
			pausedPayload(OTHER.wabaId),
		];
	}

	async function deliverAll(payloads: any[], secret: string): Promise<void> {
		for (const payload of payloads) expect((await app.sim.deliverRaw(payload, secret)).status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
	}

	it("changes nothing of another number's when signed with this number's secret, and works with that number's own", async () => {
		const msId = await sendFrom(OTHER);
		expect(sink.statuses()).toEqual([`${msId}:queued`]);
		expect(cachedTemplates(OTHER.wabaId)).toEqual(['order_update']);
		const sendsBefore = app.sim.requestsTo('/messages').length;

		// Signed with NUMBER's secret: valid signatures, but NUMBER's app does not own OTHER.
		await deliverAll(eventsAbout(msId), NUMBER.appSecret);
		// Everything of OTHER's at once, so that each way in shows when it is open.
		expect({
			rooms: livechatRooms().length,
			visitors: visitorsOf(OTHER).length,
			statuses: sink.statuses(),
			templates: cachedTemplates(OTHER.wabaId),
			sends: app.sim.requestsTo('/messages').length - sendsBefore,
		}).toEqual({ rooms: 0, visitors: 0, statuses: [`${msId}:queued`], templates: ['order_update'], sends: 0 });
		expect(app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id.startsWith('webhook-inbox')))).toEqual([]);
		// One line for the three webhooks (a line a minute at most), naming the number, not the secret.
		// OTHER is connected (with its own secret): the line says which number's secret to look at.
		expect(warnings()).toEqual([
			`webhook: 1 message event(s) for number ${OTHER.phoneNumberId}, connected in the app with another app secret than the one that signed the webhook (the secret of number ${NUMBER.phoneNumberId}), dropped (a Meta app signs every webhook of its numbers with its secret: if the number is of the same Meta app as those, the app secret stored for it is wrong, edit it in /whatsapp numbers; if not, another Meta app sends its events, and its secret must stay as it is)`,
		]);
		const log = JSON.stringify(app.harness.logs);
		for (const secret of [NUMBER.appSecret, OTHER.appSecret, NUMBER.accessToken, OTHER.accessToken]) expect(log).not.toContain(secret);

		// The same events signed with OTHER's own secret are OTHER's.
		await deliverAll(eventsAbout(msId), OTHER.appSecret);
		const [room] = livechatRooms();
		expect(room?.visitor).toMatchObject({ token: contactVisitorToken(app, CARLA, OTHER.phoneNumberId) });
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Is my order coming?']);
		expect(sink.statuses()).toEqual([`${msId}:queued`, `${msId}:sent`]);
		expect(cachedTemplates(OTHER.wabaId)).toEqual([]);
	});

	it("forwards no status reported under the signer's own number about a message another number sent", async () => {
		const msId = await sendFrom(OTHER);
		// Signed with NUMBER's secret and naming NUMBER's phone number id, but the message is OTHER's.
		await deliverAll(
			[app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: msId, status: 'sent', recipient: CARLA }])],
			NUMBER.appSecret,
		);
		expect(sink.statuses()).toEqual([`${msId}:queued`]);
		expect(warnings()).toEqual([
			`webhook: a status event of number ${NUMBER.phoneNumberId} about a message sent from another number, dropped`,
		]);
		// Its own number's report of it is forwarded.
		await deliverAll(
			[app.sim.statusPayload(OTHER.phoneNumberId, [{ wamid: msId, status: 'sent', recipient: CARLA }])],
			OTHER.appSecret,
		);
		expect(sink.statuses()).toEqual([`${msId}:queued`, `${msId}:sent`]);
	});

	it("keeps the signer's own events of a batch that also names another number", async () => {
		const mine = app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
			from: CARLA,
			name: 'Carla',
			text: 'to support',
			wamid: 'wamid.MINE',
		});
		const theirs = app.sim.inboundTextPayload(OTHER.phoneNumberId, {
			from: CARLA,
			name: 'Carla',
			text: 'to sales',
			wamid: 'wamid.THEIRS',
		});
		// One POST, two entries (as Meta batches), signed with NUMBER's secret.
		await deliverAll([{ object: 'whatsapp_business_account', entry: [...mine.entry, ...theirs.entry] }], NUMBER.appSecret);
		expect(livechatRooms().map((r) => [(r.visitor as any).token, app.harness.world.messagesIn(r.id).map((m) => m.text)])).toEqual([
			[contactVisitorToken(app, CARLA, NUMBER.phoneNumberId), ['to support']],
		]);
		expect(visitorsOf(OTHER)).toEqual([]);
	});

	it('handles a stored webhook only within the numbers stored with it', async () => {
		// A webhook stored with NUMBER's scope (as one that waited for an agent is), naming OTHER.
		const [event] = (
			app.sim.inboundTextPayload(OTHER.phoneNumberId, { from: CARLA, name: 'Carla', text: 'stored', wamid: 'wamid.STORED' }) as any
		).entry[0].changes[0].value.messages;
		const entry = {
			id: 'stored-1',
			appId: app.harness.appId,
			events: [
				{
					kind: 'message',
					phoneNumberId: OTHER.phoneNumberId,
					displayPhoneNumber: OTHER.displayPhoneNumber,
					wamid: 'wamid.STORED',
					from: CARLA,
					waId: CARLA,
					type: 'text',
					timestamp: event.timestamp,
					raw: event,
				},
			],
			scope: { phoneNumberIds: [NUMBER.phoneNumberId], wabaIds: [NUMBER.wabaId] },
			receivedAt: Date.now(),
		};
		app.harness.world.persistence.push({
			id: 'stored-1',
			appId: app.harness.appId,
			data: entry,
			associations: [
				{ model: 'misc', id: 'webhook-inbox' },
				{ model: 'misc', id: 'webhook-inbox:stored-1' },
			],
		});
		await app.harness.scheduler.advance(60000);
		expect(livechatRooms()).toEqual([]);
		expect(app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id.startsWith('webhook-inbox')))).toEqual([]);
		expect(warnings()).toEqual([
			`webhook: 1 message event(s) for number ${OTHER.phoneNumberId}, not connected in the app with the app secret that signed the webhook, dropped`,
		]);
	});

	it('lets numbers of one Meta app (one secret) speak for each other', async () => {
		await connect(SIBLING);
		const msId = await sendFrom(SIBLING);
		await deliverAll(
			[
				app.sim.inboundTextPayload(SIBLING.phoneNumberId, {
					from: CARLA,
					name: 'Carla',
					text: 'billing question',
					wamid: 'wamid.SIBLING',
				}),
				app.sim.statusPayload(SIBLING.phoneNumberId, [{ wamid: msId, status: 'sent', recipient: CARLA }]),
				pausedPayload(SIBLING.wabaId),
			],
			NUMBER.appSecret,
		);
		const [room] = livechatRooms();
		expect(room?.visitor).toMatchObject({ token: contactVisitorToken(app, CARLA, SIBLING.phoneNumberId) });
		expect(sink.statuses()).toEqual([`${msId}:queued`, `${msId}:sent`]);
		expect(cachedTemplates(SIBLING.wabaId)).toEqual([]);
	});

	it('vouches at once for numbers another instance of the server connected after this runtime last read the numbers', async () => {
		// A webhook: this runtime has just read the numbers, and uses them for the next ones (RecentNumbers).
		await deliverAll(
			[app.sim.statusPayload(NUMBER.phoneNumberId, [{ wamid: 'wamid.UNKNOWN', status: 'sent', recipient: CARLA }])],
			NUMBER.appSecret,
		);
		// Another instance of the server connects numbers: their records appear.
		const stored = app.harness.world.persistence.find((r) =>
			r.associations.some((a) => a.id === `whatsapp-number:${NUMBER.phoneNumberId}`),
		)!;
		const connectedElsewhere = (number: SimNumber) => {
			app.sim.addNumber(number);
			const { phoneNumberId, wabaId, accessToken, appSecret, displayPhoneNumber } = number;
			app.harness.world.persistence.push({
				id: `other-instance-${phoneNumberId}`,
				appId: stored.appId,
				data: { ...(stored.data as object), phoneNumberId, wabaId, accessToken, appSecret, displayPhoneNumber },
				associations: [
					{ model: 'misc', id: 'whatsapp-number' },
					{ model: 'misc', id: `whatsapp-number:${phoneNumberId}` },
				],
			});
		};
		const text = (number: SimNumber) =>
			app.sim.inboundTextPayload(number.phoneNumberId, {
				from: CARLA,
				name: 'Carla',
				text: `to ${number.verifiedName}`,
				wamid: `wamid.TO-${number.phoneNumberId}`,
			});
		// THIRD has a secret of its own: its signature verifies with none of the numbers this runtime
		// read, so it reads them again.
		const THIRD: SimNumber = { ...OTHER, phoneNumberId: '106540352242977', wabaId: '102290129340444', appSecret: 'a1'.repeat(16) };
		connectedElsewhere(THIRD);
		await deliverAll([text(THIRD)], THIRD.appSecret);
		// SIBLING shares NUMBER's secret: the numbers this runtime has just read verify its signature,
		// but do not cover SIBLING; the numbers as stored do.
		connectedElsewhere(SIBLING);
		await deliverAll([text(SIBLING)], NUMBER.appSecret);
		expect(livechatRooms().map((r) => [(r.visitor as any)?.token, app.harness.world.messagesIn(r.id).map((m) => m.text)])).toEqual([
			[contactVisitorToken(app, CARLA, THIRD.phoneNumberId), [`to ${THIRD.verifiedName}`]],
			[contactVisitorToken(app, CARLA, SIBLING.phoneNumberId), [`to ${SIBLING.verifiedName}`]],
		]);
		expect(warnings()).toEqual([]);

		// Another instance gives NUMBER and SIBLING a new secret. A webhook signed with the old one
		// verifies with the numbers this runtime read, but names OTHER, which they do not cover: the
		// numbers as stored decide, and they refuse it (Meta sends it again). The new secret verifies.
		const rotated = 'b2'.repeat(16);
		for (const record of app.harness.world.persistence)
			if (
				record.associations.some(
					(a) => a.id === `whatsapp-number:${NUMBER.phoneNumberId}` || a.id === `whatsapp-number:${SIBLING.phoneNumberId}`,
				)
			)
				record.data = { ...(record.data as object), appSecret: rotated };
		const toOther = app.sim.statusPayload(OTHER.phoneNumberId, [{ wamid: 'wamid.UNKNOWN-2', status: 'sent', recipient: CARLA }]);
		const inbox = () => app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id === 'webhook-inbox')).length;
		const waiting = inbox();
		expect((await app.sim.deliverRaw(toOther, NUMBER.appSecret)).status).toBe(403);
		expect(warnings()).toEqual([expect.stringContaining("matches no connected number's app secret")]);
		// Nothing stored (the unknown status of the first webhook still waits for its message).
		expect(inbox()).toBe(waiting);
		expect((await app.sim.deliverRaw(text(SIBLING), rotated)).status).toBe(200);
	});
});

describe("the webhook's cheap refusals", () => {
	let app: AppUnderTest;
	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
	});
	afterEach(() => stopChecked(app));

	/** Counts the app's calls to Rocket.Chat's persistence bridge while `run` runs. */
	async function persistenceCalls(run: () => Promise<void>): Promise<string[]> {
		const bridge = app.harness.bridges.getPersistenceBridge() as Record<string, unknown>;
		const calls: string[] = [];
		const originals = new Map<string, (...args: unknown[]) => unknown>();
		for (const name of Object.keys(bridge)) {
			const original = bridge[name];
			if (typeof original !== 'function') continue;
			originals.set(name, original as (...args: unknown[]) => unknown);
			bridge[name] = (...args: unknown[]) => {
				calls.push(name);
				return (original as (...a: unknown[]) => unknown)(...args);
			};
		}
		expect(originals.size).toBeGreaterThan(5);
		try {
			await run();
		} finally {
			for (const [name, original] of originals) bridge[name] = original;
		}
		return calls;
	}

	it('refuses a POST without a signature before reading anything, and logs one line a minute per cause', async () => {
		const payload = JSON.stringify(app.sim.inboundTextPayload(NUMBER.phoneNumberId, { from: CARLA, name: 'Carla', text: 'hi' }));
		const url = app.http.endpointUrl('webhook');
		const calls = await persistenceCalls(async () => {
			for (let i = 0; i < 3; i++) expect((await postRaw(url, payload, { 'Content-Type': 'application/json' })).status).toBe(401);
			for (let i = 0; i < 3; i++)
				expect(
					(await postRaw(url, payload, { 'Content-Type': 'application/json', 'X-Hub-Signature-256': 'sha1=abc' })).status,
				).toBe(401);
		});
		expect(calls).toEqual([]);

		// The counting sees the reads of a signed POST (so an empty list above is not a blind spot).
		const signed = await persistenceCalls(async () => {
			expect((await app.sim.deliverRaw(JSON.parse(payload), 'f'.repeat(32))).status).toBe(403);
		});
		expect(signed.length).toBeGreaterThan(0);

		expect(app.harness.logs.filter((l) => l.severity === 'warning').map((l) => String(l.args[0]))).toEqual([
			expect.stringContaining('no X-Hub-Signature-256 header'),
			expect.stringContaining('X-Hub-Signature-256 is not "sha256=<hex>"'),
			expect.stringContaining("matches no connected number's app secret"),
		]);
	});

	it('a webhook the app cannot take now (its store failing) is a 500 that says nothing of the failure, and Meta’s retry lands it', async () => {
		const INTERNAL = 'MongoServerError: connection to mongodb://ops:hunter2@db.internal lost';
		const payload = app.sim.inboundTextPayload(NUMBER.phoneNumberId, {
			from: CARLA,
			name: 'Carla',
			text: 'hi',
			wamid: 'wamid.RETRIED',
		});
		app.harness.world.serverSettings.set('Livechat_accept_chats_with_no_agents', true);
		app.harness.world.persistenceFault = () => new Error(INTERNAL);
		let refused: { status: number; body: unknown };
		let handshake: { status: number; body: unknown };
		try {
			const posted = await app.sim.deliverRaw(payload);
			refused = { status: posted.status, body: JSON.parse(posted.body) };
			// Meta's retry during the outage: answered alike, and not logged again within the minute.
			expect((await app.sim.deliverRaw(payload)).status).toBe(500);
			handshake = await callApi(app, 'webhook?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1', { method: 'GET' });
		} finally {
			app.harness.world.persistenceFault = undefined;
		}
		for (const answer of [refused, handshake]) {
			expect(answer.status).toBe(500);
			expect(JSON.stringify(answer.body)).not.toContain('hunter2');
			expect(answer.body).toEqual({ success: false, error: 'Internal error: the app could not take the request now' });
		}
		expect(app.harness.formatLogs()).not.toContain('hunter2');
		expect(app.harness.takeAppErrors()).toEqual([
			expect.stringContaining('webhook not handled, answered 500: Error'),
			expect.stringContaining('handshake not handled, answered 500: Error'),
		]);
		// Meta sends it again: it lands once.
		expect((await app.sim.deliverRaw(payload)).status).toBe(200);
		await app.harness.scheduler.runDue();
		await app.harness.settled();
		const rooms = [...app.harness.world.rooms.values()].filter((r) => r.type === 'l');
		expect(rooms.map((room) => app.harness.world.messagesIn(room.id).map((m) => m.text))).toEqual([['hi']]);
	});

	it('logs refused verification handshakes once a minute per cause', async () => {
		for (let i = 0; i < 4; i++)
			expect(
				(await callApi(app, `webhook?hub.mode=subscribe&hub.verify_token=wrong${i}&hub.challenge=1`, { method: 'GET' })).status,
			).toBe(403);
		expect(app.harness.logs.filter((l) => l.severity === 'warning').map((l) => String(l.args[0]))).toEqual([
			'webhook verification refused: hub.verify_token does not match the one shown in /whatsapp numbers',
		]);
	});
});
