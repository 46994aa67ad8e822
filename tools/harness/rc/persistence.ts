/**
 * App persistence, as Rocket.Chat's AppPersistenceBridge stores it
 * (apps/meteor/app/apps/server/bridges/persistence.ts).
 */
import { randomUUID } from 'crypto';

import { BridgeContext, BridgeMethods } from './context';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Persistence hands out copies, as a database does. */
function clone<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

function matches(record: { associations: Array<{ model: string; id: string }> }, wanted: Array<{ model: string; id: string }>): boolean {
	return wanted.every((w) => record.associations.some((a) => a.model === w.model && a.id === w.id));
}

export function persistenceBridge({ world: w }: BridgeContext): BridgeMethods {
return {
		purge: async (appId: string) => {
			for (let i = w.persistence.length - 1; i >= 0; i--) if (w.persistence[i].appId === appId) w.persistence.splice(i, 1);
		},
		create: async (data: object, appId: string) => {
			const id = randomUUID();
			w.persistence.push({ id, appId, data: clone(data), associations: [] });
			return id;
		},
		createWithAssociations: async (data: object, associations: Any[], appId: string) => {
			const id = randomUUID();
			w.persistence.push({ id, appId, data: clone(data), associations: associations.map((a) => ({ model: a.model, id: a.id })) });
			return id;
		},
		readById: async (id: string, appId: string) => {
			const record = w.persistence.find((r) => r.id === id && r.appId === appId);
			return record ? clone(record.data) : undefined;
		},
		readByAssociations: async (associations: Any[], appId: string) =>
			w.persistence.filter((r) => r.appId === appId && matches(r, associations)).map((r) => clone(r.data)),
		remove: async (id: string, appId: string) => {
			const index = w.persistence.findIndex((r) => r.id === id && r.appId === appId);
			if (index < 0) return undefined;
			return w.persistence.splice(index, 1)[0].data;
		},
		removeByAssociations: async (associations: Any[], appId: string) => {
			const removed: object[] = [];
			for (let i = w.persistence.length - 1; i >= 0; i--) {
				const r = w.persistence[i];
				if (r.appId === appId && matches(r, associations)) removed.unshift(w.persistence.splice(i, 1)[0].data);
			}
			return removed.length ? removed : undefined;
		},
		update: async (id: string, data: object, upsert: boolean, appId: string) => {
			const record = w.persistence.find((r) => r.id === id && r.appId === appId);
			if (record) record.data = clone(data);
			else if (upsert) w.persistence.push({ id, appId, data: clone(data), associations: [] });
			else throw new Error(`PersistenceBridge.update: no record ${id}`);
			return id;
		},
		updateByAssociations: async (associations: Any[], data: object, upsert: boolean, appId: string) => {
			// Like Rocket.Chat (a MongoDB update without `multi`): the first matching record, or a new one on upsert.
			const record = w.persistence.find((r) => r.appId === appId && matches(r, associations));
			if (record) {
				record.data = clone(data);
				return record.id;
			}
			if (!upsert) throw new Error('PersistenceBridge.updateByAssociations: no matching record');
			const id = randomUUID();
			w.persistence.push({ id, appId, data: clone(data), associations: associations.map((a) => ({ model: a.model, id: a.id })) });
			return id;
		},
};
}
