/**
 * An app's modal as Rocket.Chat's web client draws it: the blocks rendered by Rocket.Chat's own
 * renderer (`UiKitModal` of @rocket.chat/fuselage-ui-kit from npm) inside fuselage's Modal, framed as
 * Rocket.Chat 7.x frames it. Followed, in RocketChat/Rocket.Chat:
 * - apps/meteor/client/views/modal/uikit/ModalBlock.tsx: header (title, ×), the blocks in a form,
 *   footer with the view's `close` then `submit` button (submit primary, or danger for style danger);
 * - apps/meteor/client/uikit/hooks/useUiKitView.ts: the values are built from the FIRST view only
 *   (extractInitialStateFromLayout), keyed by action id; an update replaces the blocks, not the values;
 *   a submit sends `{ [blockId]: { [actionId]: value } }` built from them;
 * - apps/meteor/client/uikit/hooks/useModalContextValue.ts (commit 0fd718cd03c77f27dad08f03b828d217b5f5794e):
 *   a block action is emitted at once, or debounced 700 ms for `on_character_entered`; errors come from the
 *   last `errors` answer, keyed by action id.
 * The block actions, submits and closes go to the app through the engine (the sandbox's console API).
 */
import { Box, Button, ButtonGroup, Modal } from '@rocket.chat/fuselage';
import { kitContext, UiKitModal } from '@rocket.chat/fuselage-ui-kit';
import React, { useEffect, useMemo, useRef, useState } from 'react';

import { Json, post, Who } from './api';

type Values = Record<string, { value: unknown; blockId?: string }>;

function elementsOf(block: Json): Json[] {
	const list: Json[] = [];
	for (const key of ['element', 'accessory']) if (block[key] && typeof block[key] === 'object') list.push(block[key]);
	if (Array.isArray(block.elements)) list.push(...block.elements);
	return list;
}

/** fuselage-ui-kit's extractInitialStateFromLayout: each actionable element's initial value, by action id. */
function initialValues(blocks: Json[]): Values {
	const values: Values = {};
	for (const block of blocks) {
		for (const element of elementsOf(block)) {
			if (typeof element.actionId !== 'string') continue;
			const value =
				element.initialValue ??
				element.initialOption?.value ??
				(Array.isArray(element.initialOptions) ? element.initialOptions.map((o: Json) => o.value) : undefined);
			values[element.actionId] = { value, blockId: block.blockId };
		}
	}
	return values;
}

const text = (object: Json | undefined): string => String(object?.text ?? '');

export function UiKitModalView(props: { who: Who; view: Json; errors: Json | null; onAnswer: (answer: Json) => void }) {
	const { who, view } = props;
	const [values, setValues] = useState<Values>(() => initialValues(view.blocks ?? []));
	const [errors, setErrors] = useState<Record<string, string> | undefined>(props.errors ?? undefined);
	const valuesRef = useRef(values);
	valuesRef.current = values;
	const timers = useRef(new Map<string, number>());
	useEffect(() => setErrors(props.errors ?? undefined), [props.errors]);
	useEffect(() => () => timers.current.forEach((t) => window.clearTimeout(t)), []);

	const context = useMemo(
		() => ({
			appId: String(view.appId ?? ''),
			viewId: String(view.id),
			errors,
			values: values as Record<string, { value: string } | undefined>,
			state: ({ actionId, value, blockId }: { actionId: string; value: unknown; blockId?: string }) => {
				setValues((old) => ({ ...old, [actionId]: { value, blockId: blockId ?? old[actionId]?.blockId ?? 'default' } }));
			},
			action: async ({
				actionId,
				blockId,
				value,
				dispatchActionConfig,
			}: {
				actionId: string;
				blockId: string;
				value: unknown;
				dispatchActionConfig?: string[];
			}) => {
				const emit = async () =>
					props.onAnswer(await post('/sandbox/ui/action', { user: who, viewId: view.id, actionId, blockId, value }));
				if (dispatchActionConfig?.includes('on_character_entered')) {
					window.clearTimeout(timers.current.get(actionId));
					timers.current.set(
						actionId,
						window.setTimeout(() => void emit(), 700),
					);
					return;
				}
				await emit();
			},
		}),
		[view.appId, view.id, errors, values, who, props],
	);

	// A submit or close carries every value: typing's debounced block actions still waiting are dropped,
	// so none reaches the app for a view the submit closed.
	const dropPending = () => {
		timers.current.forEach((t) => window.clearTimeout(t));
		timers.current.clear();
	};
	const submit = async (event?: React.FormEvent) => {
		event?.preventDefault();
		dropPending();
		const state: Record<string, Record<string, unknown>> = {};
		for (const [actionId, { value, blockId }] of Object.entries(valuesRef.current)) {
			if (!blockId) continue;
			(state[blockId] ??= {})[actionId] = value;
		}
		const answer = await post('/sandbox/ui/submit', { user: who, viewId: view.id, state });
		if (answer.response?.type === 'errors') setErrors(answer.response.errors ?? {});
		props.onAnswer(answer);
	};
	const close = async () => {
		dropPending();
		props.onAnswer(await post('/sandbox/ui/close', { user: who, viewId: view.id }));
	};

	return (
		<Modal.Backdrop>
			<Modal open data-qa="uikit-modal" aria-label={text(view.title)}>
				<Modal.Header>
					<Modal.Title>{text(view.title)}</Modal.Title>
					<Modal.Close tabIndex={-1} onClick={() => void close()} />
				</Modal.Header>
				<Modal.Content>
					<Box is="form" method="post" action="#" onSubmit={(e: React.FormEvent) => void submit(e)}>
						<kitContext.Provider value={context as never}>{UiKitModal(view.blocks ?? [])}</kitContext.Provider>
					</Box>
				</Modal.Content>
				<Modal.Footer>
					<ButtonGroup align="end">
						{view.close ? <Button onClick={() => void close()}>{text(view.close.text)}</Button> : null}
						{view.submit ? (
							<Button
								primary={view.submit.style !== 'danger'}
								danger={view.submit.style === 'danger'}
								onClick={() => void submit()}
							>
								{text(view.submit.text)}
							</Button>
						) : null}
					</ButtonGroup>
				</Modal.Footer>
			</Modal>
		</Modal.Backdrop>
	);
}
