/*
 * Jest runs the suites that say what the models are first: the harness's fidelity to Rocket.Chat
 * (test/harness) and the simulator's fidelity to Meta's spec (test/sim), then the unit tests, then
 * the app's end-to-end tests. A model that drifted from Rocket.Chat or Meta fails first.
 */
'use strict';
const Sequencer = require('@jest/test-sequencer').default;

const RANK = [/[\\/]test[\\/]harness[\\/]/, /[\\/]test[\\/]sim[\\/]/, /[\\/]test[\\/]unit[\\/]/];
const rank = (test) => {
	const index = RANK.findIndex((pattern) => pattern.test(test.path));
	return index < 0 ? RANK.length : index;
};

class ModelsFirst extends Sequencer {
	sort(tests) {
		const byDuration = super.sort(tests);
		return byDuration
			.map((test, order) => ({ test, order }))
			.sort((a, b) => rank(a.test) - rank(b.test) || a.order - b.order)
			.map((x) => x.test);
	}
}

module.exports = ModelsFirst;
