/**
 * The app's records over both answers Rocket.Chat's persistence gives (the harness's faithful
 * model, tools/harness/rc/persistence.ts, in its two variants): written, replaced and removed the
 * same on every version.
 */
import { RocketChatAssociationModel, RocketChatAssociationRecord } from '@rocket.chat/apps-engine/definition/metadata';

import { Records } from '../../../src/adapters/persistence/records';
import { HarnessBridges } from '../../../tools/harness/bridges';
import { PersistenceVariant } from '../../../tools/harness/rc/persistence';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const APP = 'app-1';
const misc = (id: string) => new RocketChatAssociationRecord(RocketChatAssociationModel.MISC, id);

/** The engine's persistence accessors over the bridge, as the engine wires them for one app. */
function accessors(variant: PersistenceVariant) {
	const world = new HarnessWorld();
	const bridge = new HarnessBridges(world, new HarnessScheduler(), undefined, { persistence: { variant } }).getPersistenceBridge() as any;
	const calls: string[] = [];
	const persistence = {
		createWithAssociations: (data: object, as: RocketChatAssociationRecord[]) => bridge.createWithAssociations(data, as, APP),
		updateByAssociations: (as: RocketChatAssociationRecord[], data: object, upsert = false) => {
			calls.push('update');
			return bridge.updateByAssociations(as, data, upsert, APP);
		},
		removeByAssociations: (as: RocketChatAssociationRecord[]) => {
			calls.push('remove');
			return bridge.removeByAssociations(as, APP);
		},
	};
	const read = { readByAssociations: (as: RocketChatAssociationRecord[]) => bridge.readByAssociations(as, APP) };
	return { world, persistence, read, calls, records: new Records(read as any, persistence as any) };
}

describe.each(['current', 'raw-model'] as const)('records on %s persistence', (variant) => {
	it('puts a record, then replaces it in place', async () => {
		const { records, read } = accessors(variant);
		await records.put([misc('x')], { n: 1 });
		await records.put([misc('x')], { n: 2 });
		expect(await read.readByAssociations([misc('x')])).toEqual([{ n: 2 }]);
	});

	it('replaces a record created with several associations when given the same list', async () => {
		const { records, read, persistence } = accessors(variant);
		await persistence.createWithAssociations({ n: 1 }, [misc('all'), misc('day'), misc('one')]);
		expect(await records.replace([misc('all'), misc('day'), misc('one')], { n: 2 })).toBe(true);
		expect(await read.readByAssociations([misc('one')])).toEqual([{ n: 2 }]);
	});

	it('never creates on replace', async () => {
		const { records, world } = accessors(variant);
		const answer = await records.replace([misc('gone')], { n: 1 });
		expect(world.persistence).toEqual([]);
		// Only a server that throws on a miss can say so; the current one answers '' either way.
		expect(answer).toBe(variant === 'raw-model' ? false : true);
	});

	it('removes every match, keyed one by one where the server removes one per call', async () => {
		const { records, persistence, read, calls } = accessors(variant);
		for (let n = 0; n < 5; n++) await persistence.createWithAssociations({ n }, [misc('day'), misc(`key:${n}`)]);
		await persistence.createWithAssociations({ other: true }, [misc('other-day')]);
		expect(await records.removeAll([misc('day')], (d) => [misc(`key:${(d as { n: number }).n}`)])).toBe(5);
		expect(await read.readByAssociations([misc('day')])).toEqual([]);
		expect(await read.readByAssociations([misc('other-day')])).toEqual([{ other: true }]);
		// deleteMany: one call; deleteOne: one call, then one per record left.
		expect(calls.filter((c) => c === 'remove')).toHaveLength(variant === 'current' ? 1 : 5);
	});

	it('removes records that lack the key (written before it existed), in a bounded number of calls', async () => {
		const { records, persistence, read, calls } = accessors(variant);
		for (let n = 0; n < 3; n++) await persistence.createWithAssociations({ n }, [misc('day')]);
		expect(await records.removeAll([misc('day')], (d) => [misc(`key:${(d as { n: number }).n}`)])).toBe(3);
		expect(await read.readByAssociations([misc('day')])).toEqual([]);
		expect(calls.filter((c) => c === 'remove').length).toBeLessThanOrEqual(variant === 'current' ? 1 : 3 * 3 + 3);
	});

	it('removes every match without keys too', async () => {
		const { records, persistence, read } = accessors(variant);
		for (let n = 0; n < 3; n++) await persistence.createWithAssociations({ n }, [misc('mark')]);
		expect(await records.removeAll([misc('mark')])).toBe(3);
		expect(await read.readByAssociations([misc('mark')])).toEqual([]);
	});
});

describe('records when the write itself fails', () => {
	it('rethrows: nothing was stored', async () => {
		const read = { readByAssociations: async () => [] };
		const persistence = { updateByAssociations: async () => Promise.reject(new Error('connection lost')) };
		await expect(new Records(read as any, persistence as any).put([misc('x')], { n: 1 })).rejects.toThrow('connection lost');
	});

	it('rethrows on replace when the record is there but unchanged', async () => {
		const read = { readByAssociations: async () => [{ n: 1 }] };
		const persistence = { updateByAssociations: async () => Promise.reject(new Error('connection lost')) };
		await expect(new Records(read as any, persistence as any).replace([misc('x')], { n: 2 })).rejects.toThrow('connection lost');
	});

	it('refuses to write when opened read-only', async () => {
		await expect(new Records({ readByAssociations: async () => [] } as any).put([misc('x')], {})).rejects.toThrow('read-only');
	});
});

describe('records read back after a broken answer', () => {
	it('count a field dropped by a store that ignores undefined as written', async () => {
		const read = { readByAssociations: async () => [{ n: 1 }] };
		const persistence = {
			updateByAssociations: async () => Promise.reject(new TypeError("Cannot read properties of null (reading 'toString')")),
		};
		await expect(new Records(read as any, persistence as any).put([misc('x')], { n: 1, gone: undefined })).resolves.toBeUndefined();
	});

	it('count a field the engine turned from undefined into null as written', async () => {
		const read = { readByAssociations: async () => [{ n: 1, gone: null }] };
		const persistence = {
			updateByAssociations: async () => Promise.reject(new TypeError("Cannot read properties of null (reading 'toString')")),
		};
		await expect(new Records(read as any, persistence as any).put([misc('x')], { n: 1, gone: undefined })).resolves.toBeUndefined();
	});
});
