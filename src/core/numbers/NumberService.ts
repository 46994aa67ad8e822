/**
 * Connecting, editing and disconnecting WhatsApp numbers. Credentials are checked against the
 * Graph API before anything is saved; what is wrong is reported per form field.
 */
import { AppError, GraphApiError, isAppSecretRefusal, isRefusedToken } from '../errors';
import type { TokenInfo } from '../graph/GraphClient';
import { ConnectedNumber, ConnectForm, FieldErrors, NumberCredentials, TOKEN_PERMISSIONS, validateForm } from './ConnectedNumber';

export type { TokenInfo };

export interface NumberRepository {
	list(): Promise<ConnectedNumber[]>;
	get(phoneNumberId: string): Promise<ConnectedNumber | undefined>;
	save(number: ConnectedNumber): Promise<void>;
	/** Saves over the stored number, never creating it: false when it is gone. */
	replace(number: ConnectedNumber): Promise<boolean>;
	remove(phoneNumberId: string): Promise<boolean>;
}

/** The Graph calls the credential check makes (GraphClient provides them). */
export interface NumberGraph {
	getPhoneNumber(phoneNumberId: string): Promise<{ id: string; display_phone_number?: string; verified_name?: string }>;
	listPhoneNumbers(wabaId: string): Promise<Array<{ id: string }>>;
	/** The apps subscribed to the WABA's webhooks; undefined when Meta's answer holds no list. */
	listSubscribedApps(wabaId: string): Promise<unknown[] | undefined>;
	/** What Meta says of the token itself (GraphClient `debugToken`); undefined when it could not say. */
	debugToken(): Promise<TokenInfo | undefined>;
}

/** The notes a save takes from Meta's answers about the token and the account's webhooks. */
type AnswerNotes = Pick<
	ConnectedNumber,
	'webhooksUnsubscribed' | 'webhooksToOtherApps' | 'webhooksCheckedAt' | 'tokenExpiresAt' | 'tokenMissingPermissions' | 'tokenAppId'
>;

/** A note of the account's webhooks with the time of Meta's list it came from (none without a note). */
function withCheckedAt(
	notes: Pick<ConnectedNumber, 'webhooksUnsubscribed' | 'webhooksToOtherApps'>,
	at: string | undefined,
): Pick<ConnectedNumber, 'webhooksUnsubscribed' | 'webhooksToOtherApps' | 'webhooksCheckedAt'> {
	return notes.webhooksUnsubscribed || notes.webhooksToOtherApps?.length ? { ...notes, ...(at ? { webhooksCheckedAt: at } : {}) } : notes;
}

/** The token's notes from Meta's answer about it: its app, its expiry and the WhatsApp permissions it lacks. */
export function tokenNotes(token: TokenInfo): Pick<ConnectedNumber, 'tokenExpiresAt' | 'tokenMissingPermissions' | 'tokenAppId'> {
	const missing = token.scopes ? TOKEN_PERMISSIONS.filter((p) => !token.scopes?.includes(p)) : [];
	return {
		...(token.appId !== undefined ? { tokenAppId: token.appId } : {}),
		...(token.expiresAt !== undefined ? { tokenExpiresAt: new Date(token.expiresAt * 1000).toISOString() } : {}),
		...(missing.length ? { tokenMissingPermissions: missing } : {}),
	};
}

/**
 * The subscriptions' notes of a number from Meta's list of the apps subscribed to its WABA: none
 * (`webhooksUnsubscribed`), or none of them the token's app (`webhooksToOtherApps`: their names and
 * IDs), when that app is known (`tokenAppId`: Meta told it, and took the secret's proof for the
 * token). An entry without an app ID tells nothing.
 */
export function subscriptionNotes(
	apps: unknown[],
	tokenAppId: string | undefined,
): Pick<ConnectedNumber, 'webhooksUnsubscribed' | 'webhooksToOtherApps'> {
	if (!apps.length) return { webhooksUnsubscribed: true };
	if (tokenAppId === undefined) return {};
	const subscribed = apps.map((entry) => {
		const data = (entry as { whatsapp_business_api_data?: { id?: unknown; name?: unknown } } | null)?.whatsapp_business_api_data;
		const id = typeof data?.id === 'string' || typeof data?.id === 'number' ? String(data.id) : undefined;
		return { id, name: typeof data?.name === 'string' ? data.name : undefined };
	});
	if (subscribed.some((app) => app.id === undefined || app.id === tokenAppId)) return {};
	return { webhooksToOtherApps: subscribed.map((app) => (app.name ? `${app.name} (${app.id})` : String(app.id))) };
}

