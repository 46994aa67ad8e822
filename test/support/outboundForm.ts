/**
 * Rocket.Chat's outbound message form, modelled from its source (RocketChat/Rocket.Chat,
 * apps/meteor/client/components/Omnichannel/OutboundMessage/utils/template.ts
 * `extractParameterMetadata` / `parseComponentText`, and utils/outbound-message.ts
 * `formatOutboundMessagePayload`): the message it posts for a template the provider listed, with the
 * values an agent typed in its fields. The server hands that message to the provider as it is.
 */

/** A component as the provider lists it (Apps-Engine's IOutboundProviderTemplate components). */
export interface ListedComponent {
	type: string;
	format?: string;
	text?: string;
}

/** A field of the form: `header.{{1}}`, `body.{{first_name}}`, `header.mediaUrl`. */
export interface FormField {
	id: string;
	componentType: string;
	type: 'text' | 'media';
	format: string;
	index: number;
}

/** The form's fields for the listed components, in its order: a text's distinct `{{…}}` as they first appear, a media link for a header not of text. */
export function formFields(components: ListedComponent[]): FormField[] {
	return components.flatMap((c): FormField[] => {
		const format = c.type === 'header' ? (c.format ?? 'text') : 'text';
		if (format !== 'text') return [{ id: `${c.type}.mediaUrl`, componentType: c.type, type: 'media' as const, format, index: 0 }];
		const distinct = [...new Set(c.text?.match(/{{(.*?)}}/g) ?? [])];
		return distinct.map((placeholder, index) => ({
			id: `${c.type}.${placeholder}`,
			componentType: c.type,
			type: 'text' as const,
			format,
			index,
		}));
	});
}

/** The message the form posts: one component per listed component, each with the values of its fields (none for a component without). */
export function formMessage(input: {
	name: string;
	language: string;
	components: ListedComponent[];
	to: string;
	sender: string;
	values: Record<string, string>;
}): Record<string, unknown> {
	const byComponent: Record<string, Array<Record<string, unknown>>> = {};
	for (const f of formFields(input.components)) {
		const value = input.values[f.id];
		if (value === undefined) throw new Error(`the form requires ${f.id}`);
		(byComponent[f.componentType] ??= [])[f.index] =
			f.type === 'media' ? { type: 'media', link: value, format: f.format } : { type: 'text', text: value };
	}
	return {
		to: input.to,
		type: 'template',
		templateProviderPhoneNumber: input.sender,
		template: {
			name: input.name,
			language: { code: input.language },
			components: input.components.map((c) => ({ type: c.type, parameters: byComponent[c.type] ?? [] })),
		},
	};
}
