/** The stop of a bulk send at Meta's first refusal that every recipient would get (src/core/app/explain.ts). */
import { EveryRecipientRefusal, refusesEveryRecipient } from '../../../../src/core/app/explain';
import { PacerDeadlineError } from '../../../../src/core/bulk/pacer';
import { GraphApiError, NetworkError } from '../../../../src/core/errors';

const metaError = (code: number) => new GraphApiError(400, { message: `error ${code}`, type: 'OAuthException', code });

describe('refusesEveryRecipient', () => {
	it.each([0, 3, 10, 190, 200, 299, 33, 368, 131005, 131031, 131042, 131045, 133010, 132000, 132001, 132012, 132015, 132016, 132068])(
		'%p: every recipient would get it',
		(code) => expect(refusesEveryRecipient(metaError(code))).toBe(true),
	);

	it.each([100, 131009, 131026, 131047, 131049, 131050, 131056, 130429, 131000, 4, 80007, 300])(
		'%p: depends on the recipient, or passes',
		(code) => expect(refusesEveryRecipient(metaError(code))).toBe(false),
	);

	it("is true for Meta's refusal of the app secret's proof (a 100 that names it), which every send of the number gets", () => {
		const proof = (message: string) => new GraphApiError(400, { message, type: 'GraphMethodException', code: 100 });
		expect(refusesEveryRecipient(proof('Invalid appsecret_proof provided in the API argument'))).toBe(true);
		expect(refusesEveryRecipient(proof('(#100) Invalid parameter'))).toBe(false);
	});

	it("is false for what is not an error of Meta: a network error, a proxy's page (code 0, not Meta's AuthException)", () => {
		expect(refusesEveryRecipient(GraphApiError.fromResponse(502, '<html>Bad Gateway</html>'))).toBe(false);
		expect(refusesEveryRecipient(GraphApiError.fromResponse(429, 'Too Many Requests'))).toBe(false);
		expect(refusesEveryRecipient(new NetworkError({ detail: 'timeout', timedOut: true }))).toBe(false);
		expect(refusesEveryRecipient(new Error('190'))).toBe(false);
	});
});

describe('EveryRecipientRefusal', () => {
	it("after the first such refusal, no send starts: those not started fail with it, the pacer's waiting ones too", async () => {
		const refusal = new EveryRecipientRefusal();
		const expired = metaError(190);
		const calls: string[] = [];
		// A recipient's own refusal does not stop the others.
		await expect(refusal.guard(async () => (calls.push('a'), Promise.reject(metaError(131026))))).rejects.toMatchObject({
			graphCode: 131026,
		});
		expect(refusal.mayStart()).toBe(true);
		// One in the pacer, waiting for its turn, when the refusal comes.
		let turn: (start: boolean) => void = () => undefined;
		const waiting = refusal.guard(
			(mayStart) =>
				new Promise((resolve, reject) => (turn = () => (mayStart() ? resolve('sent') : reject(new PacerDeadlineError())))),
		);
		await expect(refusal.guard(async () => (calls.push('b'), Promise.reject(expired)))).rejects.toBe(expired);
		expect(refusal.mayStart()).toBe(false);
		turn(true);
		await expect(waiting).rejects.toBe(expired);
		await expect(refusal.guard(async () => (calls.push('c'), 'sent'))).rejects.toBe(expired);
		expect(calls).toEqual(['a', 'b']);
	});

	it('a send its caller stops (a campaign run halted) keeps its own error, before or after a refusal: not sent, not refused', async () => {
		const refusal = new EveryRecipientRefusal();
		const halted = new PacerDeadlineError();
		let running = true;
		const stopped = () => (mayStart: () => boolean) => (mayStart() ? Promise.resolve('sent') : Promise.reject(halted));
		running = false;
		await expect(refusal.guard(stopped(), () => running)).rejects.toBe(halted);
		expect(refusal.mayStart()).toBe(true);
		running = true;
		// One waits in the pacer; a refusal comes; then the run halts: its turn finds both reasons not to start.
		let turn: () => void = () => undefined;
		const waiting = refusal.guard(
			(mayStart) => new Promise((resolve, reject) => (turn = () => (mayStart() ? resolve('sent') : reject(halted)))),
			() => running,
		);
		await expect(
			refusal.guard(
				async () => Promise.reject(metaError(132015)),
				() => running,
			),
		).rejects.toMatchObject({ graphCode: 132015 });
		running = false;
		turn();
		await expect(waiting).rejects.toBe(halted);
	});
});
