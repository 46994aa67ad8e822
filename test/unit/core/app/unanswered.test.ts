/**
 * Sends whose Graph call timed out (src/core/app/unanswered.ts, sendLog.ts): left pending for Meta's
 * statuses to link, and checked UNANSWERED_CHECK_MS later: linked by a stored status, else failed,
 * "outcome unknown". Never a `failed` first and then the statuses of a message Meta accepted.
 */
import { GraphApiError, NetworkError, SendNotRecorded } from '../../../../src/core/errors';
import { PacerDeadlineError } from '../../../../src/core/bulk/pacer';
import { unansweredKey, unansweredReason } from '../../../../src/core/app/explain';
import { MemoryMessageLog, MemoryNumbers } from '../../../../src/core/app/memory';
import { SentMessage } from '../../../../src/core/app/ports';
import { newBatchKey, SendLog } from '../../../../src/core/app/sendLog';
import { settingsOf } from '../../../../src/core/app/settings';
import { ORPHAN_AFTER_MS, StatusService } from '../../../../src/core/app/statuses';
import {
	checkUnanswered,
	isUnansweredCheck,
	settleStalePending,
	STALE_PENDING_MS,
	StaleSweep,
	UNANSWERED_CHECK_MS,
	UnansweredCheck,
} from '../../../../src/core/app/unanswered';
import { MemoryWebhookInbox, processWebhooks, UNKNOWN_RECHECK_MAX_MS } from '../../../../src/core/app/webhookBatch';
import { MemoryOutboxStore } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';
import { StatusEvent } from '../../../../src/core/status/webhook';
import { translate } from '../../../../src/core/i18n/translate';
import { MemoryTemplateCache } from '../../../../src/core/templates/catalog';

const T0 = 1_750_000_000_000;
const OUTCOME_STOPPED =
	"Outcome unknown: the app did not get WhatsApp's answer to this send (the send was interrupted, WhatsApp did not answer in time, the connection was lost, or a server on the way answered in place of WhatsApp) and no status of it came from WhatsApp within an hour. It was not sent again (it may or may not have reached WhatsApp).";
const OUTCOME_UNKNOWN =
	"Outcome unknown: WhatsApp's answer to this send did not come through (no answer in time, the connection lost, or a server on the way answering in place of WhatsApp) and no status of it came from WhatsApp within 10 minutes. It was not sent again (it may or may not have reached WhatsApp).";
const timedOut = () => new NetworkError({ detail: 'no answer in 10 s', timedOut: true });

function world(options: { later?: 'none' | 'failing' } = {}) {
	let now = T0;
	const clock = { now: () => now };
	const messages = new MemoryMessageLog();
	const outbox = new MemoryOutboxStore<StatusPayload>();
	/** The checks asked for: [check, at]. */
	const checks: Array<[UnansweredCheck, number]> = [];
	const later =
		options.later === 'none'
			? {}
			: {
					later: async (check: UnansweredCheck, at: number) => {
						if (options.later === 'failing') throw new Error('scheduler down');
						checks.push([check, at]);
					},
				};
	const sendLog = new SendLog({
		messages,
		outbox,
		settings: settingsOf({ statusEndpointUrl: 'https://crm.example/s' }),
		clock,
		...later,
	});
	const logged: string[] = [];
	const logger = { info: (line: string) => void logged.push(line), warn: (line: string) => void logged.push(line) };
	const service = new StatusService({
		messages,
		sendLog,
		notifier: { notifyRoom: async () => undefined },
		translator: async () => (key: string) => key,
		numbers: new MemoryNumbers(),
		templates: new MemoryTemplateCache(),
		refusals: { refuse: () => undefined },
		settings: settingsOf({}),
		clock,
		logger,
	});
	const inbox = new MemoryWebhookInbox();
	let statusReads = 0;
	const statuses = async () => (statusReads++, (await inbox.events()).filter((e): e is StatusEvent => e.kind === 'status'));
	const check = (c: UnansweredCheck) => checkUnanswered({ messages, sendLog, statuses, logger }, c);
	/** The look for sends left pending, at the clock's time, with a send log of its own (as after a restart). */
	const stale = (stop?: () => boolean) =>
		settleStalePending(
			{
				messages,
				sendLog: new SendLog({ messages, outbox, settings: settingsOf({ statusEndpointUrl: 'https://crm.example/s' }), clock }),
				statuses,
				logger,
			},
			now,
			stop,
		);
	/** A processing run, with the check first when given (as the processing job runs it). */
	const run = (first?: UnansweredCheck) =>
		processWebhooks({
			inbox,
			clock,
			refusals: { refuse: () => undefined },
			...(first ? { first: async () => void (await check(first)) } : {}),
			handlers: {
				status: async () => undefined,
				statuses: (events, batch) => service.handleStatuses(events, batch),
				revoke: async () => undefined,
				templateStatus: async () => undefined,
				inbound: () => ({ handle: async () => undefined }),
			},
		});
	const webhook = (events: StatusEvent[]) =>
		inbox.add({ id: `w${now}-${Math.random()}`, events, scope: { phoneNumberIds: ['pn-1'], wabaIds: ['waba-1'] }, receivedAt: now });
	/** The outbox's events, per message in order: `msId|sendId:status`. */
	const forwarded = async () =>
		(await outbox.list())
			.sort((a, b) => a.messageKey.localeCompare(b.messageKey) || a.seq - b.seq)
			.map((i) => `${i.payload.msId ?? i.messageKey}:${i.payload.MessageStatus}`);
	const failures = async () =>
		(await outbox.list()).filter((i) => i.payload.MessageStatus === 'failed').map((i) => [i.payload.mobileNo, i.payload.ErrorDetails]);
	return {
		clock,
		messages,
		outbox,
		sendLog,
		checks,
		check,
		stale,
		statusReads: () => statusReads,
		run,
		webhook,
		forwarded,
		failures,
		logged,
		advance: (ms: number) => void (now += ms),
	};
}

