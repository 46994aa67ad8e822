/**
 * Fidelity: the harness's model of Rocket.Chat's 7/8 web client (tools/harness/rc/uikit.ts), one
 * behaviour per test. Sources, in RocketChat/Rocket.Chat:
 * - packages/fuselage-ui-kit/src/elements/ButtonElement.tsx @ 18aac3d18c0df5102ea7ffc96989db23a0dd3e01
 * - packages/fuselage-ui-kit/src/hooks/useUiKitState.ts @ 000eb1dac36a6dc92cbaad4233003e1b24095f7e
 * - apps/meteor/client/uikit/hooks/useUiKitView.ts (7.x, commit unknown)
 * - packages/fuselage-ui-kit/src/utils/extractInitialStateFromLayout.ts
 * - apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d (handleServerInteraction,
 *   emitInteraction; generateTriggerId and invalidateTriggerId: a trigger id lives 5 s and is taken once)
 * - apps/meteor/client/uikit/hooks/useUiKitView.ts @ aa405742253efb45174d6b0de3c30c0fbcbf4c1f (the modal listens on its own view id)
 * - packages/ui-client/src/providers/ModalProvider/ModalStore.ts @ aa405742253efb45174d6b0de3c30c0fbcbf4c1f (open erases the stack; close removes the current modal)
 */
import {
	assertClientRenders,
	ClientModal,
	ClientModals,
	clientIgnores,
	ClientTriggers,
	TRIGGER_TIMEOUT_MS,
} from '../../../tools/harness/rc/uikit';

const text = (value: string) => ({ type: 'plain_text', text: value });
const input = (id: string, element: Record<string, unknown>, block: Record<string, unknown> = {}) => ({
	type: 'input',
	blockId: id,
	label: text(id),
	element: { actionId: id, ...element },
	...block,
});

