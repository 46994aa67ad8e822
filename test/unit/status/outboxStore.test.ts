/**
 * The persistence-backed outbox passes the same contract suite as the in-memory one, through the
 * engine's own persistence accessors (`Persistence`, `PersistenceRead` of @rocket.chat/apps-engine)
 * over the harness's model of Rocket.Chat's persistence, in both of its version variants.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { PersistenceOutboxStore } from '../../../src/adapters/persistence/OutboxStore';
import { HarnessBridges } from '../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../tools/harness/world';
import { outboxContract } from '../core/status/outboxContract';

/* eslint-disable @typescript-eslint/no-explicit-any */

// The engine checks an app's permissions through its AppManager; these accessors run without an
// app installed, as the engine's own tests do (NODE_ENV=test skips the check).
const previousEnv = process.env.NODE_ENV;
beforeAll(() => {
	process.env.NODE_ENV = 'test';
});
afterAll(() => {
	process.env.NODE_ENV = previousEnv;
});

for (const variant of ['current', 'raw-model'] as const) {
	let bridge: any;
	const storeOver = (pageSize: number) =>
		new PersistenceOutboxStore(new PersistenceRead(bridge, 'app-1') as any, new Persistence(bridge, 'app-1') as any, pageSize) as any;
	outboxContract(
		`PersistenceOutboxStore on ${variant} persistence`,
		(pageSize) => {
			bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler(), undefined, {
				persistence: { variant },
			}).getPersistenceBridge() as any;
			return storeOver(pageSize);
		},
		() => storeOver(3),
	);
}
