/**
 * The campaign queue in Rocket.Chat's persistence (src/adapters/persistence/CampaignStore.ts), over
 * the engine's persistence accessors and the harness's model of Rocket.Chat's persistence in both of
 * its variants: a cancel is stored apart from the head, so that no rewrite of the head undoes it.
 */
import { PersistenceCampaignStore } from '../../../src/adapters/persistence/CampaignStore';
import { CampaignMayRun } from '../../../src/core/app/campaignsPorts';
import { chunkRecipients } from '../../../src/core/bulk/campaign';
import { enginePersistence, withoutAppManager } from '../../support/enginePersistence';
import { campaignHead } from './campaignHead';

withoutAppManager();

const head = (id: string) => campaignHead(id);

describe.each(['current', 'raw-model'] as const)('PersistenceCampaignStore on %s persistence', (variant) => {
	function world() {
		const { world: harness, read, write: persistence } = enginePersistence(variant);
		const store = new PersistenceCampaignStore(read, persistence);
		const markers = () => harness.persistence.filter((r) => r.associations.some((a) => a.id === 'campaigns:active')).length;
		return { harness, store, persistence, markers };
	}
	const create = async (store: PersistenceCampaignStore, id: string) =>
		store.create(
			head(id),
			chunkRecipients(id, ['15550000001', '15550000002'], () => `rcwa.${id}`),
		);

	it('a cancel wins over a head rewritten active after it; the campaign stays open until a run closes it', async () => {
		const { store, markers } = world();
		await create(store, 'c1');
		const read = await store.get('c1');
		await store.cancel('c1', 5000);
		// A run that read the head before the cancel writes it back after.
		await store.save({ ...read!, leaseUntil: 60000 });
		const cancelled = await store.get('c1');
		expect(cancelled).toMatchObject({ state: 'cancelled', finishedAt: 5000, leaseUntil: 60000 });
		expect(await store.cancelled('c1')).toBe(true);
		expect(await store.open()).toEqual([cancelled]);
		expect(markers()).toBe(1);
		// A second cancel keeps the first one's time.
		await store.cancel('c1', 9000);
		expect((await store.get('c1'))!.finishedAt).toBe(5000);
		// A run closes it: the head saved as it reads.
		await store.save(cancelled!);
		expect(await store.open()).toEqual([]);
		expect(markers()).toBe(0);
		expect(await store.get('c1')).toMatchObject({ state: 'cancelled', finishedAt: 5000 });
	});

	it('a create that failed (its open marker not written) leaves nothing: no campaign to show or to run', async () => {
		const { harness, store } = world();
		harness.persistenceFault = (method, args) =>
			method === 'createWithAssociations' && JSON.stringify(args[1]).includes('campaigns:active')
				? new Error('MongoNetworkError')
				: undefined;
		await expect(create(store, 'c1')).rejects.toThrow('MongoNetworkError');
		harness.persistenceFault = undefined;
		expect(await store.get('c1')).toBeUndefined();
		expect(await store.open()).toEqual([]);
		expect(harness.persistence).toEqual([]);
	});

	it('a create whose marker cannot be removed after a failure says the campaign may run (CampaignMayRun)', async () => {
		const { harness, store } = world();
		const marker = (args: unknown[]) =>
			JSON.stringify(args[0]).includes('campaigns:active') || JSON.stringify(args[1]).includes('campaigns:active');
		harness.persistenceFault = (method, args) =>
			(method === 'createWithAssociations' || method === 'removeByAssociations') && marker(args)
				? new Error('MongoNetworkError')
				: undefined;
		await expect(create(store, 'c1')).rejects.toBeInstanceOf(CampaignMayRun);
	});

	it('a create whose chunk write failed waits for the others before it undoes: no chunk is left', async () => {
		const { harness, store, persistence } = world();
		const slow = persistence.createWithAssociations.bind(persistence);
		const writes: Array<Promise<unknown>> = [];
		persistence.createWithAssociations = (data: object, associations: unknown) => {
			if (!JSON.stringify(associations).includes('campaign-chunk')) return slow(data, associations);
			// The first chunk's write fails at once; the others land a moment later.
			const write = writes.length
				? new Promise((resolve) => setTimeout(resolve, 50)).then(() => slow(data, associations))
				: Promise.reject(new Error('MongoNetworkError'));
			writes.push(write);
			return write;
		};
		const three = chunkRecipients(
			'c1',
			Array.from({ length: 250 }, (_, i) => `1555000${String(i).padStart(4, '0')}`),
			() => 'rcwa.c1',
		);
		expect(three.length).toBeGreaterThan(1);
		await expect(store.create(head('c1'), three)).rejects.toThrow('MongoNetworkError');
		await Promise.allSettled(writes);
		expect(harness.persistence).toEqual([]);
	});

	it('a campaign whose every recipient was sent stays done, a cancel stored or not', async () => {
		const { store, markers } = world();
		await create(store, 'c2');
		await store.cancel('c2', 5000);
		await store.save({ ...head('c2'), cursor: 1, state: 'done', finishedAt: 6000 });
		expect(await store.get('c2')).toMatchObject({ state: 'done', finishedAt: 6000 });
		expect(await store.cancelled('c2')).toBe(true);
		expect(await store.open()).toEqual([]);
		expect(markers()).toBe(0);
		expect(await store.get('none')).toBeUndefined();
	});

	it("keeps runs' claims on a campaign apart, each withdrawn by its token alone, and removes those left with the campaign", async () => {
		const { harness, store } = world();
		await create(store, 'c3');
		await create(store, 'c4');
		await store.claimRun('c3', { token: 't1', at: 1000 });
		await store.claimRun('c3', { token: 't2', at: 1001 });
		await store.claimRun('c4', { token: 't3', at: 1002 });
		expect((await store.runClaims('c3')).sort((a, b) => a.at - b.at)).toEqual([
			{ token: 't1', at: 1000 },
			{ token: 't2', at: 1001 },
		]);
		await store.withdrawRun('c3', 't1');
		expect(await store.runClaims('c3')).toEqual([{ token: 't2', at: 1001 }]);
		expect(await store.runClaims('c4')).toEqual([{ token: 't3', at: 1002 }]);
		// A claim a run that died left is removed with its campaign; the other campaign keeps its own.
		expect(await store.remove('c3')).toMatchObject({ done: true });
		expect(harness.persistence.filter((r) => r.associations.some((a) => a.id === 'campaign:c3'))).toEqual([]);
		expect(await store.runClaims('c4')).toEqual([{ token: 't3', at: 1002 }]);
	});
});
