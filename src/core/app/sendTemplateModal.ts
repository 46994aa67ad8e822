/**
 * `/whatsapp send-template`: the modal's steps, whatever draws it. The modal's state between
 * interactions is a draft (block actions carry only the changed value); only the user who opened
 * it acts on it, whose role is checked again on every step. A contact's room answers through its
 * own number only. The send itself is the send-templates service's (sendTemplates.ts).
 */
import { ENGINE_CALL_TIMEOUT_MS } from '../bulk/budget';
import { checkGraphBaseUrl } from '../graph/baseUrl';
import { Translator } from '../i18n/translate';
import { SendNotRecorded } from '../errors';
import { ConnectedNumber } from '../numbers/ConnectedNumber';
import { isBusinessScopedUserId, normalizePhoneNumber } from '../phone';
import { CatalogSnapshot } from '../templates/catalog';
import { categoryText } from '../templates/category';
import { formCannotFill, inputsFor, TemplateInput, UNSUPPORTED_KEY } from '../templates/inputs';
import { validateValues } from '../templates/rules';
import { narrowTemplates, TEMPLATE_OPTIONS } from '../templates/search';
import { cardsOf, headerFormat, MetaTemplate, otpButtonIndex, Values } from '../templates/template';
import { TemplateSummary } from '../templates/templateIndex';
import { Contact, contactKey } from './conversations';
import { KeyedQueue } from './keyedQueue';
import { Clock, Logger, SettingsReader, systemClock } from './ports';
import { dayOf } from '../status/retention';
import { explainListError, ModalSendResult, SendTemplates } from './sendTemplates';
import { Directory, TemplateRooms } from './sendTemplatesPorts';
import { reachOf, Windows } from './window';

export interface Draft {
	viewId: string;
	/** The user who opened the modal: the only one whose block actions and submit act on this draft. */
	userId: string;
	roomId?: string;
	/** The room the agent opened the modal from: where a notice about it goes. */
	openedIn?: string;
	/** True outside a WhatsApp contact room: the modal asks for the recipient. */
	askRecipient: boolean;
	phoneNumberId: string;
	templateName?: string;
	language?: string;
	/** What the agent typed in the template search (templates/search.ts). */
	search?: string;
	/**
	 * The language the agent chose in each language select, by number and template
	 * (`<phoneNumberId>:<template>`): the client keeps showing, and submits, that choice when the
	 * agent comes back to the template.
	 */
	chosenLanguages?: Record<string, string>;
	/** What the agent typed, by field key (`fieldKey`: which templates a value is carried to). */
	values: Record<string, string>;
	/**
	 * The field keys of the template inputs the last screen drew (none when it drew no template's
	 * inputs: the chosen template could not be read, say). A submit's errors go on these fields only:
	 * Rocket.Chat's client shows an error on a block the view has, and drops the others.
	 */
	drawnFields?: string[];
	/** Whether the last screen drew the number select (outside a contact's room, several numbers): a number's error goes there, else on the template. */
	numberSelect?: boolean;
	/** The numbers the last screen offered (their ids, in order), and how many different sets the form has drawn: the number select's version. */
	numberSet?: string;
	numberSelectVersion?: number;
	recipient?: string;
	department?: string;
	preferredLanguage?: string;
	/**
	 * Set (saved) before the Graph call of a submit, and cleared when Meta refused it: a later submit
	 * of the same modal (a second click, or one another server of a cluster got) sends nothing.
	 */
	sending?: boolean;
	/**
	 * The day (UTC, `YYYY-MM-DD`) the modal opened, never changed: a draft left behind (the browser
	 * closed, a close that failed) goes with its day (DRAFT_DAYS_KEPT). Absent in drafts of versions before.
	 */
	openedOn?: string;
}

/** A draft is kept this many whole days after the day its modal opened; the daily retention run removes it then. */
export const DRAFT_DAYS_KEPT = 2;

/**
 * The modals' steps under way in this process. Rocket.Chat's client sends a submit on each click of
 * Send (its modal's button is not disabled while the first is answered), and both would read the
 * draft before either marked it: only the first claim goes on. Block actions of one view run one
 * after the other (`serial`).
 */
export class ModalViews {
	private readonly viewIds = new Set<string>();
	/** Rocket.Chat gives up on a view's call after the engine's timeout: the next need not wait longer. */
	private readonly queue = new KeyedQueue(ENGINE_CALL_TIMEOUT_MS);

