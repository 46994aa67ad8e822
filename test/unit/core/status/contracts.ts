/** The real contract fixtures (shared/ is a sibling of the repository), read at test time. */
import * as fs from 'fs';
import * as path from 'path';

export const CONTRACTS = path.resolve(__dirname, '../../../../../shared/contracts');

export function readContract<T = unknown>(file: string): T {
	return JSON.parse(fs.readFileSync(path.join(CONTRACTS, file), 'utf8')) as T;
}
