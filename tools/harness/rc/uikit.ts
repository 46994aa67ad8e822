/**
 * What Rocket.Chat's 7/8 web client does with an app's UIKit view (the server does not validate
 * blocks; the client renders them with fuselage-ui-kit). Sources, in RocketChat/Rocket.Chat:
 * - packages/fuselage-ui-kit/src/elements/ButtonElement.tsx @ 18aac3d18c0df5102ea7ffc96989db23a0dd3e01:
 *   a button's `confirm` is never read; the click fires the action at once.
 * - packages/fuselage-ui-kit/src/hooks/useUiKitState.ts @ 000eb1dac36a6dc92cbaad4233003e1b24095f7e:
 *   an element dispatches a block action only from its own `dispatchActionConfig` (or inside a
 *   section / actions block); an input BLOCK's `dispatchAction` is never read. The element's value
 *   is `useState(values[actionId]?.value ?? initialValue)`: seeded once, when it mounts. Errors are
 *   looked up by action id.
 * - apps/meteor/client/uikit/hooks/useUiKitView.ts (7.x, commit unknown): the view's values are
 *   `useReducer(reduceValues, initialView.blocks, extractInitialStateFromLayout)`: built from the
 *   FIRST view only, keyed by action id ({ value, blockId }); a view update replaces the blocks but
 *   not the values; the submitted `state` is `{ [blockId]: { [actionId]: value } }` from those values.
 * - packages/fuselage-ui-kit/src/utils/extractInitialStateFromLayout.ts: the initial value of each
 *   actionable element of a block's `element` or `elements` (initialValue, initialOption, initialOptions).
 */
import { randomUUID } from 'crypto';

import { Json } from '../world';

type Block = Json;
type Element = Json;

function elementsOf(block: Block): Element[] {
	const list: Element[] = [];
	for (const key of ['element', 'accessory']) if (block[key] && typeof block[key] === 'object') list.push(block[key] as Element);
	if (Array.isArray(block.elements)) list.push(...(block.elements as Element[]));
	return list;
}

/** getInitialValue of fuselage-ui-kit: initialValue, else initialOption's value, else initialOptions' values. */
function initialValueOf(element: Element): unknown {
	if (element.initialValue !== undefined) return element.initialValue;
	const option = element.initialOption as { value?: unknown } | undefined;
	if (option?.value !== undefined) return option.value;
	const options = element.initialOptions as Array<{ value?: unknown }> | undefined;
	return Array.isArray(options) ? options.map((o) => o.value) : undefined;
}

/**
 * What the app expects of a view that the client will not do: a button `confirm` (never shown) and
 * an input block whose `dispatchAction` is the only thing asking for block actions (never read).
 * Empty when the view renders as the app means it.
 */
export function clientIgnores(view: Json): string[] {
	const problems: string[] = [];
	for (const block of (view.blocks as Block[] | undefined) ?? []) {
		for (const element of elementsOf(block)) {
			if (element.type === 'button' && element.confirm)
				problems.push(
					`button ${String(element.actionId)}: \`confirm\` is never rendered by Rocket.Chat's client; the action fires on the first click`,
				);
		}
		if (block.type === 'input' && block.dispatchAction) {
			const element = block.element as Element | undefined;
			if (!Array.isArray(element?.dispatchActionConfig) || !(element.dispatchActionConfig as unknown[]).length) {
				problems.push(
					`input block ${String(block.blockId)}: \`dispatchAction\` on the block is not read by Rocket.Chat's client; only the element's \`dispatchActionConfig\` dispatches`,
				);
			}
		}
	}
	for (const key of ['submit', 'close']) {
		const button = view[key] as Json | undefined;
		if (button?.confirm) problems.push(`${key} button: \`confirm\` is never rendered by Rocket.Chat's client`);
	}
	return problems;
}

/** Fails (throws) when `clientIgnores` finds anything: for tests that show a view to a user. */
export function assertClientRenders(view: Json): void {
	const problems = clientIgnores(view);
	if (problems.length)
		throw new Error(`Rocket.Chat's client would not render view ${String(view.id)} as the app expects:\n${problems.join('\n')}`);
}

/**
 * One modal as Rocket.Chat's client holds it: the values are seeded from the first view only and
 * kept across updates, by action id; what an element shows is seeded when it mounts; the state a
 * submit sends comes from the values. Tests drive it like a user: `open`, `update` (the app's
 * modal.update), `input` (the user types or selects), then read `state` and `shown`.
 */