	/**
	 * Runs `step` after the steps of the same view under way in this process. A block action loads the
	 * draft, rebuilds the screen (a catalog read, maybe Meta's list) and saves it: two at once (a select
	 * picked while a typed value's action is on its way) would each save over the other's change.
	 */
	serial<T>(viewId: string, step: () => Promise<T>): Promise<T> {
		return this.queue.serial(viewId, step);
	}

	claim(viewId: string): boolean {
		if (this.viewIds.has(viewId)) return false;
		this.viewIds.add(viewId);
		return true;
	}

	release(viewId: string): void {
		this.viewIds.delete(viewId);
	}

	private readonly closed = new Set<string>();

	/** The agent closed a modal whose submit is under way: that submit removes the draft when it ends. */
	closeWhenDone(viewId: string): void {
		this.closed.add(viewId);
	}

	/** Whether the modal was closed while its submit was under way (asked once, by that submit). */
	takeClosed(viewId: string): boolean {
		return this.closed.delete(viewId);
	}
}

/** The modals' drafts, by view id. */
export interface Drafts {
	load(viewId: string): Promise<Draft | undefined>;
	save(draft: Draft): Promise<void>;
	remove(viewId: string): Promise<void>;
}

/** A field of the modal an error goes on: a select, a text input, or a template input (`param:<inputId>`). */
export type ModalField = 'number' | 'template' | 'recipient' | 'department' | `param:${string}`;
export type ModalErrors = Partial<Record<ModalField, string>>;

/** What the modal shows: the draft, the numbers it may offer, the number's templates the search leaves, the chosen one. */
export interface ModalScreen {
	draft: Draft;
	numbers: ConnectedNumber[];
	/** What the template select offers: at most TEMPLATE_OPTIONS names matching the search, the chosen one always. */
	templates: TemplateSummary[];
	/** How many names match the search, how many of them the select does not offer, and how many the number has. */
	matching: number;
	hidden: number;
	total: number;
	template?: MetaTemplate;
	/** Why the template list is not shown. */
	problem?: string;
}

export interface ModalUser {
	id: string;
	username?: string;
	roles?: string[];
}

/** One change in the modal (a select, a keystroke, the refresh button). */
export type ModalAction =
	| { kind: 'number' | 'template' | 'search' | 'recipient' | 'department'; value?: string }
	| { kind: 'language'; phoneNumberId: string; templateName: string; value?: string }
	/** A template input changed: `inputId` is its field key (`fieldKey`), as in its action id. */
	| { kind: 'param'; inputId: string; value?: string }
	| { kind: 'refresh' }
	| { kind: 'other' };

/** What the client submits: the last values of the inputs, which win over the draft. */
export interface Submitted {
	values: Record<string, string>;
	/** The selects' values, and the text fields' as submitted ('' for one the agent cleared; absent when not sent). */
	fields: { templateName?: string; phoneNumberId?: string; recipient?: string; department?: string };
	/** The value of the language select of that number and template, if the client sent one. */
	languageOf(phoneNumberId: string, templateName: string): string | undefined;
	/**
	 * The template inputs the submitted form shows (their field keys), when the client says: one the
	 * app drew in an update the client dropped (it came 5 s or more after the agent's pick) is not
	 * among them, and its error cannot show on it.
	 */
	shownFields?: string[];
}

export type ActResult =
	| { kind: 'ignored' }
	| (({ kind: 'refused'; errors: ModalErrors } | { kind: 'screen'; screen: ModalScreen }) & {
			/** The room the agent opened the modal from (its draft's), where a notice about the change can go. */
			openedIn?: string;
	  });
export type SubmitResult = ({ kind: 'foreign' } | { kind: 'refused'; errors: ModalErrors } | { kind: 'sent' }) & {
	/** The room the agent opened the modal from (its draft's), where a notice about the submit can go. */
	openedIn?: string;
};

export interface SendTemplateModalPorts {
	drafts: Drafts;
	/** The send-templates service of this run (numbers, catalogs, the send). */
	sender: SendTemplates;
	settings: SettingsReader;
	directory: Directory;
	rooms: Pick<TemplateRooms, 'contactOf'>;
	/** The contacts' windows: a contact who changed their number gets nothing more at the old one. */
	windows: Pick<Windows, 'get'>;
	logger?: Logger;
	/** A new modal's view id. */
	newViewId(): string;
	/** The modals' submits and block actions under way in this process (one for the app's lifetime, not for one handler run). */
	views: ModalViews;
	clock?: Clock;
}