describe('UIKit, as Rocket.Chat’s 7/8 client renders it', () => {
	it('never renders a button’s `confirm` (ButtonElement reads style, url, text, value, secondary only)', () => {
		const view = {
			id: 'v',
			blocks: [
				{
					type: 'actions',
					blockId: 'a',
					elements: [
						{
							type: 'button',
							actionId: 'rm',
							text: text('Remove'),
							confirm: { title: text('Sure?'), text: text('x'), confirm: text('Yes'), deny: text('No') },
						},
					],
				},
			],
		};
		expect(clientIgnores(view)).toEqual([expect.stringContaining('button rm: `confirm` is never rendered')]);
		expect(() => assertClientRenders(view)).toThrow('would not render view v');
		// The click sends the block action at once.
		expect(new ClientModal(view).dispatches('rm')).toBe(true);
	});

	it('does not read an input block’s `dispatchAction`; only the element’s `dispatchActionConfig` dispatches (useUiKitState)', () => {
		const relying = { id: 'v', blocks: [input('lang', { type: 'static_select', options: [] }, { dispatchAction: true })] };
		expect(clientIgnores(relying)).toEqual([expect.stringContaining('input block lang: `dispatchAction` on the block is not read')]);
		expect(new ClientModal(relying).dispatches('lang')).toBe(false);
		const element = {
			id: 'v',
			blocks: [input('lang', { type: 'static_select', options: [], dispatchActionConfig: ['on_item_selected'] })],
		};
		expect(clientIgnores(element)).toEqual([]);
		expect(new ClientModal(element).dispatches('lang')).toBe(true);
		// on_character_entered dispatches for a plain text input; without any config it only keeps state.
		expect(
			new ClientModal({
				id: 'v',
				blocks: [input('t', { type: 'plain_text_input', dispatchActionConfig: ['on_character_entered'] })],
			}).dispatches('t'),
		).toBe(true);
		expect(new ClientModal({ id: 'v', blocks: [input('t', { type: 'plain_text_input' })] }).dispatches('t')).toBe(false);
	});

	it('seeds the values from the first view only, keyed by action id (useUiKitView: useReducer init)', () => {
		const modal = new ClientModal({ id: 'v', blocks: [input('name', { type: 'plain_text_input', initialValue: 'Ana' })] });
		expect(modal.state).toEqual({ name: { name: 'Ana' } });
		// An element added by an update has no value in the state until the user changes it.
		modal.update({
			id: 'v',
			blocks: [
				input('name', { type: 'plain_text_input', initialValue: 'Ana' }),
				input('city', { type: 'plain_text_input', initialValue: 'Lima' }),
			],
		});
		expect(modal.state).toEqual({ name: { name: 'Ana' } });
		expect(modal.shown('city')).toBe('Lima');
		modal.input('city', 'Quito');
		expect(modal.state).toEqual({ name: { name: 'Ana' }, city: { city: 'Quito' } });
	});

	it('does not re-seed a shown element when an update changes its initialValue (useState seeded once)', () => {
		const modal = new ClientModal({ id: 'v', blocks: [input('lang', { type: 'static_select', options: [], initialValue: 'en' })] });
		modal.update({ id: 'v', blocks: [input('lang', { type: 'static_select', options: [], initialValue: 'pt_BR' })] });
		expect(modal.shown('lang')).toBe('en');
		expect(modal.state).toEqual({ lang: { lang: 'en' } });
		// A new action id is a new element: it shows its own initial value.
		modal.update({
			id: 'v',
			blocks: [
				input('lang', { type: 'static_select', options: [], initialValue: 'pt_BR' }, { blockId: 'lang' }),
				input('lang:2', { type: 'static_select', options: [], initialValue: 'pt_BR' }),
			],
		});
		expect(modal.shown('lang:2')).toBe('pt_BR');
	});

	it('keeps a value the user chose across updates, under the block id it was chosen in', () => {
		const modal = new ClientModal({ id: 'v', blocks: [input('tpl', { type: 'static_select', options: [] })] });
		modal.input('tpl', 'order_update');
		modal.update({ id: 'v', blocks: [{ ...input('tpl', { type: 'static_select', options: [] }), blockId: 'tpl-2' }] });
		expect(modal.state).toEqual({ tpl: { tpl: 'order_update' } });
	});

	it('reads initialOption and initialOptions as initial values (getInitialValue)', () => {
		const modal = new ClientModal({
			id: 'v',
			blocks: [
				input('one', { type: 'static_select', initialOption: { value: 'a' } }),
				input('many', { type: 'multi_static_select', initialOptions: [{ value: 'x' }, { value: 'y' }] }),
			],
		});
		expect(modal.state).toEqual({ one: { one: 'a' }, many: { many: ['x', 'y'] } });
	});

	describe('the client’s open modal and the server’s answers (ActionManager, useUiKitView, ModalStore)', () => {
		const list = {
			id: 'numbers',
			blocks: [{ type: 'actions', blockId: 'a', elements: [{ type: 'button', actionId: 'edit', text: text('Edit') }] }],
		};
		const form = (id: string) => ({ id, blocks: [input('name', { type: 'plain_text_input', initialValue: 'Ana' })] });
		const opened = () => {
			const modals = new ClientModals();
			modals.handle('u', { type: 'modal.open', view: list }, { kind: 'pushed' });
			return modals;
		};

		it('drops a modal.update whose view id is not the open modal’s: handleServerInteraction emits on view.id, the modal listens on its own id', () => {
			const modals = opened();
			expect(() =>
				modals.handle('u', { type: 'modal.update', view: form('edit:1') }, { kind: 'blockAction', viewId: 'numbers' }),
			).toThrow(/modal.update of view edit:1 .* the modal open is numbers: Rocket.Chat's client drops it.*ActionManager.ts/);
			expect(modals.of('u')!.view.id).toBe('numbers');
			modals.handle('u', { type: 'modal.update', view: form('numbers') }, { kind: 'blockAction', viewId: 'numbers' });
			expect(modals.of('u')!.shown('name')).toBe('Ana');
			// The values stay those of the first view (useUiKitView seeds them once).
			expect(modals.of('u')!.state.name).toBeUndefined();
		});

		it('drops errors for another view id (emitted on interaction.viewId)', () => {
			const modals = opened();
			expect(() =>
				modals.handle('u', { type: 'errors', viewId: 'other', errors: { name: 'x' } }, { kind: 'viewSubmit', viewId: 'numbers' }),
			).toThrow(/errors for view other reach no open modal/);
			modals.handle('u', { type: 'errors', viewId: 'numbers', errors: { name: 'x' } }, { kind: 'viewSubmit', viewId: 'numbers' });
			expect(modals.of('u')!.errors).toEqual({ name: 'x' });
		});

		it('replaces the open modal on a block action answered with modal.open, seeding the values from the new view (ModalStore.open erases the stack)', () => {
			const modals = opened();
			modals.handle('u', { type: 'modal.open', view: form('numbers:form') }, { kind: 'blockAction', viewId: 'numbers' });
			expect(modals.of('u')!.view.id).toBe('numbers:form');
			expect(modals.of('u')!.state).toEqual({ name: { name: 'Ana' } });
		});

		it('shows nothing new when modal.open carries the id of the modal on screen: React keeps the UiKitModal keyed by that id', () => {
			const modals = opened();
			const before = modals.of('u')!.view;
			expect(() =>
				modals.handle('u', { type: 'modal.open', view: form('numbers') }, { kind: 'blockAction', viewId: 'numbers' }),
			).toThrow(/keeps the modal it shows/);
			expect(modals.of('u')!.view).toBe(before);
		});

		it('shows nothing when a submit is answered with modal.open: the submitted view is disposed after, closing the current modal', () => {
			const modals = opened();
			expect(() => modals.handle('u', { type: 'modal.open', view: form('next') }, { kind: 'viewSubmit', viewId: 'numbers' })).toThrow(
				/opens it and, disposing the submitted view, closes it at once/,
			);
			expect(modals.of('u')).toBeUndefined();
		});

		it('disposes the modal after a submit unless the answer is errors or modal.update, and after a close unless errors; ignores modal.close from a block action', () => {
			const modals = opened();
			modals.handle('u', { type: 'modal.close' }, { kind: 'blockAction', viewId: 'numbers' });
			expect(modals.of('u')).toBeDefined();
			modals.handle('u', { success: true }, { kind: 'viewSubmit', viewId: 'numbers' });
			expect(modals.of('u')).toBeUndefined();
			const again = opened();
			again.handle('u', { success: true }, { kind: 'viewClosed', viewId: 'numbers' });
			expect(again.of('u')).toBeUndefined();
		});

		it('takes a trigger id once, for the user whose client issued it, within 5 s of the action (generateTriggerId, invalidateTriggerId)', () => {
			const triggers = new ClientTriggers();
			const id = triggers.issue('u', 1000);
			expect(triggers.take('v', id, 1001)).toBe('its trigger id is unknown to the client, or already used');
			expect(triggers.take('u', id, 1000 + TRIGGER_TIMEOUT_MS - 1)).toBeUndefined();
			expect(triggers.take('u', id, 1002)).toBe('its trigger id is unknown to the client, or already used');
			const late = triggers.issue('u', 1000);
			expect(triggers.take('u', late, 1000 + TRIGGER_TIMEOUT_MS)).toBe(
				`it came ${TRIGGER_TIMEOUT_MS} ms after the user's action; the client forgets a trigger id after ${TRIGGER_TIMEOUT_MS} ms`,
			);
			expect(triggers.take('u', undefined, 1000)).toBe('it has no trigger id');
			expect(triggers.take('u', 'never-issued', 1000)).toBe('its trigger id is unknown to the client, or already used');
		});

		it('applies nothing of an answer whose trigger id it dropped, but still disposes the submitted view unless the answer is errors or an update (emitInteraction’s finally)', () => {
			const modals = opened();
			modals.handle(
				'u',
				{ type: 'errors', viewId: 'numbers', errors: { name: 'x' } },
				{ kind: 'viewSubmit', viewId: 'numbers' },
				false,
			);
			expect(modals.of('u')!.errors).toBeUndefined();
			modals.handle('u', { type: 'modal.update', view: form('numbers') }, { kind: 'blockAction', viewId: 'numbers' }, false);
			expect(modals.of('u')!.view.id).toBe('numbers');
			expect(modals.of('u')!.has('name')).toBe(false);
			modals.handle('u', { type: 'modal.update', view: form('numbers') }, { kind: 'viewSubmit', viewId: 'numbers' }, false);
			expect(modals.of('u')).toBeDefined();
			modals.handle('u', { success: true }, { kind: 'viewSubmit', viewId: 'numbers' }, false);
			expect(modals.of('u')).toBeUndefined();
			const pushed = new ClientModals();
			pushed.handle('u', { type: 'modal.open', view: list }, { kind: 'pushed' }, false);
			expect(pushed.of('u')).toBeUndefined();
		});

		it('closes the modal on top when it disposes a view it still holds, whichever view that modal shows (ModalStore: an instance’s close removes the current modal)', () => {
			const modals = opened();
			modals.handle('u', { type: 'modal.open', view: form('next') }, { kind: 'pushed' });
			modals.handle('u', { success: true }, { kind: 'viewSubmit', viewId: 'numbers' });
			expect(modals.of('u')).toBeUndefined();
			modals.handle('u', { type: 'modal.open', view: form('third') }, { kind: 'pushed' });
			modals.dispose('u', 'numbers');
			expect(modals.of('u')!.view.id).toBe('third');
		});

		it('lets a user act only in the modal open (one UIKit modal at a time)', () => {
			const modals = opened();
			expect(modals.acting('u', 'numbers').view.id).toBe('numbers');
			expect(() => modals.acting('u', 'edit:1')).toThrow(/cannot act in modal edit:1: the modal open is numbers/);
			expect(() => modals.acting('v', 'numbers')).toThrow(/no modal is open/);
		});
	});
});
