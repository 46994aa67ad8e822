/**
 * Small builders for UIKit blocks (Rocket.Chat's ui-kit JSON). Views are plain data built by pure
 * functions, so tests can read them and the engine sends them to the client unchanged.
 */
export type Block = Record<string, unknown>;

export const text = (value: string) => ({ type: 'plain_text', text: value, emoji: true });
export const markdown = (value: string) => ({ type: 'mrkdwn', text: value });

export function section(value: string, accessory?: Block): Block {
	return { type: 'section', text: markdown(value), ...(accessory ? { accessory } : {}) };
}

export function context(...values: string[]): Block {
	return { type: 'context', elements: values.map((v) => markdown(v)) };
}

export const divider = (): Block => ({ type: 'divider' });

export function input(spec: {
	blockId: string;
	actionId: string;
	label: string;
	placeholder?: string;
	initialValue?: string;
	optional?: boolean;
	multiline?: boolean;
	hint?: string;
}): Block {
	return {
		type: 'input',
		blockId: spec.blockId,
		optional: Boolean(spec.optional),
		label: text(spec.label),
		...(spec.hint ? { hint: text(spec.hint) } : {}),
		element: {
			type: 'plain_text_input',
			actionId: spec.actionId,
			multiline: Boolean(spec.multiline),
			...(spec.placeholder ? { placeholder: text(spec.placeholder) } : {}),
			...(spec.initialValue !== undefined ? { initialValue: spec.initialValue } : {}),
		},
	};
}

/**
 * A button. It has no `confirm`: Rocket.Chat's 7/8 client (fuselage-ui-kit ButtonElement) never
 * renders one, so a button that must be confirmed opens a confirmation modal instead.
 */
export function button(spec: { actionId: string; label: string; value?: string; style?: 'primary' | 'danger' }): Block {
	return {
		type: 'button',
		actionId: spec.actionId,
		text: text(spec.label),
		...(spec.value !== undefined ? { value: spec.value } : {}),
		...(spec.style ? { style: spec.style } : {}),
	};
}

export function actions(blockId: string, elements: Block[]): Block {
	return { type: 'actions', blockId, elements };
}

/** Reads `view.state[blockId][actionId]` as a string ('' when absent). */
export function stateValue(state: unknown, blockId: string, actionId: string): string {
	const value = (state as Record<string, Record<string, unknown>> | undefined)?.[blockId]?.[actionId];
	return typeof value === 'string' ? value : '';
}
