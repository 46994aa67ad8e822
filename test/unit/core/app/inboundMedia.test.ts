import {
	InboundMediaPorts,
	postInboundMedia,
	UploadResult,
	workspaceAcceptsType,
	WorkspaceUploads,
} from '../../../../src/core/app/inboundMedia';
import { settingsOf, SettingKey } from '../../../../src/core/app/settings';
import { AppError } from '../../../../src/core/errors';
import { HttpRequest, HttpResponse } from '../../../../src/core/graph/GraphClient';
import { translator } from '../../../../src/core/i18n/translate';
import { humanSize } from '../../../../src/core/media/media';
import { SAMPLES } from '../media/samples';
import { NUMBER, recordingGraph, t } from './fakes-inbound';

const MEDIA_URL = 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1';
const jpeg = new Uint8Array(SAMPLES.jpeg);

function meta(info: Record<string, unknown>, bytes: Uint8Array = jpeg) {
	return (req: HttpRequest): HttpResponse =>
		req.binary
			? { status: 200, body: '', bytes, headers: { 'content-length': String(bytes.byteLength) } }
			: { status: 200, body: JSON.stringify({ id: 'media-1', url: MEDIA_URL, ...info }) };
}

function world(
	options: {
		answer?: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;
		workspace?: WorkspaceUploads;
		upload?: UploadResult;
		open?: boolean[];
		settings?: Partial<Record<SettingKey, unknown>>;
	} = {},
) {
	const http = recordingGraph(options.answer ?? meta({ mime_type: 'image/jpeg', file_size: jpeg.byteLength }));
	const uploads: Array<{ filename: string; size: number }> = [];
	const open = [...(options.open ?? [])];
	const ports: InboundMediaPorts = {
		uploads: {
			workspace: async () => options.workspace ?? {},
			upload: async (file) => {
				uploads.push({ filename: file.filename, size: file.bytes.byteLength });
				return options.upload ?? { uploadId: 'up1' };
			},
		},
		conversations: { isOpen: async () => open.shift() ?? true },
		settings: settingsOf(options.settings),
		graph: http.graph,
	};
	const post = (media: { mimeType?: string; filename?: string; id?: string } = { mimeType: 'image/jpeg' }, retryLater = true) =>
		postInboundMedia(ports, {
			number: NUMBER,
			visitor: { token: 'tok' },
			room: { id: 'r1' },
			media: { kind: 'image', id: 'media-1', ...media },
			t,
			retryLater,
		});
	return { ...http, uploads, post };
}

