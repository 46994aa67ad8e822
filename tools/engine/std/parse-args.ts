// Local stand-in for jsr:@std/cli/parse-args, covering what the runtime passes:
// `--subprocess <appId> --spawnId <n> [--metricsReportFrequencyInMs <n>]`.
// Like the original, numeric-looking values become numbers and a lone flag becomes `true`.
export function parseArgs(args: string[]): Record<string, unknown> & { _: string[] } {
	const out: Record<string, unknown> & { _: string[] } = { _: [] };
	const toValue = (raw: string): unknown => (/^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
	for (let i = 0; i < args.length; i++) {
		const arg = args[i];
		if (!arg.startsWith('--')) {
			out._.push(arg);
			continue;
		}
		const eq = arg.indexOf('=');
		if (eq > 0) {
			out[arg.slice(2, eq)] = toValue(arg.slice(eq + 1));
		} else if (i + 1 < args.length && !args[i + 1].startsWith('--')) {
			out[arg.slice(2)] = toValue(args[++i]);
		} else {
			out[arg.slice(2)] = true;
		}
	}
	return out;
}
