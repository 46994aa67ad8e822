/** KeyedQueue (src/core/app/keyedQueue.ts): one key's steps one after the other, other keys meanwhile. */
import { KeyedQueue } from '../../../../src/core/app/keyedQueue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
	it("runs a key's steps in the order asked, each after the one before ended (failed or not); other keys do not wait", async () => {
		const queue = new KeyedQueue(60000);
		const log: string[] = [];
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		const first = queue.serial('ana', async () => {
			log.push('a1 start');
			await held;
			log.push('a1 end');
			throw new Error('a1 failed');
		});
		const second = queue.serial('ana', async () => void log.push('a2'));
		const other = queue.serial('bia', async () => void log.push('b1'));
		await other;
		await tick();
		expect(log).toEqual(['a1 start', 'b1']);
		release();
		await expect(first).rejects.toThrow('a1 failed');
		await second;
		expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
		expect(queue.size).toBe(0);
	});

	it('starts the next step once the one before has run past the longest wait, and the steps after wait for it', async () => {
		jest.useFakeTimers();
		try {
			const queue = new KeyedQueue(1000);
			const log: string[] = [];
			void queue.serial('ana', () => new Promise<never>(() => log.push('stuck')));
			let release!: () => void;
			const held = new Promise<void>((resolve) => (release = resolve));
			const second = queue.serial('ana', async () => {
				log.push('second start');
				await held;
				log.push('second end');
			});
			const third = queue.serial('ana', async () => void log.push('third'));
			await jest.advanceTimersByTimeAsync(999);
			expect(log).toEqual(['stuck']);
			await jest.advanceTimersByTimeAsync(1);
			expect(log).toEqual(['stuck', 'second start']);
			release();
			await second;
			await third;
			expect(log).toEqual(['stuck', 'second start', 'second end', 'third']);
			expect(jest.getTimerCount()).toBe(0);
			expect(queue.size).toBe(0);
		} finally {
			jest.useRealTimers();
		}
	});
});
