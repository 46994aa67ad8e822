/**
 * `npm run sandbox -- <slash command>`: runs a slash command in the running sandbox as the admin
 * (`--agent` for the agent) and prints what the app showed. `npm run sandbox -- --submit field=value ...`
 * submits the open modal.
 */
import { request } from '../http/client';

const base = process.env.SANDBOX_URL ?? `http://127.0.0.1:${process.env.SANDBOX_PORT ?? 3000}`;
const args = process.argv.slice(2);
const user = args.includes('--agent') ? 'agent' : 'admin';
const words = args.filter((a) => a !== '--agent');

/** POSTs to the sandbox's control API and answers the body's text (pretty-printed JSON). */
async function post(path: string, body: unknown): Promise<string> {
	return (await request(`${base}${path}`, { method: 'POST', json: body, timeoutMs: 0 })).text;
}

async function main(): Promise<void> {
	if (words[0] === '--submit') {
		const values = Object.fromEntries(words.slice(1).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
		console.log(await post('/sandbox/submit', { user, values }));
	} else {
		console.log(await post('/sandbox/command', { user, command: words.join(' ') }));
	}
}

main().catch((error) => {
	console.error(`is the sandbox running (npm start)? ${error instanceof Error ? error.message : error}`);
	process.exit(1);
});
