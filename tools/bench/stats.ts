/**
 * The q-quantile of a sample by the nearest-rank method: the smallest value with at least q of the
 * sample at or below it. Of 100 acknowledgements, p99 is the 99th fastest, not the slowest.
 */
export function quantile(xs: number[], q: number): number {
	if (!xs.length) throw new Error('quantile of an empty sample');
	const sorted = [...xs].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))];
}