describe('a contact’s file', () => {
	it('is fetched with the number’s token and posted with the accepted type’s extension', async () => {
		const w = world();
		expect(await w.post({ mimeType: 'image/jpeg', filename: 'photo.exe' })).toEqual({ posted: true, uploadId: 'up1' });
		expect(w.requests.map((r) => [r.method, r.url.split('?')[0], r.headers.Authorization])).toEqual([
			['GET', 'https://graph.facebook.com/v23.0/media-1', `Bearer ${NUMBER.accessToken}`],
			['GET', MEDIA_URL.split('?')[0], `Bearer ${NUMBER.accessToken}`],
		]);
		expect(w.uploads).toEqual([{ filename: expect.stringMatching(/\.jpg$/), size: jpeg.byteLength }]);
	});

	it('is refused before any download when its type is not accepted, naming the setting that refused it (the app’s or the workspace’s)', async () => {
		const app = world({ settings: { inboundMediaTypes: 'application/pdf' } });
		expect(await app.post()).toEqual({ posted: false, notice: t('inbound_media_refused_type_app', { type: 'image/jpeg' }) });
		expect((await app.post()).notice).toBe(
			'(File not shown: its type, image/jpeg, is not in the app\'s setting "File types accepted from contacts".)',
		);
		const workspace = world({ workspace: { blackList: 'image/*' } });
		expect(await workspace.post()).toEqual({
			posted: false,
			notice: t('inbound_media_refused_type_workspace', { type: 'image/jpeg' }),
		});
		expect((await workspace.post()).notice).toContain('Rocket.Chat\'s settings "Accepted Media Types" / "Blocked Media Types"');
		const disabled = world({ workspace: { enabled: false } });
		expect(await disabled.post()).toEqual({ posted: false, notice: t('inbound_media_refused_disabled') });
		// Active content: never accepted, even by a wildcard; said as the app's rule, not the setting's.
		const active = world({ settings: { inboundMediaTypes: '*' } });
		expect(await active.post({ mimeType: 'image/svg+xml' })).toEqual({
			posted: false,
			notice: t('inbound_media_refused_type_active', { type: 'image/svg+xml' }),
		});
		expect([...app.requests, ...workspace.requests, ...disabled.requests, ...active.requests]).toEqual([]);
	});

	it('is not downloaded when Meta announces it over the smaller of both limits, naming that limit’s setting', async () => {
		const big = meta({ mime_type: 'image/jpeg', file_size: 2 * 1024 * 1024 });
		const w = world({ answer: big, workspace: { maxBytes: 1024 * 1024 } });
		expect(await w.post()).toEqual({
			posted: false,
			notice: t('inbound_media_refused_size_workspace', { size: '2.0 MB', max: '1.0 MB' }),
		});
		expect((await w.post()).notice).toContain('Rocket.Chat\'s setting "Maximum File Upload Size"');
		expect(w.requests).toHaveLength(2);
		// The app's setting is the smaller (1 MB, the workspace's 5 MB): the app's named.
		const own = world({ answer: big, workspace: { maxBytes: 5 * 1024 * 1024 }, settings: { inboundMediaMaxMb: 1 } });
		expect(await own.post()).toEqual({ posted: false, notice: t('inbound_media_refused_size_app', { size: '2.0 MB', max: '1.0 MB' }) });
		expect((await own.post()).notice).toContain('the app\'s setting "Largest file a contact may send (MB)"');
		const unknown = world({ answer: big, settings: { inboundMediaMaxMb: 1 } });
		expect((await unknown.post()).notice).toBe(t('inbound_media_refused_size_app', { size: '2.0 MB', max: '1.0 MB' }));
	});

	it('names Rocket.Chat’s size setting when its Uploads store refused the file as too large', async () => {
		// The workspace's limit read (10 MB, the app's 16 MB) lets it through; Rocket.Chat's store refuses
		// it all the same (the setting changed since): the setting named, not the limit it is within.
		const refused = world({ upload: { refused: 'error-file-too-large', message: 'x' }, workspace: { maxBytes: 10 * 1024 * 1024 } });
		expect(await refused.post()).toEqual({
			posted: false,
			notice: t('inbound_media_refused_size_workspace_unknown', { size: humanSize(jpeg.byteLength, true) }),
		});
		expect(refused.uploads).toHaveLength(1);
		// Its limit unread: the setting named, without a number.
		expect(await world({ upload: { refused: 'error-file-too-large', message: 'x' } }).post()).toEqual({
			posted: false,
			notice: t('inbound_media_refused_size_workspace_unknown', { size: humanSize(jpeg.byteLength, true) }),
		});
	});

	it('names settings as they are called, in every language', () => {
		for (const lang of ['en', 'es', 'pt-BR']) {
			const tr = translator(lang);
			expect(tr('inbound_media_refused_type_app', { type: 'x/y' })).toContain(`"${tr('inbound_media_types')}"`);
			expect(tr('inbound_media_refused_size_app', { size: '2 MB', max: '1 MB' })).toContain(`"${tr('inbound_media_max_mb')}"`);
		}
	});

	it('is announced without any call to Meta when the message names no valid media id', async () => {
		for (const id of ['', '.', '..', '../me']) {
			const w = world();
			expect(await w.post({ mimeType: 'image/jpeg', id })).toEqual({
				posted: false,
				notice: t('inbound_media_failed', { reason: t('inbound_media_id_invalid') }),
			});
			expect(w.requests).toEqual([]);
		}
	});

	it('is refused when its bytes are not of the declared type', async () => {
		const w = world({ answer: meta({ mime_type: 'image/jpeg' }, new TextEncoder().encode('<html><script>alert(1)</script>')) });
		expect(await w.post()).toEqual({ posted: false, notice: t('inbound_media_refused_content', { type: 'image/jpeg' }) });
		expect(w.uploads).toEqual([]);
	});

	it('is retried on a passing failure, and announced on the last attempt', async () => {
		const failing = () => ({ status: 503, body: JSON.stringify({ error: { code: 2, message: 'Service temporarily unavailable' } }) });
		await expect(world({ answer: failing }).post(undefined, true)).rejects.toMatchObject({ httpStatus: 503 });
		expect(await world({ answer: failing }).post(undefined, false)).toEqual({
			posted: false,
			notice: t('inbound_media_failed', { reason: t('inbound_media_meta_error', { code: 2 }) }),
		});
	});

	it('says a token Meta no longer accepts in words (an admin must reconnect the number, the contact send the file again), not as a bare code', async () => {
		const refused = () => ({ status: 401, body: JSON.stringify({ error: { code: 190, message: 'Error validating access token' } }) });
		const reason = t('inbound_media_token_refused');
		expect(t('inbound_media_failed', { reason })).toBe(
			"(File not shown: it could not be fetched from WhatsApp: Meta no longer accepts this number's access token. Once an admin reconnects the number (/whatsapp numbers), the contact can send the file again.)",
		);
		expect(await world({ answer: refused }).post(undefined, false)).toEqual({
			posted: false,
			notice: t('inbound_media_failed', { reason }),
		});
	});

	it("says Meta's refusal of the number's app secret in words (an admin must edit the number), not as a bare code", async () => {
		const refused = () => ({
			status: 400,
			body: JSON.stringify({
				error: { code: 100, type: 'GraphMethodException', message: 'Invalid appsecret_proof provided in the API argument' },
			}),
		});
		expect(await world({ answer: refused }).post(undefined, false)).toEqual({
			posted: false,
			notice: '(File not shown: it could not be fetched from WhatsApp: Meta refused the app secret of this number. Once an admin edits the number and saves it (/whatsapp numbers), the contact can send the file again.)',
		});
	});

	it('tells the agent, on the last attempt, that Meta did not answer or could not be reached, in words that ask nothing of them', async () => {
		const answered = meta({ mime_type: 'image/jpeg', file_size: jpeg.byteLength });
		const failing = (message: string) => async (req: HttpRequest) => {
			if (req.binary) throw new Error(message);
			return answered(req);
		};
		await expect(world({ answer: failing('The user aborted a request.') }).post(undefined, true)).rejects.toMatchObject({
			timedOut: true,
		});
		expect((await world({ answer: failing('The user aborted a request.') }).post(undefined, false)).notice).toBe(
			"(File not shown: it could not be fetched from WhatsApp: Meta's API did not answer in time.)",
		);
		expect(
			(
				await world({ answer: failing('request to https://lookaside.fbsbx.com/x failed, reason: socket hang up') }).post(
					undefined,
					false,
				)
			).notice,
		).toBe("(File not shown: it could not be fetched from WhatsApp: the connection to Meta's API failed.)");
	});

	it('is retried while the Graph API base URL setting is refused (an admin may correct it), and on the last attempt says so', async () => {
		const refused = () =>
			Promise.reject(new AppError({ code: 'graph_base_url_refused', message: 'refused', i18nKey: 'error_graph_base_url_refused' }));
		await expect(world({ answer: refused }).post(undefined, true)).rejects.toMatchObject({ code: 'graph_base_url_refused' });
		expect((await world({ answer: refused }).post(undefined, false)).notice).toBe(
			`(File not shown: it could not be fetched from WhatsApp: ${t('error_graph_base_url_refused').replace(/\.$/, '')}.)`,
		);
	});

	it('says why Rocket.Chat’s Uploads store refused it', async () => {
		expect(await world({ upload: { refused: 'error-invalid-file-type', message: 'x' } }).post()).toMatchObject({
			posted: false,
			notice: expect.stringContaining('.jpg'),
		});
		expect(await world({ upload: { refused: 'file-too-small', message: 'x' } }).post()).toEqual({
			posted: false,
			notice: t('inbound_media_refused_empty'),
		});
		expect(
			await world({ upload: { refused: 'error-quota-exceeded', message: 'Quota exceeded [error-quota-exceeded]' } }).post(),
		).toEqual({
			posted: false,
			notice: t('inbound_media_refused_workspace'),
		});
	});

	it('is retried when the file store fails without naming a refusal, and on the last attempt says so without the server’s text', async () => {
		const failing = { refused: undefined, message: 'connect ETIMEDOUT 52.1.2.3:443 (bucket acme-uploads)' };
		await expect(world({ upload: failing }).post(undefined, true)).rejects.toMatchObject({ code: 'media_store_failed' });
		const w = world({ upload: failing });
		const last = await w.post(undefined, false);
		expect(last).toEqual({ posted: false, notice: "(File not shown: Rocket.Chat could not store it; the app's log says why.)" });
		expect(JSON.stringify(last)).not.toContain('ETIMEDOUT');
	});

	it('goes to the contact’s next room when the room closed on the way (retried), else says so', async () => {
		await expect(world({ open: [false] }).post(undefined, true)).rejects.toMatchObject({ code: 'media_room_closed' });
		expect(await world({ upload: { refused: 'invalid-file', message: 'x' }, open: [false] }).post(undefined, false)).toEqual({
			posted: false,
			notice: t('inbound_media_failed', { reason: t('inbound_media_room_closed') }),
		});
	});
});

describe('workspaceAcceptsType', () => {
	it('follows Rocket.Chat’s lists: the black list first, groups, an empty or * white list takes all', () => {
		expect(workspaceAcceptsType('image/png', {})).toBe(true);
		expect(workspaceAcceptsType('image/png', { whiteList: '*' })).toBe(true);
		expect(workspaceAcceptsType('image/png', { whiteList: 'application/pdf' })).toBe(false);
		expect(workspaceAcceptsType('image/png', { whiteList: 'image/*' })).toBe(true);
		expect(workspaceAcceptsType('image/png', { whiteList: 'image/*', blackList: 'image/png' })).toBe(false);
	});
});
