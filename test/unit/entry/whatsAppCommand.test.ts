/**
 * `/whatsapp` (src/entry/command/WhatsAppCommand.ts) over stand-ins of the engine's accessors: an
 * error of a store or of the engine becomes the generic notice and one log line with the error's
 * name only; the stored error of a status delivery is said in words. (The end-to-end suites drive
 * the command through the engine: test/e2e/status.test.ts, sendTemplate.test.ts, graphBaseUrl.test.ts.)
 */
import * as fs from 'fs';
import * as path from 'path';

import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';

import { deliveryErrorText, WhatsAppCommand } from '../../../src/entry/command/WhatsAppCommand';
import { translator } from '../../../src/core/i18n/translate';

/* eslint-disable @typescript-eslint/no-explicit-any */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const LANGUAGES = ['en', 'es', 'pt-BR'];
const SECRET = 'EAAG-secret-access-token';

/** The accessors of one command run whose app settings read fails with `failure`; what the user was told. */
function engine(failure: Error) {
	const notices: Array<{ user: string; text: string }> = [];
	const builder: any = {
		text: '',
		setRoom: () => builder,
		setSender: () => builder,
		setText: (text: string) => ((builder.text = text), builder),
		getMessage: () => ({ text: builder.text }),
	};
	const read: any = {
		getEnvironmentReader: () => ({
			getSettings: () => ({ getValueById: () => Promise.reject(failure) }),
			getServerSettings: () => ({ getValueById: () => Promise.reject(failure) }),
		}),
		getUserReader: () => ({ getAppUser: async () => undefined }),
	};
	const modify: any = {
		getCreator: () => ({ startMessage: () => builder }),
		getNotifier: () => ({
			notifyUser: async (user: { id: string }, message: { text: string }) => notices.push({ user: user.id, text: message.text }),
		}),
	};
	const user = { id: 'u-admin', username: 'admin', roles: ['admin'], settings: { preferences: { language: 'es' } } };
	const context = (args: string[]): any => ({
		getSender: () => user,
		getRoom: () => ({ id: 'room-1' }),
		getArguments: () => args,
		getTriggerId: () => 'trigger-1',
	});
	return { read, modify, context, notices };
}

function recordingLogger() {
	const lines: Array<{ level: string; args: unknown[] }> = [];
	const log =
		(level: string) =>
		(...args: unknown[]) =>
			lines.push({ level, args });
	const logger = {
		error: log('error'),
		warn: log('warn'),
		info: log('info'),
		debug: log('debug'),
		log: log('log'),
	} as unknown as ILogger;
	return { logger, lines };
}

describe('/whatsapp when a store or the engine fails', () => {
	it.each(['deliveries', 'deliveries retry', 'view-templates', 'numbers'])(
		'/whatsapp %s tells the user something went wrong and logs the error name only, never its message',
		async (words) => {
			const args = words.split(' ');
			const { read, modify, context, notices } = engine(new TypeError(`read failed with token ${SECRET}`));
			const { logger, lines } = recordingLogger();
			const command = new WhatsAppCommand('app-1', { getLogger: () => logger });

			await expect(command.executor(context(args), read, modify, {} as any, {} as any)).resolves.toBeUndefined();

			expect(notices).toEqual([{ user: 'u-admin', text: translator('es')('error_internal') }]);
			expect(lines).toHaveLength(1);
			expect(lines[0].level).toBe('error');
			const logged = JSON.stringify(lines[0].args);
			expect(logged).toContain('TypeError');
			expect(logged).not.toContain(SECRET);
			expect(logged).not.toContain('read failed');
		},
	);

	it('still answers the user when the command was built without the app (nothing to log to)', async () => {
		const { read, modify, context, notices } = engine(new Error(SECRET));
		await expect(
			new WhatsAppCommand('app-1').executor(context(['deliveries']), read, modify, {} as any, {} as any),
		).resolves.toBeUndefined();
		expect(notices).toEqual([{ user: 'u-admin', text: translator('es')('error_internal') }]);
	});
});

describe('the stored error of a failed status delivery, in words', () => {
	// Every value a delivery can store as `lastError` (core/status/outbox.ts `post` and `errorCode`,
	// `deliverDue`'s 'expired'; core/app/delivery.ts's refused URL; adapters/directHttp.ts's codes).
	const KNOWN = [
		'status_url_not_absolute',
		'status_url_scheme',
		'timeout',
		'network_error',
		'redirect_error',
		'expired',
		'connection_closed',
		'HTTP 503',
	];

	it.each(LANGUAGES)('says each known one in %s, never as the raw code', (language) => {
		const t = translator(language);
		for (const code of KNOWN) {
			const text = deliveryErrorText(code, t);
			expect([code, text]).not.toEqual([code, code]);
			expect(text).not.toMatch(/__[a-z]+__/);
		}
		expect(deliveryErrorText('status_url_scheme', t)).toBe(t('status_url_scheme'));
		expect(deliveryErrorText('HTTP 503', t)).toContain('503');
	});

	it('in English', () => {
		const t = translator('en');
		expect(deliveryErrorText('HTTP 503', t)).toBe('the URL answered HTTP 503.');
		expect(deliveryErrorText('timeout', t)).toBe('no answer within 10 seconds.');
		expect(deliveryErrorText('network_error', t)).toBe('the URL could not be reached.');
		expect(deliveryErrorText('expired', t)).toBe('the retry window ended before any attempt.');
		expect(deliveryErrorText('status_url_not_absolute', t)).toBe(t('status_url_not_absolute'));
	});

	it('keeps an unknown code as it is (an error code of the network, say)', () => {
		const t = translator('en');
		expect(deliveryErrorText('ECONNREFUSED', t)).toBe('ECONNREFUSED');
		expect(deliveryErrorText('constructor', t)).toBe('constructor');
		expect(deliveryErrorText('HTTP 5030', t)).toBe('HTTP 5030');
	});
});

describe('the "Roles allowed to manage numbers" setting', () => {
	it.each(LANGUAGES)('says in %s that its roles also see and retry status deliveries (/whatsapp deliveries)', (language) => {
		const texts = JSON.parse(fs.readFileSync(path.join(ROOT, 'i18n', `${language}.json`), 'utf8'));
		expect(texts.manager_roles_description).toContain('/whatsapp deliveries');
	});

	it("says so in the README's settings list", () => {
		const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
		const managers = /roles allowed to manage numbers (.*?) \/ send templates/.exec(readme)?.[1];
		expect(managers).toContain('`admin`');
		expect(managers).toContain('see and retry status deliveries');
		expect(managers).toContain('`/whatsapp deliveries`');
	});
});
