import { ConnectedNumber } from '../../../src/core/numbers/ConnectedNumber';
import { SETTLE_MS, SightingStore, Sightings, sightingsOf, standingNotes, WebhookSightings } from '../../../src/core/numbers/sightings';
import { InboundMessageEvent, StatusEvent, WebhookEvent } from '../../../src/core/status/webhook';

const CHECKED = '2026-12-07T10:00:00.400Z';
const CHECKED_MS = Date.parse(CHECKED);
/** A second of Meta's time after the save's SETTLE_MS. */
const LATER = Math.ceil((CHECKED_MS + SETTLE_MS) / 1000) + 1;
const number = (phoneNumberId: string, wabaId: string, notes: Partial<ConnectedNumber> = {}): ConnectedNumber => ({
	phoneNumberId,
	wabaId,
	displayPhoneNumber: '+1 555-000-0000',
	verifiedName: 'Acme',
	accessToken: 'EAAtoken',
	appSecret: '0123456789abcdef0123456789abcdef',
	appSecretProven: true,
	connectedAt: '2026-01-01T00:00:00.000Z',
	connectedBy: 'admin',
	...notes,
});
const status = (phoneNumberId: string, seconds: number | string): StatusEvent => ({
	kind: 'status',
	phoneNumberId,
	displayPhoneNumber: '15550000000',
	wamid: `wamid.${phoneNumberId}.${seconds}`,
	status: 'delivered',
	timestamp: String(seconds),
	recipientId: '5511987654321',
});
const message = (phoneNumberId: string, seconds: number): InboundMessageEvent => ({
	kind: 'message',
	phoneNumberId,
	displayPhoneNumber: '15550000000',
	wamid: `wamid.in.${seconds}`,
	from: '5511987654321',
	waId: '5511987654321',
	type: 'text',
	timestamp: String(seconds),
	raw: {},
});

// Two numbers of account A signed with one secret (111, 112), one of A with another secret (113), one of account B (221).
const NUMBERS = [number('111', 'A'), number('112', 'A'), number('113', 'A'), number('221', 'B')];
const SIGNED_111 = { phoneNumberIds: ['111', '112'], wabaIds: ['A'] };
/** Received an hour after LATER: Meta's times decide. */
const RECEIVED = (LATER + 3600) * 1000;

describe('sightingsOf', () => {
	it("notes the account of each event in scope, and the scope's numbers of that account, at the latest time", () => {
		const seen = sightingsOf(
			[
				{
					scope: SIGNED_111,
					receivedAt: RECEIVED,
					events: [status('111', LATER + 5), message('111', LATER + 9), status('111', LATER + 2)],
				},
			],
			NUMBERS,
		);
		expect([...seen]).toEqual([
			['waba:A', (LATER + 9) * 1000],
			['number:111', (LATER + 9) * 1000],
			['number:112', (LATER + 9) * 1000],
		]);
	});

	it("takes the arrival when Meta's time is later: a clock ahead, or a timestamp in ms, shows nothing of later", () => {
		const received = LATER * 1000 + 250;
		const seen = sightingsOf([{ scope: SIGNED_111, receivedAt: received, events: [status('111', LATER * 1000)] }], NUMBERS);
		expect(seen.get('waba:A')).toBe(received);
	});

	it('notes nothing of events out of scope, of unknown numbers, without a time, of template changes, or of a webhook without scope or arrival', () => {
		const templateChange: WebhookEvent = { kind: 'template-status', wabaId: 'A', event: 'APPROVED' };
		const events: WebhookEvent[] = [
			status('113', LATER + 5),
			status('999', LATER + 5),
			status('111', ''),
			status('111', 'soon'),
			status('111', -3),
			templateChange,
			{ kind: 'value-error', phoneNumberId: '111', displayPhoneNumber: '', error: { code: 131056 } },
		];
		expect([...sightingsOf([{ scope: SIGNED_111, receivedAt: RECEIVED, events }], NUMBERS)]).toEqual([]);
		expect([...sightingsOf([{ receivedAt: RECEIVED, events: [status('111', LATER + 5)] }], NUMBERS)]).toEqual([]);
		expect([...sightingsOf([{ scope: SIGNED_111, events: [status('111', LATER + 5)] }], NUMBERS)]).toEqual([]);
	});

	it("a number of the account signed with another secret shows the account, not that secret's numbers", () => {
		const seen = sightingsOf(
			[{ scope: { phoneNumberIds: ['113'], wabaIds: ['A'] }, receivedAt: RECEIVED, events: [status('113', LATER + 5)] }],
			NUMBERS,
		);
		expect([...seen.keys()]).toEqual(['waba:A', 'number:113']);
	});
});

