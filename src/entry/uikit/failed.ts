/**
 * What the user sees when a UIKit handler fails unexpectedly (the host refused a persistence read,
 * say). Thrown, the error would reach Rocket.Chat, which answers the client 500 `{ error: message }`
 * (apps/meteor/app/apps/server/communication/uikit.ts), and the 7/8 client swallows every error but
 * its own timeout (apps/meteor/client/lib/ActionManager.ts @ 4f8d336a6731f375e017c8422d678bc896d9649d
 * `runWithTimeout`): the click would do nothing, without a word. Instead the error is logged by name
 * (its message may carry a contact's data) and the user is told where the client shows it:
 * - a submit: the submitted view again, with the notice on top. A modal.update keeps the modal open
 *   (a submit answered otherwise disposes it) and what was typed (the client seeds its values once).
 * - a block action in a modal: a field error under an input of the modal (the element changed, or
 *   the one its flow names for a button: the client shows errors under inputs only), worded for a
 *   change, as it stays shown until the next errors come (useUiKitView keeps them through updates);
 *   or, where the modal has no input for it (the numbers list), a small modal in its place.
 * - a close, or an action outside a modal: nothing left to show it in; logged only.
 */
import { ILogger } from '@rocket.chat/apps-engine/definition/accessors';
import { IUIKitResponse, UIKitInteractionContext } from '@rocket.chat/apps-engine/definition/uikit';

import { translator, Translator } from '../../core/i18n/translate';
import { Block, section, text } from './blocks';

/** The block of the notice; a notice already shown is replaced, not stacked. */
export const FAILED_BLOCK = 'app-failed';

export type Failure =
	| { kind: 'submit'; view: { id: string; blocks?: unknown; state?: unknown } & Record<string, unknown> }
	/** `errorOn`: the action id of the input the notice goes under; undefined: a modal in place of the one acted in. */
	| { kind: 'action'; viewId?: string; errorOn?: string }
	| { kind: 'close' };

/**
 * The answer to `failure`, with the notice in the user's language: by default that something went
 * wrong; `words` for a refusal told the same way (a modal's title when one opens, and the notice).
 */
export function failedAnswer(
	context: UIKitInteractionContext,
	failure: Failure,
	t: Translator,
	words: { title: string; notice: string } = { title: t('error_title'), notice: t('error_internal_retry') },
): IUIKitResponse {
	const responder = context.getInteractionResponder();
	const { notice } = words;
	switch (failure.kind) {
		case 'submit': {
			const { state: _state, ...view } = failure.view;
			const blocks = (Array.isArray(view.blocks) ? (view.blocks as Block[]) : []).filter((block) => block?.blockId !== FAILED_BLOCK);
			return responder.updateModalViewResponse({
				...view,
				blocks: [{ ...section(notice), blockId: FAILED_BLOCK }, ...blocks],
			} as never);
		}
		case 'action':
			if (!failure.viewId) return responder.errorResponse();
			if (failure.errorOn)
				return responder.viewErrorResponse({ viewId: failure.viewId, errors: { [failure.errorOn]: t('error_internal_change') } });
			// Under an id of its own: a modal.open with the id on screen keeps that modal (numbers/ids.ts).
			return responder.openModalViewResponse({
				id: `${failure.viewId}:failed:${Date.now().toString(36)}`,
				type: 'modal',
				title: text(words.title),
				blocks: [{ ...section(notice), blockId: FAILED_BLOCK }],
				close: { type: 'button', actionId: 'close', text: text(t('close')) },
			} as never);
		case 'close':
			return responder.successResponse();
	}
}

/**
 * Runs the handler `run`; when it throws, logs `what` with the error's name and answers as
 * `failedAnswer` does (`translate` gives the user's language, or the default when that fails too).
 */
export async function answering(
	spec: { context: UIKitInteractionContext; failure: Failure; what: string; logger: ILogger; translate: () => Promise<Translator> },
	run: () => Promise<IUIKitResponse>,
): Promise<IUIKitResponse> {
	try {
		return await run();
	} catch (error) {
		spec.logger.error(`${spec.what} failed: ${error instanceof Error ? error.name : 'error'}`);
		const t = await spec.translate().catch(() => undefined);
		return failedAnswer(spec.context, spec.failure, t ?? translator(undefined));
	}
}
