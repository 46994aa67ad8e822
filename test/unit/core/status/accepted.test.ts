/** Sends Meta accepted, as its statuses tell (src/core/status/accepted.ts). */
import { acceptedByMeta, onlyWamid } from '../../../../src/core/status/accepted';

const BATCH = 'rcwa.0123456789abcdef01';
const status = (wamid: string, fields: { recipientId: string; recipientUserId?: string; recipientType?: string }) => ({
	wamid,
	phoneNumberId: 'pn-1',
	bizOpaqueCallbackData: BATCH,
	...fields,
});

describe('acceptedByMeta', () => {
	it('finds a send by the number it went to, and a send to a business-scoped user id by it, with or without the phone number', () => {
		const accepted = acceptedByMeta(
			BATCH,
			'pn-1',
			[
				status('wamid.1', { recipientId: '5511987654321' }),
				// A send to a BSUID: Meta names it in `recipient_user_id`, and the phone number when it may.
				status('wamid.2', { recipientId: 'US.13491208655302741918', recipientUserId: 'US.13491208655302741918' }),
				status('wamid.3', { recipientId: '16505551234', recipientUserId: 'BR.1502576394655843' }),
				status('wamid.4', { recipientId: 'group-1', recipientType: 'group' }),
			],
			[{ mobileNo: '5511987654321' }, { mobileNo: 'US.13491208655302741918' }, { mobileNo: 'BR.1502576394655843' }],
		);
		expect(onlyWamid(accepted, '5511987654321')).toBe('wamid.1');
		expect(onlyWamid(accepted, 'US.13491208655302741918')).toBe('wamid.2');
		expect(onlyWamid(accepted, 'BR.1502576394655843')).toBe('wamid.3');
		expect(onlyWamid(accepted, '16505551234')).toBe('wamid.3');
		expect(onlyWamid(accepted, 'group-1')).toBeUndefined();
	});
});
