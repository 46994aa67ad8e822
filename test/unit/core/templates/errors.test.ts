import { explainSendError } from '../../../../src/core/templates/errors';
import { readContract } from './fixtures';

const table = readContract('derived/error-codes.table.json').codes as Array<{ code: number; title: string; retryable: string }>;
const row = (code: number) => table.find((r) => r.code === code);

describe('explainSendError', () => {
	it.each([
		[131047, 'graph_error_131047', false, false, false],
		[132000, 'graph_error_132000', false, false, true],
		[132012, 'graph_error_132012', false, false, true],
		// A parameter with a line break, a tab or 5+ spaces (not in the error table of v23.0).
		[132018, 'graph_error_132018', false, false, false],
		[132001, 'graph_error_132001', false, true, false],
		[132015, 'graph_error_132015', false, true, false],
		[132016, 'graph_error_132016', false, true, false],
		[131026, 'graph_error_131026', false, false, false],
		// A message a business-scoped user id cannot get (Meta's "Business-scoped user IDs"; not in the error table of v23.0).
		[131062, 'graph_error_131062', false, false, false],
		[130429, 'graph_error_130429', true, false, false],
		[131056, 'graph_error_131056', true, false, false],
		[190, 'graph_error_190', false, false, false],
		// API Session: the token expired, was revoked or is invalid, as 190 (`isRefusedToken`).
		[102, 'graph_error_190', false, false, false],
		// Phone number Not Registered: the admin must register the number with Meta.
		[133010, 'graph_error_133010', false, false, false],
		[131000, 'graph_error_temporary', true, false, false],
		// Account in maintenance mode, server temporarily unavailable: temporary.
		[131057, 'graph_error_temporary', true, false, false],
		[133004, 'graph_error_temporary', true, false, false],
		// What an agent meets besides: a media Meta could not take, the spam limit, the account locked,
		// its payment, a policy block, the number itself as recipient, a marketing message not delivered.
		[131053, 'graph_error_131053', false, false, false],
		[131048, 'graph_error_131048', false, false, false],
		[131031, 'graph_error_131031', false, false, false],
		[131042, 'graph_error_131042', false, false, false],
		[368, 'graph_error_368', false, false, false],
		[131021, 'graph_error_131021', false, false, false],
		[131049, 'graph_error_131049', false, false, false],
		[131050, 'graph_error_131050', false, false, false],
		[987654, 'graph_error_other', false, false, false],
		[0, 'graph_error_other', false, false, false],
	])(
		'%i -> %s, retryable %s, removes the template %s, marks the list stale %s',
		(code, key, retryable, removesTemplate, staleTemplate) => {
			expect(explainSendError(code)).toEqual({ key, retryable, removesTemplate, staleTemplate });
		},
	);

	it("agrees with Meta's error table on what each code is and whether to retry", () => {
		expect(row(131047)?.title).toBe('Re-engagement message');
		expect(row(132001)?.title).toBe('Template does not exist');
		expect(row(132015)?.title).toBe('Template is Paused');
		expect(row(132016)?.title).toBe('Template is Disabled');
		expect(row(190)?.title).toBe('Access token has expired');
		expect(row(133010)?.title).toBe('Phone number Not Registered');
		expect(row(131053)?.title).toBe('Media upload error');
		expect(row(131048)?.title).toBe('Spam rate limit hit');
		expect(row(131031)?.title).toBe('Account has been locked');
		expect(row(131042)?.title).toBe('Business eligibility payment issue');
		expect(row(368)?.title).toBe('Temporarily blocked for policies violations');
		expect(row(131021)?.title).toBe('Recipient cannot be sender');
		expect(row(131057)?.title).toBe('Account in maintenance mode');
		expect(row(133004)?.title).toBe('Server Temporarily Unavailable');
		const codes = [131047, 132000, 132001, 132015, 132016, 131026, 130429, 131056, 190, 133010, 2, 4, 80007, 131000, 131016];
		for (const code of [...codes, 131057, 133004, 131053, 131031, 131042, 368, 131021, 131049, 131050]) {
			const retryable = row(code)?.retryable;
			expect([code, retryable === 'yes']).toEqual([code, explainSendError(code).retryable]);
		}
	});

	it("explains a 100 that names the appsecret_proof as the number's app secret refused (an admin's edit mends it), and no other 100", () => {
		const refused = { key: 'graph_error_app_secret', retryable: false, removesTemplate: false, staleTemplate: false };
		expect(explainSendError(100, 'Invalid appsecret_proof provided in the API argument')).toEqual(refused);
		expect(explainSendError(100, 'API calls from the server require an appsecret_proof argument')).toEqual(refused);
		expect(explainSendError(100, '(#100) Invalid parameter').key).toBe('graph_error_other');
		expect(explainSendError(131053, 'appsecret_proof').key).toBe('graph_error_131053');
	});

	it('returns a copy (callers may not change the table)', () => {
		const first = explainSendError(130429);
		first.retryable = false;
		expect(explainSendError(130429).retryable).toBe(true);
	});
});
