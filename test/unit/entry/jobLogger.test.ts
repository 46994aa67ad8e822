/**
 * Where a job run's log goes (src/entry/jobs/statusJobs.ts `jobLogger`): the app the runtime binds as
 * `this` (engines 1.62+), else the app's logger of the moment, which older runtimes set at each request.
 */
import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';

import { jobLogger } from '../../../src/entry/jobs/statusJobs';

const logger = (name: string) => ({ name }) as unknown as ILogger;

describe('jobLogger', () => {
	it('takes the log of the app bound as `this` (engines 1.62+)', () => {
		expect(jobLogger({ getLogger: () => logger('run') }, { getLogger: () => logger('app') })).toEqual({ name: 'run' });
	});

	it('writes to the app’s log of the moment when the runtime binds nothing (engines 1.53.1, 1.59.0)', () => {
		const entries: string[] = [];
		let current = 'job';
		const app = { getLogger: () => ({ warn: (text: string) => entries.push(`${current}: ${text}`) }) as unknown as ILogger };
		const log = jobLogger(undefined, app)!;
		log.warn('first');
		current = 'event';
		log.warn('second');
		expect(entries).toEqual(['job: first', 'event: second']);
		expect(jobLogger({}, app)).toBeDefined();
	});

	it('gives no log when neither has one', () => {
		expect(jobLogger(undefined)).toBeUndefined();
		expect(jobLogger(undefined, {})).toBeUndefined();
	});
});