export class ClientModal {
	view: Json;
	/** The field errors of the last `errors` answer (viewErrorResponse), keyed by action id. */
	errors?: Json;
	private readonly values: Record<string, { value: unknown; blockId?: string }> = {};
	/** What each mounted element shows: seeded when it first appears, kept while it stays. */
	private readonly mounted = new Map<string, unknown>();

	constructor(view: Json) {
		this.view = view;
		for (const block of this.blocks()) {
			for (const element of elementsOf(block)) {
				if (typeof element.actionId === 'string')
					this.values[element.actionId] = { value: initialValueOf(element), blockId: block.blockId as string | undefined };
			}
		}
		this.mount();
	}

	private blocks(): Block[] {
		return (this.view.blocks as Block[] | undefined) ?? [];
	}

	private mount(): void {
		const present = new Set<string>();
		for (const block of this.blocks()) {
			for (const element of elementsOf(block)) {
				const id = element.actionId as string | undefined;
				if (!id) continue;
				present.add(id);
				if (!this.mounted.has(id)) this.mounted.set(id, this.values[id]?.value ?? initialValueOf(element));
			}
		}
		for (const id of [...this.mounted.keys()]) if (!present.has(id)) this.mounted.delete(id);
	}

	/** The app answered with a modal.update: new blocks, the same values. */
	update(view: Json): void {
		if (view.id !== undefined && view.id !== this.view.id)
			throw new Error(`ClientModal: an update for view ${String(view.id)} reached view ${String(this.view.id)}`);
		this.view = { ...this.view, ...view };
		this.mount();
	}

	/** The user typed or selected `value` in the element `actionId` (of the block it is in). */
	input(actionId: string, value: unknown): void {
		const block = this.blocks().find((b) => elementsOf(b).some((e) => e.actionId === actionId));
		if (!block) throw new Error(`ClientModal: no element ${actionId} in view ${String(this.view.id)}`);
		this.values[actionId] = { value, blockId: block.blockId as string | undefined };
		this.mounted.set(actionId, value);
	}

	/** Whether the view has an element `actionId` now. */
	has(actionId: string): boolean {
		return this.mounted.has(actionId);
	}

	/** What the element `actionId` shows now (undefined when it is not in the view). */
	shown(actionId: string): unknown {
		return this.mounted.get(actionId);
	}

	/** The `view.state` a submit sends: `{ [blockId]: { [actionId]: value } }` from the values. */
	get state(): Record<string, Record<string, unknown>> {
		const state: Record<string, Record<string, unknown>> = {};
		for (const [actionId, payload] of Object.entries(this.values)) {
			if (!payload.blockId) continue;
			(state[payload.blockId] ??= {})[actionId] = payload.value;
		}
		return state;
	}

	/** Whether the element `actionId` sends a block action when the user changes it. */
	dispatches(actionId: string): boolean {
		for (const block of this.blocks()) {
			const element = elementsOf(block).find((e) => e.actionId === actionId);
			if (!element) continue;
			if (element.type === 'button') return true;
			if (block.type === 'section' || block.type === 'actions') return true;
			const config = element.dispatchActionConfig as string[] | undefined;
			return (
				Array.isArray(config) &&
				(config.includes('on_item_selected') || (element.type === 'plain_text_input' && config.includes('on_character_entered')))
			);
		}
		return false;
	}
}

/**
 * How long Rocket.Chat's web client keeps a trigger id (apps/meteor/client/lib/ActionManager.ts @
 * 4f8d336a6731f375e017c8422d678bc896d9649d `TRIGGER_TIMEOUT`): 5 s from the user's action.
 */
export const TRIGGER_TIMEOUT_MS = 5000;

/** A server interaction the client dropped, and why (a test or a failure message says it). */
export interface DroppedInteraction {
	userId: string;
	type: string;
	origin: InteractionOrigin['kind'];
	reason: string;
}

/**
 * The trigger ids a user's client issued (ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d):
 * the client makes one for each action before it is sent (`generateTriggerId`: a slash command,
 * processSlashCommand.ts; a block action, submit or close, `emitInteraction`) and forgets it 5 s
 * later. Every server interaction, the answer to the action or one an app pushed
 * (`modify.getUiController()`, the `uiInteraction` stream), goes through `handleServerInteraction`,
 * which takes its trigger id out first: one unknown (another client's, or none), already used, or
 * older than 5 s makes the client drop the interaction, silently.
 */
