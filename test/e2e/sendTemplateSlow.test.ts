/**
 * `/whatsapp send-template` when WhatsApp is slow to answer. Rocket.Chat's web client takes the
 * app's answer to an action, or a view the app pushes, only within 5 s of the action (its trigger
 * id: apps/meteor/client/lib/ActionManager.ts `TRIGGER_TIMEOUT`; tools/harness/rc/uikit.ts
 * `ClientTriggers`): later, a pushed modal is dropped silently, and a submit is answered by the
 * client itself with a timeout error that closes the modal. The agent then reads in a notice what
 * happened (src/entry/uikit/clientWait.ts `CLIENT_MAY_DROP_MS`).
 */
import { randomUUID } from 'crypto';

import { AppInterface } from '@rocket.chat/apps-engine/definition/metadata';
import { UIKitIncomingInteractionType } from '@rocket.chat/apps-engine/definition/uikit/IUIKitIncomingInteraction';

import { HarnessRoom, HarnessUser } from '../../tools/harness/world';
import { until } from '../support/until';
import { addContactRoom, AppUnderTest, connectNumber, NUMBER, startApp, stopChecked } from '../support/appUnderTest';

/* eslint-disable @typescript-eslint/no-explicit-any */
const WELCOME = {
	id: 'welcome-en_US',
	name: 'welcome',
	language: 'en_US',
	status: 'APPROVED',
	category: 'UTILITY',
	components: [{ type: 'BODY', text: 'Welcome, {{1}}!' }],
};
/** Past the client's 5 s, with room for the app's own work. */
const SLOW_MS = 6000;

