/**
 * The web console's static side: `tools/console/src` (React 17, Rocket.Chat's fuselage and
 * fuselage-ui-kit from npm) bundled in memory with esbuild when the sandbox starts, and served at `/`.
 * Nothing is fetched from a CDN: everything comes from node_modules. The bundle never enters the
 * app's zip (tools/package-app.js ships only the app's own files).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { URL } from 'url';

const ROOT = path.resolve(__dirname, '..', '..');
const SOURCE = path.join(__dirname, 'src');

const INDEX = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>WhatsApp Business app · sandbox console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/console.css">
</head>
<body>
<div id="root"></div>
<script src="/console/console.js"></script>
</body>
</html>
`;

export interface ConsoleBundle {
	js: string;
	css: string;
	buildMs: number;
}

let building: Promise<ConsoleBundle> | undefined;

/** Bundles the console once per process (about a second). */
export function buildConsole(): Promise<ConsoleBundle> {
	building ??= (async () => {
		const started = Date.now();
		const esbuild = await import('esbuild');
		const result = await esbuild.build({
			entryPoints: [path.join(SOURCE, 'main.tsx')],
			bundle: true,
			write: false,
			outdir: '/console',
			format: 'iife',
			target: 'es2019',
			jsx: 'transform',
			minify: true,
			sourcemap: false,
			logLevel: 'silent',
			define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
			absWorkingDir: ROOT,
			// Served by serveConsole, not bundled.
			external: ['/console/*'],
		});
		const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
		const css = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
		return { js, css, buildMs: Date.now() - started };
	})();
	return building;
}

/** The RocketChat icon font fuselage's `Icon` draws with (from @rocket.chat/icons). */
const ICON_FONT = path.join(ROOT, 'node_modules', '@rocket.chat', 'icons', 'dist', 'font', 'rocketchat.woff2');

/** Serves `/`, `/console/console.js`, `/console/console.css` and the icon font; false for any other path. */
export async function serveConsole(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
	if (req.method !== 'GET') return false;
	const send = (type: string, body: string | Buffer) => {
		res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
		res.end(body);
	};
	switch (url.pathname) {
		case '/':
		case '/index.html':
			send('text/html; charset=utf-8', INDEX);
			return true;
		case '/console/console.js':
			send('text/javascript; charset=utf-8', (await buildConsole()).js);
			return true;
		case '/console/console.css':
			send('text/css; charset=utf-8', (await buildConsole()).css);
			return true;
		case '/console/rocketchat.woff2':
			send('font/woff2', fs.readFileSync(ICON_FONT));
			return true;
		default:
			return false;
	}
}