describe('standingNotes', () => {
	const noted = number('111', 'A', { webhooksUnsubscribed: true, webhooksCheckedAt: CHECKED });
	const others = number('111', 'A', { webhooksToOtherApps: ['Legacy CRM (1)'], webhooksCheckedAt: CHECKED });

	it("a note stands until a sighting more than SETTLE_MS after Meta's list was read", () => {
		expect(standingNotes(noted, new Map())).toEqual({ webhooksUnsubscribed: true });
		expect(standingNotes(noted, new Map([['number:111', CHECKED_MS + SETTLE_MS]]))).toEqual({ webhooksUnsubscribed: true });
		expect(standingNotes(noted, new Map([['number:111', CHECKED_MS + SETTLE_MS + 1]]))).toEqual({});
	});

	it('a number saved with the proof loses the note of no app only for a webhook signed with its own secret (its app may still be left out)', () => {
		const account = new Map([['waba:A', LATER * 1000]]);
		expect(standingNotes(noted, account)).toEqual({ webhooksUnsubscribed: true });
		// One saved without the proof: a save would say nothing else of it, and any app subscribed mends it.
		expect(standingNotes({ ...noted, appSecretProven: undefined }, account)).toEqual({});
		expect(standingNotes({ ...noted, appSecretProven: undefined }, new Map([['waba:B', LATER * 1000]]))).toEqual({
			webhooksUnsubscribed: true,
		});
	});

	it("the note of other apps goes only for a webhook signed with the number's own secret", () => {
		expect(standingNotes(others, new Map([['waba:A', LATER * 1000]]))).toEqual({ webhooksToOtherApps: ['Legacy CRM (1)'] });
		expect(standingNotes(others, new Map([['number:111', LATER * 1000]]))).toEqual({});
	});

	it('a note an earlier version saved (no time) goes for any sighting; a number without notes has none', () => {
		expect(standingNotes(number('111', 'A', { webhooksUnsubscribed: true }), new Map([['number:111', 1000]]))).toEqual({});
		expect(standingNotes(number('111', 'A'), new Map())).toEqual({});
	});
});

describe('WebhookSightings', () => {
	class MemoryStore implements SightingStore {
		readonly saved: Array<[string, number]> = [];
		async list(): Promise<Sightings> {
			return new Map(this.saved);
		}
		async save(key: string, at: number): Promise<void> {
			this.saved.push([key, at]);
		}
	}
	const run = async (numbers: ConnectedNumber[], store: MemoryStore, written: Sightings, events: WebhookEvent[]) => {
		let reads = 0;
		const sightings = new WebhookSightings({
			numbers: async () => {
				reads++;
				return numbers;
			},
			store,
			written,
		});
		sightings.note({ scope: SIGNED_111, events, receivedAt: RECEIVED });
		await sightings.flush();
		return reads;
	};

	it('with no note standing it reads the numbers once and stores nothing; without webhooks, not even that', async () => {
		const store = new MemoryStore();
		expect(await run(NUMBERS, store, new Map(), [status('111', LATER + 5)])).toBe(1);
		expect(await run(NUMBERS, store, new Map(), [])).toBe(0);
		expect(store.saved).toEqual([]);
	});

	it('stores the sighting that makes a note go, once per runtime, and again only for a later save', async () => {
		const store = new MemoryStore();
		const written: Sightings = new Map();
		const numbers = [number('111', 'A', { webhooksUnsubscribed: true, webhooksCheckedAt: CHECKED }), ...NUMBERS.slice(1)];
		await run(numbers, store, written, [status('111', LATER + 5)]);
		// The number's own sighting makes its note go; the account's and 112's mend no note.
		expect(store.saved).toEqual([['number:111', (LATER + 5) * 1000]]);
		await run(numbers, store, written, [status('111', LATER + 8)]);
		expect(store.saved).toHaveLength(1);
		// Saved again later (the list empty again): an event before that save shows nothing.
		const resaved = [{ ...numbers[0], webhooksCheckedAt: new Date((LATER + 30) * 1000).toISOString() }, ...NUMBERS.slice(1)];
		await run(resaved, store, written, [status('111', LATER + 31)]);
		expect(store.saved).toHaveLength(1);
		// An event after it: stored again.
		await run(resaved, store, written, [status('111', LATER + 31 + SETTLE_MS / 1000)]);
		expect(store.saved).toEqual([
			['number:111', (LATER + 5) * 1000],
			['number:111', (LATER + 31 + SETTLE_MS / 1000) * 1000],
		]);
		// The note of other apps: the number's own key, not another number's of the scope.
		const others = [number('111', 'A', { webhooksToOtherApps: ['Legacy CRM (1)'], webhooksCheckedAt: CHECKED }), ...NUMBERS.slice(1)];
		const fresh = new MemoryStore();
		await run(others, fresh, new Map(), [status('112', LATER + 5)]);
		expect(fresh.saved).toEqual([['number:111', (LATER + 5) * 1000]]);
	});

	it('a store that fails is told to the caller, and the sighting is stored by a later run', async () => {
		const numbers = [number('111', 'A', { webhooksUnsubscribed: true, webhooksCheckedAt: CHECKED })];
		const written: Sightings = new Map();
		const failing = new MemoryStore();
		failing.save = async () => Promise.reject(new Error('persistence down'));
		await expect(run(numbers, failing, written, [status('111', LATER + 5)])).rejects.toThrow('persistence down');
		const store = new MemoryStore();
		await run(numbers, store, written, [status('111', LATER + 6)]);
		expect(store.saved).toEqual([['number:111', (LATER + 6) * 1000]]);
	});
});
