/**
 * A UIKit handler that fails unexpectedly (here: every read and write of the app's storage fails,
 * as a database error would) answers the user in the modal, never with a thrown error. Thrown, it
 * would reach Rocket.Chat as a 500 that the 7/8 client drops without a word
 * (apps/meteor/client/lib/ActionManager.ts `runWithTimeout`): the click would do nothing. The log
 * names the failure, never the error's text (it may carry a contact's data).
 */
import { EXPIRE_MESSAGES_JOB } from '../../src/entry/jobs/statusJobs';
import { FAILED_BLOCK } from '../../src/entry/uikit/failed';
import { HarnessRoom, HarnessUser, Json } from '../../tools/harness/world';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const NOTICE =
	"Something went wrong inside the app. Try again in a moment; if it keeps failing, ask an administrator to check the app's log.";
const CHANGE =
	"The app could not take this change (an internal error). Make it again in a moment; if it keeps failing, ask an administrator to check the app's log.";
const SECRET = 'db error near document {phone: "5511987654321", token: "hunter2"}';

describe('a UIKit handler that fails answers the user in the modal', () => {
	let app: AppUnderTest;
	let ana: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [
			{
				id: 'invoice-en_US',
				name: 'invoice',
				language: 'en_US',
				status: 'APPROVED',
				category: 'UTILITY',
				components: [{ type: 'BODY', text: 'Your invoice {{1}} is ready.' }],
			},
		]);
		ana = app.harness.addAgent({ username: 'ana' });
		room = addContactRoom(app, ana);
	});
	afterEach(() => stopChecked(app));

	const sends = () => app.sim.requestsTo('/messages').map((r) => r.body as any);
	/** `run` while every storage call fails. */
	async function whileStorageFails(run: () => Promise<any>): Promise<any> {
		app.harness.world.persistenceFault = () => new Error(SECRET);
		try {
			return await run();
		} finally {
			app.harness.world.persistenceFault = undefined;
		}
	}
	function failureLogged(line: string): void {
		expect(app.harness.takeAppErrors()).toEqual([expect.stringContaining(line)]);
		expect(app.harness.formatLogs()).not.toContain('hunter2');
	}

	async function prepared(): Promise<Json> {
		await app.harness.command('whatsapp', ['send-template'], { user: ana, room });
		let view = app.harness.openModal(ana)!.view;
		await app.harness.blockAction({ user: ana, actionId: 'send-template', blockId: 'send-template', value: 'invoice', view });
		view = app.harness.openModal(ana)!.view;
		await app.harness.blockAction({ user: ana, actionId: 'param:body.1', blockId: 'param:body.1', value: 'INV-7', view });
		return app.harness.openModal(ana)!.view;
	}

	it('a failed submit shows the notice on top of the form, keeps what was typed, sends nothing; the retry sends once', async () => {
		const view = await prepared();
		const answer = await whileStorageFails(() => app.harness.viewSubmit({ user: ana, view }));
		// The same view again (a modal.update keeps the modal open), the notice first, no block lost.
		expect(answer).toMatchObject({ success: true, type: 'modal.update', view: { id: view.id } });
		expect(answer.view.blocks[0]).toEqual({ type: 'section', blockId: FAILED_BLOCK, text: { type: 'mrkdwn', text: NOTICE } });
		expect(answer.view.blocks.slice(1)).toEqual(view.blocks);
		expect(answer.view.state).toBeUndefined();
		const shown = app.harness.openModal(ana)!;
		expect(shown.view.id).toBe(view.id);
		expect(shown.state['param:body.1']).toEqual({ 'param:body.1': 'INV-7' });
		expect(sends()).toEqual([]);
		failureLogged(`uikit: submit of view ${String(view.id)} failed: Error`);

		// Submitted again, the form with the notice: sent once, with what was typed; the notice is not stacked.
		expect(await app.harness.viewSubmit({ user: ana })).toEqual({ success: true });
		expect(sends()).toHaveLength(1);
		expect(sends()[0].template.components).toEqual([{ type: 'body', parameters: [{ type: 'text', text: 'INV-7' }] }]);
	});

	it('a second failed submit replaces the notice rather than stacking it', async () => {
		const view = await prepared();
		const again = await whileStorageFails(async () => {
			await app.harness.viewSubmit({ user: ana, view });
			return app.harness.viewSubmit({ user: ana });
		});
		expect(again.view.blocks.filter((b: Json) => b.blockId === FAILED_BLOCK)).toHaveLength(1);
		expect(again.view.blocks.slice(1)).toEqual(view.blocks);
		expect(app.harness.takeAppErrors()).toHaveLength(2);
		expect(sends()).toEqual([]);
	});

	it('a failed change of a field shows the notice under that field; the modal stays as it was', async () => {
		const view = await prepared();
		const answer = await whileStorageFails(() =>
			app.harness.blockAction({ user: ana, actionId: 'param:body.1', blockId: 'param:body.1', value: 'INV-8', view }),
		);
		expect(answer).toMatchObject({ success: false, type: 'errors', viewId: view.id, errors: { 'param:body.1': CHANGE } });
		const shown = app.harness.openModal(ana)!;
		expect(shown.view).toEqual(view);
		expect(shown.errors).toEqual({ 'param:body.1': CHANGE });
		failureLogged('uikit: action param:body.1 failed: Error');
	});

	it('a failed Refresh (a button) shows the notice under the template select, where the client can show it', async () => {
		const view = await prepared();
		const answer = await whileStorageFails(() =>
			app.harness.blockAction({ user: ana, actionId: 'send-refresh', blockId: 'send-tools', view }),
		);
		expect(answer).toMatchObject({ success: false, type: 'errors', viewId: view.id, errors: { 'send-template': CHANGE } });
		expect(app.harness.openModal(ana)!.errors).toEqual({ 'send-template': CHANGE });
		failureLogged('uikit: action send-refresh failed: Error');
	});

	async function numbersList(): Promise<Json> {
		const admin = app.harness.admin;
		await app.harness.command('whatsapp', ['numbers'], { user: admin, room: app.harness.addRoom({ name: 'ops', creator: admin }) });
		return app.harness.openModal(admin)!.view;
	}

	it('a failed click in the numbers list (buttons only) opens a modal with the notice in its place', async () => {
		const admin = app.harness.admin;
		const list = await numbersList();
		const answer = await whileStorageFails(() =>
			app.harness.blockAction({
				user: admin,
				actionId: 'whatsapp-number-edit',
				blockId: `number:${NUMBER.phoneNumberId}`,
				value: NUMBER.phoneNumberId,
				view: list,
			}),
		);
		expect(answer).toMatchObject({ success: true, type: 'modal.open' });
		const shown = app.harness.openModal(admin)!.view;
		// Under an id of its own: one with the list's id would leave the list on screen (the client keeps that modal).
		expect(shown).toMatchObject({
			id: expect.stringMatching(/^whatsapp-numbers:failed:/),
			title: { text: 'Something went wrong' },
			close: { text: { text: 'Close' } },
		});
		expect(shown.blocks).toEqual([{ type: 'section', blockId: FAILED_BLOCK, text: { type: 'mrkdwn', text: NOTICE } }]);
		expect(shown.submit).toBeUndefined();
		failureLogged('uikit: action whatsapp-number-edit failed: Error');
		expect(await app.harness.viewClosed({ user: admin })).toEqual({ success: true });
		expect(app.harness.openModal(admin)).toBeUndefined();
	});

	it('a disconnect whose list fails to draw after it: the admin reads that the number was disconnected, not to try again', async () => {
		const admin = app.harness.admin;
		const list = await numbersList();
		await app.harness.blockAction({
			user: admin,
			actionId: 'whatsapp-number-disconnect',
			blockId: `number:${NUMBER.phoneNumberId}`,
			value: NUMBER.phoneNumberId,
			view: list,
		});
		const connected = () =>
			app.harness.world.persistence.some(
				(r) => (r.data as any).phoneNumberId === NUMBER.phoneNumberId && (r.data as any).accessToken,
			);
		// The list's read of the webhook's verify token fails (the disconnect reads and writes only the number's records).
		app.harness.world.persistenceFault = (_method, args) =>
			JSON.stringify(args).includes('webhook-verify-token') ? new Error(SECRET) : undefined;
		let answer: any;
		try {
			answer = await app.harness.viewSubmit({ user: admin });
		} finally {
			app.harness.world.persistenceFault = undefined;
		}
		expect(connected()).toBe(false);
		expect(answer).toMatchObject({ success: true, type: 'modal.update', view: { id: expect.stringMatching(/^whatsapp-numbers:/) } });
		const shown = app.harness.openModal(admin)!.view;
		expect((shown.blocks as Json[]).map((b) => (b.text as Json | undefined)?.text ?? (b.elements as Json[])?.[0]?.text)).toEqual([
			'Disconnected +1 555-078-3881.',
			'The list of numbers could not be shown just now: run /whatsapp numbers again to see it.',
		]);
		failureLogged('numbers: the list after a saved change not drawn: Error');
		// Done closes it.
		expect(await app.harness.viewSubmit({ user: admin })).toEqual({ success: true });
		expect(app.harness.openModal(admin)).toBeUndefined();
	});

	it('a failed close is answered as a close: the modal goes, the failure is logged', async () => {
		const view = await prepared();
		const answer = await whileStorageFails(() => app.harness.viewClosed({ user: ana, view }));
		expect(answer).toEqual({ success: true });
		expect(app.harness.openModal(ana)).toBeUndefined();
		failureLogged(`uikit: close of view ${String(view.id)} failed: Error`);
	});

	it("a draft a failed close left behind is removed by the daily retention run once its days are past; today's stays", async () => {
		const view = await prepared();
		await whileStorageFails(() => app.harness.viewClosed({ user: ana, view }));
		app.harness.takeAppErrors();
		const drafts = () => app.harness.world.persistence.filter((r) => r.associations.some((a) => a.id.startsWith('send-draft:')));
		expect(drafts()).toHaveLength(1);
		const today = new Date().toISOString().slice(0, 10);
		expect(drafts()[0].associations.map((a) => a.id)).toEqual([`send-draft:${view.id}`, `send-drafts-of:${today}`]);
		// Another agent's modal, opened today and still open.
		const bob = app.harness.addAgent({ username: 'bob' });
		await app.harness.command('whatsapp', ['send-template'], { user: bob, room });
		expect(drafts()).toHaveLength(2);
		// The first draft's modal opened three days ago.
		const old = new Date(Date.now() - 3 * 86400000).toISOString().slice(0, 10);
		drafts()[0].associations = drafts()[0].associations.map((a) =>
			a.id.startsWith('send-drafts-of:') ? { ...a, id: `send-drafts-of:${old}` } : a,
		);
		await app.harness.scheduler.runRecurring(EXPIRE_MESSAGES_JOB);
		expect(drafts().map((r) => (r.data as any).userId)).toEqual([bob.id]);
	});
});