const send = (fields: Partial<SentMessage> = {}): SentMessage => ({
	phoneNumberId: 'pn-1',
	connectedWhatsAppNo: '15550783881',
	mobileNo: '5511987654321',
	message: 'Order 42',
	type: 'Template-Message',
	sentAt: new Date(T0).toISOString(),
	...fields,
});
const sent = (wamid: string, recipientId: string, batch: string): StatusEvent => ({
	kind: 'status',
	phoneNumberId: 'pn-1',
	displayPhoneNumber: '15550783881',
	wamid,
	status: 'sent',
	timestamp: '1750000100',
	recipientId,
	bizOpaqueCallbackData: batch,
});
const pendingOf = async (w: ReturnType<typeof world>, batch: string) => {
	const records = await w.messages.findByBatch(batch);
	const resolved = new Set(records.filter((r) => !r.pending).map((r) => r.sendId));
	return [...new Set(records.filter((r) => r.pending && !resolved.has(r.sendId)).map((r) => r.mobileNo))].sort();
};

describe('a send whose Graph call timed out', () => {
	it('stays pending, with nothing reported, and its batch is checked UNANSWERED_CHECK_MS later; a send of a group keeps a record of its own', async () => {
		const w = world();
		const batch = newBatchKey();
		const [a, b] = await w.sendLog.beginMany(['5511900000001', '5511900000002'].map((mobileNo) => send({ batch, mobileNo })));
		await w.sendLog.settle(a, timedOut());
		await w.sendLog.settle({ ...b, wamid: 'wamid.B' });
		expect(await w.forwarded()).toEqual(['wamid.B:queued']);
		expect(w.checks).toEqual([[{ batch, phoneNumberId: 'pn-1', sendIds: [a.sendId] }, T0 + UNANSWERED_CHECK_MS]]);
		// The group's record went with its last send; the timed-out one is pending in a record of its own.
		const records = await w.messages.findByBatch(batch);
		expect(records.filter((r) => r.pending).map((r) => [r.sendId, r.pendingGroup])).toEqual([[a.sendId, undefined]]);
		expect(isUnansweredCheck(w.checks[0][0])).toBe(true);
		expect(isUnansweredCheck({ batch: 'rcwa.x', phoneNumberId: 'pn-1' })).toBe(false);
	});

	it("waits the same when the answer was a server error page that was not Meta's (a proxy's 502: Meta may have it)", async () => {
		const w = world();
		const batch = newBatchKey();
		const record = await w.sendLog.begin(send({ batch }));
		await w.sendLog.settle(record, GraphApiError.fromResponse(502, '<html>Bad Gateway</html>'));
		expect(await w.forwarded()).toEqual([]);
		expect(w.checks).toEqual([[{ batch, phoneNumberId: 'pn-1', sendIds: [record.sendId] }, T0 + UNANSWERED_CHECK_MS]]);
	});

	it('is failed at once, as before, without a way to ask for the check, when asking fails, for a campaign, or for another error', async () => {
		for (const [options, fields, error] of [
			[{ later: 'none' as const }, {}, timedOut()],
			[{ later: 'failing' as const }, {}, timedOut()],
			[{}, { campaignId: 'c1' }, timedOut()],
			[{}, {}, new NetworkError({ detail: 'connect ECONNREFUSED 157.240.0.35:443', timedOut: false })],
			[{}, {}, new PacerDeadlineError()],
			// A client error page (a wrong address): the request was not taken.
			[{}, {}, GraphApiError.fromResponse(404, '<html>Not Found</html>')],
		] as const) {
			const w = world(options);
			const record = await w.sendLog.begin(send({ batch: newBatchKey(), ...fields }));
			await w.sendLog.settle(record, error);
			expect(await w.forwarded()).toEqual([`${record.sendId}:failed`]);
			expect(w.checks).toEqual([]);
		}
	});

	it("is linked by a status of Meta meanwhile (5 minutes on), though its group's record still holds a copy of it; the check touches no other pending send of the batch", async () => {
		const w = world();
		const batch = newBatchKey();
		// Two sends of a group: one timed out, the other's process died before Meta answered.
		const [record, dead] = await w.sendLog.beginMany(['5511900000001', '5511900000002'].map((mobileNo) => send({ batch, mobileNo })));
		await w.sendLog.settle(record, timedOut());
		expect((await w.messages.findByBatch(batch)).filter((r) => r.sendId === record.sendId)).toHaveLength(2);
		await w.webhook([sent('wamid.A', record.mobileNo, batch)]);
		await w.run();
		expect(await w.forwarded()).toEqual([]);
		w.advance(ORPHAN_AFTER_MS + UNKNOWN_RECHECK_MAX_MS);
		await w.run();
		expect(await w.forwarded()).toEqual(['wamid.A:queued', 'wamid.A:sent']);
		w.advance(UNANSWERED_CHECK_MS);
		expect(await w.check(w.checks[0][0])).toEqual({ linked: 0, failed: 0 });
		expect(await w.forwarded()).toEqual(['wamid.A:queued', 'wamid.A:sent']);
		// The other send did not time out: left to the status pipeline (its link may have failed after Meta's answer, its queued reported).
		expect(await pendingOf(w, batch)).toEqual([dead.mobileNo]);
	});

	it("the check links a pending send by a stored status of Meta's (one the pipeline has not linked yet), and fails the others, outcome unknown, each once", async () => {
		const w = world();
		const batch = newBatchKey();
		const to = ['5511900000001', '5511900000002', '5511900000003', '5511900000004'];
		const [one, two, three, four] = await w.sendLog.beginMany(to.map((mobileNo) => send({ batch, mobileNo })));
		for (const record of [one, two, three]) await w.sendLog.settle(record, timedOut());
		await w.sendLog.settle({ ...four, wamid: 'wamid.4' });
		// Another number's pending send of the same key, one that did not time out, and another batch's status: not the checks'.
		await w.sendLog.begin(send({ batch, mobileNo: '5511900000009', phoneNumberId: 'pn-2' }));
		await w.sendLog.begin(send({ batch, mobileNo: '5511900000008' }));
		// One check per timed-out send, naming it.
		expect(w.checks.map(([c]) => c.sendIds)).toEqual([[one.sendId], [two.sendId], [three.sendId]]);
		const all = { batch, phoneNumberId: 'pn-1', sendIds: w.checks.flatMap(([c]) => c.sendIds ?? []) };
		await w.webhook([
			sent('wamid.1', one.mobileNo, batch),
			sent('wamid.x', two.mobileNo, newBatchKey()),
			sent('wamid.4', four.mobileNo, batch),
		]);
		w.advance(UNANSWERED_CHECK_MS);
		await w.run(all);
		expect((await w.forwarded()).sort()).toEqual(
			['wamid.1:queued', 'wamid.1:sent', 'wamid.4:queued', 'wamid.4:sent', `${two.sendId}:failed`, `${three.sendId}:failed`].sort(),
		);
		expect(await w.failures()).toEqual([
			[two.mobileNo, OUTCOME_UNKNOWN],
			[three.mobileNo, OUTCOME_UNKNOWN],
		]);
		expect(await pendingOf(w, batch)).toEqual(['5511900000008', '5511900000009']);
		expect(w.logged).toContain(
			`sends without Meta's answer (batch ${batch}): 1 linked by Meta's statuses (queued), 2 reported failed, outcome unknown`,
		);
		// Asked again (a retry of the job): nothing more.
		const before = await w.forwarded();
		expect(await w.check(all)).toEqual({ linked: 0, failed: 0 });
		expect(await w.forwarded()).toEqual(before);
	});

	it('the check takes no wamid for two pending sends to one recipient, nor one another record is linked to already', async () => {
		const w = world();
		const batch = newBatchKey();
		const a = await w.sendLog.begin(send({ batch }));
		const b = await w.sendLog.begin(send({ batch }));
		const c = await w.sendLog.begin(send({ batch, mobileNo: '5511900000003' }));
		for (const record of [a, b, c]) await w.sendLog.settle(record, timedOut());
		const other = await w.sendLog.begin(send({ batch: newBatchKey(), mobileNo: '5511900000003' }));
		await w.sendLog.settle({ ...other, wamid: 'wamid.C' });
		await w.webhook([sent('wamid.A', a.mobileNo, batch), sent('wamid.C', c.mobileNo, batch)]);
		expect(await w.check({ batch, phoneNumberId: 'pn-1' })).toEqual({ linked: 0, failed: 3 });
		expect(await pendingOf(w, batch)).toEqual([]);
	});

	it('a read that fails throws, and settles nothing', async () => {
		const w = world();
		const batch = newBatchKey();
		const record = await w.sendLog.begin(send({ batch }));
		await w.sendLog.settle(record, timedOut());
		w.messages.findByBatch = async () => {
			throw new Error('persistence down');
		};
		await expect(w.check({ batch, phoneNumberId: 'pn-1' })).rejects.toThrow('persistence down');
		expect(await w.forwarded()).toEqual([]);
	});
});

