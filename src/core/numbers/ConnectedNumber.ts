/**
 * A WhatsApp Business number connected to the workspace, and the rules for the connect form.
 * Plain TypeScript: no Apps-Engine imports.
 */

export interface ConnectedNumber {
	/** Meta's phone-number ID: the number's identity in every Cloud API call. */
	phoneNumberId: string;
	/** The WhatsApp Business Account (WABA) that owns the number and its templates. */
	wabaId: string;
	/** As Meta displays it, e.g. "+1 555-013-3700". */
	displayPhoneNumber: string;
	verifiedName: string;
	accessToken: string;
	appSecret: string;
	/**
	 * Meta took the app secret's proof for the access token when the number was connected or last
	 * edited (NumberService: the check is made with it), so every Graph call carries it
	 * (`graphCredentials`). A number saved by an earlier version of the app has none: its calls go
	 * without the proof, as they did then, until an edit is saved with it. Its token may be of another
	 * Meta app than the secret that signs its webhooks, which Meta refuses with the proof: an edit
	 * that leaves both as they were then saves it without the proof again (NumberService.connect).
	 */
	appSecretProven?: boolean;
	/**
	 * Meta said, when the number or another number of its WABA was last saved, that no Meta app is
	 * subscribed to the WABA's webhooks (`GET /{WABA-ID}/subscribed_apps`, an empty list): no message
	 * or status of the number reaches any app, this one included. Unset when an app was; a save that
	 * got no answer takes the account's note as it was (NumberService.connect).
	 */
	webhooksUnsubscribed?: boolean;
	/**
	 * The Meta apps subscribed to the WABA's webhooks (their names and IDs) when the number or another
	 * number of its WABA was last saved, noted when the Meta app of the number's token (`tokenAppId`)
	 * is not among them. That app is the one whose secret the number was saved with (Meta took the
	 * secret's proof for the token), the secret that checks the webhooks: Meta sends them to the other
	 * apps' callback URLs instead, signed with their secrets. Set only for a number saved with the
	 * proof whose token's app is known; a save without the list keeps the note as it was for the same
	 * token and account (NumberService.connect; dated anew for another ID).
	 */
	webhooksToOtherApps?: string[];
	/**
	 * When Meta's list behind `webhooksUnsubscribed` or `webhooksToOtherApps` was read (ISO time; set
	 * with either note only): webhooks more than SETTLE_MS after it, signed with the number's secret
	 * (for the note of no app on a number saved without the proof, any about the account), show the
	 * note no longer holds, and the numbers list leaves it out (core/numbers/sightings.ts).
	 */
	webhooksCheckedAt?: string;
	/**
	 * The Meta app of the access token, as Meta said when the number was last saved (`GET
	 * /debug_token`), kept for the same token when Meta did not say: what the subscribed apps are
	 * compared with, at this number's saves and at the other numbers' of its WABA.
	 */
	tokenAppId?: string;
	/**
	 * When the access token expires (ISO time), as Meta said when the number was last saved (`GET
	 * /debug_token`): a temporary token (WhatsApp > API Setup's lasts a day) rather than a system
	 * user's permanent one. Unset for a token that never expires, or when Meta did not say (then a
	 * save keeps the note as it was for the same token).
	 */
	tokenExpiresAt?: string;
	/** The WhatsApp permissions (TOKEN_PERMISSIONS) Meta said the token lacks when the number was last saved; same keeping as `tokenExpiresAt`. */
	tokenMissingPermissions?: string[];
	departmentId?: string;
	welcomeMessage?: string;
	conversationFinishedMessage?: string;
	offlineMessage?: string;
	connectedAt: string;
	connectedBy: string;
}

/**
 * The permissions a number's token needs (README, "Setting up the Meta side", step 2): sending
 * (`whatsapp_business_messaging`) and reading the account's numbers and templates
 * (`whatsapp_business_management`).
 */
export const TOKEN_PERMISSIONS = ['whatsapp_business_messaging', 'whatsapp_business_management'];