describe('/whatsapp send-template when WhatsApp answers slower than Rocket.Chat’s client waits', () => {
	let app: AppUnderTest;
	let agent: HarnessUser;
	let room: HarnessRoom;

	beforeEach(async () => {
		app = await startApp();
		await connectNumber(app);
		app.sim.setTemplates(NUMBER.wabaId, [WELCOME]);
		agent = app.harness.addUser({ username: 'ana', roles: ['user', 'livechat-agent'] });
		agent.livechatStatus = 'available';
		room = addContactRoom(app, agent, { language: 'en' });
	});
	afterEach(() => stopChecked(app));

	const notices = () => app.harness.world.notificationsFor(agent.id).map((n) => String(n.text));
	const command = () => app.harness.command('whatsapp', ['send-template'], { user: agent, room });

	/** The modal open with the welcome template chosen and its parameter typed. */
	async function filled(): Promise<void> {
		await command();
		const modal = app.harness.openModal(agent)!;
		const select = (modal.view.blocks as any[]).find((b) => b.element?.actionId === 'send-template');
		await app.harness.blockAction({
			user: agent,
			actionId: 'send-template',
			blockId: select.blockId,
			value: 'welcome',
			view: modal.view,
		});
		const chosen = app.harness.openModal(agent)!;
		const param = (chosen.view.blocks as any[]).find((b) => b.blockId === 'param:body.1');
		chosen.input(param.element.actionId, 'Ana');
	}

	const templateOptions = () => {
		const select = (app.harness.openModal(agent)!.view.blocks as any[]).find((b) => b.element?.actionId === 'send-template');
		return ((select?.element?.options ?? []) as any[]).map((o) => o.value);
	};
	const shown = () => JSON.stringify(app.harness.openModal(agent)!.view);

	it("opens in time while Meta is still listing the templates: the form says so, and once Meta's list came, Refresh shows it", async () => {
		app.sim.setLatency(SLOW_MS);
		await command();
		// The modal waited 2.5 s for the list (LIST_WAIT_MS), then opened without it, within the client's 5 s.
		expect(app.harness.droppedInteractions).toEqual([]);
		expect(templateOptions()).toEqual([]);
		expect(shown()).toContain(
			'This number\'s template list is taking a while to load. Press \\"Refresh templates\\" in a few seconds.',
		);
		// The fetch went on in the app's runtime, and its list fills the cache.
		await until(
			() => app.harness.world.persistence.some((r) => JSON.stringify(r.data).includes('"welcome"')),
			'the template list stored once Meta answered',
		);
		expect(app.sim.requests.filter((r) => r.path.endsWith('/message_templates'))).toHaveLength(1);
		app.sim.setLatency(0);
		await app.harness.blockAction({
			user: agent,
			actionId: 'send-refresh',
			blockId: 'send-tools',
			view: app.harness.openModal(agent)!.view,
		});
		expect(templateOptions()).toEqual(['welcome']);
		expect(shown()).not.toContain('taking a while');
	}, 60000);

	it('a Refresh Meta is slow to answer shows the list loaded before and says so; Meta’s new list comes with the next look', async () => {
		await command();
		expect(templateOptions()).toEqual(['welcome']);
		app.sim.setTemplates(NUMBER.wabaId, [WELCOME, { ...WELCOME, id: 'bye-en_US', name: 'goodbye' }]);
		app.sim.setLatency(SLOW_MS);
		await app.harness.blockAction({
			user: agent,
			actionId: 'send-refresh',
			blockId: 'send-tools',
			view: app.harness.openModal(agent)!.view,
		});
		expect(app.harness.droppedInteractions).toEqual([]);
		expect(templateOptions()).toEqual(['welcome']);
		expect(shown()).toContain('the list shown is the last one loaded, and it is updated when the load completes');
		await until(
			() => app.harness.world.persistence.some((r) => JSON.stringify(r.data).includes('"goodbye"')),
			"Meta's new list stored",
		);
		// The next open reads the list Meta gave meanwhile.
		app.sim.setLatency(0);
		await app.harness.viewClosed({ user: agent });
		await command();
		expect(templateOptions()).toEqual(['goodbye', 'welcome']);
	}, 60000);

	it('Meta not answering (no answer before the app gives up, 10 s): once a load failed so, the form says why rather than that the list is loading', async () => {
		// Meta answers after 20 s: each of the app's list requests times out first (at 10 s).
		app.sim.setLatency(20000);
		await command();
		expect(shown()).toContain('taking a while to load');
		// Each Refresh waits 2.5 s and starts a load of its own; the first load times out at 10 s, and the next look says so.
		await until(async () => {
			await app.harness.blockAction({
				user: agent,
				actionId: 'send-refresh',
				blockId: 'send-tools',
				view: app.harness.openModal(agent)!.view,
			});
			return shown().includes('did not answer in time');
		}, 'the form telling why the list did not load');
		// A timeout is not a network that refused the call: the agent is not sent to check the server's access.
		expect(shown()).toContain("Meta's API did not answer in time. Try again in a moment.");
		expect(shown()).not.toContain('could not be reached');
		expect(shown()).not.toContain('taking a while');
		expect(app.harness.droppedInteractions).toEqual([]);
		app.sim.setLatency(0);
	}, 90000);

	it('tells the agent the window may not have opened when opening took too long (a slow database); run again, it opens', async () => {
		// Every read and write of the app's records waits 1.5 s: opening takes longer than the client waits
		// (storing the template list Meta gave is part of it, and the notice says that is slow too).
		app.harness.world.persistenceDelay = () => 1500;
		await command();
		expect(app.harness.openModal(agent)).toBeUndefined();
		expect(app.harness.droppedInteractions).toEqual([
			expect.objectContaining({
				userId: agent.id,
				type: 'modal.open',
				origin: 'pushed',
				reason: expect.stringMatching(/^it came \d+ ms after the user's action/),
			}),
		]);
		expect(notices()).toEqual([
			'Opening the send-template form took about as long as Rocket.Chat waits for the app\'s answer (5 seconds) or longer, so it may not have opened. If it did not, run /whatsapp send-template again. This number\'s template list is taking a while to load. Press "Refresh templates" in a few seconds.',
		]);
		app.harness.world.persistenceDelay = undefined;
		await command();
		expect(app.harness.openModal(agent)).toBeDefined();
		expect(notices()).toHaveLength(1);
	}, 60000);

	it('opens without a notice when WhatsApp answers in time', async () => {
		await command();
		expect(app.harness.openModal(agent)).toBeDefined();
		expect(app.harness.droppedInteractions).toEqual([]);
		expect(notices()).toEqual([]);
	});

	it('a template pick whose update the client dropped (it came too late): the submit says on the template select that its fields were not shown, and sends nothing', async () => {
		await command();
		const modal = app.harness.openModal(agent)!;
		const select = (modal.view.blocks as any[]).find((b) => b.element?.actionId === 'send-template');
		// The agent picks; the app draws the template's fields, but the client drops its answer (as one that came
		// after its 5 s: here, answered under a trigger id the client never issued).
		modal.input('send-template', 'welcome');
		await app.harness.manager.getListenerManager().executeListener(AppInterface.IUIKitInteractionHandler, {
			type: UIKitIncomingInteractionType.BLOCK,
			appId: app.harness.appId,
			actionId: 'send-template',
			triggerId: randomUUID(),
			user: app.harness.appUser(agent),
			container: { type: 'view', id: modal.view.id },
			payload: { blockId: select.blockId, value: 'welcome', view: modal.view },
		} as any);
		expect((app.harness.openModal(agent)!.view.blocks as any[]).some((b) => String(b.blockId).startsWith('param:'))).toBe(false);
		await app.harness.viewSubmit({ user: agent });
		expect(app.harness.openModal(agent)!.errors).toEqual({
			'send-template':
				"This template's fields were not shown in the form: pick the template again (or refresh the list) and fill them in.",
		});
		expect(app.sim.requestsTo('/messages')).toEqual([]);
	});

	it('a template pick slower than the client waits (a slow database): the client drops the update, keeps the form as it was, and a notice says why', async () => {
		await command();
		const before = app.harness.openModal(agent)!.view;
		const select = (before.blocks as any[]).find((b) => b.element?.actionId === 'send-template');
		app.harness.world.persistenceDelay = () => 1500;
		await app.harness.blockAction({ user: agent, actionId: 'send-template', blockId: select.blockId, value: 'welcome', view: before });
		app.harness.world.persistenceDelay = undefined;
		expect(app.harness.toasts).toEqual([{ userId: agent.id, message: 'UIKit_Interaction_Timeout' }]);
		expect(app.harness.droppedInteractions).toEqual([expect.objectContaining({ type: 'modal.update', origin: 'blockAction' })]);
		// The form still shows what it showed: no field of the template.
		expect((app.harness.openModal(agent)!.view.blocks as any[]).some((b) => String(b.blockId).startsWith('param:'))).toBe(false);
		expect(app.harness.world.notificationsFor(agent.id).map((n) => (n.room as { id?: string }).id)).toEqual([room.id]);
		expect(notices()).toEqual([
			"Updating the send-template form took about as long as Rocket.Chat waits for the app's answer (5 seconds) or longer, so the form may still show what it showed before. If it does, choose again or refresh the template list.",
		]);
		// Picked again in time, the fields come.
		await app.harness.blockAction({
			user: agent,
			actionId: 'send-template',
			blockId: select.blockId,
			value: 'welcome',
			view: app.harness.openModal(agent)!.view,
		});
		expect((app.harness.openModal(agent)!.view.blocks as any[]).some((b) => b.blockId === 'param:body.1')).toBe(true);
		expect(notices()).toHaveLength(1);
	}, 60000);

	it('a send slower than the client waits: the client shows its timeout error and closes the modal; the template went once, and a notice says so', async () => {
		await filled();
		app.sim.setLatency(SLOW_MS);
		expect(await app.harness.viewSubmit({ user: agent })).toMatchObject({ success: true });
		expect(app.harness.toasts).toEqual([{ userId: agent.id, message: 'UIKit_Interaction_Timeout' }]);
		expect(app.harness.openModal(agent)).toBeUndefined();
		expect(app.sim.requestsTo('/messages').map((r) => (r.body as any).template?.name)).toEqual(['welcome']);
		expect(app.harness.world.messagesIn(room.id).map((m) => m.text)).toEqual(['Welcome, Ana!']);
		expect(notices()).toEqual([
			"Sending took about as long as Rocket.Chat waits for the app's answer (5 seconds) or longer, so the form may have closed with a timeout error: the template was sent.",
		]);
	}, 60000);

	it('a refusal slower than the client waits: the reason the modal could not show is in the notice', async () => {
		await filled();
		app.sim.injectError(NUMBER.phoneNumberId, { code: 132001 });
		app.sim.setLatency(SLOW_MS);
		await app.harness.viewSubmit({ user: agent });
		expect(app.harness.toasts).toHaveLength(1);
		expect(app.harness.droppedInteractions).toEqual([expect.objectContaining({ type: 'errors', origin: 'viewSubmit' })]);
		expect(app.harness.world.messagesIn(room.id)).toEqual([]);
		expect(notices()).toEqual([
			"Sending took about as long as Rocket.Chat waits for the app's answer (5 seconds) or longer, so the form may have closed with a timeout error. The outcome: This template does not exist in this language (any more). Refresh the template list.",
		]);
	}, 60000);
});
