/** The HMAC vectors and webhook files of shared/contracts, read as exact bytes. */
import * as fs from 'fs';
import * as path from 'path';

import { CONTRACTS_DIR } from '../../../support/metaSpec';

export interface Vector {
	file: string | null;
	app_secret: string;
	body: string;
	'X-Hub-Signature-256': string;
	note?: string;
}

export const VECTORS: Vector[] = JSON.parse(
	fs.readFileSync(path.join(CONTRACTS_DIR, 'derived', 'hmac-sha256-test-vectors.json'), 'utf8'),
).vectors;

export const CAPTURE_FILE = 'third-party-captures/incoming-image-escaped.raw-body.json';

/** The bytes a vector signs: the file's exact bytes, or its inline body as UTF-8. */
export const rawBytes = (v: Vector): Buffer => (v.file ? fs.readFileSync(path.join(CONTRACTS_DIR, v.file)) : Buffer.from(v.body, 'utf8'));

export const vectorOf = (file: string): Vector => {
	const found = VECTORS.find((v) => v.file === file);
	if (!found) throw new Error(`no vector for ${file}`);
	return found;
};

/** The inline vector whose note starts with `prefix`. */
export const noteVector = (prefix: string): Vector => {
	const found = VECTORS.find((v) => !v.file && v.note?.startsWith(prefix));
	if (!found) throw new Error(`no vector noted ${prefix}`);
	return found;
};
