/**
 * The send-template modal checks the caller on every step, not only when it opens: the role
 * ("Roles allowed to send templates") on each block action and on the submit, the number (a
 * connected one, and in a contact room the room's own), and the owner of the modal's draft.
 *
 * A forged interaction (another user's view id, a number the view never offered) is what a user can
 * send to Rocket.Chat's `POST /api/apps/ui.interaction/:appId` by hand: the server hands any
 * payload of a logged-in user to the app (apps/meteor/app/apps/server/communication/uikit.ts; it
 * checks neither the view's owner nor its fields). Those are sent here straight through the
 * engine's listener manager, past the client model of tools/harness/rc/uikit.ts, which only sends
 * what Rocket.Chat's client would.
 */
import { randomUUID } from 'crypto';

import { AppInterface } from '@rocket.chat/apps-engine/definition/metadata/AppInterface';
import { UIKitIncomingInteractionType } from '@rocket.chat/apps-engine/definition/uikit/IUIKitIncomingInteraction';

import { HarnessRoom, HarnessUser, Json } from '../../tools/harness/world';
import { SimNumber } from '../../tools/sim/CloudApiSimulator';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const T = (name: string, body: string) => ({
	id: `${name}-en_US`,
	name,
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: body }],
});
const TEMPLATES = [T('invoice', 'Your invoice {{1}} is ready.'), T('welcome', 'Welcome!')];
/** A second number (another account) with the same templates. */
const SECOND: SimNumber = {
	...NUMBER,
	phoneNumberId: '106540352242955',
	wabaId: '102290129340422',
	displayPhoneNumber: '+1 555-078-5555',
	verifiedName: 'Acme Sales',
	accessToken: 'EAATESTTOKEN7777777777',
};
const CARLA = '5511987654321';
const NOT_ALLOWED = 'You are not allowed to run `/whatsapp send-template`. Ask a workspace administrator.';

