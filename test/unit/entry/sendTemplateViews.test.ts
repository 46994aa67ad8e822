/**
 * The send-template modal's view (src/entry/uikit/sendTemplate/views.ts) over the modal's service,
 * held as Rocket.Chat's client holds it (tools/harness/rc/uikit.ts `ClientModal`: each element's
 * value is kept by action id for the modal's life and shown again when its id comes back). The
 * end-to-end suite drives the same through the engine: test/e2e/sendTemplateClient.test.ts.
 */
import { ModalAction, ModalScreen } from '../../../src/core/app/sendTemplateModal';
import { translator } from '../../../src/core/i18n/translate';
import { MetaTemplate } from '../../../src/core/templates/template';
import { sendTemplateView } from '../../../src/entry/uikit/sendTemplate/views';
import { ClientModal } from '../../../tools/harness/rc/uikit';
import { graphError, NUMBER, templatesWorld } from '../core/app/fakes-templates';
import { lto, promo, trailer } from '../core/templates/fixtures';

/* eslint-disable @typescript-eslint/no-explicit-any */
const t = translator('en');
const agent = { id: 'u-ana', username: 'ana', roles: ['livechat-agent'] };

const PROMO = promo;
const TRAILER = trailer;

async function modalWith(templates: MetaTemplate[]) {
	const w = templatesWorld();
	w.graph.templates = templates;
	const opened = await w.modal.open({ user: agent, t });
	if (!('screen' in opened)) throw new Error(opened.notice);
	const viewId = opened.screen.draft.viewId;
	const client = new ClientModal(sendTemplateView(opened.screen, t) as any);
	/** A block action answered with the modal's update, as the client applies it. */
	const act = async (action: ModalAction) => {
		const result = await w.modal.act({ viewId, user: agent, action, t });
		if (result.kind !== 'screen') throw new Error(`not a screen: ${JSON.stringify(result)}`);
		client.update(sendTemplateView(result.screen, t) as any);
		return result.screen;
	};
	/** The user types in an element: the client keeps it, and dispatches the block action. */
	const type = async (actionId: string, value: string) => {
		client.input(actionId, value);
		return act({ kind: 'param', inputId: actionId.replace(/^param:/, ''), value });
	};
	return { w, viewId, client, act, type };
}

const paramIds = (client: ClientModal) =>
	(client.view.blocks as any[]).map((b) => b.element?.actionId as string | undefined).filter((id) => id?.startsWith('param:'));

describe('the send-template view as the client keeps it', () => {
	it('another template brings fresh elements for what means something else there; body text follows', async () => {
		const { client, act, type } = await modalWith([PROMO, TRAILER]);
		client.input('send-template', 'promo');
		await act({ kind: 'template', value: 'promo' });
		expect(paramIds(client)).toEqual(['param:1001/promo/header.link.image', 'param:body.1', 'param:1001/promo/button.0.url']);
		await type('param:1001/promo/header.link.image', 'https://cdn.example.com/p.jpg');
		await type('param:body.1', 'Ana');
		await type('param:1001/promo/button.0.url', 'spring');

		client.input('send-template', 'trailer');
		await act({ kind: 'template', value: 'trailer' });
		expect(paramIds(client)).toEqual(['param:1001/trailer/header.link.video', 'param:body.1', 'param:1001/trailer/button.0.url']);
		expect(client.shown('param:1001/trailer/header.link.video')).toBeUndefined();
		expect(client.shown('param:1001/trailer/button.0.url')).toBeUndefined();
		expect(client.shown('param:body.1')).toBe('Ana');

		// Back on promo, the client shows what was typed there, and the draft has the same.
		client.input('send-template', 'promo');
		const back = await act({ kind: 'template', value: 'promo' });
		expect(client.shown('param:1001/promo/header.link.image')).toBe('https://cdn.example.com/p.jpg');
		expect(client.shown('param:1001/promo/button.0.url')).toBe('spring');
		expect(back.draft.values).toMatchObject({
			'1001/promo/header.link.image': 'https://cdn.example.com/p.jpg',
			'1001/promo/button.0.url': 'spring',
		});
	});

	it('shows the offer heading, its code once typed and the copy-code button in words', async () => {
		const { client, act, type } = await modalWith([lto]);
		await act({ kind: 'template', value: lto.name });
		await type(`param:1001/${lto.name}/button.0.coupon`, 'CARIBE25');
		const preview = String((client.view.blocks as any[]).filter((b) => b.type === 'section').pop()?.text?.text);
		expect(preview).toContain('*Expiring offer!*\nCode: CARIBE25\n');
		expect(preview).toContain('[Copy code] [Book now!]');
		expect(preview).not.toContain('COPY_CODE');
	});

	it('keeps the template select (a place for its errors) when the list or the chosen template cannot be read', async () => {
		const { w, client, act } = await modalWith([PROMO]);
		// The chosen template's part of the cache is stale and Meta cannot list the templates again.
		const index = await w.templateCache.getIndex(NUMBER.wabaId);
		for (let shard = 0; shard < (index?.shards ?? 0); shard++) {
			const stored = await w.templateCache.getShard(NUMBER.wabaId, shard);
			if (stored) await w.templateCache.setShard(NUMBER.wabaId, shard, { ...stored, fetchedAt: stored.fetchedAt - 1 });
		}
		w.graph.listError = graphError(190);
		const screen: ModalScreen = await act({ kind: 'template', value: 'promo' });
		expect(screen.template).toBeUndefined();
		const blocks = client.view.blocks as any[];
		expect(JSON.stringify(blocks)).toContain('The templates of this number could not be fetched from Meta');
		expect(blocks.some((b) => b.type === 'input' && b.blockId === 'send-template')).toBe(true);
		expect(paramIds(client)).toEqual([]);
		// The whole list out of reach: the select is still there, with nothing to offer.
		const refreshed = await act({ kind: 'refresh' });
		expect(refreshed.total).toBe(0);
		expect((client.view.blocks as any[]).find((b) => b.blockId === 'send-template')?.type).toBe('input');
	});
});