/** A search longer than this is cut: no template name is near it (Meta allows 512 characters, names are short). */
const SEARCH_MAX = 200;

/**
 * How long the modal waits for the template list to load (Meta's answer, a large account's in pages
 * of 250, and its storing): Rocket.Chat's client takes the app's answer within 5 s of the agent's
 * action, and the app's own reads and the trips to and from the client come on top. Longer, the
 * modal shows the list loaded before (or none) and says the list is still loading; the load goes
 * on and stores its list for the next look.
 */
export const LIST_WAIT_MS = 2500;

const chosenKey = (phoneNumberId: string, templateName: string) => `${phoneNumberId}:${templateName}`;

/**
 * The key a template input's value is kept under in the draft, and the input's block and action id
 * (`param:<key>`). The rule of what is carried when the agent switches template, language or number:
 * - a header or body TEXT variable (`header.1`, `body.1`, `body.first_name`) keeps its id as key: a
 *   value typed for `body.1` fills `body.1` of any template (text in a text, whatever the template);
 * - every other input (media link, document name, location, one-time code, offer expiration,
 *   buttons' suffix, coupon, payload, flow token, catalog product) is keyed by number, template name
 *   and id, and a media link also by the header's format: it is carried only between the language
 *   variants of one template of one number, where it means the same. An image link never fills a
 *   video header, a URL suffix or coupon never moves to another template's button, a location's name
 *   never fills a text variable, and a one-time code never lands in another template's body;
 * - a carousel card's inputs (`card.0.body.1`, `card.0.header.link`...) too: a card's text means
 *   something in its own template only.
 * Rocket.Chat's client keeps each element's value by action id for the modal's life and shows it
 * again when an element with that id comes back (fuselage-ui-kit useUiKitState.ts @
 * 000eb1dac36a6dc92cbaad4233003e1b24095f7e): a different key is a fresh, empty element.
 * Meta's template names are lower case letters, digits and underscores, phone number ids digits.
 */
export function fieldKey(phoneNumberId: string, template: MetaTemplate, input: TemplateInput): string {
	if (input.card === undefined && (input.kind === 'header_text' || input.kind === 'body')) return input.id;
	const own = input.card === undefined ? template : (cardsOf(template)[input.card] ?? template);
	const meaning = input.kind === 'header_media_link' ? `${input.id}.${headerFormat(own).toLowerCase()}` : input.id;
	return `${phoneNumberId}/${template.name}/${meaning}`;
}

/** The values of `template`'s inputs (by input id, as bind.ts and rules.ts read them) from the draft's. */
export function templateValues(draft: Pick<Draft, 'phoneNumberId' | 'values' | 'drawnFields'>, template: MetaTemplate): Values {
	const values: Values = {};
	// A draft of the versions before (no `drawnFields`) kept every value under its input's id: still
	// read there, and only there (a text typed for another template never fills a code or a link).
	const legacy = !draft.drawnFields;
	for (const input of inputsFor(template)) {
		const value = draft.values[fieldKey(draft.phoneNumberId, template, input)] ?? (legacy ? draft.values[input.id] : undefined);
		if (value !== undefined) values[input.id] = value;
	}
	return values;
}

/** "pt-BR", "pt_BR", "pt" -> the best of the template's languages. */
export function pickLanguage(languages: string[], preferred: Array<string | undefined>): string | undefined {
	const norm = (l: string) => l.replace('-', '_').toLowerCase();
	for (const p of preferred.filter((x): x is string => Boolean(x))) {
		const exact = languages.find((l) => norm(l) === norm(p));
		if (exact) return exact;
		const base = languages.find((l) => norm(l).split('_')[0] === norm(p).split('_')[0]);
		if (base) return base;
	}
	return languages[0];
}

/**
 * The draft's language for its template: back on a template whose language the agent chose, the
 * client still shows (and submits) that choice, so the draft takes it again; else the draft's if
 * offered, else the contact's (or the workspace's), else the first.
 */
export function settleLanguage(draft: Draft, group: TemplateSummary): void {
	const offered = (language?: string) => Boolean(language) && group.languages.includes(language as string);
	const chosen = draft.chosenLanguages?.[chosenKey(draft.phoneNumberId, group.name)];
	if (offered(chosen)) draft.language = chosen;
	else if (!offered(draft.language)) draft.language = pickLanguage(group.languages, [draft.preferredLanguage]);
}