describe('sends left pending by a sender that stopped (a crash, a restart) or by a lost check', () => {
	it('are looked for hourly in a runtime, never at its start; a look stopped for time goes on in the next run', () => {
		const sweep = new StaleSweep(1000);
		expect([sweep.due(T0), sweep.due(T0 + 999), sweep.due(T0 + 1000), sweep.due(T0 + 1500), sweep.due(T0 + 2000)]).toEqual([
			false,
			false,
			true,
			false,
			true,
		]);
		sweep.again();
		expect([sweep.due(T0 + 2001), sweep.due(T0 + 2002), sweep.due(T0 + 3001)]).toEqual([true, false, true]);
	});

	it("an hour on, each is linked by a stored status of Meta's that names it, else reported failed, outcome unknown, once", async () => {
		const w = world();
		const batch = newBatchKey();
		const to = ['5511900000001', '5511900000002', '5511900000003'];
		// A request's group: one send answered, then its process died before the two others' answers.
		const [answered, accepted, lost] = await w.sendLog.beginMany(to.map((mobileNo) => send({ batch, mobileNo })));
		await w.sendLog.settle({ ...answered, wamid: 'wamid.1' });
		// A modal's send (its own batch) whose process died; a campaign's; and one of another number in the first batch.
		const modal = await w.sendLog.begin(send({ batch: newBatchKey(), mobileNo: '5511900000004' }));
		await w.sendLog.begin(send({ batch: newBatchKey(), campaignId: 'c1', mobileNo: '5511900000005' }));
		const other = await w.sendLog.begin(send({ batch, phoneNumberId: 'pn-2', mobileNo: '5511900000006' }));
		// Meta's status of the accepted one is stored (not linked yet), and the status of the answered one.
		await w.webhook([sent('wamid.2', accepted.mobileNo, batch), sent('wamid.1', answered.mobileNo, batch)]);
		// Younger than STALE_PENDING_MS: nothing is touched.
		w.advance(STALE_PENDING_MS - 1);
		const young = await w.sendLog.begin(
			send({ batch: newBatchKey(), mobileNo: '5511900000007', sentAt: new Date(T0 + STALE_PENDING_MS - 1).toISOString() }),
		);
		expect(await w.stale()).toEqual({ linked: 0, failed: 0 });
		expect(await w.forwarded()).toEqual(['wamid.1:queued']);
		w.advance(1);
		expect(await w.stale()).toEqual({ linked: 1, failed: 3 });
		expect((await w.forwarded()).sort()).toEqual(
			['wamid.1:queued', 'wamid.2:queued', `${lost.sendId}:failed`, `${modal.sendId}:failed`, `${other.sendId}:failed`].sort(),
		);
		expect((await w.failures()).sort()).toEqual(
			[
				[lost.mobileNo, OUTCOME_STOPPED],
				[modal.mobileNo, OUTCOME_STOPPED],
				[other.mobileNo, OUTCOME_STOPPED],
			].sort(),
		);
		expect(await w.messages.findByWamid('wamid.2')).toMatchObject({ sendId: accepted.sendId, statuses: ['queued'] });
		// Meta's stored statuses were read once for the three batches.
		expect(w.statusReads()).toBe(1);
		// Left: the young send, and the campaign's (its recovery settles it); the group's record, all its sends settled, went.
		expect((await w.messages.pendingSends()).map((r) => r.mobileNo).sort()).toEqual(['5511900000005', young.mobileNo]);
		// A look again settles nothing twice.
		const before = await w.forwarded();
		expect(await w.stale()).toEqual({ linked: 0, failed: 0 });
		expect(await w.forwarded()).toEqual(before);
	});

	it('stops when told (the run is out of time), after one send at least, and the next look goes on', async () => {
		const w = world();
		const batch = newBatchKey();
		await w.sendLog.beginMany(['5511900000001', '5511900000002', '5511900000003'].map((mobileNo) => send({ batch, mobileNo })));
		await w.sendLog.begin(send({ batch: newBatchKey(), mobileNo: '5511900000004' }));
		w.advance(STALE_PENDING_MS);
		expect(await w.stale(() => true)).toEqual({ linked: 0, failed: 1, more: true });
		expect(await w.failures()).toHaveLength(1);
		// The group's record stays while some of its sends are pending.
		expect(await w.messages.pendingSends()).toHaveLength(4);
		let calls = 0;
		expect(await w.stale(() => ++calls > 1)).toEqual({ linked: 0, failed: 2, more: true });
		expect(await w.stale()).toEqual({ linked: 0, failed: 1 });
		expect((await w.failures()).map(([to]) => to).sort()).toEqual(['5511900000001', '5511900000002', '5511900000003', '5511900000004']);
		expect(await w.messages.pendingSends()).toEqual([]);
	});

	it('a batch whose check fails is logged and left to the next look; the others are settled', async () => {
		const w = world();
		const [a, b] = [newBatchKey(), newBatchKey()];
		await w.sendLog.begin(send({ batch: a }));
		const kept = await w.sendLog.begin(send({ batch: b, mobileNo: '5511900000002' }));
		const findByBatch = w.messages.findByBatch.bind(w.messages);
		w.messages.findByBatch = async (batch: string) => {
			if (batch === a) throw new Error('persistence down');
			return findByBatch(batch);
		};
		w.advance(STALE_PENDING_MS);
		// Out of time after the failed batch: nothing settled, so no run is asked to go on (the next hourly look does).
		expect(await w.stale(() => true)).toEqual({ linked: 0, failed: 0 });
		expect(await w.stale()).toEqual({ linked: 0, failed: 1 });
		expect(await w.failures()).toEqual([[kept.mobileNo, OUTCOME_STOPPED]]);
		expect(w.logged).toContain(`pending sends of batch ${a} not settled (persistence down): looked at again in an hour`);
		w.messages.findByBatch = findByBatch;
		expect(await w.stale()).toEqual({ linked: 0, failed: 1 });
	});
});

describe('a send whose record cannot be written before its Graph call', () => {
	it('is refused as never started (nothing reached Meta, safe to send again), in words that name the storage, not the network', async () => {
		const w = world();
		const down = async (): Promise<never> => Promise.reject(new Error('MongoNetworkError: connection 3 closed'));
		w.messages.record = down;
		w.messages.recordPending = down;
		for (const attempt of [w.sendLog.begin(send()), w.sendLog.beginMany([send(), send({ mobileNo: '12025550100' })])]) {
			const error = await attempt.catch((e: unknown) => e);
			expect(error).toBeInstanceOf(SendNotRecorded);
			expect(error).toMatchObject({
				code: 'send_not_recorded',
				message: 'send not recorded, so not sent: MongoNetworkError: connection 3 closed',
			});
			expect(unansweredReason(error)).toBe('not_started');
			expect(translate('en', unansweredKey(error, 'agent'))).toBe(
				"The app could not store this message's record before sending it (its storage did not answer), so it was not sent. Send it again.",
			);
		}
		expect(await w.outbox.list()).toEqual([]);
	});
});