export class ClientTriggers {
	private readonly issued = new Map<string, { userId: string; at: number }>();

	/** The client issues a trigger id for `userId`'s action at `at` (now); `id` when the test names it. */
	issue(userId: string, at = Date.now(), id: string = randomUUID()): string {
		// The client's own timer forgets each one after 5 s; kept a minute here, to say why one came too late.
		for (const [old, trigger] of this.issued) if (at - trigger.at >= 60000) this.issued.delete(old);
		this.issued.set(id, { userId, at });
		return id;
	}

	/** `invalidateTriggerId` for an interaction that reaches `userId`'s client at `at`: why it is dropped, or undefined when it is taken. */
	take(userId: string, id: unknown, at: number): string | undefined {
		const trigger = typeof id === 'string' ? this.issued.get(id) : undefined;
		if (!trigger || trigger.userId !== userId)
			return typeof id === 'string' ? 'its trigger id is unknown to the client, or already used' : 'it has no trigger id';
		this.issued.delete(id as string);
		if (at - trigger.at >= TRIGGER_TIMEOUT_MS)
			return `it came ${at - trigger.at} ms after the user's action; the client forgets a trigger id after ${TRIGGER_TIMEOUT_MS} ms`;
		return undefined;
	}
}

/** Where a server interaction came from: the HTTP answer to the user's block action, submit or close, or pushed (`modify.getUiController()`). */
export type InteractionOrigin =
	| { kind: 'blockAction'; viewId?: string }
	| { kind: 'viewSubmit'; viewId: string }
	| { kind: 'viewClosed'; viewId: string }
	| { kind: 'pushed' };

const CLIENT_SOURCE =
	'apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d (handleServerInteraction emits modal.update and errors on the view id they carry) and apps/meteor/client/uikit/hooks/useUiKitView.ts @ aa405742253efb45174d6b0de3c30c0fbcbf4c1f (the open modal listens on its own view id)';

const SAME_KEY_SOURCE =
	'apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d openModal: `imperativeModal.open({ component: UiKitModal, props: { key: view.id, initialView: view } })`; packages/ui-client imperativeModal mapCurrentModal: `createElement(component, { key: Math.random(), ...props })`, so the React key is the view id; apps/meteor/client/uikit/hooks/useUiKitView.ts: `useState(initialView)`, read on mount only';

/**
 * The modals Rocket.Chat's 7/8 web client holds, one per user (a browser shows one UIKit modal at a
 * time), and what it does with each server interaction. Sources, in RocketChat/Rocket.Chat:
 * - apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d:
 *   `handleServerInteraction` opens a modal on `modal.open` (`openModal` → `imperativeModal.open`),
 *   emits `modal.update` on `view.id` and `errors` on `viewId`, and does nothing on `modal.close`.
 *   After a `viewSubmit` it disposes the submitted view unless the answer is `errors`, `modal.update`
 *   or `contextual_bar.update`; after a `viewClosed`, unless it is `errors`.
 * - apps/meteor/client/uikit/hooks/useUiKitView.ts @ aa405742253efb45174d6b0de3c30c0fbcbf4c1f: the
 *   open modal listens with `actionManager.on(viewId, …)` on ITS OWN view id, and merges an update
 *   into its view (`{ ...view, ...update }`). An update or errors for another id reach no listener:
 *   the client drops them and the user sees nothing change.
 * - packages/ui-client/src/providers/ModalProvider/ModalStore.ts @ aa405742253efb45174d6b0de3c30c0fbcbf4c1f:
 *   `open` erases the stack (the new modal replaces the open one, a new UiKitModal with values
 *   seeded from the new view, when its view id differs: the same id keeps the modal on screen, see
 *   SAME_KEY_SOURCE); an instance's `close` removes the CURRENT top modal. So a submit
 *   answered with `modal.open` opens the new modal and then, disposing the submitted view, closes it:
 *   nothing is shown.
 * Where the harness would show the user nothing although the app meant to show something, it throws.
 */
export class ClientModals {
	private readonly open = new Map<string, ClientModal>();
	/** The view ids whose modal instance the client still holds, per user (ActionManager's `viewInstances`). */
	private readonly instances = new Map<string, Set<string>>();