/** What a number's Graph calls are made with (`graphCredentials`). */
export type NumberCredentials = Pick<ConnectedNumber, 'accessToken' | 'appSecret' | 'appSecretProven'>;

/**
 * The Graph client's credentials of a number: its token, and its app secret (whose proof each call
 * then carries: GraphClient `appSecretProof`) once Meta took that proof for the token (`appSecretProven`).
 */
export function graphCredentials(number: NumberCredentials): { accessToken: string; appSecret?: string } {
	return number.appSecretProven ? { accessToken: number.accessToken, appSecret: number.appSecret } : { accessToken: number.accessToken };
}

/** What an admin types in the connect / edit form. Empty secrets on edit keep the stored ones. */
export interface ConnectForm {
	phoneNumberId: string;
	wabaId: string;
	accessToken: string;
	appSecret: string;
	departmentId?: string;
	welcomeMessage?: string;
	conversationFinishedMessage?: string;
	offlineMessage?: string;
}

export type ConnectField = keyof ConnectForm;

/** Field -> i18n key of the error shown under that field. */
export type FieldErrors = Partial<Record<ConnectField, string>>;

const GRAPH_ID = /^\d{5,20}$/;
const MAX_MESSAGE_LENGTH = 4096;

function trimmed(value: string | undefined): string {
	return (value ?? '').trim();
}

/** Normalizes the raw form (trims, drops empty optional fields). */
export function normalizeForm(raw: Partial<Record<ConnectField, unknown>>): ConnectForm {
	const text = (key: ConnectField): string => (typeof raw[key] === 'string' ? trimmed(raw[key] as string) : '');
	const optional = (key: ConnectField): string | undefined => text(key) || undefined;
	return {
		phoneNumberId: text('phoneNumberId'),
		wabaId: text('wabaId'),
		accessToken: text('accessToken'),
		appSecret: text('appSecret'),
		departmentId: optional('departmentId'),
		welcomeMessage: optional('welcomeMessage'),
		conversationFinishedMessage: optional('conversationFinishedMessage'),
		offlineMessage: optional('offlineMessage'),
	};
}

/**
 * Checks the form before any call to Meta. On edit (`existing` given) empty secrets mean "keep".
 * Returns the errors per field; an empty object means the form is fine.
 */
export function validateForm(form: ConnectForm, existing?: ConnectedNumber): FieldErrors {
	const errors: FieldErrors = {};
	if (!GRAPH_ID.test(form.phoneNumberId)) errors.phoneNumberId = 'error_phone_number_id_format';
	if (!GRAPH_ID.test(form.wabaId)) errors.wabaId = 'error_waba_id_format';
	if (!form.accessToken && !existing) errors.accessToken = 'error_access_token_required';
	// Visible ASCII only: a space, a line break or an invisible character (a zero-width space pasted
	// with it) would make the Authorization header invalid, and every call fail as if Meta were unreachable.
	else if (form.accessToken && !/^[\x21-\x7e]+$/.test(form.accessToken)) errors.accessToken = 'error_access_token_whitespace';
	if (!form.appSecret && !existing) errors.appSecret = 'error_app_secret_required';
	else if (form.appSecret && !/^[0-9a-f]{32}$/i.test(form.appSecret)) errors.appSecret = 'error_app_secret_format';
	for (const key of ['welcomeMessage', 'conversationFinishedMessage', 'offlineMessage'] as const) {
		if ((form[key] ?? '').length > MAX_MESSAGE_LENGTH) errors[key] = 'error_message_too_long';
	}
	return errors;
}

/** Shows a secret as its last four characters only, e.g. "••••f00d". */
export function maskSecret(secret: string): string {
	return secret.length <= 4 ? '••••' : `••••${secret.slice(-4)}`;
}

/** Digits of the display number ("+1 555-013-3700" -> "15550133700"). */
export function displayDigits(display: string): string {
	return display.replace(/\D/g, '');
}