/** A change of the modal applied to its draft: only a connected number, and only outside a contact's room. */
export function applyAction(draft: Draft, action: ModalAction, numbers: ConnectedNumber[]): void {
	switch (action.kind) {
		case 'number':
			if (action.value && draft.askRecipient && numbers.some((n) => n.phoneNumberId === action.value))
				draft.phoneNumberId = action.value;
			return;
		case 'template':
			draft.templateName = action.value;
			return;
		case 'search':
			draft.search = action.value?.slice(0, SEARCH_MAX);
			return;
		case 'language':
			// The select of this number and template: remembered for it, the draft's language if current.
			if (action.value)
				draft.chosenLanguages = { ...draft.chosenLanguages, [chosenKey(action.phoneNumberId, action.templateName)]: action.value };
			if (draft.templateName && action.phoneNumberId === draft.phoneNumberId && action.templateName === draft.templateName)
				draft.language = action.value;
			return;
		case 'recipient':
			draft.recipient = action.value;
			return;
		case 'department':
			draft.department = action.value;
			return;
		case 'param':
			draft.values[action.inputId] = action.value ?? '';
			return;
		default:
	}
}

/** What the client submitted, over the draft. The language is that of the select of the number and template now settled. */
export function mergeSubmitted(draft: Draft, submitted: Submitted): void {
	Object.assign(draft.values, submitted.values);
	if (submitted.fields.templateName) draft.templateName = submitted.fields.templateName;
	// The client submits the number select's value whether or not the form still draws it (it keeps a
	// value by action id): outside a contact's room, only a select the last screen drew says the number
	// (a draft of before: always). In a contact's room any number named is checked against the room's.
	const number = submitted.fields.phoneNumberId;
	if (number && !(draft.askRecipient && draft.numberSelect === false)) draft.phoneNumberId = number;
	// Text fields: an empty one was cleared (the recipient is then missing, the department none).
	for (const key of ['recipient', 'department'] as const) {
		const value = submitted.fields[key];
		if (value !== undefined) draft[key] = value.trim() || undefined;
	}
	// The state keeps the selects of templates picked before too (Rocket.Chat's client never drops a
	// value). Absent when the agent left it as shown, which is the draft's language.
	if (draft.templateName) {
		const language = submitted.languageOf(draft.phoneNumberId, draft.templateName);
		if (language) draft.language = language;
	}
}

/**
 * Whether the template may go from the draft's number: a connected number and, in a contact's
 * room, the room's own (the contact is that number's visitor; another number would write to the
 * contact from a conversation the room does not hold). Undefined when it may, else the reason.
 */
export function numberRefusal(
	input: { draft: Draft; numbers: ConnectedNumber[]; contactNumberId?: string },
	t: Translator,
): string | undefined {
	const { draft, numbers } = input;
	if (!draft.askRecipient) {
		const own = numbers.find((n) => n.phoneNumberId === input.contactNumberId);
		if (!own) return t('send_room_number_gone');
		if (own.phoneNumberId !== draft.phoneNumberId)
			return t('send_error_room_number', { number: `${own.verifiedName} ${own.displayPhoneNumber}`.trim() });
		return undefined;
	}
	return numbers.some((n) => n.phoneNumberId === draft.phoneNumberId) ? undefined : t('send_error_number_gone');
}

/** A send the modal's checks let through. */
interface Checked {
	number: ConnectedNumber;
	template: MetaTemplate;
	to: string;
	departmentId?: string;
}

export class SendTemplateModal {
	constructor(private readonly ports: SendTemplateModalPorts) {}