	/** The modal open for `userId`, if any. */
	of(userId: string): ClientModal | undefined {
		return this.open.get(userId);
	}

	/**
	 * The user acts in the modal `viewId` (a block action, submit or close): only in the one open.
	 * Returns it.
	 */
	acting(userId: string, viewId: string): ClientModal {
		const modal = this.open.get(userId);
		if (!modal || modal.view.id !== viewId) {
			throw new Error(
				`The user cannot act in modal ${viewId}: ${modal ? `the modal open is ${String(modal.view.id)}` : 'no modal is open'} (Rocket.Chat's client holds one UIKit modal; ${CLIENT_SOURCE}).`,
			);
		}
		return modal;
	}

	/**
	 * What the client does with the server interaction `interaction` for `userId`: `taken` when its
	 * trigger id was (`ClientTriggers.take`), else only what `emitInteraction` does after an answer to
	 * a submit or a close whatever `handleServerInteraction` did with it (disposing the view).
	 */
	handle(userId: string, interaction: Json | undefined, origin: InteractionOrigin, taken = true): void {
		const type = interaction?.type as string | undefined;
		const view = interaction?.view as Json | undefined;
		const current = this.open.get(userId);
		if (!taken) {
			if (origin.kind === 'viewSubmit' && interaction && !['errors', 'modal.update', 'contextual_bar.update'].includes(String(type)))
				this.dispose(userId, origin.viewId);
			if (origin.kind === 'viewClosed' && interaction && type !== 'errors') this.dispose(userId, origin.viewId);
			return;
		}
		switch (type) {
			case 'modal.open':
				// openModal draws a UiKitModal keyed by the view id, which reads its view once, when it mounts:
				// opened with the id of the modal on screen, React keeps that modal and the new view is not shown.
				if (current && current.view.id === view?.id)
					throw new Error(
						`modal.open of view ${String(view?.id)} while the modal on screen has that id: Rocket.Chat's client keeps the modal it shows (${SAME_KEY_SOURCE}); the user sees nothing change. Give the new modal an id of its own.`,
					);
				this.open.set(userId, new ClientModal(view as Json));
				this.instancesOf(userId).add(String(view?.id));
				if (origin.kind === 'viewSubmit') {
					this.open.delete(userId);
					throw new Error(
						`A submit of modal ${origin.viewId} was answered with modal.open of ${String(view?.id)}: Rocket.Chat's client opens it and, disposing the submitted view, closes it at once; the user sees nothing (apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d emitInteraction; ModalStore.ts close removes the current modal). Answer a submit with modal.update of the same view id.`,
					);
				}
				return;
			case 'modal.update': {
				const id = view?.id as string | undefined;
				if (!current || current.view.id !== id) {
					throw new Error(
						`modal.update of view ${String(id)} answers ${origin.kind === 'pushed' ? 'nothing the user acted in' : `${origin.kind} in view ${String(origin.viewId)}`}, but the modal open is ${current ? String(current.view.id) : 'none'}: Rocket.Chat's client drops it, the user sees nothing change (${CLIENT_SOURCE}).`,
					);
				}
				current.update(view as Json);
				return;
			}
			case 'errors': {
				const id = interaction?.viewId as string | undefined;
				if (!current || current.view.id !== id)
					throw new Error(
						`errors for view ${String(id)} reach no open modal (open: ${current ? String(current.view.id) : 'none'}); Rocket.Chat's client drops them (${CLIENT_SOURCE}).`,
					);
				current.errors = interaction?.errors as Json;
				return;
			}
		}
		// modal.close, a success or an error without a view: the client only disposes after a submit or a close.
		if (origin.kind === 'viewSubmit' || origin.kind === 'viewClosed') this.dispose(userId, origin.viewId);
	}

	/**
	 * `disposeView(viewId)`: when the client still holds that view's instance, its `close` removes the
	 * CURRENT top modal (ModalStore.ts), whichever view it shows (one the app opened since, say).
	 */
	dispose(userId: string, viewId: string): void {
		if (!this.instancesOf(userId).delete(viewId)) return;
		this.open.delete(userId);
	}

	private instancesOf(userId: string): Set<string> {
		let set = this.instances.get(userId);
		if (!set) this.instances.set(userId, (set = new Set()));
		return set;
	}
}
