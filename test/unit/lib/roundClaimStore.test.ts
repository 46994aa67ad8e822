/**
 * The claims of rounds in Rocket.Chat's persistence (src/adapters/persistence/RoundClaimStore.ts),
 * over the engine's persistence accessors and the harness's model of Rocket.Chat's persistence in
 * both of its variants, answering as the in-memory reference (src/core/app/roundClaims.ts MemoryRoundClaims) does.
 */
import { PersistenceRoundClaims } from '../../../src/adapters/persistence/RoundClaimStore';
import { MemoryRoundClaims, RoundClaims } from '../../../src/core/app/roundClaims';
import { enginePersistence, withoutAppManager } from '../../support/enginePersistence';

withoutAppManager();

/** Claims written, renewed and withdrawn as rounds do; what `claims` answers after each step. */
async function story(claims: RoundClaims): Promise<unknown[]> {
	const seen: unknown[] = [];
	const sorted = async () => (await claims.claims()).sort((a, b) => a.token.localeCompare(b.token));
	await claims.claim({ token: 'a', until: 1000 });
	await claims.claim({ token: 'b', until: 2000 });
	seen.push(await sorted());
	// A renewal: the same claim, a later end.
	await claims.claim({ token: 'a', until: 5000 });
	seen.push(await sorted());
	await claims.withdraw(['a']);
	seen.push(await sorted());
	await claims.withdraw(['b', 'gone']);
	seen.push(await sorted());
	return seen;
}

describe.each(['current', 'raw-model'] as const)('PersistenceRoundClaims on %s persistence', (variant) => {
	it('answers as the in-memory reference: one claim per round, renewed in place, withdrawn by its token alone', async () => {
		const { world, read, write } = enginePersistence(variant);
		const expected = await story(new MemoryRoundClaims());
		expect(expected).toEqual([
			[
				{ token: 'a', until: 1000 },
				{ token: 'b', until: 2000 },
			],
			[
				{ token: 'a', until: 5000 },
				{ token: 'b', until: 2000 },
			],
			[{ token: 'b', until: 2000 }],
			[],
		]);
		expect(await story(new PersistenceRoundClaims(read, write, 'delivery'))).toEqual(expected);
		expect(world.persistence).toEqual([]);
	});

	it("keeps to its own job's records: another job's claims and another store's records are neither read nor removed", async () => {
		const { world, read, write } = enginePersistence(variant);
		await write.createWithAssociations({ id: 'x' }, [{ model: 'misc', id: 'delivery-round-other' }]);
		const claims = new PersistenceRoundClaims(read, write, 'delivery');
		const processing = new PersistenceRoundClaims(read, write, 'processing');
		await claims.claim({ token: 'a', until: 1000 });
		await processing.claim({ token: 'a', until: 2000 });
		expect(await claims.claims()).toEqual([{ token: 'a', until: 1000 }]);
		expect(await processing.claims()).toEqual([{ token: 'a', until: 2000 }]);
		await claims.withdraw(['a']);
		expect(await processing.claims()).toEqual([{ token: 'a', until: 2000 }]);
		await processing.withdraw(['a']);
		expect(world.persistence.map((r) => r.data)).toEqual([{ id: 'x' }]);
	});
});
