/**
 * Fidelity: the harness's model of Rocket.Chat's 7/8 web client (tools/harness/rc/uikit.ts), one
 * behaviour per test. Sources, in RocketChat/Rocket.Chat:
 * - packages/fuselage-ui-kit/src/elements/ButtonElement.tsx @ 18aac3d18c0df5102ea7ffc96989db23a0dd3e01
 * - packages/fuselage-ui-kit/src/hooks/useUiKitState.ts @ 000eb1dac36a6dc92cbaad4233003e1b24095f7e
 * - apps/meteor/client/uikit/hooks/useUiKitView.ts (7.x, commit unknown)
 * - packages/fuselage-ui-kit/src/utils/extractInitialStateFromLayout.ts
 */
import { assertClientRenders, ClientModal, clientIgnores } from '../../../tools/harness/rc/uikit';

const text = (value: string) => ({ type: 'plain_text', text: value });
const input = (id: string, element: Record<string, unknown>, block: Record<string, unknown> = {}) => ({ type: 'input', blockId: id, label: text(id), element: { actionId: id, ...element }, ...block });

describe('UIKit, as Rocket.Chat’s 7/8 client renders it', () => {
	it('never renders a button’s `confirm` (ButtonElement reads style, url, text, value, secondary only)', () => {
		const view = { id: 'v', blocks: [{ type: 'actions', blockId: 'a', elements: [{ type: 'button', actionId: 'rm', text: text('Remove'), confirm: { title: text('Sure?'), text: text('x'), confirm: text('Yes'), deny: text('No') } }] }] };
		expect(clientIgnores(view)).toEqual([expect.stringContaining('button rm: `confirm` is never rendered')]);
		expect(() => assertClientRenders(view)).toThrow('would not render view v');
		// The click sends the block action at once.
		expect(new ClientModal(view).dispatches('rm')).toBe(true);
	});

	it('does not read an input block’s `dispatchAction`; only the element’s `dispatchActionConfig` dispatches (useUiKitState)', () => {
		const relying = { id: 'v', blocks: [input('lang', { type: 'static_select', options: [] }, { dispatchAction: true })] };
		expect(clientIgnores(relying)).toEqual([expect.stringContaining('input block lang: `dispatchAction` on the block is not read')]);
		expect(new ClientModal(relying).dispatches('lang')).toBe(false);
		const element = { id: 'v', blocks: [input('lang', { type: 'static_select', options: [], dispatchActionConfig: ['on_item_selected'] })] };
		expect(clientIgnores(element)).toEqual([]);
		expect(new ClientModal(element).dispatches('lang')).toBe(true);
		// on_character_entered dispatches for a plain text input; without any config it only keeps state.
		expect(new ClientModal({ id: 'v', blocks: [input('t', { type: 'plain_text_input', dispatchActionConfig: ['on_character_entered'] })] }).dispatches('t')).toBe(true);
		expect(new ClientModal({ id: 'v', blocks: [input('t', { type: 'plain_text_input' })] }).dispatches('t')).toBe(false);
	});

	it('seeds the values from the first view only, keyed by action id (useUiKitView: useReducer init)', () => {
		const modal = new ClientModal({ id: 'v', blocks: [input('name', { type: 'plain_text_input', initialValue: 'Ana' })] });
		expect(modal.state).toEqual({ name: { name: 'Ana' } });
		// An element added by an update has no value in the state until the user changes it.
		modal.update({ id: 'v', blocks: [input('name', { type: 'plain_text_input', initialValue: 'Ana' }), input('city', { type: 'plain_text_input', initialValue: 'Lima' })] });
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
		modal.update({ id: 'v', blocks: [input('lang', { type: 'static_select', options: [], initialValue: 'pt_BR' }, { blockId: 'lang' }), input('lang:2', { type: 'static_select', options: [], initialValue: 'pt_BR' })] });
		expect(modal.shown('lang:2')).toBe('pt_BR');
	});

	it('keeps a value the user chose across updates, under the block id it was chosen in', () => {
		const modal = new ClientModal({ id: 'v', blocks: [input('tpl', { type: 'static_select', options: [] })] });
		modal.input('tpl', 'order_update');
		modal.update({ id: 'v', blocks: [{ ...input('tpl', { type: 'static_select', options: [] }), blockId: 'tpl-2' }] });
		expect(modal.state).toEqual({ tpl: { tpl: 'order_update' } });
	});

	it('reads initialOption and initialOptions as initial values (getInitialValue)', () => {
		const modal = new ClientModal({ id: 'v', blocks: [input('one', { type: 'static_select', initialOption: { value: 'a' } }), input('many', { type: 'multi_static_select', initialOptions: [{ value: 'x' }, { value: 'y' }] })] });
		expect(modal.state).toEqual({ one: { one: 'a' }, many: { many: ['x', 'y'] } });
	});
});
