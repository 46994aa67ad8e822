/**
 * Sends whose process died after Meta accepted them (a restart, a crash: the engine stops the app's
 * runtime between Meta's answer and the write of its link) are pending in the send log, with no
 * wamid. Meta's statuses of them say what the answer would have: each echoes its send's batch key
 * (`biz_opaque_callback_data`) and names its recipient (`recipient_id`) and its wamid. Pure.
 */

/** What is read of a status Meta sent (core/status/webhook.ts StatusEvent). */
export interface AcceptedStatusView {
	wamid: string;
	phoneNumberId: string;
	recipientId: string;
	recipientUserId?: string;
	recipientType?: string;
	bizOpaqueCallbackData?: string;
}

/** What is read of a record of the send log (core/app SentMessage). */
export interface SendView {
	mobileNo: string;
	wamid?: string;
}

/**
 * The wamids Meta gave sends of `batch` from `phoneNumberId`, by recipient, as its statuses tell.
 * Only statuses from that number with that batch key count, none about a group, and not a wamid a
 * record of the batch (`records`) is linked to already (another send's). A recipient is matched by
 * its digits as Meta writes them (`recipient_id`, the contact's wa_id): one whose wa_id differs from
 * the number sent to (some countries' formats) is not found. A recipient sent to by their
 * business-scoped user id is matched by it (`recipient_user_id`). A recipient with more than one wamid
 * is two sends to one recipient in one batch, which no sender makes today (a reply's several files
 * could share a batch, `FreeFormMessage.batch`): the caller takes neither.
 */
export function acceptedByMeta(
	batch: string,
	phoneNumberId: string,
	statuses: AcceptedStatusView[],
	records: SendView[],
): Map<string, string[]> {
	const linked = new Set(records.map((record) => record.wamid).filter(Boolean));
	const byTo = new Map<string, string[]>();
	for (const status of statuses) {
		if (status.bizOpaqueCallbackData !== batch || status.phoneNumberId !== phoneNumberId) continue;
		if (status.recipientType === 'group' || linked.has(status.wamid)) continue;
		// A send to a BSUID is found by it: Meta names it on every status of such a send
		// (`recipient_user_id`), and its phone number in `recipient_id` only when it may.
		for (const to of new Set([status.recipientId, status.recipientUserId ?? status.recipientId])) {
			const wamids = byTo.get(to) ?? [];
			if (!wamids.includes(status.wamid)) byTo.set(to, [...wamids, status.wamid]);
		}
	}
	return byTo;
}

/** The one wamid `accepted` names for `to`; undefined for none, or for more than one. */
export function onlyWamid(accepted: Map<string, string[]>, to: string): string | undefined {
	const wamids = accepted.get(to);
	return wamids?.length === 1 ? wamids[0] : undefined;
}
