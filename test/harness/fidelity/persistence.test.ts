/**
 * Fidelity of the harness's persistence to Rocket.Chat's AppPersistenceBridge
 * (apps/meteor/app/apps/server/bridges/persistence.ts). Each test names what Rocket.Chat does; the
 * app's tests rely on these answers. Two answers differ between Rocket.Chat versions and are
 * modelled as variants: 'current' (the 7.x/8.x builds: `upsertedId || ''`, removal with
 * `AppsPersistenceModel.remove`, which is `deleteMany` in packages/models/src/models/AppsPersistence.ts)
 * and 'raw-model' (commit 02793f567cdd4851e1fe09ac08be4695fe4d1b89: `result.upsertedId.toString()`,
 * `deleteOne`).
 */
import { HarnessBridges } from '../../../tools/harness/bridges';
import { PersistenceVariant } from '../../../tools/harness/rc/persistence';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const APP = 'app-1';
const a = { model: 'misc', id: 'a' };
const b = { model: 'misc', id: 'b' };
const c = { model: 'misc', id: 'c' };

function persistence(variant: PersistenceVariant = 'current') {
	const world = new HarnessWorld();
	const bridges = new HarnessBridges(world, new HarnessScheduler(), undefined, { persistence: { variant } });
	return { world, p: bridges.getPersistenceBridge() as any };
}

describe('persistence as Rocket.Chat stores it', () => {
	it('reads by associations with $all: every record holding all of them, whatever else it holds', async () => {
		// find({ appId, associations: { $all: associations } })
		const { p } = persistence();
		await p.createWithAssociations({ n: 1 }, [a, b], APP);
		await p.createWithAssociations({ n: 2 }, [b, a, c], APP);
		await p.createWithAssociations({ n: 3 }, [a], APP);
		expect(await p.readByAssociations([a, b], APP)).toEqual([{ n: 1 }, { n: 2 }]);
		expect(await p.readByAssociations([b], APP)).toEqual([{ n: 1 }, { n: 2 }]);
		expect(await p.readByAssociations([a], 'other-app')).toEqual([]);
		expect(await p.readByAssociations([{ model: 'misc', id: 'none' }], APP)).toEqual([]);
	});

	it('updates by associations only the record whose association array is exactly equal (same elements, order and length)', async () => {
		// updateOne({ appId, associations }, { $set: { data } }, { upsert }): MongoDB equality on an array
		const { p } = persistence();
		await p.createWithAssociations({ n: 1 }, [a, b, c], APP);
		await p.updateByAssociations([a, c], { n: 2 }, false, APP);
		await p.updateByAssociations([b, a, c], { n: 3 }, false, APP);
		await p.updateByAssociations([a, b], { n: 4 }, false, APP);
		expect(await p.readByAssociations([a], APP)).toEqual([{ n: 1 }]);
		await p.updateByAssociations([a, b, c], { n: 5 }, false, APP);
		expect(await p.readByAssociations([a], APP)).toEqual([{ n: 5 }]);
	});

	it('without upsert and with no exact match, does nothing and throws nothing (current) ', async () => {
		const { p, world } = persistence();
		await p.createWithAssociations({ n: 1 }, [a, b], APP);
		await expect(p.updateByAssociations([a], { n: 2 }, false, APP)).resolves.toBe('');
		expect(world.persistence.map((r) => r.data)).toEqual([{ n: 1 }]);
	});

	it('with upsert and no exact match, inserts a record with exactly that array: a superset record is not touched', async () => {
		const { p } = persistence();
		await p.createWithAssociations({ n: 1 }, [a, b], APP);
		const id = await p.updateByAssociations([a], { n: 2 }, true, APP);
		expect(id).toMatch(/\S/);
		expect(await p.readByAssociations([a], APP)).toEqual([{ n: 1 }, { n: 2 }]);
		// The upserted record now matches its own array.
		await expect(p.updateByAssociations([a], { n: 3 }, true, APP)).resolves.toBe('');
		expect(await p.readByAssociations([a], APP)).toEqual([{ n: 1 }, { n: 3 }]);
	});

	it('raw-model versions answer result.upsertedId.toString(): a TypeError after an update was written, and when nothing matched', async () => {
		const { p } = persistence('raw-model');
		await p.createWithAssociations({ n: 1 }, [a], APP);
		await expect(p.updateByAssociations([a], { n: 2 }, true, APP)).rejects.toThrow(TypeError);
		expect(await p.readByAssociations([a], APP)).toEqual([{ n: 2 }]);
		await expect(p.updateByAssociations([b], { n: 3 }, false, APP)).rejects.toThrow(TypeError);
		expect(await p.readByAssociations([b], APP)).toEqual([]);
		// An insert has an upsertedId: no error.
		await expect(p.updateByAssociations([c], { n: 4 }, true, APP)).resolves.toMatch(/\S/);
	});

	it('removes by associations with $all: every match on current versions, the first only on raw-model versions (deleteOne); both answer every match', async () => {
		for (const [variant, left] of [
			['current', []],
			['raw-model', [{ n: 2 }]],
		] as const) {
			const { p } = persistence(variant);
			await p.createWithAssociations({ n: 1 }, [a, b], APP);
			await p.createWithAssociations({ n: 2 }, [a], APP);
			expect(await p.removeByAssociations([a], APP)).toEqual([{ n: 1 }, { n: 2 }]);
			expect(await p.readByAssociations([a], APP)).toEqual(left);
			expect(await p.removeByAssociations([c], APP)).toBeUndefined();
		}
	});

	it('reads by id without checking the app (findOneById), and never updates by id (Not implemented.)', async () => {
		const { p } = persistence();
		const id = await p.create({ n: 1 }, APP);
		expect(await p.readById(id, 'other-app')).toEqual({ n: 1 });
		expect(await p.readById('missing', APP)).toBeUndefined();
		await expect(p.update(id, { n: 2 }, false, APP)).rejects.toThrow('Not implemented.');
		expect(await p.remove(id, 'other-app')).toBeUndefined();
		expect(await p.remove(id, APP)).toEqual({ n: 1 });
	});

	it('hands out copies, as a database does', async () => {
		const { p } = persistence();
		await p.createWithAssociations({ list: [1] }, [a], APP);
		const [read] = await p.readByAssociations([a], APP);
		read.list.push(2);
		expect(await p.readByAssociations([a], APP)).toEqual([{ list: [1] }]);
	});

	it('refuses data that is not an object', async () => {
		const { p } = persistence();
		await expect(p.createWithAssociations('text', [a], APP)).rejects.toThrow('it must be an object');
		await expect(p.updateByAssociations([a], 42, true, APP)).rejects.toThrow('it must be an object');
	});

	it('waits the configured latency on every call (MongoDB behind the engine)', async () => {
		const world = new HarnessWorld();
		const p = new HarnessBridges(world, new HarnessScheduler(), undefined, {
			persistence: { latencyMs: 20 },
		}).getPersistenceBridge() as any;
		const started = process.hrtime.bigint();
		await p.readByAssociations([a], APP);
		expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThanOrEqual(19);
	});
});
