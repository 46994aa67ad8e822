/** Phone numbers as WhatsApp identifies them: E.164 digits without "+". */

/**
 * "+55 (11) 98765-4321", "0055 11 987654321", "5511987654321" -> "5511987654321".
 * Undefined for what cannot be a phone number (letters, fewer than 8 or more than 15 digits, a leading 0).
 */
export function normalizePhoneNumber(input: string): string | undefined {
	if (typeof input !== 'string') return undefined;
	let value = input.trim().replace(/[\s\-.()/]/g, '');
	if (value.startsWith('+')) value = value.slice(1);
	else if (value.startsWith('00')) value = value.slice(2);
	if (!/^\d{8,15}$/.test(value) || value.startsWith('0')) return undefined;
	return value;
}

export function formatE164(digits: string): string {
	return `+${digits}`;
}