	/** Opens the modal for `user`, in a contact's room or not; a notice instead when it cannot open. */
	async open(input: {
		user: ModalUser;
		contact?: { roomId: string; phoneNumberId: string; visitorLanguage?: string };
		/** The room the agent runs the command in. */
		openedIn?: string;
		workspaceLanguage?: string;
		t: Translator;
	}): Promise<{ notice: string } | { screen: ModalScreen }> {
		const { contact, t } = input;
		const numbers = await this.ports.sender.listNumbers();
		if (!numbers.length) return { notice: t('send_no_numbers') };
		// A contact's room answers through its own number only; outside one, the first is preselected.
		const number = contact ? numbers.find((n) => n.phoneNumberId === contact.phoneNumberId) : numbers[0];
		if (!number) return { notice: t('send_room_number_gone') };
		const movedTo = contact && (await this.movedTo(await this.ports.rooms.contactOf(contact.roomId)));
		if (movedTo) return { notice: t('send_number_changed', { number: movedTo }) };
		const draft: Draft = {
			viewId: this.ports.newViewId(),
			userId: input.user.id,
			roomId: contact?.roomId,
			openedIn: input.openedIn,
			askRecipient: !contact,
			phoneNumberId: number.phoneNumberId,
			values: {},
			preferredLanguage: contact?.visitorLanguage ?? input.workspaceLanguage,
			openedOn: dayOf((this.ports.clock ?? systemClock).now()),
		};
		const screen = await this.screen(draft, { numbers, t, refresh: false });
		await this.ports.drafts.save(draft);
		return { screen };
	}

	/** A select changed, a parameter was typed, or the list is refreshed: the modal is rebuilt from the draft. */
	async act(input: { viewId: string; user: ModalUser; action: ModalAction; t: Translator }): Promise<ActResult> {
		return this.ports.views.serial(input.viewId, () => this.actNow(input));
	}

	private async actNow(input: { viewId: string; user: ModalUser; action: ModalAction; t: Translator }): Promise<ActResult> {
		const { t } = input;
		// Another user's view: nothing happens (no view goes back: it would show that user's draft). A
		// draft gone (past its retention, or the modal closed meanwhile) is said on the template.
		const { draft, foreign } = await this.ownDraft(input.viewId, input.user);
		if (!draft) return foreign ? { kind: 'ignored' } : { kind: 'refused', errors: { template: t('send_expired') } };
		const openedIn = draft.openedIn ?? draft.roomId;
		// The role is checked on every step: an agent whose role was taken away while the modal was open
		// changes nothing more in it (and cannot submit it).
		if (!(await this.ports.sender.mayAgentSend(input.user.roles)))
			return { kind: 'refused', errors: { template: this.notAllowed(t) }, openedIn };
		const numbers = await this.ports.sender.listNumbers();
		// Every number was disconnected while the modal was open: nothing to show or send from.
		if (!numbers.length) return { kind: 'refused', errors: { template: t('send_no_numbers') }, openedIn };
		applyAction(draft, input.action, numbers);
		// Building the screen settles the language (the contact's, else the first), so the draft is saved after it.
		const screen = await this.screen(draft, { numbers, t, refresh: input.action.kind === 'refresh' });
		await this.ports.drafts.save(draft);
		return { kind: 'screen', screen, openedIn };
	}

	/** The modal's submit: checked, sent, recorded and shown in the contact's room. */
	async submit(input: { viewId: string; user: ModalUser; submitted: Submitted; t: Translator }): Promise<SubmitResult> {
		const owned = await this.ownDraft(input.viewId, input.user);
		const result = await this.submitOwn(input, owned);
		return { ...result, openedIn: owned.draft?.openedIn ?? owned.draft?.roomId };
	}

	private async submitOwn(
		input: { viewId: string; user: ModalUser; submitted: Submitted; t: Translator },
		{ draft, foreign }: { draft?: Draft; foreign: boolean },
	): Promise<SubmitResult> {
		const { user, t } = input;
		if (foreign) {
			this.ports.logger?.warn(`send-template: ${user.username} submitted a modal another user opened; refused`);
			return { kind: 'foreign' };
		}
		if (!draft) return { kind: 'refused', errors: { template: t('send_expired') } };
		const { viewId } = draft;
		if (draft.sending || !this.ports.views.claim(viewId)) return { kind: 'refused', errors: { template: t('send_in_progress') } };
		try {
			// After the block actions of this view under way (one saving the draft meanwhile would undo
			// its mark), on the draft as they left it.
			return await this.ports.views.serial(viewId, async () => {
				const current = (await this.ownDraft(viewId, user)).draft;
				if (!current) return { kind: 'refused', errors: { template: t('send_expired') } };
				if (current.sending) return { kind: 'refused', errors: { template: t('send_in_progress') } };
				return this.submitClaimed(current, input);
			});
		} finally {
			this.ports.views.release(viewId);
			// Closed meanwhile: what the agent typed goes now, whatever the submit's outcome.
			if (this.ports.views.takeClosed(viewId))
				await this.ports.drafts
					.remove(viewId)
					.catch((error) =>
						this.ports.logger?.error(`send-template: draft not removed: ${error instanceof Error ? error.message : 'error'}`),
					);
		}
	}

