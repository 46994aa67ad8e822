/**
 * Benchmark (by hand: `npm run bench:sendTemplate`): with BENCH_TEMPLATES names x BENCH_LANGUAGES
 * languages cached (3,000 x 2 = 6,000 template/language pairs by default), the time to open
 * `/whatsapp send-template`, to search the template list, and to pick (switch to) a template in the
 * modal, through the engine harness. Prints medians and p90 of repeated runs measured in one process.
 */
import { performance } from 'perf_hooks';

import { connectNumber, contactVisitorToken, NUMBER, startApp } from '../harness/appUnderTest';
import { quantile } from './stats';

/* eslint-disable @typescript-eslint/no-explicit-any */
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const NAMES = Number(process.env.BENCH_TEMPLATES ?? 3000);
const LANGUAGES = [
	'en_US',
	'pt_BR',
	'es',
	'fr',
	'de',
	'it',
	'nl',
	'pl',
	'tr',
	'id',
	'ja',
	'ko',
	'ru',
	'ar',
	'hi',
	'vi',
	'th',
	'sv',
	'da',
	'fi',
	'nb',
	'cs',
	'el',
	'he',
];
const LANGUAGE_COUNT = Math.min(LANGUAGES.length, Number(process.env.BENCH_LANGUAGES ?? 2));
const figure = (xs: number[]) =>
	xs.length ? `median ${quantile(xs, 0.5).toFixed(1)} ms, p90 ${quantile(xs, 0.9).toFixed(1)} ms` : 'not measured';
const nameOf = (i: number) => `template_${String(i).padStart(4, '0')}`;

function templates(): unknown[] {
	return Array.from({ length: NAMES * LANGUAGE_COUNT }, (_, k) => {
		const i = Math.floor(k / LANGUAGE_COUNT);
		return {
			id: String(100000 + k),
			name: nameOf(i),
			language: LANGUAGES[k % LANGUAGE_COUNT],
			status: 'APPROVED',
			category: i % 4 ? 'UTILITY' : 'MARKETING',
			components: [
				{ type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}' },
				{ type: 'BODY', text: 'Order {{1}} ships on {{2}} to {{3}}.' },
				{ type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://example.com/t/{{1}}' }] },
			],
		};
	});
}

const options = (view: any): string[] =>
	((view.blocks as any[]).find((b) => b.blockId === 'send-template')?.element?.options ?? []).map((o: any) => o.value);
const hasSearch = (view: any) => (view.blocks as any[]).some((b) => b.blockId === 'send-search');

async function main(): Promise<void> {
	const app = await startApp();
	try {
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, templates());
		const agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		const visitor = {
			id: 'v1',
			token: contactVisitorToken(app, '5511987654321'),
			username: `whatsapp-${NUMBER.phoneNumberId}-5511987654321`,
			name: 'Carla',
		};
		app.harness.world.visitors.set(visitor.id, visitor);
		const room = app.harness.addRoom({ name: 'Carla', type: 'l', creator: agent, members: [agent], extra: { visitor, isOpen: true } });
		// Warm the cache (the first open fetches every template from the simulated Cloud API).
		await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
		const [opens, searches, switches] = [[], [], []] as number[][];
		const act = async (view: any, actionId: string, value: string, into: number[]) => {
			const t0 = performance.now();
			const res = await app.harness.blockAction({ user: agent, actionId, blockId: actionId, value, view });
			into.push(performance.now() - t0);
			if (res?.type !== 'modal.update') throw new Error(`${actionId} did not update the modal`);
			return res.view;
		};
		for (let i = 0; i < RUNS; i++) {
			const t0 = performance.now();
			await app.harness.command('whatsapp', ['send-template'], { user: agent, room });
			opens.push(performance.now() - t0);
			let view = app.harness.lastView(agent)!;
			const wanted = nameOf((i * 7919) % NAMES);
			// The agent types part of the name (when the modal has a search field), then picks it.
			if (hasSearch(view)) view = await act(view, 'send-search', wanted.slice('template_'.length), searches);
			if (!options(view).includes(wanted) && hasSearch(view)) throw new Error(`the search did not offer ${wanted}`);
			await act(view, 'send-template', wanted, switches);
		}
		const fetches = app.sim.requestsTo('/message_templates').length;
		const pairs = `${NAMES.toLocaleString('en')} names x ${LANGUAGE_COUNT} languages = ${(NAMES * LANGUAGE_COUNT).toLocaleString('en')} pairs cached`;
		console.log(`open /whatsapp send-template, ${pairs}: ${figure(opens)} (${RUNS} runs)`);
		console.log(`search the template list (block action, modal.update): ${figure(searches)}`);
		console.log(`pick a template in the modal (block action, modal.update): ${figure(switches)}`);
		console.log(`Graph template pages fetched in all: ${fetches} (the cache served every open, search and pick after the first)`);
	} finally {
		await app.stop();
	}
	process.exit(0);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
