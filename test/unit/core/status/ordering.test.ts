import { decide, Decision, fromMetaStatus, highestOf, Status, stepAwaited } from '../../../../src/core/status/ordering';

/** Forwards a sequence through `decide` as the pipeline does, returning what reached the receiver. */
function forwardAll(sequence: Status[]): Status[] {
	const seen = new Set<Status>();
	let highest: Status | undefined;
	const forwarded: Status[] = [];
	for (const status of sequence) {
		if (decide(highest, seen, status) !== 'forward') continue;
		seen.add(status);
		highest = highestOf([...(highest ? [highest] : []), status]);
		forwarded.push(status);
	}
	return forwarded;
}

describe('decide', () => {
	it.each<[Status | undefined, Status[], Status, Decision]>([
		[undefined, [], 'queued', 'forward'],
		[undefined, [], 'read', 'forward'],
		['queued', ['queued'], 'sent', 'forward'],
		['sent', ['queued', 'sent'], 'read', 'forward'], // read without delivered: forwarded, delivered not invented
		['read', ['queued', 'sent', 'read'], 'delivered', 'drop-regression'], // late delivered after read
		['delivered', ['queued', 'delivered'], 'delivered', 'drop-duplicate'],
		['read', ['queued', 'read'], 'played', 'forward'],
		['played', ['queued', 'read', 'played'], 'read', 'drop-duplicate'],
		['played', ['queued', 'played'], 'read', 'drop-regression'],
		['sent', ['queued', 'sent'], 'queued', 'drop-duplicate'],
		['sent', ['sent'], 'queued', 'drop-regression'],
		['sent', ['queued', 'sent'], 'failed', 'forward'],
		['read', ['queued', 'sent', 'read'], 'failed', 'forward'], // documented: a failure is never hidden
		['failed', ['queued', 'failed'], 'delivered', 'drop-regression'],
		['failed', ['queued', 'failed'], 'failed', 'drop-duplicate'],
		['failed', ['failed'], 'deleted', 'drop-regression'],
		['read', ['sent', 'read'], 'deleted', 'forward'],
		['deleted', ['sent', 'deleted'], 'failed', 'drop-regression'],
		['deleted', ['sent', 'deleted'], 'read', 'drop-regression'],
	])('highest %s, seen %j, then %s: %s', (highest, seen, incoming, expected) => {
		expect(decide(highest, new Set(seen), incoming)).toBe(expected);
	});

	it('forwards each (message, status) once and never regresses, whatever the arrival order', () => {
		expect(forwardAll(['queued', 'sent', 'sent', 'read', 'delivered', 'read', 'played', 'delivered'])).toEqual([
			'queued',
			'sent',
			'read',
			'played',
		]);
		expect(forwardAll(['queued', 'delivered', 'sent', 'failed', 'read', 'failed'])).toEqual(['queued', 'delivered', 'failed']);
	});
});

describe('status vocabulary', () => {
	it("maps Meta's words: played passes, revoke is deleted, unknown words are not forwarded", () => {
		expect(['sent', 'delivered', 'read', 'played', 'failed', 'revoke', 'deleted', 'warning', ''].map(fromMetaStatus)).toEqual([
			'sent',
			'delivered',
			'read',
			'played',
			'failed',
			'deleted',
			'deleted',
			undefined,
			undefined,
		]);
	});

	it('highestOf: rank wins, a terminal status wins over all', () => {
		expect(highestOf([])).toBeUndefined();
		expect(highestOf(['read', 'sent', 'delivered'])).toBe('read');
		expect(highestOf(['played', 'failed', 'read'])).toBe('failed');
	});
});

describe('stepAwaited', () => {
	const awaited = (seen: Status[], incoming: Status) => stepAwaited(new Set(seen), incoming);

	it('names the status Meta sends before the incoming one when it was not forwarded and may still come', () => {
		expect(awaited(['queued'], 'delivered')).toBe('sent');
		expect(awaited(['queued'], 'read')).toBe('delivered');
		expect(awaited(['queued', 'sent'], 'read')).toBe('delivered');
		expect(awaited(['queued', 'sent', 'delivered'], 'played')).toBe('read');
	});

	it('awaits nothing when the step came, cannot come any more, or the incoming status is not forwarded', () => {
		expect(awaited(['queued'], 'sent')).toBeUndefined();
		expect(awaited(['queued', 'sent'], 'delivered')).toBeUndefined();
		expect(awaited(['queued', 'sent', 'read'], 'played')).toBeUndefined();
		// `read` after `delivered`, without `sent`: its own step came.
		expect(awaited(['queued', 'delivered'], 'read')).toBeUndefined();
		expect(awaited(['queued', 'delivered'], 'delivered')).toBeUndefined();
		expect(awaited(['queued', 'failed'], 'read')).toBeUndefined();
		expect(awaited(['queued'], 'failed')).toBeUndefined();
		expect(awaited([], 'read')).toBeUndefined();
	});
});