	private async submitClaimed(draft: Draft, input: { user: ModalUser; submitted: Submitted; t: Translator }): Promise<SubmitResult> {
		const { user, t } = input;
		if (!(await this.ports.sender.mayAgentSend(user.roles))) return { kind: 'refused', errors: { template: this.notAllowed(t) } };
		mergeSubmitted(draft, input.submitted);
		const shown = input.submitted.shownFields && new Set(input.submitted.shownFields);
		if (shown && draft.drawnFields) draft.drawnFields = draft.drawnFields.filter((key) => shown.has(key));

		const checked = await this.check(draft, t);
		if ('errors' in checked) return { kind: 'refused', errors: checked.errors };
		await this.ports.drafts.save({ ...draft, sending: true });
		let sent: ModalSendResult;
		try {
			sent = await this.ports.sender.sendFromModal(
				{ ...checked, values: templateValues(draft, checked.template), agent: user.username ?? '', roomId: draft.roomId, t },
				(error, wamid) =>
					this.ports.logger?.error(
						`template ${checked.template.name} sent (${wamid ?? 'no wamid'}) but not recorded or shown in the room: ${error instanceof Error ? error.message : 'error'}`,
					),
			);
		} catch (error) {
			// Failed before Meta was asked (its record could not be written, say): nothing went out, and
			// the draft loses its sending mark. Its record not written: the agent is told so, and that
			// sending again is safe (in a form opened again, when the draft kept its mark).
			const restored = await this.restoreDraft(draft);
			if (error instanceof SendNotRecorded)
				return { kind: 'refused', errors: { template: this.withReopen(t(error.i18nKey), restored, t) } };
			throw error;
		}
		if (!sent.ok) {
			// Meta refused it (the agent may correct the form and send again), or did not answer: the
			// error then says it may have gone out, and to check with the contact before sending again.
			const restored = await this.restoreDraft(draft);
			return { kind: 'refused', errors: { template: this.withReopen(sent.error, restored, t) } };
		}
		// Sent: from here on a failure must not make the agent send it again, so the modal closes anyway
		// (a draft not removed keeps its mark: a late submit of it sends nothing).
		if (sent.complete)
			await this.ports.drafts
				.remove(draft.viewId)
				.catch((error) =>
					this.ports.logger?.error(`send-template: draft not removed: ${error instanceof Error ? error.message : 'error'}`),
				);
		return { kind: 'sent' };
	}

	/**
	 * The agent closed the modal (Cancel, ×, Escape): its draft, with the recipient and the values
	 * typed, is removed: now, or when a submit of it under way here ends.
	 */
	async close(input: { viewId: string; user: ModalUser }): Promise<void> {
		const { draft } = await this.ownDraft(input.viewId, input.user);
		if (!draft) return;
		const { viewId } = draft;
		if (!this.ports.views.claim(viewId)) return this.ports.views.closeWhenDone(viewId);
		try {
			// After the block actions under way: one saving the draft after the removal would bring it back.
			await this.ports.views.serial(viewId, () => this.ports.drafts.remove(viewId));
		} finally {
			this.ports.views.release(viewId);
		}
	}

	/** The new WhatsApp ID of a room's contact who changed their number (core/app/window.ts `movedTo`). */
	private async movedTo(contact: Contact | undefined): Promise<string | undefined> {
		return contact && (await this.ports.windows.get(contactKey(contact.phoneNumberId, contact.waId)))?.movedTo?.waId;
	}

