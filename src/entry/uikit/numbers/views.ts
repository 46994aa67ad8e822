/**
 * The connect / edit form, the list of connected numbers and the question before a disconnect, as
 * pure functions returning views. All are states of one modal (`NUMBERS_VIEW`, or an id of its own
 * when a button opens it in the list's place: see ./ids.ts); each
 * sets its own submit and close button, since Rocket.Chat's client merges an update into the view
 * it shows (`{ ...view, ...update }`, useUiKitView) and would keep the previous state's buttons.
 */
import { CALLBACK_URL_WARNINGS, callbackUrlProblem } from '../../../core/numbers/callbackUrl';
import { ConnectedNumber, maskSecret } from '../../../core/numbers/ConnectedNumber';
import { Sightings, standingNotes } from '../../../core/numbers/sightings';
import { Translator } from '../../../core/i18n/translate';
import { actions, Block, button, context, divider, input, section, text } from '../blocks';
import { CONNECT_FIELDS, NUMBERS_VIEW, NumberAction, NumberMode, submitActionId } from './ids';

type Field = (typeof CONNECT_FIELDS)[number];

const OPTIONAL: Field[] = ['departmentId', 'welcomeMessage', 'conversationFinishedMessage', 'offlineMessage'];
const MULTILINE: Field[] = ['welcomeMessage', 'conversationFinishedMessage', 'offlineMessage'];
const SECRET: Field[] = ['accessToken', 'appSecret'];

export interface WebhookInfo {
	callbackUrl: string;
	verifyToken: string;
}

/**
 * The names of the numbers' departments, by the value stored (`departmentId`: an ID, or a name
 * typed before the form resolved them), as Rocket.Chat's livechat reader finds them
 * (getLivechatDepartmentByIdOrName; adapters/rocketchat/departments.ts). A department it does not
 * find (deleted since, or the lookup failed) is missing: its stored value is shown instead.
 */
export type DepartmentNames = Readonly<Record<string, string>>;

/** How a number's department reads: its name, else what is stored. */
const departmentLabel = (departmentId: string, names: DepartmentNames = {}): string =>
	Object.prototype.hasOwnProperty.call(names, departmentId) && names[departmentId] ? names[departmentId] : departmentId;

/**
 * The connect form, or the edit form of `editing` (its department by name when `departments` has
 * it: the submit resolves a name again, NumberInteractions.ts keeps the stored ID when it is unchanged).
 */
export function connectView(t: Translator, editing?: ConnectedNumber, departments?: DepartmentNames): Record<string, unknown> {
	const initial = (field: Field): string => {
		const value = (editing?.[field] as string | undefined) ?? '';
		return field === 'departmentId' && value ? departmentLabel(value, departments) : value;
	};
	const blocks: Block[] = CONNECT_FIELDS.map((field) =>
		input({
			blockId: field,
			actionId: field,
			label: t(`connect_field_${field}`),
			placeholder:
				editing && SECRET.includes(field)
					? t('connect_secret_keep', { masked: maskSecret(editing[field] as string) })
					: t(`connect_field_${field}_placeholder`),
			// Secrets are never sent back to the client, not even to the admin who typed them.
			initialValue: editing && !SECRET.includes(field) ? initial(field) : undefined,
			optional: OPTIONAL.includes(field) || Boolean(editing && SECRET.includes(field)),
			multiline: MULTILINE.includes(field),
		}),
	);
	return {
		id: NUMBERS_VIEW,
		type: 'modal',
		title: text(editing ? t('connect_title_edit') : t('connect_title')),
		blocks: [section(t('connect_intro')), ...blocks],
		submit: {
			type: 'button',
			actionId: editing ? submitActionId(NumberMode.Edit, editing.phoneNumberId) : submitActionId(NumberMode.Connect),
			text: text(t(editing ? 'connect_submit_edit' : 'connect_submit')),
			style: 'primary',
		},
		close: { type: 'button', actionId: 'close', text: text(t('cancel')) },
	};
}

/** An ISO time as the numbers list shows it: "2026-12-08 20:15 UTC". */
const utcMinute = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/**
 * What Meta said of a number's token and of its account's webhooks when it was saved, as notes
 * under it (ConnectedNumber `webhooksUnsubscribed`, `webhooksToOtherApps`, `tokenExpiresAt`,
 * `tokenMissingPermissions`): a token past its expiry at `now` reads as expired, and a note of the
 * webhooks that webhooks received since contradict is left out (core/numbers/sightings.ts).
 */
