/**
 * The app's own posts as a user, over the engine's persistence accessors and the harness's model of
 * Rocket.Chat's persistence: found by text, or by id once the post returned it (Rocket.Chat may
 * change the text before IPostMessageSent), each consumed once.
 */
import { Persistence } from '@rocket.chat/apps-engine/server/accessors/Persistence';
import { PersistenceRead } from '@rocket.chat/apps-engine/server/accessors/PersistenceRead';

import { consumeOwnPost, postAsUser } from '../../../src/adapters/persistence/ownPosts';
import { HarnessBridges } from '../../../tools/harness/bridges';
import { HarnessScheduler } from '../../../tools/harness/scheduler';
import { HarnessWorld } from '../../../tools/harness/world';

/* eslint-disable @typescript-eslint/no-explicit-any */
const previousEnv = process.env.NODE_ENV;
beforeAll(() => {
	// The engine's accessors without an installed app, as the engine's own tests run them.
	process.env.NODE_ENV = 'test';
});
afterAll(() => {
	process.env.NODE_ENV = previousEnv;
});

describe.each(['current', 'raw-model'] as const)('own posts on %s persistence', (variant) => {
	function accessors() {
		const bridge = new HarnessBridges(new HarnessWorld(), new HarnessScheduler(), undefined, {
			persistence: { variant },
		}).getPersistenceBridge() as any;
		return { read: new PersistenceRead(bridge, 'app-1') as any, persistence: new Persistence(bridge, 'app-1') as any };
	}
	const post = { roomId: 'room-1', senderId: 'user-ana', text: 'Your order 42 ships today' };

	it('finds the post by its text when the event comes first, once', async () => {
		const { read, persistence } = accessors();
		let consumed: boolean | undefined;
		await postAsUser({ read, persistence }, post, async () => {
			consumed = await consumeOwnPost(read, persistence, post);
			return 'msg-1';
		});
		expect(consumed).toBe(true);
		expect(await consumeOwnPost(read, persistence, { ...post, id: 'msg-1' })).toBe(false);
	});

	it('finds the post by its id when Rocket.Chat changed the text', async () => {
		const { read, persistence } = accessors();
		await postAsUser({ read, persistence }, post, async () => 'msg-2');
		expect(await consumeOwnPost(read, persistence, { ...post, id: 'msg-2', text: 'Your order ** ships today' })).toBe(true);
	});

	it('does not take an agent message of other words, or of another sender, for the post', async () => {
		const { read, persistence } = accessors();
		await postAsUser({ read, persistence }, post, async () => 'msg-3');
		expect(await consumeOwnPost(read, persistence, { ...post, id: 'msg-4', text: 'something else' })).toBe(false);
		expect(await consumeOwnPost(read, persistence, { ...post, id: 'msg-3', senderId: 'user-bob' })).toBe(false);
		expect(await consumeOwnPost(read, persistence, { ...post, id: 'msg-3' })).toBe(true);
	});

	it('withdraws the record of a post that failed', async () => {
		const { read, persistence } = accessors();
		await expect(postAsUser({ read, persistence }, post, async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
		expect(await consumeOwnPost(read, persistence, post)).toBe(false);
	});
});
