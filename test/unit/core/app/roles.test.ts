import { holdsRole } from '../../../../src/core/app/roles';
import { roleIdOf } from '../../../../src/adapters/factory';

describe('holdsRole', () => {
	const ids: Record<string, string> = { 'whatsapp-managers': 'kP3fZq8RdXw2LmNa7', admin: 'admin' };
	const lookups: string[] = [];
	const idOf = async (name: string) => (lookups.push(name), ids[name]);
	beforeEach(() => (lookups.length = 0));

	it('matches a role the user holds by id (a built-in role: its name) without a look-up', async () => {
		expect(await holdsRole(['user', 'admin'], ['admin', 'whatsapp-managers'], idOf)).toBe(true);
		expect(lookups).toEqual([]);
	});

	it('matches a custom role by its name through its id, looking up only the entries that matched nothing', async () => {
		expect(await holdsRole(['user', 'kP3fZq8RdXw2LmNa7'], ['admin', 'whatsapp-managers'], idOf)).toBe(true);
		expect(lookups).toEqual(['admin', 'whatsapp-managers']);
		expect(await holdsRole(['user'], ['whatsapp-managers', 'nobody'], idOf)).toBe(false);
	});

	it('counts a failed look-up as no match, and without a look-up matches ids alone', async () => {
		const failing = async () => Promise.reject(new Error('permission denied'));
		expect(await holdsRole(['user', 'kP3fZq8RdXw2LmNa7'], ['whatsapp-managers'], failing)).toBe(false);
		expect(await holdsRole(['user', 'kP3fZq8RdXw2LmNa7'], ['whatsapp-managers'])).toBe(false);
		expect(await holdsRole(undefined, ['admin'], idOf)).toBe(false);
		expect(lookups).toEqual([]);
	});
});

describe('roleIdOf (the role bridge through the engine)', () => {
	const reading = (role: unknown) => ({ getRoleReader: () => ({ getOneByIdOrName: async () => role }) }) as never;

	it("takes the converted role's id (Rocket.Chat 7+), the document's _id (earlier bridges), and none", async () => {
		expect(await roleIdOf(reading({ id: 'kP3fZq8RdXw2LmNa7', name: 'whatsapp-managers' }))('whatsapp-managers')).toBe(
			'kP3fZq8RdXw2LmNa7',
		);
		expect(await roleIdOf(reading({ _id: 'kP3fZq8RdXw2LmNa7', name: 'whatsapp-managers' }))('whatsapp-managers')).toBe(
			'kP3fZq8RdXw2LmNa7',
		);
		expect(await roleIdOf(reading(null))('nobody')).toBeUndefined();
		expect(await roleIdOf(reading(undefined))('nobody')).toBeUndefined();
	});
});