describe('/whatsapp send-template checks the caller on every step', () => {
	let app: AppUnderTest;
	let ana: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, TEMPLATES);
		ana = app.harness.addAgent({ username: 'ana' });
		room = addContactRoom(app, ana);
	});
	afterEach(() => stopChecked(app));

	const sends = () => app.sim.requestsTo('/messages').map((r) => ({ path: r.path, body: r.body as any }));

	async function connectSecond(): Promise<void> {
		await connectNumber(app, SECOND);
		app.sim.setTemplates(SECOND.wabaId, TEMPLATES);
	}

	async function open(user: HarnessUser = ana, in_: HarnessRoom = room): Promise<Json> {
		await app.harness.command('whatsapp', ['send-template'], { user, room: in_ });
		const view = app.harness.openModal(user)?.view;
		expect(view?.id).toMatch(/^whatsapp-send-template:/);
		return view!;
	}
	async function act(user: HarnessUser, view: Json, actionId: string, value: string): Promise<any> {
		return app.harness.blockAction({ user, actionId, blockId: actionId, value, view });
	}
	/** Ana picks the invoice template and fills its parameter. */
	async function prepared(): Promise<Json> {
		const view = await open();
		expect(await act(ana, view, 'send-template', 'invoice')).toMatchObject({ success: true, type: 'modal.update' });
		expect(await act(ana, app.harness.openModal(ana)!.view, 'param:body.1', 'INV-7')).toMatchObject({
			success: true,
			type: 'modal.update',
		});
		return app.harness.openModal(ana)!.view;
	}

	/** An interaction sent by hand to Rocket.Chat's UIKit endpoint as `user`, for the view id `viewId`. */
	function forged(
		user: HarnessUser,
		viewId: string,
		spec: { kind: 'block'; actionId: string; value: string } | { kind: 'submit'; state: Record<string, Record<string, unknown>> },
	): Promise<any> {
		const base = { appId: app.harness.appId, triggerId: randomUUID(), user: app.harness.appUser(user) };
		const view = { id: viewId, type: 'modal', appId: app.harness.appId, blocks: [] as Json[] };
		const interaction =
			spec.kind === 'block'
				? {
						...base,
						type: UIKitIncomingInteractionType.BLOCK,
						actionId: spec.actionId,
						container: { type: 'view', id: viewId },
						payload: { blockId: spec.actionId, value: spec.value, view },
					}
				: {
						...base,
						type: UIKitIncomingInteractionType.VIEW_SUBMIT,
						actionId: 'submit',
						payload: { view: { ...view, state: spec.state } },
					};
		return app.harness.manager.getListenerManager().executeListener(AppInterface.IUIKitInteractionHandler, interaction as any);
	}

	it('refuses a block action and the submit of an agent whose role was taken away while the modal was open', async () => {
		let view = await open();
		expect(await act(ana, view, 'send-template', 'invoice')).toMatchObject({ success: true, type: 'modal.update' });
		ana.roles = ['user'];
		view = app.harness.openModal(ana)!.view;
		const refused = await act(ana, view, 'param:body.1', 'INV-7');
		expect(refused).toMatchObject({ success: false, type: 'errors', errors: { 'send-template': NOT_ALLOWED } });
		expect(refused.view).toBeUndefined();
		const submitted = await app.harness.viewSubmit({ user: ana, view, state: { 'param:body.1': { 'param:body.1': 'INV-7' } } });
		expect(submitted).toMatchObject({ success: false, type: 'errors', errors: { 'send-template': NOT_ALLOWED } });
		expect(sends()).toEqual([]);
	});

	it('refuses a block action once an admin takes the role out of "Roles allowed to send templates"', async () => {
		const view = await open();
		await app.harness.setSetting('agent_roles', 'admin, livechat-manager');
		const refused = await act(ana, view, 'send-template', 'invoice');
		expect(refused).toMatchObject({ success: false, type: 'errors', errors: { 'send-template': NOT_ALLOWED } });
		expect(sends()).toEqual([]);
	});

	it("in a contact room offers no other number and refuses a submit naming one: the room's number only", async () => {
		await connectSecond();
		const view = await prepared();
		const res = await app.harness.viewSubmit({ user: ana, view, state: { 'send-number': { 'send-number': SECOND.phoneNumberId } } });
		expect(res).toMatchObject({ success: false, type: 'errors' });
		expect(res.errors).toEqual({
			'send-template': "In a contact's room the template goes from the room's own WhatsApp number (Acme Support +1 555-078-3881).",
		});
		expect(sends()).toEqual([]);
		expect((view.blocks as any[]).filter((b) => String(b.blockId).startsWith('send-number'))).toEqual([]);
		// The modal is still open: sent as shown, it goes from the room's number.
		expect(await app.harness.viewSubmit({ user: ana, view })).toMatchObject({ success: true });
		expect(sends().map((s) => [s.path, s.body.to])).toEqual([[expect.stringContaining(NUMBER.phoneNumberId), CARLA]]);
	});

	it('sends once when Send is clicked twice while Meta answers the first (the client sends both submits): the second is told', async () => {
		const view = await prepared();
		app.sim.setLatency(300);
		const answers = await Promise.all([app.harness.viewSubmit({ user: ana, view }), app.harness.viewSubmit({ user: ana, view })]);
		const [first, second] = answers.sort((x, y) => Number(y.success) - Number(x.success));
		expect(first).toMatchObject({ success: true });
		expect(second).toMatchObject({
			success: false,
			type: 'errors',
			errors: {
				'send-template': 'This template is already being sent, or was sent, from this form: it is not sent twice. Close the form.',
			},
		});
		expect(sends().map((s) => [s.path, s.body.to])).toEqual([[expect.stringContaining(NUMBER.phoneNumberId), CARLA]]);
		expect(
			app.harness.world.messages.filter((m) => (m.room as Json).id === room.id && m.text === 'Your invoice INV-7 is ready.'),
		).toHaveLength(1);
	});

	it("in a contact room ignores a block action naming another number: the draft keeps the room's number", async () => {
		await connectSecond();
		const view = await prepared();
		await act(ana, view, 'send-number', SECOND.phoneNumberId);
		expect(await app.harness.viewSubmit({ user: ana, view: app.harness.openModal(ana)!.view })).toMatchObject({ success: true });
		expect(sends().map((s) => [s.path, s.body.to])).toEqual([[expect.stringContaining(NUMBER.phoneNumberId), CARLA]]);
	});

	it('opens no modal in a contact room whose number is no longer connected (no other number stands in)', async () => {
		await connectSecond();
		const orphan = addContactRoom(app, ana, { waId: CARLA, name: 'Carla (old number)', phoneNumberId: '106540352249999' });
		await app.harness.command('whatsapp', ['send-template'], { user: ana, room: orphan });
		expect(app.harness.openModal(ana)).toBeUndefined();
		expect(String(app.harness.world.notificationsFor(ana.id).pop()?.text)).toBe(
			'The WhatsApp number of this conversation is no longer connected: no template can be sent from this room.',
		);
	});

	/**
	 * Outside a contact room, `welcome` picked and submitted with a number that is not connected in
	 * the state of the number select the form draws (of a bare `send-number` when it draws none).
	 */
	async function submitNamingUnconnectedNumber(): Promise<any> {
		const general = app.harness.addRoom({ name: 'general', creator: ana });
		const view = await open(ana, general);
		await act(ana, view, 'send-template', 'welcome');
		const shown = app.harness.openModal(ana)!.view;
		const select = String((shown.blocks as any[]).find((b) => String(b.blockId).startsWith('send-number'))?.blockId ?? 'send-number');
		return app.harness.viewSubmit({
			user: ana,
			view: shown,
			state: { 'send-recipient': { 'send-recipient': '+55 21 99999-0000' }, [select]: { [select]: '999999999' } },
		});
	}

	it('refuses a submit naming a number that is not connected on the number select, outside a contact room too', async () => {
		await connectSecond();
		const res = await submitNamingUnconnectedNumber();
		expect(res).toMatchObject({ success: false, type: 'errors' });
		const select = (app.harness.openModal(ana)!.view.blocks as any[]).find((b) => String(b.blockId).startsWith('send-number:'));
		expect(res.errors).toEqual({ [select.blockId]: 'This WhatsApp number is not connected (any more): choose another one.' });
		expect(sends()).toEqual([]);
	});

	it('takes no number from a submit of a form that draws no number select (one number): it sends from the number shown', async () => {
		// Rocket.Chat's client keeps a select's value once drawn; a value without a select is stale, or forged.
		expect(await submitNamingUnconnectedNumber()).toMatchObject({ success: true });
		expect(sends().map((s) => [s.path, s.body.to])).toEqual([[expect.stringContaining(NUMBER.phoneNumberId), '5521999990000']]);
	});

	it("refuses another user's block action and submit on an agent's modal: nothing changes, nothing is sent", async () => {
		const view = await prepared();
		const bob = app.harness.addAgent({ username: 'bob' });
		// Bob, an agent too, sends interactions for Ana's view id by hand.
		const action = await forged(bob, view.id as string, { kind: 'block', actionId: 'param:body.1', value: 'HIJACKED' });
		expect(action).toMatchObject({ success: false });
		expect(action.view).toBeUndefined();
		const submit = await forged(bob, view.id as string, { kind: 'submit', state: { 'param:body.1': { 'param:body.1': 'HIJACKED' } } });
		expect(submit?.success).toBe(false);
		expect(sends()).toEqual([]);
		// Ana's modal still holds her own values.
		expect(await app.harness.viewSubmit({ user: ana, view })).toMatchObject({ success: true });
		expect(sends().map((s) => s.body.template.components[0].parameters[0].text)).toEqual(['INV-7']);
	});
});