/**
 * The template cache's mark of a WABA's last list fetch on a miss (templates/catalog.ts `find`): for
 * a minute after it the list is not fetched again on a miss, and after a failed fetch such a miss is
 * answered from the mark, Meta's refusal of the number's token among it. A number connected or
 * edited has just been checked against Meta: the mark of its WABA (and of the WABA an edit moved it
 * from) is forgotten, whatever it says, so the next such send fetches the list again at once (one
 * list request more when the last fetch had succeeded).
 */
export interface MissRefetchMarks {
	forgetMissRefetch(wabaId: string): Promise<void>;
}

/** How long a connect waits for the subscriptions' and the token's answers once the credential checks are done. */
export const SUBSCRIPTIONS_GRACE_MS = 1000;

/** The promise's value, or undefined when it takes longer than `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: ReturnType<typeof setTimeout> | undefined;
	const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
	return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export type ConnectResult = { ok: true; number: ConnectedNumber; created: boolean } | { ok: false; errors: FieldErrors };

export class NumberService {
	constructor(
		private readonly repository: NumberRepository,
		private readonly graphFor: (credentials: NumberCredentials) => NumberGraph,
		private readonly now: () => Date = () => new Date(),
		private readonly missRefetchMarks?: MissRefetchMarks,
	) {}

	list(): Promise<ConnectedNumber[]> {
		return this.repository.list();
	}

	get(phoneNumberId: string): Promise<ConnectedNumber | undefined> {
		return this.repository.get(phoneNumberId);
	}

	/**
	 * Saves a new number, or the edit of `editing` (whose empty secrets are kept). Meta is asked
	 * whether the token sees the number and whether the number belongs to the WABA, and which apps
	 * are subscribed to the WABA's webhooks: none is noted on the number and on the other numbers of
	 * the WABA (`webhooksUnsubscribed`, the numbers list warns). An answer that fails, or comes more
	 * than SUBSCRIPTIONS_GRACE_MS after the checks, never stops the save nor holds it up longer; the
	 * number then takes the note of its account as it was (its own, or another number's of the
	 * WABA). Once saved, the WABA's mark of its last template list fetch on a miss is forgotten
	 * (`MissRefetchMarks`; best effort: the number is connected either way).
	 */
	async connect(form: ConnectForm, by: string, editing?: string): Promise<ConnectResult> {
		const existing = editing ? await this.repository.get(editing) : undefined;
		if (editing && !existing) return { ok: false, errors: { phoneNumberId: 'error_number_not_connected' } };
		const errors = validateForm(form, existing);
		if (Object.keys(errors).length) return { ok: false, errors };
		// A new number, or an edit that changes the ID, must not overwrite another connected number.
		if (existing?.phoneNumberId !== form.phoneNumberId && (await this.repository.get(form.phoneNumberId))) {
			return { ok: false, errors: { phoneNumberId: 'error_number_already_connected' } };
		}
		const accessToken = form.accessToken || (existing as ConnectedNumber).accessToken;
		const appSecret = form.appSecret || (existing as ConnectedNumber).appSecret;

		let proven = true;
		let checked = await this.checkCredentials(form, { accessToken, appSecret, appSecretProven: true });
		// A number saved by an earlier version called Meta without the proof: one whose token is of another
		// Meta app than the secret that signs its webhooks worked so. An edit that leaves both as they are is
		// checked again without it and saved as it was, unproven (the list keeps saying so).
		if (
			!checked.ok &&
			checked.errors.appSecret === 'error_app_secret_refused' &&
			existing &&
			!existing.appSecretProven &&
			!form.accessToken &&
			!form.appSecret
		) {
			proven = false;
			checked = await this.checkCredentials(form, { accessToken, appSecret, appSecretProven: false });
		}
		if (!checked.ok) return checked;

		const number: ConnectedNumber = {
			phoneNumberId: form.phoneNumberId,
			wabaId: form.wabaId,
			displayPhoneNumber: checked.display,
			verifiedName: checked.verifiedName,
			accessToken,
			appSecret,
			...(proven ? { appSecretProven: true } : {}),
			...(await this.answerNotes(checked, form, existing, proven)),
			departmentId: form.departmentId,
			welcomeMessage: form.welcomeMessage,
			conversationFinishedMessage: form.conversationFinishedMessage,
			offlineMessage: form.offlineMessage,
			connectedAt: existing?.connectedAt ?? this.now().toISOString(),
			connectedBy: existing?.connectedBy ?? by,
		};
		// Saved before the old ID goes: a failed save leaves the number as it was (connected, its secrets
		// kept), never neither; a failed removal leaves both, each shown in the list.
		await this.repository.save(number);
		if (existing && existing.phoneNumberId !== number.phoneNumberId) await this.repository.remove(existing.phoneNumberId);
		// The subscription is the account's: Meta's answer holds for its other numbers too.
		if (checked.subscribedApps)
			try {
				await this.noteSubscriptions(number, checked.subscribedApps, this.now().toISOString());
			} catch {
				// The number is saved: another number of its account keeps its note until it is saved.
			}
		// The account it is in now, and the one it left (an edit that moved it): both may hold a mark of its old token.
		for (const wabaId of new Set([number.wabaId, existing?.wabaId ?? number.wabaId]))
			try {
				await this.missRefetchMarks?.forgetMissRefetch(wabaId);
			} catch {
				// The number is connected: a mark left behind only delays the next list fetch by its minute.
			}
		return { ok: true, number, created: !existing };
	}

	/**
	 * The notes Meta's answers give the number. The token's (its app, its expiry, its missing
	 * permissions): Meta's answer, or without one what the number said of the same token. The
	 * subscriptions': Meta's list, with the token's app for a number whose secret's proof Meta took
	 * (`subscriptionNotes`); without the list, the account's note of no app as it was
	 * (`unsubscribed`), else the number's own note of other apps for the same token and account.
	 * Each note with the time of the list it came from (`webhooksCheckedAt`: core/numbers/sightings.ts),
	 * or now when it comes from the record of another ID.
	 */
	private async answerNotes(
		checked: { subscribedApps: unknown[] | undefined; token: TokenInfo | undefined },
		form: ConnectForm,
		existing: ConnectedNumber | undefined,
		proven: boolean,
	): Promise<AnswerNotes> {
		const sameToken = !!existing && (!form.accessToken || form.accessToken === existing.accessToken);
		const now = this.now().toISOString();
		// A note taken from the record of another ID is dated now: what webhooks showed of this ID before does not count.
		const dated = (from: ConnectedNumber) => (from.phoneNumberId === form.phoneNumberId ? from.webhooksCheckedAt : now);
		const kept =
			sameToken && existing?.wabaId === form.wabaId
				? withCheckedAt({ webhooksToOtherApps: existing.webhooksToOtherApps }, dated(existing))
				: {};
		const token = checked.token
			? tokenNotes(checked.token)
			: sameToken
				? {
						tokenAppId: existing?.tokenAppId,
						tokenExpiresAt: existing?.tokenExpiresAt,
						tokenMissingPermissions: existing?.tokenMissingPermissions,
					}
				: {};
		const noted = checked.subscribedApps ? undefined : await this.unsubscribed(form, existing);
		const subscriptions = checked.subscribedApps
			? withCheckedAt(subscriptionNotes(checked.subscribedApps, proven ? token.tokenAppId : undefined), now)
			: noted
				? withCheckedAt({ webhooksUnsubscribed: true }, dated(noted))
				: kept;
		// Without the notes left undefined: a stored number holds only what it says.
		return Object.fromEntries(Object.entries({ ...token, ...subscriptions }).filter(([, v]) => v !== undefined)) as AnswerNotes;
	}

	/**
	 * The number whose note the number takes as of a WABA no app is subscribed to, without Meta's
	 * answer: the account's note as it was (the number's own when it stays in its WABA, else another
	 * number's of the WABA); undefined when the account has none.
	 */
	private async unsubscribed(form: ConnectForm, existing: ConnectedNumber | undefined): Promise<ConnectedNumber | undefined> {
		if (existing?.wabaId === form.wabaId) return existing.webhooksUnsubscribed ? existing : undefined;
		try {
			const other = (await this.repository.list()).find((n) => n.wabaId === form.wabaId && n.phoneNumberId !== form.phoneNumberId);
			return other?.webhooksUnsubscribed ? other : undefined;
		} catch {
			return undefined;
		}
	}

	/**
	 * Notes Meta's list of subscribed apps on the other numbers of `number`'s WABA whose notes say
	 * otherwise (`subscriptionNotes`, for those saved with the secret's proof, with each one's token's
	 * app: `number`'s for the same token, which it then keeps, else the one Meta told at its own last
	 * save), dated `listedAt` (a note that stays is dated anew, so that only webhooks after this list
	 * make it go): each read again just before and replaced, never created (one disconnected meanwhile stays so).
	 */
	private async noteSubscriptions(number: ConnectedNumber, apps: unknown[], listedAt: string): Promise<void> {
		for (const listed of await this.repository.list()) {
			if (listed.wabaId !== number.wabaId || listed.phoneNumberId === number.phoneNumberId) continue;
			const other = await this.repository.get(listed.phoneNumberId);
			if (!other || other.wabaId !== number.wabaId) continue;
			const tokenAppId = (other.accessToken === number.accessToken ? number.tokenAppId : undefined) ?? other.tokenAppId;
			const notes = withCheckedAt(subscriptionNotes(apps, other.appSecretProven ? tokenAppId : undefined), listedAt);
			if (
				tokenAppId === other.tokenAppId &&
				!!notes.webhooksUnsubscribed === !!other.webhooksUnsubscribed &&
				JSON.stringify(notes.webhooksToOtherApps ?? []) === JSON.stringify(other.webhooksToOtherApps ?? []) &&
				notes.webhooksCheckedAt === other.webhooksCheckedAt
			)
				continue;
			const { webhooksUnsubscribed: _none, webhooksToOtherApps: _others, webhooksCheckedAt: _at, tokenAppId: _app, ...rest } = other;
			await this.repository.replace({ ...rest, ...(tokenAppId !== undefined ? { tokenAppId } : {}), ...notes });
		}
	}

	disconnect(phoneNumberId: string): Promise<boolean> {
		return this.repository.remove(phoneNumberId);
	}

	private async checkCredentials(
		form: ConnectForm,
		credentials: NumberCredentials,
	): Promise<
		| { ok: true; display: string; verifiedName: string; subscribedApps: unknown[] | undefined; token: TokenInfo | undefined }
		| { ok: false; errors: FieldErrors }
	> {
		// Asked with the app secret's proof (GraphClient `appSecretProof`), as every later call: a secret
		// that is not the token's Meta app's is refused here, not at the first send.
		const graph = this.graphFor(credentials);
		// The questions at once: the admin waits for the slower check only (Rocket.Chat's client waits
		// 5 s). When both checks fail, Meta's own answer (a refused token, say) says more than a call that
		// got none, and of two answers the number's comes first, as when they were asked one after the
		// other. The subscriptions' and the token's answers only inform: their failure is never the
		// check's, and they are waited for a moment only once the checks are done (SUBSCRIPTIONS_GRACE_MS).
		const checks = Promise.allSettled([
			(async () => graph.getPhoneNumber(form.phoneNumberId))(),
			(async () => graph.listPhoneNumbers(form.wabaId))(),
		]);
		const subscriptions = (async () => graph.listSubscribedApps(form.wabaId))().catch(() => undefined);
		const token = (async () => graph.debugToken())().catch(() => undefined);
		const [phone, owned] = await checks;
		if (phone.status === 'fulfilled' && owned.status === 'fulfilled') {
			if (!owned.value.some((p) => p.id === form.phoneNumberId)) return { ok: false, errors: { wabaId: 'error_number_not_in_waba' } };
			// Both waited for at once: at most SUBSCRIPTIONS_GRACE_MS in all.
			const [subscribedApps, tokenInfo] = await Promise.all([
				within(subscriptions, SUBSCRIPTIONS_GRACE_MS),
				within(token, SUBSCRIPTIONS_GRACE_MS),
			]);
			return {
				ok: true,
				display: phone.value.display_phone_number ?? form.phoneNumberId,
				verifiedName: phone.value.verified_name ?? '',
				subscribedApps,
				token: tokenInfo,
			};
		}
		const failures: Array<{ error: unknown; field: 'phoneNumberId' | 'wabaId' }> = [];
		if (phone.status === 'rejected') failures.push({ error: phone.reason, field: 'phoneNumberId' });
		if (owned.status === 'rejected') failures.push({ error: owned.reason, field: 'wabaId' });
		// Meta's refusal of the credentials themselves first (the other call may have met a proxy's page),
		// then Meta's own answer, then a call that got none.
		const failure =
			failures.find((f) => isAppSecretRefusal(f.error) || (f.error instanceof GraphApiError && isRefusedToken(f.error.graphCode))) ??
			failures.find((f) => f.error instanceof GraphApiError && f.error.type !== 'HttpError') ??
			failures.find((f) => f.error instanceof GraphApiError) ??
			failures[0];
		const errors = credentialErrors(failure.error, failure.field);
		// The token and the secret are of different Meta apps, and the admin typed a new token only (the
		// stored secret, whose field is empty, verifies the webhooks): said of the token.
		if (errors.appSecret && !form.appSecret && form.accessToken)
			return { ok: false, errors: { accessToken: 'error_access_token_other_app' } };
		return { ok: false, errors };
	}
}

/** Maps a failed credential check to the field the admin must fix. */
export function credentialErrors(error: unknown, field: 'phoneNumberId' | 'wabaId'): FieldErrors {
	if (error instanceof GraphApiError) {
		if (isRefusedToken(error.graphCode)) return { accessToken: 'error_access_token_rejected' };
		if (isAppSecretRefusal(error)) return { appSecret: 'error_app_secret_refused' };
		if (error.graphCode === 10 || error.graphCode === 200 || error.graphCode === 3)
			return { accessToken: 'error_access_token_permissions' };
		if (error.graphCode === 100 || error.graphCode === 803)
			return { [field]: field === 'wabaId' ? 'error_waba_id_unknown' : 'error_phone_number_id_unknown' };
		return { [field]: 'error_graph_unavailable' };
	}
	return { [field]: error instanceof AppError ? error.i18nKey : 'error_graph_unreachable' };
}
