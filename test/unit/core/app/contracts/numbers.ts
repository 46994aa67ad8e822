/** The numbers contract (`Numbers`, core/app/ports.ts): the in-memory twin and the persistence store pass the same suite. */
import { Numbers } from '../../../../../src/core/app/ports';
import { ConnectedNumber } from '../../../../../src/core/numbers/ConnectedNumber';

/** A connected number, as the contract tests and the stores' own tests build it. */
export const number = (phoneNumberId: string, connectedAt: string, fields: Partial<ConnectedNumber> = {}): ConnectedNumber => ({
	phoneNumberId,
	wabaId: 'waba-1',
	displayPhoneNumber: '+1 555-000-0000',
	verifiedName: 'Shop',
	accessToken: 'token',
	appSecret: 'secret',
	connectedAt,
	connectedBy: 'admin',
	...fields,
});

export function numbersContract(name: string, makeNumbers: () => Promise<Numbers> | Numbers): void {
	describe(`${name}: the numbers contract`, () => {
		let numbers: Numbers;
		beforeEach(async () => {
			numbers = await makeNumbers();
		});

		it('lists the numbers in the order they were connected, and gets one by its id', async () => {
			await numbers.save(number('222', '2026-02-01T00:00:00.000Z'));
			await numbers.save(number('111', '2026-01-01T00:00:00.000Z'));
			expect((await numbers.list()).map((n) => n.phoneNumberId)).toEqual(['111', '222']);
			expect(await numbers.get('222')).toMatchObject({ phoneNumberId: '222' });
			expect(await numbers.get('333')).toBeUndefined();
		});

		it('saves an edited number in place of the old one', async () => {
			await numbers.save(number('111', '2026-01-01T00:00:00.000Z'));
			await numbers.save(number('111', '2026-01-01T00:00:00.000Z', { welcomeMessage: 'Hi' }));
			expect(await numbers.list()).toEqual([expect.objectContaining({ phoneNumberId: '111', welcomeMessage: 'Hi' })]);
		});

		it('removes a number, and says whether there was one', async () => {
			await numbers.save(number('111', '2026-01-01T00:00:00.000Z'));
			expect(await numbers.remove('111')).toBe(true);
			expect(await numbers.remove('111')).toBe(false);
			expect(await numbers.list()).toEqual([]);
		});
	});
}
