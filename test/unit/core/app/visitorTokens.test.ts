/** Visitor tokens (src/core/app/visitorTokens.ts): keyed, verified, one key agreed on. */
import {
	chooseTokenKey,
	claimedContactOfVisitorToken,
	contactOfLegacyToken,
	contactOfVisitorToken,
	newTokenKey,
	visitorToken,
} from '../../../../src/core/app/visitorTokens';

const CARLA = { phoneNumberId: '106540352242922', waId: '5511987654321' };
const KEY = 'a'.repeat(64);

describe('visitor tokens', () => {
	it('names the contact and carries a MAC of it under the key: another key, number or phone gives another token', () => {
		const token = visitorToken(KEY, CARLA);
		expect(token).toMatch(/^whatsapp:106540352242922:5511987654321:[0-9a-f]{32}$/);
		expect(visitorToken(KEY, CARLA)).toBe(token);
		expect(visitorToken('b'.repeat(64), CARLA)).not.toBe(token);
		expect(visitorToken(KEY, { ...CARLA, waId: '5511987654322' }).split(':')[3]).not.toBe(token.split(':')[3]);
		expect(visitorToken(KEY, { ...CARLA, phoneNumberId: '106540352242923' }).split(':')[3]).not.toBe(token.split(':')[3]);
	});

	it("names a contact known by a business-scoped user id by it, and reads it back from the token and the contact's key", () => {
		const sheena = { phoneNumberId: CARLA.phoneNumberId, waId: 'US.13491208655302741918' };
		const token = visitorToken(KEY, sheena);
		expect(token).toMatch(/^whatsapp:106540352242922:US\.13491208655302741918:[0-9a-f]{32}$/);
		expect(contactOfVisitorToken(KEY, token)).toEqual(sheena);
		expect(claimedContactOfVisitorToken(token)).toEqual(sheena);
		expect(contactOfVisitorToken(KEY, token.replace('US.', 'BR.'))).toBeUndefined();
		expect(contactOfLegacyToken(`whatsapp:${sheena.phoneNumberId}:${sheena.waId}`)).toEqual(sheena);
		// Nothing else than digits or a BSUID names a contact.
		expect(claimedContactOfVisitorToken(token.replace('US.', 'us.'))).toBeUndefined();
		expect(contactOfLegacyToken(`whatsapp:${sheena.phoneNumberId}:US.1349:x`)).toBeUndefined();
	});

	it('gives the contact of a token only when it verifies under the key', () => {
		const token = visitorToken(KEY, CARLA);
		expect(contactOfVisitorToken(KEY, token)).toEqual(CARLA);
		expect(contactOfVisitorToken('b'.repeat(64), token)).toBeUndefined();
		// The MAC of one contact does not vouch for another.
		expect(contactOfVisitorToken(KEY, token.replace(':5511987654321:', ':5511987654322:'))).toBeUndefined();
		expect(contactOfVisitorToken(KEY, `whatsapp:${CARLA.phoneNumberId}:${CARLA.waId}`)).toBeUndefined();
		expect(contactOfVisitorToken(KEY, `${token}0`)).toBeUndefined();
		expect(contactOfVisitorToken(KEY, undefined)).toBeUndefined();
	});

	it('reads the contact a keyed token claims without verifying it, and nothing from other tokens', () => {
		expect(claimedContactOfVisitorToken(visitorToken(KEY, CARLA))).toEqual(CARLA);
		// Claimed, not verified: a MAC under another key, or none valid at all, still names the contact.
		expect(claimedContactOfVisitorToken(visitorToken('b'.repeat(64), CARLA))).toEqual(CARLA);
		expect(claimedContactOfVisitorToken(`whatsapp:${CARLA.phoneNumberId}:${CARLA.waId}:${'0'.repeat(32)}`)).toEqual(CARLA);
		expect(claimedContactOfVisitorToken(`whatsapp:${CARLA.phoneNumberId}:${CARLA.waId}`)).toBeUndefined();
		expect(claimedContactOfVisitorToken(`${visitorToken(KEY, CARLA)}0`)).toBeUndefined();
		// A MAC in capitals is not one the app writes.
		expect(
			claimedContactOfVisitorToken(visitorToken(KEY, CARLA).replace(/:([0-9a-f]{32})$/, (mac) => mac.toUpperCase())),
		).toBeUndefined();
		expect(claimedContactOfVisitorToken('guest-1')).toBeUndefined();
		expect(claimedContactOfVisitorToken(undefined)).toBeUndefined();
	});

	it('reads the contact of a token of the versions before, and nothing else', () => {
		expect(contactOfLegacyToken('whatsapp:106540352242922:5511987654321')).toEqual(CARLA);
		expect(contactOfLegacyToken(visitorToken(KEY, CARLA))).toBeUndefined();
		expect(contactOfLegacyToken('guest-1')).toBeUndefined();
	});

	it('makes random 32-byte keys, and every reader takes the oldest of those stored (then the smallest)', () => {
		const made = newTokenKey(1000);
		expect(made).toEqual({ key: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: 1000 });
		expect(newTokenKey(1000).key).not.toBe(made.key);
		const older = { key: 'c'.repeat(64), createdAt: 500 };
		expect(chooseTokenKey([made, older])).toEqual(older);
		expect(chooseTokenKey([older, made])).toEqual(older);
		const twin = { key: 'b'.repeat(64), createdAt: 500 };
		expect(chooseTokenKey([older, twin])).toEqual(twin);
		expect(chooseTokenKey([{ key: 'short', createdAt: 1 }, { key: KEY }, null, made])).toEqual(made);
		expect(chooseTokenKey([])).toBeUndefined();
	});
});
