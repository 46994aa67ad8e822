#!/usr/bin/env node
/*
 * `npm run deploy`: packages the app and installs (or updates) it on a real Rocket.Chat workspace
 * with `rc-apps deploy`. Credentials come from flags or the environment, never from the repository:
 *   RC_URL=https://chat.example.com RC_USERNAME=admin RC_PASSWORD=... npm run deploy
 *   RC_URL=... RC_USER_ID=... RC_TOKEN=<personal access token> npm run deploy
 *   npm run deploy -- --update          (update an installed app)
 * Extra flags are passed to `rc-apps deploy` (see `npx rc-apps deploy --help`).
 */
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const env = process.env;
const extra = process.argv.slice(2);
if (!env.RC_URL && !extra.some((a) => a.startsWith('--url'))) {
	console.error('Set RC_URL (and RC_USERNAME/RC_PASSWORD, or RC_USER_ID/RC_TOKEN), or pass --url and credentials flags.');
	process.exit(2);
}
execFileSync(process.execPath, [path.join(__dirname, 'i18n-catalog.js')], { stdio: 'inherit' });
execFileSync(process.execPath, [path.join(__dirname, 'package-app.js')], { stdio: 'inherit' });
const args = ['deploy'];
if (env.RC_URL) args.push('--url', env.RC_URL);
if (env.RC_USERNAME) args.push('--username', env.RC_USERNAME);
if (env.RC_PASSWORD) args.push('--password', env.RC_PASSWORD);
if (env.RC_USER_ID) args.push('--userid', env.RC_USER_ID);
if (env.RC_TOKEN) args.push('--token', env.RC_TOKEN);
args.push(...extra);
// rc-apps deploys from the staged app folder that package-app.js built (build/app with its dist/ zip).
execFileSync(process.execPath, [path.join(root, 'node_modules', '@rocket.chat', 'apps-cli', 'bin', 'run'), ...args], {
	cwd: path.join(root, 'build', 'app'),
	stdio: 'inherit',
});