function metaNotes(t: Translator, n: ConnectedNumber, now: Date, sightings: Sightings): Block[] {
	const notes: string[] = [];
	const standing = standingNotes(n, sightings);
	if (standing.webhooksUnsubscribed) notes.push(t('numbers_webhooks_unsubscribed', { wabaId: n.wabaId }));
	else if (standing.webhooksToOtherApps?.length)
		notes.push(t('numbers_webhooks_other_apps', { wabaId: n.wabaId, apps: standing.webhooksToOtherApps.join(', ') }));
	const expiresAt = n.tokenExpiresAt ? Date.parse(n.tokenExpiresAt) : NaN;
	if (!Number.isNaN(expiresAt))
		notes.push(
			t(expiresAt <= now.getTime() ? 'numbers_token_expired' : 'numbers_token_expires', {
				date: utcMinute(new Date(expiresAt).toISOString()),
			}),
		);
	if (n.tokenMissingPermissions?.length)
		notes.push(t('numbers_token_permissions', { permissions: n.tokenMissingPermissions.join(', ') }));
	return notes.map((note) => context(note));
}

export function numbersView({
	t,
	numbers,
	webhook,
	notice,
	departments,
	now = new Date(),
	sightings = new Map(),
}: {
	t: Translator;
	numbers: ConnectedNumber[];
	webhook: WebhookInfo;
	notice?: string;
	/** The departments' names (DepartmentNames); without them, the stored values are shown. */
	departments?: DepartmentNames;
	/** The time a token's expiry is read against (expires, or expired). */
	now?: Date;
	/** What webhooks showed of the accounts' subscriptions since the numbers were saved. */
	sightings?: Sightings;
}): Record<string, unknown> {
	const blocks: Block[] = notice ? [section(notice), divider()] : [];
	if (!numbers.length) blocks.push(section(t('numbers_empty')));
	for (const n of numbers) {
		blocks.push(
			section(
				t('numbers_entry', {
					name: n.verifiedName || n.displayPhoneNumber,
					display: n.displayPhoneNumber,
					phoneNumberId: n.phoneNumberId,
					wabaId: n.wabaId,
					token: maskSecret(n.accessToken),
					secret: maskSecret(n.appSecret),
					department: n.departmentId ? departmentLabel(n.departmentId, departments) : t('numbers_no_department'),
				}),
			),
			// Calls to Meta without the secret's proof (ConnectedNumber `appSecretProven`): saved by an earlier version, or Meta refused the proof.
			...(n.appSecretProven ? [] : [context(t('numbers_secret_unchecked'))]),
			...metaNotes(t, n, now, sightings),
			actions(`number:${n.phoneNumberId}`, [
				button({ actionId: NumberAction.Edit, label: t('numbers_edit'), value: n.phoneNumberId }),
				// Asks first, in a modal (disconnectView): Rocket.Chat's client ignores a button's `confirm`.
				button({ actionId: NumberAction.Disconnect, label: t('numbers_disconnect'), value: n.phoneNumberId, style: 'danger' }),
			]),
			divider(),
		);
	}
	blocks.push(
		actions('numbers-footer', [button({ actionId: NumberAction.Connect, label: t('numbers_connect_another'), style: 'primary' })]),
	);
	blocks.push(context(t('webhook_info', { url: webhook.callbackUrl, token: webhook.verifyToken })));
	// A URL Meta refuses (no Site URL, or not https): said next to it, with where to fix it.
	const problem = callbackUrlProblem(webhook.callbackUrl);
	if (problem) blocks.push(context(t(CALLBACK_URL_WARNINGS[problem])));
	return {
		id: NUMBERS_VIEW,
		type: 'modal',
		title: text(t('numbers_title')),
		blocks,
		// Done closes the modal (the client disposes a modal whose submit is not answered with an update or errors).
		submit: { type: 'button', actionId: submitActionId(NumberMode.List), text: text(t('numbers_done')), style: 'primary' },
		close: { type: 'button', actionId: 'close', text: text(t('close')) },
	};
}

/** What was saved, where the list that would follow could not be drawn; Done closes it, as under the list. */
export function savedView(t: Translator, notice: string | undefined): Record<string, unknown> {
	return {
		id: NUMBERS_VIEW,
		type: 'modal',
		title: text(t('numbers_title')),
		blocks: [...(notice ? [section(notice)] : []), context(t('numbers_list_failed'))],
		submit: { type: 'button', actionId: submitActionId(NumberMode.List), text: text(t('numbers_done')), style: 'primary' },
		close: { type: 'button', actionId: 'close', text: text(t('close')) },
	};
}

/**
 * The question before a number is disconnected. Only this modal's submit disconnects; its close
 * (Cancel) leaves the number connected.
 */
export function disconnectView(t: Translator, number: ConnectedNumber): Record<string, unknown> {
	return {
		id: NUMBERS_VIEW,
		type: 'modal',
		title: text(t('numbers_disconnect_confirm_title')),
		blocks: [
			section(
				t('numbers_entry_short', {
					name: number.verifiedName || number.displayPhoneNumber,
					display: number.displayPhoneNumber,
					phoneNumberId: number.phoneNumberId,
				}),
			),
			section(t('numbers_disconnect_confirm_text', { display: number.displayPhoneNumber })),
		],
		submit: {
			type: 'button',
			actionId: submitActionId(NumberMode.Disconnect, number.phoneNumberId),
			text: text(t('numbers_disconnect')),
			style: 'danger',
		},
		close: { type: 'button', actionId: 'close', text: text(t('cancel')) },
	};
}
