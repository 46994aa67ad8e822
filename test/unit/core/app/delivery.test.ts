/** The delivery round (src/core/app/delivery.ts): one at a time per runtime, its most POSTs at once from the settings. */
import { DeliveryGate, deliverStatuses } from '../../../../src/core/app/delivery';
import {
	MemoryRoundClaims,
	ROUND_CLAIM_LIVES_MS,
	ROUND_CLAIM_RENEW_MS,
	RoundClaim,
	RoundClaims,
} from '../../../../src/core/app/roundClaims';
import { RunGate } from '../../../../src/core/app/runBudget';
import { settingsOf } from '../../../../src/core/app/settings';
import { DeliveryLimit } from '../../../../src/core/status/deliveryLimit';
import { checkStatusUrl } from '../../../../src/core/status/statusUrl';
import { MemoryOutboxStore, newOutboxItem } from '../../../../src/core/status/outbox';
import { StatusPayload } from '../../../../src/core/status/payload';

const payload = (n: number) => ({ msId: `wamid.${n}`, eventId: `e${n}` }) as unknown as StatusPayload;

describe('deliverStatuses', () => {
	it('a round that finds another under way leaves at once; the one under way then says there is more', async () => {
		const gate = new DeliveryGate();
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const first = gate.run(async () => (await held, { delivered: 1, retried: 0, failed: 0, dropped: 0, more: false }));
		expect(await gate.run(async () => ({ delivered: 9, retried: 0, failed: 0, dropped: 0, more: false }))).toBe('busy');
		release();
		expect(await first).toMatchObject({ delivered: 1, more: true });
		expect(await gate.run(async () => ({ delivered: 2, retried: 0, failed: 0, dropped: 0, more: false }))).toMatchObject({
			more: false,
		});
	});

	it.each([
		[undefined, 256],
		[3, 3],
		[1000, 512],
		['x', 256],
	])('status_delivery_concurrency %p: at most %p POSTs at once', async (setting, expected) => {
		const settings = settingsOf({
			statusEndpointUrl: 'https://example.com/s',
			...(setting === undefined ? {} : { statusDeliveryConcurrency: setting }),
		});
		expect(await settings.get('statusDeliveryConcurrency')).toBe(expected);
	});

	/** 200 events of different messages, and a poster that answers each on the next turn of the loop. */
	async function deliverAll(raw: unknown, limit?: DeliveryLimit) {
		const outbox = new MemoryOutboxStore<StatusPayload>();
		for (let n = 0; n < 200; n++)
			await outbox.put(newOutboxItem({ id: `e${n}`, messageKey: `m${n}`, seq: 1, payload: payload(n), now: 0 }));
		let inFlight = 0;
		let most = 0;
		/** POSTs in flight as each one started, in order. */
		const atStart: number[] = [];
		const poster = {
			post: async () => {
				atStart.push(++inFlight);
				most = Math.max(most, inFlight);
				await new Promise((r) => setImmediate(r));
				inFlight--;
				return { status: 200 };
			},
		};
		const settings = settingsOf({ statusEndpointUrl: 'https://example.com/s', statusDeliveryConcurrency: raw });
		// Answer times on a clock that stands still: the limit's decisions do not depend on the machine's speed.
		const summary = await deliverStatuses({
			outbox,
			settings,
			clock: { now: () => 0 },
			poster,
			gate: new DeliveryGate(),
			limit,
			timer: () => 0,
		});
		expect(summary).toMatchObject({ delivered: 200, more: false });
		return { most, atStart };
	}

	it('never has more POSTs at once than the setting, and starts with 8 under a higher one', async () => {
		expect((await deliverAll(3)).most).toBe(3);
		const limit = new DeliveryLimit();
		const { most, atStart } = await deliverAll(128, limit);
		// 8 at first: the ninth POST waits for an answer.
		expect(atStart.slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
		expect(atStart[8]).toBeLessThanOrEqual(8);
		expect(most).toBeGreaterThan(8); // answers as fast as the first ones: it grew
		expect(most).toBeLessThanOrEqual(128);
		// The runtime's limit is kept between rounds: the next round starts where this one ended.
		const reached = limit.value;
		expect(reached).toBeGreaterThan(8);
		limit.configure('https://example.com/s', 128);
		expect(limit.value).toBe(reached);
	});
});

describe('deliverStatuses on the instances of a cluster (RoundClaims)', () => {
	const T0 = 1_750_000_000_000;

	/** An outbox with `count` due events of different messages, shared by the instances. */
	async function outboxOf(count: number) {
		const outbox = new MemoryOutboxStore<StatusPayload>();
		for (let n = 0; n < count; n++)
			await outbox.put(newOutboxItem({ id: `e${n}`, messageKey: `m${n}`, seq: 1, payload: payload(n), now: T0 }));
		return outbox;
	}

	/** One instance's round: its own gate, the shared outbox and claims; POSTs it made, by event. */
	function instance(
		outbox: MemoryOutboxStore<StatusPayload>,
		claims: RoundClaims,
		posted: string[],
		name: string,
		answer?: Promise<void>,
	) {
		const gate = new DeliveryGate();
		return () =>
			deliverStatuses({
				outbox,
				settings: settingsOf({ statusEndpointUrl: 'https://crm.example/s' }),
				clock: { now: () => T0 },
				poster: {
					post: async ({ body }) => {
						posted.push(`${name}:${(JSON.parse(body) as { eventId: string }).eventId}`);
						await answer;
						return { status: 200 };
					},
				},
				gate,
				claims,
				newToken: () => name,
				timer: () => 0,
			});
	}

	it("a round that finds another instance's under way POSTs nothing and answers 'elsewhere'; each event is POSTed once", async () => {
		const outbox = await outboxOf(20);
		const claims = new MemoryRoundClaims();
		const posted: string[] = [];
		let answer: () => void = () => undefined;
		const held = new Promise<void>((resolve) => (answer = resolve));
		const first = instance(outbox, claims, posted, 'a', held)();
		// A's round has claimed and POSTs (its answers held back): B's round comes meanwhile.
		for (let i = 0; i < 100 && !posted.length; i++) await new Promise((resolve) => setImmediate(resolve));
		expect(await claims.claims()).toEqual([{ token: 'a', until: T0 + ROUND_CLAIM_LIVES_MS }]);
		expect(await instance(outbox, claims, posted, 'b')()).toBe('elsewhere');
		answer();
		expect(await first).toMatchObject({ delivered: 20, more: false });
		expect(posted.filter((p) => p.startsWith('b:'))).toEqual([]);
		expect(new Set(posted).size).toBe(20);
		// Both claims withdrawn: the next round of either goes.
		expect(await claims.claims()).toEqual([]);
		await outbox.put(newOutboxItem({ id: 'e99', messageKey: 'm99', seq: 1, payload: payload(99), now: T0 }));
		expect(await instance(outbox, claims, posted, 'b')()).toMatchObject({ delivered: 1 });
	});

	it('renews its claim while it runs, and withdraws it only after a renewal under way has been written', async () => {
		const outbox = await outboxOf(1);
		const inner = new MemoryRoundClaims();
		let now = T0;
		const written: RoundClaim[] = [];
		let renewed: () => void = () => undefined;
		const renewalHeld = new Promise<void>((resolve) => (renewed = resolve));
		const claims: RoundClaims = {
			claim: async (claim) => {
				// The renewal's write is slow.
				if (written.push(claim) > 1) await renewalHeld;
				await inner.claim(claim);
			},
			claims: () => inner.claims(),
			withdraw: (tokens) => inner.withdraw(tokens),
		};
		let tick: () => void = () => undefined;
		const every: number[] = [];
		let stopped = false;
		const round = deliverStatuses({
			outbox,
			settings: settingsOf({ statusEndpointUrl: 'https://crm.example/s' }),
			clock: { now: () => now },
			// The POST takes 20 s: the renewal's tick comes during it.
			poster: { post: async () => ((now += 20000), tick(), { status: 200 }) },
			gate: new DeliveryGate(),
			claims,
			newToken: () => 'a',
			every: (ms, onTick) => (every.push(ms), (tick = onTick), () => void (stopped = true)),
			timer: () => 0,
		});
		for (let i = 0; i < 100 && written.length < 2; i++) await new Promise((resolve) => setImmediate(resolve));
		expect(every).toEqual([ROUND_CLAIM_RENEW_MS]);
		expect(written).toEqual([
			{ token: 'a', until: T0 + ROUND_CLAIM_LIVES_MS },
			{ token: 'a', until: T0 + 20000 + ROUND_CLAIM_LIVES_MS },
		]);
		// The round has POSTed; it waits for the renewal before it withdraws.
		for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
		expect(stopped).toBe(true);
		expect(await inner.claims()).toEqual([{ token: 'a', until: T0 + ROUND_CLAIM_LIVES_MS }]);
		renewed();
		expect(await round).toMatchObject({ delivered: 1 });
		expect(await inner.claims()).toEqual([]);
	});

	it('two rounds that claim at the same moment both leave (neither POSTs), and withdraw their claims', async () => {
		const outbox = await outboxOf(3);
		const inner = new MemoryRoundClaims();
		// Each round's read of the claims waits until both have written theirs.
		let written = 0;
		let bothWritten: () => void = () => undefined;
		const both = new Promise<void>((resolve) => (bothWritten = resolve));
		const claims: RoundClaims = {
			claim: async (claim: RoundClaim) => {
				await inner.claim(claim);
				if (++written === 2) bothWritten();
			},
			claims: async () => (await both, inner.claims()),
			withdraw: (tokens) => inner.withdraw(tokens),
		};
		const posted: string[] = [];
		const rounds = await Promise.all([instance(outbox, claims, posted, 'a')(), instance(outbox, claims, posted, 'b')()]);
		expect(rounds).toEqual(['elsewhere', 'elsewhere']);
		expect(posted).toEqual([]);
		expect(await inner.claims()).toEqual([]);
		expect((await outbox.list({ state: 'pending' })).length).toBe(3);
	});

	it("a dead round's claim keeps rounds off until it expires; then the next round goes and removes it", async () => {
		const outbox = await outboxOf(2);
		const claims = new MemoryRoundClaims();
		const posted: string[] = [];
		await claims.claim({ token: 'dead', until: T0 + 1 });
		expect(await instance(outbox, claims, posted, 'b')()).toBe('elsewhere');
		expect(posted).toEqual([]);
		await claims.withdraw(['dead']);
		await claims.claim({ token: 'dead', until: T0 });
		expect(await instance(outbox, claims, posted, 'b')()).toMatchObject({ delivered: 2 });
		expect(await claims.claims()).toEqual([]);
	});

	it('a round whose work fails withdraws its claim; one whose claim cannot be written POSTs nothing', async () => {
		const outbox = await outboxOf(1);
		const claims = new MemoryRoundClaims();
		const failing = Object.assign(Object.create(outbox) as MemoryOutboxStore<StatusPayload>, {
			list: async () => {
				throw new Error('the store is down');
			},
			pages: async () => {
				throw new Error('the store is down');
			},
		});
		await expect(instance(failing, claims, [], 'a')()).rejects.toThrow('the store is down');
		expect(await claims.claims()).toEqual([]);
		const posted: string[] = [];
		const refusing: RoundClaims = {
			...claims,
			claim: async () => {
				throw new Error('the store is down');
			},
			claims: () => claims.claims(),
			withdraw: (tokens) => claims.withdraw(tokens),
		};
		await expect(instance(outbox, refusing, posted, 'a')()).rejects.toThrow('the store is down');
		expect(posted).toEqual([]);
	});
});

describe('RunGate', () => {
	it('a run still under way after staleAfterMs no longer holds the gate, and its end does not free the next run', async () => {
		let now = 0;
		const gate = new RunGate<{ more: boolean; n: number }>(1000, () => now);
		const never = gate.run(() => new Promise(() => undefined));
		void never;
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		now = 999;
		expect(await gate.run(async () => ({ more: false, n: 1 }))).toBe('busy');
		now = 1000;
		const second = gate.run(async () => (await held, { more: false, n: 2 }));
		expect(await gate.run(async () => ({ more: false, n: 3 }))).toBe('busy');
		release();
		expect(await second).toEqual({ more: true, n: 2 });
		expect(await gate.run(async () => ({ more: false, n: 4 }))).toEqual({ more: false, n: 4 });
	});

	it('work that joins the run under way makes it answer `more`; nothing to join when no run is under way or it is stuck', async () => {
		let now = 0;
		const gate = new RunGate<{ more: boolean }>(1000, () => now);
		expect(gate.join()).toBe(false);
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const underWay = gate.run(async () => (await held, { more: false }));
		expect(gate.join()).toBe(true);
		release();
		expect(await underWay).toEqual({ more: true });
		expect(gate.join()).toBe(false);
		void gate.run(() => new Promise(() => undefined));
		now = 1000;
		expect(gate.join()).toBe(false);
	});

	it('a run that fails after work joined it owes that work a run, once; a failure nobody joined owes nothing', async () => {
		const gate = new RunGate<{ more: boolean }>();
		await expect(gate.run(() => Promise.reject(new Error('alone')))).rejects.toThrow('alone');
		expect(gate.takeOwed()).toBe(false);
		let fail: () => void = () => undefined;
		const failing = gate.run(() => new Promise((_, reject) => (fail = () => reject(new Error('joined')))));
		expect(gate.join()).toBe(true);
		fail();
		await expect(failing).rejects.toThrow('joined');
		expect(gate.takeOwed()).toBe(true);
		expect(gate.takeOwed()).toBe(false);
	});

	it("a run that releases the gate lets the next run in while it ends; what that one turns away is its, not the released run's", async () => {
		const gate = new RunGate<{ more: boolean }>();
		let end: () => void = () => undefined;
		let giveUp: () => void = () => undefined;
		const first = gate.run((release) => ((giveUp = release), new Promise((r) => (end = () => r({ more: false })))));
		expect(await gate.run(async () => ({ more: false }))).toBe('busy');
		giveUp();
		let finishSecond: () => void = () => undefined;
		const second = gate.run(() => new Promise((r) => (finishSecond = () => r({ more: false }))));
		expect(gate.join()).toBe(true);
		end();
		// Turned away before it released: the released run does not answer for it (its hand-over asked for a run).
		expect(await first).toEqual({ more: false });
		expect(await gate.run(async () => ({ more: false }))).toBe('busy');
		finishSecond();
		expect(await second).toEqual({ more: true });
		expect(await gate.run(async () => ({ more: false }))).toEqual({ more: false });
	});

	it('a stuck run that ends after it was taken over leaves the gate to the run under way', async () => {
		let now = 0;
		const gate = new RunGate<{ more: boolean }>(1000, () => now);
		let endStuck: () => void = () => undefined;
		const stuck = gate.run(() => new Promise((r) => (endStuck = () => r({ more: false }))));
		now = 2000;
		let release: () => void = () => undefined;
		const held = new Promise<void>((r) => (release = r));
		const second = gate.run(async () => (await held, { more: false }));
		endStuck();
		await stuck;
		expect(await gate.run(async () => ({ more: false }))).toBe('busy');
		release();
		await second;
	});
});

describe('the Message Status Endpoint URL setting', () => {
	it.each([
		['', { kind: 'none' }],
		['   ', { kind: 'none' }],
		[' https://crm.example.com/wa/status?token=abc ', { kind: 'ok', url: 'https://crm.example.com/wa/status?token=abc' }],
		['hooks.example.com/status', { kind: 'refused', reason: 'status_url_not_absolute' }],
		['http://10.0.0.5:8080/status', { kind: 'ok', url: 'http://10.0.0.5:8080/status' }],
		['hooks.example.com/status', { kind: 'refused', reason: 'status_url_not_absolute' }],
		['/status', { kind: 'refused', reason: 'status_url_not_absolute' }],
		['ftp://example.com/status', { kind: 'refused', reason: 'status_url_scheme' }],
		// Rocket.Chat's bridge sends a URL's user name and password as Basic authentication: kept as written.
		['https://user:secret@example.com/status', { kind: 'ok', url: 'https://user:secret@example.com/status' }],
	])('%p: %p', (value, expected) => {
		expect(checkStatusUrl(value)).toEqual(expected);
	});

	it('a refused URL POSTs nothing: each due event waits with the reason as its error, and goes out once the URL is corrected', async () => {
		const outbox = new MemoryOutboxStore<StatusPayload>();
		await outbox.put(newOutboxItem({ id: 'e1', messageKey: 'm1', seq: 1, payload: payload(1), now: 0 }));
		const posted: string[] = [];
		const poster = { post: async (request: { url: string }) => (posted.push(request.url), { status: 200 }) };
		const round = (url: string, now: number) =>
			deliverStatuses({
				outbox,
				settings: settingsOf({ statusEndpointUrl: url }),
				clock: { now: () => now },
				poster,
				gate: new DeliveryGate(),
				timer: () => 0,
			});
		expect(await round('hooks.example.com/status', 0)).toMatchObject({ delivered: 0, retried: 1, failed: 0 });
		expect(posted).toEqual([]);
		expect(await outbox.list({ state: 'pending' })).toEqual([
			expect.objectContaining({ id: 'e1', lastError: 'status_url_not_absolute' }),
		]);
		expect(await round('https://hooks.example.com/status', 3600000)).toMatchObject({ delivered: 1 });
		expect(posted).toEqual(['https://hooks.example.com/status']);
	});
});