	/** The number, template, recipient, department and values of the draft, checked; else the errors by field. */
	private async check(draft: Draft, t: Translator): Promise<Checked | { errors: ModalErrors }> {
		const numbers = await this.ports.sender.listNumbers();
		const contact = draft.roomId ? await this.ports.rooms.contactOf(draft.roomId) : undefined;
		// The number is checked against what the caller may use, whatever the state names: the select
		// is shown outside a contact's room when there are several numbers, else the error goes on the template.
		const refusal = numberRefusal({ draft, numbers, contactNumberId: contact?.phoneNumberId }, t);
		const number = refusal ? undefined : numbers.find((n) => n.phoneNumberId === draft.phoneNumberId);
		if (!number) {
			// On the select when the form shows one (a draft of before: when there are several numbers now).
			const onSelect = draft.askRecipient && (draft.numberSelect ?? numbers.length > 1);
			return { errors: { [onSelect ? 'number' : 'template']: refusal ?? t('send_no_numbers') } };
		}
		const window =
			draft.askRecipient || !contact ? undefined : await this.ports.windows.get(contactKey(contact.phoneNumberId, contact.waId));
		const movedTo = window?.movedTo?.waId;
		if (movedTo) return { errors: { template: t('send_number_changed', { number: movedTo }) } };
		// Nothing goes to a refused Graph base URL (the cached template list must not hide it).
		if (!(await this.graphBaseUrlAccepted())) return { errors: { template: t('error_graph_base_url_refused') } };

		const catalog = await this.ports.sender.catalogOf(number);
		let template: MetaTemplate | undefined;
		try {
			template =
				draft.templateName && draft.language ? await catalog.find(number.wabaId, draft.templateName, draft.language) : undefined;
		} catch (error) {
			// The cached list was due and Meta could not list the templates (expired token, outage...), or the
			// list lacks the template and could not be fetched again to look for it: the agent is told why.
			return { errors: { template: explainListError(error, t) } };
		}
		const errors: ModalErrors = {};
		const unfillable = template && formCannotFill(template);
		if (!template) errors.template = t('send_error_template');
		else if (unfillable) errors.template = t(UNSUPPORTED_KEY);
		// Outside a contact's room the recipient is typed; in one, numberRefusal found it a contact's room of this number.
		// A contact known by their BSUID whose number Meta named: to the number (core/app/window.ts reachOf).
		const to = draft.askRecipient
			? (normalizePhoneNumber(draft.recipient ?? '') ?? '')
			: contact
				? await reachOf(this.ports.windows, contact, window, (this.ports.clock ?? systemClock).now())
				: '';
		if (draft.askRecipient && !to) errors.recipient = t('send_error_recipient');
		// A contact known by their business-scoped user id gets no one-time code: Meta sends
		// authentication templates' code buttons to phone numbers only (error 131062).
		if (template && !errors.template && isBusinessScopedUserId(to) && otpButtonIndex(template) >= 0)
			errors.template = t('send_error_template_needs_phone');
		const departmentId = await this.departmentOf({ draft, number, errors, t });
		if (template) {
			const chosen = template;
			const drawn = new Set(draft.drawnFields ?? []);
			const keyOf = new Map(inputsFor(chosen).map((input) => [input.id, fieldKey(draft.phoneNumberId, chosen, input)]));
			for (const [inputId, error] of Object.entries(validateValues(chosen, templateValues(draft, chosen)))) {
				const key = keyOf.get(inputId) ?? inputId;
				// An input the view did not draw (the template's detail could not be read when the screen
				// was built, the client submitted a template the draft never showed, or the client never
				// showed the update that drew it: `shownFields`) has no block for its error: the agent is
				// told on the template select, which the view always has.
				// A draft of the versions before (no `drawnFields`) drew its inputs as `param:<input id>`.
				if (!draft.drawnFields) errors[`param:${inputId}`] = t(error.key, error.params);
				else if (drawn.has(key)) errors[`param:${key}`] = t(error.key, error.params);
				else if (!errors.template) errors.template = t('send_error_fields_not_shown');
			}
		}
		if (Object.keys(errors).length || !template) return { errors };
		return { number, template, to, departmentId };
	}

	/** The department the contact's room goes to: the one typed (outside a contact's room), else the number's. */
	private async departmentOf(step: {
		draft: Draft;
		number: ConnectedNumber;
		errors: ModalErrors;
		t: Translator;
	}): Promise<string | undefined> {
		const { draft, number, errors, t } = step;
		if (!draft.askRecipient || !draft.department) return number.departmentId;
		const id = await this.ports.directory.departmentId(draft.department);
		if (!id) errors.department = t('error_department_unknown', { department: draft.department });
		return id;
	}

