/** Statuses (and revokes) of different messages handled at once, by the processing job. */
export const STATUSES_AT_ONCE = 16;

/** Runs `task` over `items` with at most `limit` at once; rejects with the first failure once all have settled. */
export async function inParallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	let failure: { error: unknown } | undefined;
	const worker = async () => {
		while (next < items.length) {
			const item = items[next++];
			try {
				await task(item);
			} catch (error) {
				failure ??= { error };
			}
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
	if (failure) throw failure.error;
}
