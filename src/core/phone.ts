/** Phone numbers as WhatsApp identifies them: E.164 digits without "+". */

/**
 * "+55 (11) 98765-4321", "0055 11 987654321", "5511987654321" -> "5511987654321".
 * Undefined for what cannot be a phone number (letters, fewer than 7 or more than 15 digits, a leading 0:
 * the shortest international numbers, Niue's and Tokelau's, have 7),
 * and for a number a spreadsheet wrote as a decimal ("5511987654321.0"): its dot is not a separator,
 * and dropping it would add a digit and reach someone else. Dots between groups stay separators
 * ("+1 555.123.4567", "+33 1.23.45.67.00").
 */
export function normalizePhoneNumber(input: string): string | undefined {
	if (typeof input !== 'string') return undefined;
	if (/\d{7,}\.0+$/.test(input.trim())) return undefined;
	let value = input.trim().replace(/[\s\-.()/]/g, '');
	if (value.startsWith('+')) value = value.slice(1);
	else if (value.startsWith('00')) value = value.slice(2);
	if (!/^\d{7,15}$/.test(value) || value.startsWith('0')) return undefined;
	return value;
}

export function formatE164(digits: string): string {
	return `+${digits}`;
}

/**
 * Meta's business-scoped user id (BSUID) of a WhatsApp user: "the user's ISO 3166 alpha-2 two-letter
 * country code and a period, followed by up to 128 alphanumeric characters" (`US.13491208655302741918`),
 * a parent BSUID with `ENT.` after the period (Meta's "Business-scoped user IDs" page). A user who
 * adopted a WhatsApp username may be named by it alone: `from_user_id` without `from` on their
 * messages, `recipient_user_id` without `recipient_id` on statuses.
 */
export const BSUID_PATTERN = '[A-Z]{2}\\.(?:ENT\\.)?[A-Za-z0-9]{1,128}';
const BSUID = new RegExp(`^${BSUID_PATTERN}$`);

export const isBusinessScopedUserId = (id: string): boolean => BSUID.test(id);

/**
 * The id the app knows a contact by (`Contact.waId`): their WhatsApp id's digits, or their BSUID
 * when Meta names them by that alone. Sends to a BSUID go in `recipient`, not `to`
 * (core/outbound/envelope.ts).
 */
export const CONTACT_ID_PATTERN = `\\d+|${BSUID_PATTERN}`;

/** `value` as a contact id: a BSUID as it is, anything else by its digits. */
export const contactIdOf = (value: string): string => (isBusinessScopedUserId(value) ? value : value.replace(/\D/g, ''));

/** How a contact is named where no name is known: their number in E.164, or their BSUID. */
export const contactLabel = (contactId: string): string => (isBusinessScopedUserId(contactId) ? contactId : formatE164(contactId));
