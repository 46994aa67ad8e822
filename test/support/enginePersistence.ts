/**
 * The engine's own persistence accessors (`PersistenceRead`, `Persistence` of @rocket.chat/apps-engine),
 * for one app, over the harness's model of Rocket.Chat's persistence in one of its variants
 * (tools/harness/rc/persistence.ts): what the app's stores get in the runtime, without an app
 * installed. Tests that use it set NODE_ENV=test (`withoutAppManager`), as the engine's own tests
 * do: the accessors then skip the permission check through the AppManager.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { HarnessBridges } from '../../tools/harness/bridges';
import { PersistenceVariant } from '../../tools/harness/rc/persistence';
import { HarnessScheduler } from '../../tools/harness/scheduler';
import { HarnessWorld } from '../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The accessors are typed loosely (`any`), so that a test may put a slow or failing call in place of one. */
export function enginePersistence(variant: PersistenceVariant = 'current'): { world: HarnessWorld; read: any; write: any } {
	const world = new HarnessWorld();
	const bridge = new HarnessBridges(world, new HarnessScheduler(), undefined, { persistence: { variant } }).getPersistenceBridge() as any;
	return { world, read: new PersistenceRead(bridge, 'app-1') as any, write: new Persistence(bridge, 'app-1') as any };
}

/** NODE_ENV=test for the tests of the calling file (see above), restored after them. */
export function withoutAppManager(): void {
	const previous = process.env.NODE_ENV;
	beforeAll(() => {
		process.env.NODE_ENV = 'test';
	});
	afterAll(() => {
		process.env.NODE_ENV = previous;
	});
}
