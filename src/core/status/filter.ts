/** The "Filter Message Status" setting: which messages' statuses go to the Message Status Endpoint URL. */
import { MessageType } from './payload';

export type StatusFilter = 'all' | 'regular' | 'template';

/** The setting's value; anything else (unset, a typo) means `all`, the setting's default. */
export function parseStatusFilter(value: unknown): StatusFilter {
	return value === 'regular' || value === 'template' ? value : 'all';
}

export function passesFilter(filter: StatusFilter | string, type: MessageType): boolean {
	const parsed = parseStatusFilter(filter);
	if (parsed === 'regular') return type === 'Regular-Message';
	if (parsed === 'template') return type === 'Template-Message';
	return true;
}