	/** What the modal shows for the draft; settles the draft's language. Reads the catalog's index, and the chosen template's detail only. */
	private async screen(draft: Draft, options: { numbers: ConnectedNumber[]; t: Translator; refresh: boolean }): Promise<ModalScreen> {
		const { numbers, t } = options;
		const number = numbers.find((n) => n.phoneNumberId === draft.phoneNumberId) ?? numbers[0];
		// The number chosen outside a contact's room was disconnected: the form shows, and sends from,
		// the first one left (in a contact's room the room's number stays, and its refusal says why).
		if (draft.askRecipient) draft.phoneNumberId = number.phoneNumberId;
		draft.numberSelect = draft.askRecipient && numbers.length > 1;
		// Another set of numbers gets a new select (a new element for Rocket.Chat's client, which keeps
		// a value by element: the number gone, or one of a set shown before, would stay shown).
		const set = numbers.map((n) => n.phoneNumberId).join(',');
		if (draft.askRecipient && draft.numberSet !== set) {
			draft.numberSet = set;
			draft.numberSelectVersion = (draft.numberSelectVersion ?? 0) + 1;
		}
		const catalog = await this.ports.sender.catalogOf(number);
		let snapshot: CatalogSnapshot | undefined;
		let problem: string | undefined;
		try {
			// A refused Graph base URL setting sends nothing: said in words rather than as an outage.
			if (!(await this.graphBaseUrlAccepted())) problem = t('error_graph_base_url_refused');
			else snapshot = await catalog.snapshot(number.wabaId, { refresh: options.refresh, waitMs: LIST_WAIT_MS });
			// Still loading (the load goes on and stores its list): the list loaded before, and why
			// (the last load's failure, when it failed after the modal stopped waiting for it).
			if (snapshot?.listing)
				problem = 'lastFailure' in snapshot ? explainListError(snapshot.lastFailure, t) : t('send_list_slow_cached');
		} catch (error) {
			// Meta could not list the templates (expired token, outage...): the agent is told why.
			problem = explainListError(error, t);
		}
		const summaries = snapshot?.summaries ?? [];
		const { shown, matching, hidden } = narrowTemplates(summaries, draft.search, {
			limit: TEMPLATE_OPTIONS,
			keep: draft.templateName,
			categoryName: (category) => categoryText(category, t),
		});
		const chosen = summaries.find((s) => s.name === draft.templateName);
		if (chosen) settleLanguage(draft, chosen);
		let template: MetaTemplate | undefined;
		try {
			// The chosen name's shard; a refresh that wrote it meanwhile makes it list from Meta again.
			if (chosen && snapshot) template = (await snapshot.templatesNamed(chosen.name)).find((l) => l.language === draft.language);
		} catch (error) {
			problem = explainListError(error, t);
		}
		// What views.ts draws for the template: its inputs, unless the form cannot fill it.
		const drawn = template && !formCannotFill(template) ? template : undefined;
		draft.drawnFields = drawn ? inputsFor(drawn).map((input) => fieldKey(draft.phoneNumberId, drawn, input)) : [];
		return { draft, numbers, templates: shown, matching, hidden, total: summaries.length, template, problem };
	}

	/**
	 * The draft of the modal `viewId`, when it is `user`'s own. Rocket.Chat's server hands the app any
	 * view id a logged-in user sends to its UIKit endpoint, so another user's block action or submit
	 * for this view must not read, change or send this draft. A draft without an owner (opened before
	 * drafts had one) is nobody's.
	 */
	private async ownDraft(viewId: string, user: ModalUser): Promise<{ draft?: Draft; foreign: boolean }> {
		const draft = await this.ports.drafts.load(viewId);
		if (!draft) return { foreign: false };
		return draft.userId === user.id ? { draft, foreign: false } : { foreign: true };
	}

	private async graphBaseUrlAccepted(): Promise<boolean> {
		return checkGraphBaseUrl(await this.ports.settings.get('graphApiBaseUrl')).ok;
	}

	/**
	 * The draft saved without its sending mark, after a send that did not go out; false when it could
	 * not be (logged): a submit of this form would then be refused as one in progress.
	 */
	private restoreDraft(draft: Draft): Promise<boolean> {
		return this.ports.drafts.save(draft).then(
			() => true,
			(error: unknown) => {
				this.ports.logger?.error(
					`send-template: draft not restored after a send that did not go out: ${error instanceof Error ? error.message : 'error'}`,
				);
				return false;
			},
		);
	}

	/** `text`, and when the draft kept its sending mark, that the form must be opened again. */
	private withReopen(text: string, restored: boolean, t: Translator): string {
		return restored ? text : `${text} ${t('send_expired')}`;
	}

	private notAllowed(t: Translator): string {
		return t('command_not_allowed', { command: '/whatsapp send-template' });
	}
}
