/**
 * Where the contracts live: shared/contracts, a sibling of the repository folder (/work/main and
 * /work/shared). The one definition for tools and tests; see shared/contracts/README.md.
 */
import * as fs from 'fs';
import * as path from 'path';

export const CONTRACTS_DIR = path.resolve(__dirname, '..', '..', '..', 'shared', 'contracts');

/** A contract file parsed as JSON (`file` relative to CONTRACTS_DIR). */
export function readContract<T = unknown>(file: string): T {
	return JSON.parse(fs.readFileSync(path.join(CONTRACTS_DIR, file), 'utf8')) as T;
}
