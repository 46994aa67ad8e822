/**
 * Benchmark (by hand: `npm run bench:sendTemplate`): with 500 templates cached, the time to open
 * `/whatsapp send-template` and to switch templates in the modal, through the engine harness.
 * Prints medians and p90 of repeated runs measured in one process.
 */
import { performance } from 'perf_hooks';

import { connectNumber, NUMBER, startApp } from '../harness/appUnderTest';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

async function main(): Promise<void> {
	const app = await startApp();
	try {
		await connectNumber(app);
		const templates = Array.from({ length: 500 }, (_, i) => ({
			id: String(10000 + i),
			name: `template_${String(i).padStart(3, '0')}`,
			language: i % 3 ? 'en_US' : 'pt_BR',
			status: 'APPROVED',
			category: 'UTILITY',
			components: [
				{ type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}' },
				{ type: 'BODY', text: 'Order {{1}} ships on {{2}} to {{3}}.' },
				{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://example.com/t/{{1}}' }] },
			],
		}));
		app.sim.setTemplates(NUMBER.wabaId, templates);
		const agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		const visitor = {
			id: 'v1',
			token: `whatsapp:${NUMBER.phoneNumberId}:5511987654321`,
			username: 'whatsapp-5511987654321',
			name: 'Carla',
		};
		app.harness.world.visitors.set(visitor.id, visitor);
		const room = app.harness.addRoom({ name: 'Carla', type: 'l', creator: agent, members: [agent], extra: { visitor, isOpen: true } });
		// Warm the cache (the first open fetches the 500 templates from the simulated Cloud API).
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		const opens: number[] = [];
		const switches: number[] = [];
		for (let i = 0; i < RUNS; i++) {
			const t0 = performance.now();
			await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
			opens.push(performance.now() - t0);
			const view = app.harness.lastView(agent)!;
			const t1 = performance.now();
			const res = await app.harness.blockAction({
				user: agent,
				actionId: 'send-template',
				blockId: 'send-template',
				value: `template_${String((i * 7) % 500).padStart(3, '0')}`,
				view,
			});
			switches.push(performance.now() - t1);
			if (res?.type !== 'modal.update') throw new Error('the template switch did not update the modal');
		}
		const fetches = app.sim.requestsTo('/message_templates').length;
		console.log(
			`open /whatsapp send-template, 500 templates cached: median ${quantile(opens, 0.5).toFixed(1)} ms, p90 ${quantile(opens, 0.9).toFixed(1)} ms (${RUNS} runs)`,
		);
		console.log(
			`switch template in the modal:                   median ${quantile(switches, 0.5).toFixed(1)} ms, p90 ${quantile(switches, 0.9).toFixed(1)} ms (${RUNS} runs)`,
		);
		console.log(`Graph template pages fetched in all: ${fetches} (the cache served every open and switch after the first)`);
	} finally {
		await app.stop();
	}
	process.exit(0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
