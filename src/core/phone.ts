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
